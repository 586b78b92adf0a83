"""Show the code that runs. Every lesson uses it to put its model on the page.

>>> show_source(ConvAutoencoder)          # highlighted in JupyterLab, plain text elsewhere

Lessons render the real source from :mod:`course` instead of pasting a copy, so what
the learner reads is what trains.
"""

from __future__ import annotations

import html
import inspect
import textwrap
from pathlib import Path
from typing import Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer


class SourceCode:
    """A piece of source with where it comes from; shows as highlighted HTML or plain text."""

    def __init__(self, code: str, origin: str) -> None:
        self.code = code
        self.origin = origin

    def _repr_html_(self) -> str:
        body = highlight(self.code, PythonLexer(), HtmlFormatter(noclasses=True, nobackground=True))
        return (f'<div style="font-size:0.85em;color:#666">{html.escape(self.origin)}</div>'
                f'<div style="border-left:3px solid #ccc;padding-left:0.5em">{body}</div>')

    def __repr__(self) -> str:
        return f"# {self.origin}\n{self.code}"


def _origin(obj: Any) -> str:
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    module = getattr(obj, "__module__", None) or ""
    try:
        path = Path(inspect.getsourcefile(obj) or "")
        _, line = inspect.getsourcelines(obj)
    except (OSError, TypeError):
        return f"{module}.{name}"
    parts = path.parts
    where = "/".join(parts[parts.index("course"):]) if "course" in parts else path.name
    return f"{module}.{name}  ({where}, line {line})"


def show_source(obj: Any) -> SourceCode:
    """The source of a class, function or method, ready to display in a notebook."""
    return SourceCode(textwrap.dedent(inspect.getsource(obj)).rstrip(), _origin(obj))
