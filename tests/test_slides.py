"""Lecture mode (course.slides): slide metadata, static slides, warming the cache, and the
slides in a browser (``pytest -m browser``: the static slides in Chromium; the live slideshow
in JupyterLab is tested with the other JupyterLab tests, in tests/test_browser.py)."""

from __future__ import annotations

import contextlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any, Iterator

import jupytext
import nbformat
import pytest
import torch
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course import paths, slides
from course.models import MLPAutoencoder
from course.notebooks import lesson_sources
from course.train import FIT_LOG_ENV, fit

ROOT = Path(__file__).resolve().parents[1]
LESSONS = [p.stem for p in lesson_sources()]
Cell = slides.Cell


# --- slide types ----------------------------------------------------------------------------

def test_heading_level():
    assert slides.heading_level("# 01 · Basics\n\ntext") == 1
    assert slides.heading_level("## The data") == 2
    assert slides.heading_level("  ### A step") == 3
    assert slides.heading_level("#hashtag, not a heading") == 0
    assert slides.heading_level("Plain prose") == 0


@pytest.mark.parametrize("source, tags, expected", [
    ("EPOCHS = 20\nSMOKE = False", ("parameters",), True),
    ("from course.params import check_parameters\ncheck_parameters(A=(A, integer()))", (), True),
    ("import torch\nfrom course import data\nseed_everything(0)\nds = data.load('x')\n"
     "if SMOKE:\n    ds = ds.subset(5)\nprint(ds)", (), True),
    ("import torch\nplots.image_grid(x)", (), False),  # shows a figure
    ("ds = data.load('x')", (), False),  # no import: a step of the lesson
    ("show_source(fit)", (), False),
    ("%timeit f()", (), False),  # not Python: shown
])
def test_plumbing_is_skipped_and_the_rest_shown(source, tags, expected):
    assert slides.is_plumbing(source, tags) is expected


def test_slide_types_follow_the_structure_of_a_lesson():
    long_prose = "Prose that explains at length. " * 20
    cells = [Cell("markdown", "# 01 · Title\n\nintro"),
             Cell("code", "EPOCHS = 1\nSMOKE = False", ("parameters",)),
             Cell("code", "import torch"),
             Cell("markdown", "## A section\n\n" + long_prose),
             Cell("code", "show_source(fit)"),        # after long prose: a step of its own
             Cell("code", "plots.curve(h)"),          # after code: a step of its own
             Cell("markdown", "A short lead-in:"),     # after code: a new step
             Cell("code", "widget(model)"),           # after a short lead-in: shown with it
             Cell("markdown", "And more prose."),      # after code: a new step
             Cell("markdown", "Continued."),           # after prose: builds up
             Cell("markdown", "### A sub-section"),
             Cell("markdown", "   "),                  # empty: nothing to show
             Cell("raw", "raw text")]
    assert slides.slide_types(cells) == [
        "slide", "skip", "skip", "slide", "subslide", "subslide", "subslide", "fragment",
        "subslide", "fragment", "subslide", "skip", "skip"]


def test_the_first_shown_cell_opens_a_slide_even_without_a_heading():
    assert slides.slide_types([Cell("code", "import x"), Cell("code", "f(x)")]) == ["skip", "slide"]


def notebook(*cells):
    return new_notebook(cells=list(cells))


def test_annotate_keeps_a_type_set_by_hand_unless_forced():
    nb = notebook(new_markdown_cell("# Title"), new_code_cell("f()", metadata={"slideshow": {"slide_type": "notes"}}))
    assert slides.annotate(nb) == 1
    assert [slides.slide_type(c) for c in nb.cells] == ["slide", "notes"]
    assert slides.annotate(nb, force=True) == 1
    assert slides.slide_type(nb.cells[1]) == "subslide"
    assert slides.annotate(nb) == 0  # idempotent


def test_annotate_stores_metadata_keys_in_the_order_an_ipynb_has_them():
    nb = notebook(new_code_cell("A = 1\nSMOKE = False", metadata={"tags": ["parameters"]}))
    slides.annotate(nb)
    assert list(nb.cells[0].metadata) == ["slideshow", "tags"]


def test_slides_of_groups_cells_and_leaves_skipped_ones_out():
    nb = notebook(new_markdown_cell("# T"), new_code_cell("import x"), new_markdown_cell("## S"),
                  new_markdown_cell("more"), new_code_cell("f()"))
    slides.annotate(nb)
    assert [[c.source for c in s] for s in slides.slides_of(nb)] == [["# T"], ["## S", "more", "f()"]]


def test_markers_are_replaced_and_nothing_else():
    old = "# a header\n\n# %% [markdown]\n# ## Title\n\n# %%\nx  =  1\n"
    written = "# a header\n\n# %% [markdown] slideshow={\"slide_type\": \"slide\"}\n# ## Title\n\n# %% k=1\nx = 1\n"
    assert slides._with_markers_of(old, written, Path("x.py")) == (
        "# a header\n\n# %% [markdown] slideshow={\"slide_type\": \"slide\"}\n# ## Title\n\n# %% k=1\nx  =  1\n")
    with pytest.raises(RuntimeError, match="cell markers"):
        slides._with_markers_of("x = 1\n", written, Path("x.py"))


# --- every lesson has its slides ------------------------------------------------------------

@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_has_slide_metadata_and_no_empty_slide(lesson):
    nb = jupytext.read(ROOT / "notebooks" / f"{lesson}.py")
    kinds = [slides.slide_type(c) for c in nb.cells]
    untyped = [c.source[:60] for c, k in zip(nb.cells, kinds) if k not in slides.SLIDE_TYPES]
    assert not untyped, f"{lesson}: cells without a slide type (python -m course.slides annotate {lesson}): {untyped}"
    for cell, kind in zip(nb.cells, kinds):
        if cell.cell_type == "markdown" and slides.heading_level(cell.source) in (1, 2):
            assert kind == "slide", f"{lesson}: the heading {cell.source.splitlines()[0]!r} does not open a slide"
        elif cell.cell_type == "markdown" and slides.heading_level(cell.source):
            assert kind in ("slide", "subslide"), f"{lesson}: {cell.source.splitlines()[0]!r} is a {kind}"
    deck = slides.slides_of(nb)
    assert slides.heading_level(deck[0][0].source) == 1, f"{lesson}: the first slide is not its title"
    empty = [i for i, s in enumerate(deck) if not any(c.source.strip() for c in s)]
    assert not empty, f"{lesson}: empty slides {empty}"
    assert any("parameters" in c.metadata.get("tags", []) and k == "skip" for c, k in zip(nb.cells, kinds))


def test_jupytext_keeps_slide_metadata_in_the_py():
    config = tomllib.loads((ROOT / "jupytext.toml").read_text())
    kept = config["cell_metadata_filter"].split(",")
    assert "slideshow" in kept and "tags" in kept
    py = ROOT / "notebooks" / f"{LESSONS[1]}.py"
    text = py.read_text()
    assert jupytext.writes(jupytext.read(py), fmt="py:percent") == text, "the .py is not as jupytext writes it"
    assert 'slideshow={"slide_type": "slide"}' in text


def test_the_slideshows_are_installed_and_enabled_where_make_lab_runs():
    """``make lab`` installs the pinned ``jupyterlab-slideshow`` (the live slides whose
    widgets work) and ``jupyterlab-rise``: their JupyterLab extensions, and RISE's server
    extension that serves its slideshow, are there and switched on."""
    import sys

    prefix = Path(sys.prefix)
    for extension in ("jupyterlab-slideshow", "jupyterlab-rise"):
        assert (prefix / "share" / "jupyter" / "labextensions" / extension / "package.json").is_file(), extension
    config = json.loads((prefix / "etc" / "jupyter" / "jupyter_server_config.d" / "jupyterlab_rise.json").read_text())
    assert config["ServerApp"]["jpserver_extensions"]["jupyterlab_rise"] is True


# --- static slides --------------------------------------------------------------------------

@pytest.mark.parametrize("page, remote", [
    ('<script src="https://cdn.example/x.js"></script>', True),
    ('<link rel="stylesheet" href="//cdn.example/x.css">', True),
    ("<style>@font-face { src: url('https://fonts.example/f.woff'); }</style>", True),
    ('<style>@import "https://fonts.example/css";</style>', True),
    ('<script>import("https://esm.example/m.js")</script>', True),
    ('<img src="data:image/png;base64,AAAA">', False),
    ('<script src="mathjax/MathJax.js?config=x"></script>', False),
    ('<p>see <a href="https://example.org/paper">the paper</a></p>', False),
])
def test_remote_references_are_found(page, remote):
    assert bool(slides.remote_references(page)) is remote


def lessons_with_notebooks() -> list[str]:
    return [p.stem for p in lesson_sources() if p.with_suffix(".ipynb").is_file()]


@pytest.fixture(scope="module")
def committed_notebooks() -> dict[str, bytes]:
    """Every lesson's committed ``.ipynb`` as it was before the slides were exported."""
    return {name: (ROOT / "notebooks" / f"{name}.ipynb").read_bytes() for name in lessons_with_notebooks()}


@pytest.fixture(scope="module")
def decks(committed_notebooks, tmp_path_factory) -> list[Path]:
    """``make slides`` once for the whole module, into a scratch folder: every lesson's
    static slides from its committed ``.ipynb`` (the browser tests below open these)."""
    missing = sorted(set(LESSONS) - set(lessons_with_notebooks()))
    assert not missing, f"no .ipynb for {missing}: run `make notebooks`"
    return slides.export(out=tmp_path_factory.mktemp("slides"))


@pytest.mark.slow
def test_export_writes_one_offline_page_per_lesson_without_running_anything(decks, committed_notebooks):
    """``make slides``: every lesson, from its committed ``.ipynb``, nothing remote."""
    folder = decks[0].parent
    assert sorted(p.name for p in decks) == sorted(f"{name}.html" for name in LESSONS)
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(p.name for p in decks)
    assert (folder / "mathjax" / "MathJax.js").is_file()
    for page in decks:
        text = page.read_text()
        assert slides.remote_references(text) == [], f"{page.name} loads from another host"
        assert "Reveal.initialize" in text and "<section" in text
        assert "mathjax/MathJax.js" in text
    after = {name: (ROOT / "notebooks" / f"{name}.ipynb").read_bytes() for name in LESSONS}
    assert after == committed_notebooks, "exporting changed a committed notebook"


def test_a_figure_shows_as_its_static_twin(tmp_path):
    import base64

    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    nb = notebook(new_markdown_cell("# T"), new_code_cell("fig", outputs=[nbformat.v4.new_output(
        "display_data", data={"application/vnd.plotly.v1+json": {"data": []}, "image/png": png,
                              "text/html": "<div>live figure</div>", "text/plain": "Figure()"})]))
    slides.annotate(nb)
    nbformat.write(nb, tmp_path / "t.ipynb")
    page = slides.export_one(tmp_path / "t.ipynb", tmp_path / "t.html").read_text()
    assert f"data:image/png;base64,{png}" in page
    assert "live figure" not in page and slides.remote_references(page) == []


# --- warming the cache ----------------------------------------------------------------------

def test_fit_logs_what_it_did(tiny_images, tmp_path, monkeypatch):
    log = tmp_path / "fits.jsonl"
    monkeypatch.setenv(FIT_LOG_ENV, str(log))
    for _ in range(2):
        torch.manual_seed(0)
        fit(MLPAutoencoder((1, 8, 8), 2, hidden=(8,)), tiny_images, epochs=1, cache=True, desc="tiny", progress=False)
    torch.manual_seed(0)
    fit(MLPAutoencoder((1, 8, 8), 2, hidden=(8,)), tiny_images, epochs=1, progress=False)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["cache"], r["from_cache"]) for r in lines] == [(True, False), (True, True), (False, False)]
    assert lines[0]["model"] == "MLPAutoencoder" and lines[0]["desc"] == "tiny"


def test_a_warm_run_counts_models_trained_reloaded_and_uncached():
    run = slides.WarmRun("x", 1.0, 1.0, [{"cache": True, "from_cache": True}, {"cache": True, "from_cache": False},
                                         {"cache": False, "from_cache": False}], [])
    assert (run.trained, run.from_cache, run.uncached) == (1, 1, 1)
    assert "1 trained, 1 from the cache" in run.line()


TRAINS_ONE_MODEL = """# %%
import torch
from course.models import MLPAutoencoder
from course.train import fit
torch.manual_seed(0)
fit(MLPAutoencoder((1, 4, 4), 2, hidden=(4,)), torch.rand(32, 1, 4, 4), epochs=1, cache=True, desc="tiny")
"""


@pytest.mark.notebook
def test_after_warming_a_lesson_it_reruns_with_every_model_from_the_cache(monkeypatch, tmp_path):
    """``make warm``'s code path on a lesson that trains one model with the cache: the
    second run trains nothing and says so. (The browser tests check the same of every
    lesson at its defaults, after nbval's run of them.)"""
    lesson = tmp_path / "01_trains.py"
    lesson.write_text(TRAINS_ONE_MODEL)
    monkeypatch.setattr(slides, "chosen_lessons", lambda names=(): [lesson])
    first = slides.warm(echo=lambda line: None)
    assert (first[0].trained, first[0].from_cache, first[0].error) == (1, 0, None), first[0].line()
    second = slides.warm(check=True, echo=lambda line: None)
    assert (second[0].trained, second[0].from_cache) == (0, 1), second[0].line()
    lesson.write_text(TRAINS_ONE_MODEL.replace("epochs=1", "epochs=2"))  # new settings: trained anew
    with pytest.raises(SystemExit, match="01_trains"):
        slides.warm(check=True, echo=lambda line: None)


@pytest.mark.notebook
def test_warm_goes_on_past_a_lesson_that_stops_and_names_it_at_the_end(monkeypatch, tmp_path):
    lessons = []
    for name, code in [("01_stops", "raise AssertionError('a claim does not hold here')"), ("02_runs", "x = 1")]:
        lessons.append(tmp_path / f"{name}.py")
        lessons[-1].write_text(f"# %%\n{code}\n")
    monkeypatch.setattr(slides, "chosen_lessons", lambda names=(): lessons)
    lines: list[str] = []
    with pytest.raises(SystemExit, match="01_stops stopped at cell 1: AssertionError: a claim does not hold here"):
        slides.warm(echo=lines.append)
    assert [line.split(":")[0] for line in lines] == ["[1/2] 01_stops ...", "[1/2] 01_stops",
                                                     "[2/2] 02_runs ...", "[2/2] 02_runs"]
    assert "STOPPED: cell 1: AssertionError" in lines[1] and "STOPPED" not in lines[3]


# --- in a browser ---------------------------------------------------------------------------

def browser_missing() -> str | None:
    from course.browser import missing_browser

    reason = missing_browser()
    if reason and (os.environ.get("CI") or os.environ.get("COURSE_BROWSER_TESTS") == "required"):
        pytest.fail(f"browser tests are required under CI, but {reason}")
    return reason


def slides_screenshot_dir() -> Path:
    folder = paths.build_dir() / "screenshots" / "slides"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Figures and tables of the current slide that reach past what shows without scrolling.
OVERFLOWING = """() => {
  const slide = Reveal.getCurrentSlide(), box = slide.getBoundingClientRect();
  const scale = box.height / slide.clientHeight;
  return Array.from(slide.querySelectorAll('img, table')).filter(e => {
    const r = e.getBoundingClientRect();
    return r.height > 0 && (r.bottom > box.top + slide.clientHeight * scale + 1 || r.right > box.right + 1);
  }).map(e => `${e.tagName} ${Math.round(e.getBoundingClientRect().height)} px`);
}"""
# Where the keyboard has got to: the slide, what overflows it, whether all of it is shown.
STEP = f"""() => ({{indices: Reveal.getIndices(), overflowing: ({OVERFLOWING})(),
                  whole: !Reveal.availableFragments().next, last: Reveal.isLastSlide()}})"""


# Every slide of the deck in turn, all its fragments shown: where each one is, and what
# overflows it (one round trip for the whole deck).
EVERY_SLIDE = f"""() => {{
  const seen = [], overflowing = [];
  for (const slide of Reveal.getSlides()) {{
    const {{h, v}} = Reveal.getIndices(slide);
    Reveal.slide(h, v);
    while (Reveal.nextFragment()) {{}}
    seen.push(`${{h}}/${{v}}`);
    const out = ({OVERFLOWING})();
    if (out.length) overflowing.push([{{h, v}}, out]);
  }}
  return {{seen, overflowing}};
}}"""
KEYBOARD_LESSON = "01_autoencoder_basics"  # the deck stepped through key by key, screenshot by screenshot


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium for the module's decks (each test opens a page of its own)."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    from course.browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def static_slides(lesson: str, decks: list[Path], chromium) -> Iterator[tuple[Any, list[str]]]:
    """A lesson's static slides (from ``decks``) open in headless Chromium at 1280x720,
    ready: its page, and the console errors and failed loads as they come."""
    page_path = next(deck for deck in decks if deck.stem == lesson)
    errors: list[str] = []
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"failed to load {r.url}"))
        page.goto(page_path.as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
        page.wait_for_function("() => !window.MathJax || MathJax.Hub.queue.pending === 0", timeout=60_000)
        yield page, errors
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("lesson", LESSONS)
def test_every_slide_of_a_lesson_shows_its_figures_and_tables_whole(lesson, decks, chromium):
    """Every slide of every lesson's static slides at 1280x720, all its fragments shown:
    each figure and table in view without scrolling, no console error, no failed load."""
    with static_slides(lesson, decks, chromium) as (page, errors):
        total = page.evaluate("() => Reveal.getTotalSlides()")
        found = page.evaluate(EVERY_SLIDE)
    assert len(set(found["seen"])) == total, f"{lesson}: visited {len(set(found['seen']))} of {total} slides"
    assert errors == [], f"{lesson}: browser console: {errors}"
    assert found["overflowing"] == [], \
        f"{lesson}: figures or tables past the bottom of a 1280x720 slide: {found['overflowing']}"


@pytest.mark.browser
def test_static_slides_step_through_with_the_keyboard(decks, chromium):
    """One lesson's static slides stepped through with the keyboard (Space), as a teacher
    presents them: every slide reached, no console error, every figure and table in view at
    every step; a screenshot of each slide once all its fragments are in, to
    ``build/screenshots/slides/``."""
    lesson = KEYBOARD_LESSON
    shots = slides_screenshot_dir()
    for old in shots.glob("*.png"):
        if not old.name.startswith("live-"):  # the live slideshow's, from tests/test_browser.py
            old.unlink()
    with static_slides(lesson, decks, chromium) as (page, errors):
        # fragments appear at once, so that a screenshot shows a slide as it ends up
        page.add_style_tag(content=".reveal .fragment { transition: none !important; }")
        total = page.evaluate("() => Reveal.getTotalSlides()")
        seen, too_big = set(), []
        for step in range(10 * total):
            now = page.evaluate(STEP)  # one round trip a keypress
            indices = now["indices"]
            seen.add((indices["h"], indices["v"]))
            if now["overflowing"]:
                too_big.append((indices, now["overflowing"]))
            if now["whole"]:  # every fragment of the slide is in
                page.screenshot(path=str(shots / f"{lesson}-{step:03d}.png"))
                if now["last"]:
                    break
            page.keyboard.press("Space")
    assert len(seen) == total, f"{lesson}: stepped through {len(seen)} of {total} slides"
    assert errors == [], f"{lesson}: browser console: {errors}"
    assert too_big == [], f"{lesson}: figures or tables past the bottom of a 1280x720 slide: {too_big}"
