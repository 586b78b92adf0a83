"""course.lab: the command behind `make lab` (the browser tests start it for real)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course import lab
from course.notebooks import KERNEL_DISPLAY_NAME, KERNEL_NAME


def test_settings_go_to_the_environments_overrides_and_are_rewritten_only_when_changed(tmp_path):
    target = lab.install_settings(tmp_path)
    assert target == tmp_path / "share/jupyter/lab/settings/overrides.json"
    settings = json.loads(target.read_text())
    assert settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["python"] == "Jupytext Notebook"
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    stamp = target.stat().st_mtime_ns
    lab.install_settings(tmp_path)
    assert target.stat().st_mtime_ns == stamp
    target.write_text("{}")
    lab.install_settings(tmp_path)
    assert json.loads(target.read_text()) == settings


def test_kernel_is_registered_inside_the_prefix_and_runs_this_python(tmp_path):
    folder = lab.install_kernel(tmp_path)
    assert folder == tmp_path / "share/jupyter/kernels" / KERNEL_NAME
    spec = json.loads((folder / "kernel.json").read_text())
    assert spec["display_name"] == KERNEL_DISPLAY_NAME
    assert Path(spec["argv"][0]) == Path(sys.executable)



def test_a_current_kernel_spec_is_left_alone(tmp_path):
    kernel_json = lab.install_kernel(tmp_path) / "kernel.json"
    stamp = kernel_json.stat().st_mtime_ns
    lab.install_kernel(tmp_path)
    assert kernel_json.stat().st_mtime_ns == stamp


def test_processes_that_register_the_kernel_at_once_do_not_trip_over_each_other(tmp_path):
    """Both browser-test workers start JupyterLab, which registers the kernel (CI failed so)."""
    folder = lab.install_kernel(tmp_path)
    spec = json.loads((folder / "kernel.json").read_text())
    (folder / "kernel.json").write_text(json.dumps(spec | {"display_name": "stale"}))
    script = f"from course import lab; lab.install_kernel({str(tmp_path)!r})"
    runs = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
            for _ in range(6)]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0] * 6, "\n".join(errors)
    assert json.loads((folder / "kernel.json").read_text()) == spec

@pytest.mark.parametrize("uid, allowed", [(0, True), (1000, False)])
def test_lab_command_opens_lesson_00_and_allows_root_only_as_root(tmp_path, monkeypatch, uid, allowed):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / lab.FIRST_NOTEBOOK).write_text("{}")
    monkeypatch.setattr(lab.os, "geteuid", lambda: uid)
    command = lab.lab_command(tmp_path, ["--no-browser"])
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in command
    assert ("--allow-root" in command) is allowed
    assert "--no-browser" in command
    assert f"--MultiKernelManager.default_kernel_name={KERNEL_NAME}" in command
    # JupyterLab resolves the file to open against its working folder, not root_dir
    assert command[-1] == str((tmp_path / lab.FIRST_NOTEBOOK).resolve())


def test_lab_command_opens_nothing_where_lesson_00_is_missing(tmp_path):
    assert lab.lab_command(tmp_path)[-1].startswith("--")
