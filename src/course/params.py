"""Checking a notebook's parameters cell. Taught in lesson 00; every lesson uses it.

A notebook's ``parameters`` cell holds plain assignments (papermill overrides them);
the next cell checks them all at once::

    check_parameters(DATASET=(DATASET, one_of(*data.names())),
                     EPOCHS=(EPOCHS, integer(min=1)),
                     SMOKE=(SMOKE, boolean()))

A wrong value stops the notebook right there with one line that names the parameter
and what it accepts, e.g. ``ParameterError: EPOCHS = -3, but it must be a whole number
>= 1`` (no traceback through library code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


class ParameterError(ValueError):
    """A notebook parameter has a value the notebook cannot use."""


@dataclass(frozen=True)
class Rule:
    """What a parameter accepts: a test and the words that describe it."""

    accepts: str
    test: Callable[[Any], bool]

    def __call__(self, value: Any) -> bool:
        try:
            return bool(self.test(value))
        except (TypeError, ValueError):
            return False


def _bounds(kind: str, min: float | None, max: float | None) -> str:
    parts = [kind]
    if min is not None:
        parts.append(f">= {min}")
    if max is not None:
        parts.append(f"{'and ' if min is not None else ''}<= {max}")
    return " ".join(parts)


def _in(value: float, min: float | None, max: float | None) -> bool:
    return (min is None or value >= min) and (max is None or value <= max)


def integer(min: int | None = None, max: int | None = None) -> Rule:
    """A whole number (not a bool) in ``[min, max]``."""
    return Rule(_bounds("a whole number", min, max),
                lambda v: isinstance(v, int) and not isinstance(v, bool) and _in(v, min, max))


def number(min: float | None = None, max: float | None = None) -> Rule:
    """A real number (int or float, not a bool) in ``[min, max]``."""
    return Rule(_bounds("a number", min, max),
                lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and _in(v, min, max))


def boolean() -> Rule:
    """``True`` or ``False``."""
    return Rule("True or False", lambda v: isinstance(v, bool))


def one_of(*choices: Any) -> Rule:
    """One of the given values."""
    return Rule("one of " + ", ".join(repr(c) for c in choices), lambda v: v in choices)


def list_of(rule: Rule, min_len: int = 1) -> Rule:
    """A list (or tuple) of at least ``min_len`` items, each accepted by ``rule``."""
    return Rule(f"a list of at least {min_len} items, each {rule.accepts}",
                lambda v: isinstance(v, (list, tuple)) and len(v) >= min_len and all(map(rule, v)))


def _one_line(shell, etype, value, tb, tb_offset=None):
    """IPython's custom-exception hook: show the error as one line, no traceback.

    IPython ignores what a custom handler returns, so the handler shows the error itself,
    through the shell's own display method: in a kernel that sends a proper error output
    (the cell fails, papermill stops there and reports ``ename``/``evalue``).
    """
    stb = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


def _install_one_line_handler() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((ParameterError,), _one_line)


def check_parameters(**specs: tuple[Any, Rule]) -> None:
    """Check each ``NAME=(value, rule)``; raise :class:`ParameterError` on the first bad one."""
    for name, (value, rule) in specs.items():
        if not rule(value):
            _install_one_line_handler()
            raise ParameterError(f"{name} = {value!r}, but it must be {rule.accepts}")
