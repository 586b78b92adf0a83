"""Shared fixtures: every test writes checkpoints and results to its own scratch folder.

The data cache (build/data) is shared: converting mnist5k once is enough.
"""

from __future__ import annotations

import sys

import pytest
import torch

from course.data import Split


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "after_nbval: reads what nbval's run of the lessons at their defaults left in "
        "build/test-run (course.notebooks.nbval_run_dir); make test runs these after it")


def pytest_sessionfinish(session):
    """The browser tests' contact sheet, once more at the end of each process that took
    screenshots (with xdist, the last process to finish lists every screenshot)."""
    module = sys.modules.get("test_browser")
    if module is None:
        return
    folder = module.screenshot_dir()
    if any(folder.glob("*.png")):
        module.write_contact_sheet(folder)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """``item.call_failed``: whether the test itself failed (a fixture's teardown may ask)."""
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture(autouse=True)
def scratch_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "checkpoints"))
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    return tmp_path


@pytest.fixture
def tiny_images() -> torch.Tensor:
    """64 images of 1x8x8 with structure (blobs), so models can learn something in a second."""
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    centres = torch.rand(64, 2, generator=g) * 6 + 1
    d2 = (yy - centres[:, 0, None, None]) ** 2 + (xx - centres[:, 1, None, None]) ** 2
    return torch.exp(-d2 / 4).unsqueeze(1)


@pytest.fixture
def tiny_split(tiny_images) -> Split:
    return Split(tiny_images, torch.arange(64) % 10)
