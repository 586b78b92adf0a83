"""The course in a real JupyterLab, driven by headless Chromium as a learner would use it.

One JupyterLab for the whole run, started with the command ``make lab`` runs
(``python -m course.lab``) on 127.0.0.1 at a free port with a random token, serving a
scratch copy of ``notebooks/`` (a run in the page must not touch the committed
notebooks). Every lesson except 00 is copied with ``SMOKE = True``. Then, per lesson:
open it, clear all outputs and run all cells from the menus, find no error output,
move the first control of its first lesson widget with the keyboard, see the data of
the figure in the page change, find no error in the browser console, and save a
screenshot to ``build/screenshots/NN_name.png``.

Chromium comes from the system (Debian's ``chromium``; ``COURSE_CHROMIUM`` names
another), never from a download. Without one these tests skip with one line, except
under CI (``CI`` or ``COURSE_BROWSER_TESTS=required`` set), where they fail.
``pytest -m browser`` runs just them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest

from course import paths
from course.notebooks import KERNEL_NAME, lesson_sources
from course.widgets import LessonWidget

pytestmark = pytest.mark.browser

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# As root Chromium needs --no-sandbox; the rest keep it off a network it cannot reach.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LESSONS = [source.stem for source in lesson_sources()]
RUN_AT_DEFAULTS = {"00_start_here"}  # what a learner runs first, exactly as shipped
LESSONS_WITHOUT_WIDGETS: set[str] = set()  # a lesson listed here is only run, not played with
RUN_TIMEOUT_S = 240  # one lesson, all cells, in the page (smoke runs take 10-30 s)
REDRAW_TIMEOUT_S = 20  # a control moved -> the figure in the page changed


def find_chromium() -> str | None:
    """Chromium named by ``COURSE_CHROMIUM``, else one on the ``PATH``."""
    named = os.environ.get("COURSE_CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    return next(filter(None, map(shutil.which, CHROMIUM_CANDIDATES)), None)


def browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("COURSE_BROWSER_TESTS") == "required"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (it is in pyproject.toml: run make install)"
    if find_chromium() is None:
        return ("no Chromium found: install Debian's chromium (apt-get install chromium) "
                "or set COURSE_CHROMIUM=/path/to/chrome")
    return None


MISSING = missing_browser()
if MISSING and not browser_required():
    pytest.skip(f"browser tests skipped: {MISSING}", allow_module_level=True)


@pytest.fixture(scope="session")
def chromium() -> str:
    if MISSING:
        pytest.fail(f"browser tests are required under CI, but {MISSING}")
    return find_chromium()


# --- the JupyterLab server ------------------------------------------------------------------

@dataclass
class Lab:
    """A running JupyterLab, its scratch root and its log."""

    process: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, workspace: str) -> str:
        """A page that opens ``path`` in a fresh workspace (no tabs left from other tests)."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        for kernel in self.api("/api/kernels"):
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def copy_lessons(target: Path) -> None:
    """The lessons' ``.ipynb`` (smoke parameters but for 00) and ``.py``, without pairing.

    jupytext.toml is left out on purpose: with it, jupytext would read the cells of a
    paired ``.ipynb`` from its ``.py`` and undo the smoke setting.
    """
    target.mkdir(parents=True)
    for source in lesson_sources():
        shutil.copy(source, target / source.name)
        notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
        if source.stem not in RUN_AT_DEFAULTS:
            cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
            cell.source, count = re.subn(r"^SMOKE = False\b", "SMOKE = True", cell.source, flags=re.M)
            assert count == 1, f"{source.stem}: its parameters cell has no 'SMOKE = False' line"
        nbformat.write(notebook, target / source.with_suffix(".ipynb").name)


@pytest.fixture(scope="session")
def lab(chromium, tmp_path_factory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("lab")
    copy_lessons(root / "notebooks")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, COURSE_BUILD_DIR=str(root / "build"),
               COURSE_CACHE_DIR=str(root / "checkpoints"), COURSE_RESULTS_DIR=str(root / "results"),
               COURSE_DATA_DIR=str(paths.data_dir()),  # the shared, checksummed data cache
               JUPYTERLAB_SETTINGS_DIR=str(root / "user-settings"),  # a user's own settings stay out
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"))
    log = root / "jupyterlab.log"
    command = [sys.executable, "-m", "course.lab", "--root", str(root), "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True"]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Lab(process, port, token, root, log)
    try:
        wait_until_serving(server, timeout_s=120)
        yield server
    finally:
        stop(server)


def wait_until_serving(lab: Lab, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {lab.process.returncode}:\n{lab.tail()}")
        try:
            lab.api("/api/status")
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {timeout_s} s:\n{lab.tail()}")


def stop(lab: Lab) -> None:
    """Kernels first (through the server), then the server's whole process group."""
    try:
        lab.shutdown_kernels()
    except OSError:
        pass
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(lab.process.pid, sig)
        except ProcessLookupError:
            break
        try:
            lab.process.wait(grace)
            break
        except subprocess.TimeoutExpired:
            continue
    assert not listening(lab.port), f"JupyterLab still listens on port {lab.port}"


# --- the browser ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Page:
    """A browser tab and every error its console reported."""

    page: Any
    errors: list[str]


@pytest.fixture
def tab(browser, lab) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    try:
        yield Page(page, errors)
    finally:
        context.close()
        lab.shutdown_kernels()


CURRENT = "window.jupyterapp?.shell.currentWidget"
KERNEL_IDLE = f"() => {CURRENT}?.sessionContext?.session?.kernel?.status === 'idle'"
# Every code cell's count and error outputs, read from the notebook's model (JupyterLab
# renders only the cells in view, so the page itself does not hold them all).
CELLS = f"""() => {{
  const cells = {CURRENT}.content.model.cells, found = [];
  for (let i = 0; i < cells.length; i++) {{
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    found.push({{count: cell.executionCount, running: cell.executionState === 'running',
                 errors: cell.outputs.toJSON().filter(o => o.output_type === 'error')
                                     .map(o => `${{o.ename}}: ${{o.evalue}}`)}});
  }}
  return found;
}}"""
DONE = f"""() => {{
  const cells = ({CELLS})();
  return cells.some(c => c.errors.length) ||
         (cells.every(c => c.count !== null && !c.running) &&
          {CURRENT}.sessionContext.session.kernel.status === 'idle');
}}"""
# The plotly data of the figure inside a lesson widget, as text to compare.
FIGURE_DATA = ("widget => JSON.stringify(Array.from(widget.querySelectorAll('.js-plotly-plot'), "
               "plot => plot.data))")


def open_notebook(page, lab: Lab, path: str) -> None:
    page.goto(lab.url(path, workspace=re.sub(r"\W", "-", path)))
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)


def menu(page, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def run_all_cells(page) -> list[str]:
    """Clear all outputs and run all cells from the menus; the error outputs, if any."""
    menu(page, "Edit", "Clear Outputs of All Cells")
    menu(page, "Run", "Run All Cells")
    page.wait_for_function(DONE, timeout=RUN_TIMEOUT_S * 1000, polling=500)
    return [error for cell in page.evaluate(CELLS) for error in cell["errors"]]


CONTROLS = ".noUi-handle, input[type=text], select"
TYPED_SENTENCE = "the value of the [MASK] is returned"  # for a widget that takes text (lesson 03)


def move_first_control(page, widget) -> str:
    """Use the widget as a person would: its first slider (keyboard), else its text box
    (type a sentence, Enter), else its first dropdown (mouse)."""
    handle = widget.locator(".noUi-handle")
    if handle.count():
        handle.first.scroll_into_view_if_needed()
        handle.first.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        return "slider: ArrowRight x3"
    text = widget.locator("input[type=text]")
    if text.count():
        text.first.fill("")
        text.first.type(TYPED_SENTENCE)
        text.first.press("Enter")
        return f"text: {TYPED_SENTENCE!r}"
    dropdown = widget.locator("select")
    if dropdown.count():
        options = dropdown.first.locator("option").all_inner_texts()
        dropdown.first.select_option(label=options[-1])
        return f"dropdown: {options[-1]!r}"
    pytest.fail("the lesson widget has no slider, text box or dropdown")


def screenshot(page, lesson: str) -> Path:
    target = paths.build_dir() / "screenshots" / f"{lesson}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    return target


# --- the tests ------------------------------------------------------------------------------

def test_course_settings_are_in_force(lab):
    """The project's lab settings reach the server: .py opens as a notebook, no news."""
    viewers = lab.api("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    assert viewers["schema"]["properties"]["defaultViewers"]["default"] == {"python": "Jupytext Notebook"}
    notification = lab.api("/lab/api/settings/@jupyterlab/apputils-extension:notification")
    assert notification["schema"]["properties"]["fetchNews"]["default"] == "false"
    kernels = lab.api("/api/kernelspecs")
    assert KERNEL_NAME in kernels["kernelspecs"] and kernels["default"] == KERNEL_NAME


def test_a_paired_py_opens_as_a_notebook_with_the_course_kernel(tab, lab):
    page = tab.page
    open_notebook(page, lab, "notebooks/00_start_here.py")
    opened = page.evaluate(f"""() => ({{path: {CURRENT}.context.path,
        notebook: {CURRENT}.hasClass('jp-NotebookPanel'), cells: {CURRENT}.content.model.cells.length,
        kernel: {CURRENT}.sessionContext.session.kernel.name}})""")
    assert opened["path"] == "notebooks/00_start_here.py"
    assert opened["notebook"] and opened["cells"] > 10, opened
    assert opened["kernel"] == KERNEL_NAME
    assert page.locator(".jp-Notification-Toast, .Toastify__toast").count() == 0, "a pop-up covers the page"
    assert tab.errors == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_runs_in_the_page_and_its_widget_redraws(tab, lab, lesson):
    page = tab.page
    open_notebook(page, lab, f"notebooks/{lesson}.ipynb")
    errors = run_all_cells(page)
    assert errors == [], f"{lesson}: error output in the page: {errors}"
    if lesson in LESSONS_WITHOUT_WIDGETS:
        screenshot(page, lesson)
        assert tab.errors == []
        return

    # the first lesson widget with a control (a figure that only redraws while training has none)
    widget = page.locator(f".{LessonWidget.css_class}").filter(has=page.locator(CONTROLS)).first
    widget.wait_for(state="attached", timeout=30_000)
    widget.scroll_into_view_if_needed()
    widget.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    before = widget.evaluate(FIGURE_DATA)
    moved = move_first_control(page, widget)
    try:
        page.wait_for_function(f"([widget, before]) => ({FIGURE_DATA})(widget) !== before",
                               arg=[widget.element_handle(), before], timeout=REDRAW_TIMEOUT_S * 1000)
    finally:
        screenshot(page, lesson)
    assert tab.errors == [], f"{lesson}: the browser console reported errors after '{moved}'"
