"""Plotly's ``FigureWidget`` front end, loaded so that a busy machine cannot leave it empty.

Used by every lesson widget (:mod:`course.widgets` calls :func:`install` when imported);
it changes how the browser loads a ``FigureWidget``, not what the figure shows.

Why: plotly (>= 6) draws a ``FigureWidget`` with anywidget, which sends the widget's
JavaScript module (the whole of plotly.js, about 5 MB) with every figure and compiles it
in the page. anywidget's JupyterLab extension (0.11) gives that at most 2 seconds; past
that limit the widget's model drops every message from the kernel, silently: the
figure's own data and layout (sent just after the widget is created), and every later
update. The view still appears once the module has loaded, drawn from an empty state:
an empty plot with default axes that never changes, however the controls move. On a
machine whose cores are busy (a training run, a test suite) 2 seconds are easily spent.

The fix: every ``FigureWidget`` gets a small module instead (:data:`LOADER`) that
carries plotly's module as text, starts compiling it once per page (shared by every
figure), and keeps the kernel's updates that arrive meanwhile in order, to apply them
as soon as plotly is there. The small module is ready in milliseconds, so anywidget's
limit is never reached, and nothing the kernel sends is lost.
"""

from __future__ import annotations

import json
from pathlib import Path

from plotly.basewidget import BaseFigureWidget

# The messages plotly's front end applies to the figure (``_py2js_*`` traits of
# plotly.basewidget.BaseFigureWidget).
MESSAGES = ("_py2js_addTraces", "_py2js_deleteTraces", "_py2js_moveTraces", "_py2js_restyle",
            "_py2js_relayout", "_py2js_update", "_py2js_animate", "_py2js_removeLayoutProps",
            "_py2js_removeTraceProps")

LOADER_JS = """// course.figure_widget: plotly's FigureWidget module, compiled once per page, with
// the kernel's messages kept until it is ready (see the Python module's docstring).
const SOURCE = __SOURCE__;
const MESSAGES = __MESSAGES__;
const KEY = Symbol.for("course.figure_widget.plotly");

function plotly() {
  if (!globalThis[KEY]) {
    const url = URL.createObjectURL(new Blob([SOURCE], { type: "text/javascript" }));
    globalThis[KEY] = import(url).finally(() => URL.revokeObjectURL(url));
  }
  return globalThis[KEY];
}

export default () => {
  let ready;
  return {
    initialize({ model }) {
      const waiting = [];      // [name, message] received before plotly was loaded
      const handlers = {};     // what plotly's model listens to, by event
      let replaying = null;    // [name, message] being applied now
      const keep = (name) => () => {
        const message = model.get(name);
        if (message !== null && handlers[`change:${name}`] === undefined) waiting.push([name, message]);
      };
      const keepers = MESSAGES.map((name) => [name, keep(name)]);
      for (const [name, keeper] of keepers) model.on(`change:${name}`, keeper);
      // plotly's model reads its messages through this one, so that a kept message can
      // be applied later exactly as if it had just arrived
      const proxy = {
        get: (name) => (replaying && replaying[0] === name ? replaying[1] : model.get(name)),
        set: (name, value) => model.set(name, value),
        on: (event, handler) => { handlers[event] = handler; model.on(event, handler); },
        off: (event, handler) => model.off(event, handler),
        save_changes: () => model.save_changes(),
        send: (...args) => model.send(...args),
      };
      ready = plotly().then((module) => {
        const widget = module.default();
        widget.initialize({ model: proxy });
        for (const [name, keeper] of keepers) model.off(`change:${name}`, keeper);
        for (const message of waiting) {
          replaying = message;
          try { handlers[`change:${message[0]}`]?.(); } finally { replaying = null; }
        }
        return widget;
      });
      ready.catch((error) => console.error("[course.figure_widget] plotly failed to load", error));
    },
    async render({ el }) {
      const widget = await ready;
      return widget.render({ el });
    },
  };
};
"""


def _plotly_module() -> str:
    return (Path(__import__("plotly").__file__).parent / "package_data" / "widgetbundle.js").read_text()


def loader() -> str:
    """The small module that stands in for plotly's, with plotly's as a string in it."""
    return (LOADER_JS.replace("__MESSAGES__", json.dumps(list(MESSAGES)))
            .replace("__SOURCE__", json.dumps(_plotly_module())))


def install() -> None:
    """Make every ``FigureWidget`` created from now on load through :func:`loader`."""
    if not getattr(BaseFigureWidget, "_course_loader", False):
        BaseFigureWidget._esm = loader()
        BaseFigureWidget._course_loader = True
