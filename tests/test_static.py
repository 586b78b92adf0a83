"""Static twins (course.static), clean saved outputs (course.notebooks.strip, fit's progress
in a kernel) and what the committed notebooks show a reader without a kernel."""

from __future__ import annotations

import base64
import io
import json
import re
import textwrap
from pathlib import Path

import nbformat
import plotly.graph_objects as go
import pytest
import torch

from course import static
from course.browser import missing_browser, required
from course.notebooks import WIDGET_VIEW, lesson_sources, relative_paths, strip
from course.paths import project_root
from course.widgets import LessonWidget, image_browser

LESSONS = [py for py in lesson_sources() if py.with_suffix(".ipynb").is_file()]  # the pair test reports the others
WIDGET_NOTE = repr(LessonWidget(go.FigureWidget(), []))


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def notebook_with(*outputs: dict) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("fig")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), cell]
    return nb


def figure_output(figure: dict | None = None, **data: str) -> dict:
    figure = figure or {"data": [{"type": "scatter", "y": [1, 3, 2]}], "layout": {"height": 300}}
    return {"output_type": "display_data", "metadata": {}, "data": {static.PLOTLY: figure, **data}}


# --- course.static ------------------------------------------------------------------------------

def test_add_twins_gives_each_figure_a_png_and_keeps_the_live_figure():
    nb = notebook_with(figure_output(), figure_output({"data": [], "layout": {"width": 500}}),
                       {"output_type": "stream", "name": "stdout", "text": "hello\n"})
    drawn = []
    count = static.add_twins(nb, lambda figure: drawn.append(figure) or tiny_png())
    assert count == 2 and len(drawn) == 2
    outputs = list(static.figure_outputs(nb))
    assert all(static.has_twin(o) and static.PLOTLY in o["data"] for o in outputs)
    assert base64.b64decode(outputs[0]["data"][static.PNG]) == tiny_png()
    assert outputs[0]["metadata"][static.PNG] == {"width": 700, "height": 300}
    assert outputs[1]["metadata"][static.PNG] == {"width": 500, "height": 450}
    assert static.add_twins(nb, lambda figure: pytest.fail("drawn twice")) == 0
    assert static.add_twins(nb, lambda figure: tiny_png(), refresh=True) == 2


def test_figure_size_is_the_figures_own_else_plotlys_default():
    assert static.figure_size({"layout": {"width": 820, "height": 420}}) == (820, 420)
    assert static.figure_size({"data": []}) == static.DEFAULT_SIZE


def test_compact_png_keeps_the_picture_and_never_grows_it():
    from PIL import Image

    gradient = Image.linear_gradient("L").convert("RGB").resize((300, 200))
    raw = io.BytesIO()
    gradient.save(raw, "PNG")
    small = static.compact_png(raw.getvalue())
    assert len(small) <= len(raw.getvalue())
    back = Image.open(io.BytesIO(small)).convert("RGB")
    assert back.size == (300, 200)
    assert max(abs(a - b) for a, b in zip(back.getpixel((150, 100)), gradient.getpixel((150, 100)))) <= 2


def test_widgets_show_a_snapshot_only_while_notebooks_are_built(monkeypatch, tiny_split):
    widget = image_browser(tiny_split, [str(c) for c in range(10)])
    monkeypatch.delenv(static.SNAPSHOT_ENV, raising=False)
    assert not hasattr(widget, "_ipython_display_"), "a learner's run shows the widget as ipywidgets does"
    monkeypatch.setenv(static.SNAPSHOT_ENV, "1")
    assert callable(widget._ipython_display_)
    data, metadata = static.snapshot_bundle(widget.figure)
    assert metadata == {static.SNAPSHOT_KEY: True}
    assert data[static.PLOTLY]["data"][0]["type"] == "heatmap"
    json.dumps(data)  # what the kernel sends must be JSON


@pytest.mark.browser
@pytest.mark.skipif(missing_browser() is not None and not required(), reason=f"no browser: {missing_browser()}")
def test_the_renderer_draws_a_figure_as_plotly_shows_it():
    figure = json.loads(go.Figure(go.Scatter(y=[1, 3, 2]), layout={"width": 300, "height": 200}).to_json())
    gl = json.loads(go.Figure(go.Scattergl(x=[0, 1], y=[1, 0], mode="markers")).to_json())
    from PIL import Image

    with static.FigureRenderer() as render:
        pictures = [Image.open(io.BytesIO(render(f))) for f in (figure, gl)]
        assert not render.errors
    assert pictures[0].size == (300, 200) and pictures[1].size == static.DEFAULT_SIZE
    assert len(pictures[0].convert("RGB").getcolors(2**16)) > 5, "the picture is not blank"


@pytest.mark.browser
@pytest.mark.skipif(missing_browser() is not None and not required(), reason=f"no browser: {missing_browser()}")
def test_the_renderer_works_where_an_asyncio_loop_is_running():
    """As in a Jupyter kernel, or after a test runner left a loop running in this thread:
    playwright's sync API refuses such a thread, so the renderer keeps its own."""
    import asyncio
    import concurrent.futures

    figure = json.loads(go.Figure(go.Bar(y=[1, 2])).to_json())

    async def draw() -> bytes:
        with static.FigureRenderer() as render:
            return render(figure)

    # in a thread of its own: this one may hold a loop already (a session fixture's
    # playwright, from a test file that ran before in this process), and asyncio.run refuses it
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, draw()).result().startswith(b"\x89PNG")


def test_chromium_is_the_one_named_else_none(monkeypatch, tmp_path):
    from course import browser

    fake = tmp_path / "chrome"
    fake.write_text("")
    monkeypatch.setenv("COURSE_CHROMIUM", str(fake))
    assert browser.find_chromium() == str(fake)
    monkeypatch.setenv("COURSE_CHROMIUM", str(tmp_path / "missing"))
    assert browser.find_chromium() is None
    assert "COURSE_CHROMIUM" in browser.missing_browser()


# --- saved outputs: strip and fit's progress --------------------------------------------------

def test_strip_drops_frozen_progress_bars_and_makes_paths_relative():
    root = project_root()
    nb = notebook_with(
        {"output_type": "display_data", "metadata": {},
         "data": {WIDGET_VIEW: {"model_id": "x"}, "text/plain": "conv AE:   0%|          | 0/6 [00:00<?, ?epoch/s]"}},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/plain": "sign AE, 32 bits:   0%|          | 0/6 [00:00<?, ?epoch/s]"}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "conv AE: 6 epochs in 2.0 s"}},
        {"output_type": "stream", "name": "stdout", "text": f"results in {root}/build/results\n"},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/html": f"<td>{Path.home()}/cache</td>", "text/plain": f"{Path.home()}/cache"}},
    )
    outputs = strip(nb).cells[1].outputs
    assert [o.get("data", {}).get("text/plain", o.get("text")) for o in outputs] == [
        "conv AE: 6 epochs in 2.0 s", "results in build/results\n", "~/cache"]
    assert outputs[2].data["text/html"] == "<td>~/cache</td>"


def test_relative_paths_leaves_lookalikes_alone():
    root, home = Path("/work/main"), Path("/root")
    assert relative_paths("/work/main/build and /work/main", root, home) == "build and ."
    assert relative_paths("/work/mainframe, (/work/main)", root, home) == "/work/mainframe, (.)"
    assert relative_paths("/root/x, /rootless and /root", root, home) == "~/x, /rootless and ~"


@pytest.mark.notebook
def test_fit_in_a_kernel_leaves_one_summary_line_and_widgets_a_picture(tmp_path, monkeypatch):
    """A real kernel (papermill) with snapshots on, as ``make notebooks`` runs a lesson."""
    import papermill

    monkeypatch.delenv("TQDM_DISABLE")
    monkeypatch.setenv(static.SNAPSHOT_ENV, "1")
    source = textwrap.dedent("""\
        import torch
        from course.data import Split
        from course.models import MLPAutoencoder
        from course.train import fit
        from course.widgets import image_browser
        x = torch.rand(64, 1, 8, 8)
        history = fit(MLPAutoencoder((1, 8, 8), 2, hidden=(8,)), x, val=x[:8], epochs=3, desc="tiny AE")
        widget = image_browser(Split(x, torch.arange(64) % 10), [str(c) for c in range(10)])
        widget
        """)
    moved = "widget.controls[0].value = 5  # the picture shows the figure as the cell ends"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source), nbformat.v4.new_code_cell(f"display(widget)\n{moved}")]
    nbformat.write(nb, tmp_path / "in.ipynb")
    papermill.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"),
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    done = strip(nbformat.read(tmp_path / "out.ipynb", as_version=4))
    first, second = (cell.outputs for cell in done.cells)
    texts = [o.data["text/plain"] for o in first if "text/plain" in o.get("data", {})]
    assert re.fullmatch(r"tiny AE: 3 epochs in \d+\.\d s, loss=\d\.\d{4}, val=\d\.\d{4}", texts[0]), texts
    assert not any("0%|" in t for t in texts)
    for outputs, title in ((first, "image 0: label 0"), (second, "image 5: label 5")):
        (picture,) = [o for o in outputs if static.PLOTLY in o.get("data", {})]
        assert picture.metadata[static.SNAPSHOT_KEY] is True
        assert WIDGET_VIEW not in picture.data
        assert picture.data[static.PLOTLY]["layout"]["title"]["text"] == title


# --- the committed notebooks --------------------------------------------------------------------

def saved_outputs(py: Path) -> list[tuple[int, dict]]:
    nb = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
    return [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.outputs]


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_every_saved_figure_has_a_static_twin(py):
    bare = [i for i, o in saved_outputs(py) if static.PLOTLY in o.get("data", {}) and not static.has_twin(o)]
    assert not bare, (f"cells {bare} of {py.stem}.ipynb hold figures without a PNG: "
                      f"run `python -m course.notebooks twins {py.stem}` (or make notebooks)")


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_saved_outputs_are_clean(py):
    home = str(Path.home())
    for i, output in saved_outputs(py):
        text = json.dumps({k: v for k, v in output.get("data", {}).items() if k.startswith("text/")}
                          | {"text": output.get("text", "")})
        assert "0%|" not in text, f"cell {i} of {py.stem}: a progress bar frozen at its start"
        assert "/tmp/" not in text, f"cell {i} of {py.stem}: a temporary path of the build machine"
        assert re.search(re.escape(home) + r"(/|\b)", text) is None or home == "/", \
            f"cell {i} of {py.stem}: the build machine's home folder"


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_every_widget_is_saved_with_a_picture(py):
    notes = [i for i, o in saved_outputs(py)
             if o.get("data", {}).get("text/plain") == WIDGET_NOTE and static.PLOTLY not in o["data"]]
    assert not notes, f"cells {notes} of {py.stem}: a widget saved as a note without its picture (make notebooks)"
