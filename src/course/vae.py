"""The variational autoencoder of lesson 08: a decoder you can sample from.

A plain autoencoder (lesson 01) maps each image to one point ``z``; nothing says which
points the decoder has learnt to draw, so a random ``z`` usually decodes to a smudge.
A VAE's encoder outputs a whole Gaussian ``q(z|x) = N(mean, diag(exp(log_var)))`` per
image, training decodes a *sample* of it (the reparameterisation trick keeps that
differentiable), and a KL term pulls every ``q(z|x)`` towards the prior ``N(0, I)``.
The loss is the negative evidence lower bound (ELBO), in nats per image::

    loss = reconstruction + beta * KL
         = -log p(x | z)  (Bernoulli, summed over pixels)  +  beta * KL(q(z|x) || N(0, I))

>>> model = ConvVAE((1, 28, 28), latent_dim=16)
>>> fit(model, ds.train.images, epochs=20, loss_fn=ELBOLoss(beta=1.0), cache=True)
>>> images = sample_prior(model, 64)                    # the decoder as a generator
>>> strip = interpolate(model, x_a, x_b, steps=10)      # a walk from one digit to another

Also here, for lesson 08's measurements and figures: :func:`elbo_split` (the two terms
over a data set, for ``fit(..., monitor=...)`` and the test figures),
:func:`sample_gaussian_like` (a Gaussian fitted to a plain autoencoder's codes),
:func:`latent_grid`, :func:`elbo_curves`, :func:`rate_distortion_figure` and the
:func:`interpolation_slider` widget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import ipywidgets as W
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from plotly.subplots import make_subplots
from torch import nn

from course.models import Autoencoder, ConvAutoencoder
from course.plots import PALETTE
from course.train import History, predict
from course.widgets import LessonWidget


def reparameterise(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """A sample ``z ~ N(mean, exp(log_var))`` written as ``mean + std * eps``.

    The randomness is in ``eps ~ N(0, I)``, which does not depend on the network, so
    gradients flow through ``mean`` and ``std`` into the encoder: the reparameterisation trick.
    """
    std = torch.exp(0.5 * log_var)
    eps = torch.randn_like(std)
    return mean + std * eps


def kl_to_standard_normal(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """``KL(N(mean, exp(log_var)) || N(0, I))`` in nats, one number per row.

    Per dimension it is ``(mean² + var - 1 - log var) / 2``: zero exactly when
    ``mean = 0`` and ``var = 1``, i.e. when the code says nothing about the image.
    """
    return 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(dim=1)


class ConvVAE(Autoencoder):
    """Lesson 08's variational autoencoder: lesson 01's convolutional design, made probabilistic.

    The layers are those of :class:`course.models.ConvAutoencoder`, with two changes:
    the encoder's last layer outputs ``2 * latent_dim`` numbers (a mean and a
    log-variance per latent dimension), and the decoder ends in logits: ``decode``
    applies the sigmoid, the loss uses the logits (a Bernoulli likelihood per pixel).
    ``encode`` returns the mean, so ``predict(model, x, method="encode")`` gives codes
    and ``model(x)`` a reconstruction, as for every autoencoder of the course.
    """

    def __init__(self, image_shape: tuple[int, int, int], latent_dim: int,
                 channels: tuple[int, int] = (32, 64), batch_norm: bool = True) -> None:
        super().__init__(image_shape, latent_dim)
        self.channels, self.batch_norm, self.latent_dim = tuple(channels), batch_norm, latent_dim
        # Lesson 01's layers: an encoder with a mean and a log-variance per latent dimension ...
        self.encoder = ConvAutoencoder(image_shape, 2 * latent_dim, channels, batch_norm).encoder
        # ... and a decoder without its final sigmoid, so that it outputs logits.
        self.decoder = ConvAutoencoder(image_shape, latent_dim, channels, batch_norm).decoder[:-1]

    def encode_distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The mean and log-variance of ``q(z|x)``, each ``(N, latent_dim)``."""
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        return mean, log_var

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode_distribution(x)[0]

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decode_logits(z))

    @property
    def config(self) -> dict[str, object]:
        return {**super().config, "channels": list(self.channels), "batch_norm": self.batch_norm}


def elbo_terms(model: ConvVAE, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Reconstruction and KL per image, in nats: the two halves of the negative ELBO.

    Reconstruction is ``-log p(x|z)`` for one sample ``z`` of ``q(z|x)``: binary
    cross-entropy of the decoder's logits, summed over the pixels.
    """
    mean, log_var = model.encode_distribution(x)
    z = reparameterise(mean, log_var)
    logits = model.decode_logits(z)
    reconstruction = F.binary_cross_entropy_with_logits(
        logits.float(), x.float(), reduction="none").flatten(1).sum(dim=1)
    kl = kl_to_standard_normal(mean.float(), log_var.float())
    return reconstruction, kl


def elbo_loss(model: ConvVAE, x: torch.Tensor, *, beta: float = 1.0) -> torch.Tensor:
    """The VAE's training loss: mean over the batch of ``reconstruction + beta * KL`` (nats).

    ``beta = 1`` is the negative ELBO; other values weigh the KL term (lesson 08's sweep).
    """
    reconstruction, kl = elbo_terms(model, x)
    return (reconstruction + beta * kl).mean()


@dataclass(frozen=True)
class ELBOLoss:
    """``elbo_loss`` with its ``beta`` fixed: a ``loss_fn`` for :func:`course.train.fit`.

    ``fit(model, x, loss_fn=ELBOLoss(beta=4.0), cache=True)``. The checkpoint cache keys
    it on ``beta`` and this module's source (:func:`course.checkpoints.source_hash`), so a
    different beta or an edited loss retrains.
    """

    beta: float = 1.0

    def __call__(self, model: ConvVAE, x: torch.Tensor) -> torch.Tensor:
        return elbo_loss(model, x, beta=self.beta)


@torch.no_grad()
def elbo_split(model: ConvVAE, x: torch.Tensor, *, batch_size: int = 1000,
               seed: int | None = 0) -> tuple[float, float]:
    """Mean reconstruction and mean KL per image over ``x`` (nats), one ``z`` sample each.

    With ``seed`` the sampled ``z`` are the same every call (the global random state is
    left as it was), so a measurement does not change with what ran before it.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total_r, total_kl = 0.0, 0.0
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        if seed is not None:
            torch.manual_seed(seed)
        for i in range(0, len(x), batch_size):
            r, kl = elbo_terms(model, x[i:i + batch_size].to(device))
            total_r += float(r.sum())
            total_kl += float(kl.sum())
    model.train(was_training)
    return total_r / len(x), total_kl / len(x)


@torch.no_grad()
def sample_prior(model: Autoencoder, n: int, *, seed: int = 0,
                 latent_dim: int | None = None) -> torch.Tensor:
    """Decode ``n`` vectors drawn from ``N(0, I)``: images ``(n, C, H, W)`` on the CPU.

    Works for any autoencoder with a ``decode``: for a plain one, ``N(0, I)`` is just a
    guess at where its codes live (lesson 08 shows how bad a guess).
    """
    k = latent_dim or getattr(model, "latent_dim", None) or model.bottleneck
    z = torch.randn(n, k, generator=torch.Generator().manual_seed(seed))
    return predict(model, z, method="decode")


def sample_gaussian_like(codes: torch.Tensor, n: int, *, seed: int = 0) -> torch.Tensor:
    """``n`` vectors from the Gaussian with the mean and covariance of ``codes`` ``(N, k)``.

    The fairest simple prior for a plain autoencoder: it puts samples where its codes are.
    """
    codes = codes.double()
    mean = codes.mean(0)
    centred = codes - mean
    cov = centred.T @ centred / (len(codes) - 1)
    cov += 1e-6 * cov.diagonal().mean() * torch.eye(len(mean), dtype=cov.dtype)
    eps = torch.randn(n, len(mean), generator=torch.Generator().manual_seed(seed), dtype=cov.dtype)
    return (mean + eps @ torch.linalg.cholesky(cov).T).float()


@torch.no_grad()
def interpolate(model: Autoencoder, x_a: torch.Tensor, x_b: torch.Tensor,
                steps: int = 10) -> torch.Tensor:
    """Decode ``steps`` codes on the straight line from ``encode(x_a)`` to ``encode(x_b)``.

    ``x_a`` and ``x_b`` are single images ``(C, H, W)``; for a VAE the codes are the means.
    Returns ``(steps, C, H, W)`` on the CPU, the first and last being the two reconstructions.
    """
    z = predict(model, torch.stack([x_a, x_b]), method="encode")
    t = torch.linspace(0, 1, steps)[:, None]
    return predict(model, (1 - t) * z[0] + t * z[1], method="decode")


def latent_grid(span: float = 2.0, steps: int = 15) -> torch.Tensor:
    """A ``steps x steps`` grid of 2-D codes in ``[-span, span]²``, row by row, top row highest ``z[1]``.

    Decoded by a 2-D VAE it is the learnt manifold (lesson 08); ``span=2`` covers about 95 %
    of the prior's mass in each direction.
    """
    values = torch.linspace(-span, span, steps)
    z1, z0 = torch.meshgrid(values.flip(0), values, indexing="ij")
    return torch.stack([z0.flatten(), z1.flatten()], dim=1)


def rate_distortion_figure(betas: Sequence[float], kl: Sequence[float],
                           reconstruction: Sequence[float], *,
                           title: str = "Rate against distortion") -> go.Figure:
    """Distortion (reconstruction, nats) against rate (KL, nats), one labelled point per beta."""
    fig = go.Figure()
    fig.add_scatter(x=list(kl), y=list(reconstruction), mode="lines+markers+text",
                    text=[f"β={b:g}" for b in betas], textposition="top right",
                    line=dict(color=PALETTE[0]), marker=dict(size=9), name="VAE")
    fig.update_layout(title=title, height=400, showlegend=False,
                      xaxis_title="rate: KL(q(z|x) || N(0, I)), nats per image",
                      yaxis_title="distortion: reconstruction, nats per image")
    return fig


def elbo_curves(history: History, *, title: str = "The loss and its two terms during training") -> go.Figure:
    """Left: the loss per epoch (training, validation) and the validation reconstruction term;
    right: the validation KL term. Needs ``history.extra`` with ``reconstruction`` and ``KL``
    (``fit(..., monitor=...)`` records them)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("reconstruction + β·KL, and reconstruction",
                                                        "KL(q(z|x) || N(0, I))"))
    epochs = list(range(1, len(history.train_loss) + 1))
    lines = [("loss (train)", history.train_loss, 1, dict(color=PALETTE[0])),
             ("loss (val)", history.val_loss, 1, dict(color=PALETTE[0], dash="dash")),
             ("reconstruction (val)", history.extra.get("reconstruction", []), 1, dict(color=PALETTE[1])),
             ("KL (val)", history.extra.get("KL", []), 2, dict(color=PALETTE[2]))]
    for name, ys, col, line in lines:
        if ys:
            fig.add_scatter(x=epochs[:len(ys)], y=list(ys), name=name, mode="lines+markers", line=line,
                            row=1, col=col)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="nats per image")
    fig.update_yaxes(type="log", row=1, col=1)  # the first epochs start far above the rest
    fig.update_layout(title=title, height=400)
    return fig


def interpolation_slider(models: Mapping[str, Autoencoder], x_a: torch.Tensor,
                         x_b: torch.Tensor, *, steps: int = 20) -> LessonWidget:
    """A slider ``t`` from 0 to 1 walks the straight line between the codes of two images.

    Panels: the start image, then ``decode((1 - t) * z_a + t * z_b)`` for each model
    (e.g. the VAE and the plain autoencoder side by side), then the end image.
    """
    names = list(models)
    titles = ["start", *names, "end"]
    fig = go.FigureWidget(make_subplots(rows=1, cols=len(titles), subplot_titles=titles,
                                        horizontal_spacing=0.02))
    ends: dict[str, torch.Tensor] = {}
    for name, model in models.items():
        device = next(model.parameters()).device
        with torch.no_grad():
            was_training = model.training
            model.eval()
            ends[name] = model.encode(torch.stack([x_a, x_b]).to(device)).float()
            model.train(was_training)
    pictures = [x_a, *(torch.zeros_like(x_a) for _ in names), x_b]
    for col, image in enumerate(pictures, start=1):
        fig.add_heatmap(z=image[0].numpy(), colorscale="gray", zmin=0, zmax=1, showscale=False,
                        hoverinfo="skip", row=1, col=col)
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(height=260, width=170 * len(titles), margin=dict(l=10, r=10, t=40, b=10))
    slider = W.FloatSlider(value=0.5, min=0.0, max=1.0, step=1.0 / steps, description="t",
                           continuous_update=True, readout_format=".2f")

    def redraw(_=None) -> None:
        t = float(slider.value)
        images = {name: predict(model, (1 - t) * ends[name][:1] + t * ends[name][1:], method="decode")[0, 0]
                  for name, model in models.items()}
        with fig.batch_update():
            for i, name in enumerate(names, start=1):
                fig.data[i].z = images[name].clamp(0, 1).numpy()
            fig.layout.title = f"t = {t:.2f}: {1 - t:.0%} start, {t:.0%} end"

    slider.observe(redraw, names="value")
    redraw()
    return LessonWidget(fig, [slider])
