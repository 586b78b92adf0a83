"""Building and checking the paired notebooks: ``make notebooks`` and the notebook tests.

Each lesson is ``notebooks/NN_name.py`` (py:percent, edited and reviewed) paired with
``notebooks/NN_name.ipynb`` (executed, what a learner opens first).

- :func:`build` executes a ``.py`` with papermill in a fresh kernel and writes its
  ``.ipynb`` with outputs, minus papermill's metadata and widget state (a FigureWidget's
  state carries megabytes of JavaScript; a widget lives only with its kernel anyway),
  with a PNG twin of every figure and a picture of every lesson widget
  (:mod:`course.static`), so a reader without a kernel sees every figure.
- :func:`strip` also drops progress bars frozen in a widget and writes paths inside the
  project relative to it (``build/results``), the home folder as ``~``.
- :func:`pair_diff` converts an ``.ipynb`` back to py:percent and diffs it with its
  ``.py``: the sync check that does not trust timestamps.
- As a pytest plugin (``-p course.notebooks``, how ``make test`` runs pytest) it tells
  nbval which outputs differ from machine to machine and are never compared, gives
  nbval's kernels one checkpoint cache and results folder (:func:`nbval_run_dir`) that
  the tests marked ``after_nbval`` read afterwards, and shares the cores among xdist's
  workers (``-n``).

``python -m course.notebooks build [NN_name ...]``, ``python -m course.notebooks check``, and
``python -m course.notebooks twins [NN_name ...]``: strip and add the PNG twins to notebooks
already executed, without running them (widget pictures need a build).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import re
import shutil
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
    """The py:percent text jupytext makes of ``ipynb`` under the jupytext.toml that applies
    to its folder (what ``jupytext --to py:percent -o -`` prints, without a process of its own)."""
    import jupytext
    from jupytext.config import load_jupytext_config

    config = load_jupytext_config(str(ipynb.resolve().parent))
    return jupytext.writes(jupytext.read(ipynb), fmt="py:percent", config=config)


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


# What a tqdm widget leaves in a saved notebook: its text at display time ("  0%|   | 0/6 ...").
FROZEN_BAR = re.compile(r"\d{1,3}%\|.*\|\s*\d+/\d+")
_TEXT_KEYS = ("text/plain", "text/html", "text/markdown")


def _join(text: str | list[str]) -> str:
    return "".join(text) if isinstance(text, list) else text


def relative_paths(text: str, root: Path | None = None, home: Path | None = None) -> str:
    """``text`` with paths inside the project relative to it and the home folder as ``~``."""
    root, home = root or project_root(), home or Path.home()
    ends = r"[\s'\"<,;:)\]]|$"  # where a path ends: /work/mainframe is not /work/main
    text = text.replace(f"{root}/", "")
    text = re.sub(re.escape(str(root)) + f"(?={ends})", ".", text)
    if str(home) not in ("/", ""):
        text = re.sub(re.escape(str(home)) + f"(?=/|{ends})", "~", text)
    return text


def _tidy_paths(output: Any) -> None:
    if output.get("output_type") == "stream":
        output["text"] = relative_paths(_join(output["text"]))
    for key in _TEXT_KEYS:
        if key in output.get("data", {}):
            output["data"][key] = relative_paths(_join(output["data"][key]))


def _frozen_bar(output: Any) -> bool:
    """A progress bar's text alone in a display: a tqdm widget without its state."""
    data = output.get("data", {})
    return (output.get("output_type") == "display_data" and set(data) == {"text/plain"}
            and bool(FROZEN_BAR.search(_join(data["text/plain"]))))


def strip(nb: Any) -> Any:
    """Remove papermill metadata, execution timestamps and widget state, in place.

    A widget's output keeps its other data (a lesson widget's picture, see
    :mod:`course.static`), except a progress bar's text, frozen at its first state.
    Paths in outputs become relative to the project (:func:`relative_paths`).
    """
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
            if _frozen_bar(output):
                continue
            _tidy_paths(output)
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
    """Execute ``py`` in a fresh kernel and write its paired ``.ipynb``; returns that path.

    Every figure gets a PNG twin and every lesson widget a picture (:mod:`course.static`),
    drawn in the system's Chromium: without one this fails before running anything.
    """
    import jupytext
    import nbformat
    import papermill

    from course import static
    from course.browser import missing_browser

    if reason := missing_browser():
        raise RuntimeError(f"make notebooks draws a PNG of every figure in Chromium, but {reason}")
    notebook = jupytext.read(py)
    # A fresh checkpoint cache: the committed outputs show real training, from scratch. It
    # lies inside the project, so the lesson that shows it gives a path relative to it.
    cache = project_root() / "build" / "notebooks-cache" / py.stem
    shutil.rmtree(cache, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        source, executed = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb"
        nbformat.write(notebook, source)
        try:
            with _environment(COURSE_CACHE_DIR=str(cache), **{static.SNAPSHOT_ENV: "1"}):
                papermill.execute_notebook(str(source), str(executed), parameters=parameters or {},
                                           cwd=str(py.parent), kernel_name=kernel_name,
                                           progress_bar=False)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        done = strip(nbformat.read(executed, as_version=4))
    with static.FigureRenderer() as render:
        static.add_twins(done, render)
    target = py.with_suffix(".ipynb")
    nbformat.write(done, target)
    return target


def add_twins(names: list[str] | None = None) -> dict[str, int]:
    """Strip executed notebooks and give their figures PNG twins, without running them.

    For notebooks executed before twins existed; widget pictures need a kernel, so only
    :func:`build` makes those. Returns how many twins each notebook got.
    """
    import nbformat

    from course import static

    drawn = {}
    with static.FigureRenderer() as render:
        for py in lesson_sources():
            ipynb = py.with_suffix(".ipynb")
            if names and py.stem not in names or not ipynb.is_file():
                continue
            nb = strip(nbformat.read(ipynb, as_version=4))
            drawn[py.stem] = static.add_twins(nb, render)
            nbformat.write(nb, ipynb)
    return drawn


# --- the pytest plugin: ``make test`` runs pytest with ``-p course.notebooks`` -------------------

AFTER_NBVAL = "after_nbval"


def nbval_run_dir() -> Path:
    """Where nbval's run of the lessons at their defaults keeps checkpoints and results.

    ``build/test-run`` (``COURSE_TEST_RUN_DIR`` moves it). The tests marked
    ``after_nbval`` read it afterwards: the check of each lesson's recorded figures, and
    the browser tests, whose lessons load the models nbval trained instead of training
    them again. The checkpoints stay from run to run (their keys hash the code that made
    them); the results are cleared when nbval starts.
    """
    value = os.environ.get("COURSE_TEST_RUN_DIR")
    return Path(value).expanduser() if value else project_root() / "build" / "test-run"


def _nbval_runs(config: Any) -> bool:
    return bool(config.getoption("nbval", False) or config.getoption("nbval_lax", False))


def pytest_configure(config: Any) -> None:
    """Share the cores among xdist's workers; point nbval's kernels at :func:`nbval_run_dir`.

    With ``-n N`` each worker, and every kernel it starts, uses cores/N threads, so that
    N lessons training at once do not fight over the cores.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        threads = max(1, (os.cpu_count() or 1) // workers)
        for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = str(threads)
        import torch

        torch.set_num_threads(threads)
    if _nbval_runs(config):
        run = nbval_run_dir()
        if not hasattr(config, "workerinput"):  # once, in the process that leads the run
            shutil.rmtree(run / "results", ignore_errors=True)
        # nbval's kernels inherit these (the unit tests set their own per test)
        os.environ["COURSE_CACHE_DIR"] = str(run / "checkpoints")
        os.environ["COURSE_RESULTS_DIR"] = str(run / "results")


# Seconds of one process that each file's tests took in a fresh clone's make test (two
# processes, a lesson's nbval run at its defaults included), to schedule the longest first.
FILE_SECONDS = {
    "notebooks/04_disentanglement.ipynb": 152, "notebooks/06_discrete_latents.ipynb": 151,
    "notebooks/07_text_as_code.ipynb": 140, "notebooks/01_autoencoder_basics.ipynb": 128,
    "notebooks/08_vae.ipynb": 120, "notebooks/05_voice_conversion.ipynb": 108,
    "notebooks/09_compression.ipynb": 90, "notebooks/03_bert_denoising.ipynb": 85,
    "notebooks/10_anomaly_detection.ipynb": 79, "notebooks/02_denoising.ipynb": 51,
    "notebooks/00_start_here.ipynb": 8,
    "tests/test_site.py": 95, "tests/test_browser.py": 88, "tests/test_slides.py": 66,
    "tests/test_parameter_fuzz.py": 50,
}
UNKNOWN_LESSON_SECONDS = 200  # a lesson not timed yet: assume it is the longest


def expected_seconds(path: str) -> float:
    """How long a file's tests take, for :func:`pytest_collection_modifyitems`."""
    if path in FILE_SECONDS:
        return FILE_SECONDS[path]
    return UNKNOWN_LESSON_SECONDS if path.endswith(".ipynb") else 0


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Longest files first, and in one run with nbval, the tests that read its results
    after it.

    xdist (``--dist loadfile --no-loadscope-reorder``, as ``make test`` runs it) hands out
    files in this order as processes come free: with the long ones first (the lessons),
    the last files to run are short ones, and no process idles while the other finishes
    a lesson."""
    root = project_root()

    def path(item: Any) -> str:
        try:
            return Path(item.fspath).resolve().relative_to(root).as_posix()
        except ValueError:
            return str(item.fspath)

    items.sort(key=lambda item: -expected_seconds(path(item)))  # stable: a file's order stays
    if _nbval_runs(config):
        items[:] = ([i for i in items if not i.get_closest_marker(AFTER_NBVAL)]
                    + [i for i in items if i.get_closest_marker(AFTER_NBVAL)])


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
    t = sub.add_parser("twins", help="add PNG twins to executed notebooks without running them")
    t.add_argument("names", nargs="*", help="e.g. 01_autoencoder_basics (default: all)")
    args = parser.parse_args(argv)
    sources = lesson_sources()
    if args.command in ("build", "twins"):
        from course.browser import missing_browser

        if reason := missing_browser():
            print(f"make notebooks draws a picture of every figure in Chromium, but {reason}")
            return 1
    if args.command == "twins":
        for name, count in add_twins(args.names).items():
            print(f"{name}.ipynb: {count} PNG twins drawn")
        return 0
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
