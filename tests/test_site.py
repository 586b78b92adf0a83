"""The course website (course.site, ``make site``): built from the committed notebooks
without running them, every figure on every page, nothing fetched from elsewhere.

The site is built once per session, by the first test that needs it (as ``make site``
builds it; later runs find it up to date). The browser tests (``pytest -m browser``)
serve ``build/site`` on 127.0.0.1, open every page in headless Chromium with and without
JavaScript, and save screenshots to ``build/screenshots/site/``: each whole page with
JavaScript, and its first figure's picture without.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

from course import site, static
from course.browser import launch, missing_browser, required
from course.notebooks import lesson_sources
from course.paths import project_root

ROOT = project_root()
SITE = ROOT / "build" / "site"
SCREENSHOTS = ROOT / "build" / "screenshots" / "site"
# A lesson whose .ipynb is not built yet has no page (the pair test reports it).
LESSONS = [py.stem for py in lesson_sources() if py.with_suffix(".ipynb").is_file()]
MAX_BYTES = 30 * 2**20


def figure_count(stem: str) -> int:
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    return sum(1 for _ in static.figure_outputs(nb))


PAGES = {"index": 0, **{f"lessons/{stem}": figure_count(stem) for stem in LESSONS}}


@pytest.fixture(scope="session")
def built() -> Path:
    """``build/site``, built now unless it is newer than all it is made of."""
    if not site.up_to_date(SITE):
        site.build(SITE)
    return SITE


# --- turning notebooks into pages (no site needed) -------------------------------------------

def test_figure_html_holds_the_picture_and_the_data_safely():
    figure = {"data": [{"type": "scatter", "y": [1, 2], "name": "</script><b>"}],
              "layout": {"title": {"text": "loss <i>per</i> epoch"}, "height": 300}}
    out = site.figure_html(figure, "../_figures/x-1.png", site.figure_title(figure), widget=True)
    assert out.count("</script>") == 1, "the data cannot close its script early"
    assert 'src="../_figures/x-1.png" width="700" height="300" alt="loss per epoch"' in out
    assert "<figcaption>" in out
    assert "<figcaption>" not in site.figure_html(figure, "p.png", "a figure")


def test_page_notebook_writes_pictures_and_links_the_lesson_files(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("fig")
    png = base64.b64encode(b"not really a png").decode()
    cell.outputs = [nbformat.from_dict({"output_type": "display_data", "metadata": {static.SNAPSHOT_KEY: True},
                                        "data": {static.PLOTLY: {"data": []}, static.PNG: png}})]
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · Title"), cell]
    assert site.page_notebook(nb, "01_x", tmp_path) == 1
    assert (tmp_path / "01_x-1.png").read_bytes() == b"not really a png"
    assert [c.cell_type for c in nb.cells] == ["markdown", "markdown", "code"]
    assert 'href="../notebooks/01_x.ipynb"' in nb.cells[1].source
    assert 'href="../notebooks/01_x.py"' in nb.cells[1].source
    (output,) = nb.cells[2].outputs
    assert list(output.data) == ["text/html"] and "course-figure" in output.data["text/html"]


def test_page_notebook_refuses_a_figure_without_its_twin(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("fig")
    cell.outputs = [nbformat.from_dict({"output_type": "display_data", "metadata": {},
                                        "data": {static.PLOTLY: {"data": []}}})]
    nb.cells = [cell]
    with pytest.raises(ValueError, match="twins 01_x"):
        site.page_notebook(nb, "01_x", tmp_path)


def test_home_page_links_lessons_and_lists_them_in_order():
    text = site.home_page("# Title\n\n| `01_basics` | ... |\n| `07_text` | soon |\n", ["00_start", "01_basics"])
    assert "[`01_basics`](lessons/01_basics.ipynb)" in text
    assert "`07_text`" in text and "lessons/07_text" not in text
    assert text.index("lessons/00_start\n") < text.index("lessons/01_basics\n")
    assert "lessons/glossary\n" in text


def test_the_readme_link_to_the_glossary_points_at_its_page():
    text = site.home_page("See [the glossary](notebooks/glossary.md).", [])
    assert "[the glossary](lessons/glossary.md)" in text


def test_mathematics_becomes_mathml():
    assert site.mathml(r"\frac{1}{N}\sum_i x_i", block=True).startswith("<math")
    assert site.mathml(r"\frac{1}{", block=False).startswith('<code class="math">')


# --- the built site ---------------------------------------------------------------------------

def test_every_lesson_has_a_page_in_lesson_order(built):
    index = (built / "index.html").read_text()
    assert "Three ways to read and run the course" in index, "the README is the home page"
    order = list(dict.fromkeys(re.findall(r'href="lessons/(\d\d_[a-z0-9_]+)\.html"', index)))
    assert order == LESSONS
    for page, count in PAGES.items():
        text = (built / f"{page}.html").read_text()
        assert text.count(f'<figure class="{site.FIGURE_CLASS}">') == count, page


def test_the_glossary_is_a_page_that_lessons_link_to(built):
    page = (built / "lessons" / "glossary.html").read_text()
    assert "自编码器" in page and "autoencoder" in page
    assert 'href="lessons/glossary.html"' in (built / "index.html").read_text()
    linked = [stem for stem in LESSONS if 'href="glossary.html' in (built / "lessons" / f"{stem}.html").read_text()]
    assert linked == LESSONS, f"lessons without a link to the glossary: {sorted(set(LESSONS) - set(linked))}"


@pytest.mark.parametrize("stem", LESSONS)
def test_each_lesson_page_links_its_ipynb_and_py(built, stem):
    text = (built / "lessons" / f"{stem}.html").read_text()
    for suffix in (".ipynb", ".py"):
        assert f'href="../notebooks/{stem}{suffix}"' in text
        assert (built / "notebooks" / f"{stem}{suffix}").is_file()


def test_plotly_js_ships_once_and_nothing_comes_from_elsewhere(built):
    assert [p.name for p in built.rglob("plotly*.js")] == ["plotly.min.js"]
    outside = re.compile(r'<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)
    for page in built.rglob("*.html"):
        text = page.read_text()
        assert not outside.search(text), f"{page.relative_to(built)} loads something from elsewhere"
        if page.parent.name == "lessons":
            assert "_static/plotly.min.js" in text


def test_the_site_fits_its_size_budget(built):
    size = site.site_bytes(built)
    assert size <= MAX_BYTES, f"the site is {size / 2**20:.1f} MB; the budget is {MAX_BYTES / 2**20:.0f} MB"


# --- in a browser -------------------------------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(built):
    handler = functools.partial(_Quiet, directory=str(built))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    reason = missing_browser()
    if reason and required():
        pytest.fail(f"browser tests are required under CI, but {reason}")
    if reason:
        pytest.skip(f"site browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def opened(browser, url: str, javascript: bool = True):
    """A page in a fresh context; yields it with the console errors and the requests that
    tried to leave 127.0.0.1 (or the folder, for a file: URL; refused), as lists that fill
    while it is open."""
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        if urlparse(url).hostname == "127.0.0.1" or urlparse(url).scheme == "file":
            request_route.continue_()
        else:
            outside.append(url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url, wait_until="load")
        yield page, errors, outside
    finally:
        context.close()


def wait_until_drawn(page, count: int) -> None:
    page.wait_for_function("n => document.querySelectorAll('figure.course-figure .js-plotly-plot').length >= n",
                           arg=count, timeout=60_000)


def screenshot(page, name: str, element=None) -> None:
    """The whole page, or just ``element``, to ``build/screenshots/site/<name>.jpg``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"{name.replace('lessons/', '')}.jpg")
    # JPEG: a whole lesson page is 5 MB and 4 s as a PNG, 1.6 s as a JPEG that reads as well
    if element is None:
        page.screenshot(path=path, full_page=True, type="jpeg", quality=80)
    else:
        element.screenshot(path=path, type="jpeg", quality=80)


@pytest.mark.browser
@pytest.mark.parametrize("page_name", list(PAGES))
def test_every_figure_is_drawn_live_where_javascript_runs(server, browser, page_name):
    with opened(browser, f"{server}/{page_name}.html") as (page, errors, outside):
        wait_until_drawn(page, PAGES[page_name])
        page.wait_for_timeout(500)  # time for any late request to show
        drawn = page.locator("figure.course-figure .js-plotly-plot").count()
        pictures_left = page.locator("figure.course-figure img.course-figure-static").count()
        screenshot(page, page_name)
    assert drawn == PAGES[page_name] and pictures_left == 0
    assert not errors, f"console errors on {page_name}: {errors}"
    assert not outside, f"{page_name} asked for {outside}"


@pytest.mark.browser
@pytest.mark.parametrize("page_name", list(PAGES))
def test_every_figure_is_a_picture_without_javascript(server, browser, page_name):
    with opened(browser, f"{server}/{page_name}.html", javascript=False) as (page, errors, outside):
        pictures = page.locator("figure.course-figure img.course-figure-static")
        loaded = [pictures.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
                  for i in range(pictures.count())]
        # the first figure's picture only: the rest of the page is the text of the screenshot
        # with JavaScript, and drawing a whole page again costs as much as loading it
        if pictures.count():
            screenshot(page, f"{page_name}-nojs", pictures.first.locator("xpath=ancestor::figure[1]"))
    assert len(loaded) == PAGES[page_name] and all(loaded), f"{page_name}: {loaded}"
    assert not outside, f"{page_name} asked for {outside}"


@pytest.mark.browser
def test_search_finds_the_lessons(server, browser):
    with opened(browser, f"{server}/search.html?q=codebook") as (page, errors, outside):
        page.wait_for_function("() => document.querySelectorAll('#search-results li').length > 0", timeout=30_000)
        hits = page.locator("#search-results li a").evaluate_all("links => links.map(a => a.href)")
    assert any("06_discrete_latents" in hit for hit in hits), hits
    assert not errors and not outside


@pytest.mark.browser
def test_a_lesson_opened_from_the_folder_draws_its_figures(built, browser):
    stem = max(LESSONS, key=figure_count)
    with opened(browser, (built / "lessons" / f"{stem}.html").as_uri()) as (page, errors, outside):
        wait_until_drawn(page, figure_count(stem))
    assert not errors and not outside, (errors, outside)
