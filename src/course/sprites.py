"""Lesson 04's data: white shapes on black whose generative factors are known.

In the spirit of DeepMind's dSprites (Matthey et al., 2017), at a size a CPU can train
on in seconds. Every image is drawn from five factors, each on a discrete grid::

    shape     square, ellipse, heart
    scale     5 sizes, from half to full size
    rotation  8 angles from -35 to +35 degrees
    x         13 positions, a pixel apart
    y         4 positions, a pixel apart

>>> sprites = generate(6000, seed=0)        # random factor combinations, drawn with the seed
>>> sprites.images.shape                    # (6000, 1, 32, 32), float32 in [0, 1]
>>> sprites.factors[0]                      # tensor([2, 0, 5, 3, 1]): an index per factor
>>> describe(sprites.factors[0])            # 'heart, scale 0.5, rotation +15°, x 3, y 1'

The same seed gives the same images bit for bit. Rendering is NumPy with 4x4
supersampling, so edges are anti-aliased and a small rotation changes the pixels.
Rotations stay within ±35° because the square looks the same after 90° and the ellipse
after 180°: over a full turn, the rotation could not be read from the image.

The factors change the pixels by clearly different amounts (:func:`pixel_variance`): x
most, then scale, then y. That is on purpose. Two factors that change the image equally
much (x and y on the same grid, say) can be blended by any rotation of their plane and
explain the images just as well, so no model has a reason to prefer the pure axes (lesson 04).
``y_positions`` (of :func:`generate` and the functions below) draws that case: with
``y_positions=X_POSITIONS`` y moves on x's grid, and the two change the pixels alike::

>>> tied = generate(6000, seed=0, y_positions=X_POSITIONS)   # lesson 04's "What goes wrong"
>>> tied.factor_sizes                                          # (3, 5, 8, 13, 13)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

SHAPES = ("square", "ellipse", "heart")
FACTOR_NAMES = ("shape", "scale", "rotation", "x", "y")
SCALES = (0.5, 0.625, 0.75, 0.875, 1.0)
ROTATIONS_DEG = tuple(float(a) for a in np.linspace(-35, 35, 8))
X_POSITIONS = 13  # grid positions for x, a pixel apart
Y_POSITIONS = 4  # grid positions for y, a pixel apart: y moves a quarter as far as x
SIZE = 32  # pixels a side
RADIUS = 0.27  # half-size of a shape at scale 1, as a fraction of the canvas
SUPERSAMPLE = 4  # sub-pixels per pixel and axis: anti-aliased edges
FACTOR_SIZES = (len(SHAPES), len(SCALES), len(ROTATIONS_DEG), X_POSITIONS, Y_POSITIONS)


@dataclass(frozen=True)
class Sprites:
    """Images ``(N, 1, size, size)`` in [0, 1] and their factors ``(N, 5)``.

    ``factors[:, j]`` is an integer index into the grid of factor ``FACTOR_NAMES[j]``
    (0 .. ``FACTOR_SIZES[j] - 1``); :func:`factor_values` turns them into units.
    """

    images: torch.Tensor
    factors: torch.Tensor
    y_positions: int = Y_POSITIONS  # how many y positions the grid had (X_POSITIONS: x's grid)

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        """Grid sizes of the factors of these images (``FACTOR_SIZES`` unless y was changed)."""
        return factor_sizes(self.y_positions)

    def __len__(self) -> int:
        return len(self.factors)

    def __getitem__(self, index: slice | torch.Tensor) -> "Sprites":
        return Sprites(self.images[index], self.factors[index], self.y_positions)

    def split(self, *sizes: int) -> tuple["Sprites", ...]:
        """Consecutive parts of the given sizes (the order is already random): train, val, test."""
        if sum(sizes) > len(self):
            raise ValueError(f"asked for {sum(sizes)} images, there are {len(self)}")
        starts = np.cumsum((0, *sizes))
        return tuple(self[int(a):int(b)] for a, b in zip(starts, starts[1:]))

    def __repr__(self) -> str:
        n, c, h, w = self.images.shape
        grid = " x ".join(f"{k} {name}" for name, k in zip(FACTOR_NAMES, self.factor_sizes))
        return f"Sprites({n} images of {c}x{h}x{w}; factors: {grid})"


def factor_sizes(y_positions: int = Y_POSITIONS) -> tuple[int, ...]:
    """Grid sizes of the five factors when y has ``y_positions`` positions."""
    if not 1 <= y_positions <= X_POSITIONS:
        raise ValueError(f"y_positions must be 1 to {X_POSITIONS} (x's grid), got {y_positions}")
    return (*FACTOR_SIZES[:4], int(y_positions))


def _inside(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether points ``(u, v)`` in the shape's own frame (unit circle around it) are inside.

    ``v`` points up. Each shape fits in the unit circle, so none leaves the canvas.
    """
    if shape == 0:  # a square with its corners on the unit circle
        return np.maximum(np.abs(u), np.abs(v)) <= 0.7071
    if shape == 1:  # an ellipse twice as wide as high
        return u ** 2 + (v / 0.5) ** 2 <= 1.0
    # a heart: (x² + y² - 1)³ - x² y³ <= 0, which spans about x in ±1.14, y in -1 .. 1.25
    x, y = u * 1.33, v * 1.33 + 0.15
    return (x ** 2 + y ** 2 - 1.0) ** 3 - x ** 2 * y ** 3 <= 0.0


def _geometry(size: int, y_positions: int = Y_POSITIONS) -> tuple[int, int, int]:
    """Half-width of a sprite's patch and the first x and y positions, in pixels.

    Positions are whole pixels apart, so each (shape, scale, rotation) is drawn once and
    pasted at every position: the same sprite, moved, is exactly the same pixels.
    """
    half = int(np.ceil(RADIUS * size)) + 1
    first_x = (size - (X_POSITIONS - 1)) // 2
    first_y = (size - (factor_sizes(y_positions)[4] - 1)) // 2
    if min(first_x, first_y) < half:
        raise ValueError(f"a {size}x{size} canvas is too small for {X_POSITIONS} x positions")
    return half, first_x, first_y


def _sprite(shape: int, scale: float, rotation_deg: float, half: int, radius: float) -> np.ndarray:
    """One anti-aliased sprite, centred in a ``(2 half, 2 half)`` patch: the share of each
    pixel's ``SUPERSAMPLE x SUPERSAMPLE`` sub-pixels that lie inside the shape."""
    s = SUPERSAMPLE
    sub = (np.arange(2 * half * s) + 0.5) / s - half  # sub-pixel centres, pixels from the centre
    dx, dy = sub[None, :] / (scale * radius), -sub[:, None] / (scale * radius)  # shape units, y up
    a = np.deg2rad(rotation_deg)
    u, v = np.cos(a) * dx + np.sin(a) * dy, -np.sin(a) * dx + np.cos(a) * dy  # rotate by -angle
    inside = _inside(shape, u, v)
    return inside.reshape(2 * half, s, 2 * half, s).mean(axis=(1, 3)).astype(np.float32)


def render(factors: np.ndarray | torch.Tensor, size: int = SIZE, y_positions: int = Y_POSITIONS) -> torch.Tensor:
    """Draw one image per row of factor indices ``(N, 5)``: ``(N, 1, size, size)`` float32.

    ``y_positions`` is the size of the y grid the indices refer to (centred on the canvas).

    Each (shape, scale, rotation) in the rows is drawn once, then pasted at the rows'
    positions with one indexed assignment: thousands of images in a fraction of a second.
    """
    f = np.asarray(factors, dtype=np.int64).reshape(-1, len(FACTOR_NAMES))
    half, first_x, first_y = _geometry(size, y_positions)
    look = np.ravel_multi_index((f[:, 0], f[:, 1], f[:, 2]), FACTOR_SIZES[:3])
    needed, which = np.unique(look, return_inverse=True)
    sprites = np.stack([_sprite(sh, SCALES[sc], ROTATIONS_DEG[ro], half, RADIUS * size)
                        for sh, sc, ro in zip(*np.unravel_index(needed, FACTOR_SIZES[:3]))])
    offsets = np.arange(2 * half)
    top = first_y + f[:, 4] - half  # row of the patch's first pixel
    left = first_x + f[:, 3] - half
    out = np.zeros((len(f), size, size), dtype=np.float32)
    out[np.arange(len(f))[:, None, None], (top[:, None] + offsets)[:, :, None],
        (left[:, None] + offsets)[:, None, :]] = sprites[which.reshape(-1)]
    return torch.from_numpy(out).unsqueeze(1)


def _positions(size: int, y_positions: int = Y_POSITIONS) -> tuple[np.ndarray, np.ndarray]:
    """Centres (pixels from the left edge, from the top edge) of the x and y grids."""
    _, first_x, first_y = _geometry(size, y_positions)
    return (np.arange(first_x, first_x + X_POSITIONS, dtype=np.float32),
            np.arange(first_y, first_y + y_positions, dtype=np.float32))


def random_factors(n: int, seed: int = 0, y_positions: int = Y_POSITIONS) -> torch.Tensor:
    """``n`` factor combinations ``(n, 5)``, each factor uniform on its grid, independent."""
    rng = np.random.default_rng(seed)
    return torch.from_numpy(np.stack([rng.integers(0, k, n) for k in factor_sizes(y_positions)], axis=1))


def generate(n: int, *, seed: int = 0, size: int = SIZE, y_positions: int = Y_POSITIONS) -> Sprites:
    """``n`` images with random factors drawn with ``seed``: the same seed, the same images.

    ``y_positions``: how many positions, a pixel apart, y takes (default 4, a quarter of
    x's 13 positions; ``X_POSITIONS`` puts x and y on the same grid).
    """
    factors = random_factors(n, seed, y_positions)
    return Sprites(render(factors, size, y_positions), factors, y_positions)


def factor_values(factors: torch.Tensor, size: int = SIZE, y_positions: int = Y_POSITIONS) -> dict[str, np.ndarray]:
    """Factor indices ``(N, 5)`` in their units: shape name, scale, degrees, pixel centres
    (x from the left edge, y from the top edge: a higher y is lower in the image)."""
    f = np.asarray(factors, dtype=np.int64)
    xs, ys = _positions(size, y_positions)
    return {"shape": np.asarray(SHAPES)[f[:, 0]], "scale": np.asarray(SCALES)[f[:, 1]],
            "rotation": np.asarray(ROTATIONS_DEG)[f[:, 2]], "x": xs[f[:, 3]], "y": ys[f[:, 4]]}


def pixel_variance(n: int = 3000, seed: int = 0, y_positions: int = Y_POSITIONS) -> dict[str, float]:
    """How much each factor changes the pixels: half the mean squared difference between
    ``n`` random images and the same images with that one factor drawn again.

    That is the variance of the pixels (summed over pixels) when only this factor
    changes and the others stay where they are, averaged over where they are.
    """
    sizes = factor_sizes(y_positions)
    factors = random_factors(n, seed, y_positions).numpy()
    rng = np.random.default_rng([seed, 1])
    images = render(factors, y_positions=y_positions).flatten(1)
    out = {}
    for j, name in enumerate(FACTOR_NAMES):
        other = factors.copy()
        other[:, j] = rng.integers(0, sizes[j], n)
        out[name] = float((images - render(other, y_positions=y_positions).flatten(1)).pow(2).sum(1).mean() / 2)
    return out


def describe(factors: torch.Tensor | np.ndarray) -> str:
    """One image's factors in words, e.g. ``'heart, scale 0.5, rotation +15°, x 3, y 1'``."""
    shape, scale, rotation, x, y = (int(v) for v in np.asarray(factors).reshape(-1))
    return (f"{SHAPES[shape]}, scale {SCALES[scale]:g}, rotation {ROTATIONS_DEG[rotation]:+.0f}°, "
            f"x {x}, y {y}")
