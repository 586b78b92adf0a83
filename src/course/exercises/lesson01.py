"""Lesson 01 (01_autoencoder_basics): PCA as the best linear autoencoder."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise


def pca_reconstruct(train: torch.Tensor, test: torch.Tensor, k: int) -> torch.Tensor:
    """Project ``test`` rows on the top-``k`` principal directions of ``train`` and map back."""
    mean = train.mean(0)
    _, _, vt = torch.linalg.svd(train - mean, full_matrices=False)
    directions = vt[:k]                        # (k, D): the encoder's weights
    codes = (test - mean) @ directions.T       # encode: the k numbers of the bottleneck
    return codes @ directions + mean           # decode: back to D numbers


def _check_pca_reconstruct(answer: Callable[..., Any]) -> None:
    from sklearn.decomposition import PCA

    g = torch.Generator().manual_seed(0)
    basis = torch.randn(5, 40, generator=g)
    train = torch.randn(200, 5, generator=g) @ basis + 0.1 * torch.randn(200, 40, generator=g) + 3.0
    test = torch.randn(50, 5, generator=g) @ basis + 0.1 * torch.randn(50, 40, generator=g) + 3.0
    for k in (1, 3):
        got = answer(train.clone(), test.clone(), k)
        assert isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}"
        assert got.shape == test.shape, f"with k={k} the result should have shape {tuple(test.shape)}, got {tuple(got.shape)}"
        pca = PCA(k).fit(train.double().numpy())
        want = torch.from_numpy(pca.inverse_transform(pca.transform(test.double().numpy())))
        error = (got.double() - want).abs().max().item()
        if error > 1e-3:
            centred = (got.double() - test.double()).abs().max().item() < 1e-3
            hint = ("it returns the input unchanged: project on k directions" if centred
                    else "did you subtract the training mean before the SVD, and add it back?")
            raise AssertionError(f"with k={k} it differs from PCA by {error:.3g}; {hint}")


EXERCISES = [
    Exercise(
        "01-pca-by-svd", "01_autoencoder_basics",
        "Write pca_reconstruct(train, test, k): centre with the training mean, take the top-k "
        "right singular vectors of the centred training data, project test onto them and map back.",
        _check_pca_reconstruct, pca_reconstruct),
]
