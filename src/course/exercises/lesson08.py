"""Lesson 08 (08_vae): the reparameterisation trick and the KL term, the KL by sampling, and
posterior collapse (predict, explain)."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise, explanation, prediction
from course.vae import kl_to_standard_normal

LESSON = "08_vae"


def kl_monte_carlo(mean: torch.Tensor, log_var: torch.Tensor, n_samples: int) -> torch.Tensor:
    """Estimate ``KL(N(mean, exp(log_var)) || N(0, I))`` per row by sampling, keeping gradients."""
    from torch.distributions import Normal

    std = torch.exp(0.5 * log_var)
    eps = torch.randn(n_samples, *mean.shape)      # (n_samples, N, k), independent of mean and std
    z = mean + std * eps                           # the reparameterisation trick
    log_q = Normal(mean, std).log_prob(z).sum(-1)  # log q(z|x), summed over the latent dimensions
    log_p = Normal(0.0, 1.0).log_prob(z).sum(-1)   # log p(z) under the prior N(0, I)
    return (log_q - log_p).mean(0)                 # average over the samples: (N,)


def _check_kl_monte_carlo(answer: Callable[..., Any]) -> None:
    g = torch.Generator().manual_seed(8)
    mean = (torch.randn(6, 3, generator=g) * 0.8).requires_grad_()
    log_var = (torch.rand(6, 3, generator=g) * 2.5 - 2.0).requires_grad_()
    exact = 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var).sum(1).detach()
    torch.manual_seed(0)
    got = answer(mean, log_var, 20000)
    assert isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}"
    assert got.shape == (6,), (f"return one estimate per row, shape (6,), got {tuple(got.shape)}: "
                               "sum over the latent dimensions, average over the samples")
    assert got.requires_grad, ("no gradient reaches mean and log_var: draw eps ~ N(0, I) and use "
                               "z = mean + std * eps (the reparameterisation trick), not .sample() or torch.normal")
    error = (got.detach().double() - exact.double()).abs().max().item()
    if error > 0.05 + 0.03 * exact.abs().max().item():
        per_dim = (got.detach() * 3 - exact).abs().max().item() < 0.05 + 0.1 * exact.abs().max().item()
        hint = ("it looks like the mean over the latent dimensions: sum log-densities over them" if per_dim
                else "log_var is log σ²: the standard deviation is exp(log_var / 2); and the estimate "
                     "is the average of log q(z|x) - log p(z) at samples z of q")
        raise AssertionError(f"the estimates differ from the exact KL by up to {error:.3g} nats; {hint}")
    torch.manual_seed(1)
    again = answer(mean.detach(), log_var.detach(), 200)
    if torch.allclose(again.detach().double(), exact.double(), atol=1e-6):
        raise AssertionError("that is the closed form, exactly: estimate it by sampling z instead")
    mean.grad = log_var.grad = None
    torch.manual_seed(2)
    answer(mean, log_var, 20000).sum().backward()
    assert mean.grad is not None and log_var.grad is not None, "no gradient reaches mean and log_var"
    # d KL / d mean = mean; d KL / d log_var = (exp(log_var) - 1) / 2
    grad_error = max((mean.grad - mean.detach()).abs().max().item(),
                     (log_var.grad - 0.5 * (log_var.detach().exp() - 1)).abs().max().item())
    assert grad_error < 0.1, (f"the gradients are off by up to {grad_error:.3g}: "
                              "z must be mean + std * eps so that they flow through the sample")


def _kl_monte_carlo_without_trick(mean: torch.Tensor, log_var: torch.Tensor, n_samples: int) -> torch.Tensor:
    """A typical slip: z drawn with .sample(), so no gradient reaches mean and log_var."""
    from torch.distributions import Normal

    q = Normal(mean, torch.exp(0.5 * log_var))
    z = q.sample((n_samples,))
    return (q.log_prob(z).sum(-1) - Normal(0.0, 1.0).log_prob(z).sum(-1)).mean(0)


def _kl_monte_carlo_variance_as_std(mean: torch.Tensor, log_var: torch.Tensor, n_samples: int) -> torch.Tensor:
    """A typical slip: exp(log_var) taken for the standard deviation."""
    from torch.distributions import Normal

    std = torch.exp(log_var)
    z = mean + std * torch.randn(n_samples, *mean.shape)
    return (Normal(mean, std).log_prob(z).sum(-1) - Normal(0.0, 1.0).log_prob(z).sum(-1)).mean(0)


# --- the reparameterisation trick and the KL term ----------------------------------------------

def sample_and_kl(mean: torch.Tensor, log_var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A sample z of N(mean, exp(log_var)) that gradients can pass, and KL(q || N(0, I)) per row."""
    std = torch.exp(0.5 * log_var)                # log_var is log σ², so σ = exp(log_var / 2)
    eps = torch.randn_like(std)                   # the randomness, independent of the network
    z = mean + std * eps                          # differentiable in mean and log_var
    kl = 0.5 * (mean ** 2 + log_var.exp() - 1 - log_var).sum(dim=1)   # closed form, summed over dims
    return z, kl


def _check_sample_and_kl(answer: Callable[..., Any]) -> None:
    g = torch.Generator().manual_seed(80)
    mean = torch.randn(5, 4, generator=g)
    log_var = torch.rand(5, 4, generator=g) * 3 - 2
    got = answer(mean.clone().requires_grad_(), log_var.clone().requires_grad_())
    assert isinstance(got, tuple) and len(got) == 2, "return two tensors: (z, kl)"
    z, kl = got
    assert isinstance(z, torch.Tensor) and isinstance(kl, torch.Tensor), "return torch tensors"
    assert z.shape == mean.shape, f"z has the shape of mean, {tuple(mean.shape)}; got {tuple(z.shape)}"
    assert kl.shape == (5,), (f"one KL per row, shape (5,), got {tuple(kl.shape)}: "
                              "sum over the latent dimensions, not over the batch")
    want = kl_to_standard_normal(mean, log_var)  # the lesson's own KL term
    if not torch.allclose(kl.detach().float(), want, rtol=1e-4, atol=1e-5):
        per_term = 0.5 * (mean ** 2 + log_var.exp() - 1 - log_var)
        if torch.allclose(kl.detach(), 2 * want, rtol=1e-4):
            hint = "twice the KL: the closed form has a factor 1/2"
        elif torch.allclose(kl.detach(), per_term.mean(1), rtol=1e-4):
            hint = "that is the mean over the latent dimensions: the KL is their sum"
        elif torch.allclose(kl.detach(), want + 0.5 * mean.shape[1], rtol=1e-4):
            hint = "the '- 1' per dimension is missing: KL is 0 when mean = 0 and var = 1"
        elif torch.allclose(kl.detach(), 0.5 * (mean ** 2 + (2 * log_var).exp() - 1 - log_var).sum(1), rtol=1e-4):
            hint = "log_var is log σ², so the variance is exp(log_var), not exp(2 log_var)"
        else:
            hint = "per dimension the KL is (mean² + exp(log_var) - 1 - log_var) / 2; sum them per row"
        raise AssertionError(f"the KL differs from the lesson's (by up to "
                             f"{(kl.detach() - want).abs().max():.3g} nats); {hint}")
    # z: the right distribution, and the reparameterisation trick (gradients pass through it)
    many_mean = mean[:1].repeat(20000, 1).requires_grad_()
    many_log_var = log_var[:1].repeat(20000, 1).requires_grad_()
    torch.manual_seed(0)
    z, _ = answer(many_mean, many_log_var)
    std = torch.exp(0.5 * log_var[0])
    assert z.requires_grad, ("no gradient can reach mean and log_var: write z = mean + std * eps with "
                             "eps = torch.randn_like(std) (the reparameterisation trick), not a sample drawn "
                             "from N(mean, std) directly")
    z.sum().backward()
    if many_mean.grad is None or not torch.allclose(many_mean.grad, torch.ones_like(many_mean)):
        raise AssertionError("dz/dmean should be 1 for every sample: z = mean + std * eps (is the sample "
                             "drawn with torch.normal or .sample(), which pass no gradient?)")
    spread = z.detach().std(0)
    if not torch.allclose(spread, std, rtol=0.05):
        if torch.allclose(spread, std ** 2, rtol=0.05):
            hint = "z spreads by exp(log_var), the variance: the standard deviation is exp(log_var / 2)"
        elif torch.allclose(spread, torch.ones_like(std), rtol=0.05):
            hint = "z spreads by 1 whatever log_var says: multiply the noise by std = exp(log_var / 2)"
        else:
            hint = "z should spread by std = exp(log_var / 2) around mean"
        show = lambda t: ", ".join(f"{v:.2f}" for v in t.tolist())  # noqa: E731
        raise AssertionError(f"{hint} (spread {show(spread)}; want {show(std)})")
    assert torch.allclose(z.detach().mean(0), mean[0], atol=0.05), "z should be centred on mean"
    eps = (z.detach() - many_mean.detach()) / std
    assert torch.allclose(many_log_var.grad, 0.5 * std * eps, atol=1e-4), (
        "dz/dlog_var should be std * eps / 2: compute std from log_var inside the function, "
        "std = torch.exp(0.5 * log_var)")
    torch.manual_seed(1)
    z1, _ = answer(mean, log_var)
    torch.manual_seed(2)
    z2, _ = answer(mean, log_var)
    assert not torch.allclose(z1.detach(), z2.detach()), "z should be random: draw fresh eps each call"


def _sample_without_trick(mean, log_var):
    """A typical slip: sampling from N(mean, std) directly, which passes no gradient."""
    z = torch.normal(mean.detach(), torch.exp(0.5 * log_var.detach()))
    return z, kl_to_standard_normal(mean, log_var)


def _sample_variance_as_std(mean, log_var):
    """A typical slip: exp(log_var) used as the standard deviation."""
    return mean + torch.exp(log_var) * torch.randn_like(mean), kl_to_standard_normal(mean, log_var)


def _kl_without_half(mean, log_var):
    """A typical slip: the closed form without its factor 1/2."""
    z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
    return z, (mean ** 2 + log_var.exp() - 1 - log_var).sum(dim=1)


def _kl_mean_over_dims(mean, log_var):
    """A typical slip: averaging the KL over the latent dimensions instead of summing."""
    z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
    return z, 0.5 * (mean ** 2 + log_var.exp() - 1 - log_var).mean(dim=1)


EXERCISES = [
    prediction(
        "08-how-many-dimensions-survive", LESSON,
        "A VAE with 16 latent dimensions is trained with the KL weight beta = 100 for a few epochs. "
        "How many of its dimensions carry more than 0.1 nats of KL per test image?",
        "none",
        "At beta = 100 each nat of information in the code costs 100 nats of loss, and no nat buys back "
        "that much reconstruction: the cheapest code says nothing. Every dimension's KL falls to about "
        "0.001 nats, the encoder outputs N(0, I) for every image, and the decoder learns to ignore z: "
        "posterior collapse.",
        choices=("all 16", "about half", "one or two", "none")),
    Exercise(
        "08-monte-carlo-kl", LESSON,
        "Write kl_monte_carlo(mean, log_var, n_samples): draw z = mean + std * eps with the "
        "reparameterisation trick and average log q(z|x) - log p(z) over the samples, one number per row.",
        _check_kl_monte_carlo, kl_monte_carlo,
        mistakes=(_kl_monte_carlo_without_trick, _kl_monte_carlo_variance_as_std)),
    Exercise(
        "08-sample-and-kl", LESSON,
        "Write sample_and_kl(mean, log_var): a sample z = mean + std * eps of N(mean, exp(log_var)) "
        "that gradients can pass (the reparameterisation trick), and the closed-form KL(q || N(0, I)) "
        "of each row, in nats.",
        _check_sample_and_kl, sample_and_kl,
        mistakes=(_sample_without_trick, _sample_variance_as_std, _kl_without_half, _kl_mean_over_dims)),
    explanation(
        "08-why-collapse", LESSON,
        "A VAE trained with a very large KL weight draws the same image whatever it is given. Why is that "
        "image the best its decoder can do, and why does its encoder end up saying nothing?",
        [("kl", "rate", "price", "cost", "information", "nats"),
         ("prior", "n(0", "nothing", "no information", "ignore", "same", "independent"),
         ("average", "mean", "blur", "typical")],
        "The KL term charges beta nats for every nat of information the code carries about the image. "
        "With beta large, no nat of code buys back that much reconstruction, so the loss is lowest when "
        "q(z|x) equals the prior N(0, I) for every image: KL = 0, and z carries no information. A decoder "
        "that cannot learn anything about the input from z can only output the image that minimises the "
        "expected reconstruction error over all inputs: a blurred average digit. That is posterior "
        "collapse: not a bug of training but the optimum of a loss that prices information too high."),
]
