"""Lesson 05 (05_voice_conversion): what instance normalisation removes, AdaIN, and why another clip."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise, explanation, prediction

LESSON = "05_voice_conversion"


def adain(h: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Adaptive instance normalisation of hidden features ``h`` ``(N, C, T)`` with a
    per-clip, per-channel ``scale`` and ``shift`` ``(N, C)``."""
    mean = h.mean(dim=2, keepdim=True)                                  # each channel's mean over time
    std = (h.var(dim=2, keepdim=True, unbiased=False) + eps).sqrt()     # ... and its spread
    normalised = (h - mean) / std                                       # the clip's own statistics are gone
    return normalised * scale[:, :, None] + shift[:, :, None]           # the speaker's are put in


def _check_adain(answer: Callable[..., Any]) -> None:
    g = torch.Generator().manual_seed(5)
    h = torch.randn(3, 4, 50, generator=g) * torch.tensor([0.5, 2.0, 7.0, 1.0])[None, :, None] + 3.0
    scale = torch.rand(3, 4, generator=g) * 2 + 0.5
    shift = torch.randn(3, 4, generator=g)
    got = answer(h.clone(), scale.clone(), shift.clone())
    assert isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}"
    assert got.shape == h.shape, (f"return features of the input's shape {tuple(h.shape)}, got {tuple(got.shape)}: "
                                  "scale and shift (N, C) need a time axis, scale[:, :, None]")
    want = adain(h, scale, shift)
    if torch.allclose(got, want, atol=1e-4):
        return
    mean, std = got.mean(2), got.std(2, unbiased=False)
    if torch.allclose(mean, shift, atol=1e-3) and torch.allclose(std, scale, atol=1e-2):
        return  # another epsilon or variance estimate: the statistics are right
    if torch.allclose(got, h * scale[:, :, None] + shift[:, :, None], atol=1e-4):
        raise AssertionError("the clip's own statistics are still there: first normalise each channel over "
                             "time (subtract its mean, divide by its standard deviation), then scale and shift")
    over_channels = (h - h.mean(1, keepdim=True)) / h.std(1, keepdim=True, unbiased=False)
    if torch.allclose(got, over_channels * scale[:, :, None] + shift[:, :, None], atol=1e-3):
        raise AssertionError("you normalised over the channels (dim 1); instance normalisation works on each "
                             "channel over time (dim 2)")
    if torch.allclose(mean, shift, atol=1e-3):
        raise AssertionError("each channel's mean is the shift, good; its standard deviation over time should be "
                             "the scale: divide by the clip's own standard deviation (biased), then multiply by scale")
    raise AssertionError("each channel of each clip should end with mean = shift and standard deviation = scale "
                         "over time; compute mean and std over dim 2 with keepdim=True")


def _no_normalisation(h: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Wrong: scales and shifts without removing the clip's own statistics first."""
    return h * scale[:, :, None] + shift[:, :, None]


def _over_channels(h: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Wrong: normalises each frame over the channels (dim 1) instead of each channel over time."""
    normalised = (h - h.mean(1, keepdim=True)) / h.std(1, keepdim=True, unbiased=False)
    return normalised * scale[:, :, None] + shift[:, :, None]


def _mean_only(h: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Wrong: removes each channel's mean over time but keeps its spread."""
    return (h - h.mean(2, keepdim=True)) * scale[:, :, None] + shift[:, :, None]


EXERCISES = [
    prediction(
        "05-what-instance-norm-removes", LESSON,
        "A hidden layer h (N, C, T) of the content encoder goes through instance_norm. Now make every "
        "frame of one channel 2.0 larger and twice as large (h[:, 0] = 2 * h[:, 0] + 2), as a louder, "
        "lower voice might. By how much does instance_norm(h)[:, 0] change (the largest absolute change)?",
        0.0,
        "Instance normalisation subtracts each channel's mean over time and divides by its standard "
        "deviation over time: a constant added to a channel, or a factor applied to it, changes its mean and "
        "standard deviation and nothing else, so it is removed exactly. Whatever about a voice acts like a "
        "constant offset or gain on a channel over a whole clip cannot get through the content encoder; "
        "what changes from frame to frame (the words) can.",
        tolerance=1e-3),
    Exercise(
        "05-adain", LESSON,
        "Write adain(h, scale, shift): normalise each channel of each clip of h (N, C, T) over time "
        "(mean 0, standard deviation 1, dim 2), then multiply by scale and add shift, both (N, C).",
        _check_adain, adain, mistakes=(_no_normalisation, _over_channels, _mean_only)),
    explanation(
        "05-why-another-clip", LESSON,
        "In training, the speaker encoder is given another clip of the same speaker saying another word, "
        "not the clip being rebuilt (the paper uses the same clip). What would go wrong with the same clip, "
        "with one-word clips like ours?",
        [("word", "content", "what is said"), ("speaker code", "speaker encoder", "pool", "pooled"),
         ("leak", "shortcut", "bypass", "around", "through", "carries", "carry", "encode")],
        "A clip here is one word. Averaged over time, the speaker encoder's features still tell the words "
        "apart, so its code can carry the word as well as the voice. With the same clip as reference the "
        "decoder may take the word from the speaker code, a shortcut around the content code: training "
        "rebuilds the clip just as well, but a conversion then often says the reference's word. Another clip of "
        "the same speaker, saying another word, makes the speaker code useless for the word, so the "
        "decoder must take the word from the content code and only the voice from the speaker code (AutoVC "
        "does the same)."),
]
