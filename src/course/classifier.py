"""A digit classifier that grades generated images, so sample quality needs no eye.
Lessons 08 and 10; lesson 05 uses its ``probabilities`` and ``accuracy``.

Trained in the course (with :func:`course.train.fit` and
:func:`course.train.classification_loss`, on the training split only), it then looks at
images a decoder drew and says what it sees:

>>> clf = DigitClassifier((1, 28, 28), n_classes=10)
>>> fit(clf, (ds.train.images, ds.train.labels), epochs=6, loss_fn=classification_loss, cache=True)
>>> score = score_samples(clf, samples)     # share recognised at confidence >= 0.9, label entropy
>>> score.recognised, score.label_entropy

A share recognised near that of real test digits means the samples look like digits to
it; a label entropy near ``log2(10) = 3.32`` bits means they cover the ten digits evenly
(a generator that draws only ones would score 0 bits). This is the idea behind the
Inception Score, on a scale a CPU can afford.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import plotly.graph_objects as go
import torch
from torch import nn

from course.plots import PALETTE
from course.train import predict


class DigitClassifier(nn.Module):
    """A small convolutional network: two stride-2 convolutions, dropout, a linear layer to logits."""

    def __init__(self, image_shape: tuple[int, int, int], n_classes: int = 10,
                 channels: tuple[int, int] = (32, 64), dropout: float = 0.3) -> None:
        super().__init__()
        c, h, w = image_shape
        if h % 4 or w % 4:
            raise ValueError(f"DigitClassifier needs height and width divisible by 4, got {h}x{w}")
        self.image_shape = tuple(image_shape)
        self.n_classes = n_classes
        self.channels = tuple(channels)
        self.dropout = dropout
        c1, c2 = self.channels
        self.net = nn.Sequential(
            nn.Conv2d(c, c1, 3, stride=2, padding=1), nn.BatchNorm2d(c1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.BatchNorm2d(c2), nn.ReLU(),
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c2 * (h // 4) * (w // 4), n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, n_classes)``."""
        return self.net(x)

    @property
    def config(self) -> dict[str, object]:
        return {"image_shape": list(self.image_shape), "n_classes": self.n_classes,
                "channels": list(self.channels), "dropout": self.dropout}


def probabilities(classifier: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Softmax of the classifier's logits, ``(N, n_classes)`` on the CPU."""
    return predict(classifier, images).softmax(dim=1)


def accuracy(classifier: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` whose most probable class is ``labels``."""
    return float((probabilities(classifier, images).argmax(1) == labels).float().mean())


def label_entropy(labels: torch.Tensor, n_classes: int) -> float:
    """Entropy in bits of the distribution of ``labels``: ``log2(n_classes)`` when all are equally common."""
    counts = torch.bincount(labels.flatten().long(), minlength=n_classes).double()
    p = counts[counts > 0] / counts.sum()
    return float(-(p * p.log2()).sum()) + 0.0  # + 0.0: no "-0.0" when one label has them all


@dataclass(frozen=True)
class SampleScore:
    """What the classifier makes of a batch of images."""

    recognised: float  # share with top probability >= threshold
    label_entropy: float  # bits, over the predicted label of every image
    counts: list[int]  # images per predicted label
    mean_confidence: float  # mean top probability
    threshold: float

    @property
    def max_entropy(self) -> float:
        return math.log2(len(self.counts))


def score_samples(classifier: nn.Module, images: torch.Tensor, *,
                  threshold: float = 0.9) -> SampleScore:
    """Grade images: the share the classifier recognises with confidence >= ``threshold``,
    and how evenly its predicted labels cover the classes (entropy in bits)."""
    p = probabilities(classifier, images)
    confidence, label = p.max(dim=1)
    n_classes = p.shape[1]
    return SampleScore(
        recognised=float((confidence >= threshold).float().mean()),
        label_entropy=label_entropy(label, n_classes),
        counts=torch.bincount(label, minlength=n_classes).tolist(),
        mean_confidence=float(confidence.mean()),
        threshold=threshold,
    )


def label_counts_figure(scores: Mapping[str, SampleScore], classes: Sequence[str], *,
                        title: str = "What the classifier sees in the samples") -> go.Figure:
    """Grouped bars: how many images of each source the classifier gives each label."""
    fig = go.Figure()
    for i, (name, score) in enumerate(scores.items()):
        fig.add_bar(x=list(classes), y=score.counts, marker_color=PALETTE[i % len(PALETTE)],
                    name=f"{name} (entropy {score.label_entropy:.2f} bits)")
    fig.update_layout(title=title, barmode="group", height=380, xaxis_title="predicted label",
                      yaxis_title="images", legend_title="source")
    return fig
