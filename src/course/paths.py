"""Where the course keeps what it writes: data caches, checkpoints, results.

Used by every lesson through :mod:`course.data`, :mod:`course.checkpoints` and
:mod:`course.results`. Each folder can be moved with an environment variable, so a
teacher can point the checkpoint cache at a shared disk and CI can use a scratch folder:

========================  ===================================
``COURSE_BUILD_DIR``      root of all of the below (``<project>/build``)
``COURSE_DATA_DIR``       downloaded and converted data sets
``COURSE_CACHE_DIR``      trained-model checkpoints
``COURSE_RESULTS_DIR``    each notebook's recorded figures
========================  ===================================
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

_MARKERS = ("pyproject.toml", "jupytext.toml")


def project_root(start: Path | None = None) -> Path:
    """The course checkout that contains ``start`` (default: the working folder).

    Notebooks run with their own folder as working folder, tests with the checkout;
    both find the same root. Outside a checkout the working folder itself is used.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if all((folder / marker).is_file() for marker in _MARKERS):
            return folder
    return here


def _folder(variable: str, default: Callable[[], Path], create: bool) -> Path:
    value = os.environ.get(variable)
    path = Path(value).expanduser() if value else default()
    if create:
        path.mkdir(parents=True, exist_ok=True)  # OSError where it cannot be made: callers decide
    return path


def build_dir(create: bool = True) -> Path:
    """Root of everything the course writes (git-ignored)."""
    return _folder("COURSE_BUILD_DIR", lambda: project_root() / "build", create)


def data_dir(create: bool = True) -> Path:
    """Where data sets are downloaded to and cached in compact form."""
    return _folder("COURSE_DATA_DIR", lambda: build_dir(create) / "data", create)


def cache_dir(create: bool = True) -> Path:
    """Where trained models are cached (see :mod:`course.checkpoints`).

    With ``create`` (the default) the folder is made; an ``OSError`` says it cannot be
    (a file in its place, no permission), and :func:`course.train.fit` then trains
    without the cache.
    """
    return _folder("COURSE_CACHE_DIR", lambda: build_dir(create) / "checkpoints", create)


def results_dir(create: bool = True) -> Path:
    """Where each notebook records its headline figures (see :mod:`course.results`)."""
    return _folder("COURSE_RESULTS_DIR", lambda: build_dir(create) / "results", create)
