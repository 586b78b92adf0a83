"""Exercises with automatic checks and hidden solutions.

In a lesson::

    exercise = exercises.get("01-pca-by-svd")
    exercise.check(pca_reconstruct)      # ✓, or ✗ with what went wrong
    # exercise.solution()                # uncomment to reveal a worked solution

A check never stops the notebook: an exercise that is not attempted yet (the stub
raises ``NotImplementedError``) or a wrong answer is reported, and the notebook runs on.
:meth:`Exercise.check` returns whether the answer passed, so tests can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from course.show import SourceCode, show_source


@dataclass(frozen=True)
class Exercise:
    """A task, a checker that raises ``AssertionError`` with a hint, and a reference solution."""

    name: str
    lesson: str
    task: str
    checker: Callable[[Callable[..., Any]], None]
    reference: Callable[..., Any]

    def check(self, answer: Callable[..., Any]) -> bool:
        """Run the checker on ``answer``; print the verdict and return whether it passed."""
        try:
            self.checker(answer)
        except NotImplementedError:
            print(f"… {self.name}: not attempted yet. {self.task}")
            return False
        except AssertionError as error:
            print(f"✗ {self.name}: not yet. {error}")
            return False
        except Exception as error:  # the learner's code crashed: say how, keep going
            print(f"✗ {self.name}: your function raised {type(error).__name__}: {error}")
            return False
        print(f"✓ {self.name}: correct.")
        return True

    def solution(self) -> SourceCode:
        """A worked solution (one of many that pass)."""
        return show_source(self.reference)


# --- lesson 01: PCA as the best linear autoencoder ----------------------------------------

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


EXERCISES: dict[str, Exercise] = {
    "01-pca-by-svd": Exercise(
        "01-pca-by-svd", "01_autoencoder_basics",
        "Write pca_reconstruct(train, test, k): centre with the training mean, take the top-k "
        "right singular vectors of the centred training data, project test onto them and map back.",
        _check_pca_reconstruct, pca_reconstruct),
}


def get(name: str) -> Exercise:
    """The exercise called ``name`` (see :data:`EXERCISES`)."""
    if name not in EXERCISES:
        raise KeyError(f"no exercise {name!r}; there are: {', '.join(EXERCISES)}")
    return EXERCISES[name]
