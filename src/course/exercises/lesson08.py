"""Lesson 08 (08_vae): the KL term by sampling, with the reparameterisation trick."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise


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


EXERCISES = [
    Exercise(
        "08-monte-carlo-kl", "08_vae",
        "Write kl_monte_carlo(mean, log_var, n_samples): draw z = mean + std * eps with the "
        "reparameterisation trick and average log q(z|x) - log p(z) over the samples, one number per row.",
        _check_kl_monte_carlo, kl_monte_carlo),
]
