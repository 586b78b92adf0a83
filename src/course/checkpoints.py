"""The checkpoint cache: train once, reload in a lecture. Taught in lesson 00.

:func:`course.train.fit` with ``cache=True`` asks here first. A checkpoint is two files
in :func:`course.paths.cache_dir`:

- ``<key>.pt``: the model's ``state_dict``, loaded with ``torch.load(weights_only=True)``
  so a checkpoint can never run code;
- ``<key>.json``: what was trained (model class and configuration, data fingerprint,
  training settings), the loss history, the sha256 of the ``.pt`` file, and a checksum
  over all of that (so an edited history is noticed too).

The key is a hash of everything that decides the trained weights, including the source
of the model class and of the loss, so editing either retrains. Both files are written
to a temporary file of a unique name and renamed (atomic), the ``.json`` last, so
processes that train the same model at once never see or leave half a file. A
checkpoint whose manifest does not parse into the expected record, or whose checksums
or shapes do not match, is reported with a :class:`CheckpointWarning` and retrained,
never used. A cache folder that cannot be made or written (a file in its place, no
permission) is reported once with a :class:`CheckpointWarning`; training goes on
without the cache.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from course.paths import cache_dir

FORMAT_VERSION = 2  # 2: the manifest carries a checksum over its own contents
_RECORD_KEYS = {"format", "key", "sha256", "model", "meta", "checksum"}
_warned_folders: set[str] = set()


class CheckpointWarning(UserWarning):
    """A cached checkpoint was damaged or did not match its model: it is retrained."""


def fingerprint(*tensors: torch.Tensor) -> str:
    """A short hash of tensors' shapes and contents: identifies the training data."""
    h = hashlib.sha256()
    for t in tensors:
        t = t.detach().cpu().contiguous()
        h.update(f"{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return getattr(obj, "__qualname__", repr(obj))


def source_hash(obj: Any) -> str:
    """Hash of what decides an object's behaviour: the code a training run depends on.

    A function or class: its source. Any other callable object, such as a loss with
    settings (lesson 02's ``DenoisingLoss``, lesson 08's ``ELBOLoss``): the source of the
    module that defines its class (so editing a helper it calls counts too) and its public
    attributes (so other settings give another hash). Where there is no source (a lambda
    typed at a prompt), its qualified name.
    """
    if inspect.isroutine(obj) or inspect.isclass(obj):
        text = _source(obj)
    else:
        cls = type(obj)
        module = inspect.getmodule(cls)
        code = _source(module) if module is not None and module.__name__ != "__main__" else _source(cls)
        settings = {k: v for k, v in vars(obj).items() if not k.startswith("_")}
        text = f"{code}\n{cls.__qualname__}{sorted(settings.items())!r}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def model_source_hash(model: nn.Module) -> str:
    """Hash of the code a model runs: the model's class, and the source of every module
    that defines one of its parts (PyTorch's own layers aside).

    A part's behaviour can live outside its class: lesson 06's ``VectorQuantizer`` calls
    ``nearest_code`` and restarts dead codes in ``course.vq``. Editing that file must
    retrain a cached ``VQVAE``, so the whole defining module of each part counts.
    """
    modules = {type(part).__module__ for part in model.modules()} - {"__main__"}
    texts = [source_hash(type(model))]
    texts += [_source(sys.modules[name]) for name in sorted(modules)
              if not name.startswith("torch.") and name in sys.modules]
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


def describe(model: nn.Module) -> dict[str, Any]:
    """The model's class, configuration and source hash: what part of the key it gives."""
    config = getattr(model, "config", None)
    return {
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "config": config if config is not None else repr(model),
        "source": model_source_hash(model),
    }


def cache_key(model: nn.Module, **settings: Any) -> str:
    """A key for a trained model: the model's description plus any training settings."""
    spec = {"format": FORMAT_VERSION, "model": describe(model), **settings}
    blob = json.dumps(spec, sort_keys=True, default=str)
    name = type(model).__name__
    return f"{name}-{hashlib.sha256(blob.encode()).hexdigest()[:20]}"


def _paths(key: str, folder: Path | None) -> tuple[Path, Path]:
    folder = folder or cache_dir()
    return folder / f"{key}.pt", folder / f"{key}.json"


def usable_folder(folder: Path | None = None) -> Path | None:
    """``folder`` (default :func:`course.paths.cache_dir`), made if needed, or ``None``
    with one :class:`CheckpointWarning` per folder and process when it cannot be used:
    when it cannot be made, is not a folder, or a file cannot be written in it."""
    try:
        folder = folder or cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder} is not a folder")
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        where = str(folder or cache_dir(create=False))
        if where not in _warned_folders:
            _warned_folders.add(where)
            warnings.warn(f"The checkpoint cache {where} cannot be used ({error}); "
                          f"training without the cache.", CheckpointWarning, stacklevel=3)
        return None
    return folder


def warn_unwritable(folder: Path, error: OSError) -> None:
    """One :class:`CheckpointWarning` per folder and process: a checkpoint could not be saved."""
    if str(folder) not in _warned_folders:
        _warned_folders.add(str(folder))
        warnings.warn(f"The checkpoint cache {folder} cannot be written ({error}); "
                      f"training without the cache.", CheckpointWarning, stacklevel=3)


def _record_checksum(record: dict[str, Any]) -> str:
    """sha256 of everything in a manifest but the checksum itself, in a canonical form."""
    body = {k: record[k] for k in sorted(_RECORD_KEYS - {"checksum"})}
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=True).encode()).hexdigest()


def _parse_record(text: str, key: str) -> dict[str, Any]:
    """The manifest as the expected record, or ``ValueError`` saying what is wrong."""
    try:
        record = json.loads(text)
    except ValueError as error:
        raise ValueError(f"its manifest is not JSON ({error})") from None
    if not isinstance(record, dict) or set(record) != _RECORD_KEYS:
        found = sorted(record) if isinstance(record, dict) else type(record).__name__
        raise ValueError(f"its manifest is not a version-{FORMAT_VERSION} record (it has {found})")
    if record["format"] != FORMAT_VERSION:
        raise ValueError(f"its manifest has format {record['format']!r}, not {FORMAT_VERSION}")
    if record["key"] != key:
        raise ValueError("its manifest belongs to another key")
    if not (isinstance(record["sha256"], str) and len(record["sha256"]) == 64
            and isinstance(record["meta"], dict) and isinstance(record["model"], dict)):
        raise ValueError("its manifest's fields have the wrong types")
    if record["checksum"] != _record_checksum(record):
        raise ValueError("its manifest does not match its checksum (edited or damaged)")
    return record


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write(path: Path, write: Callable[[Any], object]) -> str:
    """Write through a temporary file of a unique name, rename it to ``path`` (checkpoints, and
    :mod:`course.memo`'s measurements); returns the sha256 of what was written (not of
    ``path``, which another process may replace)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        digest = _file_sha256(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def _check_shapes(state: dict[str, torch.Tensor], model: nn.Module) -> None:
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if found.keys() != expected.keys():
        raise ValueError(f"its tensors are not the model's (missing {sorted(expected.keys() - found.keys())}, "
                         f"unexpected {sorted(found.keys() - expected.keys())})")
    wrong = [f"{k}: {found[k]} instead of {expected[k]}" for k in expected if found[k] != expected[k]]
    if wrong:
        raise ValueError("size mismatch: " + "; ".join(wrong))


def save(key: str, model: nn.Module, meta: dict[str, Any], folder: Path | None = None) -> Path:
    """Write ``model``'s weights and ``meta`` under ``key``; returns the weights' path.

    Raises ``OSError`` where the folder cannot be written (:func:`course.train.fit`
    warns and goes on).
    """
    weights, manifest = _paths(key, folder)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    digest = atomic_write(weights, lambda f: torch.save(state, f))
    record = {"format": FORMAT_VERSION, "key": key, "sha256": digest,
              "model": json.loads(json.dumps(describe(model), default=str)),
              "meta": json.loads(json.dumps(meta, default=str))}
    record["checksum"] = _record_checksum(record)
    atomic_write(manifest, lambda f: f.write(json.dumps(record, indent=1).encode()))
    return weights


def load(key: str, model: nn.Module, folder: Path | None = None,
         validate: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any] | None:
    """Load the weights cached under ``key`` into ``model`` and return their ``meta``.

    Returns ``None`` when there is no checkpoint, or when there is one that cannot be
    trusted (a manifest that is not the expected record, an edited history, damaged
    weights, other shapes, or ``meta`` that ``validate`` rejects by raising); the latter
    is reported with a :class:`CheckpointWarning` so the caller retrains. Nothing is
    loaded into ``model`` unless every check passed.
    """
    weights, manifest = _paths(key, folder)
    if not (manifest.exists() or manifest.is_symlink()):
        return None
    try:
        record = _parse_record(manifest.read_text(), key)
        if validate is not None:
            validate(record["meta"])
        if not weights.is_file():
            raise ValueError("its weights file is missing")
        if _file_sha256(weights) != record["sha256"]:
            raise ValueError("its weights do not match the recorded sha256 (damaged file)")
        state = torch.load(weights, map_location="cpu", weights_only=True)
        _check_shapes(state, model)  # before loading: a failed load_state_dict copies half
        model.load_state_dict(state, strict=True)
    except Exception as error:  # any doubt means: do not use it
        warnings.warn(f"Checkpoint {weights.name} was not used: {error}. Retraining.",
                      CheckpointWarning, stacklevel=2)
        return None
    return record["meta"]


def clear(folder: Path | None = None) -> int:
    """Delete every cached checkpoint; returns how many files were removed."""
    folder = folder or cache_dir()
    removed = 0
    for path in list(folder.glob("*.pt")) + list(folder.glob("*.json")):
        path.unlink()
        removed += 1
    return removed
