"""Lesson 06 (06_discrete_latents): the nearest code, with the straight-through trick."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise


def quantize(z: torch.Tensor, codebook: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace each row of ``z`` ``(N, d)`` by its nearest row of ``codebook`` ``(K, d)``;
    the gradient passes straight through to ``z``. Returns (quantized, indices)."""
    distances = torch.cdist(z, codebook)        # (N, K): distance of every row to every code
    indices = distances.argmin(dim=1)           # the nearest code of each row
    z_q = codebook[indices]                     # (N, d): the codes themselves
    return z + (z_q - z).detach(), indices      # value z_q, gradient of the identity


def _check_quantize(answer: Callable[..., Any]) -> None:
    g = torch.Generator().manual_seed(6)
    codebook = torch.randn(9, 4, generator=g) * torch.tensor([[0.3], [3.0]] * 4 + [[1.0]])  # codes of unequal length
    z = torch.randn(40, 4, generator=g) * 1.5
    want = ((z[:, None] - codebook[None]) ** 2).sum(-1).argmin(1)
    z_in, book_in = z.clone().requires_grad_(), codebook.clone().requires_grad_()
    got = answer(z_in, book_in)
    assert isinstance(got, tuple) and len(got) == 2, "return two things: (quantized, indices)"
    quantized, indices = got
    assert isinstance(quantized, torch.Tensor) and isinstance(indices, torch.Tensor), (
        "return torch tensors: (quantized, indices)")
    assert indices.shape == (40,), (f"indices should hold one code index per row of z, shape (40,), "
                                    f"got {tuple(indices.shape)}")
    assert quantized.shape == z.shape, f"quantized should have the shape of z {tuple(z.shape)}, got {tuple(quantized.shape)}"
    if not torch.equal(indices.long(), want):
        by_dot = (z @ codebook.T).argmax(1)
        farthest = ((z[:, None] - codebook[None]) ** 2).sum(-1).argmax(1)
        hint = ("that is the largest dot product, which is the nearest code only when all codes are "
                "equally long: compare distances" if torch.equal(indices.long(), by_dot) else
                "that is the farthest code: take the argmin of the distances" if torch.equal(indices.long(), farthest)
                else "compute the distance of every row of z to every code (torch.cdist) and take the "
                     "argmin over the codes (dim=1)")
        raise AssertionError(f"{int((indices.long() != want).sum())} of 40 rows chose another code than the nearest; {hint}")
    if torch.allclose(quantized.detach(), z):
        raise AssertionError("quantized is z itself: return the chosen codes, codebook[indices]")
    assert torch.allclose(quantized.detach(), codebook[want], atol=1e-5), (
        "quantized should equal the chosen codes, codebook[indices], in value")
    upstream = torch.randn(40, 4, generator=g)
    if quantized.requires_grad:
        (quantized * upstream).sum().backward()
    assert z_in.grad is not None and z_in.grad.abs().sum() > 0, (
        "no gradient reaches z: the lookup has none. Return z + (z_q - z).detach(): the value of "
        "z_q with the gradient of z (the straight-through trick)")
    assert torch.allclose(z_in.grad, upstream, atol=1e-5), (
        "the gradient should pass to z unchanged, as if quantizing were the identity: "
        "z + (z_q - z).detach()")
    assert book_in.grad is None or book_in.grad.abs().sum() == 0, (
        "the straight-through output should not move the codebook (the codebook loss does that): "
        "detach the whole difference, (z_q - z).detach()")
    assert torch.equal(z_in.detach(), z) and torch.equal(book_in.detach(), codebook), (
        "do not change z or the codebook in place")


EXERCISES = [
    Exercise(
        "06-nearest-code", "06_discrete_latents",
        "Write quantize(z, codebook): for each row of z the index of the nearest codebook row "
        "(Euclidean distance) and the code itself, returned as z + (z_q - z).detach() so that "
        "gradients pass straight through to z. Return (quantized, indices).",
        _check_quantize, quantize),
]
