"""Rate-distortion curves: compare codecs at equal rate or equal quality. Lesson 09.

A codec's operating points (from :func:`course.codec.measure`: ``bpp``, ``psnr``, ``ssim``,
``bytes``) form a curve; only the points that no other point of the same codec beats
(fewer bits *and* higher PSNR) count (:func:`frontier`). Curves are read by linear
interpolation between neighbouring points, never beyond the measured range (``nan``
there), so a comparison is made only where both codecs were measured:

>>> at_rate(points_ae, 0.5)                 # PSNR of the autoencoder at 0.5 bits per pixel
>>> rate_at(points_jpeg, 22.0)              # bits per pixel JPEG needs for 22 dB
"""

from __future__ import annotations

from typing import Mapping, Sequence

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from course.plots import PALETTE
from course.widgets import LessonWidget

Point = Mapping[str, float]


def frontier(points: Sequence[Point], quality: str = "psnr") -> list[Point]:
    """The points no other point beats: sorted by rate, each of higher ``quality`` than all cheaper ones."""
    best: list[Point] = []
    for p in sorted(points, key=lambda p: (p["bpp"], -p[quality])):
        if not best or p[quality] > best[-1][quality]:
            best.append(p)
    return best


def at_rate(points: Sequence[Point], bpp: float, key: str = "psnr") -> float:
    """``key`` (PSNR, SSIM, ...) of the PSNR frontier at ``bpp`` bits per pixel; ``nan`` outside it."""
    f = frontier(points)
    rates = [p["bpp"] for p in f]
    if not f or bpp < rates[0] or bpp > rates[-1]:
        return float("nan")
    return float(np.interp(bpp, rates, [p[key] for p in f]))


def rate_at(points: Sequence[Point], psnr: float) -> float:
    """Bits per pixel the codec needs for ``psnr`` dB (on its frontier); ``nan`` outside it."""
    f = frontier(points)
    quality = [p["psnr"] for p in f]
    if not f or psnr < quality[0] or psnr > quality[-1]:
        return float("nan")
    return float(np.interp(psnr, quality, [p["bpp"] for p in f]))


def savings(points: Sequence[Point], reference: Sequence[Point]) -> list[float]:
    """For each frontier point of ``points`` inside ``reference``'s PSNR range: how many times
    more bits ``reference`` needs for the same PSNR (above 1: ``points`` is the better codec)."""
    ratios = [rate_at(reference, p["psnr"]) / p["bpp"] for p in frontier(points)]
    return [r for r in ratios if np.isfinite(r)]


def rd_figure(curves: Mapping[str, Sequence[Point]], *, quality: str = "psnr",
              title: str = "Rate against distortion on the test images", dashed: Sequence[str] = (),
              max_bpp: float | None = None) -> go.Figure:
    """One line per codec: ``quality`` (PSNR in dB, or SSIM) against bits per pixel."""
    fig = go.Figure()
    for i, (name, points) in enumerate(curves.items()):
        pts = [p for p in frontier(points, quality) if max_bpp is None or p["bpp"] <= max_bpp]
        fig.add_scatter(x=[p["bpp"] for p in pts], y=[p[quality] for p in pts], name=name, mode="lines+markers",
                        line=dict(color=PALETTE[i % len(PALETTE)], dash="dash" if name in dashed else "solid"))
    fig.update_layout(title=title, xaxis_title="bits per pixel (8 bits per pixel: the raw image)",
                      yaxis_title="PSNR (dB)" if quality == "psnr" else quality.upper(), height=430,
                      legend=dict(orientation="h", y=-0.2))
    return fig


def rate_explorer(original: torch.Tensor, decoded: Mapping[str, Sequence[tuple[int, torch.Tensor]]],
                  budgets: Sequence[int]) -> LessonWidget:
    """A slider sets a budget in bytes; each codec shows the digit at its best setting within
    the budget (or its cheapest), with its size and PSNR.

    ``decoded``: for each codec, its settings as ``(bytes, decoded image (1, H, W))``.
    """
    from course.codec import psnr

    names = list(decoded)
    fig = go.FigureWidget(make_subplots(rows=1, cols=len(names) + 1, horizontal_spacing=0.02,
                                        subplot_titles=["original", *names]))
    for col, image in enumerate([original] * (len(names) + 1), start=1):
        fig.add_heatmap(z=image[0].numpy(), colorscale="gray", zmin=0, zmax=1, showscale=False,
                        hoverinfo="skip", row=1, col=col)
        axis = "x" if col == 1 else f"x{col}"
        fig.update_yaxes(autorange="reversed", scaleanchor=axis, showticklabels=False, row=1, col=col)
        fig.update_xaxes(showticklabels=False, constrain="domain", row=1, col=col)
    fig.update_layout(height=280, width=180 * (len(names) + 1), margin=dict(l=10, r=10, t=80, b=10))
    slider = W.SelectionSlider(options=[(f"{b} bytes", b) for b in budgets], value=budgets[len(budgets) // 2],
                               description="budget", continuous_update=True)

    def choose(options: Sequence[tuple[int, torch.Tensor]], budget: int) -> tuple[int, torch.Tensor]:
        within = [o for o in options if o[0] <= budget]
        return max(within, key=lambda o: o[0]) if within else min(options, key=lambda o: o[0])

    def redraw(_=None) -> None:
        with fig.batch_update():
            for i, name in enumerate(names):
                size, image = choose(decoded[name], int(slider.value))
                fig.data[i + 1].z = image[0].numpy()
                over = "<br>over budget" if size > slider.value else ""  # a line of its own: titles stay apart
                fig.layout.annotations[i + 1].text = (f"{name}<br>{size} B, "
                                                      f"{psnr(original[None], image[None]):.1f} dB{over}")

    slider.observe(redraw, names="value")
    redraw()
    return LessonWidget(fig, [slider])
