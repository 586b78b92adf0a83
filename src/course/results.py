"""Headline figures and claims: what a notebook measured, and what it promises.

Every lesson ends with one call to :func:`record_results`, which writes
``build/results/<notebook>.json`` (see :mod:`course.paths`), and states its lesson's
claim with :func:`check_claim`, so a broken lesson fails loudly instead of quietly
teaching something false.

>>> record_results("01_autoencoder_basics", {"ae_mse_k8": 0.021, "pca_mse_k8": 0.037})
>>> check_claim("the autoencoder beats PCA at k=8", 0.021 <= 0.6 * 0.037)
"""

from __future__ import annotations

import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from course.device import get_device
from course.paths import project_root, results_dir


class ClaimFailed(AssertionError):
    """A lesson's claim did not hold at its parameters."""


def _plain(value: Any) -> Any:
    """Numbers, strings, lists and dicts that JSON can hold (NumPy and torch scalars too)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot record a non-finite number ({value})")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot record a {type(value).__name__}: give numbers, strings or lists")


def results_path(notebook: str) -> Path:
    """Where ``notebook``'s figures are written."""
    return results_dir() / f"{notebook}.json"


def record_results(notebook: str, figures: Mapping[str, Any], *, smoke: bool = False) -> None:
    """Write a notebook's headline figures (and how they were obtained) as JSON, and say where."""
    record = {
        "notebook": notebook,
        "smoke": smoke,
        "figures": _plain(figures),
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "device": str(get_device()),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    path = results_path(notebook)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(record, f, indent=1)
    os.replace(tmp, path)
    try:
        shown = path.relative_to(project_root())
    except ValueError:
        shown = path
    print(f"recorded {len(record['figures'])} figures in {shown}")


def load_results(notebook: str) -> dict[str, Any]:
    """The figures a notebook recorded last."""
    return json.loads(results_path(notebook).read_text())["figures"]


def check_claim(claim: str, holds: bool, detail: str = "", *, smoke: bool = False) -> None:
    """Print the claim with a tick, or raise :class:`ClaimFailed`.

    In a smoke run (a few seconds of training) the claim is reported but not asserted:
    the figures of a smoke run say nothing about the lesson.
    """
    line = f"{claim}" + (f" ({detail})" if detail else "")
    if smoke:
        print(f"[smoke run, not asserted] {'holds' if holds else 'does not hold'}: {line}")
    elif holds:
        print(f"✓ {line}")
    else:
        raise ClaimFailed(f"The lesson's claim does not hold: {line}")
