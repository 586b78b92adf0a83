"""Every lesson against bad parameters, the way papermill injects them (issue 20).

One kernel per lesson, reused for every value: each case runs the lesson's parameters
cell, papermill's own injected cell (``papermill.translators``: NaN arrives as
``float('nan')``), then the lesson's check cell, and reads the error that comes back. A
bad value must stop the check cell with one ``ParameterError`` line that names the
parameter, never a traceback, never a run. Values: wrong types, out of range, NaN,
infinities, huge numbers, duplicates, impossible combinations, a bad value hidden by
``SMOKE = True``, unknown names. The defaults, and the defaults with ``SMOKE = True``,
must pass and announce the training time.

Select with ``pytest -m fuzz``.
"""

from __future__ import annotations

import ast
import math
import os
import queue
import re
import time
from pathlib import Path

import pytest
from papermill.translators import PythonTranslator

from course.notebooks import lesson_sources

pytestmark = [pytest.mark.fuzz, pytest.mark.notebook]

LESSONS = lesson_sources()
NAN, INF = float("nan"), float("inf")
REPORT_WITHIN_S = 5.0  # a bad value is reported this soon after the kernel starts

# Impossible combinations and limits that need the data, lesson by lesson: each value
# alone is fine, the lesson cannot run them together. Blamed: any of the names.
COMBINATIONS: dict[str, list[dict]] = {
    "00_start_here": [{"SEED": 2**32}, {"CACHE_DEMO_EPOCHS": 10**9}],
    "01_autoencoder_basics": [
        {"SEED": 2**32}, {"DATASET": "digits8x8", "BOTTLENECKS": [256]}, {"N_LABELS": 5000},
        {"N_LABELS": 15}, {"BOTTLENECKS": [8, 8]}, {"EPOCHS": 10**9}, {"EPOCHS": -5, "SMOKE": True},
        {"N_LABELS": 1000, "SMOKE": True}],
    "02_denoising": [
        {"SEED": 2**32}, {"DATASET": "digits8x8", "BOTTLENECK": 256}, {"N_LABELS": 5000},
        {"LEVELS": [0.3, 0.3]}, {"EPOCHS": 10**9}, {"EPOCHS": -5, "SMOKE": True}],
    "03_bert_denoising": [
        {"MIN_COUNT": 5000}, {"WIDTH": 64, "HEADS": 3}, {"SWEEP_RATES": [0.3, 0.3]},
        {"EPOCHS": 10**6}, {"EPOCHS": -5, "SMOKE": True}],
    "04_disentanglement": [
        {"N_TEST": 300, "TRAVERSAL_IMAGE": 300}, {"SMOKE": True, "TRAVERSAL_IMAGE": 600},
        {"CHANNELS": [16, 32, 64]}, {"EPOCHS": 10**6}, {"EPOCHS": -5, "SMOKE": True}],
    "05_voice_conversion": [
        {"SEED": 2**32}, {"LEAK_WIDTHS": [8, 8]}, {"PITCH_PAIRS": 10**6}, {"EPOCHS": 10**6},
        {"EPOCHS": -5, "SMOKE": True}],
    "06_discrete_latents": [
        {"TAU_START": 0.1, "TAU_END": 1.0}, {"LOW_DIM": 32, "CODE_DIM": 16}, {"VQ_EPOCHS": 10**5},
        {"EPOCHS": -5, "SMOKE": True}],
    "07_text_as_code": [
        {"SEED": 2**32}, {"CORPUS": "mnist5k"}, {"WRONG_WEIGHTS": [1.0, 1.0]}, {"WRONG_WEIGHTS": [4.0, 16.0]},
        {"WEIGHT": 0.0}, {"EPOCHS": 10**6},
        {"EPOCHS": -5, "SMOKE": True}],
    "08_vae": [
        {"BETAS": [1.0, 1.0]}, {"INTERPOLATE": [3, 3]}, {"INTERPOLATE": [3, 7, 9]}, {"EPOCHS": 10**6},
        {"EPOCHS": -5, "SMOKE": True}],
    "09_compression": [
        {"SEED": 2**32}, {"DATASET": "digits8x8"}, {"LAMBDAS": [64.0, 64.0]}, {"BASE_EPOCHS": 10**6},
        {"EPOCHS": 3}, {"BASE_EPOCHS": -5, "SMOKE": True}],
    "10_anomaly_detection": [
        {"MISS_COST": 0, "FALSE_ALARM_COST": 0}, {"KNOWN_DIGITS": list(range(10))},
        {"KNOWN_DIGITS": [1, 1]}, {"DATASET": "digits8x8", "BOTTLENECK": 200}, {"EPOCHS": 10**9},
        {"EPOCHS": -5, "SMOKE": True}],
}


def cells(py: Path) -> tuple[str, str]:
    """The lesson's parameters cell and the cell after it (its check), as source."""
    parts = re.split(r"^# %%.*$", py.read_text(), flags=re.M)
    heads = re.findall(r"^# %%.*$", py.read_text(), flags=re.M)
    i = next(k for k, h in enumerate(heads) if 'tags=["parameters"]' in h)
    return parts[i + 1], parts[i + 2]


def defaults(py: Path) -> dict[str, object]:
    tree = ast.parse(cells(py)[0])
    return {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)}


def bad_values(default: object) -> list[object]:
    """Values no parameter with this default accepts: wrong types, out of range, NaN, inf, huge."""
    if isinstance(default, bool):
        return [1, "True", None, 0.0]
    if isinstance(default, int):
        return ["3", 2.5, True, None, -1, 10**30, NAN, INF]
    if isinstance(default, float):
        return ["0.5", True, None, -1.0, NAN, INF, -INF, 1e308]
    if isinstance(default, str):
        return ["no-such-data", 5, "", None]
    if isinstance(default, list):
        return [[], "x", None, [None], [NAN], [INF], [10**30]]
    if isinstance(default, dict):
        return [{}, [], {"no such noise": 0.5}, {k: NAN for k in default}]
    raise AssertionError(f"no bad values for a {type(default).__name__}")


def misspelt(names: list[str]) -> tuple[str, str]:
    """A name a learner might type for one of ``names`` (``EPOCH`` for ``EPOCHS``), and that one."""
    for name in names:
        if name.endswith("S") and name[:-1] not in names:
            return name[:-1], name
    return names[0] + "S", names[0]


def cases(py: Path) -> list[tuple[str, dict, set[str]]]:
    """(id, injected parameters, names the error may blame) for one lesson."""
    found = defaults(py)
    # A few values per parameter, rotating through its kind's list so that every kind of
    # damage meets every lesson: at least 15 single values per lesson, ~40 cases in all.
    each = max(2, math.ceil(15 / len(found)))
    out = []
    for i, (name, default) in enumerate(found.items()):
        values = bad_values(default)
        out += [(f"{name}={value!r}"[:60], {name: value}, {name})
                for value in (values[(i * each + j) % len(values)] for j in range(min(each, len(values))))]
    out += [(",".join(f"{k}={v!r}" for k, v in combo.items())[:60], combo, set(combo))
            for combo in COMBINATIONS.get(py.stem, [])]
    typo, meant = misspelt(list(found))
    out.append((f"unknown {typo}", {typo: found[meant]}, {typo, f"did you mean {meant}"}))
    out.append(("unknown NO_SUCH_PARAMETER", {"NO_SUCH_PARAMETER": 1}, {"NO_SUCH_PARAMETER"}))
    return out


class LessonKernel:
    """A kernel in the lesson's folder that runs its first cells with injected values."""

    def __init__(self, py: Path) -> None:
        from jupyter_client.manager import start_new_kernel

        self.params, self.check = cells(py)
        env = dict(os.environ, COURSE_DEVICE="cpu", TQDM_DISABLE="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
        self.manager, self.client = start_new_kernel(kernel_name="python3", cwd=str(py.parent), env=env)
        self.started = time.perf_counter()  # the kernel is up and answering
        self.first_report_s: float | None = None

    def execute(self, code: str) -> tuple[dict | None, str]:
        """Run ``code``; return its error (``ename``, ``evalue``, ``traceback``) or None, and its stdout."""
        msg_id = self.client.execute(code, store_history=True)
        error, stdout = None, ""
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=120)
            except queue.Empty:
                raise AssertionError(f"no answer from the kernel to:\n{code[:200]}") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "error":
                error = content
            elif kind == "stream" and content["name"] == "stdout":
                stdout += content["text"]
            elif kind == "status" and content["execution_state"] == "idle":
                return error, stdout

    def run(self, injected: dict) -> tuple[dict | None, str]:
        for code in (self.params, PythonTranslator.codify(injected)):
            error, _ = self.execute(code)
            assert error is None, f"the parameters cell failed: {error}"
        result = self.execute(self.check)
        if self.first_report_s is None and result[0] is not None:
            self.first_report_s = time.perf_counter() - self.started
        return result

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernels():
    started: dict[str, LessonKernel] = {}

    def get(py: Path) -> LessonKernel:
        if py.stem not in started:
            started[py.stem] = LessonKernel(py)
        return started[py.stem]

    yield get
    for kernel in started.values():
        kernel.close()


ALL_CASES = [(py, *case) for py in LESSONS for case in cases(py)]


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_a_bad_value_is_reported_within_seconds_of_the_kernel_start(py, kernels):
    kernel = kernels(py)
    name, default = next(iter(defaults(py).items()))
    error, _ = kernel.run({name: None})
    assert error is not None and error["ename"] == "ParameterError"
    assert kernel.first_report_s is not None and kernel.first_report_s <= REPORT_WITHIN_S, (
        f"{py.stem}: the first bad value was reported {kernel.first_report_s:.1f} s after the kernel started")


@pytest.mark.parametrize("py, case, injected, blamed", ALL_CASES,
                         ids=[f"{py.stem[:2]}-{case}" for py, case, *_ in ALL_CASES])
def test_a_bad_value_stops_the_check_cell_with_one_line(py, case, injected, blamed, kernels):
    error, stdout = kernels(py).run(injected)
    assert error is not None, f"{injected} was accepted; the check printed {stdout!r}"
    assert error["ename"] == "ParameterError", f"{error['ename']}: {error['evalue']}"
    assert error["traceback"] == [f"ParameterError: {error['evalue']}"]  # one line, no traceback
    assert "\n" not in error["evalue"] and len(error["evalue"]) < 400
    assert any(word in error["evalue"] for word in blamed), error["evalue"]


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
@pytest.mark.parametrize("smoke", [False, True], ids=["defaults", "smoke"])
def test_the_defaults_pass_and_announce_the_training_time(py, smoke, kernels):
    error, stdout = kernels(py).run({"SMOKE": True} if smoke else {})
    assert error is None, f"{error['ename']}: {error['evalue']}"
    (line,) = [line for line in stdout.splitlines() if line.startswith("Training: about ")]
    assert "laptop CPU" in line


def test_every_lesson_checks_exactly_the_names_of_its_parameters_cell():
    """A name the parameters cell defines but the check leaves out would pass unchecked."""
    for py in LESSONS:
        params, check = cells(py)
        calls = [node for node in ast.walk(ast.parse(check)) if isinstance(node, ast.Call)
                 and getattr(node.func, "id", "") == "check_parameters"]
        checked = {kw.arg for call in calls for kw in call.keywords}
        assert checked == set(defaults(py)), f"{py.stem}: {checked ^ set(defaults(py))}"
        assert "if SMOKE" not in check.split("check_parameters(")[0], f"{py.stem}: SMOKE before the check"


def test_there_are_at_least_15_bad_values_of_every_kind_per_lesson():
    for py in LESSONS:
        values = [x for _, injected, _ in cases(py) for v in injected.values()
                  for x in (v if isinstance(v, list) else [v])]
        assert len(cases(py)) >= 15
        assert any(isinstance(v, float) and math.isnan(v) for v in values), py.stem
        assert any(isinstance(v, float) and math.isinf(v) for v in values), py.stem
        assert any(isinstance(v, int) and v >= 2**32 for v in values), py.stem
        assert any(v is None or isinstance(v, str) for v in values), py.stem
