"""Lesson 02's noise models, PSNR and denoising loss (course.noise)."""

import math

import pytest
import torch

from course import checkpoints, noise
from course.models import ConvAutoencoder
from course.train import fit, reconstruction_loss


@pytest.fixture
def images() -> torch.Tensor:
    return torch.rand(200, 1, 8, 8, generator=torch.Generator().manual_seed(1))


# --- the noise models ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(noise.NOISES))
def test_noise_keeps_shape_range_and_dtype(images, kind):
    out = noise.corrupt(images, kind, 0.5, 0)
    assert out.shape == images.shape and out.dtype == images.dtype
    assert out.min() >= 0 and out.max() <= 1
    assert not torch.equal(out, images)


@pytest.mark.parametrize("kind", list(noise.NOISES))
def test_level_zero_changes_nothing(images, kind):
    assert torch.equal(noise.corrupt(images, kind, 0.0, 0), images)


@pytest.mark.parametrize("kind", list(noise.NOISES))
def test_a_seed_or_a_generator_repeats_the_noise_and_another_seed_does_not(images, kind):
    a = noise.corrupt(images, kind, 0.3, 7)
    b = noise.corrupt(images, kind, 0.3, torch.Generator().manual_seed(7))
    c = noise.corrupt(images, kind, 0.3, 8)
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("kind", list(noise.NOISES))
def test_a_generator_advances(images, kind):
    g = torch.Generator().manual_seed(0)
    assert not torch.equal(noise.corrupt(images, kind, 0.3, g), noise.corrupt(images, kind, 0.3, g))


def test_gaussian_noise_has_the_asked_spread_before_clipping():
    mid = torch.full((100, 1, 28, 28), 0.5)
    out = noise.gaussian(mid, 0.1, 0)  # 0.5 +- 5 sigma stays inside [0, 1]: no clipping
    assert (out - mid).std().item() == pytest.approx(0.1, rel=0.02)
    assert (out - mid).mean().item() == pytest.approx(0.0, abs=0.002)


def test_gaussian_noise_is_clipped_to_the_pixel_range():
    black = torch.zeros(100, 1, 28, 28)
    out = noise.gaussian(black, 0.5, 0)
    assert out.min() == 0 and (out == 0).float().mean().item() == pytest.approx(0.5, abs=0.01)


def test_masking_drops_a_fraction_p_and_keeps_the_rest_exactly():
    ones = torch.ones(100, 1, 28, 28)
    for p in (0.1, 0.5, 0.9):
        out = noise.masking(ones, p, 0)
        assert set(out.unique().tolist()) <= {0.0, 1.0}
        assert (out == 0).float().mean().item() == pytest.approx(p, abs=0.01)
    x = torch.rand(10, 1, 28, 28)
    out = noise.masking(x, 0.5, 0)
    kept = out != 0
    assert torch.equal(out[kept], x[kept])


def test_masking_with_p_one_drops_everything(images):
    assert torch.count_nonzero(noise.masking(images, 1.0, 0)) == 0


def test_salt_and_pepper_hits_a_fraction_p_half_white_half_black():
    grey = torch.full((100, 1, 28, 28), 0.5)
    out = noise.salt_and_pepper(grey, 0.4, 0)
    assert (out != 0.5).float().mean().item() == pytest.approx(0.4, abs=0.01)
    assert (out == 1).float().mean().item() == pytest.approx(0.2, abs=0.01)
    assert (out == 0).float().mean().item() == pytest.approx(0.2, abs=0.01)


@pytest.mark.parametrize("kind", list(noise.NOISES))
def test_one_level_per_image(images, kind):
    levels = torch.tensor([0.0, 0.6]).repeat(100)
    out = noise.corrupt(images, kind, levels, 0)
    assert torch.equal(out[0::2], images[0::2])
    assert not torch.equal(out[1::2], images[1::2])
    assert torch.equal(out[1::2], noise.corrupt(images, kind, 0.6, 0)[1::2])
    with pytest.raises(ValueError, match="one level per image"):
        noise.corrupt(images, kind, torch.tensor([0.1, 0.2]), 0)


def test_the_same_seed_gives_nested_masks_across_levels(images):
    low, high = noise.masking(images, 0.2, 3), noise.masking(images, 0.6, 3)
    assert torch.all((low == 0) <= (high == 0) | (images == 0))


def test_unknown_noise_model():
    with pytest.raises(KeyError, match="gaussian"):
        noise.corrupt(torch.zeros(1, 1, 4, 4), "speckle", 0.1)


# --- PSNR -----------------------------------------------------------------------------------

def test_psnr_is_per_image_and_in_decibels():
    clean = torch.zeros(3, 1, 4, 4)
    other = torch.stack([torch.full((1, 4, 4), v) for v in (0.1, 0.5, 1.0)])
    assert noise.psnr(clean, other).tolist() == pytest.approx([20.0, 10 * math.log10(4), 0.0], abs=1e-4)


def test_psnr_of_an_exact_copy_is_capped_not_infinite(images):
    assert noise.psnr(images, images).tolist() == pytest.approx([100.0] * len(images))


def test_psnr_matches_the_lesson_figure_for_gaussian_noise():
    """Mostly-black digits: clipping halves the noise energy, so sigma 0.5 gives ~9 dB, not 6."""
    black = torch.zeros(50, 1, 28, 28)
    value = noise.psnr(black, noise.gaussian(black, 0.5, 0)).mean().item()
    assert 8.5 < value < 10.0


# --- the denoising loss ---------------------------------------------------------------------

def test_denoising_loss_mixes_noise_models_and_levels_per_image():
    loss = noise.DenoisingLoss({"masking": 0.9, "salt and pepper": 0.9}, seed=0)
    grey = torch.full((400, 1, 8, 8), 0.5)
    out = loss.corrupt(grey)
    black_or_white = ((out == 0) | (out == 1)).flatten(1)
    salted = (out == 1).flatten(1).any(1)  # only salt and pepper makes white pixels
    assert 0.35 < salted.float().mean().item() < 0.65
    hit = black_or_white.float().mean(1)
    assert hit.min() < 0.15 and hit.max() > 0.75  # levels vary from image to image
    assert hit.max() <= 1.0 and (out == 0.5).any()


def test_denoising_loss_targets_the_clean_images():
    class Echo(torch.nn.Module):  # returns its input: the loss is then noisy vs clean
        def forward(self, x):
            return x

    x = torch.full((64, 1, 8, 8), 0.5)
    assert noise.DenoisingLoss({"gaussian": 0.5})(Echo(), x) > 0.01
    assert reconstruction_loss(Echo(), x) == 0


def test_denoising_loss_is_reproducible_from_its_seed(images):
    a, b = noise.DenoisingLoss({"gaussian": 0.5}, seed=3), noise.DenoisingLoss({"gaussian": 0.5}, seed=3)
    assert torch.equal(a.corrupt(images), b.corrupt(images))
    assert not torch.equal(a.corrupt(images), noise.DenoisingLoss({"gaussian": 0.5}, seed=4).corrupt(images))


def test_denoising_loss_rejects_unknown_noise():
    with pytest.raises(ValueError, match="gaussian"):
        noise.DenoisingLoss({"blur": 0.5})
    with pytest.raises(ValueError):
        noise.DenoisingLoss({})


def test_each_denoising_setting_has_its_own_checkpoint_key():
    same = [checkpoints.source_hash(noise.DenoisingLoss({"gaussian": 0.5}, seed=0)) for _ in range(2)]
    others = {checkpoints.source_hash(noise.DenoisingLoss({"gaussian": 0.6}, seed=0)),
              checkpoints.source_hash(noise.DenoisingLoss({"gaussian": 0.5}, seed=1)),
              checkpoints.source_hash(noise.DenoisingLoss({"masking": 0.5}, seed=0)),
              checkpoints.source_hash(reconstruction_loss)}
    assert same[0] == same[1] and same[0] not in others and len(others) == 4


def test_fit_with_the_denoising_loss_learns_to_denoise(tiny_images):
    torch.manual_seed(0)
    model = ConvAutoencoder((1, 8, 8), 8, channels=(8, 8))
    noisy = noise.gaussian(tiny_images, 0.3, 0)
    before = noise.psnr(tiny_images, model.eval()(noisy).detach()).mean()
    history = fit(model, tiny_images, epochs=30, batch_size=16, lr=1e-2,
                  loss_fn=noise.DenoisingLoss({"gaussian": 0.4}), progress=False, device="cpu")
    after = noise.psnr(tiny_images, model(noisy).detach()).mean()
    assert history.train_loss[-1] < history.train_loss[0]
    assert after > before + 3


# --- the lesson's exercise: write the masking noise ----------------------------------------

@pytest.fixture
def exercise():
    from course import exercises

    return exercises.get("02-masking-noise")


def test_the_exercise_reference_passes_and_is_the_lessons_masking_noise(exercise, capsys, images):
    assert exercise.check(exercise.reference)
    assert "✓" in capsys.readouterr().out
    for p in (0.3, 0.7):
        assert torch.equal(exercise.reference(images, p, torch.Generator().manual_seed(5)),
                           noise.masking(images, p, torch.Generator().manual_seed(5)))
    assert "torch.rand" in exercise.solution().code


def test_the_unattempted_exercise_is_reported(exercise, capsys):
    def stub(images, p, generator):
        raise NotImplementedError

    assert not exercise.check(stub)
    assert "not attempted yet" in capsys.readouterr().out


def _in_place(images, p, generator):
    images[torch.rand(images.shape, generator=generator) < p] = 0
    return images


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, p, g: x * (torch.rand(x.shape, generator=g) < p), "kept a fraction p"),
    (lambda x, p, g: x * (torch.rand(x.shape, generator=g) >= p) / max(1 - p, 1e-6), "no rescaling"),
    (lambda x, p, g: x * (torch.rand(len(x), 1, 1, 1, generator=g) >= p), "whole images"),
    (lambda x, p, g: x * (torch.rand(x.shape[1:], generator=g) >= p), "same mask"),
    (lambda x, p, g: x * (torch.rand(x.shape) >= p), "generator"),
    (lambda x, p, g: x * (torch.rand(x.shape, generator=g) >= p / 2), "probability p"),
    (lambda x, p, g: (x * (torch.rand(x.shape, generator=g) >= p))[:, 0], "shape"),
    (lambda x, p, g: (x * (torch.rand(x.shape, generator=g) >= p)).numpy(), "torch.Tensor"),
    (_in_place, "in place"),
])
def test_wrong_masking_noise_fails_with_a_hint(exercise, capsys, wrong, hint):
    assert not exercise.check(wrong)
    out = capsys.readouterr().out
    assert "✗" in out and hint in out, out


def test_the_noise_mix_parameter_rule():
    rule = noise.noise_mix()
    assert rule({"gaussian": 0.7, "salt and pepper": 1})
    for bad in ({}, {"blur": 0.5}, {"gaussian": 0.0}, {"masking": 1.5}, {"masking": "0.5"},
                [("gaussian", 0.5)], None):
        assert not rule(bad), bad
    assert "'salt and pepper'" in rule.accepts
