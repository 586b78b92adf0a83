"""Discrete codes of lesson 06: binary codes, one-hot codes, and the classes they find without labels.

A discrete code has no gradient (a sign, a coin flip, an argmax is flat almost everywhere), so
training needs a trick. Two are here, each with lesson 01's convolutional encoder:

- **binary codes**, ``bits`` numbers that are each -1/+1 or 0/1 (:class:`BinaryAutoencoder`):
  :func:`straight_through_sign` (deterministic) and :func:`bernoulli_straight_through`
  (a coin flip per bit in training); the backward pass pretends the rounding was not there.
  :func:`neighbours_agree` tests the bits as a hash (Hamming distance).
- **one-hot codes**, one of ``categories`` choices (:class:`OneHotAutoencoder`, trained with
  :class:`OneHotLoss`): :func:`gumbel_softmax` draws a relaxed one-hot sample whose sharpness
  is set by a temperature, lowered during training by :func:`temperature` (the schedule); at
  test time the code is the exact one-hot of the argmax. The decoder is a set of templates,
  one per choice, warped by a pose the encoder also gives.

A one-hot code with ten choices sorts the images into ten groups without ever seeing a label.
:func:`cluster_accuracy` matches groups to digits one-to-one (Hungarian matching, with
``scipy.optimize.linear_sum_assignment``) and counts how many images land on their digit;
:func:`kmeans_clusters` is the classic baseline (scikit-learn's k-means). Figures:
:func:`gumbel_samples_figure`, :func:`cluster_gallery`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from plotly.subplots import make_subplots
from torch import nn

from course.models import Autoencoder, ConvAutoencoder


# --- binary codes ------------------------------------------------------------------------

def straight_through_sign(logits: torch.Tensor) -> torch.Tensor:
    """-1 or +1 per number in the forward pass; the gradient of ``tanh`` in the backward pass.

    ``sign`` has zero gradient everywhere (and none at 0). The straight-through estimator
    uses the rounded value forwards and a smooth stand-in, here ``tanh``, backwards:
    ``soft + (hard - soft).detach()`` is ``hard`` in value and ``soft`` in gradient.
    """
    soft = torch.tanh(logits)
    hard = torch.where(soft >= 0, 1.0, -1.0).to(soft.dtype)
    return soft + (hard - soft).detach()


def bernoulli_straight_through(logits: torch.Tensor, sample: bool = True) -> torch.Tensor:
    """0 or 1 per number: a coin flip with probability ``sigmoid(logits)`` (``sample=True``),
    else the rounded probability; the gradient is that of the probability (straight-through).

    The noise of the coin flips means that a bit the encoder is unsure about costs
    reconstruction error, so training pushes the probabilities towards 0 or 1.
    """
    p = torch.sigmoid(logits)
    hard = (torch.rand_like(p) < p) if sample else (p >= 0.5)
    return p + (hard.to(p.dtype) - p).detach()


class BinaryAutoencoder(Autoencoder):
    """Lesson 06's binary autoencoder: lesson 01's convolutional networks, ``bits`` binary numbers between.

    ``mode="sign"``: each bit is the sign of an encoder output (-1/+1), straight-through.
    ``mode="bernoulli"``: each bit is a coin flip in training (0/1), rounded at test time.
    ``encode`` returns the bits (as floats), ``decode`` draws an image from them.
    """

    def __init__(self, image_shape: tuple[int, int, int], bits: int,
                 mode: Literal["sign", "bernoulli"] = "sign", channels: tuple[int, int] = (32, 64),
                 batch_norm: bool = True) -> None:
        super().__init__(image_shape, bits)
        if mode not in ("sign", "bernoulli"):
            raise ValueError(f"mode must be 'sign' or 'bernoulli', got {mode!r}")
        self.mode, self.channels, self.batch_norm = mode, tuple(channels), batch_norm
        layers = ConvAutoencoder(image_shape, bits, channels, batch_norm)
        self.encoder, self.decoder = layers.encoder, layers.decoder

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.encoder(x)
        if self.mode == "sign":
            return straight_through_sign(logits)
        return bernoulli_straight_through(logits, sample=self.training)

    @property
    def config(self) -> dict[str, object]:
        return {**super().config, "mode": self.mode, "channels": list(self.channels),
                "batch_norm": self.batch_norm}


def neighbours_agree(codes: torch.Tensor, labels: torch.Tensor, k: int = 10,
                     metric: Literal["hamming", "euclidean"] = "hamming") -> float:
    """How often the ``k`` nearest other codes have the same label as a code's own image.

    ``metric="hamming"``: codes ``(N, bits)`` are binary (any two values) and the distance is
    the number of bits that differ, the cheapest distance a computer has: a binary code as
    a hash, where similar images should differ in few bits. ``"euclidean"`` for real codes.
    """
    if metric == "hamming":
        bits = (codes > codes.min()).float()
        distance = bits @ (1 - bits).T + (1 - bits) @ bits.T  # bits that differ, for every pair
        # whole numbers of bits tie often: break ties at random (fixed), not by position
        distance += 0.5 * torch.rand(distance.shape, generator=torch.Generator().manual_seed(0))
    else:
        distance = torch.cdist(codes.double(), codes.double()).float()
    distance.fill_diagonal_(float("inf"))
    nearest = distance.topk(k, dim=1, largest=False).indices
    return (labels[nearest] == labels[:, None]).float().mean().item()


# --- one-hot codes -----------------------------------------------------------------------

def gumbel_softmax(logits: torch.Tensor, tau: float, hard: bool = False) -> torch.Tensor:
    """A relaxed sample of the categorical distribution ``softmax(logits)``, one row per input.

    Adding Gumbel noise ``-log(-log(u))`` to the logits and taking the argmax draws an
    exact sample (the Gumbel-max trick); replacing the argmax by ``softmax(. / tau)`` makes
    it differentiable. Near ``tau = 0`` the sample is almost one-hot, at large ``tau``
    almost uniform. ``hard=True`` returns the exact one-hot with the relaxed gradient.
    """
    u = torch.rand_like(logits).clamp(1e-9, 1 - 1e-9)
    gumbel = -torch.log(-torch.log(u))
    soft = F.softmax((logits + gumbel) / tau, dim=-1)
    if not hard:
        return soft
    one_hot = F.one_hot(soft.argmax(-1), logits.shape[-1]).to(soft.dtype)
    return soft + (one_hot - soft).detach()


def temperature(step: int, tau_start: float, tau_end: float, anneal_steps: int) -> float:
    """The temperature schedule: ``tau_start`` falling geometrically to ``tau_end`` over
    ``anneal_steps`` training steps, then held there."""
    t = min(max(step, 0) / max(anneal_steps, 1), 1.0)
    return tau_start * (tau_end / tau_start) ** t


class OneHotAutoencoder(Autoencoder):
    """Lesson 06's one-hot autoencoder: each image becomes one of ``categories`` choices and a pose.

    The encoder (lesson 01's) outputs ``categories`` logits and 6 pose numbers. The decoder
    is as simple as it gets: ``categories`` learned **template** images; the code picks one,
    and the pose warps it (an affine map: turn, stretch, shear, shift, each entry at most
    ``max_warp`` away from the identity). In training the choice is a Gumbel-softmax sample
    at the scheduled temperature (:func:`temperature`, counted in training steps by the model
    itself), a blend of templates; at test time it is the exact one-hot of the most likely choice.

    Without the pose this is k-means with ``categories`` centres (each image drawn as one
    template). The pose lets one template serve every slant and size of a digit, so the
    choice is left to say which digit it is. Templates start, on the first training batch,
    as that batch's mean image plus a little noise (so they differ).
    """

    POSE = 6  # the numbers of a 2x3 affine matrix

    def __init__(self, image_shape: tuple[int, int, int], categories: int = 10, *,
                 max_warp: float = 0.5, tau_start: float = 1.0, tau_end: float = 0.1,
                 anneal_steps: int = 1000, channels: tuple[int, int] = (32, 64),
                 batch_norm: bool = True) -> None:
        super().__init__(image_shape, categories + self.POSE)
        self.categories, self.max_warp = categories, max_warp
        self.tau_start, self.tau_end, self.anneal_steps = tau_start, tau_end, anneal_steps
        self.channels, self.batch_norm = tuple(channels), batch_norm
        self.encoder = ConvAutoencoder(image_shape, categories + self.POSE, channels, batch_norm).encoder
        with torch.no_grad():  # the pose starts near the identity warp
            self.encoder[-1].weight[categories:] *= 0.01
            self.encoder[-1].bias[categories:] = 0.0
        self.templates = nn.Parameter(torch.zeros(categories, *image_shape))
        self.register_buffer("initialised", torch.tensor(False))
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    @property
    def tau(self) -> float:
        """The temperature now."""
        return temperature(int(self.step), self.tau_start, self.tau_end, self.anneal_steps)

    def parts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The choice's logits ``(N, categories)`` and the pose ``(N, 6)``."""
        if self.training and not self.initialised:
            with torch.no_grad():
                self.templates.copy_(x.mean(0) + 0.1 * torch.rand_like(self.templates))
                self.initialised.fill_(True)
        h = self.encoder(x).float()
        return h[:, :self.categories], h[:, self.categories:]

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.parts(x)[0]

    def relax(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits -> the choice the decoder sees: a Gumbel-softmax sample at the scheduled
        temperature in training (one step further along the schedule), the exact one-hot otherwise."""
        if self.training:
            code = gumbel_softmax(logits, self.tau)
            self.step += 1
            return code
        return F.one_hot(logits.argmax(-1), self.categories).float()

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        logits, pose = self.parts(x)
        return torch.cat([self.relax(logits), pose], dim=1)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """``(N, categories + 6)``: a (blend of) template(s), warped by the pose."""
        choice, pose = code[:, :self.categories], code[:, self.categories:]
        drawn = (choice @ self.templates.flatten(1)).view(-1, *self.image_shape)
        theta = torch.eye(2, 3, device=code.device) + self.max_warp * torch.tanh(pose).view(-1, 2, 3)
        grid = F.affine_grid(theta, list(drawn.shape), align_corners=False)
        return F.grid_sample(drawn, grid, align_corners=False)

    def cluster(self, x: torch.Tensor) -> torch.Tensor:
        """The choice (0 .. categories-1) each image lands on."""
        return self.logits(x).argmax(-1)

    @property
    def config(self) -> dict[str, object]:
        return {**super().config, "categories": self.categories, "max_warp": self.max_warp,
                "tau_start": self.tau_start, "tau_end": self.tau_end,
                "anneal_steps": self.anneal_steps, "channels": list(self.channels),
                "batch_norm": self.batch_norm}


def usage_penalty(logits: torch.Tensor) -> torch.Tensor:
    """``log K - H(mean_p)``: 0 when a batch's mean choice probabilities ``mean_p`` are
    uniform over the ``K`` choices, ``log K`` when every image goes to the same one (nats)."""
    mean_p = F.softmax(logits.float(), dim=-1).mean(0)
    return math.log(logits.shape[-1]) + (mean_p * torch.log(mean_p + 1e-12)).sum()


def onehot_loss(model: OneHotAutoencoder, x: torch.Tensor, *, balance: float = 10.0) -> torch.Tensor:
    """The one-hot autoencoder's loss, per image: squared error + ``balance`` x usage penalty.

    Without the usage penalty (:func:`usage_penalty`) a few choices win early and the others
    are never used again: the same collapse as a VQ-VAE's codebook. The penalty asks each
    batch to spread over all choices; which image goes where still comes from reconstruction.
    """
    logits, pose = model.parts(x)
    x_hat = model.decode(torch.cat([model.relax(logits), pose], dim=1))
    error = (x_hat - x).pow(2).flatten(1).sum(1).mean()
    return error + balance * usage_penalty(logits)


@dataclass(frozen=True)
class OneHotLoss:
    """:func:`onehot_loss` with its weight fixed: a ``loss_fn`` for :func:`course.train.fit`."""

    balance: float = 10.0

    def __call__(self, model: OneHotAutoencoder, x: torch.Tensor) -> torch.Tensor:
        return onehot_loss(model, x, balance=self.balance)


# --- classes found without labels ----------------------------------------------------------

def match_clusters(clusters: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor) -> dict[int, int]:
    """The one-to-one matching of clusters to labels that puts the most images on their label.

    Counts how many images of each label fall in each cluster and lets the Hungarian
    algorithm (``scipy.optimize.linear_sum_assignment``) pick the matching with the largest
    total. Returns ``{cluster: label}``; a cluster left without a label (more clusters
    than labels) is missing.
    """
    from scipy.optimize import linear_sum_assignment

    c, y = np.asarray(clusters).astype(int), np.asarray(labels).astype(int)
    counts = np.zeros((c.max() + 1, y.max() + 1), dtype=np.int64)
    np.add.at(counts, (c, y), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return {int(r): int(k) for r, k in zip(rows, cols)}


def cluster_accuracy(clusters: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor) -> float:
    """The share of images whose cluster is matched to their label (see :func:`match_clusters`).

    Any relabelling of the clusters gives the same accuracy; ten clusters drawn at random
    score about 0.1 on ten balanced classes.
    """
    mapping = match_clusters(clusters, labels)
    c, y = np.asarray(clusters).astype(int), np.asarray(labels).astype(int)
    predicted = np.array([mapping.get(int(k), -1) for k in c])
    return float(np.mean(predicted == y))


def kmeans_clusters(train: torch.Tensor, test: torch.Tensor, k: int = 10, seed: int = 0,
                    n_init: int = 10) -> np.ndarray:
    """k-means (scikit-learn) fitted on the rows of ``train``; the cluster of each row of ``test``.

    Images are flattened to rows of pixels; codes ``(N, d)`` are used as they are.
    """
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    model.fit(train.flatten(1).double().numpy())
    return model.predict(test.flatten(1).double().numpy())


def cluster_sizes(clusters: np.ndarray | torch.Tensor, k: int) -> np.ndarray:
    """How many images land on each of ``k`` clusters."""
    return np.bincount(np.asarray(clusters).astype(int), minlength=k)


def onehot_entropy_bits(clusters: np.ndarray | torch.Tensor, k: int) -> float:
    """Entropy of the cluster sizes in bits: log2(k) when all are used equally, 0 for one cluster."""
    p = cluster_sizes(clusters, k) / max(len(np.asarray(clusters)), 1)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum()) if len(p) else 0.0




# --- figures -------------------------------------------------------------------------------

def gumbel_samples_figure(logits: torch.Tensor, taus: Sequence[float], n: int = 6,
                          seed: int = 0) -> go.Figure:
    """One panel per temperature: ``n`` Gumbel-softmax samples of the same ``logits`` (one row
    each; darker = closer to 1). Low temperatures give near one-hot rows, high ones near uniform."""
    fig = make_subplots(rows=1, cols=len(taus), subplot_titles=[f"τ = {t:g}" for t in taus],
                        horizontal_spacing=0.04)
    p = F.softmax(logits.float(), -1)
    for col, tau in enumerate(taus, start=1):
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            samples = gumbel_softmax(logits.float().expand(n, -1), tau)
        fig.add_heatmap(z=samples.numpy(), zmin=0, zmax=1, colorscale="Blues", showscale=col == len(taus),
                        text=np.round(samples.numpy(), 2), texttemplate="%{text}", hoverinfo="skip",
                        row=1, col=col)
        fig.update_xaxes(tickvals=list(range(len(p))), title_text="choice", row=1, col=col)
        fig.update_yaxes(autorange="reversed", showticklabels=col == 1, tickvals=list(range(n)),
                         ticktext=[f"sample {i + 1}" for i in range(n)], row=1, col=col)
    fig.update_layout(height=330, width=300 * len(taus) + 120,
                      title="Gumbel-softmax samples of softmax(logits) = "
                            + ", ".join(f"{v:.2f}" for v in p.tolist()))
    return fig


def cluster_gallery(clusters: np.ndarray | torch.Tensor, images: torch.Tensor,
                    mapping: dict[int, int], classes: Sequence[str], *, first: torch.Tensor | None = None,
                    n: int = 10) -> dict[str, torch.Tensor]:
    """Rows for :func:`course.plots.image_grid`: for each cluster, ``n`` images that land on it
    (grey where fewer do), after its own picture ``first[c]`` if given (e.g. its template).
    Row names say which label the cluster was matched to."""
    c = torch.as_tensor(np.asarray(clusters)).long()
    rows = {}
    for k in sorted(mapping, key=lambda k: mapping[k]):
        members = images[c == k][:n]
        pad = torch.full((n - len(members), *images.shape[1:]), 0.5)
        row = [members, pad] if first is None else [first[k:k + 1].clamp(0, 1), members, pad]
        rows[f"choice {k} → {classes[mapping[k]]} ({int((c == k).sum())})"] = torch.cat(row)
    return rows
