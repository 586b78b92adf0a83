"""Does a lesson's every claim hold on other seeds? Run it once per seed and list them all.

    .venv/bin/python scripts/claims_over_seeds.py 02                          # seeds 0-4, defaults
    .venv/bin/python scripts/claims_over_seeds.py 08 --set EPOCHS=10 --seeds 0 1 2
    .venv/bin/python scripts/claims_over_seeds.py 07 --set EPOCHS=10 --jobs 1
    .venv/bin/python scripts/claims_over_seeds.py 04 --results build/seeds/04   # keep what each run recorded

Before a lesson's defaults change (fewer epochs, a smaller model), measure the margin of
each claim over several seeds. This runs the lesson's ``.py`` with papermill at its
defaults plus ``--set`` (values are Python literals) and ``SEED`` = each of ``--seeds``.
Each run gets a fresh kernel, a fresh checkpoint cache and a fresh results folder, so
every model is trained (``--results DIR`` keeps each run's recorded figures as
``DIR/seedN.json``, to compare more than the claims). A claim that does not hold is
recorded and the run goes on (``check_claim`` reports instead of raising), so one run
shows every claim. ``--jobs`` runs go at once, each kernel on one thread (two on two
cores is the fastest layout).
Prints each run's claims as they finish, then the ones that failed. Exits with 1 if any
claim failed or any run stopped.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
import papermill

from course import paths
from course.notebooks import KERNEL_NAME, lesson_sources

OK, FAILED = "CLAIM OK ", "CLAIM FAILED "
# Two kernels started at once by two processes can draw the same free port, and the second
# dies before it replies ("Address already in use"; jupyter_client issue 487): so many tries.
KERNEL_STARTS = 3
# Put first in the notebook: check_claim prints its verdict instead of raising. The lesson's
# own `from course.results import check_claim` (a later cell) then picks this one up.
REPORT_CLAIMS = f"""import course.results as _results
def _report(claim, holds, detail="", *, smoke=False):
    print(({OK!r} if holds else {FAILED!r}) + claim + (f" ({{detail}})" if detail else ""))
_results.check_claim = _report
"""


def run_once(py: Path, parameters: dict, folder: Path) -> tuple[list[str], str, float]:
    """The lesson at ``parameters`` in a fresh kernel whose checkpoints and results go to
    ``folder``: its claim lines, the error that stopped it ("" if none), its wall seconds.
    Runs in a process of its own (the kernel inherits this process's environment)."""
    os.environ["COURSE_CACHE_DIR"] = str(folder / "checkpoints")
    os.environ["COURSE_RESULTS_DIR"] = str(folder / "results")
    notebook = jupytext.read(py)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(REPORT_CLAIMS))
    source, executed = folder / "in.ipynb", folder / "out.ipynb"
    nbformat.write(notebook, source)
    start, error = time.perf_counter(), ""
    for attempt in range(1, KERNEL_STARTS + 1):
        try:
            papermill.execute_notebook(str(source), str(executed), parameters=parameters, cwd=str(py.parent),
                                       kernel_name=KERNEL_NAME, progress_bar=False)
        except papermill.PapermillExecutionError as stopped:
            error = f"{stopped.ename}: {stopped.evalue}"
        except RuntimeError as died:  # the kernel never started: start it again
            if "before replying to kernel_info" in str(died) and attempt < KERNEL_STARTS:
                print(f"  (a kernel for {parameters} died at its start: trying again)", flush=True)
                continue
            raise
        break
    seconds = time.perf_counter() - start
    claims = [line for cell in nbformat.read(executed, as_version=4).cells
              for output in cell.get("outputs", []) for line in output.get("text", "").splitlines()
              if line.startswith((OK, FAILED))]
    return claims, error, seconds


def lesson_named(prefix: str) -> Path:
    found = [py for py in lesson_sources() if py.stem.startswith(prefix)]
    if len(found) != 1:
        raise SystemExit(f"{prefix!r} names {len(found)} lessons; give its number, e.g. 02")
    return found[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lesson", help="the lesson's number or name, e.g. 02 or 02_denoising")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="default 0-4")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter other than its default (a Python literal); repeat for more")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once, one thread each (default 2)")
    parser.add_argument("--results", type=Path, metavar="DIR",
                        help="copy each run's recorded figures (build/results/<lesson>.json) to DIR/seedN.json")
    args = parser.parse_args(argv)
    py = lesson_named(args.lesson)
    changed = {}
    for item in args.set:
        name, _, value = item.partition("=")
        changed[name] = ast.literal_eval(value)
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"  # the kernels inherit them
    os.environ.setdefault("COURSE_DATA_DIR", str(paths.data_dir()))  # data is shared; models are not
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="claims-") as scratch, \
            concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        runs = {}
        for seed in args.seeds:
            folder = Path(scratch) / f"seed{seed}"
            folder.mkdir()
            runs[pool.submit(run_once, py, {**changed, "SEED": seed}, folder)] = seed
        for done in concurrent.futures.as_completed(runs):
            seed, (claims, error, seconds) = runs[done], done.result()
            print(f"# {py.stem}, SEED={seed} {changed or ''}: {seconds:.0f} s", flush=True)
            recorded = Path(scratch) / f"seed{seed}" / "results" / f"{py.stem}.json"
            if args.results is not None and recorded.exists():
                args.results.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(recorded, args.results / f"seed{seed}.json")
            for line in claims + ([f"STOPPED {error}"] if error else []):
                print(f"  {line}", flush=True)
            failed += [f"SEED={seed}: {line}" for line in claims if line.startswith(FAILED)]
            failed += [f"SEED={seed}: stopped: {error}"] if error else []
    print("\n".join(["", "failed:", *failed] if failed else ["", f"every claim held on seeds {args.seeds}"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
