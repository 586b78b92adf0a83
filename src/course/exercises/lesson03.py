"""Lesson 03 (03_bert_denoising): BERT's masking, 15% chosen, then 80/10/10."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise


def mask_words(ids: torch.Tensor, rate: float, generator: torch.Generator,
               vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's noise: choose each word with probability ``rate``; of the chosen, 80% become
    ``[MASK]``, 10% a random word, 10% stay. Returns ``(inputs, chosen)``."""
    from course.text import MASK_ID, N_SPECIAL

    chosen = (torch.rand(ids.shape, generator=generator) < rate) & (ids >= N_SPECIAL)
    action = torch.rand(ids.shape, generator=generator)          # what happens to a chosen word
    random_words = torch.randint(N_SPECIAL, vocab_size, ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (action < 0.8)] = MASK_ID                     # 80%: [MASK]
    swap = chosen & (action >= 0.8) & (action < 0.9)              # 10%: a random word
    inputs[swap] = random_words[swap]
    return inputs, chosen                                         # the other 10%: unchanged


def _check_mask_words(answer: Callable[..., Any]) -> None:
    from course.text import MASK_ID, N_SPECIAL, PAD_ID, UNK_ID

    vocab_size = 60  # few words: a replacement by a special token would show
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(N_SPECIAL, vocab_size, (300, 64), generator=g)
    ids[:, 50:] = PAD_ID                                          # padding at the end of each row
    ids[torch.rand(ids.shape, generator=g) < 0.05] = UNK_ID       # and a few unknown words
    original = ids.clone()
    words = ids >= N_SPECIAL

    def call(rate: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        got = answer(ids, rate, torch.Generator().manual_seed(seed), vocab_size)
        assert isinstance(got, tuple) and len(got) == 2, "return two tensors: (inputs, chosen)"
        inputs, chosen = got
        assert isinstance(inputs, torch.Tensor) and isinstance(chosen, torch.Tensor), (
            "return two tensors: (inputs, chosen)")
        assert torch.equal(ids, original), "do not change `ids` in place: start from ids.clone()"
        assert inputs.shape == ids.shape and chosen.shape == ids.shape, (
            f"both tensors should have the shape of ids, {tuple(ids.shape)}")
        assert chosen.dtype == torch.bool, "chosen should be a boolean tensor (True where a word was chosen)"
        assert not torch.is_floating_point(inputs), "inputs should hold token ids (integers), like ids"
        assert not chosen[~words].any(), (
            f"padding and [UNK] (ids below N_SPECIAL = {N_SPECIAL}) must never be chosen")
        assert torch.equal(inputs[~chosen], ids[~chosen]), (
            "a word that was not chosen must stay as it is; only chosen words change")
        return inputs, chosen

    for rate in (0.15, 0.5):
        inputs, chosen = call(rate, 1)
        share = chosen[words].float().mean().item()
        if abs(share - rate) > 0.02:
            hint = ("you chose a share 1 - rate: choose a word when its random number is below rate"
                    if abs(share - (1 - rate)) <= 0.02 else "choose each word with probability rate")
            raise AssertionError(f"with rate={rate} you chose {share:.1%} of the words; {hint}")
        before, after = ids[chosen], inputs[chosen]
        masked = (after == MASK_ID).float().mean().item()
        swapped = ((after != MASK_ID) & (after != before)).float().mean().item()
        kept = (after == before).float().mean().item()
        if masked > 0.95:
            raise AssertionError("every chosen word became [MASK]: of the chosen words, 10% should "
                                 "become a random word and 10% stay as they are")
        if abs(masked - 0.8) > 0.04 or abs(swapped - 0.1) > 0.03 or abs(kept - 0.1) > 0.03:
            hint = ("decide for each chosen word with one random number u: u < 0.8 [MASK], "
                    "0.8 <= u < 0.9 a random word, u >= 0.9 unchanged")
            raise AssertionError(f"of the chosen words {masked:.0%} became [MASK], {swapped:.0%} "
                                 f"another word and {kept:.0%} stayed (want 80/10/10); {hint}")
        replaced = after[(after != MASK_ID) & (after != before)]
        assert replaced.min() >= N_SPECIAL and replaced.max() < vocab_size, (
            f"a random replacement must be a word: an id from N_SPECIAL = {N_SPECIAL} to vocab_size - 1, "
            "torch.randint(N_SPECIAL, vocab_size, ...)")
        assert len(replaced.unique()) > 30, (
            "the random replacements are nearly all the same word: draw one random word per position")
    nothing = call(0.0, 1)[1]
    everything = call(1.0, 1)[1]
    assert not nothing.any() and torch.equal(everything, words), (
        "with rate=0 nothing is chosen and with rate=1 every word (but no padding or [UNK])")
    (a, ca), (b, cb), (c, cc) = call(0.15, 7), call(0.15, 7), call(0.15, 8)
    assert torch.equal(a, b) and torch.equal(ca, cb) and not torch.equal(ca, cc), (
        "the same generator seed should give the same result and another seed another one: "
        "draw every random number from it, e.g. torch.rand(ids.shape, generator=generator)")


EXERCISES = [
    Exercise(
        "03-bert-masking", "03_bert_denoising",
        "Write mask_words(ids, rate, generator, vocab_size): choose each word (id >= N_SPECIAL) with "
        "probability rate; of the chosen, 80% become [MASK], 10% a random word, 10% stay. "
        "Return (inputs, chosen).",
        _check_mask_words, mask_words),
]
