"""Lesson 04's data set (course.sprites): deterministic, and the factors match the pixels."""

import time

import numpy as np
import pytest
import torch

from course import sprites
from course.sprites import FACTOR_NAMES, FACTOR_SIZES, ROTATIONS_DEG, SCALES


@pytest.fixture(scope="module")
def data() -> sprites.Sprites:
    return sprites.generate(3000, seed=0)


def centroids(images: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Centre of mass (column, row) of each image, in pixel units (pixel i has centre i + 0.5)."""
    x = images[:, 0].double().numpy()
    coords = np.arange(x.shape[-1]) + 0.5
    mass = x.sum(axis=(1, 2))
    return (x.sum(1) @ coords) / mass, (x.sum(2) @ coords) / mass


def test_images_and_factors_have_the_documented_shapes_and_ranges(data):
    assert data.images.shape == (3000, 1, 32, 32) and data.images.dtype == torch.float32
    assert data.factors.shape == (3000, len(FACTOR_NAMES)) and data.factors.dtype == torch.int64
    assert data.images.min() >= 0 and data.images.max() <= 1
    for j, k in enumerate(FACTOR_SIZES):  # each factor uses its whole grid, roughly uniformly
        counts = torch.bincount(data.factors[:, j], minlength=k)
        assert len(counts) == k and counts.min() > 0.6 * len(data) / k
    border = torch.cat([data.images[..., 0, :], data.images[..., -1, :],
                        data.images[..., :, 0], data.images[..., :, -1]], dim=-1)
    assert border.max() == 0  # every shape stays inside the canvas
    assert (data.images > 0.5).flatten(1).sum(1).min() >= 10  # and is never a speck
    assert "3 shape x 5 scale x 8 rotation x 13 x x 4 y" in repr(data)


def test_the_same_seed_gives_the_same_images_and_another_seed_others():
    a, b, c = sprites.generate(500, seed=3), sprites.generate(500, seed=3), sprites.generate(500, seed=4)
    assert torch.equal(a.images, b.images) and torch.equal(a.factors, b.factors)
    assert not torch.equal(a.factors, c.factors)
    assert torch.equal(sprites.render(a.factors[7:9]), a.images[7:9])  # an image is its factors


def test_generating_thousands_of_images_is_fast():
    sprites.generate(100, seed=0)
    start = time.perf_counter()
    sprites.generate(6000, seed=1)
    assert time.perf_counter() - start < 1.5


def test_the_centre_of_mass_moves_with_x_and_y_and_with_nothing_else(data):
    cx, cy = centroids(data.images)
    values = sprites.factor_values(data.factors)
    # a shape's own centre of mass is offset from its position by an amount that depends on
    # shape, scale and rotation only: x and y translate the sprite exactly
    for offset, position in ((cx - values["x"], "x"), (cy - values["y"], "y")):
        same_sprite = data.factors[:, 0] * 1000 + data.factors[:, 1] * 100 + data.factors[:, 2]
        for key in torch.unique(same_sprite)[:20]:
            mine = offset[(same_sprite == key).numpy()]
            assert np.ptp(mine) < 1e-4, f"{position}: the same sprite moved by other than its position"
    assert np.corrcoef(cx, values["x"])[0, 1] > 0.95  # (the heart's own centre of mass is off-centre)
    assert np.corrcoef(cy, values["y"])[0, 1] > 0.95
    assert abs(np.corrcoef(cx, values["y"])[0, 1]) < 0.1
    grid = sprites.factor_values(torch.tensor([[0, 0, 0, i, i % 4] for i in range(13)]))
    assert np.allclose(np.diff(grid["x"]), 1.0)  # a whole pixel apart
    assert np.ptp(grid["x"]) == 12.0 and np.ptp(grid["y"]) == 3.0


def test_area_grows_with_the_square_of_scale():
    rows = torch.tensor([[shape, scale, 3, 4, 4] for shape in range(3) for scale in range(len(SCALES))])
    area = sprites.render(rows)[:, 0].sum(dim=(1, 2)).reshape(3, len(SCALES)).numpy()
    assert (np.diff(area, axis=1) > 0).all()
    ratio = area[:, -1] / area[:, 0]
    assert np.allclose(ratio, (SCALES[-1] / SCALES[0]) ** 2, rtol=0.08)


def test_the_ellipse_points_where_its_rotation_says():
    rows = torch.tensor([[1, 4, r, 3, 3] for r in range(len(ROTATIONS_DEG))])
    x = sprites.render(rows)[:, 0].double().numpy()
    coords = np.arange(32) + 0.5
    cols, rws = np.meshgrid(coords, coords)
    angles = []
    for img in x:
        m = img.sum()
        mx, my = (img * cols).sum() / m, (img * rws).sum() / m
        dx, dy = cols - mx, -(rws - my)  # y up, as in the factor's definition
        cxx, cyy, cxy = (img * dx * dx).sum(), (img * dy * dy).sum(), (img * dx * dy).sum()
        angles.append(np.degrees(0.5 * np.arctan2(2 * cxy, cxx - cyy)))
    assert np.allclose(angles, ROTATIONS_DEG, atol=3.0)  # counter-clockwise, in degrees


def test_shapes_differ_and_every_rotation_changes_the_pixels():
    rows = torch.tensor([[s, 4, r, 3, 3] for s in range(3) for r in range(len(ROTATIONS_DEG))])
    x = sprites.render(rows).flatten(1).reshape(3, len(ROTATIONS_DEG), -1)
    for s in range(3):
        assert torch.cdist(x[s], x[s]).fill_diagonal_(1e9).min() > 0.5
    assert torch.cdist(x[0], x[1]).min() > 0.5 and torch.cdist(x[1], x[2]).min() > 0.5
    heart = sprites.render(torch.tensor([[2, 4, 3, 3, 3]]))[0, 0]  # rotation -5°: nearly upright
    top, bottom = heart[:16].sum(), heart[16:].sum()
    assert top > bottom  # the two lobes are on top, the point at the bottom


def test_the_factors_change_the_pixels_by_clearly_different_amounts():
    variance = sprites.pixel_variance(n=1500, seed=0)
    assert list(variance) == list(FACTOR_NAMES) and min(variance.values()) > 0
    assert variance["x"] > 1.5 * variance["scale"] > 1.5 * 1.1 * variance["y"]
    assert sprites.pixel_variance(n=1500, seed=0) == variance


def test_split_and_describe():
    data = sprites.generate(100, seed=0)
    train, val, test = data.split(60, 10, 30)
    assert (len(train), len(val), len(test)) == (60, 10, 30)
    assert torch.equal(test.images, data.images[70:])
    with pytest.raises(ValueError, match="asked for 101"):
        data.split(100, 1)
    assert sprites.describe(torch.tensor([2, 0, 5, 3, 1])) == "heart, scale 0.5, rotation +15°, x 3, y 1"


def test_other_canvas_sizes_work_and_too_small_ones_are_refused():
    big = sprites.generate(50, seed=0, size=40)
    assert big.images.shape == (50, 1, 40, 40) and big.images[..., 0].max() == 0
    assert torch.equal(big.factors, sprites.generate(50, seed=0).factors)  # same factors, larger canvas
    with pytest.raises(ValueError, match="too small"):
        sprites.render(torch.zeros(1, 5, dtype=torch.int64), size=28)


def test_y_can_be_put_on_x_grid_and_then_moves_the_pixels_as_much_as_x():
    tied = sprites.generate(3000, seed=0, y_positions=sprites.X_POSITIONS)
    default = sprites.generate(3000, seed=0)
    assert tied.factor_sizes == (3, 5, 8, 13, 13) and default.factor_sizes == FACTOR_SIZES
    assert "13 x x 13 y" in repr(tied) and tied.split(100, 10)[1].y_positions == sprites.X_POSITIONS
    assert torch.equal(tied.factors[:, :4], default.factors[:, :4])  # only y is drawn differently
    assert torch.bincount(tied.factors[:, 4], minlength=13).min() > 0.6 * 3000 / 13
    border = torch.cat([tied.images[..., 0, :], tied.images[..., -1, :], tied.images[..., :, 0],
                        tied.images[..., :, -1]], dim=-1)
    assert border.max() == 0  # still inside the canvas
    cx, cy = centroids(tied.images)
    values = sprites.factor_values(tied.factors, y_positions=sprites.X_POSITIONS)
    assert np.ptp(values["y"][np.argsort(tied.factors[:, 4].numpy())]) == 12.0
    assert np.corrcoef(cy, values["y"])[0, 1] > 0.95 and abs(np.corrcoef(cx, values["y"])[0, 1]) < 0.1
    assert torch.equal(sprites.render(tied.factors[:5], y_positions=13), tied.images[:5])
    variance = sprites.pixel_variance(n=1500, seed=0, y_positions=sprites.X_POSITIONS)
    assert 0.8 < variance["y"] / variance["x"] < 1.25  # x and y now change the image alike
    with pytest.raises(ValueError, match="y_positions"):
        sprites.generate(10, y_positions=14)
