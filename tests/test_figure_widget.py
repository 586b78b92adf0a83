"""course.figure_widget: every FigureWidget loads plotly through the course's small module.

That the loader keeps a figure right when plotly loads slowly is shown in a real page by
tests/test_browser.py (test_a_figure_widget_whose_plotly_loads_slowly_still_shows_every_update).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import plotly.graph_objects as go
import pytest

from course import figure_widget, widgets  # noqa: F401 (importing widgets installs the loader)


def test_every_figure_widget_sends_the_loader_with_plotly_inside():
    fig = go.FigureWidget()
    assert fig._esm.startswith("// course.figure_widget")
    assert json.dumps(figure_widget._plotly_module()) in fig._esm
    assert len(fig._esm) < len(json.dumps(figure_widget._plotly_module())) + 5000


def test_the_loader_listens_to_every_message_plotly_sends():
    from plotly.basewidget import BaseFigureWidget

    sent = {name for name in BaseFigureWidget.class_trait_names() if name.startswith("_py2js_")}
    assert sent == set(figure_widget.MESSAGES)


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to parse JavaScript with")
def test_the_loader_is_a_javascript_module_that_exports_a_widget(tmp_path):
    module = tmp_path / "loader.mjs"
    module.write_text(figure_widget.loader())
    script = (f"import('{module}').then(m => {{ const w = m.default(); "
              "console.log(typeof w.initialize, typeof w.render); })")
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["function", "function"], done.stderr
