"""The system's Chromium, driven by playwright: for static figures and the browser tests.

Used by :mod:`course.static` (``make notebooks`` draws a PNG of every figure with it) and
by the browser tests (``tests/test_browser.py``, ``tests/test_site.py``; ``pytest -m
browser``). No lesson needs it: a learner's own runs never start a browser.

Chromium comes from the system (Debian's ``chromium``; ``COURSE_CHROMIUM`` names
another), never from a download, and is started with flags that keep it off any network
(it only ever opens local pages here).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# As root Chromium needs --no-sandbox; the rest keep it off a network it cannot reach.
# SwiftShader draws WebGL (plotly's scattergl) where there is no GPU.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-unsafe-swiftshader"]


def find_chromium() -> str | None:
    """Chromium named by ``COURSE_CHROMIUM``, else one on the ``PATH``; None if neither."""
    named = os.environ.get("COURSE_CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    return next(filter(None, map(shutil.which, CANDIDATES)), None)


def required() -> bool:
    """Under CI (``CI`` or ``COURSE_BROWSER_TESTS=required`` set) a missing browser fails the
    browser tests instead of skipping them."""
    return bool(os.environ.get("CI")) or os.environ.get("COURSE_BROWSER_TESTS") == "required"


def missing_browser() -> str | None:
    """Why no browser can be driven here, in one line; None when one can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (it is in pyproject.toml: run make install)"
    if find_chromium() is None:
        return ("no Chromium found: install Debian's chromium (apt-get install chromium) "
                "or set COURSE_CHROMIUM=/path/to/chrome")
    return None


def launch(playwright: Any, **options: Any) -> Any:
    """A headless Chromium (playwright ``Browser``) from :func:`find_chromium`."""
    reason = missing_browser()
    if reason:
        raise RuntimeError(reason)
    return playwright.chromium.launch(executable_path=find_chromium(), headless=True,
                                      args=FLAGS, **options)
