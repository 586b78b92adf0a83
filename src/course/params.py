"""Checking a notebook's parameters cell. Taught in lesson 00; every lesson uses it.

A notebook's ``parameters`` cell holds plain assignments (papermill overrides them);
the next cell checks them all at once, each value with its real limits::

    check_parameters(DATASET=(DATASET, dataset()),
                     EPOCHS=(EPOCHS, integer(min=1)),
                     SEED=(SEED, seed()),
                     SMOKE=(SMOKE, boolean()))

then states the limits that tie parameters together or to the data, each with
:func:`require` (or a shared one: :func:`require_pca`, :func:`require_labels`), and
estimates the training time with :func:`training_time`, which rejects more than an hour::

    require(TAU_END <= TAU_START, f"TAU_END = {TAU_END}, but ... at most TAU_START = {TAU_START}")
    budget = training_time(EPOCHS=(EPOCHS, 3 * epoch_cost(1.7, scale, BATCH_SIZE)))
    if SMOKE:  # after the checks, never instead of them
        EPOCHS = 1
        budget = budget.with_counts(EPOCHS=EPOCHS)
    print(budget)  # "Training: about 2 min on one laptop CPU core without the cache ..."

A wrong value stops the notebook right there with one line that names the parameter
and what it accepts, e.g. ``ParameterError: EPOCHS = -3, but it must be a whole number
>= 1`` (no traceback through library code); NaN, the infinities and numbers too long to
print are handled like any other value. So does a name papermill injected that the
lesson does not have (``-p EPOCH 5`` for ``EPOCHS``: papermill itself only logs a
warning and runs the defaults); the error names the closest parameter. Rules marked
``later`` (:func:`deferred`, :func:`dataset`) are checked after the plain ones, so a
plain typo is reported before any heavy import (PyTorch: seconds).
"""

from __future__ import annotations

import ast
import difflib
import importlib
import math
from dataclasses import dataclass
from typing import Any, Callable

SEED_MAX = 2**31 - 1  # NumPy and scikit-learn take seeds below 2**32; lessons add small offsets
TRAINING_LIMIT_S = 3600.0  # the longest training a lesson may ask for on a laptop CPU
INJECTED_HEADER = "# Parameters"  # the first line of the cell papermill injects


class ParameterError(ValueError):
    """A notebook parameter has a value the notebook cannot use."""


@dataclass(frozen=True)
class Rule:
    """What a parameter accepts: a test and the words that describe it.

    ``accepts`` may be a function that returns the words, for rules whose choices come
    from a heavy import; such rules are marked ``later`` and checked after the others.
    """

    accepts: str | Callable[[], str]
    test: Callable[[Any], bool]
    later: bool = False

    def describe(self) -> str:
        return self.accepts if isinstance(self.accepts, str) else self.accepts()

    def __call__(self, value: Any) -> bool:
        try:
            return bool(self.test(value))
        except Exception:  # noqa: BLE001 - a value a test cannot even handle is not accepted
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


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    """An int, or a finite float: NaN and the infinities are not numbers a lesson can use."""
    return _is_int(v) or (isinstance(v, float) and math.isfinite(v))


def integer(min: int | None = None, max: int | None = None) -> Rule:
    """A whole number (not a bool) in ``[min, max]``."""
    return Rule(_bounds("a whole number", min, max), lambda v: _is_int(v) and _in(v, min, max))


def number(min: float | None = None, max: float | None = None) -> Rule:
    """A finite real number (int or float, not a bool, NaN or infinity) in ``[min, max]``."""
    return Rule(_bounds("a number", min, max), lambda v: _is_number(v) and _in(v, min, max))


def seed() -> Rule:
    """A random seed every library takes: a whole number from 0 to :data:`SEED_MAX`."""
    return integer(min=0, max=SEED_MAX)


def boolean() -> Rule:
    """``True`` or ``False``."""
    return Rule("True or False", lambda v: isinstance(v, bool))


def one_of(*choices: Any) -> Rule:
    """One of the given values (``1`` does not stand for ``True``, nor ``True`` for ``1``)."""
    return Rule("one of " + ", ".join(repr(c) for c in choices),
                lambda v: any(type(v) is type(c) and v == c for c in choices))


def list_of(rule: Rule, min_len: int = 1, max_len: int | None = None, unique: bool = False) -> Rule:
    """A list (or tuple) of ``min_len`` to ``max_len`` items, each accepted by ``rule``;
    with ``unique=True`` no item may appear twice."""
    size = f"at least {min_len}" if max_len is None else (
        f"{min_len}" if min_len == max_len else f"{min_len} to {max_len}")
    words = f"a list of {size} {'different ' if unique else ''}items, each {rule.describe()}"

    def test(v: Any) -> bool:
        return (isinstance(v, (list, tuple)) and min_len <= len(v) <= (max_len or len(v))
                and all(map(rule, v)) and (not unique or len(set(v)) == len(v)))

    return Rule(words, test)


def deferred(target: str, *args: Any) -> Rule:
    """The rule ``module:function(*args)`` returns, imported only when it is first needed
    and checked after the plain rules: e.g. ``deferred("course.noise:noise_mix")``, whose
    module imports PyTorch (seconds), so a wrong epoch count is reported before that."""
    module, _, name = target.partition(":")
    made: list[Rule] = []

    def rule() -> Rule:
        if not made:
            made.append(getattr(importlib.import_module(module), name)(*args))
        return made[0]

    return Rule(lambda: rule().describe(), lambda v: rule()(v), later=True)


def dataset(registry: str = "course.data:names") -> Rule:
    """The name of a data set in a registry, ``module:function`` returning its names
    (default :mod:`course.data`'s; lesson 05: ``"course.speech:names"``), imported only
    when it is checked, after the plain rules."""
    module, _, function = registry.partition(":")

    def names() -> list[str]:
        return list(getattr(importlib.import_module(module), function)())

    return Rule(lambda: "one of " + ", ".join(map(repr, names())),
                lambda v: isinstance(v, str) and v in names(), later=True)


def show(value: Any, width: int = 60) -> str:
    """``repr(value)``, shortened to ``width`` characters; a whole number too long to
    print (Python refuses more than 4,300 digits) is shown by its number of digits."""
    try:
        text = repr(value)
    except ValueError:
        return f"a whole number of about {int(value.bit_length() * math.log10(2)):,} digits"
    return text if len(text) <= width else text[:width - 6] + " ... " + text[-1:]


def _one_line(shell, etype, value, tb, tb_offset=None):
    """IPython's custom-exception hook: show the error as one line, no traceback.

    IPython ignores what a custom handler returns, so the handler shows the error itself,
    through the shell's own display method: in a kernel that sends a proper error output
    (the cell fails, papermill stops there and reports ``ename``/``evalue``).
    """
    stb = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _install_one_line_handler() -> None:
    shell = _shell()
    if shell is not None:
        shell.set_custom_exc((ParameterError,), _one_line)


def _fail(message: str) -> None:
    _install_one_line_handler()
    raise ParameterError(message)


def _assigned(source: str) -> dict[str, str]:
    """Names assigned at the top level of a cell, with the source of each value."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    names: dict[str, str] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else [])
        for target in targets:
            if isinstance(target, ast.Name):
                names[target.id] = ast.get_source_segment(source, node.value) or "..."
    return names


def injected_names(history: list[str] | None = None) -> tuple[dict[str, str], set[str]]:
    """What papermill injected in this kernel, and what the parameters cell defines.

    Papermill runs the lesson's ``parameters`` cell, then its own cell that starts with
    ``# Parameters``. From the kernel's input history (IPython's ``In``) this returns the
    names assigned in the last such cell (with their values' source) and the names
    assigned in the cell run just before it, the lesson's parameters cell. Outside
    IPython, or with no injected cell, both are empty.
    """
    if history is None:
        shell = _shell()
        history = list(shell.user_ns.get("_ih", [])) if shell is not None else []
    for i in range(len(history) - 1, -1, -1):
        if history[i].lstrip().startswith(INJECTED_HEADER):
            before = _assigned(history[i - 1]) if i > 0 else {}
            return _assigned(history[i]), set(before)
    return {}, set()


def check_unknown(known: set[str], history: list[str] | None = None) -> None:
    """Stop with one line that lists every name papermill injected that the lesson does
    not know, each with the closest known name."""
    injected, defined = injected_names(history)
    known = known | defined
    unknown = {name: value for name, value in injected.items() if name not in known}
    if not unknown:
        return
    given, names = [], []
    for name, value in unknown.items():
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.0)
        given.append(f"{name} = {value if len(value) <= 60 else value[:54] + ' ... '}")
        names.append(f"{name} (did you mean {close[0]}?)" if close else name)
    one = len(unknown) == 1
    _fail(f"{' and '.join(given)} {'was' if one else 'were'} given, but this lesson has no "
          f"parameter{'' if one else 's'} {' and '.join(names)}; its parameters: {', '.join(sorted(known))}")


def check_parameters(**specs: tuple[Any, Rule]) -> None:
    """Check each ``NAME=(value, rule)``; raise :class:`ParameterError` on the first bad one.

    First, any name papermill injected that neither ``specs`` nor the parameters cell
    knows (see :func:`injected_names`); then the plain rules in order; then the rules
    marked ``later`` (those that import something heavy).
    """
    check_unknown(set(specs))
    plain = [(n, v, r) for n, (v, r) in specs.items() if not r.later]
    later = [(n, v, r) for n, (v, r) in specs.items() if r.later]
    for name, value, rule in plain + later:
        if not rule(value):
            _fail(f"{name} = {show(value)}, but it must be {rule.describe()}")


def require(condition: bool, message: str) -> None:
    """A limit that ties parameters together or to the data: stop with ``message``
    (one line, e.g. ``"N_LABELS = 5000, but mnist5k has 3500 training images"``) unless
    ``condition`` holds. Call it after :func:`check_parameters`, so each value is
    already known to be of the right kind."""
    if not condition:
        _fail(message)


def require_pca(name: str, value: Any, k: int, data_name: str, pixels: int, images: int) -> None:
    """The limit of every lesson with a PCA yardstick (01, 02, 10): ``k`` directions (the
    parameter ``name`` is ``value``) exist only up to the pixels and the training images."""
    most = min(pixels, images)
    require(k <= most, f"{name} = {show(value)}, but PCA, the yardstick, finds at most {most} directions "
                       f"in {data_name} ({pixels} pixels, {images} training images)")


def require_labels(name: str, n_labels: int, per_class: int, classes: int = 10) -> None:
    """The limit of a linear probe that takes as many labelled images of each class
    (lessons 01, 02): a multiple of ``classes`` up to ``classes`` x the rarest class."""
    require(n_labels % classes == 0 and n_labels <= classes * per_class,
            f"{name} = {show(n_labels)}, but the probe takes as many images of each of the {classes} "
            f"classes: a multiple of {classes} up to {classes * per_class} (the rarest class has "
            f"{per_class} training images)")


def duration(seconds: float, about: str = "about ") -> str:
    """``"about 40 s"``, ``"about 12 min"``, ``"about 3.5 hours"``, ``"about 2,000 years"``."""
    if seconds < 90:
        return f"{about}{seconds:.0f} s"
    if seconds < 5400:
        return f"{about}{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{about}{seconds / 3600:.1f} hours"
    if seconds < 2 * 365 * 86400:
        return f"{about}{seconds / 86400:,.0f} days"
    years = seconds / (365 * 86400)
    return f"{about}{years:,.0f} years" if years < 1e6 else f"more than a million years"


@dataclass(frozen=True)
class TrainingTime:
    """A lesson's estimated training time: each count times its calibrated cost."""

    parts: dict[str, tuple[int, float]]  # NAME -> (count, seconds per unit)
    limit_s: float = TRAINING_LIMIT_S

    @property
    def seconds(self) -> float:
        try:
            return float(sum(count * cost for count, cost in self.parts.values()))
        except OverflowError:  # a count with hundreds of digits
            return math.inf

    def with_counts(self, **counts: int) -> "TrainingTime":
        """The same costs with other counts: what a smoke run, which trains less, will take."""
        return TrainingTime({n: (counts.get(n, c), cost) for n, (c, cost) in self.parts.items()}, self.limit_s)

    def __str__(self) -> str:
        return (f"Training: {duration(self.seconds)} on one laptop CPU core without the cache "
                f"(limit {duration(self.limit_s, about='')}); a cached model loads in a second.")


def _at_most(parts: dict[str, tuple[int, float]], name: str, limit_s: float) -> int:
    """The largest count of ``name`` that keeps the total within the limit, the others unchanged."""
    rest = TrainingTime({n: p for n, p in parts.items() if n != name}).seconds
    cost = parts[name][1]
    return max(1, int((limit_s - rest) / cost)) if cost > 0 and math.isfinite(rest) else 1


def epoch_cost(seconds: float, scale: float = 1.0, batch_size: int = 64, measured_batch: int = 64) -> float:
    """Seconds of one epoch, from ``seconds`` measured at ``measured_batch`` images a step:
    ``scale`` is the lesson's work relative to the measurement (more images, more pixels);
    a smaller batch adds per-step overhead, counted as 16 images' worth of work a step."""
    return seconds * scale * (1 + 16 / batch_size) / (1 + 16 / measured_batch)


def training_time(limit_s: float = TRAINING_LIMIT_S, **parts: tuple[int, float]) -> TrainingTime:
    """Estimate training from ``NAME=(count, seconds per unit)`` and stop with one line,
    naming the count that weighs most, if it would exceed ``limit_s`` (one hour).

    The costs are measured once on a 2-core laptop CPU (each lesson's parameters cell
    says what one epoch costs) and scaled by the lesson with the size of the data.
    """
    estimate = TrainingTime(dict(parts), limit_s)
    if estimate.seconds > limit_s:
        name, (count, cost) = max(parts.items(), key=lambda p: TrainingTime({"": p[1]}).seconds)
        _fail(f"{name} = {show(count)} would train for {duration(estimate.seconds)} on a laptop CPU "
              f"({cost:.3g} s each), but a lesson may train for at most {duration(limit_s, about='')}: "
              f"use at most {_at_most(parts, name, limit_s):,}")
    return estimate
