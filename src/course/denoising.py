"""Lesson 02's measuring and playing tools: PSNR against noise level, and a noise-level widget.

- :func:`psnr_sweep`: mean PSNR of several denoisers on the same noisy images, level by level
- :func:`psnr_curves`: those sweeps as one panel per noise model
- :func:`noise_explorer`: a slider for the noise level and a menu for the noise model;
  the noisy digits and every denoiser's output are redrawn live, with their PSNR

A *denoiser* is any function from images ``(N, C, H, W)`` to images of the same shape:
``lambda x: predict(model, x)`` for an autoencoder, a fitted ``PCAAutoencoder`` itself.
The noise models and PSNR are those of :mod:`course.noise`.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import ipywidgets as W
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from course.device import one_thread
from course.noise import LEVEL_NAMES, NOISES, corrupt, psnr
from course.plots import PALETTE, tile
from course.widgets import LessonWidget

Denoiser = Callable[[torch.Tensor], torch.Tensor]
NOISY = "noisy input"  # the row of a sweep that is the corrupted input itself, undenoised



def psnr_sweep(clean: torch.Tensor, denoisers: Mapping[str, Denoiser], kind: str,
               levels: Sequence[float], seed: int = 0) -> dict[str, list[float]]:
    """Mean PSNR (dB) over ``clean`` at each level, for the noisy input and each denoiser.

    Every denoiser sees the same noisy images (noise drawn with ``seed``), so the
    differences are the denoisers' alone. Returns ``{"noisy input": [...], name: [...]}``.
    """
    result: dict[str, list[float]] = {NOISY: [], **{name: [] for name in denoisers}}
    for level in levels:
        noisy = corrupt(clean, kind, level, seed)
        result[NOISY].append(psnr(clean, noisy).mean().item())
        for name, denoise in denoisers.items():
            result[name].append(psnr(clean, denoise(noisy)).mean().item())
    return result


def psnr_curves(levels: Sequence[float], sweeps: Mapping[str, Mapping[str, Sequence[float]]], *,
                trained_up_to: Mapping[str, float] | None = None,
                title: str = "PSNR against noise level (higher is better)") -> go.Figure:
    """One panel per noise model (``sweeps[kind][method]`` is a PSNR per level).

    ``trained_up_to`` marks, in each panel, the highest level a model was trained at.
    """
    kinds = list(sweeps)
    fig = make_subplots(rows=1, cols=len(kinds), shared_yaxes=True, subplot_titles=kinds,
                        horizontal_spacing=0.04)
    methods = list(dict.fromkeys(m for s in sweeps.values() for m in s))
    for col, kind in enumerate(kinds, start=1):
        for i, method in enumerate(methods):
            if method not in sweeps[kind]:
                continue
            fig.add_scatter(x=list(levels), y=list(sweeps[kind][method]), name=method,
                            mode="lines+markers", legendgroup=method, showlegend=col == 1,
                            line=dict(color=PALETTE[i % len(PALETTE)],
                                      dash="dot" if method == NOISY else "solid"),
                            row=1, col=col)
        if trained_up_to and kind in trained_up_to:
            fig.add_vline(x=trained_up_to[kind], line=dict(color="grey", dash="dash", width=1),
                          annotation_text="trained up to", annotation_position="top left",
                          annotation_font_size=10, row=1, col=col)
        fig.update_xaxes(title_text=LEVEL_NAMES.get(kind, "level"), tickvals=list(levels),
                         row=1, col=col)
    fig.update_yaxes(title_text="PSNR (dB)", row=1, col=1)
    fig.update_layout(title=title, height=440, width=300 * len(kinds) + 80,
                      legend=dict(orientation="h", yanchor="top", y=-0.22, x=0))
    return fig


def noise_explorer(images: torch.Tensor, denoisers: Mapping[str, Denoiser], *,
                   kinds: Sequence[str] | None = None, level: float = 0.5, max_level: float = 0.9,
                   seed: int = 0) -> LessonWidget:
    """A noise-level slider and a noise-model menu; the figure redraws the digits live.

    Rows: the clean ``images``, their noisy version, and each denoiser's output, each
    row titled with its mean PSNR over these images. The noise is drawn with ``seed``
    for every setting, so moving the slider back returns the same picture, and a higher
    level corrupts more of the same random field. The recomputation runs on one CPU
    thread; ``scripts/bench_02_slider.py`` times it (budget: 50 ms a move).
    """
    kinds = list(kinds or NOISES)
    names = ["clean", NOISY, *denoisers]
    fig = go.FigureWidget(make_subplots(rows=len(names), cols=1, subplot_titles=names,
                                        vertical_spacing=0.06))
    canvas = tile(images, columns=len(images))
    for row in range(1, len(names) + 1):
        fig.add_heatmap(z=canvas, colorscale="gray", zmin=0, zmax=1, showscale=False,
                        hoverinfo="skip", row=row, col=1)
        axis = "x" if row == 1 else f"x{row}"
        fig.update_yaxes(autorange="reversed", scaleanchor=axis, showticklabels=False, row=row, col=1)
        fig.update_xaxes(showticklabels=False, constrain="domain", row=row, col=1)
    height_px, width_px = canvas.shape
    fig.update_layout(width=max(420, 3 * width_px + 40), height=len(names) * (3 * height_px + 45) + 40,
                      margin=dict(l=10, r=10, t=40, b=10))
    menu = W.Dropdown(options=kinds, value=kinds[0], description="noise")
    slider = W.FloatSlider(value=level, min=0.0, max=max_level, step=0.05, description="level",
                           continuous_update=True, readout_format=".2f")

    @torch.no_grad()
    def redraw(_=None) -> None:
        with one_thread():  # a few images: faster on one thread (see one_thread)
            noisy = corrupt(images, menu.value, slider.value, seed)
            outputs = {NOISY: noisy, **{name: denoise(noisy) for name, denoise in denoisers.items()}}
        with fig.batch_update():
            for i, name in enumerate(names[1:], start=1):
                fig.data[i].z = tile(outputs[name], columns=len(images))
                fig.layout.annotations[i].text = f"{name}: {psnr(images, outputs[name]).mean():.1f} dB"
            fig.layout.title = (f"{menu.value}, {LEVEL_NAMES[menu.value]} = {slider.value:.2f} "
                                f"(PSNR: mean over these {len(images)} digits)")

    menu.observe(redraw, names="value")
    slider.observe(redraw, names="value")
    redraw()
    return LessonWidget(fig, [menu, slider])
