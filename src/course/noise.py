"""Noise models and the denoising objective of lesson 02 (the denoising autoencoder).

Each noise model takes clean images ``(N, C, H, W)`` in [0, 1], a level, and a source of
randomness (a ``torch.Generator``, an integer seed, or ``None`` for torch's global one),
and returns corrupted images of the same shape, still in [0, 1]:

- :func:`gaussian`: add N(0, sigma²) to every pixel, clip to [0, 1];
- :func:`masking`: set a random fraction ``p`` of the pixels to 0 (lesson 03: BERT
  masks words the same way);
- :func:`salt_and_pepper`: set a random fraction ``p`` of the pixels to 0 or 1, half each.

A level is a number, or one number per image (a tensor of shape ``(N,)``). The same
seed gives the same random field at every level, so a sweep over levels changes only
how much of it is used. :func:`psnr` measures how close a picture is to the clean one,
per image, in decibels. :class:`DenoisingLoss` is what ``course.train.fit`` minimises
to train a denoising autoencoder: corrupt the batch, reconstruct the *clean* images.
"""

from __future__ import annotations

from typing import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from course.params import Rule, number

Randomness = torch.Generator | int | None
Level = float | torch.Tensor
NoiseFn = Callable[[torch.Tensor, Level, Randomness], torch.Tensor]


def _draw(images: torch.Tensor, generator: Randomness, sample: Callable[..., torch.Tensor]) -> torch.Tensor:
    """``sample`` (torch.rand or torch.randn) shaped like ``images``, from ``generator``, on their device."""
    if generator is None:
        return sample(images.shape, device=images.device)
    if isinstance(generator, int):
        generator = torch.Generator().manual_seed(generator)
    return sample(images.shape, generator=generator, device=generator.device).to(images.device)


def _uniform(images: torch.Tensor, generator: Randomness) -> torch.Tensor:
    """U[0, 1) numbers shaped like ``images``."""
    return _draw(images, generator, torch.rand)


def _normal(images: torch.Tensor, generator: Randomness) -> torch.Tensor:
    """N(0, 1) numbers shaped like ``images``."""
    return _draw(images, generator, torch.randn)


def _per_image(level: Level, images: torch.Tensor) -> torch.Tensor | float:
    """A number as is; one number per image reshaped to broadcast over ``(N, C, H, W)``."""
    if isinstance(level, torch.Tensor):
        if level.shape != (len(images),):
            raise ValueError(f"one level per image needs shape ({len(images)},), got {tuple(level.shape)}")
        return level.to(images.device, images.dtype).view(-1, *([1] * (images.dim() - 1)))
    return float(level)


def gaussian(images: torch.Tensor, sigma: Level, generator: Randomness = None) -> torch.Tensor:
    """Add Gaussian noise of standard deviation ``sigma`` to every pixel, clip to [0, 1]."""
    noise = _normal(images, generator)
    return (images + _per_image(sigma, images) * noise).clamp(0, 1)


def masking(images: torch.Tensor, p: Level, generator: Randomness = None) -> torch.Tensor:
    """Drop a random fraction ``p`` of the pixels: set them to 0, keep the rest as they are."""
    keep = _uniform(images, generator) >= _per_image(p, images)
    return images * keep


def salt_and_pepper(images: torch.Tensor, p: Level, generator: Randomness = None) -> torch.Tensor:
    """Replace a random fraction ``p`` of the pixels by 0 (pepper) or 1 (salt), half each."""
    u = _uniform(images, generator)
    p = _per_image(p, images)
    hit, salt = u < p, u < p / 2  # salt is the lower half of the hits
    return torch.where(hit, salt.to(images.dtype), images)


NOISES: dict[str, NoiseFn] = {"gaussian": gaussian, "masking": masking,
                              "salt and pepper": salt_and_pepper}
"""The noise models by name, in the order lessons show them."""

LEVEL_NAMES: dict[str, str] = {"gaussian": "sigma", "masking": "p", "salt and pepper": "p"}
"""What the level of each noise model means: a standard deviation or a fraction of pixels."""


def corrupt(images: torch.Tensor, kind: str, level: Level, generator: Randomness = None) -> torch.Tensor:
    """``NOISES[kind](images, level, generator)``, with a clear error for an unknown kind."""
    if kind not in NOISES:
        raise KeyError(f"no noise model {kind!r}; there are: {', '.join(NOISES)}")
    return NOISES[kind](images, level, generator)


def noise_mix() -> Rule:
    """What a lesson's noise-mix parameter accepts (e.g. ``TRAIN_NOISE`` of lesson 02).

    A dict from noise models (names in :data:`NOISES`) to their highest level, in (0, 1].
    """
    level = number(min=1e-3, max=1.0)
    return Rule(f"a dict from noise models ({', '.join(map(repr, NOISES))}) to levels in (0, 1]",
                lambda v: isinstance(v, dict) and len(v) > 0
                and all(k in NOISES and level(x) for k, x in v.items()))


def psnr(clean: torch.Tensor, other: torch.Tensor, max_value: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio of each image in dB: ``10 log10(max² / MSE)``, shape ``(N,)``.

    Higher is closer to ``clean``; +6 dB halves the root-mean-square error. An exact copy
    would be infinitely good: its MSE is floored at 1e-10, i.e. 100 dB for pixels in [0, 1].
    """
    mse = ((clean.float() - other.float()) ** 2).flatten(1).mean(1)
    return 10 * torch.log10(max_value ** 2 / mse.clamp_min(1e-10))


class DenoisingLoss:
    """Lesson 02's objective: the input is corrupted, the target stays clean.

    ``noises`` maps noise models (names in :data:`NOISES`) to the highest level to train
    at. Each image of each batch gets one of them at random and a level drawn uniformly
    between 0 and that maximum, so one model learns to undo them all. Use it as
    ``fit(model, images, loss_fn=DenoisingLoss({"gaussian": 0.7}), ...)``.
    """

    def __init__(self, noises: Mapping[str, float], seed: int = 0) -> None:
        unknown = set(noises) - set(NOISES)
        if not noises or unknown:
            raise ValueError(f"give at least one noise model from {list(NOISES)}, got {list(noises)}")
        self.noises = dict(noises)
        self.seed = seed
        self._generator: torch.Generator | None = None

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        """Each image gets a random noise model from ``self.noises`` at a random level."""
        if self._generator is None or self._generator.device != x.device:
            self._generator = torch.Generator(device=x.device).manual_seed(self.seed)
        g, n = self._generator, len(x)
        kinds = list(self.noises)
        which = torch.randint(len(kinds), (n,), generator=g, device=x.device)
        top = torch.tensor([self.noises[k] for k in kinds], device=x.device)[which]
        level = torch.rand(n, generator=g, device=x.device) * top
        noisy = x
        for i, kind in enumerate(kinds):
            chosen = (which == i).view(-1, 1, 1, 1)
            noisy = torch.where(chosen, NOISES[kind](x, level, g), noisy)
        return noisy

    def __call__(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(model(self.corrupt(x)), x)  # noisy in, clean out

    def __repr__(self) -> str:
        return f"DenoisingLoss(noises={self.noises!r}, seed={self.seed})"
