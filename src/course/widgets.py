"""Interactive widgets: sliders that redraw a figure in place.

- :func:`image_browser`: step through a data set (lesson 00 introduces widgets with it)
- :func:`latent_explorer`: move a point through a 2-D latent space and watch the decoder draw it (lesson 01)

Each returns a :class:`LessonWidget` (an ``ipywidgets.VBox``) whose figure is a plotly
``FigureWidget`` updated with ``batch_update``, so a slider move changes the data of the
figure that is already on the page instead of redrawing the output. A widget lives
only while its kernel runs: notebooks built by ``make notebooks`` show a picture of its
figure as it starts where the widget was (see :mod:`course.static`).
"""

from __future__ import annotations

import html
import traceback
from typing import Sequence

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from course import figure_widget, static
from course.data import Split
from course.models import Autoencoder
from course.plots import PALETTE

figure_widget.install()  # every FigureWidget loads so that a busy machine cannot leave it empty


class LessonWidget(W.VBox):
    """A VBox that keeps its figure and controls at hand for code and tests.

    On the page it carries the CSS class ``course-lesson-widget``, which the browser
    tests (``tests/test_browser.py``) use to find each lesson's controls and figure.

    A callback of one of its controls that raises shows its error under the figure
    (``self.error``, CSS class ``course-widget-error``) and raises it on: ipywidgets runs
    the callback of a control moved in the page outside any cell, where its error would
    otherwise reach only the kernel's log, and the figure would just stop changing.
    The next call that succeeds clears the message.

    Its figure shows no mode bar: plotly puts the bar over the top of the figure, where a
    widget's title is often its readout ("image 3: label 7"). Dragging still zooms, and a
    double click zooms back out.
    """

    css_class = "course-lesson-widget"
    error_class = "course-widget-error"

    def __init__(self, figure: go.FigureWidget, controls: Sequence[W.Widget], **kwargs) -> None:
        self.error = W.HTML("")
        self.error.add_class(self.error_class)
        super().__init__([W.HBox(list(controls)), figure, self.error], **kwargs)
        self.add_class(self.css_class)
        self.figure = figure
        figure._config = {**figure._config, "displayModeBar": False}
        self.controls = list(controls)
        for control in self.controls:
            _show_errors(control, self.error)

    def __repr__(self) -> str:
        return "[interactive widget: run this notebook in JupyterLab to use it]"

    @property
    def _ipython_display_(self):
        """While ``make notebooks`` runs: show the widget with a picture of its figure.

        A saved notebook keeps no widget state, so that figure (as it is when its cell
        ends, with a PNG twin, :mod:`course.static`) is what a reader without a kernel
        sees in its place. Otherwise there is no such method and IPython shows the widget
        as ipywidgets does.
        """
        if not static.snapshots_wanted():
            raise AttributeError("_ipython_display_")
        return lambda: static.display_with_snapshot(super(LessonWidget, self)._repr_mimebundle_(),
                                                    self.figure)


class _ShowingErrors:
    """A control's callback that, when it raises, shows the error in ``box`` and raises on.

    Equal to the callback it wraps, so ``control.unobserve(callback)`` still finds it.
    """

    def __init__(self, callback, box: W.HTML) -> None:
        self.callback, self.box = callback, box

    def __call__(self, *args):
        try:
            result = self.callback(*args)
        except Exception as error:
            self.box.value = (f"<pre style='color:#b00020;white-space:pre-wrap'>This control's callback "
                              f"raised {html.escape(type(error).__name__)}:\n"
                              f"{html.escape(traceback.format_exc(limit=-8))}</pre>")
            raise
        if self.box.value:
            self.box.value = ""
        return result

    def __eq__(self, other: object) -> bool:
        wrapped = other.callback if isinstance(other, _ShowingErrors) else other
        return self.callback == wrapped

    def __hash__(self) -> int:
        return hash(self.callback)


def _show_errors(control: W.Widget, box: W.HTML) -> None:
    """Wrap the callbacks observing ``control`` (but ipywidgets' own) in :class:`_ShowingErrors`."""
    for kinds in control._trait_notifiers.values():
        for handlers in kinds.values():
            handlers[:] = [h if isinstance(h, _ShowingErrors)
                           or getattr(h, "__module__", "").startswith(("ipywidgets", "traitlets"))
                           else _ShowingErrors(h, box) for h in handlers]


def _image_trace(image: torch.Tensor) -> go.Heatmap:
    return go.Heatmap(z=image.squeeze(0).numpy(), colorscale="gray", zmin=0, zmax=1,
                      showscale=False, hoverinfo="skip")


def _image_axes(fig: go.FigureWidget, x_axis: str = "x", **where) -> None:
    """Axes for an image: square pixels, row 0 at the top, no tick labels."""
    fig.update_yaxes(autorange="reversed", scaleanchor=x_axis, showticklabels=False, **where)
    fig.update_xaxes(showticklabels=False, constrain="domain", **where)


def image_browser(split: Split, classes: Sequence[str]) -> LessonWidget:
    """A slider over the images of a split; the figure shows the image and its label."""
    fig = go.FigureWidget(data=[_image_trace(split.images[0])])
    _image_axes(fig)
    fig.update_layout(width=320, height=340, margin=dict(l=10, r=10, t=40, b=10))
    slider = W.IntSlider(value=0, min=0, max=len(split) - 1, description="image",
                         continuous_update=True)

    def show(index: int) -> None:
        with fig.batch_update():
            fig.data[0].z = split.images[index].squeeze(0).numpy()
            fig.layout.title = f"image {index}: label {classes[int(split.labels[index])]}"

    slider.observe(lambda change: show(change["new"]), names="value")
    show(0)
    return LessonWidget(fig, [slider])


def latent_explorer(model: Autoencoder, codes: torch.Tensor, labels: torch.Tensor,
                    classes: Sequence[str], max_points: int = 1500) -> LessonWidget:
    """Two sliders pick a point z of a 2-D latent space; the decoder draws ``decode(z)``.

    Left: the codes of real images, coloured by label, and the chosen point (a cross).
    Right: what the decoder makes of that point, including points no image maps to.
    """
    z, y = codes[:max_points].numpy(), labels[:max_points].numpy()
    low, high = np.percentile(z, 1, axis=0), np.percentile(z, 99, axis=0)
    device = next(model.parameters()).device
    fig = go.FigureWidget(make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4],
                                        subplot_titles=("codes of test images", "decode(z)")))
    for c, name in enumerate(classes):
        keep = y == c
        fig.add_scattergl(x=z[keep, 0], y=z[keep, 1], mode="markers", name=name, row=1, col=1,
                          marker=dict(size=4, color=PALETTE[c % len(PALETTE)], opacity=0.5))
    fig.add_scatter(x=[0.0], y=[0.0], mode="markers", name="z", row=1, col=1, showlegend=False,
                    marker=dict(symbol="x", size=14, color="black"))
    fig.add_trace(_image_trace(torch.zeros(model.image_shape)), row=1, col=2)
    _image_axes(fig, x_axis="x2", row=1, col=2)
    fig.update_layout(height=420, width=820, margin=dict(l=10, r=10, t=40, b=10))
    sliders = [W.FloatSlider(value=float((lo + hi) / 2), min=float(lo), max=float(hi),
                             step=float((hi - lo) / 100), description=f"z[{i}]",
                             continuous_update=True, readout_format=".2f")
               for i, (lo, hi) in enumerate(zip(low, high))]
    marker, image = fig.data[-2], fig.data[-1]

    @torch.no_grad()
    def redraw(_=None) -> None:
        point = torch.tensor([[s.value for s in sliders]], dtype=torch.float32, device=device)
        decoded = model.decode(point).float().cpu()[0, 0].clamp(0, 1).numpy()
        with fig.batch_update():
            marker.x, marker.y = [sliders[0].value], [sliders[1].value]
            image.z = decoded

    for s in sliders:
        s.observe(redraw, names="value")
    redraw()
    return LessonWidget(fig, sliders)
