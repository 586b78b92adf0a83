"""The vector quantizer and the VQ-VAE of lesson 06: a learned codebook, and keeping it in use.

A VQ-VAE's encoder outputs a vector ``z_e``; the quantizer replaces it by the nearest of
``codebook_size`` learned vectors (the *codebook*), and the decoder sees only that code.
Training needs three things the plain autoencoder does not:

- the **straight-through** trick: the nearest-code lookup has no gradient, so the decoder's
  gradient is copied past it to the encoder (``z_e + (z_q - z_e).detach()``), or, with
  ``rotation_trick=True``, the **rotation trick** (Fifty et al., 2024; :func:`rotate_to`);
- a **codebook loss** that pulls each chosen code towards the encoder outputs that chose it;
- a **commitment loss** that keeps the encoder outputs near their codes.

Left alone, most codes are never chosen (*dead codes*): codebook collapse. Each remedy is a
keyword argument of the one :class:`VectorQuantizer` (in the style of vector-quantize-pytorch)::

    VectorQuantizer(codebook_size=512, dim=16,
                    kmeans_init=False,      # codebook from k-means on early encoder outputs
                    ema=False, decay=0.99,  # codes as running means of their encoder outputs
                    restart_dead=False,     # dead codes jump to recent encoder outputs
                    dead_after=50,          # ... after this many training steps unused
                    cosine=False,           # compare directions (unit vectors), not positions
                    codebook_dim=None,      # look up in a lower-dimensional space
                    rotation_trick=False,   # gradients through a rotation, not straight through
                    commitment=0.25)

Everything that changes state during training (k-means initialisation, EMA updates, dead-code
restarts) happens inside the quantizer's ``forward`` in training mode, so
:func:`course.train.fit` stays the only training loop.

Also here: :class:`VQVAE` (lesson 01's convolutional encoder and decoder around a quantizer),
:func:`vq_vae_loss`, the usage statistics (:func:`code_counts`, :func:`perplexity`,
:func:`usage_stats`), the :class:`UsageMonitor` for ``fit(..., monitor=...)`` that redraws a
live usage figure (:func:`live_usage`), the static :func:`usage_figure`, and the
:func:`code_chooser` widget (which images land on a code).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from plotly.subplots import make_subplots
from torch import nn

from course.models import Autoencoder, ConvAutoencoder
from course.plots import PALETTE, tile
from course.train import History, predict
from course.widgets import LessonWidget


# --- the quantizer -----------------------------------------------------------------------

def nearest_code(z: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """For each row of ``z`` ``(N, d)``, the index of the nearest row of ``codebook`` ``(K, d)``.

    Squared distances without building an ``(N, K, d)`` tensor:
    ``|z - c|² = |z|² - 2 z·c + |c|²``.
    """
    distances = (z.pow(2).sum(1, keepdim=True) - 2 * z @ codebook.T + codebook.pow(2).sum(1))
    return distances.argmin(dim=1)


def straight_through(z_e: torch.Tensor, z_q: torch.Tensor) -> torch.Tensor:
    """``z_q`` in the forward pass, the identity in the backward pass.

    ``z_e + (z_q - z_e).detach()`` equals ``z_q``; its gradient with respect to ``z_e`` is 1:
    the decoder's gradient at the code is handed to the encoder as if there were no lookup.
    """
    return z_e + (z_q - z_e).detach()


def rotate_to(z_e: torch.Tensor, z_q: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``z_q`` in the forward pass; backwards, the gradient of a rotation and rescaling of ``z_e``.

    The rotation trick (Fifty et al., 2024, "Restructuring vector quantization with the rotation
    trick"; section 4.2 there): each row ``e`` of ``z_e`` is turned into its code ``q`` by the
    rotation ``R`` that takes the direction of ``e`` to that of ``q``, and scaled by
    ``|q| / |e|``. ``R`` and the scale are constants for the gradient (computed from detached
    values), so ``λ R e`` has the value ``q`` and the gradient of a linear map of ``e``:
    the decoder's gradient at ``q`` reaches the encoder rotated back by ``R`` (by the angle
    between ``e`` and ``q``) and scaled by ``|q| / |e|``, where straight-through copies it
    unchanged. With ``u = e/|e|``, ``q̂ = q/|q|`` and ``w = (u + q̂)/|u + q̂|``,
    ``R e = e - 2 (e·w) w + 2 (e·u) q̂`` (two reflections, no ``d × d`` matrix). The codes get
    no gradient through it, as with straight-through. As in vector-quantize-pytorch.
    """
    e_norm = z_e.norm(dim=-1, keepdim=True).clamp_min(eps)
    q_norm = z_q.norm(dim=-1, keepdim=True).clamp_min(eps)
    u = (z_e / e_norm).detach()
    q_hat = (z_q / q_norm).detach()
    w = F.normalize(u + q_hat, dim=-1, eps=eps).detach()
    rotated = (z_e - 2 * (z_e * w).sum(-1, keepdim=True) * w
               + 2 * (z_e * u).sum(-1, keepdim=True) * q_hat)
    return rotated * (q_norm / e_norm).detach()


def kmeans(x: torch.Tensor, k: int, iters: int = 10, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """``k`` centres of the rows of ``x``: k-means++ seeding, then ``iters`` rounds of Lloyd's algorithm.

    k-means++ picks each new starting centre at random with probability proportional to the
    squared distance to the nearest centre so far, so the start covers the data.
    """
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    centres = x.new_empty(k, x.shape[1])
    centres[0] = x[int(torch.randint(len(x), (1,), generator=g))]
    nearest = (x - centres[0]).pow(2).sum(1)
    for j in range(1, k):
        weights = nearest.double().cpu()
        pick = (int(torch.multinomial(weights / weights.sum(), 1, generator=g)) if weights.sum() > 0
                else int(torch.randint(len(x), (1,), generator=g)))
        centres[j] = x[pick]
        nearest = torch.minimum(nearest, (x - centres[j]).pow(2).sum(1))
    for _ in range(iters):
        assign = nearest_code(x, centres)
        sums = torch.zeros_like(centres).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=k).to(x.dtype)
        used = counts > 0
        centres[used] = sums[used] / counts[used, None]
    return centres


@dataclass
class Quantized:
    """What the quantizer returns: the codes (straight-through), their indices and the losses."""

    quantized: torch.Tensor        # (N, dim): the chosen codes, mapped back to the encoder's space
    indices: torch.Tensor          # (N,): which code each row chose
    loss: torch.Tensor             # codebook_loss + commitment * commitment_loss
    codebook_loss: torch.Tensor    # |sg(z_e) - z_q|²: moves the codes (0 with ema=True: EMA moves them)
    commitment_loss: torch.Tensor  # |z_e - sg(z_q)|²: keeps the encoder near its codes


class VectorQuantizer(nn.Module):
    """Replace each input vector by the nearest of ``codebook_size`` learned codes (lesson 06).

    The remedies for codebook collapse are keyword arguments, all off by default:

    - ``kmeans_init``: the codebook starts as k-means centres (:func:`kmeans`, ``kmeans_iters``
      rounds) of the first ``memory`` encoder outputs seen in training, instead of random
      vectors that no encoder output may ever come near.
    - ``ema``: codes are not trained by gradients but set to exponential moving averages
      (``decay``; ``eps`` is the Laplace smoothing of the counts) of the encoder outputs
      assigned to them; no codebook loss.
    - ``restart_dead``: a code that no input chose for ``dead_after`` training steps is moved
      onto a random one of the last ``memory`` encoder outputs.
    - ``cosine``: inputs and codes are scaled to unit length: the lookup compares directions.
    - ``codebook_dim``: the lookup happens after a learned linear projection to this many
      numbers (and back), a smaller space for the codes to cover.
    - ``rotation_trick``: the decoder's gradient reaches the encoder through :func:`rotate_to`
      (a rotation and rescaling of the encoder output onto its code, held constant) instead of
      straight through (:func:`straight_through`). vector-quantize-pytorch's default.

    ``commitment`` weighs the commitment loss (β in the VQ-VAE paper).

    ``forward`` takes ``(N, dim)`` and returns a :class:`Quantized`. In training mode it also
    updates the codebook's state (initialisation, EMA, restarts); in eval mode it changes nothing.
    """

    def __init__(self, codebook_size: int = 512, dim: int = 16, *, kmeans_init: bool = False,
                 kmeans_iters: int = 10, ema: bool = False, decay: float = 0.99,
                 restart_dead: bool = False, dead_after: int = 50, cosine: bool = False,
                 codebook_dim: int | None = None, commitment: float = 0.25,
                 memory: int = 2048, eps: float = 1e-5, rotation_trick: bool = False) -> None:
        super().__init__()
        self.codebook_size, self.dim = codebook_size, dim
        self.kmeans_init, self.kmeans_iters = kmeans_init, kmeans_iters
        self.ema, self.decay = ema, decay
        self.restart_dead, self.dead_after = restart_dead, dead_after
        self.cosine, self.codebook_dim = cosine, codebook_dim
        self.commitment, self.memory, self.eps = commitment, memory, eps
        self.rotation_trick = rotation_trick
        inner = codebook_dim or dim
        self.project_in = nn.Linear(dim, inner) if codebook_dim else nn.Identity()
        self.project_out = nn.Linear(inner, dim) if codebook_dim else nn.Identity()
        # uniform in ±sqrt(6 / d) (±0.61 for d = 16): kaiming_uniform_ on a (K, d) tensor, whose
        # fan-in is d. vector-quantize-pytorch calls the same initialiser on a (1, K, d) tensor,
        # whose fan-in is K·d, so its codes start far smaller (±0.027 for K = 512, d = 16).
        codes = nn.init.kaiming_uniform_(torch.empty(codebook_size, inner))
        if cosine:
            codes = F.normalize(codes, dim=1)
        if ema:  # moved by the EMA rule, not by the optimiser
            self.register_buffer("codebook", codes)
            self.register_buffer("ema_count", torch.ones(codebook_size))
            self.register_buffer("ema_sum", codes.clone())
        else:
            self.codebook = nn.Parameter(codes)
        self.register_buffer("initialised", torch.tensor(not kmeans_init))
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        self.register_buffer("last_used", torch.zeros(codebook_size, dtype=torch.long))
        # the last `memory` encoder outputs (in the lookup space): k-means and restarts draw on them
        self.register_buffer("recent", torch.zeros(memory, inner), persistent=False)
        self.register_buffer("recent_seen", torch.zeros((), dtype=torch.long), persistent=False)

    @property
    def config(self) -> dict[str, object]:
        """The keyword arguments that define this quantizer."""
        return {"codebook_size": self.codebook_size, "dim": self.dim, "kmeans_init": self.kmeans_init,
                "kmeans_iters": self.kmeans_iters, "ema": self.ema, "decay": self.decay,
                "restart_dead": self.restart_dead, "dead_after": self.dead_after,
                "cosine": self.cosine, "codebook_dim": self.codebook_dim,
                "commitment": self.commitment, "memory": self.memory, "eps": self.eps,
                "rotation_trick": self.rotation_trick}

    def codes(self) -> torch.Tensor:
        """The codebook in the lookup space ``(codebook_size, codebook_dim or dim)``."""
        return F.normalize(self.codebook, dim=1) if self.cosine else self.codebook

    def lookup_space(self, z_e: torch.Tensor) -> torch.Tensor:
        """Encoder outputs as the codebook sees them: projected, and unit length with ``cosine``."""
        x = self.project_in(z_e.float())
        return F.normalize(x, dim=1) if self.cosine else x

    @torch.no_grad()
    def indices(self, z_e: torch.Tensor) -> torch.Tensor:
        """The index of the code each row of ``z_e`` ``(N, dim)`` is replaced by."""
        return nearest_code(self.lookup_space(z_e), self.codes())

    def forward(self, z_e: torch.Tensor) -> Quantized:
        with torch.autocast(z_e.device.type, enabled=False):  # distances in float32
            x = self.lookup_space(z_e)
            if self.training:
                self._remember(x.detach())
                if not self.initialised:
                    self._kmeans_init()
            codes = self.codes()
            with torch.no_grad():
                idx = nearest_code(x, codes)
            z_q = codes[idx]
            # squared distances, summed over a vector's numbers, averaged over the batch
            codebook_loss = (torch.zeros((), device=x.device) if self.ema
                             else (z_q - x.detach()).pow(2).sum(1).mean())
            commitment_loss = (x - z_q.detach()).pow(2).sum(1).mean()
            if self.training:
                self._update(x.detach(), idx)
            through = rotate_to if self.rotation_trick else straight_through  # how the gradient passes
            quantized = self.project_out(through(x, z_q))
        return Quantized(quantized, idx, codebook_loss + self.commitment * commitment_loss,
                         codebook_loss, commitment_loss)

    # --- state updates, training mode only ---------------------------------------------

    @torch.no_grad()
    def _remember(self, x: torch.Tensor) -> None:
        """Write ``x`` into the ring buffer of recent encoder outputs."""
        n = min(len(x), self.memory)
        start = int(self.recent_seen) % self.memory
        slots = (start + torch.arange(n, device=x.device)) % self.memory
        self.recent[slots] = x[-n:]
        self.recent_seen += n

    def _recent(self) -> torch.Tensor:
        return self.recent[:min(int(self.recent_seen), self.memory)]

    @torch.no_grad()
    def _kmeans_init(self) -> None:
        """Once ``memory`` encoder outputs have been seen: k-means on them becomes the codebook."""
        if int(self.recent_seen) < self.memory:
            return
        g = torch.Generator().manual_seed(int(self.step))
        centres = kmeans(self.recent, self.codebook_size, self.kmeans_iters, generator=g)
        self._set_codes(torch.arange(self.codebook_size, device=centres.device), centres)
        self.last_used.fill_(int(self.step))
        self.initialised.fill_(True)

    @torch.no_grad()
    def _set_codes(self, which: torch.Tensor, values: torch.Tensor) -> None:
        self.codebook[which] = values
        if self.ema:
            self.ema_count[which] = 1.0
            self.ema_sum[which] = values

    @torch.no_grad()
    def _update(self, x: torch.Tensor, idx: torch.Tensor) -> None:
        """After a training step's lookup: EMA codes, usage bookkeeping, dead-code restarts."""
        self.step += 1
        self.last_used[idx] = self.step
        if self.ema and self.initialised:
            counts = torch.bincount(idx, minlength=self.codebook_size).float()
            sums = torch.zeros_like(self.ema_sum).index_add_(0, idx, x)
            self.ema_count.mul_(self.decay).add_(counts, alpha=1 - self.decay)
            self.ema_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
            total = self.ema_count.sum()  # Laplace smoothing keeps every count above zero
            smoothed = (self.ema_count + self.eps) / (total + self.codebook_size * self.eps) * total
            self.codebook.copy_(self.ema_sum / smoothed[:, None])
        if self.restart_dead and self.initialised:
            dead = (self.step - self.last_used >= self.dead_after).nonzero().squeeze(1)
            if len(dead):
                pool = self._recent()
                g = torch.Generator().manual_seed(int(self.step))
                pick = torch.randint(len(pool), (len(dead),), generator=g).to(pool.device)
                self._set_codes(dead, pool[pick])
                self.last_used[dead] = self.step


# --- the VQ-VAE --------------------------------------------------------------------------

class VQVAE(Autoencoder):
    """Lesson 06's VQ-VAE: lesson 01's convolutional encoder and decoder, a codebook between.

    The encoder maps an image to one vector of ``dim`` numbers, the quantizer replaces it by
    the nearest of ``codebook_size`` codes, the decoder draws the image from that code. So
    each code stands for a group of similar images (``codebook_size`` prototypes in all).
    ``quantizer_options`` go to :class:`VectorQuantizer` (the remedies).
    ``encode`` gives the encoder's continuous output, ``code_indices`` the chosen codes,
    ``forward`` the reconstruction from the chosen codes.
    """

    def __init__(self, image_shape: tuple[int, int, int], codebook_size: int = 512, dim: int = 16,
                 channels: tuple[int, int] = (32, 64), batch_norm: bool = True,
                 **quantizer_options: object) -> None:
        super().__init__(image_shape, dim)
        self.channels, self.batch_norm = tuple(channels), batch_norm
        layers = ConvAutoencoder(image_shape, dim, channels, batch_norm)
        self.encoder, self.decoder = layers.encoder, layers.decoder
        self.quantizer = VectorQuantizer(codebook_size, dim, **quantizer_options)

    def quantize(self, x: torch.Tensor) -> tuple[torch.Tensor, Quantized]:
        """Images -> (reconstruction from the chosen codes, the quantizer's output)."""
        q = self.quantizer(self.encode(x))
        return self.decode(q.quantized), q

    def code_indices(self, x: torch.Tensor) -> torch.Tensor:
        """The index of the code each image lands on ``(N,)``."""
        return self.quantizer.indices(self.encode(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.quantize(x)[0]

    @property
    def config(self) -> dict[str, object]:
        return {**super().config, "channels": list(self.channels), "batch_norm": self.batch_norm,
                "quantizer": self.quantizer.config}


def vq_vae_loss(model: VQVAE, x: torch.Tensor) -> torch.Tensor:
    """The VQ-VAE's training loss, per image: squared reconstruction error plus the quantizer's losses.

    Both are summed over an image's pixels and over a code's numbers (as in van den Oord et
    al., 2017), so the commitment weight means the same whatever the image and code sizes.
    """
    x_hat, q = model.quantize(x)
    return (x_hat - x).pow(2).flatten(1).sum(1).mean() + q.loss


# --- codebook usage --------------------------------------------------------------------

@torch.no_grad()
def code_counts(model: VQVAE, images: torch.Tensor) -> torch.Tensor:
    """How many of ``images`` land on each code: ``(codebook_size,)`` integers."""
    idx = predict(model, images, method="code_indices").long()
    return torch.bincount(idx, minlength=model.quantizer.codebook_size)


def perplexity(counts: torch.Tensor) -> float:
    """``exp(entropy)`` of the usage distribution: the number of equally used codes it is worth.

    K codes used equally often give K; one code used for everything gives 1.
    """
    p = counts.double() / counts.sum()
    p = p[p > 0]
    return float(torch.exp(-(p * p.log()).sum()))


def usage_stats(counts: torch.Tensor) -> dict[str, float]:
    """Share of codes used at least once, perplexity, and the number of dead (unused) codes."""
    used = int((counts > 0).sum())
    return {"usage": used / len(counts), "perplexity": perplexity(counts),
            "dead codes": float(len(counts) - used)}


def _usage_traces(fig: go.Figure, counts: torch.Tensor, epochs: Sequence[Mapping[str, float]]) -> None:
    """Fill (or refill) the four traces of a usage figure from ``counts`` and per-epoch stats."""
    ranked = counts.sort(descending=True).values.numpy()
    stats = usage_stats(counts)
    x = list(range(1, len(epochs) + 1))
    values = [(np.arange(1, len(ranked) + 1), ranked),
              (x, [e["perplexity"] for e in epochs]),
              (x, [e["usage"] * len(counts) for e in epochs])]
    for trace, (xs, ys) in zip(fig.data, values):
        trace.x, trace.y = list(xs), list(ys)
    fig.layout.title.text = (f"{int((counts > 0).sum())} of {len(counts)} codes used, "
                             f"perplexity {stats['perplexity']:.0f}, {int(stats['dead codes'])} dead"
                             + (f" (after epoch {len(epochs)})" if epochs else ""))


def _usage_layout(fig: go.Figure, codebook_size: int) -> None:
    fig.add_bar(x=[], y=[], marker_color=PALETTE[0], marker_line_width=0, name="images per code",
                row=1, col=1, showlegend=False)
    fig.add_scatter(x=[], y=[], mode="lines+markers", name="perplexity", line=dict(color=PALETTE[1]),
                    row=1, col=2)
    fig.add_scatter(x=[], y=[], mode="lines+markers", name="codes used", line=dict(color=PALETTE[2]),
                    row=1, col=2)
    fig.update_xaxes(title_text="codes, most used first", range=[0, codebook_size + 1], row=1, col=1)
    fig.update_yaxes(title_text="training images on the code", row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=1, col=2)
    fig.update_yaxes(title_text="codes", range=[0, codebook_size * 1.05], row=1, col=2)
    fig.update_layout(height=380, width=900, bargap=0, title=dict(text=""),
                      legend=dict(orientation="h", x=0.6, y=-0.2))


def usage_figure(counts: torch.Tensor, epochs: Sequence[Mapping[str, float]] = (), *,
                 title: str | None = None, live: bool = False) -> go.Figure:
    """Left: how many images land on each code, codes sorted from most to least used (dead
    codes are the flat tail at zero); right: perplexity and codes used after each epoch.

    ``epochs`` holds one ``{"usage", "perplexity", ...}`` per epoch (a :class:`UsageMonitor`
    records them; :func:`epochs_of` reads them back from a history). ``live=True`` gives a
    ``go.FigureWidget`` that :class:`UsageMonitor` redraws during training.
    """
    base = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4],
                         subplot_titles=("usage histogram", "per epoch"))
    fig = go.FigureWidget(base) if live else base
    _usage_layout(fig, len(counts))
    _usage_traces(fig, counts, list(epochs))
    if title:
        fig.layout.title.text = f"{title}: {fig.layout.title.text}"
    return fig


def epochs_of(history: History) -> list[dict[str, float]]:
    """The per-epoch usage statistics a :class:`UsageMonitor` left in ``history.extra``."""
    names = ("usage", "perplexity", "dead codes")
    n = len(history.extra.get("usage", []))
    return [{k: history.extra[k][i] for k in names} for i in range(n)]


class UsageMonitor:
    """A ``monitor`` for :func:`course.train.fit`: codebook usage on ``images`` after each epoch.

    Returns ``usage``, ``perplexity`` and ``dead codes`` (``fit`` keeps them in
    ``history.extra``, and in the cache). With a ``figure`` from ``usage_figure(..., live=True)``
    it also redraws that figure in place after each epoch, so the histogram changes while
    training runs. Its cache key is this module's source and the images' fingerprint.
    """

    def __init__(self, images: torch.Tensor, figure: go.FigureWidget | None = None,
                 title: str | None = None) -> None:
        from course.checkpoints import fingerprint

        self.images = fingerprint(images)  # what the cache key sees: which images, not the figure
        self._images, self._figure, self._title = images, figure, title
        self._epochs: list[dict[str, float]] = []

    def __call__(self, model: VQVAE) -> dict[str, float]:
        counts = code_counts(model, self._images)
        stats = usage_stats(counts)
        self._epochs.append(stats)
        if self._figure is not None:
            self.show(counts, self._epochs)
        return stats

    def show(self, counts: torch.Tensor, epochs: Sequence[Mapping[str, float]]) -> None:
        """Redraw the live figure (also after a run loaded from the cache)."""
        if self._figure is None:
            return
        with self._figure.batch_update():
            _usage_traces(self._figure, counts, list(epochs))
            if self._title:
                self._figure.layout.title.text = f"{self._title}: {self._figure.layout.title.text}"


def live_usage(codebook_size: int, images: torch.Tensor, title: str | None = None) -> tuple[LessonWidget, UsageMonitor]:
    """An empty live usage figure (to display before training) and the monitor that redraws it."""
    fig = usage_figure(torch.zeros(codebook_size, dtype=torch.long), live=True, title=title)
    return LessonWidget(fig, []), UsageMonitor(images, fig, title)


# --- which images land on a code ----------------------------------------------------------

def code_chooser(model: VQVAE, images: torch.Tensor, *, columns: int = 8, rows: int = 3,
                 labels: torch.Tensor | None = None) -> LessonWidget:
    """A menu of codes (most used first); the figure shows what the decoder draws for the
    chosen code and the images that land on it (up to ``columns * rows``)."""
    idx = predict(model, images, method="code_indices").long()
    counts = torch.bincount(idx, minlength=model.quantizer.codebook_size)
    order = counts.argsort(descending=True, stable=True).tolist()
    with torch.no_grad():
        q = model.quantizer
        drawn = predict(model, q.project_out(q.codes()).detach().cpu(), method="decode")
    h, w = images.shape[-2:]
    fig = go.FigureWidget(make_subplots(rows=1, cols=2, column_widths=[0.16, 0.84], horizontal_spacing=0.03,
                                        subplot_titles=("decode(code)", "images on this code")))
    fig.add_heatmap(z=drawn[0, 0].numpy(), colorscale="gray", zmin=0, zmax=1, showscale=False,
                    hoverinfo="skip", row=1, col=1)
    blank = tile(torch.full((columns * rows, 1, h, w), 0.5), columns)
    fig.add_heatmap(z=blank, colorscale="gray", zmin=0, zmax=1, showscale=False, hoverinfo="skip",
                    row=1, col=2)
    for col, axis in ((1, "x"), (2, "x2")):
        fig.update_yaxes(autorange="reversed", scaleanchor=axis, showticklabels=False, row=1, col=col)
        fig.update_xaxes(showticklabels=False, constrain="domain", row=1, col=col)
    fig.update_layout(height=90 + rows * (h + 2) * 3, width=820, margin=dict(l=10, r=10, t=70, b=10))
    menu = W.Dropdown(options=[(f"code {c} ({int(counts[c])} images)", c) for c in order],
                      value=order[0], description="code")
    image_trace, grid_trace = fig.data

    def redraw(_=None) -> None:
        code = int(menu.value)
        members = (idx == code).nonzero().squeeze(1)
        shown = images[members[:columns * rows]]
        padded = torch.cat([shown, torch.full((columns * rows - len(shown), 1, h, w), 0.5)])
        title = f"code {code}: {len(members)} of {len(images)} images land on it"
        if labels is not None and len(members):
            top = torch.bincount(labels[members], minlength=10)
            title += f"; most are {int(top.argmax())}s ({float(top.max()) / len(members):.0%})"
        with fig.batch_update():
            image_trace.z = drawn[code, 0].numpy()
            grid_trace.z = tile(padded, columns)
            fig.layout.title.text = title

    menu.observe(redraw, names="value")
    redraw()
    return LessonWidget(fig, [menu])


def images_on_codes(model: VQVAE, images: torch.Tensor, codes: Sequence[int], n: int = 10) -> dict[str, torch.Tensor]:
    """For a static figure: for each code, ``n`` images that land on it (grey where fewer do)."""
    idx = predict(model, images, method="code_indices").long()
    rows = {}
    for code in codes:
        members = images[idx == code][:n]
        pad = torch.full((n - len(members), *images.shape[1:]), 0.5)
        rows[f"code {code} ({int((idx == code).sum())})"] = torch.cat([members, pad])
    return rows
