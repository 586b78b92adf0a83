"""Environment switches that parse like switches. Used by :mod:`course.data` (lesson 00's
``COURSE_OFFLINE``) and by anything else that reads an on/off environment variable.

>>> flag("COURSE_OFFLINE")      # unset or empty: the default
False

``1``, ``true``, ``yes``, ``on`` mean on; ``0``, ``false``, ``no``, ``off`` mean off (any
case, spaces around ignored). Anything else is a mistake, reported in one line by
:class:`SwitchError` rather than guessed: ``COURSE_OFFLINE=false`` is off, not on.
"""

from __future__ import annotations

import os

ON = ("1", "true", "yes", "on")
OFF = ("0", "false", "no", "off")


class SwitchError(ValueError):
    """An on/off environment variable has a value that is neither."""


def parse_switch(name: str, value: str | None, default: bool = False) -> bool:
    """``value`` of the variable ``name`` as a bool; ``None`` or empty gives ``default``."""
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word in ON:
        return True
    if word in OFF:
        return False
    raise SwitchError(f"{name}={value!r}, but it must be one of {'/'.join(ON)} (on) "
                      f"or {'/'.join(OFF)} (off)")


def flag(name: str, default: bool = False) -> bool:
    """The environment variable ``name`` as a switch (see the module docstring)."""
    return parse_switch(name, os.environ.get(name), default)
