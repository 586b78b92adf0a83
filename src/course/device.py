"""Device choice and reproducibility. Taught in lesson 00, used by every lesson.

>>> device = get_device()          # cuda, mps or cpu, whichever this machine has
>>> seed_everything(0)             # same numbers on every run (on the CPU: bit for bit)
>>> with one_thread(): ...         # small work, e.g. one slider move (lessons 02, 03, 04)
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
from typing import Iterator

import numpy as np
import torch


def get_device(prefer: str | None = None) -> torch.device:
    """The fastest device here: CUDA, then Apple MPS, then the CPU.

    ``prefer`` (or the environment variable ``COURSE_DEVICE``) forces one, e.g. ``"cpu"``
    to compare timings or to reproduce a CPU result on a GPU machine.
    """
    choice = prefer or os.environ.get("COURSE_DEVICE")
    if choice:
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy and torch (all devices).

    With ``deterministic=True`` torch is asked for deterministic kernels: on the CPU a
    run is repeated bit for bit; on a GPU, ops without a deterministic kernel warn
    instead of failing, so lessons still run there.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        _use_deterministic_kernels()  # = torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def _use_deterministic_kernels() -> None:
    """``torch.use_deterministic_algorithms(True, warn_only=True)`` without its first-call cost.

    That function also sets the flag in torch.compile's configuration, whose import pulls
    in SymPy: a second of every kernel's start. No lesson compiles, so where that
    configuration is not loaded yet only the flag of the eager kernels is set.
    """
    set_flag = getattr(torch._C, "_set_deterministic_algorithms", None)
    if set_flag is None or "torch._inductor.config" in sys.modules:
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        set_flag(True, warn_only=True)


def describe_device(device: torch.device | None = None) -> str:
    """One line for the environment report of lesson 00, e.g. ``cpu (2 threads)``."""
    device = device or get_device()
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one CPU thread inside the block, then restore the thread count.

    A slider move decodes a handful of images and a tiny model trains on small matrices:
    splitting such small operations over threads costs more than it saves, and on a busy
    machine (a browser drawing the figure, a training run) waiting for the other threads
    can take tens of milliseconds. Used by lessons 02 and 04 (sliders) and 03 (training).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
