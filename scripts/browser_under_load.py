"""Do the browser tests pass while other work keeps every core busy? Issue 16 asks for 5 in a row.

    .venv/bin/python scripts/browser_under_load.py                  # 5 runs, a busy loop per core
    .venv/bin/python scripts/browser_under_load.py --runs 2 --load 1
    .venv/bin/python scripts/browser_under_load.py -- -k 03_bert    # pytest arguments after --

Needs nbval's checkpoints (``build/test-run``, filled by ``make test``): the browser tests
run every lesson at its defaults from them, as ``make test``'s second run does. Starts
``--load`` processes that spin on the CPU (default: one per core, like ``stress-ng --cpu N``),
then runs ``pytest -m browser tests/test_browser.py`` over ``--workers`` processes
``--runs`` times in a row, and prints each run's result and wall time and the load average.
The busy processes are ended on every exit path. Exits with 1 if any run failed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spin() -> None:
    """Keep one core busy until killed."""
    x = 0
    while True:
        x = (x * 1103515245 + 12345) % 2**31


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs in a row (default 5)")
    parser.add_argument("--load", type=int, default=os.cpu_count() or 1, help="busy processes (default: cores)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist processes, as make test (default 2)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args(argv)

    busy = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.load)]
    for process in busy:
        process.start()
    results = []
    try:
        for run in range(1, args.runs + 1):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "pytest", "-p", "course.notebooks", "-p", "no:cacheprovider",
                                   "-n", str(args.workers), "-q", "-m", "browser", "tests/test_browser.py",
                                   *args.pytest_args], cwd=ROOT,
                                  env=dict(os.environ, COURSE_BROWSER_TESTS="required"),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            seconds = time.perf_counter() - start
            summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)"
            results.append(done.returncode)
            print(f"run {run}/{args.runs}: exit {done.returncode} in {seconds:.0f} s, "
                  f"load average {os.getloadavg()[0]:.1f}: {summary}", flush=True)
            if done.returncode:
                print(done.stdout[-6000:], flush=True)
    finally:
        for process in busy:
            process.kill()
        for process in busy:
            process.join()
    print(f"{results.count(0)} of {len(results)} runs passed with {args.load} busy processes on "
          f"{os.cpu_count()} cores")
    return 0 if results and not any(results) else 1


if __name__ == "__main__":
    sys.exit(main())
