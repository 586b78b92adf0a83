"""Lesson 08's variational autoencoder: its parts, its loss, sampling, interpolation, the widget."""

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from course import checkpoints, vae
from course.models import ConvAutoencoder
from course.train import fit, predict
from course.vae import ConvVAE, ELBOLoss, elbo_loss, elbo_terms


def tiny_vae(latent_dim: int = 3) -> ConvVAE:
    torch.manual_seed(0)
    return ConvVAE((1, 8, 8), latent_dim, channels=(4, 8))


def test_kl_matches_torch_distributions_and_is_zero_only_at_the_prior():
    g = torch.Generator().manual_seed(0)
    mean, log_var = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    want = kl_divergence(Normal(mean, (0.5 * log_var).exp()), Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(vae.kl_to_standard_normal(mean, log_var), want, atol=1e-5)
    assert torch.equal(vae.kl_to_standard_normal(torch.zeros(2, 3), torch.zeros(2, 3)), torch.zeros(2))
    assert (vae.kl_to_standard_normal(mean, log_var) > 0).all()


def test_reparameterise_has_the_right_moments_and_passes_gradients():
    torch.manual_seed(0)
    mean = torch.tensor([[1.5, -2.0]]).repeat(20000, 1).requires_grad_()
    log_var = torch.tensor([[math.log(0.25), math.log(4.0)]]).repeat(20000, 1).requires_grad_()
    z = vae.reparameterise(mean, log_var)
    assert torch.allclose(z.mean(0), torch.tensor([1.5, -2.0]), atol=0.05)
    assert torch.allclose(z.std(0), torch.tensor([0.5, 2.0]), atol=0.05)
    z.sum().backward()
    assert torch.equal(mean.grad, torch.ones_like(mean))  # dz/dmean = 1: the gradient goes through
    assert log_var.grad is not None and log_var.grad.abs().sum() > 0


def test_the_vae_has_the_usual_autoencoder_interface():
    model = tiny_vae().eval()
    x = torch.rand(6, 1, 8, 8)
    mean, log_var = model.encode_distribution(x)
    assert mean.shape == log_var.shape == (6, 3)
    assert torch.equal(model.encode(x), mean)
    out = model(x)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    assert torch.allclose(model.decode(mean), out)
    assert predict(model, x, method="encode").shape == (6, 3)
    assert model.config["bottleneck"] == 3
    with pytest.raises(ValueError, match="divisible by 4"):
        ConvVAE((1, 10, 10), 2)


def test_elbo_terms_are_bernoulli_nats_per_image_and_the_loss_weighs_kl_by_beta():
    model = tiny_vae().eval()
    x = (torch.rand(4, 1, 8, 8) > 0.5).float()
    torch.manual_seed(1)
    reconstruction, kl = elbo_terms(model, x)
    assert reconstruction.shape == kl.shape == (4,)
    # the same sample z again, by hand: -log p(x|z) under independent Bernoulli pixels
    torch.manual_seed(1)
    mean, log_var = model.encode_distribution(x)
    p = model.decode(vae.reparameterise(mean, log_var))
    by_hand = -(x * p.log() + (1 - x) * (1 - p).log()).flatten(1).sum(1)
    assert torch.allclose(reconstruction, by_hand, rtol=1e-4)
    assert torch.allclose(kl, vae.kl_to_standard_normal(mean, log_var))
    for beta in (0.0, 1.0, 4.0):
        torch.manual_seed(1)
        assert elbo_loss(model, x, beta=beta).item() == pytest.approx(
            (reconstruction + beta * kl).mean().item(), rel=1e-5)
        torch.manual_seed(1)
        assert ELBOLoss(beta)(model, x).item() == pytest.approx(
            (reconstruction + beta * kl).mean().item(), rel=1e-5)


def test_the_cache_tells_betas_apart_but_not_instances():
    assert checkpoints.source_hash(ELBOLoss(1.0)) == checkpoints.source_hash(ELBOLoss(1.0))
    assert checkpoints.source_hash(ELBOLoss(1.0)) != checkpoints.source_hash(ELBOLoss(4.0))
    assert "beta=4.0" in repr(ELBOLoss(4.0))


def test_fit_trains_a_vae_and_a_higher_beta_gives_a_lower_kl(tiny_images):
    results = {}
    for beta in (0.2, 5.0):
        model = tiny_vae()
        history = fit(model, tiny_images, val=tiny_images[:16], epochs=25, batch_size=16, lr=5e-3,
                      loss_fn=ELBOLoss(beta), progress=False)
        assert history.train_loss[-1] < history.train_loss[0]
        results[beta] = vae.elbo_split(model, tiny_images)
    (r_low, kl_low), (r_high, kl_high) = results[0.2], results[5.0]
    assert kl_high < kl_low and r_high > r_low


def test_elbo_split_is_repeatable_and_leaves_the_random_state_alone(tiny_images):
    model = tiny_vae()
    torch.manual_seed(5)
    state = torch.get_rng_state()
    first = vae.elbo_split(model, tiny_images, batch_size=10)
    assert torch.equal(torch.get_rng_state(), state)
    assert vae.elbo_split(model, tiny_images, batch_size=10) == pytest.approx(first, rel=1e-6)
    assert vae.elbo_split(model, tiny_images, batch_size=10, seed=1) != pytest.approx(first, rel=1e-6)
    assert model.training  # the mode is restored
    r, kl = first
    assert r > 0 and kl >= 0


def test_sample_prior_decodes_standard_normal_vectors():
    model = tiny_vae().eval()
    images = vae.sample_prior(model, 7, seed=3)
    assert images.shape == (7, 1, 8, 8)
    z = torch.randn(7, 3, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(images, model.decode(z).detach())
    assert torch.equal(images, vae.sample_prior(model, 7, seed=3))
    assert not torch.equal(images, vae.sample_prior(model, 7, seed=4))
    ae = ConvAutoencoder((1, 8, 8), 5, channels=(4, 4))
    assert vae.sample_prior(ae, 2).shape == (2, 1, 8, 8)  # a plain autoencoder: its bottleneck size


def test_sample_gaussian_like_matches_the_codes_mean_and_covariance():
    g = torch.Generator().manual_seed(0)
    mix = torch.tensor([[2.0, 0.0], [1.5, 0.5]])
    codes = torch.randn(5000, 2, generator=g) @ mix + torch.tensor([3.0, -1.0])
    samples = vae.sample_gaussian_like(codes, 20000, seed=1)
    assert samples.shape == (20000, 2)
    assert torch.allclose(samples.mean(0), codes.mean(0), atol=0.1)
    assert torch.allclose(torch.cov(samples.T), torch.cov(codes.T), rtol=0.1, atol=0.1)


def test_interpolate_starts_and_ends_at_the_reconstructions():
    model = tiny_vae().eval()
    x = torch.rand(2, 1, 8, 8)
    path = vae.interpolate(model, x[0], x[1], steps=5)
    assert path.shape == (5, 1, 8, 8)
    recon = model(x).detach()
    assert torch.allclose(path[0], recon[0], atol=1e-6) and torch.allclose(path[-1], recon[1], atol=1e-6)
    z = model.encode(x).detach()
    assert torch.allclose(path[2], model.decode(z.mean(0, keepdim=True)).detach()[0], atol=1e-6)


def test_latent_grid_covers_the_square_top_row_first():
    grid = vae.latent_grid(span=2.0, steps=3)
    assert grid.shape == (9, 2)
    assert grid[0].tolist() == [-2.0, 2.0] and grid[-1].tolist() == [2.0, -2.0]
    assert set(grid[:, 0].tolist()) == {-2.0, 0.0, 2.0}


def test_interpolation_slider_redraws_each_model_at_t():
    models = {"VAE": tiny_vae().eval(), "AE": ConvAutoencoder((1, 8, 8), 3, channels=(4, 4)).eval()}
    x = torch.rand(2, 1, 8, 8)
    w = vae.interpolation_slider(models, x[0], x[1], steps=10)
    (slider,) = w.controls
    assert len(w.figure.data) == 4
    assert np.allclose(np.asarray(w.figure.data[0].z), x[0, 0].numpy())
    assert np.allclose(np.asarray(w.figure.data[3].z), x[1, 0].numpy())
    before = np.array(w.figure.data[1].z)
    slider.value = 0.3
    for i, model in enumerate(models.values(), start=1):
        z = model.encode(x).detach()
        want = model.decode(0.7 * z[:1] + 0.3 * z[1:])[0, 0].detach().numpy()
        assert np.allclose(np.asarray(w.figure.data[i].z), want, atol=1e-5)
    assert not np.allclose(np.asarray(w.figure.data[1].z), before)
    assert "t = 0.30" in w.figure.layout.title.text
    assert "interactive widget" in repr(w)


def test_rate_distortion_figure_labels_each_beta():
    fig = vae.rate_distortion_figure([0.5, 1, 4], [30.0, 20.0, 8.0], [90.0, 100.0, 130.0])
    (trace,) = fig.data
    assert list(trace.x) == [30.0, 20.0, 8.0] and list(trace.text) == ["β=0.5", "β=1", "β=4"]


def _val_terms(model):
    r, kl = vae.elbo_split(model, torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(0)))
    torch.randn(100)  # a monitor may draw from the global generator: fit must not let that change training
    return {"val_reconstruction": r, "val_kl": kl}


def test_fit_monitor_records_each_epoch_is_cached_and_does_not_change_training(tiny_images):
    settings = dict(val=tiny_images[:16], epochs=4, batch_size=16, lr=5e-3, loss_fn=ELBOLoss(1.0),
                    progress=False)
    torch.manual_seed(0)
    plain = tiny_vae()
    fit(plain, tiny_images, **settings)
    torch.manual_seed(0)
    watched = tiny_vae()
    history = fit(watched, tiny_images, monitor=_val_terms, cache=True, **settings)
    assert set(history.extra) == {"val_reconstruction", "val_kl"}
    assert all(len(v) == 4 for v in history.extra.values())
    assert history.extra["val_kl"][-1] == pytest.approx(_val_terms(watched)["val_kl"], rel=1e-5)
    for a, b in zip(plain.state_dict().values(), watched.state_dict().values()):
        assert torch.equal(a, b)  # the monitor drew its own random numbers
    again = fit(tiny_vae(), tiny_images, monitor=_val_terms, cache=True, **settings)
    assert again.from_cache and again.extra == history.extra
    without = fit(tiny_vae(), tiny_images, cache=True, **settings)
    assert not without.from_cache and without.extra == {}  # a monitor is part of the cache key


# --- the exercise: the KL term by sampling -------------------------------------------------

def _kl_by_sample_no_gradient_path(mean, log_var, n_samples):
    q = Normal(mean, (0.5 * log_var).exp())
    z = q.sample((n_samples,))  # no path from z back to mean and log_var
    return (q.log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1).mean(0)


def _kl_with_std_exp_log_var(mean, log_var, n_samples):
    std = log_var.exp()  # wrong: that is the variance
    z = mean + std * torch.randn(n_samples, *mean.shape)
    return (Normal(mean, std).log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1).mean(0)


def _kl_mean_over_dimensions(mean, log_var, n_samples):
    std = (0.5 * log_var).exp()
    z = mean + std * torch.randn(n_samples, *mean.shape)
    return (Normal(mean, std).log_prob(z) - Normal(0.0, 1.0).log_prob(z)).mean(-1).mean(0)


@pytest.fixture
def kl_exercise():
    from course import exercises

    return exercises.get("08-monte-carlo-kl")


def test_the_exercise_reference_passes(kl_exercise, capsys):
    assert kl_exercise.check(kl_exercise.reference)
    assert "✓" in capsys.readouterr().out
    assert "mean + std * eps" in kl_exercise.solution().code


@pytest.mark.parametrize("wrong, hint", [
    (_kl_by_sample_no_gradient_path, "mean + std * eps"),
    (_kl_with_std_exp_log_var, "exp(log_var / 2)"),
    (_kl_mean_over_dimensions, "sum log-densities"),
    (lambda mean, log_var, n: vae.kl_to_standard_normal(mean, log_var), "closed form"),
    (lambda mean, log_var, n: vae.kl_to_standard_normal(mean, log_var).detach() + 0.01, "reparameterisation"),
    (lambda mean, log_var, n: torch.zeros(n, 6), "shape (6,)"),
    (lambda mean, log_var, n: np.zeros(6), "torch.Tensor"),
])
def test_wrong_answers_to_the_exercise_fail_with_a_hint(kl_exercise, capsys, wrong, hint):
    assert not kl_exercise.check(wrong)
    out = capsys.readouterr().out
    assert "✗" in out and hint in out, out


def test_elbo_curves_draw_the_loss_and_both_monitored_terms():
    from course.train import History

    h = History(train_loss=[3.0, 2.0], val_loss=[3.5, 2.5], extra={"reconstruction": [3.0, 2.2],
                                                                      "KL": [0.5, 0.3]})
    fig = vae.elbo_curves(h)
    assert [t.name for t in fig.data] == ["loss (train)", "loss (val)", "reconstruction (val)", "KL (val)"]
    assert list(fig.data[3].y) == [0.5, 0.3] and fig.data[3].xaxis == "x2"
    assert len(vae.elbo_curves(History(train_loss=[1.0])).data) == 1
