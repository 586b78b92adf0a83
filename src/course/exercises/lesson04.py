"""Lesson 04 (04_disentanglement): what a turned code knows, mutual information counted in a
table, why reconstruction does not measure disentanglement."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from course.exercises.core import Exercise, explanation, prediction

LESSON = "04_disentanglement"


def mutual_information_bits(a: np.ndarray, b: np.ndarray) -> float:
    """``I(a; b)`` in bits of two discrete variables, from ``N`` paired observations (any labels)."""
    _, a = np.unique(a, return_inverse=True)          # labels -> 0 .. n_a - 1
    _, b = np.unique(b, return_inverse=True)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)                     # count each pair of values
    joint /= joint.sum()                              # p(a, b)
    independent = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)  # p(a) p(b)
    seen = joint > 0                                  # pairs never seen add 0 (0 log 0 = 0)
    return float((joint[seen] * np.log2(joint[seen] / independent[seen])).sum())


def _check_mutual_information_bits(answer: Callable[..., Any]) -> None:
    def call(a: np.ndarray, b: np.ndarray, what: str) -> float:
        try:
            got = answer(a.copy(), b.copy())
        except (IndexError, ValueError) as error:
            raise AssertionError(
                f"on {what} your function raised {type(error).__name__}: {error}. The values are labels, "
                "not indices (they can be negative or far apart): turn them into 0 .. n-1 first, "
                "np.unique(values, return_inverse=True) does it") from None
        assert isinstance(got, (int, float, np.integer, np.floating)) and not isinstance(got, bool), (
            f"return the mutual information as one number, got {type(got).__name__}")
        return float(got)

    same = np.arange(4).repeat(25)
    got = call(same, same, "a variable with itself")
    if abs(got - 2.0) > 1e-6:
        hint = ("that is in nats: use log base 2 (np.log2) for bits" if abs(got - 2 * np.log(2)) < 1e-3
                else "a variable with itself shares all its entropy: p(a, b) is zero off the diagonal, "
                     "and sum p(a, b) log2(p(a, b) / (p(a) p(b))) gives H(a)")
        raise AssertionError(f"a variable uniform on 4 values, with itself, should give 2 bits, got {got:.4g}; {hint}")
    grid_a, grid_b = np.repeat(np.arange(4), 6), np.tile(np.arange(6), 4)  # every pair once
    got = call(grid_a, grid_b, "two independent variables")
    assert abs(got) < 1e-9, (f"every pair of values occurs equally often, so the two are independent and "
                             f"share 0 bits; got {got:.4g}. Divide the counts by N to get p(a, b); p(a) "
                             "and p(b) are its row and column sums")
    labels = np.array([-1, 7, 100, 7, -1, 100, 100, 7, -1, 7])
    got = call(labels, labels * 2 + 1, "labels -1, 7 and 100")
    want = mutual_information_bits(labels, labels)
    assert abs(got - want) < 1e-6, (f"with labels -1, 7 and 100 (a function of each other) the answer is "
                                    f"{want:.4f} bits, got {got:.4f}: treat values as labels, not indices")
    rng = np.random.default_rng(4)
    a = rng.integers(0, 5, 2000)
    b = np.where(rng.random(2000) < 0.6, a, rng.integers(0, 5, 2000)) + 10 * (rng.random(2000) < 0.3)
    got, want = call(a, b, "two related variables"), mutual_information_bits(a, b)
    if abs(got - want) > 1e-6:
        entropies = [mutual_information_bits(v, v) for v in (a, b)]
        hint = ("that is the entropy of one of them, not what they share" if min(abs(got - h) for h in entropies) < 1e-6
                else "compute sum over (a, b) of p(a, b) log2(p(a, b) / (p(a) p(b))), skipping pairs never seen")
        raise AssertionError(f"on two related variables the answer is {want:.4f} bits, got {got:.4f}; {hint}")
    assert abs(call(b, a, "the same pair, swapped") - want) < 1e-6, "I(a; b) = I(b; a): swapping them must not matter"


def _in_nats(a: np.ndarray, b: np.ndarray) -> float:
    return mutual_information_bits(a, b) * float(np.log(2))


def _labels_as_indices(a: np.ndarray, b: np.ndarray) -> float:
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    independent = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)
    seen = joint > 0
    return float((joint[seen] * np.log2(joint[seen] / independent[seen])).sum())


def _entropy_of_a(a: np.ndarray, b: np.ndarray) -> float:
    return mutual_information_bits(a, a)


def _counts_not_probabilities(a: np.ndarray, b: np.ndarray) -> float:
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)                     # forgot to divide by N
    independent = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)
    seen = joint > 0
    return float((joint[seen] * np.log2(joint[seen] / independent[seen])).sum())


EXERCISES = [
    prediction(
        "04-share-of-a-turned-code", LESSON,
        "x and y on the 13 x 13 grid, every position once, coded by z1 = x + y and z2 = x - y (the pure "
        "axes turned by 45°). What share of x does z1 alone pin down, counted as in the lesson "
        "(mutual information over the entropy of x, z1 cut into BINS = 20 bins)?",
        "about a fifth",
        "The table shows 0.18. Knowing x + y = 12 leaves x anywhere from 0 to 12; only the "
        "extreme sums (0 or 24) pin x down. So each number of a turned code knows a little of "
        "both factors and neither well, although the two together know both exactly: MIG, "
        "which asks for one number per factor, scores such a code near 0. The β-VAE trained "
        "with x and y on one grid ends close to this (\"What goes wrong\").",
        choices=("none of it", "about a fifth", "about half", "all of it")),
    Exercise(
        "04-mutual-information", LESSON,
        "Write mutual_information_bits(a, b): count the pairs of values in a table, turn it into "
        "p(a, b), and sum p(a, b) log2(p(a, b) / (p(a) p(b))) over the pairs seen.",
        _check_mutual_information_bits, mutual_information_bits,
        mistakes=(_in_nats, _labels_as_indices, _entropy_of_a, _counts_not_probabilities)),
    explanation(
        "04-reconstruction-is-not-disentanglement", LESSON,
        "The plain autoencoder reconstructs the sprites far better than the β-VAE, yet its MIG is a "
        "fraction of the β-VAE's. Why does better reconstruction not mean a better-organised code? "
        "Say what reconstruction cannot see, and what the β-VAE pays for its code.",
        [("rotat", "turn", "mix", "blend", "invertible", "any basis", "axes"),
         ("kl", "price", "charge", "cost", "penal", "β", "beta"),
         ("detail", "blur", "blob", "worse reconstruction", "reconstruction error", "higher error",
          "less information", "switched off", "switches off")],
        "Reconstruction only asks whether the decoder can redraw the image from the code, and "
        "any invertible mixing of the code (a rotation of its axes) serves the decoder exactly "
        "as well, so reconstruction cannot tell an entangled code from a disentangled one and "
        "gives the plain autoencoder no reason to choose. The β-VAE's KL term charges every "
        "number separately, with noise of its own, so a code whose numbers each hold one "
        "factor is cheaper; β = 12 makes the charge so high that it switches off most numbers "
        "and keeps too little information for the details (every shape becomes a blob). The "
        "two goals pull apart: here the β-VAE buys its organised code with reconstruction."),
]
