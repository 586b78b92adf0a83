"""Lesson 09's rate-distortion curves: frontiers, reading curves at a rate or a quality, figure, widget."""

import math

import pytest
import torch

from course.rate_distortion import at_rate, frontier, rate_at, rate_explorer, rd_figure, savings

POINTS = [{"bpp": 1.0, "psnr": 20.0, "ssim": 0.5}, {"bpp": 2.0, "psnr": 24.0, "ssim": 0.7},
          {"bpp": 1.5, "psnr": 19.0, "ssim": 0.9},  # beaten: more bits, less PSNR than the first
          {"bpp": 3.0, "psnr": 26.0, "ssim": 0.8}]


def test_frontier_drops_beaten_points_and_sorts_by_rate():
    assert [p["bpp"] for p in frontier(POINTS)] == [1.0, 2.0, 3.0]
    assert [p["bpp"] for p in frontier(POINTS, "ssim")] == [1.0, 1.5]


def test_curves_are_read_by_interpolation_and_never_extrapolated():
    assert at_rate(POINTS, 1.5) == pytest.approx(22.0)
    assert at_rate(POINTS, 2.5, "ssim") == pytest.approx(0.75)
    assert math.isnan(at_rate(POINTS, 0.5)) and math.isnan(at_rate(POINTS, 3.5))
    assert rate_at(POINTS, 22.0) == pytest.approx(1.5)
    assert math.isnan(rate_at(POINTS, 30.0))


def test_savings_compare_bits_at_equal_psnr():
    better = [{"bpp": 0.5, "psnr": 20.0}, {"bpp": 1.0, "psnr": 24.0}, {"bpp": 2.0, "psnr": 30.0}]
    assert savings(better, POINTS) == pytest.approx([2.0, 2.0])  # 30 dB is beyond POINTS: left out


def test_rd_figure_has_one_line_per_codec():
    fig = rd_figure({"a": POINTS, "b": POINTS[:2]}, dashed=["b"], max_bpp=2.5)
    assert [t.name for t in fig.data] == ["a", "b"]
    assert list(fig.data[0].x) == [1.0, 2.0] and fig.data[1].line.dash == "dash"


def test_rate_explorer_shows_each_codec_within_the_budget():
    original = torch.zeros(1, 4, 4)
    options = {"a": [(10, torch.full((1, 4, 4), 0.5)), (30, torch.full((1, 4, 4), 0.1))],
               "b": [(50, torch.full((1, 4, 4), 0.2))]}
    widget = rate_explorer(original, options, budgets=[8, 20, 40])
    slider = widget.controls[0]
    assert slider.value == 20
    assert widget.figure.data[1].z[0][0] == pytest.approx(0.5)
    assert "over budget" in widget.figure.layout.annotations[2].text  # b's cheapest is 50 bytes
    slider.value = 40
    assert widget.figure.data[1].z[0][0] == pytest.approx(0.1)  # a's better setting now fits
    assert "30 B" in widget.figure.layout.annotations[1].text
    slider.value = 8
    assert "over budget" in widget.figure.layout.annotations[1].text
