import pytest
import torch
from torch import nn

from course.models import ConvAutoencoder, MLPAutoencoder
from course.train import History, classification_loss, evaluate, fit, predict, reconstruction_loss


def test_fit_lowers_the_reconstruction_loss(tiny_images):
    model = ConvAutoencoder((1, 8, 8), 4, channels=(8, 8))
    before = evaluate(model, tiny_images)
    history = fit(model, tiny_images, val=tiny_images[:16], epochs=15, batch_size=16, lr=5e-3)
    assert isinstance(history, History)
    assert len(history.train_loss) == len(history.val_loss) == 15
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert evaluate(model, tiny_images) < 0.5 * before
    assert history.seconds > 0 and not history.from_cache
    assert not model.training


def test_fit_takes_labels_through_a_tuple_and_a_custom_loss(tiny_split):
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    x, y = tiny_split.images, tiny_split.labels
    history = fit(classifier, (x, y), val=(x, y), epochs=30, lr=1e-2, batch_size=16,
                  loss_fn=classification_loss)
    assert history.val_loss[-1] < history.val_loss[0]


def test_constant_schedule_and_weight_decay_run(tiny_images):
    model = MLPAutoencoder((1, 8, 8), 2, hidden=(8,))
    history = fit(model, tiny_images, epochs=2, schedule="constant", weight_decay=1e-4)
    assert len(history.train_loss) == 2


def test_predict_batches_give_the_same_answer(tiny_images):
    model = MLPAutoencoder((1, 8, 8), 3, hidden=(8,))
    whole = predict(model, tiny_images, batch_size=1000)
    pieces = predict(model, tiny_images, batch_size=7)
    assert torch.allclose(whole, pieces, atol=1e-6)
    assert predict(model, tiny_images, method="encode").shape == (64, 3)


def test_evaluate_is_the_mean_over_all_examples(tiny_images):
    model = MLPAutoencoder((1, 8, 8), 3, hidden=(8,))
    expected = reconstruction_loss(model, tiny_images).item()
    assert evaluate(model, tiny_images, batch_size=10) == pytest.approx(expected, rel=1e-5)
