"""Lesson 09 (09_compression): JPEG's fixed cost, the rate of a code, why a learned codec fails on other data."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from course.entropy import FactorizedCoder, discrete_pmf
from course.exercises.core import Exercise, explanation, prediction

LESSON = "09_compression"


def noisy_bits(y: torch.Tensor, cdf: Callable[[torch.Tensor], torch.Tensor], training: bool) -> torch.Tensor:
    """Bits of each row of ``y`` under a density with CDF ``cdf``: noise while training, rounding otherwise."""
    if training:
        v = y + torch.rand_like(y) - 0.5      # uniform noise in [-0.5, 0.5): rounding's stand-in
    else:
        v = torch.round(y)                    # what is stored
    mass = cdf(v + 0.5) - cdf(v - 0.5)        # probability of the unit bin around each value
    return -torch.log2(mass.clamp_min(1e-9)).flatten(1).sum(1)


def _check_noisy_bits(answer: Callable[..., Any]) -> None:
    scale = 1.3
    cdf = lambda v: torch.sigmoid(v / scale)  # noqa: E731  a logistic density
    g = torch.Generator().manual_seed(9)
    y = torch.randn(6, 3, 4, generator=g) * 2
    got = answer(y.clone(), cdf, False)
    assert isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}"
    assert got.shape == (6,), f"return one number of bits per row: shape (6,), got {tuple(got.shape)}"
    want = noisy_bits(y, cdf, False)
    if not torch.allclose(got.float(), want, rtol=1e-4, atol=1e-3):
        rounded = torch.round(y)
        nats = -torch.log(cdf(rounded + 0.5) - cdf(rounded - 0.5)).flatten(1).sum(1)
        density = -torch.log2(torch.sigmoid(rounded / scale) * (1 - torch.sigmoid(rounded / scale)) / scale).flatten(1).sum(1)
        unrounded = -torch.log2(cdf(y + 0.5) - cdf(y - 0.5)).flatten(1).sum(1)
        hint = ("those are nats: use log2 for bits" if torch.allclose(got.float(), nats, rtol=1e-4) else
                "that is the density at the point, not the mass of [v - 0.5, v + 0.5]: use cdf(v + 0.5) - cdf(v - 0.5)"
                if torch.allclose(got.float(), density, rtol=1e-4) else
                "outside training round y first: the integers are what is stored"
                if torch.allclose(got.float(), unrounded, rtol=1e-4) else
                "each value costs -log2(cdf(v + 0.5) - cdf(v - 0.5)); sum over everything but the first dimension")
        raise AssertionError(f"without training the bits differ from the lesson's (by up to "
                             f"{(got.float() - want).abs().max():.3g}); {hint}")
    # the bits are what a real coder needs: ANS on the same table
    symbols = torch.round(y).long().flatten(1).numpy()
    pmf = discrete_pmf(lambda e: cdf(e)[None], -20, 20)
    coder = FactorizedCoder(pmf, -20, np.zeros(symbols.shape[1], dtype=np.int64))
    stream = 8 * len(coder.encode_stream(np.clip(symbols, -20, 20)))
    assert abs(stream - float(got.sum())) <= 0.02 * float(got.sum()) + 64, (
        "a real ANS coder needs a different number of bits for these values: check the bin edges")
    torch.manual_seed(0)
    first = answer(y.clone(), cdf, True)
    torch.manual_seed(1)
    second = answer(y.clone(), cdf, True)
    assert first.shape == (6,), "while training, too, return one number of bits per row"
    assert not torch.allclose(first, second), (
        "while training, add fresh uniform noise (torch.rand_like(y) - 0.5) each call: the result should vary")
    assert not torch.allclose(first, got.float()), "while training, do not round: add noise instead"
    many = float(answer(torch.zeros(1, 20000), cdf, True).sum()) / 20000
    torch.manual_seed(2)
    want = float(noisy_bits(torch.zeros(1, 20000), cdf, True).sum()) / 20000
    zero_bits = float(-torch.log2(cdf(torch.tensor(0.5)) - cdf(torch.tensor(-0.5))))
    assert many > zero_bits + 0.01, (
        "with noise, a zero costs more on average than the rounded zero: is the noise uniform in [-0.5, 0.5)?")
    assert abs(many - want) < 0.03, (
        f"a noisy zero should cost {want:.3f} bits on average, yours {many:.3f}: the noise should be "
        f"uniform in [-0.5, 0.5), {'not wider' if many > want else 'not narrower'}")


def _bits_in_nats(y, cdf, training):
    """A typical slip: natural logarithms, so the answer is in nats."""
    v = y + torch.rand_like(y) - 0.5 if training else torch.round(y)
    return -torch.log((cdf(v + 0.5) - cdf(v - 0.5)).clamp_min(1e-9)).flatten(1).sum(1)


def _bits_unrounded(y, cdf, training):
    """A typical slip: the code priced as it is, never rounded (nor noised)."""
    return -torch.log2((cdf(y + 0.5) - cdf(y - 0.5)).clamp_min(1e-9)).flatten(1).sum(1)


def _bits_noise_always(y, cdf, training):
    """A typical slip: noise added outside training too, where the stored integers are priced."""
    v = y + torch.rand_like(y) - 0.5
    return -torch.log2((cdf(v + 0.5) - cdf(v - 0.5)).clamp_min(1e-9)).flatten(1).sum(1)


EXERCISES = [
    prediction(
        "09-jpeg-one-digit", LESSON,
        "How many bytes is a Pillow JPEG file of one 28x28 digit at quality 1, header included?",
        "300 to 500",
        "About 370 bytes, of which about 330 are the fixed part (JFIF header, a quantisation table, "
        "two Huffman tables, frame and scan headers) and only about 40 code the digit. The fixed part "
        "alone is 3.4 bits per pixel: more than the whole of an autoencoder-coded digit.",
        choices=("under 100", "100 to 300", "300 to 500", "over 500")),
    Exercise(
        "09-bits-from-a-density", LESSON,
        "Write noisy_bits(y, cdf, training): while training add uniform noise in [-0.5, 0.5) to y, "
        "otherwise round it; each value v costs -log2(cdf(v + 0.5) - cdf(v - 0.5)) bits; return the "
        "bits of each row (sum over all dimensions but the first).",
        _check_noisy_bits, noisy_bits, mistakes=(_bits_in_nats, _bits_unrounded, _bits_noise_always)),
    explanation(
        "09-why-it-fails-inverted", LESSON,
        "Why does the codec that beat JPEG on digits lose to it on the same digits inverted (dark on light)?",
        [("learn", "train", "seen", "saw"), ("densit", "probab", "distribution", "prior", "bits", "rate"),
         ("decoder", "draw", "reconstruct")],
        "Everything the codec knows it learned from its training digits, white strokes on black. Its "
        "density gives high probability (few bits) to the codes such digits produce; the codes of an "
        "inverted digit are improbable under it, so they cost many more bits. And its decoder has only "
        "learned to draw strokes on a black background, so it cannot reconstruct a white page at any "
        "rate. JPEG assumes nothing about the content beyond smooth 8x8 blocks: inverting an image "
        "changes one number per block, so it codes inverted digits as well as the originals. A learned "
        "codec is only as good as the match between its training data and what it is given.")
]
