"""Lesson 02 (02_denoising): a hole the denoiser never saw, masking noise, why corruption
stops an autoencoder from copying."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise, explanation, prediction

LESSON = "02_denoising"


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


def _keep_p(images: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    return images * (torch.rand(images.shape, generator=generator) < p)


def _like_dropout(images: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    keep = torch.rand(images.shape, generator=generator) >= p
    return images * keep / max(1 - p, 1e-6)


def _one_mask_for_all(images: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    return images * (torch.rand(images.shape[1:], generator=generator) >= p)


EXERCISES = [
    prediction(
        "02-a-square-hole", LESSON,
        "The denoising autoencoder learned to fill in scattered missing pixels. Now a 12x12 square "
        "in the middle of each test digit is set to 0: one large hole, a kind of damage none of the "
        "models has seen. How much better than the damaged input itself does the best of PCA, the "
        "plain AE and the denoising AE score, in PSNR? (Worse counts as 'under 1 dB'.)",
        "under 1 dB",
        "On mnist5k at the defaults the best, the denoising autoencoder, gains about 0.3 dB, the plain "
        "one less, and PCA even loses a little. Scattered dropped pixels leave every stroke partly "
        "visible, and its neighbours say what is missing. A 12x12 hole removes whole pieces of strokes, "
        "often the part that tells one digit from another, and none of the three has learned to invent "
        "a missing middle: the denoising autoencoder learned to fill pin-holes, the noise it was "
        "trained on. To fill large holes, train with large holes (inpainting).",
        choices=("under 1 dB", "1 to 3 dB", "3 to 6 dB", "over 6 dB")),
    Exercise(
        "02-masking-noise", LESSON,
        "Write mask_pixels(images, p, generator): set each pixel to 0 with probability p, "
        "independently, drawing the random numbers from generator; keep the other pixels as they are.",
        _check_mask_pixels, mask_pixels, mistakes=(_keep_p, _like_dropout, _one_mask_for_all)),
    explanation(
        "02-why-no-copying", LESSON,
        "Lesson 01's autoencoder with a code wider than the image learned to copy whatever it was given. "
        "A denoising autoencoder with the same wide code does not. Why not?",
        [("copy", "copies", "copying", "identity"),
         ("noise", "noisy", "corrupt", "damage", "missing", "holes"),
         ("clean", "target", "structure", "what digits look like")],
        "Copying minimises the plain loss because the target is the input itself. In a denoising "
        "autoencoder the input is corrupted but the target is the clean image: a copy would "
        "reproduce the noise and pay for every damaged pixel, so the identity is no longer the "
        "best answer however wide the code. The only way to a low loss is to know what clean "
        "digits look like and redraw them, which is why denoising autoencoders can use codes "
        "wider than the input (Vincent et al., 2008, did) and still learn the structure of the data."),
]
