"""Plotly figures and tables the lessons share.

- :func:`image_grid`: rows of images, e.g. inputs above reconstructions (lessons 01-10)
- :func:`loss_curves`: training and validation loss per epoch (every lesson that trains)
- :func:`latent_scatter`: a 2-D code coloured by label (lessons 01, 04, 08)
- :func:`line_chart`: a measured figure against a setting, one line per method (lesson 01: error vs bottleneck)
- :class:`Table`: a small table that renders as HTML in JupyterLab and as text elsewhere

Images are drawn as one PNG (``binary_string``), which keeps notebooks small.
"""

from __future__ import annotations

import html
import textwrap
from typing import Any, Mapping, Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import torch

from course.train import History

PALETTE = px.colors.qualitative.D3


def tile(images: torch.Tensor, columns: int, gap: int = 2) -> np.ndarray:
    """Images ``(N, 1, H, W)`` in [0, 1] laid out as one grey picture with ``columns`` a row."""
    x = images.detach().float().cpu().clamp(0, 1).numpy()[:, 0]
    n, h, w = x.shape
    rows = -(-n // columns)
    canvas = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), 0.5, dtype=np.float32)
    for i, img in enumerate(x):
        r, c = divmod(i, columns)
        canvas[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = img
    return canvas


def image_grid(rows: Mapping[str, torch.Tensor], *, title: str | None = None,
               cell_px: int = 56) -> go.Figure:
    """One row per entry (label -> images ``(N, 1, H, W)``), all rows of equal length."""
    lengths = {len(v) for v in rows.values()}
    if len(lengths) != 1:
        raise ValueError(f"all rows need the same number of images, got {sorted(lengths)}")
    columns = lengths.pop()
    h = next(iter(rows.values())).shape[-2]
    canvas = tile(torch.cat(list(rows.values())), columns)
    fig = px.imshow((canvas * 255).astype(np.uint8), binary_string=True, color_continuous_scale="gray")
    centres = [(h + 2) * i + h / 2 for i in range(len(rows))]
    fig.update_yaxes(tickvals=centres, ticktext=list(rows), showgrid=False)
    fig.update_xaxes(showticklabels=False, showgrid=False)
    scale = cell_px / h
    left, right, bottom = 120, 10, 10  # the row labels go in the left margin
    width = int(left + right + canvas.shape[1] * scale)
    lines = wrap_title(title, width, left) if title else []
    top = 30 + TITLE_LINE_PX * len(lines) if lines else 10
    fig.update_layout(title=dict(text="<br>".join(lines), x=0, xref="paper", y=1, yref="container",
                                 yanchor="top", pad=dict(t=20)), width=width,
                      height=int(top + bottom + canvas.shape[0] * scale),
                      margin=dict(l=left, r=right, t=top, b=bottom))
    fig.update_traces(hovertemplate=None, hoverinfo="skip")
    return fig


TITLE_CHAR_PX, TITLE_LINE_PX = 9, 22  # about one character's width and one line's height of a title


def wrap_title(title: str, width_px: int, left_px: int = 120) -> list[str]:
    """``title`` in lines that fit a figure ``width_px`` wide whose plot starts ``left_px``
    from its left edge (where :func:`image_grid` puts the title): a long title on a narrow
    grid of images would otherwise be cut off at the figure's right edge."""
    per_line = max(12, (width_px - left_px - 10) // TITLE_CHAR_PX)
    return textwrap.wrap(title, per_line) or [title]


def loss_curves(histories: Mapping[str, History], *, title: str = "Loss per epoch",
                log_y: bool = True) -> go.Figure:
    """Training (solid) and validation (dashed) loss of each named run."""
    fig = go.Figure()
    for i, (name, h) in enumerate(histories.items()):
        colour = PALETTE[i % len(PALETTE)]
        epochs = list(range(1, len(h.train_loss) + 1))
        fig.add_scatter(x=epochs, y=h.train_loss, name=f"{name} train", line=dict(color=colour))
        if h.val_loss:
            fig.add_scatter(x=epochs, y=h.val_loss, name=f"{name} val",
                            line=dict(color=colour, dash="dash"))
    fig.update_layout(title=title, xaxis_title="epoch", yaxis_title="loss",
                      yaxis_type="log" if log_y else "linear", height=380)
    return fig


def latent_scatter(codes: torch.Tensor, labels: torch.Tensor, classes: Sequence[str], *,
                   title: str = "The latent space", max_points: int = 2000) -> go.Figure:
    """A 2-D code, one point per image, coloured by its (unseen in training) label."""
    z, y = codes[:max_points, :2].numpy(), labels[:max_points].numpy()
    fig = go.Figure()
    for c, name in enumerate(classes):
        keep = y == c
        fig.add_scattergl(x=z[keep, 0], y=z[keep, 1], mode="markers", name=name,
                          marker=dict(size=5, color=PALETTE[c % len(PALETTE)], opacity=0.7))
    fig.update_layout(title=title, xaxis_title="z[0]", yaxis_title="z[1]", height=480,
                      legend_title="label")
    return fig


def line_chart(x: Sequence[Any], series: Mapping[str, Sequence[float]], *, x_title: str,
               y_title: str, title: str | None = None, log_x: bool = False,
               log_y: bool = False) -> go.Figure:
    """One line with markers per method, e.g. test error against bottleneck size."""
    fig = go.Figure()
    for i, (name, ys) in enumerate(series.items()):
        fig.add_scatter(x=list(x), y=list(ys), name=name, mode="lines+markers",
                        line=dict(color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, height=400,
                      xaxis_type="log" if log_x else "linear",
                      yaxis_type="log" if log_y else "linear")
    if len(x) <= 12:  # few settings: label exactly those
        fig.update_xaxes(tickvals=list(x))
    return fig


class Table:
    """Rows of ``{column: value}`` shown as an HTML table (text in a terminal or in tests)."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], *, caption: str = "",
                 digits: int = 4) -> None:
        self.rows = [dict(r) for r in rows]
        self.columns = list(dict.fromkeys(k for r in self.rows for k in r))
        self.caption = caption
        self.digits = digits

    def _cell(self, value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.{self.digits}g}" if abs(value) < 1e-3 and value else f"{value:.{self.digits}f}"
        return str(value)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(self._cell(r.get(c, '')))}</td>"
                                        for c in self.columns) + "</tr>" for r in self.rows)
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self) -> str:
        cells = [[self._cell(r.get(c, "")) for c in self.columns] for r in self.rows]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(self.columns)]
        line = lambda items: "  ".join(s.ljust(w) for s, w in zip(items, widths)).rstrip()
        out = [self.caption] if self.caption else []
        out += [line(self.columns), line(["-" * w for w in widths]), *map(line, cells)]
        return "\n".join(out)
