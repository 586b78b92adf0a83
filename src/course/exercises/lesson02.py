"""Lesson 02 (02_denoising): masking noise."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise


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


EXERCISES = [
    Exercise(
        "02-masking-noise", "02_denoising",
        "Write mask_pixels(images, p, generator): set each pixel to 0 with probability p, "
        "independently, drawing the random numbers from generator; keep the other pixels as they are.",
        _check_mask_pixels, mask_pixels),
]
