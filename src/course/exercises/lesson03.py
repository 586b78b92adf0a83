"""Lesson 03 (03_bert_denoising): BERT's masking (15% chosen, then 80/10/10), a sentence with
every word hidden, why the counting baselines fall faster than the model."""

from __future__ import annotations

from typing import Any, Callable

import torch

from course.exercises.core import Exercise, explanation, prediction

LESSON = "03_bert_denoising"


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


def _all_masked(ids: torch.Tensor, rate: float, generator: torch.Generator,
                vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    from course.text import MASK_ID, N_SPECIAL

    chosen = (torch.rand(ids.shape, generator=generator) < rate) & (ids >= N_SPECIAL)
    return torch.where(chosen, MASK_ID, ids), chosen            # forgot the 10% random, 10% kept


def _chooses_the_rest(ids: torch.Tensor, rate: float, generator: torch.Generator,
                      vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    from course.text import N_SPECIAL

    inputs, chosen = mask_words(ids, 1.0, generator, vocab_size)
    chosen = (torch.rand(ids.shape, generator=generator) >= rate) & (ids >= N_SPECIAL)  # 1 - rate
    return torch.where(chosen, inputs, ids), chosen


def _random_specials(ids: torch.Tensor, rate: float, generator: torch.Generator,
                     vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    from course.text import MASK_ID, N_SPECIAL

    chosen = (torch.rand(ids.shape, generator=generator) < rate) & (ids >= N_SPECIAL)
    action = torch.rand(ids.shape, generator=generator)
    random_words = torch.randint(0, vocab_size, ids.shape, generator=generator)  # may draw [PAD], [UNK]...
    inputs = torch.where(chosen & (action < 0.8), MASK_ID, ids)
    swap = chosen & (action >= 0.8) & (action < 0.9)
    return torch.where(swap, random_words, inputs), chosen


def _global_random(ids: torch.Tensor, rate: float, generator: torch.Generator,
                   vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    return mask_words(ids, rate, torch.Generator().manual_seed(0), vocab_size)  # ignores the generator


EXERCISES = [
    Exercise(
        "03-bert-masking", LESSON,
        "Write mask_words(ids, rate, generator, vocab_size): choose each word (id >= N_SPECIAL) with "
        "probability rate; of the chosen, 80% become [MASK], 10% a random word, 10% stay. "
        "Return (inputs, chosen).",
        _check_mask_words, mask_words,
        mistakes=(_all_masked, _chooses_the_rest, _random_specials, _global_random)),
    prediction(
        "03-everything-masked", LESSON,
        "Every word of every held-out sequence becomes [MASK] (none kept, none replaced by a random word), "
        "and the model trained at 15% fills them all in. Its accuracy will be:",
        "about the unigram's",
        "With nothing visible, the model has no context to read: the best any method can do is to "
        "guess the most frequent words, which is all the unigram baseline ever does (the bigram and "
        "both-neighbours baselines, whose neighbours are all hidden, back off to it). The model has "
        "learned word frequencies along the way, so it lands near the unigram, a few points below it "
        "or level with it depending on the seed, and far below its own accuracy at 15%: it was "
        "trained on sentences with 15% of the words hidden and has never seen one with nothing left. "
        "A denoiser can only put back what the rest of the input tells it.",
        choices=("about 0", "about the unigram's", "about its accuracy at 15%", "above the bigram's at 15%")),
    explanation(
        "03-why-the-baselines-fall", LESSON,
        "As the masking rate rises, the bigram and both-neighbours baselines lose most of their lead "
        "over the unigram, while the Transformer keeps much more of its own. Why do the counting "
        "baselines fall so fast, and what lets the model hold on?",
        [("neighbour", "neighbor", "adjacent", "next word", "previous word", "left word"),
         ("hidden", "masked", "missing", "not visible", "invisible", "back off", "backs off", "fall back"),
         ("whole", "entire", "far", "further", "distant", "attention", "all the visible", "rest of the",
          "other words", "both sides")],
        "Each baseline looks at one or two words only: the bigram needs its left neighbour, the "
        "both-neighbours baseline both. A neighbour is hidden about as often as the masking rate, so "
        "at 75% the left neighbour is missing most of the time and both neighbours are visible only "
        "about one time in sixteen; otherwise they back off to the unigram. The Transformer reads the "
        "whole 64-token window on both sides through attention: even at 75% a dozen or more words "
        "are still visible, some of them far from the blank but telling (a keyword, the topic), and "
        "it can use them. Losing the nearest words hurts it too, but it never depends on them alone."),
]
