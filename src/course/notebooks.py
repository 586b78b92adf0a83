"""Building and checking the paired notebooks: ``make notebooks`` and the notebook tests.

Each lesson is ``notebooks/NN_name.py`` (py:percent, edited and reviewed) paired with
``notebooks/NN_name.ipynb`` (executed, what a learner opens first).

- :func:`build` executes a ``.py`` with papermill in a fresh kernel and writes its
  ``.ipynb`` with outputs, minus papermill's metadata and widget state (a FigureWidget's
  state carries megabytes of JavaScript; a widget lives only with its kernel anyway).
- :func:`pair_diff` converts an ``.ipynb`` back to py:percent and diffs it with its
  ``.py``: the sync check that does not trust timestamps.
- As a pytest plugin (``-p course.notebooks``) it tells nbval which outputs differ from
  machine to machine and are never compared.

``python -m course.notebooks build [NN_name ...]`` and ``python -m course.notebooks check``.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from course.paths import project_root

KERNEL_NAME = "autoencoder-course"
KERNEL_DISPLAY_NAME = "Python (autoencoder course)"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
NOT_COMPARED = ("text/html", "application/vnd.plotly.v1+json", WIDGET_VIEW,
                "image/png", "image/svg+xml", "stderr")


def notebook_dir() -> Path:
    return project_root() / "notebooks"


def lesson_sources() -> list[Path]:
    """The lessons' ``.py`` sources in course order (``NN_name.py``)."""
    return sorted(p for p in notebook_dir().glob("[0-9][0-9]_*.py"))


def to_py_percent(ipynb: Path) -> str:
    """The py:percent text jupytext makes of ``ipynb`` under the project's jupytext.toml."""
    done = subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--to", "py:percent",
                           "-o", "-", str(ipynb.resolve())], capture_output=True, text=True,
                          cwd=ipynb.parent, check=True)
    return done.stdout


def _content(text: str) -> list[str]:
    """Lines of a py:percent file, less the header's ``formats:`` line.

    Pairing comes from jupytext.toml; jupytext writes that line into a file it saves
    itself but not to standard output, so it says nothing about the pair being in sync.
    """
    return [line for line in text.splitlines(keepends=True)
            if not line.startswith("#     formats: ")]


def pair_diff(py: Path) -> str:
    """A unified diff between ``py`` and its converted ``.ipynb``; empty when in sync."""
    ipynb = py.with_suffix(".ipynb")
    if not ipynb.is_file():
        return f"{ipynb.name} is missing: run `make notebooks`"
    ours = _content(py.read_text())
    theirs = _content(to_py_percent(ipynb))
    return "".join(difflib.unified_diff(ours, theirs, fromfile=py.name,
                                        tofile=f"{ipynb.name} as py:percent"))


def strip(nb: Any) -> Any:
    """Remove papermill metadata, execution timestamps and widget state, in place."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is not None and WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                if not data:
                    continue
            kept.append(output)
        cell.outputs = kept
    return nb


@contextlib.contextmanager
def _environment(**variables: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build(py: Path, parameters: dict[str, Any] | None = None,
          kernel_name: str = KERNEL_NAME) -> Path:
    """Execute ``py`` in a fresh kernel and write its paired ``.ipynb``; returns that path."""
    import jupytext
    import nbformat
    import papermill

    notebook = jupytext.read(py)
    with tempfile.TemporaryDirectory() as tmp:
        source, executed = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb"
        nbformat.write(notebook, source)
        # A fresh checkpoint cache: the committed outputs show real training, from scratch.
        with _environment(COURSE_CACHE_DIR=str(Path(tmp) / "checkpoints")):
            papermill.execute_notebook(str(source), str(executed), parameters=parameters or {},
                                       cwd=str(py.parent), kernel_name=kernel_name,
                                       progress_bar=False)
        done = nbformat.read(executed, as_version=4)
    target = py.with_suffix(".ipynb")
    nbformat.write(strip(done), target)
    return target


def pytest_collectstart(collector: Any) -> None:
    """nbval: never compare outputs that change from machine to machine."""
    if hasattr(collector, "skip_compare"):
        collector.skip_compare = tuple({*collector.skip_compare, *NOT_COMPARED})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="execute lessons into their .ipynb (default: all)")
    b.add_argument("names", nargs="*", help="e.g. 01_autoencoder_basics")
    sub.add_parser("check", help="fail if any pair is out of sync")
    args = parser.parse_args(argv)
    sources = lesson_sources()
    if args.command == "build":
        chosen = [p for p in sources if not args.names or p.stem in args.names]
        for py in chosen:
            print(f"executing {py.name} ...", flush=True)
            start = time.perf_counter()
            build(py)
            print(f"  {py.with_suffix('.ipynb').name} written in {time.perf_counter() - start:.1f} s", flush=True)
            if diff := pair_diff(py):
                print(diff)
                return 1
        return 0
    out_of_sync = [p.name for p in sources if pair_diff(p)]
    for name in out_of_sync:
        print(f"{name} is out of sync with its .ipynb: run `make notebooks`")
    return 1 if out_of_sync else 0


if __name__ == "__main__":
    sys.exit(main())
