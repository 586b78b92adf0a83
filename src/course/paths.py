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


def _folder(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    path = Path(value).expanduser() if value else default
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_dir() -> Path:
    """Root of everything the course writes (git-ignored)."""
    return _folder("COURSE_BUILD_DIR", project_root() / "build")


def data_dir() -> Path:
    """Where data sets are downloaded to and cached in compact form."""
    return _folder("COURSE_DATA_DIR", build_dir() / "data")


def cache_dir() -> Path:
    """Where trained models are cached (see :mod:`course.checkpoints`)."""
    return _folder("COURSE_CACHE_DIR", build_dir() / "checkpoints")


def results_dir() -> Path:
    """Where each notebook records its headline figures (see :mod:`course.results`)."""
    return _folder("COURSE_RESULTS_DIR", build_dir() / "results")
