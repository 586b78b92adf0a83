"""Lesson 08's sample grader: a digit classifier, and what it makes of generated images."""

import math

import pytest
import torch
from torch import nn

from course.classifier import DigitClassifier, accuracy, label_entropy, probabilities, score_samples
from course.train import classification_loss, fit


class FixedLogits(nn.Module):
    """A stand-in classifier: image i gets the logits in row i of a table."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = nn.Parameter(logits, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits[x.flatten(1)[:, 0].long()]


def test_label_entropy_is_zero_for_one_label_and_log2_k_for_all_equally():
    assert label_entropy(torch.full((50,), 3), 10) == 0.0
    assert label_entropy(torch.arange(100) % 10, 10) == pytest.approx(math.log2(10))
    assert label_entropy(torch.tensor([0, 0, 1, 1]), 10) == pytest.approx(1.0)
    assert 0 < label_entropy(torch.tensor([0, 0, 0, 1]), 10) < 1


def test_score_samples_counts_confident_images_and_their_labels():
    sure, unsure = torch.full((10,), -3.0), torch.zeros(10)
    sure[7] = 3.0  # probability e^6 / (e^6 + 9) = 0.978
    logits = torch.stack([sure, sure, unsure, sure.roll(1)])  # labels 7, 7, (any), 8
    images = torch.arange(4.0)[:, None, None, None].expand(4, 1, 4, 4).contiguous()
    score = score_samples(FixedLogits(logits), images)
    assert score.recognised == pytest.approx(0.75)
    assert score.counts[7] == 2 and score.counts[8] == 1 and sum(score.counts) == 4
    assert score.max_entropy == pytest.approx(math.log2(10))
    assert score_samples(FixedLogits(logits), images, threshold=0.99).recognised == 0.0
    top = math.exp(6) / (math.exp(6) + 9)
    assert score.mean_confidence == pytest.approx((3 * top + 0.1) / 4, rel=1e-5)
    assert score.label_entropy == pytest.approx(1.5)  # predicted labels 7, 7, 0, 8


def test_the_classifier_learns_from_fit_and_gives_probabilities(tiny_images):
    labels = (tiny_images.flatten(1).argmax(1) % 8 >= 4).long()  # left or right half: learnable
    torch.manual_seed(0)
    model = DigitClassifier((1, 8, 8), n_classes=2, channels=(8, 8))
    fit(model, (tiny_images, labels), epochs=30, batch_size=16, lr=5e-3, loss_fn=classification_loss,
        progress=False)
    assert accuracy(model, tiny_images, labels) >= 0.9
    p = probabilities(model, tiny_images)
    assert p.shape == (64, 2) and torch.allclose(p.sum(1), torch.ones(64))
    assert model.config == {"image_shape": [1, 8, 8], "n_classes": 2, "channels": [8, 8], "dropout": 0.3}
    with pytest.raises(ValueError, match="divisible by 4"):
        DigitClassifier((1, 10, 10))


def test_label_counts_figure_has_one_bar_group_per_source():
    from course.classifier import SampleScore, label_counts_figure

    a = SampleScore(0.5, 1.0, [2, 2, 0], 0.7, 0.9)
    b = SampleScore(0.1, 0.0, [0, 4, 0], 0.4, 0.9)
    fig = label_counts_figure({"AE": a, "VAE": b}, ["0", "1", "2"])
    assert [list(t.y) for t in fig.data] == [[2, 2, 0], [0, 4, 0]]
    assert "entropy 1.00 bits" in fig.data[0].name
