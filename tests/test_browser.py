"""The course in a real JupyterLab, driven by headless Chromium as a learner would use it.

One JupyterLab for the whole run, started with the command ``make lab`` runs
(``python -m course.lab``) on 127.0.0.1 at a free port with a random token, serving a
scratch copy of ``notebooks/`` (a run in the page must not touch the committed
notebooks). The lessons run at their default parameters, as a learner runs them, with
the checkpoint cache that nbval's run has just filled (``make test`` runs nbval first,
see :func:`course.notebooks.nbval_run_dir`), so no model is trained twice. The lesson
tests take turns in one JupyterLab page per process (booting JupyterLab costs more than
opening a notebook in it), slowest lesson first. Per lesson:
open it, clear all outputs and run all cells from the menus, find no error output, wait
for the figure of its first lesson widget to be drawn, move the widget's first control
as a person would, see the data of the figure in the page change, find no error in the
widget or the browser console, and save a screenshot of the moved control and the
redrawn figure to ``build/screenshots/NN_name.png``; ``build/screenshots/index.html``
shows them all on one page, for a person to judge.

Every wait waits for an event (a kernel idle, a figure's data changed), with limits
generous enough for a busy machine. JupyterLab and Chromium run in process groups of
their own, ended on every exit path, Ctrl-C and SIGTERM included (``process_groups``);
a test interrupts a run and checks that nothing is left.

Chromium comes from the system (:mod:`course.browser`), never from a download. Without
one these tests skip with one line, except under CI (``CI`` or
``COURSE_BROWSER_TESTS=required`` set), where they fail. ``pytest -m browser`` runs them.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import nbformat
import psutil
import pytest

import process_groups
from course import browser as course_browser
from course import paths
from course.notebooks import KERNEL_NAME, lesson_sources, nbval_run_dir
from course.widgets import LessonWidget

pytestmark = pytest.mark.browser

LESSONS = [source.stem for source in lesson_sources()]
# Seconds each lesson's test took in the page with two processes at once (make test's run 2;
# a process's first test includes booting its JupyterLab). The slowest start first, so that
# no process is left with a long one at the end while the other idles; a lesson not listed
# yet counts as the slowest.
SECONDS_IN_THE_PAGE = {"05_voice_conversion": 33, "06_discrete_latents": 28, "02_denoising": 28,
                       "01_autoencoder_basics": 27, "09_compression": 25, "04_disentanglement": 20,
                       "08_vae": 20, "10_anomaly_detection": 19, "00_start_here": 18, "03_bert_denoising": 18,
                       "07_text_as_code": 13}
SLOWEST_FIRST = sorted(LESSONS, key=lambda lesson: -SECONDS_IN_THE_PAGE.get(lesson, 1e9))
LESSONS_WITHOUT_WIDGETS: set[str] = set()  # a lesson listed here is only run, not played with
RUN_TIMEOUT_S = 900       # one lesson, all cells, in the page (from the cache: 10-40 s)
DRAWN_TIMEOUT_S = 120     # the widget's figure holds data after the run
REDRAW_TIMEOUT_S = 120    # a control moved -> the figure in the page changed
SERVER_TIMEOUT_S = 180    # JupyterLab answers
SCREENSHOTS = "screenshots"


def browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("COURSE_BROWSER_TESTS") == "required"


MISSING = course_browser.missing_browser()
if MISSING and not browser_required():
    pytest.skip(f"browser tests skipped: {MISSING}", allow_module_level=True)


@pytest.fixture(scope="session")
def chromium() -> str:
    if MISSING:
        pytest.fail(f"browser tests are required under CI, but {MISSING}")
    return course_browser.find_chromium()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(what: str, ready, timeout_s: float, alive=lambda: True, why=lambda: "") -> Any:
    """Poll ``ready()`` until it returns something true; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            pytest.fail(f"{what}: the process exited\n{why()}")
        try:
            found = ready()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.25)
    pytest.fail(f"{what}: not within {timeout_s} s\n{why()}")


# --- the JupyterLab server ------------------------------------------------------------------

@dataclass
class Lab:
    """A running JupyterLab, its scratch root and its log."""

    group: process_groups.Group
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

    @staticmethod
    def fit_log_in(root: Path) -> Path:
        """Every ``fit`` of the server's kernels, a JSON line each (``COURSE_FIT_LOG``)."""
        return root / "fits.jsonl"

    @property
    def fit_log(self) -> Path:
        return self.fit_log_in(self.root)

    def fits_since(self, offset: int) -> list[dict]:
        """The fits logged after byte ``offset`` of :attr:`fit_log`."""
        if not self.fit_log.exists():
            return []
        with self.fit_log.open() as log:
            log.seek(offset)
            return [json.loads(line) for line in log.read().splitlines()]

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self, wait: bool = True) -> None:
        """Shut down every kernel the server runs now; with ``wait=False`` in a thread
        of its own (a kernel takes 1-3 s to exit), while the next test goes on."""
        requests = [f"/api/kernels/{kernel['id']}" for kernel in self.api("/api/kernels")]

        def delete() -> None:
            for request in requests:
                try:
                    self.api(request, method="DELETE")
                except OSError:  # gone already, or the server is: stop_lab ends it all anyway
                    pass

        if wait:
            delete()
        else:
            threading.Thread(target=delete, daemon=True).start()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def copy_lessons(target: Path) -> None:
    """The lessons' ``.ipynb`` (as committed: default parameters) and ``.py``, unpaired.

    jupytext.toml is left out on purpose: with it, jupytext would pair the copies.
    A lesson whose ``.ipynb`` is not built yet is left out (its test says so).
    """
    target.mkdir(parents=True)
    for source in lesson_sources():
        shutil.copy(source, target / source.name)
        if source.with_suffix(".ipynb").is_file():
            shutil.copy(source.with_suffix(".ipynb"), target / source.with_suffix(".ipynb").name)


def start_lab(root: Path, cache: Path) -> Lab:
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, COURSE_BUILD_DIR=str(root / "build"), COURSE_CACHE_DIR=str(cache),
               COURSE_RESULTS_DIR=str(root / "results"), COURSE_FIT_LOG=str(Lab.fit_log_in(root)),
               COURSE_DATA_DIR=str(paths.data_dir()),  # the shared, checksummed data cache
               JUPYTERLAB_SETTINGS_DIR=str(root / "user-settings"),  # a user's own settings stay out
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"))
    command = [sys.executable, "-m", "course.lab", "--root", str(root), "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
               # kernels on Unix sockets named after their connection files: two servers
               # (two xdist workers) starting kernels at once can pick the same free TCP
               # ports, and a kernel then talks to the other server ("Invalid Signature",
               # "Address already in use") and the page waits for it forever
               "--KernelManager.transport=ipc"]
    log = root / "jupyterlab.log"
    lab = Lab(process_groups.start("jupyterlab", command, log=log, env=env), port, token, root, log)
    wait_for("JupyterLab answers", lambda: lab.api("/api/status"), SERVER_TIMEOUT_S,
             alive=lambda: lab.group.process.poll() is None, why=lab.tail)
    return lab


def stop_lab(lab: Lab) -> None:
    """Kernels first (through the server, politely), then the whole group, descendants too."""
    lab.group.remember_descendants()
    try:
        lab.shutdown_kernels()
    except OSError:
        pass
    lab.group.end()
    assert not listening(lab.port), f"JupyterLab still listens on port {lab.port}"


# JupyterLab, Chromium and the lesson tests' page last as long as this file's tests (module
# scope), not the whole process: other test files run after them in it.
@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("lab")
    copy_lessons(root / "notebooks")
    server = start_lab(root, cache=nbval_run_dir() / "checkpoints")
    try:
        yield server
    finally:
        stop_lab(server)


# --- the browser ----------------------------------------------------------------------------

def start_chromium(chromium: str, profile: Path) -> tuple[process_groups.Group, int]:
    """Headless Chromium in a group of its own, listening for DevTools on a free port."""
    profile.mkdir(parents=True, exist_ok=True)
    command = [chromium, "--headless=new", "--remote-debugging-address=127.0.0.1",
               "--remote-debugging-port=0", f"--user-data-dir={profile}", *course_browser.FLAGS,
               "about:blank"]
    log = profile.parent / "chromium.log"
    group = process_groups.start("chromium", command, log=log, own_temp_dir=True)
    active = profile / "DevToolsActivePort"
    text = wait_for("Chromium listens for DevTools",
                    lambda: active.is_file() and active.read_text().strip(), 60,
                    alive=lambda: group.process.poll() is None,
                    why=lambda: log.read_text(errors="replace")[-3000:])
    return group, int(text.splitlines()[0])


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    group, port = start_chromium(chromium, tmp_path_factory.mktemp("chromium") / "profile")
    try:
        with sync_playwright() as playwright:
            connected = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
            try:
                yield connected
            finally:
                connected.close()
    finally:
        group.end()


@dataclass
class Page:
    """A browser tab and every error its console reported."""

    page: Any
    errors: list[str]

    def report(self) -> str:
        return "\n".join(["browser console errors:", *self.errors]) if self.errors else ""


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
        try:
            lab.shutdown_kernels()
        except OSError:  # the server is gone: the lab fixture's teardown says why
            pass


CURRENT = "window.jupyterapp?.shell.currentWidget"
KERNEL_IDLE = f"() => {CURRENT}?.sessionContext?.session?.kernel?.status === 'idle'"
# Close every document in the main area without asking to save (a run makes it dirty).
CLOSE_ALL = """() => {
  for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
    if (widget.context) widget.context.model.dirty = false;
    widget.dispose();
  }
  return true;
}"""
# Close the Launcher that JupyterLab opens when no document is left open.
CLOSE_LAUNCHERS = f"""() => {{
  for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {{
    if (!widget.context && widget !== {CURRENT}) widget.dispose();
  }}
  return true;
}}"""


@pytest.fixture(scope="module")
def lesson_tabs(browser) -> Iterator[dict]:
    """Where the lesson tests keep the JupyterLab page they share (one per process)."""
    shared: dict = {"context": browser.new_context(viewport={"width": 1400, "height": 1000}), "tab": None}
    try:
        yield shared
    finally:
        shared["context"].close()


@pytest.fixture
def lesson_tab(lesson_tabs, lab, request) -> Iterator[Page]:
    """A JupyterLab page that the lesson tests take in turn, with no document open and a
    console error list of its own. Booting JupyterLab in a page costs 5 s and 5 CPU-seconds
    of Chromium; opening a notebook in a running one, 2 s (:func:`open_notebook`). After
    a test that failed the page is closed, and the next test boots a fresh one."""
    tab = lesson_tabs["tab"]
    if tab is None or tab.page.is_closed():
        page = lesson_tabs["context"].new_page()
        tab = lesson_tabs["tab"] = Page(page, [])
        page.on("console", lambda message: message.type == "error" and tab.errors.append(message.text))
        page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    tab.errors.clear()
    try:
        yield tab
    finally:
        try:
            if getattr(request.node, "call_failed", True):
                tab.page.close()
            else:
                tab.page.evaluate(CLOSE_ALL)
        finally:
            try:
                lab.shutdown_kernels(wait=False)
            except OSError:  # the server is gone: the lab fixture's teardown says why
                pass


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
# The plotly data of the figures inside a lesson widget, as text to compare.
FIGURE_DATA = ("widget => JSON.stringify(Array.from(widget.querySelectorAll('.js-plotly-plot'), "
               "plot => plot.data))")
# Every figure of the widget is drawn with data (an empty plot has no traces at all).
FIGURE_DRAWN = ("widget => { const plots = widget.querySelectorAll('.js-plotly-plot');"
                " return plots.length > 0 && Array.from(plots).every(p => (p.data || []).length > 0); }")

# The titles inside a lesson widget's figures (the figure's own and its subplots') that
# plotly's mode bar covers, shown or not (it appears where the pointer hovers): a widget's
# title is often its readout, e.g. "image 3: label 7".
COVERED_TITLES = """widget => {
  const box = (e) => e.getBoundingClientRect();
  const bars = Array.from(widget.querySelectorAll('.modebar'), box).filter(r => r.width > 0 && r.height > 0);
  const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  return Array.from(widget.querySelectorAll('.gtitle, .annotation-text'))
    .filter(t => t.textContent && bars.some(b => meet(box(t), b))).map(t => t.textContent);
}"""


def open_notebook(page, lab: Lab, path: str) -> None:
    """``path`` open in the page and its kernel idle: in the JupyterLab the page already
    runs, or in a fresh one loaded with a workspace of its own (no tabs of other tests)."""
    if page.url.startswith(lab.base) and page.evaluate("() => !!window.jupyterapp?.shell"):
        page.evaluate("path => window.jupyterapp.commands.execute('docmanager:open', {path}).then(() => true)",
                      path)
        page.wait_for_function(f"path => {CURRENT}?.context?.path === path", arg=path, timeout=120_000)
        page.evaluate(CLOSE_LAUNCHERS)
    else:
        page.goto(lab.url(path, workspace=re.sub(r"\W", "-", path)), timeout=120_000)
    page.wait_for_function(KERNEL_IDLE, timeout=180_000, polling=250)


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
        # a slider that starts at its right end moves left (noUiSlider's aria attributes say where it is)
        now, most = (handle.first.get_attribute(f"aria-value{end}") for end in ("now", "max"))
        key = "ArrowLeft" if now is not None and most is not None and float(now) >= float(most) else "ArrowRight"
        for _ in range(3):
            page.keyboard.press(key)
        return f"slider: {key} x3"
    text = widget.locator("input[type=text]")
    if text.count():
        text.first.fill("")
        text.first.type(TYPED_SENTENCE)
        text.first.press("Enter")
        return f"text: {TYPED_SENTENCE!r}"
    dropdown = widget.locator("select")
    if dropdown.count():
        # the next option, not the last: lists sorted by use end in empty choices (lesson 06's dead codes)
        options = dropdown.first.locator("option").all_inner_texts()
        now = dropdown.first.evaluate("select => select.selectedIndex")
        choice = options[(now + 1) % len(options)]
        dropdown.first.select_option(label=choice)
        return f"dropdown: {choice!r}"
    pytest.fail("the lesson widget has no slider, text box or dropdown")


# --- screenshots and their contact sheet ----------------------------------------------------

def screenshot_dir() -> Path:
    return paths.build_dir() / SCREENSHOTS


def screenshot(page, lesson: str, caption: str) -> Path:
    """``build/screenshots/<lesson>.png`` with a caption beside it, and the contact sheet."""
    target = screenshot_dir() / f"{lesson}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    target.with_suffix(".json").write_text(json.dumps({"lesson": lesson, "caption": caption}))
    write_contact_sheet(target.parent)
    return target


def write_contact_sheet(folder: Path) -> Path:
    """``index.html``: every screenshot in ``folder`` with its caption, in lesson order."""
    cards = []
    for png in sorted(folder.glob("*.png")):
        meta = png.with_suffix(".json")
        caption = json.loads(meta.read_text())["caption"] if meta.is_file() else ""
        cards.append(f'<figure><a href="{html.escape(png.name)}"><img src="{html.escape(png.name)}" '
                     f'alt="{html.escape(png.stem)}" loading="lazy"></a><figcaption><b>'
                     f"{html.escape(png.stem)}</b><br>{html.escape(caption)}</figcaption></figure>")
    sheet, partial = folder / "index.html", folder / f".index.{os.getpid()}.html"
    partial.write_text(
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>Browser test screenshots</title>"
        "<style>body{font-family:sans-serif;margin:1em}main{display:grid;"
        "grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:1em}"
        "figure{margin:0;border:1px solid #ccc;padding:.5em}img{width:100%}"
        "figcaption{font-size:90%}</style>"
        "<h1>Each lesson in JupyterLab, run at its defaults, its widget's first control moved</h1>"
        f"<p>{len(cards)} screenshots from the browser tests (tests/test_browser.py), "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}. Click one for full size.</p>"
        f"<main>{''.join(cards)}</main></html>\n")
    partial.replace(sheet)  # whole, even with two processes taking screenshots
    return sheet


def test_the_contact_sheet_lists_every_screenshot_with_its_caption(tmp_path):
    from PIL import Image

    for name in ("01_a", "00_b"):
        Image.new("RGB", (4, 3)).save(tmp_path / f"{name}.png")
    (tmp_path / "01_a.json").write_text(json.dumps({"lesson": "01_a", "caption": "slider <moved>"}))
    text = write_contact_sheet(tmp_path).read_text()
    assert text.index('src="00_b.png"') < text.index('src="01_a.png"')
    assert "slider &lt;moved&gt;" in text and "2 screenshots" in text


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


# What a busy machine does to a FigureWidget, made certain: plotly's widget module (5 MB)
# takes 3 s to load, past the 2 s that anywidget waits for it (see course.figure_widget).
SLOW_PLOTLY_MODULE = """(() => {
  const Original = window.Blob;
  window.Blob = class extends Original {
    constructor(parts, options) {
      super(parts, options);
      this.courseLoader = typeof parts?.[0] === 'string' && parts[0].startsWith('// course.figure_widget');
    }
  };
  const create = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob) => {
    if (blob instanceof Original && blob.type === 'text/javascript' && blob.size > 1e6 && !blob.courseLoader) {
      blob = new Original(['await new Promise(r => setTimeout(r, 3000));\\n', blob], {type: blob.type});
    }
    return create(blob);
  };
})();"""
SLOW_START_CELLS = [
    "import plotly.graph_objects as go\nimport course.widgets  # the course's FigureWidget loader\n"
    "fig = go.FigureWidget(data=[go.Bar(y=[1, 2, 3])])\nfig.update_layout(title='three bars')\nfig",
    "fig.data[0].y = [3, 2, 1]",
]


def test_a_figure_widget_whose_plotly_loads_slowly_still_shows_every_update(tab, lab):
    page = tab.page
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in SLOW_START_CELLS])
    notebook.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": KERNEL_NAME, "language": "python"}
    nbformat.write(notebook, lab.root / "slow_start.ipynb")
    page.add_init_script(SLOW_PLOTLY_MODULE)
    open_notebook(page, lab, "slow_start.ipynb")
    assert run_all_cells(page) == []
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(timeout=DRAWN_TIMEOUT_S * 1000)
    drawn = page.wait_for_function(
        "plot => plot.data?.length && JSON.stringify(plot.data[0].y) === '[3,2,1]' && plot.layout.title?.text",
        arg=plot.element_handle(), timeout=DRAWN_TIMEOUT_S * 1000)
    assert drawn.json_value() == "three bars"
    assert tab.errors == []


# Before the lessons in the page (20 s, about a lesson's time): run 2 hands out its tests
# one at a time in this order, so that the two processes end on the quickest lessons.
SLIDES_LESSON = "00_start_here"  # the quickest lesson to run at its defaults
SLIDES_WIDGET_CELL = "widgets.image_browser("  # its first lesson widget with a control
ON_SLIDE = ".jp-deck-mod-onscreen"  # jupyterlab-slideshow marks the cells of the slide shown
DECK_PLUGIN = "jupyterlab-slideshow:plugin"


@pytest.mark.after_nbval
def test_a_lesson_presented_as_live_slides_keeps_its_widgets_working(tab, lab):
    """Lecture mode (issue 15): run a lesson, start the slideshow from its command
    (jupyterlab-slideshow, which presents the notebook itself), step with Space to the slide
    of the lesson's widget, move its control and see the figure's data change."""
    page = tab.page
    open_notebook(page, lab, f"notebooks/{SLIDES_LESSON}.ipynb")
    assert run_all_cells(page) == []
    folder = paths.build_dir() / SCREENSHOTS / "slides"
    folder.mkdir(parents=True, exist_ok=True)
    page.evaluate(f"() => {{ const nb = {CURRENT}.content; nb.activeCellIndex = 0; nb.mode = 'command'; }}")
    page.screenshot(path=str(folder / "live-before.png"))
    page.evaluate("() => window.jupyterapp.commands.execute('deck:start')")
    try:
        wait_for("presentation mode on in JupyterLab's settings", lambda: deck_active(lab), 60)
        present_to_the_widget(page, tab, folder)
    finally:  # the setting outlives the page: every page this JupyterLab opens later would present
        page.evaluate("() => window.jupyterapp.commands.execute('deck:stop')")
        wait_for("presentation mode off in JupyterLab's settings", lambda: not deck_active(lab), 60)


def deck_active(lab: Lab) -> bool:
    """jupyterlab-slideshow's ``active`` setting: presentation mode on, now and in any page
    opened after this one."""
    return bool(lab.api(f"/lab/api/settings/{DECK_PLUGIN}")["settings"].get("active"))


def present_to_the_widget(page, tab: Page, folder: Path) -> None:
    """In presentation mode: step with Space to the slide of the lesson's widget, move its
    control and see its figure change."""
    page.wait_for_selector(ON_SLIDE, timeout=DRAWN_TIMEOUT_S * 1000)
    page.screenshot(path=str(folder / "live-title.png"))
    on_it = False
    for _ in range(200):
        on_it = page.evaluate(f"src => Array.from(document.querySelectorAll('{ON_SLIDE}'))"
                              ".some(c => c.innerText.includes(src))", SLIDES_WIDGET_CELL)
        if on_it:
            break
        page.keyboard.press("Space")
        page.wait_for_function(f"() => document.querySelectorAll('{ON_SLIDE}').length > 0", timeout=30_000)
    assert on_it, "Space never reached the slide of the lesson's widget"
    widget = page.locator(f"{ON_SLIDE} .{LessonWidget.css_class}").filter(has=page.locator(CONTROLS)).first
    widget.wait_for(state="visible", timeout=DRAWN_TIMEOUT_S * 1000)
    page.wait_for_function(FIGURE_DRAWN, arg=widget.element_handle(), timeout=DRAWN_TIMEOUT_S * 1000)
    before = widget.evaluate(FIGURE_DATA)
    moved = move_first_control(page, widget)
    page.wait_for_function(f"([widget, before]) => ({FIGURE_DATA})(widget) !== before",
                           arg=[widget.element_handle(), before], timeout=REDRAW_TIMEOUT_S * 1000)
    page.screenshot(path=str(folder / "live-widget.png"))
    assert widget_errors(widget) == ""
    assert tab.errors == [], f"the slideshow's page reported errors after '{moved}'\n{tab.report()}"


def widget_errors(widget) -> str:
    """What the widget shows of a callback that raised (course.widgets.LessonWidget)."""
    boxes = widget.locator(f".{LessonWidget.error_class}")
    return "\n".join(boxes.all_inner_texts()).strip()


@pytest.mark.after_nbval
@pytest.mark.parametrize("lesson", SLOWEST_FIRST)
def test_lesson_runs_in_the_page_and_its_widget_redraws(lesson_tab, lab, lesson):
    tab = lesson_tab
    assert (lab.root / "notebooks" / f"{lesson}.ipynb").is_file(), f"{lesson}.ipynb is not built yet"
    page = tab.page
    start = time.perf_counter()
    logged = lab.fit_log.stat().st_size if lab.fit_log.exists() else 0
    open_notebook(page, lab, f"notebooks/{lesson}.ipynb")
    errors = run_all_cells(page)
    ran_s = time.perf_counter() - start
    assert errors == [], f"{lesson}: error output in the page: {errors}\n{tab.report()}"
    # nbval has just run the lesson at its defaults, as `make warm` does: every model the
    # lesson caches now comes from the cache, and its histories say so (issue 15)
    fits = lab.fits_since(logged)
    trained = [f"{f['model']} ({f['desc']})" for f in fits if f["cache"] and not f["from_cache"]]
    assert trained == [], f"{lesson}: trained instead of loading from the cache: {trained}"
    assert any(f["from_cache"] for f in fits), f"{lesson}: no model came from the cache: {fits}"
    if lesson in LESSONS_WITHOUT_WIDGETS:
        screenshot(page, lesson, f"run at its defaults in {ran_s:.0f} s; no widget")
        assert tab.errors == []
        return

    # the first lesson widget with a control (a figure that only redraws while training has none)
    widget = page.locator(f".{LessonWidget.css_class}").filter(has=page.locator(CONTROLS)).first
    widget.wait_for(state="attached", timeout=DRAWN_TIMEOUT_S * 1000)
    widget.scroll_into_view_if_needed()
    try:
        page.wait_for_function(FIGURE_DRAWN, arg=widget.element_handle(), timeout=DRAWN_TIMEOUT_S * 1000)
    except Exception:
        screenshot(page, lesson, "FAILED: the widget's figure stayed empty")
        pytest.fail(f"{lesson}: the widget's figure was never drawn with data\n{tab.report()}")
    before = widget.evaluate(FIGURE_DATA)
    moved = move_first_control(page, widget)
    try:
        page.wait_for_function(f"([widget, before]) => ({FIGURE_DATA})(widget) !== before",
                               arg=[widget.element_handle(), before], timeout=REDRAW_TIMEOUT_S * 1000)
    except Exception:
        screenshot(page, lesson, f"FAILED: no redraw after {moved}")
        pytest.fail(f"{lesson}: the figure did not change within {REDRAW_TIMEOUT_S} s of '{moved}'\n"
                    f"{widget_errors(widget)}\n{tab.report()}")
    widget.scroll_into_view_if_needed()
    screenshot(page, lesson, f"run at its defaults in {ran_s:.0f} s, then {moved}")
    assert widget_errors(widget) == "", f"{lesson}: the widget shows an error after '{moved}'"
    covered = widget.evaluate(COVERED_TITLES)
    assert covered == [], f"{lesson}: plotly's mode bar covers the widget's titles {covered}"
    assert tab.errors == [], f"{lesson}: the browser console reported errors after '{moved}'\n{tab.report()}"


# --- nothing left behind --------------------------------------------------------------------

def command_line(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:  # gone, or a zombie
        return ""


def running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


INTERRUPTS = {"Ctrl-C once": (signal.SIGINT,), "Ctrl-C twice": (signal.SIGINT, signal.SIGINT),
              "SIGTERM": (signal.SIGTERM,)}


@pytest.fixture
def system_tmp() -> Iterator[Path]:
    """A new folder to stand in for /tmp, with a short path (as Chromium's socket under it
    must have, which pytest's tmp_path is too long for)."""
    folder = Path(tempfile.mkdtemp(prefix="course-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("how", INTERRUPTS)
def test_an_interrupted_run_leaves_no_server_kernel_or_browser(how, tmp_path, system_tmp, chromium):
    """A pytest run of a lesson in the page, interrupted once its kernel and Chromium run;
    ``system_tmp`` is its /tmp, to see what it leaves there."""
    env = dict(os.environ, COURSE_BUILD_DIR=str(tmp_path / "build"),
               COURSE_TEST_RUN_DIR=str(tmp_path / "run"), COURSE_DATA_DIR=str(paths.data_dir()),
               PYTHONUNBUFFERED="1", TMPDIR=str(system_tmp))
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_WORKER_COUNT", None)
    test = f"{Path(__file__)}::test_lesson_runs_in_the_page_and_its_widget_redraws[{LESSONS[0]}]"
    log = tmp_path / "pytest.log"
    with log.open("w") as out:
        run = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", test],
                               cwd=paths.project_root(), env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        def started() -> list[psutil.Process] | None:
            found = psutil.Process(run.pid).children(recursive=True)
            lines = [command_line(p) for p in found]
            kernel = any("ipykernel" in line for line in lines)
            browser = any("--remote-debugging-port" in line for line in lines)
            return found if kernel and browser else None

        children = wait_for("the run has a kernel and Chromium", started, 240,
                            alive=lambda: run.poll() is None, why=lambda: log.read_text()[-3000:])
        time.sleep(1)
        children = {p.pid: p for p in [*children, *psutil.Process(run.pid).children(recursive=True)]}
        ports = [int(m) for p in children.values()
                 for m in re.findall(r"--ServerApp\.port=(\d+)", command_line(p))]
        assert ports, "found no JupyterLab among the run's processes"
        for sig in INTERRUPTS[how]:
            run.send_signal(sig)
            time.sleep(0.5)
        run.wait(120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    left = [p for p in children.values() if running(p)]
    assert not left, f"left running after {how}: {[command_line(p)[:120] for p in left]}"
    assert not any(listening(port) for port in ports), f"JupyterLab's port is still open after {how}"
    assert run.returncode != 0, "the interrupted run reported success"
    stray = sorted(p.name for pattern in ("org.chromium.*", "course-*") for p in system_tmp.glob(pattern))
    assert not stray, f"left {stray} in the temporary folder after {how}"
