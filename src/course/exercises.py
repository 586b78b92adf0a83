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

import numpy as np
import torch

from course.show import SourceCode, show_source


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: true when the answer passed. Its message is printed once."""

    passed: bool
    message: str

    @classmethod
    def say(cls, passed: bool, message: str) -> "Verdict":
        print(message)
        return cls(passed, message)

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Nothing more to show in a notebook: the message is already printed."""


@dataclass(frozen=True)
class Exercise:
    """A task, a checker that raises ``AssertionError`` with a hint, and a reference solution."""

    name: str
    lesson: str
    task: str
    checker: Callable[[Callable[..., Any]], None]
    reference: Callable[..., Any]

    def check(self, answer: Callable[..., Any]) -> "Verdict":
        """Run the checker on ``answer``, print the verdict, and return it (true if it passed)."""
        try:
            self.checker(answer)
        except NotImplementedError:
            return Verdict.say(False, f"… {self.name}: not attempted yet. {self.task}")
        except AssertionError as error:
            return Verdict.say(False, f"✗ {self.name}: not yet. {error}")
        except Exception as error:  # the learner's code crashed: say how, keep going
            return Verdict.say(False, f"✗ {self.name}: your function raised {type(error).__name__}: {error}")
        return Verdict.say(True, f"✓ {self.name}: correct.")

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


# --- lesson 10: a threshold for a cost table -----------------------------------------------

def choose_lambda(scores: np.ndarray, is_anomaly: np.ndarray, miss_cost: float,
                  false_alarm_cost: float) -> float:
    """The threshold lambda (flag when score > lambda) with the least total cost here."""
    candidates = np.append(np.unique(scores), -np.inf)  # each score, and "flag everything"

    def total_cost(lam: float) -> float:
        flagged = scores > lam
        misses = np.sum(is_anomaly & ~flagged)
        false_alarms = np.sum(~is_anomaly & flagged)
        return miss_cost * misses + false_alarm_cost * false_alarms

    return float(min(candidates, key=total_cost))


def _check_choose_lambda(answer: Callable[..., Any]) -> None:
    rng = np.random.default_rng(10)

    def cost(scores, is_anomaly, flagged, miss, false_alarm) -> float:
        return float(miss * np.sum(is_anomaly & ~flagged) + false_alarm * np.sum(~is_anomaly & flagged))

    for n_normal, n_anomaly, gap in ((300, 15, 2.0), (200, 40, 1.0)):
        order = rng.permutation(n_normal + n_anomaly)
        scores = np.r_[rng.normal(size=n_normal), rng.normal(size=n_anomaly) + gap][order]
        is_anomaly = np.r_[np.zeros(n_normal, bool), np.ones(n_anomaly, bool)][order]
        candidates = np.r_[np.inf, scores, -np.inf]
        for miss, false_alarm in ((10.0, 1.0), (1.0, 1.0), (1.0, 20.0), (100.0, 1.0)):
            lam = answer(scores.copy(), is_anomaly.copy(), miss, false_alarm)
            assert isinstance(lam, (int, float, np.integer, np.floating)) and not isinstance(lam, bool), (
                f"return lambda as a number, got {type(lam).__name__}")
            best = choose_lambda(scores, is_anomaly, miss, false_alarm)
            want = cost(scores, is_anomaly, scores > best, miss, false_alarm)
            got = cost(scores, is_anomaly, scores > lam, miss, false_alarm)
            if got <= want + 1e-9:
                continue
            errors = [cost(scores, is_anomaly, scores > c, 1, 1) for c in candidates]
            reversed_costs = [cost(scores, is_anomaly, scores < c, miss, false_alarm) for c in candidates]
            if cost(scores, is_anomaly, scores < lam, miss, false_alarm) <= min(reversed_costs) + 1e-9:
                hint = "flag the items whose score is above lambda: a higher score means more anomalous"
            elif cost(scores, is_anomaly, scores > lam, 1, 1) <= min(errors) and miss != false_alarm:
                hint = ("your lambda makes the fewest mistakes, but they do not cost the same: "
                        "weigh each miss by miss_cost and each false alarm by false_alarm_cost")
            else:
                hint = ("try every score as a candidate lambda and keep the one with the least "
                        "total cost")
            raise AssertionError(
                f"with a miss costing {miss:g} and a false alarm {false_alarm:g}, lambda = {lam:.3g} "
                f"costs {got:g} in all, but lambda = {best:.3g} costs {want:g}; {hint}")


# --- lesson 08: the KL term by sampling, with the reparameterisation trick ----------------

def kl_monte_carlo(mean: torch.Tensor, log_var: torch.Tensor, n_samples: int) -> torch.Tensor:
    """Estimate ``KL(N(mean, exp(log_var)) || N(0, I))`` per row by sampling, keeping gradients."""
    from torch.distributions import Normal

    std = torch.exp(0.5 * log_var)
    eps = torch.randn(n_samples, *mean.shape)      # (n_samples, N, k), independent of mean and std
    z = mean + std * eps                           # the reparameterisation trick
    log_q = Normal(mean, std).log_prob(z).sum(-1)  # log q(z|x), summed over the latent dimensions
    log_p = Normal(0.0, 1.0).log_prob(z).sum(-1)   # log p(z) under the prior N(0, I)
    return (log_q - log_p).mean(0)                 # average over the samples: (N,)


def _check_kl_monte_carlo(answer: Callable[..., Any]) -> None:
    g = torch.Generator().manual_seed(8)
    mean = (torch.randn(6, 3, generator=g) * 0.8).requires_grad_()
    log_var = (torch.rand(6, 3, generator=g) * 2.5 - 2.0).requires_grad_()
    exact = 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var).sum(1).detach()
    torch.manual_seed(0)
    got = answer(mean, log_var, 20000)
    assert isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}"
    assert got.shape == (6,), (f"return one estimate per row, shape (6,), got {tuple(got.shape)}: "
                               "sum over the latent dimensions, average over the samples")
    assert got.requires_grad, ("no gradient reaches mean and log_var: draw eps ~ N(0, I) and use "
                               "z = mean + std * eps (the reparameterisation trick), not .sample() or torch.normal")
    error = (got.detach().double() - exact.double()).abs().max().item()
    if error > 0.05 + 0.03 * exact.abs().max().item():
        per_dim = (got.detach() * 3 - exact).abs().max().item() < 0.05 + 0.1 * exact.abs().max().item()
        hint = ("it looks like the mean over the latent dimensions: sum log-densities over them" if per_dim
                else "log_var is log σ²: the standard deviation is exp(log_var / 2); and the estimate "
                     "is the average of log q(z|x) - log p(z) at samples z of q")
        raise AssertionError(f"the estimates differ from the exact KL by up to {error:.3g} nats; {hint}")
    torch.manual_seed(1)
    again = answer(mean.detach(), log_var.detach(), 200)
    if torch.allclose(again.detach().double(), exact.double(), atol=1e-6):
        raise AssertionError("that is the closed form, exactly: estimate it by sampling z instead")
    mean.grad = log_var.grad = None
    torch.manual_seed(2)
    answer(mean, log_var, 20000).sum().backward()
    assert mean.grad is not None and log_var.grad is not None, "no gradient reaches mean and log_var"
    # d KL / d mean = mean; d KL / d log_var = (exp(log_var) - 1) / 2
    grad_error = max((mean.grad - mean.detach()).abs().max().item(),
                     (log_var.grad - 0.5 * (log_var.detach().exp() - 1)).abs().max().item())
    assert grad_error < 0.1, (f"the gradients are off by up to {grad_error:.3g}: "
                              "z must be mean + std * eps so that they flow through the sample")


# --- lesson 02: masking noise ----------------------------------------------------------

def mask_pixels(images: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Drop a random fraction ``p`` of the pixels (set them to 0), each pixel on its own."""
    keep = torch.rand(images.shape, generator=generator) >= p  # True with probability 1 - p
    return images * keep                                        # dropped pixels become 0


def _check_mask_pixels(answer: Callable[..., Any]) -> None:
    images = 0.1 + 0.9 * torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    original = images.clone()  # no pixel is 0 yet, so every 0 in the answer was dropped

    def call(p: float, seed: int) -> torch.Tensor:
        got = answer(images, p, torch.Generator().manual_seed(seed))
        assert isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}"
        assert torch.equal(images, original), "do not change `images` in place: return a new tensor"
        assert got.shape == images.shape, (
            f"return images of the input's shape {tuple(images.shape)}, got {tuple(got.shape)}")
        return got

    dropped = (call(0.5, 2) == 0).flatten(1)
    assert not torch.all(dropped == dropped[:, :1]), (
        "you dropped whole images: draw one random number per pixel")
    assert not torch.all(dropped == dropped[:1]), (
        "every image has the same mask: draw random numbers for the whole batch, shape images.shape")
    for p in (0.25, 0.5, 0.9, 0.0, 1.0):
        got = call(p, 1)
        dropped = got == 0
        if not torch.equal(got[~dropped], images[~dropped]):
            raise AssertionError(f"with p={p} some pixels that were not dropped changed: set the "
                                 "dropped pixels to 0 and keep the others exactly (no rescaling, "
                                 "unlike dropout)")
        fraction = dropped.float().mean().item()
        if abs(fraction - p) > 0.02:
            hint = ("you kept a fraction p and dropped the rest: drop a pixel with probability p"
                    if abs(fraction - (1 - p)) <= 0.02 else "drop each pixel with probability p")
            raise AssertionError(f"with p={p} you dropped {fraction:.0%} of the pixels; {hint}")
    a, b, c = call(0.5, 7), call(0.5, 7), call(0.5, 8)
    assert torch.equal(a, b) and not torch.equal(a, c), (
        "the same generator seed should give the same mask and another seed another one: "
        "draw the random numbers from it, torch.rand(..., generator=generator)")


EXERCISES: dict[str, Exercise] = {
    "01-pca-by-svd": Exercise(
        "01-pca-by-svd", "01_autoencoder_basics",
        "Write pca_reconstruct(train, test, k): centre with the training mean, take the top-k "
        "right singular vectors of the centred training data, project test onto them and map back.",
        _check_pca_reconstruct, pca_reconstruct),
    "10-lambda-for-a-cost-table": Exercise(
        "10-lambda-for-a-cost-table", "10_anomaly_detection",
        "Write choose_lambda(scores, is_anomaly, miss_cost, false_alarm_cost): the lambda (flag "
        "when score > lambda) whose misses and false alarms cost the least in total.",
        _check_choose_lambda, choose_lambda),
    "08-monte-carlo-kl": Exercise(
        "08-monte-carlo-kl", "08_vae",
        "Write kl_monte_carlo(mean, log_var, n_samples): draw z = mean + std * eps with the "
        "reparameterisation trick and average log q(z|x) - log p(z) over the samples, one number per row.",
        _check_kl_monte_carlo, kl_monte_carlo),
    "02-masking-noise": Exercise(
        "02-masking-noise", "02_denoising",
        "Write mask_pixels(images, p, generator): set each pixel to 0 with probability p, "
        "independently, drawing the random numbers from generator; keep the other pixels as they are.",
        _check_mask_pixels, mask_pixels),
}


def get(name: str) -> Exercise:
    """The exercise called ``name`` (see :data:`EXERCISES`)."""
    if name not in EXERCISES:
        raise KeyError(f"no exercise {name!r}; there are: {', '.join(EXERCISES)}")
    return EXERCISES[name]
