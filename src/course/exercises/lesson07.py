"""Lesson 07 (07_text_as_code): what the discriminator calls real, REINFORCE with a baseline, why a code is private."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise, explanation, prediction
from course.seq2seq2seq import reinforce

LESSON = "07_text_as_code"


def reinforce_loss(log_prob: torch.Tensor, reward: torch.Tensor, samples: int) -> torch.Tensor:
    """REINFORCE with the other samples of the same document as the baseline (the lesson's ``reinforce``)."""
    reward = reward.detach().view(-1, samples)                        # one row per document
    others = (reward.sum(1, keepdim=True) - reward) / (samples - 1)  # mean of the other samples
    advantage = (reward - others).flatten()
    advantage = advantage / (advantage.std() + 1e-6)                 # one scale, whatever the units
    return -(advantage * log_prob).mean()                             # minimise: raise the good ones


def _no_baseline(log_prob: torch.Tensor, reward: torch.Tensor, samples: int) -> torch.Tensor:
    advantage = reward.detach() / (reward.detach().std() + 1e-6)
    return -(advantage * log_prob).mean()


def _batch_baseline(log_prob: torch.Tensor, reward: torch.Tensor, samples: int) -> torch.Tensor:
    advantage = reward.detach() - reward.detach().mean()
    advantage = advantage / (advantage.std() + 1e-6)
    return -(advantage * log_prob).mean()


def _wrong_sign(log_prob: torch.Tensor, reward: torch.Tensor, samples: int) -> torch.Tensor:
    return -reinforce(log_prob, reward, samples)


def _check_reinforce(answer: Callable[..., Any]) -> None:
    g = torch.Generator().manual_seed(7)
    samples = 4
    logits = torch.randn(6 * samples, generator=g, requires_grad=True)
    log_prob = torch.nn.functional.logsigmoid(logits)
    reward = torch.randn(6 * samples, generator=g) * 3 + 10  # rewards far from zero: a baseline matters
    got = answer(log_prob, reward.clone(), samples)
    assert isinstance(got, torch.Tensor) and got.dim() == 0, "return one number (a 0-dimensional tensor): the loss"
    want = reinforce(log_prob, reward, samples)
    grad_got, = torch.autograd.grad(got, logits, retain_graph=True)
    grad_want, = torch.autograd.grad(want, logits, retain_graph=True)
    if torch.allclose(got, want, atol=1e-5) and torch.allclose(grad_got, grad_want, atol=1e-6):
        trainable = reward.clone().requires_grad_(True)
        loss = answer(log_prob.detach(), trainable, samples)
        if loss.requires_grad:
            grad, = torch.autograd.grad(loss, trainable, allow_unused=True)
            assert grad is None or grad.abs().max() == 0, "the reward must not be trained through: detach it"
        return
    hints = [(_no_baseline, "that is REINFORCE without a baseline: subtract the mean reward of the document's "
                            "other samples first, or every summary of a document with a high reward is raised"),
             (_batch_baseline, "that baseline is the mean over the whole batch: use the mean of the other samples "
                               "of the SAME document (reward.view(-1, samples)), so an easy document's summaries "
                               "are compared with each other, not with a hard document's"),
             (_wrong_sign, "wrong sign: the loss is minimised, so it is minus advantage times log-probability")]
    for wrong, hint in hints:
        if torch.allclose(got, wrong(log_prob, reward, samples), atol=1e-5):
            raise AssertionError(hint)
    raise AssertionError(f"your loss is {float(got):.4f}, the lesson's {float(want):.4f}: rows come in groups of "
                         f"`samples` (reward.view(-1, samples)), the advantage is divided by its standard deviation, "
                         f"and the loss is the mean of -advantage * log_prob")


EXERCISES = [
    prediction(
        "07-discriminator-on-lead", LESSON,
        "The discriminator has learnt to tell real headlines from the summariser's words. Give it the "
        "lead summaries of the test documents (each document's first five words): what share does it call "
        "real (probability above one half)?",
        "almost none",
        "The discriminator has only ever seen headlines as real: an agent, a verb, an object, 'in', a place. "
        "A document's first five words are real English, but not a headline ('on tuesday , the union', 'the "
        "library in delhi was'): commas, 'the', 'on', 'was' never occur in a headline, so it calls almost all "
        "of them fake. It judges the form of a headline, not whether the words are good English, and never "
        "whether they say what the document says.",
        choices=("almost none", "about half", "almost all")),
    Exercise(
        "07-reinforce", LESSON,
        "Write reinforce_loss(log_prob, reward, samples): rows come in groups of `samples` summaries of one "
        "document; each summary's advantage is its reward minus the mean reward of the other summaries of the "
        "same document, divided by the standard deviation of all advantages (+ 1e-6); return the mean of "
        "-advantage * log_prob, with the reward detached.",
        _check_reinforce, reinforce_loss,
        mistakes=(_no_baseline, _batch_baseline, _wrong_sign)),
    explanation(
        "07-private-code", LESSON,
        "Without the discriminator, the summaries keep many of the document's facts but no person would write "
        "them. Why does training produce such a code, and what does the discriminator add?",
        [("reconstruct", "rebuild", "decoder"), ("code", "any words", "order", "private", "cue"),
         ("headline", "human", "real", "discriminator", "readable")],
        "The only thing the summariser is rewarded for is how well the reconstructor rebuilds the document from "
        "its words. Any words in any order will do, as long as the two networks agree on what they mean: a "
        "full stop can stand for 'the sentence pattern that starts with on', a filler word for the whole filler "
        "sentence. So they invent a private code, with words chosen for what they let the reconstructor "
        "predict, not for what a reader needs. The discriminator, trained on real headlines (of other "
        "documents), adds a second reward: look like a headline. Among the codes that rebuild the document, "
        "that selects the ones a person can read.")
]
