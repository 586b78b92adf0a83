"""Widgets tested headless: move the control as a learner would, check the figure's data."""

import numpy as np
import torch

from course import widgets
from course.data import Split
from course.models import ConvAutoencoder


def test_image_browser_shows_the_chosen_image(tiny_split):
    w = widgets.image_browser(tiny_split, [str(i) for i in range(10)])
    (slider,) = w.controls
    slider.value = 13
    assert np.array_equal(np.asarray(w.figure.data[0].z), tiny_split.images[13, 0].numpy())
    assert w.figure.layout.title.text == "image 13: label 3"
    assert "interactive widget" in repr(w)


def test_latent_explorer_redraws_the_decoded_image_and_moves_the_cross():
    torch.manual_seed(0)
    model = ConvAutoencoder((1, 8, 8), 2, channels=(4, 4)).eval()
    codes = torch.randn(50, 2)
    w = widgets.latent_explorer(model, codes, torch.arange(50) % 10, [str(i) for i in range(10)])
    marker, image = w.figure.data[-2], w.figure.data[-1]
    before = np.array(image.z)
    w.controls[0].value = w.controls[0].max
    w.controls[1].value = w.controls[1].min
    assert marker.x == (w.controls[0].value,) and marker.y == (w.controls[1].value,)
    expected = model.decode(torch.tensor([[w.controls[0].value, w.controls[1].value]]))[0, 0]
    assert np.allclose(np.array(image.z), expected.detach().numpy(), atol=1e-6)
    assert not np.allclose(np.array(image.z), before)


def test_lesson_widgets_carry_the_class_the_browser_tests_look_for(tiny_split):
    widget = widgets.image_browser(tiny_split, [str(i) for i in range(10)])
    assert widgets.LessonWidget.css_class in widget._dom_classes


def test_a_lesson_widgets_figure_has_no_mode_bar_over_its_title(tiny_split):
    # the browser tests check the page: no title of a lesson widget's figure under the bar
    widget = widgets.image_browser(tiny_split, [str(i) for i in range(10)])
    assert widget.figure._config["displayModeBar"] is False


def test_a_callback_that_raises_shows_its_error_in_the_widget_and_raises_on():
    import ipywidgets as W
    import plotly.graph_objects as go
    import pytest

    slider, seen = W.IntSlider(), []

    def redraw(change):
        seen.append(change["new"])
        if change["new"] == 3:
            raise ZeroDivisionError("no figure for 3")

    slider.observe(redraw, names="value")
    w = widgets.LessonWidget(go.FigureWidget(), [slider])
    assert w.error in w.children and widgets.LessonWidget.error_class in w.error._dom_classes
    slider.value = 1
    assert w.error.value == ""
    with pytest.raises(ZeroDivisionError):
        slider.value = 3
    assert "ZeroDivisionError" in w.error.value and "no figure for 3" in w.error.value
    slider.value = 2
    assert w.error.value == "", "a call that succeeds clears the message"
    slider.unobserve(redraw, names="value")
    slider.value = 3
    assert seen == [1, 3, 2], "unobserve still finds the wrapped callback"
