"""One training loop for the whole course. Taught in lesson 01; every lesson trains with it.

>>> history = fit(model, ds.train.images, val=ds.val.images, epochs=20, cache=True)
>>> x_hat = predict(model, ds.test.images)              # batched, no gradients, on the CPU
>>> z = predict(model, ds.test.images, method="encode")

``fit`` picks the device (:func:`course.device.get_device`), shows a progress bar,
keeps a loss history, uses bfloat16 mixed precision on CUDA, and with ``cache=True``
reloads a model trained earlier with exactly the same settings
(:mod:`course.checkpoints`). What is minimised is ``loss_fn(model, *batch)``, so a
lesson changes the objective (denoising, KL term, classification) without a new loop.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Literal, Mapping

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from course import checkpoints
from course.device import get_device

Batch = torch.Tensor | tuple[torch.Tensor, ...]
LossFn = Callable[..., torch.Tensor]
Monitor = Callable[[nn.Module], Mapping[str, float]]


def reconstruction_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error between the input and its reconstruction: lesson 01's loss."""
    return F.mse_loss(model(x), x)


def classification_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of a classifier's logits against integer labels."""
    return F.cross_entropy(model(x), y)


@dataclass
class History:
    """What happened during training: mean loss per epoch, wall time, cache use."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0
    from_cache: bool = False
    extra: dict[str, list[float]] = field(default_factory=dict)  # what a ``monitor`` measured per epoch

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _as_tuple(data: Batch) -> tuple[torch.Tensor, ...]:
    return data if isinstance(data, tuple) else (data,)


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def evaluate(model: nn.Module, data: Batch, *, loss_fn: LossFn = reconstruction_loss,
             batch_size: int = 1024) -> float:
    """Mean of ``loss_fn`` over ``data`` in batches, weighted by batch size."""
    device = next(model.parameters()).device
    tensors = _as_tuple(data)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(tensors[0]), batch_size):
        batch = [t[i:i + batch_size].to(device) for t in tensors]
        with _autocast(device):
            total += float(loss_fn(model, *batch)) * len(batch[0])
        count += len(batch[0])
    model.train(was_training)
    return total / count


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, *, method: str = "forward",
            batch_size: int = 1024) -> torch.Tensor:
    """``model.<method>(x)`` in batches without gradients; the result is on the CPU."""
    device = next(model.parameters()).device
    fn = getattr(model, method)
    was_training = model.training
    model.eval()
    out = torch.cat([fn(x[i:i + batch_size].to(device)).float().cpu()
                     for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return out


@torch.no_grad()
def _monitored(model: nn.Module, monitor: Monitor, device: torch.device) -> dict[str, float]:
    model.eval()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        values = {str(k): float(v) for k, v in monitor(model).items()}
    model.train()
    return values


def fit(model: nn.Module, train: Batch, *, val: Batch | None = None, epochs: int,
        lr: float = 2e-3, batch_size: int = 32, loss_fn: LossFn = reconstruction_loss,
        schedule: Literal["onecycle", "constant"] = "onecycle", weight_decay: float = 0.0,
        seed: int = 0, device: torch.device | str | None = None, cache: bool = False,
        desc: str | None = None, progress: bool = True, monitor: Monitor | None = None) -> History:
    """Train ``model`` in place with Adam and return its :class:`History`.

    ``train`` and ``val`` are a tensor of inputs, or a tuple of tensors (inputs, labels,
    ...) that are sliced together and passed to ``loss_fn(model, *batch)``. The one-cycle
    schedule warms the learning rate up and anneals it, which gets far in few epochs.
    With ``cache=True`` the trained weights are stored, and reused when the model, the
    data, the loss and every setting here are the same. The model ends on ``device``
    (default: :func:`course.device.get_device`) in eval mode.
    ``monitor(model)``, if given, runs after each epoch (eval mode, no gradients, its own
    random numbers on the CPU and CUDA, so the run is unchanged) and returns named
    numbers, appended to ``history.extra`` and cached with it (lesson 08 tracks the ELBO's terms).
    """
    device = torch.device(device) if device is not None else get_device()
    tensors = _as_tuple(train)
    key = None
    if cache:
        key = checkpoints.cache_key(
            model, data=checkpoints.fingerprint(*tensors),
            val=checkpoints.fingerprint(*_as_tuple(val)) if val is not None else None,
            loss=checkpoints.source_hash(loss_fn), fit=checkpoints.source_hash(fit),
            epochs=epochs, lr=lr, batch_size=batch_size, schedule=schedule,
            weight_decay=weight_decay, seed=seed,
            **({"monitor": checkpoints.source_hash(monitor)} if monitor is not None else {}))
        meta = checkpoints.load(key, model)
        if meta is not None:
            model.to(device).eval()
            return History(**{**meta["history"], "from_cache": True})

    model.to(device).train()
    tensors = tuple(t.to(device) for t in tensors)
    n = len(tensors[0])
    steps_per_epoch = -(-n // batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = (torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr,
                                                     total_steps=epochs * steps_per_epoch)
                 if schedule == "onecycle" else None)
    generator = torch.Generator().manual_seed(seed)
    history = History()
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=desc or f"training {type(model).__name__}",
               unit="epoch", disable=not progress)
    for _ in bar:
        total = torch.zeros((), device=device)
        order = torch.randperm(n, generator=generator).to(device)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            with _autocast(device):
                loss = loss_fn(model, *(t[idx] for t in tensors))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.detach().float() * len(idx)
        history.train_loss.append(total.item() / n)
        postfix = {"loss": f"{history.train_loss[-1]:.4f}"}
        if val is not None:
            history.val_loss.append(evaluate(model, val, loss_fn=loss_fn))
            postfix["val"] = f"{history.val_loss[-1]:.4f}"
        if monitor is not None:
            for name, value in _monitored(model, monitor, device).items():
                history.extra.setdefault(name, []).append(value)
        bar.set_postfix(postfix)
    history.seconds = time.perf_counter() - start
    model.eval()
    if key is not None:
        checkpoints.save(key, model, {"history": history.as_dict()})
    return history
