"""Time every lesson, as CI and a learner run it, against its budget.

    .venv/bin/python scripts/time_notebooks.py              # all lessons, smoke and default
    .venv/bin/python scripts/time_notebooks.py 01 --smoke   # one lesson, smoke only

Each run is a fresh kernel with a fresh checkpoint cache (so training is timed, not
loading), from the lesson's .py, with papermill; kernel start-up is included. Budgets are
the ones the lessons' issues set for a 2-core CPU. Timings are only meaningful on an
otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
import papermill

from course.notebooks import KERNEL_NAME, lesson_sources

# lesson prefix -> (default-parameter budget, smoke budget), seconds
BUDGETS = {
    "00": (60, 20),
    "01": (90, 20),
    "02": (90, 20),
    "03": (120, 20),
    "04": (150, 30),
    "05": (120, 30),
    "06": (150, 30),
    "07": (180, 30),
    "08": (120, 20),
    "09": (120, 30),
    "10": (180, 30),
}


def run(py: Path, smoke: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.ipynb"
        nbformat.write(jupytext.read(py), source)
        os.environ["COURSE_CACHE_DIR"] = str(Path(tmp) / "checkpoints")
        os.environ["COURSE_RESULTS_DIR"] = str(Path(tmp) / "results")
        start = time.perf_counter()
        papermill.execute_notebook(str(source), str(Path(tmp) / "out.ipynb"),
                                   parameters={"SMOKE": True} if smoke else {},
                                   cwd=str(py.parent), kernel_name=KERNEL_NAME,
                                   progress_bar=False)
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="lesson numbers, e.g. 01 02 (default: all)")
    parser.add_argument("--smoke", action="store_true", help="smoke runs only")
    args = parser.parse_args()
    over = 0
    for py in lesson_sources():
        prefix = py.stem[:2]
        if args.lessons and prefix not in args.lessons:
            continue
        default_budget, smoke_budget = BUDGETS.get(prefix, (float("inf"), float("inf")))
        for smoke, budget in ((True, smoke_budget),) + (() if args.smoke else ((False, default_budget),)):
            seconds = run(py, smoke)
            verdict = "ok" if seconds <= budget else "OVER BUDGET"
            over += seconds > budget
            print(f"{py.stem:<28} {'smoke' if smoke else 'default':<8} {seconds:6.1f} s"
                  f"  (budget {budget} s) {verdict}", flush=True)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
