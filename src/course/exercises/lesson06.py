"""Lesson 06 (06_discrete_latents): the nearest code with the straight-through trick, what EMA alone does,
how many codes even use reaches, and why unused codes stay unused."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise, explanation, prediction

LESSON = "06_discrete_latents"


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


def _by_dot(z: torch.Tensor, codebook: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Wrong: the largest dot product, not the smallest distance (codes of unequal length)."""
    indices = (z @ codebook.T).argmax(dim=1)
    return z + (codebook[indices] - z).detach(), indices


def _no_gradient(z: torch.Tensor, codebook: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Wrong: the codes themselves, with no straight-through path back to z."""
    indices = torch.cdist(z, codebook).argmin(dim=1)
    return codebook[indices], indices


def _moves_the_codebook(z: torch.Tensor, codebook: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Wrong: only z is detached, so the decoder's gradient also moves the codes."""
    indices = torch.cdist(z, codebook).argmin(dim=1)
    return z - z.detach() + codebook[indices], indices


EVEN_USE_CODES, EVEN_USE_IMAGES = 512, 1000
EVEN_USE = 1 - (1 - 1 / EVEN_USE_CODES) ** EVEN_USE_IMAGES  # the share of codes at least one image lands on

EXERCISES = [
    Exercise(
        "06-nearest-code", LESSON,
        "Write quantize(z, codebook): for each row of z the index of the nearest codebook row "
        "(Euclidean distance) and the code itself, returned as z + (z_q - z).detach() so that "
        "gradients pass straight through to z. Return (quantized, indices).",
        _check_quantize, quantize, mistakes=(_by_dot, _no_gradient, _moves_the_codebook)),
    prediction(
        "06-ema-alone", LESSON,
        "EMA alone (straight-through gradient, no other remedy) against the plain quantizer: will it "
        "use more of the codebook, about as much, or less?",
        "less",
        "With the straight-through gradient, EMA alone uses far less of the codebook than the plain "
        "quantizer. EMA sets each chosen code to the running mean of the encoder outputs that chose it, so "
        "the chosen codes keep up with their outputs at once and win even more often; a code that nothing "
        "chooses gets no update at all (an average of nothing does not move), so it never comes back. "
        "With the rotation trick in place of straight-through the same EMA keeps many "
        "more codes: the verdict is about EMA with straight-through.",
        choices=("more", "about as much", "less")),
    prediction(
        "06-even-use", LESSON,
        f"{EVEN_USE_CODES} codes are used perfectly evenly: each of {EVEN_USE_IMAGES:,} images lands on any "
        f"code with chance 1/{EVEN_USE_CODES}, independently. What share of the codes gets at least one image "
        "(a number between 0 and 1)?",
        round(EVEN_USE, 3),
        f"A given code is missed by one image with probability 1 - 1/{EVEN_USE_CODES}, by all "
        f"{EVEN_USE_IMAGES:,} with probability (1 - 1/{EVEN_USE_CODES})^{EVEN_USE_IMAGES} ≈ "
        f"e^(-{EVEN_USE_IMAGES}/{EVEN_USE_CODES}) ≈ {1 - EVEN_USE:.3f}. So on average only {EVEN_USE:.1%} of the "
        "codes get an image: with about two images per code, even a perfect codebook leaves about one code in "
        "seven without one. That is why usage on the 1,000 test images is lower than on the 3,500 training images, "
        "where the same sum gives 99.9%.",
        tolerance=0.03),
    explanation(
        "06-why-dead-stays-dead", LESSON,
        "The one-hot code of section 2 and the VQ-VAE's codebook both collapse: a few choices take "
        "everything. Why does a choice or a code that is never picked stay unpicked, and what do the "
        "remedies that worked (the usage penalty, dead-code restarts) do about it?",
        [("never picked", "never chosen", "not picked", "not chosen", "unused", "no image", "no output",
          "nothing", "dead"),
         ("gradient", "update", "pulled", "moved", "move", "learn", "train", "average", "mean"),
         ("penalty", "penalis", "penaliz", "restart", "even", "spread", "balance", "where the data")],
        "Only what is picked learns. A one-hot choice that no image picks gets little gradient, so its "
        "template stays bad and it keeps losing; a code that is nearest to no encoder output gets no codebook "
        "loss and no EMA update (an average of nothing does not move), while the picked ones move with the "
        "data and become nearest to even more outputs: the rich get richer, and nothing brings a dead one "
        "back. The usage penalty makes uneven use itself cost loss, so training spreads the batch over the "
        "choices; dead-code restarts move an unused code onto a recent encoder output, where the data is "
        "and where it is sure to be picked."),
]
