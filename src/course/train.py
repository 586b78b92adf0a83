"""One training loop for the whole course. Taught in lesson 01; every lesson trains with it.

>>> history = fit(model, ds.train.images, val=ds.val.images, epochs=20, cache=True)
>>> x_hat = predict(model, ds.test.images)              # batched, no gradients, on the CPU
>>> z = predict(model, ds.test.images, method="encode")

``fit`` picks the device (:func:`course.device.get_device`), shows progress (a bar in a
terminal; in a notebook one line updated in place that ends as a summary, so a saved
notebook shows how training ended, never a bar frozen at 0%),
keeps a loss history, uses bfloat16 mixed precision on CUDA, and with ``cache=True``
reloads a model trained earlier with exactly the same settings
(:mod:`course.checkpoints`). What is minimised is ``loss_fn(model, *batch)``, so a
lesson changes the objective (denoising, KL term, classification) without a new loop.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Callable, Iterable, Iterator, Literal, Mapping, Sized

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm as _tqdm

from course import checkpoints
from course.device import get_device

Batch = torch.Tensor | tuple[torch.Tensor, ...]
LossFn = Callable[..., torch.Tensor]
Monitor = Callable[[nn.Module], Mapping[str, float]]
FIT_LOG_ENV = "COURSE_FIT_LOG"  # a file: each fit appends a line saying what it did (make warm reads it)


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

    @classmethod
    def from_dict(cls, record: object) -> "History":
        """A history read back from a checkpoint's manifest, checked field by field:
        ``ValueError`` for an unknown or missing field or a value of the wrong type (the
        checkpoint is then treated as damaged and retrained)."""
        if not isinstance(record, dict):
            raise ValueError(f"its history is a {type(record).__name__}, not a record")
        names = {f.name for f in fields(cls)}
        if set(record) != names:
            raise ValueError(f"its history has the fields {sorted(record)}, not {sorted(names)}")

        def losses(value: object, what: str) -> list[float]:
            if not (isinstance(value, list) and all(_is_real(v) for v in value)):
                raise ValueError(f"its history's {what} is not a list of numbers")
            return [float(v) for v in value]

        extra = record["extra"]
        if not isinstance(extra, dict):
            raise ValueError("its history's extra is not a record")
        if not _is_real(record["seconds"]) or not isinstance(record["from_cache"], bool):
            raise ValueError("its history's seconds or from_cache have the wrong type")
        return cls(losses(record["train_loss"], "train_loss"), losses(record["val_loss"], "val_loss"),
                   float(record["seconds"]), record["from_cache"],
                   {str(k): losses(v, f"extra[{k!r}]") for k, v in extra.items()})


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_tuple(data: Batch) -> tuple[torch.Tensor, ...]:
    return data if isinstance(data, tuple) else (data,)


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def evaluate(model: nn.Module, data: Batch, *, loss_fn: LossFn = reconstruction_loss,
             batch_size: int = 1024) -> float:
    """Mean of ``loss_fn`` over ``data`` in batches, weighted by batch size.

    (Batches of 1,024, not :func:`predict`'s 128: a loss that draws noise, a VAE's or a
    denoiser's, draws other numbers in other batches, and training after it would change.)"""
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
            batch_size: int = 128) -> torch.Tensor:
    """``model.<method>(x)`` in batches without gradients; the result is on the CPU.

    Batches of 128 keep a convolution's activations in the CPU's caches, to the same bits
    as other batch sizes for the lessons' models (a model that draws noise when it is
    evaluated would draw other numbers): lesson 09's codec decodes 1,000 digits in 88 ms (2 threads)
    where batches of 256 take 155 ms and one batch of 1,000 takes 162 ms
    (``scripts/predict_batch_size.py`` measures it)."""
    device = next(model.parameters()).device
    fn = getattr(model, method)
    was_training = model.training
    model.eval()
    out = torch.cat([fn(x[i:i + batch_size].to(device)).float().cpu()
                     for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return out


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (JupyterLab, papermill), False in a terminal or a test."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


class KernelProgress:
    """``fit``'s progress in a Jupyter kernel: one plain-text line, redrawn in place.

    The line is an IPython display updated by its id (at most every ``every`` seconds);
    when the loop ends it becomes one summary line, e.g.
    ``"conv AE, k=8: 20 epochs in 14.2 s, loss=0.0123, val=0.0130"``. Unlike tqdm's
    widget, whose saved output is frozen at "0%" once its kernel is gone, a saved
    notebook keeps that summary. A loop that stops with an error leaves its last state.
    """

    def __init__(self, iterable: Iterable, desc: str, unit: str, every: float = 0.2) -> None:
        from IPython.display import display

        self.iterable, self.desc, self.unit, self.every = iterable, desc, unit, every
        self.total = len(iterable) if isinstance(iterable, Sized) else None
        self.n, self.postfix = 0, ""
        self._start = self._shown = time.perf_counter()
        self._handle = display({"text/plain": self.line()}, raw=True, display_id=True)

    def line(self) -> str:
        """The bar as tqdm draws it in a terminal."""
        return _tqdm.format_meter(self.n, self.total, time.perf_counter() - self._start,
                                 prefix=self.desc, unit=self.unit, postfix=self.postfix or None)

    def summary(self) -> str:
        """The line a finished loop leaves: how many steps, how long, the last postfix."""
        units = self.unit if self.n == 1 else f"{self.unit}s"
        line = f"{self.desc}: {self.n} {units} in {time.perf_counter() - self._start:.1f} s"
        return f"{line}, {self.postfix}" if self.postfix else line

    def _show(self, text: str) -> None:
        if self._handle is not None:
            self._handle.update({"text/plain": text}, raw=True)

    def __iter__(self) -> Iterator:
        for item in self.iterable:
            yield item
            self.n += 1
            if time.perf_counter() - self._shown >= self.every:
                self._shown = time.perf_counter()
                self._show(self.line())
        self._show(self.summary())

    def set_postfix(self, postfix: Mapping[str, object]) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in postfix.items())


def progress_bar(iterable: Iterable, *, desc: str, unit: str = "it", disable: bool = False):
    """``fit``'s progress: tqdm's bar in a terminal, a :class:`KernelProgress` in a kernel.

    Nothing with ``disable=True`` or with the environment variable ``TQDM_DISABLE=1``.
    """
    if disable or os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true"):
        return _tqdm(iterable, desc=desc, unit=unit, disable=True)
    if _in_kernel():
        return KernelProgress(iterable, desc=desc, unit=unit)
    return _tqdm(iterable, desc=desc, unit=unit)


def log_fit(model: nn.Module, history: History, *, desc: str | None, cache: bool) -> None:
    """Append one JSON line to the file named by ``COURSE_FIT_LOG``, if set: which model,
    and whether it was trained or reloaded (``make warm`` checks with it, :mod:`course.slides`,
    that a warmed lesson trains nothing)."""
    target = os.environ.get(FIT_LOG_ENV)
    if target:
        with open(target, "a") as log:
            log.write(json.dumps({"model": type(model).__name__, "desc": desc, "cache": cache,
                                  "from_cache": history.from_cache, "seconds": history.seconds}) + "\n")


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
    data, the loss and every setting here are the same; a damaged checkpoint, or a cache
    folder that cannot be made or written, gives a ``CheckpointWarning`` and training goes
    on without it (never an error). The model ends on ``device``
    (default: :func:`course.device.get_device`) in eval mode.
    ``monitor(model)``, if given, runs after each epoch (eval mode, no gradients, its own
    random numbers on the CPU and CUDA, so the run is unchanged) and returns named
    numbers, appended to ``history.extra`` and cached with it (lesson 08 tracks the ELBO's terms).
    """
    device = torch.device(device) if device is not None else get_device()
    tensors = _as_tuple(train)
    key = None
    folder = checkpoints.usable_folder() if cache else None  # None (one warning): no cache
    if folder is not None:
        key = checkpoints.cache_key(
            model, data=checkpoints.fingerprint(*tensors),
            val=checkpoints.fingerprint(*_as_tuple(val)) if val is not None else None,
            loss=checkpoints.source_hash(loss_fn), fit=checkpoints.source_hash(fit),
            epochs=epochs, lr=lr, batch_size=batch_size, schedule=schedule,
            weight_decay=weight_decay, seed=seed,
            **({"monitor": checkpoints.source_hash(monitor)} if monitor is not None else {}))
        meta = checkpoints.load(key, model, folder,
                                validate=lambda meta: History.from_dict(meta["history"]))
        if meta is not None:
            model.to(device).eval()
            history = History.from_dict(meta["history"])
            history.from_cache = True
            log_fit(model, history, desc=desc, cache=cache)
            return history

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
    bar = progress_bar(range(epochs), desc=desc or f"training {type(model).__name__}",
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
    if key is not None and folder is not None:
        try:
            checkpoints.save(key, model, {"history": history.as_dict()}, folder)
        except OSError as error:  # a read-only cache, a full disk: the trained model is still here
            checkpoints.warn_unwritable(folder, error)
    log_fit(model, history, desc=desc, cache=cache)
    return history

