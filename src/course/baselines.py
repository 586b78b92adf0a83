"""The baselines every lesson measures against: PCA and linear probes.

Lesson 01 compares autoencoders with PCA across bottleneck sizes and probes their codes
with a linear classifier trained on few labels; lesson 02 denoises with PCA; lesson 10
scores anomalies by PCA reconstruction error.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


class PCAAutoencoder:
    """PCA as an autoencoder: encode = project on the top-k directions, decode = map back.

    Fitted on training images ``(N, C, H, W)``; the best *linear* code of size k for
    squared error, which is what the autoencoders of lesson 01 have to beat.
    """

    def __init__(self, bottleneck: int, seed: int = 0) -> None:
        self.bottleneck = bottleneck
        self._pca = PCA(n_components=bottleneck, random_state=seed)
        self._shape: tuple[int, ...] = ()

    def fit(self, images: torch.Tensor) -> "PCAAutoencoder":
        self._shape = tuple(images.shape[1:])
        self._pca.fit(images.flatten(1).numpy())
        return self

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self._pca.transform(images.flatten(1).numpy())).float()

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        flat = self._pca.inverse_transform(codes.numpy())
        return torch.from_numpy(flat).float().view(-1, *self._shape)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(images))

    @property
    def components(self) -> torch.Tensor:
        """The k principal directions as images ``(k, C, H, W)``."""
        return torch.from_numpy(self._pca.components_).float().view(-1, *self._shape)


def mse_per_image(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each image (averaged over its pixels): shape ``(N,)``."""
    return ((x - x_hat) ** 2).flatten(1).mean(1)


def few_label_indices(labels: torch.Tensor, n_labels: int, seed: int = 0) -> np.ndarray:
    """``n_labels`` training indices, the same number from every class."""
    y = labels.numpy()
    classes = np.unique(y)
    per_class, rest = divmod(n_labels, len(classes))
    if rest:
        raise ValueError(f"n_labels={n_labels} must be a multiple of the {len(classes)} classes")
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                           for c in classes])


def linear_probe(train_features: torch.Tensor, train_labels: torch.Tensor,
                 test_features: torch.Tensor, test_labels: torch.Tensor, *,
                 n_labels: int = 100, repeats: int = 5, seed: int = 0) -> float:
    """Test accuracy of a logistic regression trained on only ``n_labels`` labelled examples.

    The features are whatever a representation gives (raw pixels, PCA codes, an encoder's
    codes); the labelled examples are drawn ``repeats`` times (balanced over classes) and
    the accuracies averaged, so one lucky draw does not decide a comparison.
    """
    x_test, y_test = test_features.flatten(1).numpy(), test_labels.numpy()
    scores = []
    for r in range(repeats):
        idx = few_label_indices(train_labels, n_labels, seed + r)
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
        clf.fit(train_features.flatten(1).numpy()[idx], train_labels.numpy()[idx])
        scores.append(clf.score(x_test, y_test))
    return float(np.mean(scores))


def pca_error_curve(train: torch.Tensor, test: torch.Tensor, max_k: int) -> torch.Tensor:
    """Test mean squared error per pixel of PCA with k = 1 .. ``max_k`` directions, shape ``(max_k,)``.

    One SVD of the centred training images gives every k at once: the directions are
    orthonormal, so keeping one more removes exactly the test images' squared projection
    on it from the error. Lesson 01 asks how many directions PCA needs to match an
    autoencoder's error. ``max_k`` is capped at the number of directions there are.
    """
    x = train.flatten(1).double()
    t = test.flatten(1).double()
    mean = x.mean(0)
    _, _, vt = torch.linalg.svd(x - mean, full_matrices=False)
    vt = vt[:max_k]
    centred = t - mean
    codes = centred @ vt.T                                         # (N, k): every projection at once
    left = centred.pow(2).sum(1, keepdim=True) - codes.pow(2).cumsum(1)  # what k directions miss
    return (left.clamp_min(0).mean(0) / t.shape[1]).float()
