"""Measurements cached like trained models: measure once, reload in a lecture. Used by lessons 06 and 09.

``remember(fn, *args, cache=True, **kwargs)`` is ``fn(*args, **kwargs)``. With the cache
on, the result is stored in the checkpoint cache (:func:`course.paths.cache_dir`, folder
``measured/``) and loaded instead of measured the next time the same function runs on
the same arguments with the same code. Lesson 09 measures JPEG, WebP and its own codec
on a thousand digits this way: about eight seconds the first time, a fraction after
(``make warm`` fills it, as it trains the models); lesson 06 its k-means groups.

The key is a hash of

- the function's module, name and source (a lambda or a function typed in a notebook
  is told apart by its source; a model's method, or a model itself, by its weights too),
- the source of every module of the course (any edit to ``src/course`` measures again:
  a measurement depends on more than its own function) and the versions of torch, numpy
  and Pillow (JPEG's bytes come from Pillow's libjpeg),
- the arguments: tensors and arrays by their shape, type and bytes, models by their
  class, ``config`` and weights, numbers, strings and lists, tuples and dicts of them by
  their values. Anything else is a ``TypeError``, never a guess.

A result may hold numbers, strings, booleans, ``None``, tensors, numpy arrays and lists,
tuples and dicts of them. It is written with ``torch.save`` through a temporary file
that is renamed (two processes never see half a file) and read with
``torch.load(weights_only=True)``, so a cached file can never run code. A file that does
not load is measured again, with a :class:`course.checkpoints.CheckpointWarning`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import warnings
from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np
import PIL
import torch
from torch import nn

from course import checkpoints

T = TypeVar("T")
FOLDER = "measured"
_ARRAY = "__numpy_array__"  # marks a numpy array stored as a tensor


@functools.lru_cache(maxsize=1)
def course_source_hash() -> str:
    """sha256 of every ``.py`` file of the course package, and of the library versions."""
    h = hashlib.sha256(f"torch {torch.__version__} numpy {np.__version__} Pillow {PIL.__version__}".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def describe(value: Any) -> Any:
    """What identifies an argument, as JSON-able values (``TypeError`` for anything else)."""
    if isinstance(value, torch.Tensor):
        return {"tensor": checkpoints.fingerprint(value)}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("remember() cannot identify an array of Python objects")
        return {"array": checkpoints.fingerprint(torch.from_numpy(np.ascontiguousarray(value)))}
    if isinstance(value, nn.Module):
        return {"model": f"{type(value).__module__}.{type(value).__qualname__}",
                "config": describe(getattr(value, "config", {})),
                "weights": checkpoints.fingerprint(*value.state_dict().values())}
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [describe(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", [[describe(k), describe(v)] for k, v in value.items()]]
    if isinstance(value, np.generic):
        return describe(value.item())
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"remember() cannot identify an argument of type {type(value).__name__}")


def key_of(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> str:
    """The cache key of ``fn(*args, **kwargs)``."""
    name = getattr(fn, "__qualname__", type(fn).__qualname__)
    what = {"function": f"{fn.__module__}.{name}", "source": checkpoints.source_hash(fn),
            "code": course_source_hash(),
            "args": describe(list(args)), "kwargs": describe(dict(sorted(kwargs.items())))}
    # a model's method, or a model called as a function: its weights are an argument too
    owner = fn if isinstance(fn, nn.Module) else getattr(fn, "__self__", None)
    if isinstance(owner, nn.Module):
        what["self"] = describe(owner)
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:32]


def _rebuilt(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """``value`` with its tuples, lists and dicts rebuilt alike and ``leaf`` applied to the rest
    (a stored array's marker dict is a leaf)."""
    if isinstance(value, (tuple, list)):
        return (tuple if isinstance(value, tuple) else list)(_rebuilt(v, leaf) for v in value)
    if isinstance(value, dict) and set(value) != {_ARRAY}:
        return {k: _rebuilt(v, leaf) for k, v in value.items()}
    return leaf(value)


def _storable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("remember() cannot store an array of Python objects")
        return {_ARRAY: torch.from_numpy(np.ascontiguousarray(value).copy())}
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"remember() cannot store a result holding a {type(value).__name__}")


def _loaded(value: Any) -> Any:
    return value[_ARRAY].numpy() if isinstance(value, dict) else value


def remember(fn: Callable[..., T], *args: Any, cache: bool = True, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, from the cache when it was measured before (see the module)."""
    folder = checkpoints.usable_folder() if cache else None  # None (one warning): no cache
    if folder is None:
        return fn(*args, **kwargs)
    path = folder / FOLDER / f"{key_of(fn, args, kwargs)}.pt"
    if path.is_file():
        try:
            return _rebuilt(torch.load(path, map_location="cpu", weights_only=True), _loaded)
        except Exception as error:  # damaged or foreign: measured again, never trusted
            warnings.warn(f"The cached measurement {path.name} does not load ({type(error).__name__}); "
                          "measuring again.", checkpoints.CheckpointWarning, stacklevel=2)
    stored = _rebuilt(fn(*args, **kwargs), _storable)
    try:
        path.parent.mkdir(exist_ok=True)
        checkpoints.atomic_write(path, lambda f: torch.save(stored, f))
    except OSError as error:  # a read-only cache, a full disk: the measurement is still here
        checkpoints.warn_unwritable(folder, error)
    return _rebuilt(stored, _loaded)  # what a later run loads, to the type: the first run prints the same
