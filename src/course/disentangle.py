"""Lesson 04's measuring and playing tools: is each latent dimension about one factor?

- :func:`discretise`: each latent dimension cut into equally populated bins
- :func:`mutual_information`: the MI (bits) between every latent dimension and every factor
- :func:`mig`: the Mutual Information Gap (Chen et al., 2018), a disentanglement score in [0, 1]
- :func:`mi_heatmaps`: the normalised MI matrices of several models, side by side
- :func:`kl_per_dimension`: which of a VAE's latent dimensions are switched off
- :func:`traversal`: decode one image's code with one dimension swept across its range
- :func:`traversal_effects`: what each row of a traversal does, measured: moves, grows
- :func:`traversal_explorer`: one slider per latent dimension, redrawing the decoded image live
- :func:`time_slider_steps`: how long one slider move takes (the budget is 50 ms)

Codes are ``(N, k)`` (for a VAE, the posterior means), factors ``(N, F)`` integer indices
(:mod:`course.sprites`).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Mapping, Sequence

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from course.device import one_thread
from course.models import Autoencoder
from course.train import predict
from course.vae import ConvVAE
from course.widgets import LessonWidget


def discretise(codes: np.ndarray | torch.Tensor, bins: int = 20) -> np.ndarray:
    """Each column of ``codes`` ``(N, k)`` as bin numbers ``0 .. bins - 1``, bins equally populated.

    Bins cut at the column's quantiles: the result is unchanged if a dimension is
    stretched, shifted or bent by any increasing function, which should not change how
    much it says about a factor. Tied values (a dimension that takes few values) share a bin.
    """
    z = np.asarray(codes, dtype=np.float64)
    out = np.empty(z.shape, dtype=np.int64)
    for j in range(z.shape[1]):
        edges = np.unique(np.quantile(z[:, j], np.linspace(0, 1, bins + 1)[1:-1]))
        out[:, j] = np.searchsorted(edges, z[:, j], side="right")
    return out


def entropy(labels: np.ndarray) -> float:
    """Entropy (bits) of a discrete variable from its ``N`` observed values."""
    _, counts = np.unique(np.asarray(labels), return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def _mi(a: np.ndarray, b: np.ndarray) -> float:
    """Mutual information (bits) of two discrete variables from paired observations."""
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    outer = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)
    seen = joint > 0
    return float((joint[seen] * np.log2(joint[seen] / outer[seen])).sum())


def mutual_information(codes: np.ndarray | torch.Tensor, factors: np.ndarray | torch.Tensor,
                       bins: int = 20) -> np.ndarray:
    """``I(z_j ; v_i)`` in bits, as a matrix ``(F, k)``: rows factors, columns latent dimensions.

    Each latent dimension is :func:`discretise`-d first, so MI is counted in a table.
    """
    z = discretise(codes, bins)
    v = np.asarray(factors)
    return np.array([[_mi(z[:, j], v[:, i]) for j in range(z.shape[1])] for i in range(v.shape[1])])


def normalised_mi(codes: np.ndarray | torch.Tensor, factors: np.ndarray | torch.Tensor,
                  bins: int = 20) -> np.ndarray:
    """:func:`mutual_information` divided by each factor's entropy: the share of it, 0 to 1."""
    v = np.asarray(factors)
    h = np.array([entropy(v[:, i]) for i in range(v.shape[1])])
    return mutual_information(codes, factors, bins) / h[:, None]


@dataclass(frozen=True)
class MIG:
    """The Mutual Information Gap and its parts: ``score`` is the mean of ``gaps``."""

    score: float
    gaps: tuple[float, ...]  # per factor: (top MI - second MI) / H(factor)
    top: tuple[int, ...]  # per factor: the latent dimension that knows most about it
    matrix: np.ndarray  # normalised MI, (F, k)

    def __float__(self) -> float:
        return self.score


def mig(codes: np.ndarray | torch.Tensor, factors: np.ndarray | torch.Tensor, bins: int = 20) -> MIG:
    """The Mutual Information Gap (Chen et al., 2018) of codes ``(N, k)`` for factors ``(N, F)``.

    For each factor: the MI of the latent dimension that knows most about it, minus the
    MI of the runner-up, divided by the factor's entropy. Averaged over factors.
    1: each factor lives in one dimension, and no other dimension knows about it.
    0: the best two dimensions know the same, e.g. a factor spread over several.
    """
    matrix = normalised_mi(codes, factors, bins)
    if matrix.shape[1] < 2:
        raise ValueError("MIG compares the best two latent dimensions: it needs at least two")
    ranked = np.sort(matrix, axis=1)[:, ::-1]
    gaps = ranked[:, 0] - ranked[:, 1]
    return MIG(float(gaps.mean()), tuple(float(g) for g in gaps),
               tuple(int(j) for j in matrix.argmax(axis=1)), matrix)


def mi_heatmaps(matrices: Mapping[str, np.ndarray], factor_names: Sequence[str], *,
                scores: Mapping[str, float] | None = None,
                columns: Mapping[str, Sequence[str]] | None = None,
                title: str = "How much each latent dimension knows about each factor") -> go.Figure:
    """One heatmap per model of normalised MI ``(F, k)``: rows factors, columns latent dimensions.

    0 (dark): the dimension says nothing about the factor; 1 (bright): it pins the factor
    down. A disentangled code has one bright cell per row, in different columns.
    ``scores`` (e.g. each model's MIG) go into the panel titles; ``columns`` names a
    model's latent dimensions (default ``z0``, ``z1``, ...).
    """
    names = list(matrices)
    titles = [f"{n}: MIG {scores[n]:.2f}" if scores and n in scores else n for n in names]
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=titles, shared_yaxes=True,
                        horizontal_spacing=0.03)
    for col, name in enumerate(names, start=1):
        m = np.asarray(matrices[name])
        x = list(columns[name]) if columns and name in columns else [f"z{j}" for j in range(m.shape[1])]
        fig.add_heatmap(z=m, x=x, y=list(factor_names),
                        zmin=0, zmax=1, colorscale="Viridis", showscale=col == len(names),
                        text=np.round(m, 2), texttemplate="%{text:.2f}", textfont=dict(size=9),
                        colorbar=dict(title="MI / H(factor)", thickness=12),
                        hovertemplate="%{y} and %{x}: %{z:.2f}<extra>" + name + "</extra>",
                        row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, height=330, width=360 * len(names) + 100,
                      margin=dict(l=70, r=10, t=80, b=40))
    return fig


def latent_ranges(codes: torch.Tensor, low: float = 2.0, high: float = 98.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Per latent dimension, the ``low``-th and ``high``-th percentiles of real images' codes.

    Traversals and sliders span this range: the values the encoder actually uses. A
    dimension the model switched off gets a tiny range, and its traversal does nothing.
    """
    z = codes.double()
    return (torch.quantile(z, low / 100, dim=0).float(), torch.quantile(z, high / 100, dim=0).float())


def traversal(model: Autoencoder, image: torch.Tensor, low: torch.Tensor, high: torch.Tensor,
              steps: int = 7) -> torch.Tensor:
    """Decode one image's code with one dimension at a time swept from ``low`` to ``high``.

    ``image`` is ``(C, H, W)``. Returns ``(k, steps, C, H, W)``: row ``j`` changes only
    ``z[j]``, every other number stays at the image's own code.
    """
    z = predict(model, image[None], method="encode")[0]
    k = len(z)
    codes = z.repeat(k, steps, 1)  # (k, steps, k)
    t = torch.linspace(0, 1, steps)
    for j in range(k):
        codes[j, :, j] = low[j] + t * (high[j] - low[j])
    return predict(model, codes.reshape(k * steps, k), method="decode").reshape(k, steps, *image.shape)


@dataclass(frozen=True)
class TraversalEffect:
    """What one row of a :func:`traversal` does to the decoded image, in pixels.

    ``dx`` and ``dy``: how far the centre of mass moves from the first step to the last
    (right and down are positive); ``ink``: the largest total brightness along the row
    divided by the smallest (1: the sprite keeps its size); ``change``: the mean absolute
    difference, summed over pixels, between the first and the last image.
    """

    dx: float
    dy: float
    ink: float
    change: float

    def moves(self, pixels: float = 1.0) -> str:
        """Which way the row moves the sprite by at least ``pixels``: "x", "y", "x and y" or ""."""
        return " and ".join(a for a, d in (("x", self.dx), ("y", self.dy)) if abs(d) >= pixels)


def traversal_effects(grid: torch.Tensor) -> list[TraversalEffect]:
    """Measure each row of a traversal ``(k, steps, 1, H, W)``: how far it moves and grows the sprite.

    The centre of mass is taken in pixel units (pixel ``i`` has centre ``i + 0.5``), so a
    row that slides the sprite by two pixels has ``dx`` about 2 whatever its shape.
    """
    images = grid[:, :, 0].double().clamp(0, 1)
    k, steps, h, w = images.shape
    mass = images.sum((2, 3)).clamp_min(1e-9)  # (k, steps)
    cx = (images.sum(2) @ (torch.arange(w, dtype=torch.float64) + 0.5)) / mass
    cy = (images.sum(3) @ (torch.arange(h, dtype=torch.float64) + 0.5)) / mass
    change = (images[:, -1] - images[:, 0]).abs().sum((1, 2))
    return [TraversalEffect(float(cx[j, -1] - cx[j, 0]), float(cy[j, -1] - cy[j, 0]),
                            float(mass[j].max() / mass[j].min()), float(change[j])) for j in range(k)]


@torch.no_grad()
def kl_per_dimension(model: ConvVAE, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Mean ``KL(q(z_j|x) || N(0, 1))`` over the images ``x``, in nats, one number per dimension.

    It bounds how much dimension ``j`` can tell the decoder. Near 0, the encoder gives every
    image the prior itself there: the dimension is **switched off**, whatever small
    wiggles its mean still has.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total = torch.zeros(model.latent_dim, dtype=torch.float64)
    for i in range(0, len(x), batch_size):
        mean, log_var = (t.double().cpu() for t in model.encode_distribution(x[i:i + batch_size].to(device)))
        total += 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(0)
    model.train(was_training)
    return (total / len(x)).float()


def dimension_labels(matrix: np.ndarray, factor_names: Sequence[str], threshold: float = 0.2,
                     active: Sequence[bool] | None = None) -> list[str]:
    """A short name per latent dimension: the factor it knows most about, ``-`` or ``off``.

    ``matrix`` is normalised MI ``(F, k)``. ``-``: the dimension knows less than
    ``threshold`` of every factor. ``off``: ``active`` says it is switched off (a VAE's
    dimension with almost no KL, see :func:`kl_per_dimension`).
    """
    m = np.asarray(matrix)
    on = [True] * m.shape[1] if active is None else [bool(a) for a in active]
    return ["off" if not on[j] else factor_names[int(m[:, j].argmax())] if m[:, j].max() >= threshold
            else "-" for j in range(m.shape[1])]


def _image_panel(fig: go.FigureWidget, image: np.ndarray, col: int) -> None:
    fig.add_heatmap(z=image, colorscale="gray", zmin=0, zmax=1, showscale=False, hoverinfo="skip",
                    row=1, col=col)
    x_axis = "x" if col == 1 else f"x{col}"
    fig.update_yaxes(autorange="reversed", scaleanchor=x_axis, showticklabels=False, row=1, col=col)
    fig.update_xaxes(showticklabels=False, constrain="domain", row=1, col=col)


def traversal_explorer(models: Mapping[str, Autoencoder], images: torch.Tensor, *,
                       names: Mapping[str, Sequence[str]] | None = None,
                       captions: Sequence[str] | None = None, steps: int = 50) -> LessonWidget:
    """Latent sliders: pick a model and an image, then move each latent dimension on its own.

    Controls: a ``model`` menu, an ``image`` slider over ``images`` ``(M, C, H, W)``, and
    one slider per latent dimension (``z0``, ``z1``, ...; with ``names``, each model's
    :func:`dimension_labels`, e.g. ``z3 · x``). Choosing a model or an image puts every
    latent slider at that image's code; moving one latent slider decodes the code on
    one CPU thread and redraws the right panel. Each slider spans the range of the
    model's codes over ``images`` (:func:`latent_ranges`), in ``steps`` steps.
    All models must have the same number of latent dimensions.
    """
    model_names = list(models)
    codes = {n: predict(m, images, method="encode") for n, m in models.items()}
    ks = {c.shape[1] for c in codes.values()}
    if len(ks) != 1:
        raise ValueError(f"all models need the same number of latent dimensions, got {sorted(ks)}")
    k = ks.pop()
    ranges = {n: latent_ranges(c) for n, c in codes.items()}
    captions = list(captions) if captions is not None else [f"image {i}" for i in range(len(images))]

    fig = go.FigureWidget(make_subplots(rows=1, cols=2, horizontal_spacing=0.04,
                                        subplot_titles=("the data image", "decode(z) from the sliders")))
    _image_panel(fig, images[0, 0].numpy(), 1)
    _image_panel(fig, images[0, 0].numpy(), 2)
    fig.update_layout(width=520, height=300, margin=dict(l=10, r=10, t=60, b=10))
    menu = W.Dropdown(options=model_names, value=model_names[0], description="model")
    picker = W.IntSlider(value=0, min=0, max=len(images) - 1, description="image", continuous_update=True)
    sliders = [W.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.02, description=f"z{j}",
                             continuous_update=True, readout_format=".2f",
                             style={"description_width": "90px"}, layout=W.Layout(width="350px"))
               for j in range(k)]
    quiet = [False]  # True while the sliders are being set to an image's code

    @torch.no_grad()
    def decode(_=None) -> None:
        if quiet[0]:
            return
        z = torch.tensor([[s.value for s in sliders]], dtype=torch.float32)
        with one_thread():  # one small decode: faster on one thread (see device.one_thread)
            image = predict(models[menu.value], z, method="decode")[0, 0]
        with fig.batch_update():
            fig.data[1].z = image.clamp(0, 1).numpy()

    def reset(_=None) -> None:
        name, i = menu.value, picker.value
        low, high = ranges[name]
        quiet[0] = True
        try:
            for j, s in enumerate(sliders):
                lo, hi = float(low[j]), float(high[j])
                if hi - lo < 1e-6:
                    lo, hi = lo - 1e-3, hi + 1e-3
                if lo > s.max:  # keep min <= max while moving the range
                    s.max = hi
                    s.min = lo
                else:
                    s.min = lo
                    s.max = hi
                s.step = (hi - lo) / steps
                s.value = float(min(max(float(codes[name][i, j]), lo), hi))
                label = names[name][j] if names and name in names else ""
                s.description = f"z{j} · {label}" if label not in ("", "-") else f"z{j}"
        finally:
            quiet[0] = False
        with fig.batch_update():
            fig.data[0].z = images[i, 0].numpy()
            fig.layout.title = f"{name}, {captions[i]}"
        decode()

    menu.observe(reset, names="value")
    picker.observe(reset, names="value")
    for s in sliders:
        s.observe(decode, names="value")
    reset()
    widget = LessonWidget(fig, [menu, picker, *sliders])
    widget.children = (W.HBox([menu, picker]), W.HBox([W.VBox(sliders), fig]))
    return widget


def time_slider_steps(widget: LessonWidget, moves: int = 60) -> list[float]:
    """Milliseconds per latent-slider move: decode and redraw, as a learner drags.

    Moves the latent sliders of a :func:`traversal_explorer` one after another through
    their range (setting ``value`` runs the redraw before it returns) and times each
    move. What the browser does with the update afterwards is not included.
    """
    sliders = [c for c in widget.controls if isinstance(c, W.FloatSlider)]
    before = [s.value for s in sliders]
    fractions = (0.1, 0.9, 0.3, 0.7, 0.5)
    times: list[float] = []
    for i in range(moves + 5):
        s = sliders[i % len(sliders)]
        target = s.min + fractions[(i // len(sliders)) % len(fractions)] * (s.max - s.min)
        start = time.perf_counter()
        s.value = target
        elapsed = (time.perf_counter() - start) * 1000
        if i >= 5:  # the first moves warm up
            times.append(elapsed)
    for s, value in zip(sliders, before):  # back where the learner left them
        s.value = value
    return times


def median_ms(times: Sequence[float]) -> float:
    """The median of a list of timings."""
    return float(statistics.median(times))
