"""Sentences whose numbers come from the run: every lesson's prose that quotes a measurement.

A number written into a Markdown cell by hand is true once, for one run; the next run,
seed or machine makes it wrong and nobody notices. :func:`say` renders the sentence from
the values the lesson has just computed, as a Markdown output of the cell, so it is saved
in the ``.ipynb`` (readable without a kernel) and always agrees with the figures around it::

    say("The errors span {span:.1f} orders of magnitude; {wrong} of {n} digits are "
        "another class.", span=span, wrong=wrong, n=len(digits))

Used by every lesson (issue 18: numbers in prose come from the run).
"""

from __future__ import annotations

import string
from typing import Any

from IPython.display import Markdown, display

__all__ = ["render", "say"]


def render(template: str, **values: Any) -> str:
    """The template with its ``{fields}`` filled in; every field must be given, and used."""
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    roots = {name.split(".")[0].split("[")[0] for name in fields}
    missing = roots - values.keys()
    if missing:
        raise KeyError(f"no value given for {', '.join(sorted(missing))}")
    unused = values.keys() - roots
    if unused:
        raise TypeError(f"values not used by the sentence: {', '.join(sorted(unused))}")
    return template.format(**values)


def say(template: str, **values: Any) -> None:
    """Display the sentence, its numbers filled in from ``values``, as Markdown.

    It returns nothing, so a cell that ends with it shows the sentence once."""
    display(Markdown(render(template, **values)))
