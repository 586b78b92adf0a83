"""The autoencoders of lesson 01, also the plain baselines of later lessons.

An autoencoder is two networks and a narrow middle::

    x  --encoder-->  z (the bottleneck, `bottleneck` numbers)  --decoder-->  x_hat

trained so that ``x_hat`` is close to ``x``. Every model here has the same three
methods, so lessons can swap them: ``encode(x) -> z``, ``decode(z) -> x_hat`` and
``forward(x) = decode(encode(x))``. Images are ``(N, C, H, W)`` in [0, 1].
"""

from __future__ import annotations

import math

import torch
from torch import nn


class Autoencoder(nn.Module):
    """What all autoencoders share: reconstruct the input through the bottleneck.

    A subclass builds two networks, ``self.encoder`` (image -> code) and
    ``self.decoder`` (code -> image); this class connects them.
    """

    encoder: nn.Module
    decoder: nn.Module

    def __init__(self, image_shape: tuple[int, int, int], bottleneck: int) -> None:
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.bottleneck = bottleneck

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(N, C, H, W)`` -> codes ``(N, bottleneck)``."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes ``(N, bottleneck)`` -> reconstructed images ``(N, C, H, W)``."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    @property
    def config(self) -> dict[str, object]:
        """What defines this model: it keys the checkpoint cache."""
        return {"image_shape": list(self.image_shape), "bottleneck": self.bottleneck}


class LinearAutoencoder(Autoencoder):
    """No nonlinearity at all: z = W x + b, x_hat = V z + c.

    Trained on squared error it finds the same subspace as PCA (lesson 01 shows why),
    so it is the bridge between PCA and the deep autoencoders.
    """

    def __init__(self, image_shape: tuple[int, int, int], bottleneck: int) -> None:
        super().__init__(image_shape, bottleneck)
        pixels = math.prod(image_shape)
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, bottleneck))
        self.decoder = nn.Sequential(nn.Linear(bottleneck, pixels), nn.Unflatten(1, tuple(image_shape)))


class MLPAutoencoder(Autoencoder):
    """Fully connected: pixels -> hidden layers -> z -> hidden layers -> pixels."""

    def __init__(self, image_shape: tuple[int, int, int], bottleneck: int,
                 hidden: tuple[int, ...] = (256, 64)) -> None:
        super().__init__(image_shape, bottleneck)
        self.hidden = tuple(hidden)
        sizes = [math.prod(image_shape), *hidden]
        down: list[nn.Module] = []
        for a, b in zip(sizes, sizes[1:]):
            down += [nn.Linear(a, b), nn.ReLU()]
        self.encoder = nn.Sequential(nn.Flatten(), *down, nn.Linear(sizes[-1], bottleneck))
        up: list[nn.Module] = [nn.Linear(bottleneck, sizes[-1])]
        for a, b in zip(sizes[::-1][:-1], sizes[::-1][1:]):
            up += [nn.ReLU(), nn.Linear(a, b)]
        self.decoder = nn.Sequential(*up, nn.Sigmoid(), nn.Unflatten(1, tuple(image_shape)))

    @property
    def config(self) -> dict[str, object]:
        return {**super().config, "hidden": list(self.hidden)}


class ConvAutoencoder(Autoencoder):
    """Convolutions see neighbouring pixels together; two stride-2 steps shrink 28x28 to 7x7.

    Encoder: conv (stride 2) -> conv (stride 2) -> linear to the bottleneck.
    Decoder: the mirror image, with transposed convolutions that double the size.
    Batch normalisation after the hidden convolutions (``batch_norm=True``) lets it train
    with a larger learning rate, so it gets further in the same seconds.
    Height and width must be divisible by 4 (28x28 and 8x8 both are).
    """

    def __init__(self, image_shape: tuple[int, int, int], bottleneck: int,
                 channels: tuple[int, int] = (32, 64), batch_norm: bool = True) -> None:
        super().__init__(image_shape, bottleneck)
        c, h, w = image_shape
        if h % 4 or w % 4:
            raise ValueError(f"ConvAutoencoder needs height and width divisible by 4, got {h}x{w}")
        c1, c2 = self.channels = tuple(channels)
        self.batch_norm = batch_norm
        norm = nn.BatchNorm2d if batch_norm else lambda _: nn.Identity()
        grid = (c2, h // 4, w // 4)
        self.encoder = nn.Sequential(
            nn.Conv2d(c, c1, 3, stride=2, padding=1), norm(c1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), norm(c2), nn.ReLU(),
            nn.Flatten(), nn.Linear(math.prod(grid), bottleneck),
        )
        self.decoder = nn.Sequential(
            nn.Linear(bottleneck, math.prod(grid)), nn.ReLU(), nn.Unflatten(1, grid),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), norm(c1), nn.ReLU(),
            nn.ConvTranspose2d(c1, c, 4, stride=2, padding=1), nn.Sigmoid(),
        )

    @property
    def config(self) -> dict[str, object]:
        return {**super().config, "channels": list(self.channels), "batch_norm": self.batch_norm}


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
