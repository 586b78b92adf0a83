"""Open the course in JupyterLab, set up the way the lessons expect.

``make lab`` runs ``python -m course.lab``; conda and Binder users can run it directly.
Before starting JupyterLab it makes sure, inside the running environment (never in the
user's home folder), that

- the lessons' kernel ``autoencoder-course`` is registered (:func:`install_kernel`), and
- the course's JupyterLab settings are in force (:func:`install_settings`): a paired
  ``NN_name.py`` opens as a notebook, no news pop-up, no update check; and a new
  notebook gets the course kernel too.

Then it starts JupyterLab at the project root with ``notebooks/00_start_here.ipynb``
open (lesson 00 is where the course starts). Arguments it does not know go to
JupyterLab, so the browser tests (``tests/test_browser.py``) start the very same
command on a loopback port::

    python -m course.lab --root /tmp/copy --no-browser --ServerApp.port=8899
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Sequence

from course.notebooks import KERNEL_DISPLAY_NAME, KERNEL_NAME
from course.paths import project_root

FIRST_NOTEBOOK = "notebooks/00_start_here.ipynb"


def course_settings() -> dict:
    """The JupyterLab settings the course ships (``src/course/lab_settings.json``)."""
    return json.loads(resources.files("course").joinpath("lab_settings.json").read_text())


def install_settings(prefix: str | Path = sys.prefix) -> Path:
    """Write the course's settings as JupyterLab's ``overrides.json`` of this environment.

    JupyterLab reads ``<prefix>/share/jupyter/lab/settings/overrides.json`` as the
    defaults of every setting it names; a user's own choices still win over them.
    """
    target = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(course_settings(), indent=2) + "\n"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    return target


def install_kernel(prefix: str | Path = sys.prefix) -> Path:
    """Register this environment's Python as the kernel that every lesson names.

    Safe when several processes start at once (the browser tests' two workers each start
    JupyterLab): a spec that is already current is left alone, so a running JupyterLab
    never sees it vanish, and a stale or missing one is rewritten under a file lock.
    ipykernel's own ``install`` deletes the folder and copies it anew, and two at once
    fail with ``FileNotFoundError`` or ``FileExistsError``.
    """
    from filelock import FileLock

    folder = Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    with tempfile.TemporaryDirectory() as scratch:
        wanted = _write_kernel_spec(Path(scratch))
        if _same_files(wanted, folder):
            return folder
        folder.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(folder.parent / f".{KERNEL_NAME}.lock"):
            if not _same_files(wanted, folder):
                _write_kernel_spec(Path(prefix))
    return folder


def _write_kernel_spec(prefix: Path) -> Path:
    from ipykernel.kernelspec import install

    return Path(install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=str(prefix)))


def _same_files(wanted: Path, folder: Path) -> bool:
    """Whether ``folder`` holds exactly the files of ``wanted``, byte for byte."""
    names = sorted(path.name for path in wanted.iterdir())
    try:
        return (sorted(path.name for path in folder.iterdir()) == names
                and all((folder / name).read_bytes() == (wanted / name).read_bytes() for name in names))
    except OSError:  # missing, or being rewritten by another process this instant
        return False


def lab_command(root: str | Path, jupyter_args: Sequence[str] = (), open_first: bool = True) -> list[str]:
    """The ``jupyter lab`` command line that serves ``root``.

    JupyterLab refuses to run as root unless told, and containers often run as root.
    """
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={Path(root).resolve()}",
               f"--MultiKernelManager.default_kernel_name={KERNEL_NAME}"]  # for new notebooks too
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    command += list(jupyter_args)
    first = Path(root).resolve() / FIRST_NOTEBOOK
    if open_first and first.exists():
        command.append(str(first))
    return command


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m course.lab",
        description="Register the course kernel and settings, then open the course in JupyterLab. "
                    "Other arguments go to JupyterLab.")
    parser.add_argument("--root", default=None, help="folder to serve (default: the project root)")
    parser.add_argument("--setup-only", action="store_true", help="register kernel and settings, start nothing")
    args, jupyter_args = parser.parse_known_args(argv)
    install_kernel()
    settings = install_settings()
    if args.setup_only:
        print(f"kernel {KERNEL_NAME!r} registered; JupyterLab settings in {settings}")
        return
    command = lab_command(args.root or project_root(), jupyter_args)
    sys.stdout.flush()
    os.execv(command[0], command)  # JupyterLab takes over this process: signals reach it directly


if __name__ == "__main__":
    main()
