import pytest
import torch

from course import plots
from course.train import History


def test_image_grid_is_one_picture_with_a_label_per_row():
    fig = plots.image_grid({"input": torch.rand(5, 1, 8, 8), "output": torch.rand(5, 1, 8, 8)},
                           title="t")
    assert len(fig.data) == 1 and fig.data[0].type == "image"
    assert list(fig.layout.yaxis.ticktext) == ["input", "output"]
    assert fig.data[0].source.startswith("data:image/png;base64,")


def test_image_grid_fits_its_plot_to_the_images_and_wraps_a_long_title_to_its_width():
    title = "β-VAE, y on 13 positions: one latent number at a time, from square, scale 0.5, x 2, y 3"
    fig = plots.image_grid({f"z{j}": torch.rand(9, 1, 32, 32) for j in range(3)}, title=title, cell_px=36)
    margin = fig.layout.margin
    grid_w, grid_h = (9 * 34 - 2) * 36 / 32, (3 * 34 - 2) * 36 / 32  # 2-pixel gaps between the images
    assert fig.layout.width == int(margin.l + margin.r + grid_w)  # no band left for the image to shrink into
    assert fig.layout.height == int(margin.t + margin.b + grid_h)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) > 1 and " ".join(lines) == title
    assert all(len(line) * plots.TITLE_CHAR_PX <= fig.layout.width - margin.l for line in lines)
    assert margin.t >= plots.TITLE_LINE_PX * len(lines)
    short = plots.image_grid({"a": torch.rand(12, 1, 28, 28)}, title="test images")
    assert short.layout.title.text == "test images"


def test_image_grid_rows_must_match():
    with pytest.raises(ValueError, match="same number"):
        plots.image_grid({"a": torch.rand(2, 1, 8, 8), "b": torch.rand(3, 1, 8, 8)})


def test_tile_places_images_left_to_right_then_down():
    images = torch.stack([torch.full((1, 2, 2), v) for v in (0.0, 1.0, 0.25)])
    canvas = plots.tile(images, columns=2, gap=1)
    assert canvas.shape == (5, 5)
    assert canvas[0, 0] == 0.0 and canvas[0, 3] == 1.0 and canvas[3, 0] == 0.25
    assert canvas[3, 3] == 0.5  # empty slot


def test_loss_curves_draw_train_and_val():
    h = History(train_loss=[3.0, 2.0], val_loss=[3.5, 2.5])
    fig = plots.loss_curves({"a": h, "b": History(train_loss=[1.0])})
    assert [t.name for t in fig.data] == ["a train", "a val", "b train"]
    assert fig.data[1].line.dash == "dash"


def test_latent_scatter_has_one_trace_per_class():
    fig = plots.latent_scatter(torch.randn(30, 2), torch.arange(30) % 3, ["x", "y", "z"])
    assert [t.name for t in fig.data] == ["x", "y", "z"]
    assert sum(len(t.x) for t in fig.data) == 30


def test_line_chart():
    fig = plots.line_chart([2, 8], {"PCA": [0.5, 0.2], "AE": [0.4, 0.1]}, x_title="k", y_title="mse", log_x=True)
    assert len(fig.data) == 2 and fig.layout.xaxis.type == "log"


def test_table_renders_html_and_text():
    t = plots.Table([{"k": 2, "mse": 0.123456}, {"k": 32, "mse": 0.00001}], caption="cap")
    assert "<th>mse</th>" in t._repr_html_() and "<caption>cap</caption>" in t._repr_html_()
    text = repr(t).splitlines()
    assert text[0] == "cap" and text[1].split() == ["k", "mse"]
    assert "0.1235" in text[3] and "1e-05" in text[4]
