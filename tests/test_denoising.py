"""Lesson 02's sweep, chart and noise-level widget (course.denoising), tested headless."""

import numpy as np
import pytest
import torch

from course import denoising, noise
from course.plots import tile


@pytest.fixture
def clean(tiny_images) -> torch.Tensor:
    return tiny_images[:6]


def blur(x: torch.Tensor) -> torch.Tensor:
    """A crude denoiser: average each pixel with its neighbours."""
    return torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


def test_sweep_measures_every_denoiser_on_the_same_noisy_images(tiny_images):
    levels = [0.1, 0.3, 0.6]
    seen = []

    def spy(x):
        seen.append(x.clone())
        return x

    sweep = denoising.psnr_sweep(tiny_images, {"copy": spy, "oracle": lambda x: tiny_images,
                                               "blur": blur}, "gaussian", levels, seed=4)
    assert list(sweep) == [denoising.NOISY, "copy", "oracle", "blur"]
    assert all(len(v) == len(levels) for v in sweep.values())
    assert sweep["copy"] == pytest.approx(sweep[denoising.NOISY])
    assert sweep["oracle"] == pytest.approx([100.0] * 3)
    noisy = sweep[denoising.NOISY]
    assert noisy[0] > noisy[1] > noisy[2]
    expected = noise.psnr(tiny_images, noise.gaussian(tiny_images, 0.6, 4)).mean().item()
    assert noisy[2] == pytest.approx(expected)
    assert torch.equal(seen[2], noise.gaussian(tiny_images, 0.6, 4))
    assert sweep["blur"][2] > noisy[2]  # averaging removes some strong Gaussian noise


def test_curves_have_one_panel_per_noise_and_mark_the_training_range():
    levels = [0.1, 0.5]
    sweeps = {kind: {denoising.NOISY: [10.0, 5.0], "DAE": [20.0, 15.0]} for kind in ("gaussian", "masking")}
    fig = denoising.psnr_curves(levels, sweeps, trained_up_to={"gaussian": 0.7})
    assert len(fig.data) == 4
    assert [t.showlegend for t in fig.data] == [True, True, False, False]
    assert fig.data[3].xaxis == "x2" and list(fig.data[3].y) == [20.0, 15.0]
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].x0 == 0.7


def test_explorer_redraws_noisy_and_denoised_rows_with_their_psnr(clean):
    w = denoising.noise_explorer(clean, {"blur": blur, "copy": lambda x: x}, seed=2)
    menu, slider = w.controls
    fig = w.figure
    assert [a.text.split(":")[0] for a in fig.layout.annotations] == ["clean", denoising.NOISY, "blur", "copy"]
    assert np.allclose(np.asarray(fig.data[0].z), tile(clean, len(clean)))

    menu.value = "masking"
    slider.value = 0.8
    noisy = noise.masking(clean, 0.8, 2)
    assert np.allclose(np.asarray(fig.data[1].z), tile(noisy, len(clean)))
    assert np.allclose(np.asarray(fig.data[2].z), tile(blur(noisy), len(clean)))
    assert np.allclose(np.asarray(fig.data[3].z), np.asarray(fig.data[1].z))
    value = noise.psnr(clean, noisy).mean().item()
    assert fig.layout.annotations[1].text == f"{denoising.NOISY}: {value:.1f} dB"
    assert fig.layout.annotations[3].text == f"copy: {value:.1f} dB"
    assert fig.layout.title.text.startswith("masking, p = 0.80")

    before = np.asarray(fig.data[1].z).copy()
    slider.value = 0.2
    assert not np.allclose(np.asarray(fig.data[1].z), before)
    slider.value = 0.8  # same seed: moving back gives the same picture
    assert np.allclose(np.asarray(fig.data[1].z), before)
    assert "interactive widget" in repr(w)


def test_explorer_starts_at_the_given_level_and_offers_the_chosen_noises(clean):
    w = denoising.noise_explorer(clean, {}, kinds=["salt and pepper", "gaussian"], level=0.3, seed=0)
    menu, slider = w.controls
    assert list(menu.options) == ["salt and pepper", "gaussian"] and slider.value == 0.3
    assert np.allclose(np.asarray(w.figure.data[1].z),
                       tile(noise.salt_and_pepper(clean, 0.3, 0), len(clean)))


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_explorer_denoises_on_one_thread(clean, two_threads):
    threads = []
    w = denoising.noise_explorer(clean, {"spy": lambda x: threads.append(torch.get_num_threads()) or x})
    w.controls[1].value = 0.1
    assert threads == [1, 1] and torch.get_num_threads() == 2
