"""Static twins of the course's figures: every plotly figure in a committed notebook also
carries a PNG of itself.

A plotly figure is saved as ``application/vnd.plotly.v1+json``, which only JupyterLab
(with plotly's extension) draws; a code-hosting site, nbviewer, a notebook preview or an
``nbconvert`` export show a blank space there. So ``make notebooks``
(:func:`course.notebooks.build`) adds an ``image/png`` beside each one, drawn by
plotly.js itself in the system's Chromium (:mod:`course.browser`). JupyterLab still shows
the live figure; everything else falls back to the picture. A learner's own runs never
need a browser.

Lesson widgets (:class:`course.widgets.LessonWidget`) live only while their kernel runs.
While a notebook is built, :data:`SNAPSHOT_ENV` is set and each widget also shows its
figure as it starts (:func:`snapshot_bundle`), which gets a PNG twin like any figure.

>>> with FigureRenderer() as render:
...     count = add_twins(notebook, render)
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator

PLOTLY = "application/vnd.plotly.v1+json"
PNG = "image/png"
SVG = "image/svg+xml"
SNAPSHOT_ENV = "COURSE_WIDGET_SNAPSHOTS"
SNAPSHOT_KEY = "course_widget_snapshot"  # output metadata: this figure is a widget's first state
DEFAULT_SIZE = (700, 450)  # plotly's own default, what an autosized figure gets

Render = Callable[[dict], bytes]


def snapshots_wanted() -> bool:
    """True while ``make notebooks`` runs a lesson: widgets also show a picture of themselves."""
    return os.environ.get(SNAPSHOT_ENV) == "1"


def snapshot_bundle(figure: Any) -> tuple[dict, dict]:
    """The extra mime data and output metadata a widget adds to its display when snapshots are wanted."""
    return {PLOTLY: json.loads(figure.to_json())}, {SNAPSHOT_KEY: True}


def display_with_snapshot(bundle: dict, figure: Any) -> None:
    """Display a widget's ``bundle`` with its figure; the figure is redrawn when the cell ends.

    So a figure that its cell fills in later (a monitor redrawn during training) is saved
    as it ends up, and a slider's figure as it starts.
    """
    from IPython import get_ipython
    from IPython.display import display

    data, metadata = snapshot_bundle(figure)
    handle = display({**bundle, **data}, raw=True, metadata=metadata, display_id=True)
    shell = get_ipython()
    if shell is None or handle is None:
        return

    def update(*_: object) -> None:
        shell.events.unregister("post_run_cell", update)
        data, metadata = snapshot_bundle(figure)
        handle.update({**bundle, **data}, raw=True, metadata=metadata)

    shell.events.register("post_run_cell", update)


def figure_outputs(nb: Any) -> Iterator[dict]:
    """Every output of ``nb`` that holds a plotly figure, in notebook order."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for output in cell.get("outputs", []):
            if PLOTLY in output.get("data", {}):
                yield output


def has_twin(output: dict) -> bool:
    data = output.get("data", {})
    return PNG in data or SVG in data


def figure_size(figure: dict) -> tuple[int, int]:
    """Width and height in pixels: the figure's own, else plotly's default."""
    layout = figure.get("layout") or {}
    return (int(layout.get("width") or DEFAULT_SIZE[0]), int(layout.get("height") or DEFAULT_SIZE[1]))


def compact_png(png: bytes, colors: int = 256) -> bytes:
    """The same picture with a palette of ``colors``: a quarter of the bytes, no visible change.

    A chart has few colours besides the anti-aliased edges, and a grey image 256 at most.
    """
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT,
                   dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    return out.getvalue() if out.tell() < len(png) else png


def add_twins(nb: Any, render: Render, refresh: bool = False) -> int:
    """Give each plotly figure of ``nb`` an ``image/png`` twin, in place; returns how many were drawn.

    Figures that already have one keep it unless ``refresh``.
    """
    drawn = 0
    for output in figure_outputs(nb):
        if has_twin(output) and not refresh:
            continue
        png = render(output["data"][PLOTLY])
        output["data"][PNG] = base64.b64encode(png).decode("ascii")
        width, height = figure_size(output["data"][PLOTLY])
        output.setdefault("metadata", {})[PNG] = {"width": width, "height": height}
        drawn += 1
    return drawn


_DRAW = """async (figure) => {
  const layout = Object.assign({}, figure.layout || {});
  const width = layout.width || %d, height = layout.height || %d;
  const div = document.getElementById('figure');
  await Plotly.newPlot(div, figure.data || [], layout, {staticPlot: true});
  const url = await Plotly.toImage(div, {format: 'png', width: width, height: height, scale: 1});
  Plotly.purge(div);
  return url;
}""" % DEFAULT_SIZE


def plotly_js() -> Path:
    """The plotly.js bundled with the plotly package: the version the notebooks were made with."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class FigureRenderer:
    """One headless Chromium with plotly.js loaded; calling it turns a figure dict into PNG
    bytes (with a palette, :func:`compact_png`).

    Start-up takes a few seconds; each figure then about half a second. Use it as a
    context manager, once for all the notebooks at hand. Playwright's sync API refuses to
    run where an asyncio loop is running (a Jupyter kernel, some test runners), so the
    browser lives in a thread of its own and every call is handed to that thread.
    """

    def __init__(self) -> None:
        self._thread: concurrent.futures.ThreadPoolExecutor | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._page: Any = None
        self.errors: list[str] = []

    def _run(self, work: Callable[[], Any]) -> Any:
        assert self._thread is not None, "use FigureRenderer as a context manager"
        return self._thread.submit(work).result()

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        from course.browser import launch

        self._playwright = sync_playwright().start()
        self._browser = launch(self._playwright)
        self._page = self._browser.new_page()
        self._page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        # A local page: nothing is fetched from anywhere.
        self._page.set_content('<html><body><div id="figure"></div></body></html>')
        self._page.add_script_tag(path=str(plotly_js()))

    def _stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._browser = self._playwright = self._page = None

    def __enter__(self) -> "FigureRenderer":
        self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="figure-renderer")
        try:
            self._run(self._start)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __call__(self, figure: dict) -> bytes:
        url = self._run(lambda: self._page.evaluate(_DRAW, figure))
        prefix = "data:image/png;base64,"
        if not url.startswith(prefix):
            raise RuntimeError(f"plotly.js did not draw a PNG: {url[:80]!r} {self.errors}")
        return compact_png(base64.b64decode(url[len(prefix):]))

    def __exit__(self, *exc: object) -> None:
        if self._thread is None:
            return
        try:
            self._run(self._stop)
        finally:
            self._thread.shutdown()
            self._thread = None
