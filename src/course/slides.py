"""Lecture mode: every lesson as slides, with every model already trained. Used by all lessons.

A teacher prepares a lecture with ``make warm`` and presents live in JupyterLab with the
``jupyterlab-slideshow`` extension (the notebook itself becomes the slides, so its widgets
work; ``jupyterlab-rise`` is installed too, but renders no ipywidgets 8 widget), or with
the static slides of ``make slides``. Both live slideshows read the ``slideshow``
metadata written here.

- :func:`slide_types` decides each cell's ``slideshow`` metadata from the cells alone:
  the lesson's title and each ``##`` section open a slide, ``###`` and each step of a
  section (code after prose, prose after code) a sub-slide, a short lead-in's code and
  prose that continues prose come as fragments, and the plumbing (the parameters cell,
  imports, parameter checks) is skipped. ``python -m course.slides annotate`` writes it
  into a lesson's ``.py`` (jupytext keeps it, see ``jupytext.toml``) and its ``.ipynb``;
  a type set by hand is kept.
- :func:`export` writes ``build/slides/NN_name.html`` from the committed ``.ipynb``
  without running it: nbconvert's reveal.js slides with reveal.js itself inlined (from
  the ``sphinx-revealjs`` package) and MathJax copied beside it (from
  ``jupyter-server-mathjax``), so the files open offline from their folder. A figure
  shows as its static twin (:mod:`course.static`).
- :func:`warm` runs every lesson once at its default parameters with the checkpoint
  cache on, so that in the lecture each lesson re-runs from the cache; a run's fit log
  (:data:`course.train.FIT_LOG_ENV`) says which models were trained and which reloaded.

``python -m course.slides annotate|export|warm [NN_name ...]``
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from course.notebooks import KERNEL_NAME, lesson_sources
from course.paths import build_dir

SLIDE, SUBSLIDE, FRAGMENT, CONTINUE, SKIP, NOTES = "slide", "subslide", "fragment", "-", "skip", "notes"
SLIDE_TYPES = (SLIDE, SUBSLIDE, FRAGMENT, CONTINUE, SKIP, NOTES)
SHORT_LEAD_IN = 300  # characters: prose this short keeps the code it introduces on its slide
PLUMBING_CALLS = {"check_parameters", "seed_everything", "get_device", "set_num_threads", "print"}


# --- slide metadata -----------------------------------------------------------------------

def heading_level(markdown: str) -> int:
    """The level of the heading a markdown cell starts with (``## A`` is 2); 0 if none."""
    match = re.match(r"\s*(#{1,6})\s+\S", markdown)
    return len(match.group(1)) if match else 0


def _called_name(node: ast.AST) -> str | None:
    if isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
        func = node.value.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return None


def is_plumbing(source: str, tags: Iterable[str] = ()) -> bool:
    """A code cell a lecture skips: the parameters cell, a parameter check, or set-up: a
    cell that starts with imports and then only assigns, runs ``if SMOKE:`` blocks or
    calls set-up functions (``seed_everything``, ``get_device``, ``print``), showing nothing."""
    if "parameters" in tags:
        return True
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False  # IPython magics and the like: show them
    if any(_called_name(node) == "check_parameters" for node in body):
        return True

    def setup(node: ast.AST) -> bool:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign)):
            return True
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "SMOKE":
            return True
        return isinstance(node, ast.Expr) and _called_name(node) in PLUMBING_CALLS

    return bool(body) and isinstance(body[0], (ast.Import, ast.ImportFrom)) and all(map(setup, body))


@dataclass(frozen=True)
class Cell:
    """What :func:`slide_types` looks at: a cell's kind, source and tags."""

    kind: str  # "markdown", "code" or "raw"
    source: str
    tags: tuple[str, ...] = ()


def slide_types(cells: Sequence[Cell]) -> list[str]:
    """The ``slide_type`` of each cell, from the cells alone (see the module's docstring)."""
    types: list[str] = []
    previous: Cell | None = None  # the last cell shown
    for cell in cells:
        if cell.kind == "raw" or not cell.source.strip() or (
                cell.kind == "code" and is_plumbing(cell.source, cell.tags)):
            types.append(SKIP)
            continue
        level = heading_level(cell.source) if cell.kind == "markdown" else 0
        if previous is None or level in (1, 2):
            kind = SLIDE
        elif level >= 3:
            kind = SUBSLIDE
        elif cell.kind == "markdown":
            kind = FRAGMENT if previous.kind == "markdown" else SUBSLIDE
        elif previous.kind == "markdown" and heading_level(previous.source) == 0 \
                and len(previous.source) <= SHORT_LEAD_IN:
            kind = FRAGMENT
        else:
            kind = SUBSLIDE
        types.append(kind)
        previous = cell
    return types


def _cell(nb_cell: Any) -> Cell:
    return Cell(nb_cell.cell_type, nb_cell.source, tuple(nb_cell.metadata.get("tags", ())))


def slide_type(nb_cell: Any) -> str | None:
    """A notebook cell's ``slideshow.slide_type``, or None when it has none."""
    return nb_cell.metadata.get("slideshow", {}).get("slide_type")


def annotate(nb: Any, force: bool = False) -> int:
    """Give every cell of ``nb`` its slide type (keeping one set by hand unless ``force``);
    returns how many cells changed."""
    changed = 0
    for nb_cell, kind in zip(nb.cells, slide_types([_cell(c) for c in nb.cells])):
        if slide_type(nb_cell) in SLIDE_TYPES and not force:
            continue
        if slide_type(nb_cell) != kind:
            nb_cell.metadata["slideshow"] = {"slide_type": kind}
            ordered = sorted(nb_cell.metadata.items())  # as an .ipynb stores them: sorted keys
            nb_cell.metadata.clear()
            nb_cell.metadata.update(ordered)
            changed += 1
    return changed


def slides_of(nb: Any) -> list[list[Any]]:
    """The cells of each slide and sub-slide, as a presentation shows them (skipped cells
    and notes left out); cells before the first slide start form one of their own."""
    slides: list[list[Any]] = []
    for cell in nb.cells:
        kind = slide_type(cell) or CONTINUE
        if kind in (SKIP, NOTES):
            continue
        if kind in (SLIDE, SUBSLIDE) or not slides:
            slides.append([])
        slides[-1].append(cell)
    return slides


def annotate_pair(py: Path, force: bool = False) -> int:
    """Annotate a lesson's ``.py`` and, cell by cell where the sources agree, its ``.ipynb``
    (outputs kept, nothing re-executed). Returns how many ``.py`` cells changed.

    The ``.py`` is rewritten by jupytext only where a cell marker changes; a lesson whose
    ``.ipynb`` differs from its ``.py`` keeps that difference for ``make notebooks``.
    """
    import jupytext
    import nbformat

    notebook = jupytext.read(py)
    changed = annotate(notebook, force=force)
    _use_project_filter(notebook)
    old = py.read_text()
    new = _with_markers_of(old, jupytext.writes(notebook, fmt="py:percent"), py)
    if new != old:
        py.write_text(new)
    ipynb = py.with_suffix(".ipynb")
    if ipynb.is_file():
        executed = nbformat.read(ipynb, as_version=4)
        by_source = {c.source: c.metadata.get("slideshow") for c in notebook.cells}
        same_shape = [c.cell_type for c in executed.cells] == [c.cell_type for c in notebook.cells]
        for index, cell in enumerate(executed.cells):
            # a cell edited since the last build: the cell at its place, when the cells line up
            wanted = by_source.get(cell.source) or (same_shape and notebook.cells[index].metadata.get("slideshow"))
            if wanted:
                cell.metadata["slideshow"] = wanted
                ordered = sorted(cell.metadata.items())
                cell.metadata.clear()
                cell.metadata.update(ordered)
        _use_project_filter(executed)
        nbformat.write(executed, ipynb)
    return changed


def _use_project_filter(nb: Any) -> None:
    """The notebook's own jupytext cell filter, set to the project's (it wins over jupytext.toml)."""
    import tomllib

    from course.paths import project_root

    config = tomllib.loads((project_root() / "jupytext.toml").read_text())
    nb.metadata.setdefault("jupytext", {})["cell_metadata_filter"] = config["cell_metadata_filter"]


MARKER = re.compile(r"^# %%.*$|^#     cell_metadata_filter: .*$", re.M)


def _with_markers_of(old: str, written: str, py: Path) -> str:
    """``old`` with its cell markers (and the header's cell filter) as jupytext ``written``
    them: the rest of the file, however jupytext would lay it out, stays byte for byte."""
    theirs = MARKER.findall(written)
    ours = list(MARKER.finditer(old))
    if len(ours) != len(theirs):
        raise RuntimeError(f"{py.name}: {len(ours)} cell markers, but jupytext reads "
                           f"{len(theirs)}: give every cell a '# %%' line")
    pieces, end = [], 0
    for match, line in zip(ours, theirs):
        pieces += [old[end:match.start()], line]
        end = match.end()
    return "".join(pieces) + old[end:]


# --- static slides ------------------------------------------------------------------------

def reveal_dir() -> Path:
    """reveal.js as the ``sphinx-revealjs`` package ships it (``dist/``, ``plugin/``)."""
    import sphinx_revealjs

    return Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"


def mathjax_dir() -> Path:
    """MathJax 2 as the ``jupyter-server-mathjax`` package ships it."""
    import jupyter_server_mathjax

    return Path(jupyter_server_mathjax.__file__).parent / "static"


MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"  # TeX in, HTML-CSS out
MATHJAX_CONFIG = {
    "tex2jax": {"inlineMath": [["$", "$"], ["\\(", "\\)"]], "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
                "processEscapes": True},
    # No web font: a page opened from a folder may not load one (file:// has no CORS),
    # so MathJax draws with the fonts the system has.
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": None, "imageFont": None},
    "showMathMenu": False,
    "messageStyle": "none",
}
SLIDE_SIZE = (1280, 720)  # what reveal.js lays a slide out at before scaling it to the screen

SLIDE_CSS = """
/* a cell's figures side by side (lesson 02 draws one per kind of noise), text across */
.reveal .jp-OutputArea { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0 1em; }
.reveal .jp-OutputArea-child { flex: 1 1 0; min-width: 0; }
.reveal .jp-OutputArea-child:not(:has(img)) { flex-basis: 100%; }
.reveal .jp-OutputArea-child img { max-width: 100%; height: auto; }
.reveal .slides section { height: 100%; overflow-y: auto; }
.reveal .jp-OutputArea-output img { max-height: 600px; width: auto; }
.reveal .jp-OutputPrompt, .reveal .jp-InputPrompt { display: none; }
.reveal .jp-RenderedHTMLCommon table { font-size: 0.8em; }
"""

TEMPLATE = r"""
{%- extends 'index.html.j2' -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>{{ resources.course.title | e }}</title>
<style type="text/css">{{ resources.course.reveal_css }}</style>
<style type="text/css">{{ resources.course.theme_css }}</style>
{% for css in resources.inlining.css -%}<style type="text/css">{{ css }}</style>{% endfor %}
{{ resources.include_css("static/index.css") }}
{{ resources.include_css("static/theme-light.css") }}
<style type="text/css">
a.anchor-link { display: none; }
.jp-Notebook { padding: 0; }
:root { --jp-ui-font-size1: 20px; --jp-content-font-size1: 20px; --jp-code-font-size: 17px; }
</style>
{{ resources.include_css("static/custom_reveal.css") }}
<style type="text/css">{{ resources.course.slide_css }}</style>
<script type="text/x-mathjax-config">MathJax.Hub.Config({{ resources.course.mathjax_config }});</script>
<script src="{{ resources.course.mathjax_url }}"></script>
</head>
{%- endblock header -%}
{%- block footer -%}
<script>{{ resources.course.reveal_js }}</script>
<script>
Reveal.initialize({controls: true, progress: true, history: true, hash: true, center: false,
                   slideNumber: "c/t", transition: "none",
                   width: {{ resources.course.width }}, height: {{ resources.course.height }}});
// A slide whose figures and tables push past its bottom edge shrinks, a step at a time,
// its pictures (to 40% at most), its tables' type and its code's type (to 70%), until
// everything shows without scrolling. A slide of prose or code alone may scroll.
function fitSlide(slide) {
  if (!slide) return;
  const pictures = Array.from(slide.querySelectorAll(".jp-OutputArea-output img"));
  const tables = Array.from(slide.querySelectorAll(".jp-RenderedHTMLCommon table"));
  pictures.forEach(p => { p.style.maxHeight = ""; });
  tables.forEach(t => { t.style.fontSize = ""; });
  slide.style.removeProperty("--jp-code-font-size");
  if (!pictures.length && !tables.length) return;
  const heights = pictures.map(p => p.offsetHeight);
  for (let step = 1; step <= 10 && slide.scrollHeight > slide.clientHeight + 1; step++) {
    pictures.forEach((p, i) => { p.style.maxHeight = heights[i] * (1 - 0.06 * step) + "px"; });
    tables.forEach(t => { t.style.fontSize = (1 - 0.05 * step) + "em"; });
    slide.style.setProperty("--jp-code-font-size", Math.round(17 * (1 - 0.03 * step)) + "px");
  }
}
function present(slide) {
  fitSlide(slide);
  if (window.MathJax && MathJax.Hub) {
    MathJax.Hub.Queue(["Typeset", MathJax.Hub, slide], [fitSlide, slide]);
  }
}
Reveal.on("ready", event => present(event.currentSlide));
Reveal.on("slidechanged", event => present(event.currentSlide));
Reveal.on("fragmentshown", () => fitSlide(Reveal.getCurrentSlide()));
window.addEventListener("load", () => fitSlide(Reveal.getCurrentSlide()));
</script>
</body>
</html>
{%- endblock footer -%}
"""


def _inline_script(text: str) -> str:
    return text.replace("</script", "<\\/script")


def _theme_css(name: str = "white") -> str:
    """A reveal.js theme without its ``@import`` of web fonts (files that would not load offline)."""
    css = (reveal_dir() / "dist" / "theme" / f"{name}.css").read_text()
    return re.sub(r"@import\s+url\([^)]*\);?", "", css)


def copy_mathjax(target: Path) -> Path:
    """MathJax, copied to ``target`` (once: a copy already there is kept)."""
    if not (target / "MathJax.js").is_file():
        shutil.copytree(mathjax_dir(), target, dirs_exist_ok=True,
                        ignore=lambda folder, names: [n for n in names if n == "localization"])
    return target


def slides_dir() -> Path:
    return build_dir() / "slides"


def exporter() -> Any:
    """nbconvert's reveal.js exporter with the course's template (nothing loaded from a CDN)."""
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter

    return SlidesExporter(extra_loaders=[DictLoader({"course_slides.html.j2": TEMPLATE})],
                          template_file="course_slides.html.j2", exclude_input_prompt=True,
                          exclude_output_prompt=True)


def export_one(ipynb: Path, target: Path, slides_exporter: Any | None = None) -> Path:
    """Write ``target`` (HTML) from the executed notebook ``ipynb``, without running it."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    for cell in nb.cells:  # a figure shows as its static twin; the live one needs a kernel
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data or "image/svg+xml" in data:
                data.pop("text/html", None)
    resources = {"metadata": {"name": ipynb.stem}, "course": {
        "title": f"{ipynb.stem} slides",
        "reveal_css": (reveal_dir() / "dist" / "reveal.css").read_text(),
        "theme_css": _theme_css(),
        "reveal_js": _inline_script((reveal_dir() / "dist" / "reveal.js").read_text()),
        "slide_css": SLIDE_CSS,
        "mathjax_url": MATHJAX_URL,
        "mathjax_config": json.dumps(MATHJAX_CONFIG),
        "width": SLIDE_SIZE[0], "height": SLIDE_SIZE[1]}}
    body, _ = (slides_exporter or exporter()).from_notebook_node(nb, resources=resources)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body)
    return target


def export(names: Sequence[str] = (), out: Path | None = None) -> list[Path]:
    """Static slides of the chosen lessons (default: all) under ``out`` (default ``build/slides``)."""
    out = out or slides_dir()
    copy_mathjax(out / "mathjax")
    shared = exporter()
    written = []
    for py in chosen_lessons(names):
        ipynb = py.with_suffix(".ipynb")
        if not ipynb.is_file():
            raise FileNotFoundError(f"{ipynb.name} is missing: run `make notebooks`")
        written.append(export_one(ipynb, out / f"{py.stem}.html", shared))
    return written


REMOTE = re.compile(r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?|url\(\s*["']?|@import\s+["']|import\s*\(\s*["'])"""
                    r"""(?:https?:)?//""", re.I)


def remote_references(page: str) -> list[str]:
    """Where an HTML page would load something from another host (scripts, styles, images,
    fonts): the snippets, empty when it opens offline. A link a reader may click, in the
    prose (``<a href="https://...">``), loads nothing and is allowed."""
    page = re.sub(r"<a\s[^>]*>", "<a>", page, flags=re.I)
    return [page[max(m.start() - 40, 0):m.end() + 40] for m in REMOTE.finditer(page)]


# --- warming the checkpoint cache -----------------------------------------------------------

def chosen_lessons(names: Sequence[str] = ()) -> list[Path]:
    sources = lesson_sources()
    unknown = set(names) - {p.stem for p in sources}
    if unknown:
        raise SystemExit(f"no such lesson: {', '.join(sorted(unknown))}")
    return [p for p in sources if not names or p.stem in names]


@dataclass
class WarmRun:
    """One lesson's run: how long it took and what every ``fit`` did."""

    lesson: str
    seconds: float
    cpu_seconds: float
    fits: list[dict]
    slowest: list[tuple[float, str]]  # the slowest cells: seconds, first line
    error: str | None = None  # the error that stopped the lesson (a failed claim, say), if any

    @property
    def trained(self) -> int:
        """Models trained although the lesson asked for the cache: none, once warm."""
        return sum(1 for f in self.fits if f["cache"] and not f["from_cache"])

    @property
    def uncached(self) -> int:
        """Training runs a lesson makes without the cache on purpose (lesson 00's seeding demo)."""
        return sum(1 for f in self.fits if not f["cache"])

    @property
    def from_cache(self) -> int:
        return sum(1 for f in self.fits if f["from_cache"])

    def line(self) -> str:
        extra = f" (+{self.uncached} uncached on purpose)" if self.uncached else ""
        stopped = f"; STOPPED: {self.error}" if self.error else ""
        return (f"{self.lesson}: {len(self.fits) - self.uncached} models{extra}, {self.trained} trained, "
                f"{self.from_cache} from the cache, {self.seconds:.1f} s{stopped}")


def run_lesson(py: Path, parameters: dict[str, Any] | None = None) -> WarmRun:
    """Execute a lesson with papermill at its defaults (or ``parameters``), the checkpoint
    cache on, outputs thrown away; what its ``fit`` calls did comes from the fit log. A cell
    that raises (a claim that fails on this machine, say) stops the lesson and is reported
    in ``error``; the models trained before it stay cached."""
    import jupytext
    import nbformat
    import papermill
    import psutil

    from course.train import FIT_LOG_ENV

    with tempfile.TemporaryDirectory() as tmp:
        source, executed, log = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb", Path(tmp) / "fits.jsonl"
        nbformat.write(jupytext.read(py), source)
        saved = os.environ.get(FIT_LOG_ENV)
        os.environ[FIT_LOG_ENV] = str(log)
        children_before = _children_cpu(psutil)
        start = time.perf_counter()
        error = None
        try:
            # the output is only read at the end: not written after every cell (seconds, for
            # a lesson full of figures)
            papermill.execute_notebook(str(source), str(executed), parameters=parameters or {},
                                       cwd=str(py.parent), kernel_name=KERNEL_NAME, progress_bar=False,
                                       request_save_on_cell_execute=False)
        except papermill.PapermillExecutionError as failed:
            error = f"cell {failed.exec_count}: {failed.ename}: {failed.evalue}".splitlines()[0][:300]
        finally:
            if saved is None:
                os.environ.pop(FIT_LOG_ENV, None)
            else:
                os.environ[FIT_LOG_ENV] = saved
        seconds = time.perf_counter() - start
        fits = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        cells = nbformat.read(executed, as_version=4).cells
        slowest = sorted(((c.metadata.get("papermill", {}).get("duration") or 0.0,
                           c.source.strip().splitlines()[0] if c.source.strip() else "")
                          for c in cells if c.cell_type == "code"), reverse=True)[:3]
    return WarmRun(py.stem, seconds, _children_cpu(psutil) - children_before, fits, slowest, error)


def _children_cpu(psutil: Any) -> float:
    """CPU seconds of this process's finished children (the kernels papermill started)."""
    times = psutil.Process().cpu_times()
    return times.children_user + times.children_system


def warm(names: Sequence[str] = (), parameters: dict[str, Any] | None = None,
         check: bool = False, echo: Any = print) -> list[WarmRun]:
    """Run the chosen lessons (default: all) once, a line per lesson. A lesson that stops
    with an error does not stop the others; after the last one, ``SystemExit`` names the
    lessons that stopped. With ``check``, also fail when a lesson trained anything: its
    models were not all cached."""
    runs = []
    lessons = chosen_lessons(names)
    for number, py in enumerate(lessons, 1):
        echo(f"[{number}/{len(lessons)}] {py.stem} ...")
        run = run_lesson(py, parameters)
        echo(f"[{number}/{len(lessons)}] {run.line()} (CPU {run.cpu_seconds:.1f} s; slowest cells: "
             + "; ".join(f"{s:.1f} s {line[:40]!r}" for s, line in run.slowest) + ")")
        runs.append(run)
    problems = [f"{r.lesson} stopped at {r.error}" for r in runs if r.error]
    if check:
        problems += [f"{r.lesson} trained {r.trained} models instead of loading them from the cache"
                     for r in runs if r.trained]
    if problems:
        raise SystemExit("make warm: " + "; ".join(problems))
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.slides", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("annotate", help="give every cell of the lessons its slide type")
    a.add_argument("names", nargs="*")
    a.add_argument("--force", action="store_true", help="recompute slide types set by hand too")
    e = sub.add_parser("export", help="static reveal.js slides under build/slides (no execution)")
    e.add_argument("names", nargs="*")
    w = sub.add_parser("warm", help="run every lesson once at its defaults to fill the model cache")
    w.add_argument("names", nargs="*")
    w.add_argument("--smoke", action="store_true", help="SMOKE = True (a quick run, for tests)")
    w.add_argument("--check", action="store_true", help="fail if any model was trained, not loaded")
    args = parser.parse_args(argv)
    if args.command == "annotate":
        for py in chosen_lessons(args.names):
            print(f"{py.name}: {annotate_pair(py, force=args.force)} cells given a slide type")
    elif args.command == "export":
        start = time.perf_counter()
        written = export(args.names)
        for path in written:
            print(f"wrote {path}")
        print(f"{len(written)} lessons in {time.perf_counter() - start:.1f} s; open one in a browser, "
              "→ and ↓ step through it")
    else:
        start = time.perf_counter()
        runs = warm(args.names, {"SMOKE": True} if args.smoke else None, check=args.check)
        print(f"{sum(r.trained for r in runs)} models trained, {sum(r.from_cache for r in runs)} "
              f"loaded from the cache, in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
