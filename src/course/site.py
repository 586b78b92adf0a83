"""The course as a static website, built from the committed notebooks: ``make site``.

``python -m course.site`` writes ``build/site/`` (open ``build/site/index.html``; it works
from a folder, offline): the README as the home page, then one page per lesson in
lesson order and the glossary (``notebooks/glossary.md``), with a sidebar, search, and links to each lesson's ``.ipynb`` and ``.py``.
Nothing is re-executed: the pages show the outputs saved by ``make notebooks``.

The tool is Sphinx with myst-nb (notebooks as pages) and the book theme, all from pip:
the theme gives a reader a sidebar of lessons, a table of contents per page, full-text
search and a dark mode with no Node.js; myst-nb reads notebooks without running them.

Figures: a saved plotly figure (``application/vnd.plotly.v1+json``) and its PNG twin
(:mod:`course.static`) become one ``<figure>`` holding the picture and the figure's
data. Where JavaScript runs, ``course-site.js`` draws it with plotly.js (shipped once, in
``_static``, no CDN) in place of the picture; without JavaScript the picture stays.
Mathematics is turned into MathML while the site is built (latex2mathml), so it needs
neither JavaScript nor a network. This module is also the Sphinx extension (:func:`setup`)
that does that.

Used by the Makefile (``make site``, and ``make test`` builds it once) and checked by
``tests/test_site.py``.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from course.notebooks import lesson_sources
from course.paths import project_root
from course.static import PLOTLY, PNG, SNAPSHOT_KEY, figure_size, plotly_js

TITLE = "Autoencoders, hands on"
GLOSSARY = Path("glossary.md")  # notebooks/glossary.md: the English–Chinese glossary, a page of its own
FIGURE_CLASS = "course-figure"
WIDGET_CAPTION = ("The lesson's widget as it starts. Run the notebook in JupyterLab to move "
                  "its controls and watch the figure change.")

_JS = """// Draws each saved plotly figure with plotly.js in place of its picture (course.site).
(function () {
  function draw(box) {
    var spec = JSON.parse(box.querySelector("script.course-figure-spec").textContent);
    var picture = box.querySelector("img.course-figure-static");
    var live = document.createElement("div");
    live.className = "course-figure-live";
    box.insertBefore(live, picture);
    var layout = spec.layout || {};
    var room = box.clientWidth;
    if (layout.width && room && layout.width > room) {  // a wide figure shrinks to the column
      if (layout.height) layout.height = Math.round(layout.height * room / layout.width);
      layout.width = room;
    }
    var config = {responsive: true, displaylogo: false};
    return Plotly.newPlot(live, spec.data || [], layout, config).then(function () {
      picture.remove();
    }, function (error) {
      live.remove();
      console.warn("figure left as a picture:", error);
    });
  }
  function start() {
    if (!window.Plotly) return;
    document.querySelectorAll("figure.course-figure").forEach(draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
"""

# The site's icon (a browser asks for one on every page): an encoder-bottleneck-decoder.
_FAVICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<path d="M2 4 L14 13 V19 L2 28 Z M30 4 L18 13 V19 L30 28 Z" fill="#636efa"/></svg>
"""

_CSS = """/* course.site: figures keep their own width; a wide one scrolls instead of spilling. */
figure.course-figure { margin: 0.5em 0; overflow-x: auto; }
figure.course-figure img.course-figure-static { max-width: 100%; height: auto; }
figure.course-figure figcaption { font-size: 0.9em; color: var(--pst-color-text-muted, #666); }
p.course-downloads { font-size: 0.95em; }
div.course-math-display { overflow-x: auto; margin: 0.8em 0; text-align: center; }
"""


# --- turning notebooks into pages -------------------------------------------------------------

def figure_html(figure: dict, picture: str, alt: str, widget: bool = False) -> str:
    """One saved figure as HTML: its picture (``picture`` is the image's URL) and its data."""
    width, height = figure_size(figure)
    spec = json.dumps({"data": figure.get("data", []), "layout": figure.get("layout", {})},
                      separators=(",", ":")).replace("</", "<\\/")
    caption = f"<figcaption>{html.escape(WIDGET_CAPTION)}</figcaption>" if widget else ""
    return (f'<figure class="{FIGURE_CLASS}">'
            f'<img class="course-figure-static" src="{html.escape(picture)}" width="{width}" '
            f'height="{height}" alt="{html.escape(alt)}" loading="lazy">'
            f'<script type="application/json" class="course-figure-spec">{spec}</script>'
            f"{caption}</figure>")


def figure_title(figure: dict) -> str:
    title = (figure.get("layout") or {}).get("title")
    text = title.get("text") if isinstance(title, dict) else title
    return re.sub(r"<[^>]+>", "", text) if isinstance(text, str) and text else "a figure"


def page_notebook(nb: Any, stem: str, figures: Path) -> int:
    """Rewrite ``nb`` (a copy) for its page, in place; write its pictures to ``figures``.

    Each figure output becomes :func:`figure_html` (pictures as ``figures/<stem>-<k>.png``,
    linked from ``lessons/``); after the title cell comes a line linking the lesson's
    ``.ipynb`` and ``.py``. Returns the number of figures.
    """
    count = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PLOTLY not in data:
                continue
            if PNG not in data:
                raise ValueError(f"{stem}: a figure has no PNG twin; run "
                                 f"`python -m course.notebooks twins {stem}` or `make notebooks`")
            count += 1
            name = f"{stem}-{count}.png"
            (figures / name).write_bytes(base64.b64decode("".join(data[PNG])))
            widget = bool(output.get("metadata", {}).get(SNAPSHOT_KEY))
            output["data"] = {"text/html": figure_html(data[PLOTLY], f"../_figures/{name}",
                                                       figure_title(data[PLOTLY]), widget)}
            output["metadata"] = {}
    links = (f'<p class="course-downloads">Run it yourself: '
             f'<a href="../notebooks/{stem}.ipynb" download>{stem}.ipynb</a> '
             f"(with its outputs; open it in JupyterLab) · "
             f'<a href="../notebooks/{stem}.py" download>{stem}.py</a> '
             f"(the same lesson as a Python file, what you edit)</p>")
    import nbformat

    nb["cells"].insert(1 if nb["cells"] and nb["cells"][0]["cell_type"] == "markdown" else 0,
                       nbformat.v4.new_markdown_cell(links))
    return count


def home_page(readme: str, stems: list[str]) -> str:
    """The README as the home page: lesson names link to their pages, then the page tree."""
    def link(match: re.Match) -> str:
        stem = match.group(1)
        return f"[`{stem}`](lessons/{stem}.ipynb)" if stem in stems else match.group(0)

    text = re.sub(r"`(\d\d_[a-z0-9_]+)`", link, readme)
    text = text.replace(f"](notebooks/{GLOSSARY.name})", f"](lessons/{GLOSSARY.name})")  # a page here
    toc = "\n".join([*(f"lessons/{stem}" for stem in stems), f"lessons/{GLOSSARY.stem}"])
    return f"{text.rstrip()}\n\n```{{toctree}}\n:hidden:\n:caption: Lessons\n\n{toc}\n```\n"


def stage(root: Path, staging: Path) -> dict[str, int]:
    """Write Sphinx's input to ``staging``; returns the number of figures of each lesson."""
    import nbformat

    shutil.rmtree(staging, ignore_errors=True)
    pages, extra, static = staging / "pages", staging / "extra", staging / "static"
    for folder in (pages / "lessons", extra / "notebooks", extra / "_figures", static):
        folder.mkdir(parents=True)
    sources = lesson_sources()
    stems = [py.stem for py in sources if py.with_suffix(".ipynb").is_file()]
    (pages / "index.md").write_text(home_page((root / "README.md").read_text(), stems))
    figures = {}
    for stem in stems:
        ipynb, py = root / "notebooks" / f"{stem}.ipynb", root / "notebooks" / f"{stem}.py"
        shutil.copy2(ipynb, extra / "notebooks" / ipynb.name)
        shutil.copy2(py, extra / "notebooks" / py.name)
        nb = nbformat.read(ipynb, as_version=4)
        figures[stem] = page_notebook(nb, stem, extra / "_figures")
        nbformat.write(nb, pages / "lessons" / ipynb.name)
    # the glossary sits beside the lessons, so their links to glossary.md work here as in JupyterLab
    shutil.copy2(root / "notebooks" / GLOSSARY.name, pages / "lessons" / GLOSSARY.name)
    shutil.copy2(plotly_js(), static / "plotly.min.js")
    (static / "course-site.js").write_text(_JS)
    (static / "course-site.css").write_text(_CSS)
    (staging / "favicon.svg").write_text(_FAVICON)
    return figures


def sphinx_config(staging: Path) -> dict[str, Any]:
    return {
        "project": TITLE,
        "html_title": TITLE,
        "extensions": ["myst_nb", "course.site"],
        "root_doc": "index",
        "exclude_patterns": ["**.ipynb_checkpoints"],
        "nb_execution_mode": "off",  # the committed outputs, as they are
        "nb_merge_streams": True,
        "myst_enable_extensions": ["dollarmath"],
        "html_math_renderer": "mathml",
        "html_theme": "sphinx_book_theme",
        "html_theme_options": {
            "home_page_in_toc": True,
            "show_toc_level": 2,
            "use_download_button": False,
            "use_fullscreen_button": False,
            "use_repository_button": False,
            "launch_buttons": {},
        },
        "html_context": {"default_mode": "auto"},  # light or dark, as the reader's system is
        "html_static_path": [str(staging / "static")],
        "html_extra_path": [str(staging / "extra")],
        "html_js_files": ["plotly.min.js", "course-site.js"],
        "html_css_files": ["course-site.css"],
        "html_favicon": str(staging / "favicon.svg"),
        "html_copy_source": False,
        "html_show_sourcelink": False,
        "html_show_sphinx": False,
        "html_last_updated_fmt": None,
        "suppress_warnings": ["myst.header"],
    }


def build(out: Path | None = None, quiet: bool = True) -> Path:
    """Build the site into ``out`` (default ``build/site``); returns its ``index.html``."""
    from sphinx.application import Sphinx

    root = project_root()
    out = out or root / "build" / "site"
    staging = root / "build" / "site-src"
    stage(root, staging)
    shutil.rmtree(out, ignore_errors=True)
    app = Sphinx(str(staging / "pages"), None, str(out), str(staging / "doctrees"), "html",
                 confoverrides=sphinx_config(staging), status=None if quiet else sys.stdout,
                 warning=sys.stderr, freshenv=True, warningiserror=False)
    app.build()
    if app.statuscode:
        raise RuntimeError(f"Sphinx failed with status {app.statuscode}")
    return out / "index.html"


def inputs(root: Path | None = None) -> list[Path]:
    """What the site is made of: the README, the notebooks, and the code that builds it."""
    root = root or project_root()
    here = Path(__file__).parent
    return [root / "README.md", *sorted((root / "notebooks").glob("[0-9][0-9]_*.*")),
            root / "notebooks" / GLOSSARY.name,
            here / "site.py", here / "static.py"]


def up_to_date(out: Path) -> bool:
    """True when ``out`` holds a site newer than everything it is made of."""
    index = out / "index.html"
    if not index.is_file():
        return False
    built = index.stat().st_mtime
    return all(p.stat().st_mtime <= built for p in inputs() if p.exists())


def site_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --- the Sphinx extension: mathematics as MathML --------------------------------------------

def mathml(latex: str, block: bool) -> str:
    """``latex`` as MathML (drawn by the browser itself); the TeX as code if it cannot be."""
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display="block" if block else "inline")
    except Exception:  # noqa: BLE001 - show the source rather than fail the whole site
        return f'<code class="math">{html.escape(latex)}</code>'


def _visit_math(translator: Any, node: Any) -> None:
    from docutils import nodes

    translator.body.append(mathml(node.astext(), block=False))
    raise nodes.SkipNode


def _visit_displaymath(translator: Any, node: Any) -> None:
    from docutils import nodes

    translator.body.append(f'<div class="course-math-display">{mathml(node.astext(), block=True)}</div>')
    raise nodes.SkipNode


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension: ``html_math_renderer = "mathml"``."""
    app.add_html_math_renderer("mathml", (_visit_math, None), (_visit_displaymath, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.site", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="default: build/site")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    index = build(args.out, quiet=not args.verbose)
    size = site_bytes(index.parent) / 2**20
    print(f"site written in {time.perf_counter() - start:.1f} s: {size:.1f} MB; "
          f"open {index.relative_to(Path.cwd()) if index.is_relative_to(Path.cwd()) else index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
