"""Lesson 07's text: short news items with headlines, and how a summary is scored.

The seq2seq2seq autoencoder of lesson 07 (:mod:`course.seq2seq2seq`) needs documents
whose good summary is known, but training must never see it. This module generates them
offline and deterministically (no download):

- :func:`generate`: news items of two or three sentences, each rendering one **fact**
  (who did what to what, where, when) in one of several sentence patterns, with a filler
  sentence about something else; each has a **headline** written the way people write
  them ("union painted library in delhi"). The training documents' own headlines are
  never used for training; the discriminator sees the headlines of a *separate* pool of
  documents, and the test documents' headlines are used only to score.
- :func:`names` and :func:`load`: the registry, as for lesson 05's speech
  (``course.speech``): ``news-facts`` is generated on the fly and checked against the
  sha256 recorded here, so a changed generator is noticed instead of silently shifting results.
- :class:`Vocabulary`: word ids; a document as a row of ids, padded.
- scores: :func:`rouge_n` (ROUGE-1 and ROUGE-2 F1 against the reference headline),
  :class:`BigramModel` (fluency: perplexity under a bigram model of held-out headlines),
  :func:`well_formed` (the summary is a headline: agent, verb, object, "in", place).
"""

from __future__ import annotations

import collections
import hashlib
import math
import random
from dataclasses import dataclass
from typing import Iterable, Sequence

import torch

from course.data import DataIntegrityError

PAD, BOS = "[PAD]", "[BOS]"
PAD_ID, BOS_ID = 0, 1
SPECIALS = (PAD, BOS)

AGENTS = ("union", "council", "mayor", "police", "students", "farmers",
          "company", "army", "artists", "doctors", "teachers", "workers")
VERBS = ("painted", "opened", "closed", "sold", "built", "visited",
         "cleaned", "repaired", "bought", "guarded")
OBJECTS = ("library", "bridge", "school", "museum", "market", "stadium",
           "station", "park", "tower", "theatre", "harbour", "church")
PLACES = ("delhi", "paris", "lagos", "lima", "oslo", "cairo",
          "tokyo", "quito", "dhaka", "rome", "seoul", "accra")
TIMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SLOTS = ("agent", "verb", "object", "place", "time")

FILLERS = (
    "many people came to watch", "officials said it went well", "nobody had expected it",
    "the weather was cold and grey", "local papers covered the story", "the work took several hours",
    "some residents were not happy", "a small crowd gathered outside", "it was the first time in years",
    "the news spread quickly", "a spokesman gave no details", "more is planned for next year",
)
# Each pattern renders the same fact; {f} is a filler sentence. The order of the facts
# differs, so no fixed window of the document is the headline.
PATTERNS = (
    "on {time} , the {agent} {verb} the {object} in {place} . {f} .",
    "the {object} in {place} was {verb} by the {agent} on {time} . {f} .",
    "{f} . on {time} the {agent} {verb} the {object} . this was in {place} .",
    "in {place} , the {agent} {verb} the old {object} on {time} . {f} .",
    "reports say that the {agent} {verb} the {object} . it happened in {place} on {time} . {f} .",
    "the {agent} of {place} {verb} a {object} on {time} . {f} .",
)
SUMMARY_WORDS = 5  # a headline: agent verb object in place

NAME = "news-facts"
N_DOCUMENTS = {"train": 3000, "headlines": 1000, "fluency": 1000, "test": 500}
SEED = 7
# sha256 of every generated document and headline, in order (see :func:`checksum`)
SHA256 = "32efa330d8d5f628a39dbf8d9dd105a7d0c6a0a20fb930723e3c04b09ce968a7"


@dataclass(frozen=True)
class NewsItem:
    """One document, its headline, and the fact both render (slot -> word)."""

    text: str
    headline: str
    fact: tuple[tuple[str, str], ...]

    def tokens(self) -> list[str]:
        return self.text.split()

    def headline_tokens(self) -> list[str]:
        return self.headline.split()


def render(fact: dict[str, str], pattern: int, filler: str) -> NewsItem:
    """The news item for ``fact`` written with ``PATTERNS[pattern]``."""
    text = PATTERNS[pattern].format(f=filler, **fact)
    headline = f"{fact['agent']} {fact['verb']} {fact['object']} in {fact['place']}"
    return NewsItem(text, headline, tuple((s, fact[s]) for s in SLOTS))


def generate(n: int, seed: int) -> list[NewsItem]:
    """``n`` news items, each a random fact in a random pattern with a random filler (deterministic)."""
    rng = random.Random(seed)
    items = []
    for _ in range(n):
        fact = {"agent": rng.choice(AGENTS), "verb": rng.choice(VERBS), "object": rng.choice(OBJECTS),
                "place": rng.choice(PLACES), "time": rng.choice(TIMES)}
        items.append(render(fact, rng.randrange(len(PATTERNS)), rng.choice(FILLERS)))
    return items


def checksum(parts: dict[str, list[NewsItem]]) -> str:
    """sha256 over every part's documents and headlines, in order."""
    h = hashlib.sha256()
    for name, items in parts.items():
        h.update(name.encode())
        for item in items:
            h.update(f"{item.text}\n{item.headline}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class NewsCorpus:
    """The parts of a generated corpus.

    ``train``: documents to train on (their headlines are never used for training);
    ``headlines``: documents whose *headlines* the discriminator sees as real summaries;
    ``fluency``: documents whose headlines train the bigram model that scores fluency;
    ``test``: held-out documents with reference headlines, used only to score.
    """

    name: str
    train: list[NewsItem]
    headlines: list[NewsItem]
    fluency: list[NewsItem]
    test: list[NewsItem]
    sha256: str

    def __repr__(self) -> str:
        return (f"NewsCorpus({self.name!r}: {len(self.train)} training documents, {len(self.headlines)} "
                f"unpaired headlines for the discriminator, {len(self.fluency)} headlines for the fluency "
                f"model, {len(self.test)} test documents with reference headlines)")


def _make(seed: int = SEED) -> dict[str, list[NewsItem]]:
    return {part: generate(n, seed=seed * 100 + i) for i, (part, n) in enumerate(N_DOCUMENTS.items())}


def names() -> list[str]:
    """The registered text corpora of lesson 07."""
    return [NAME]


def load(name: str = NAME) -> NewsCorpus:
    """The generated corpus, checked against its recorded checksum."""
    if name not in names():
        raise KeyError(f"Unknown corpus {name!r}; choose one of {', '.join(names())}.")
    parts = _make()
    digest = checksum(parts)
    if digest != SHA256:
        raise DataIntegrityError(f"the generated corpus {name!r} differs from the one this lesson was "
                                 f"measured on (sha256 {digest[:12]}…, expected {SHA256[:12]}…)")
    return NewsCorpus(name, **parts, sha256=digest)


# --- words as ids ---------------------------------------------------------------------------

class Vocabulary:
    """Every word of the generator (so a typed document can be encoded), plus [PAD] and [BOS]."""

    def __init__(self, words: Iterable[str] | None = None) -> None:
        if words is None:
            words = sorted({w for p in PATTERNS for w in p.split() if "{" not in w}
                           | {w for f in FILLERS for w in f.split()} | {"in"}
                           | set(AGENTS) | set(VERBS) | set(OBJECTS) | set(PLACES) | set(TIMES))
        self.words = list(SPECIALS) + [w for w in words if w not in SPECIALS]
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, tokens: Sequence[str], length: int | None = None) -> list[int]:
        """Ids of ``tokens`` (an unknown word raises ``KeyError`` naming it), padded to ``length``."""
        unknown = [t for t in tokens if t not in self.index]
        if unknown:
            raise KeyError(f"not in the vocabulary: {', '.join(unknown)}")
        ids = [self.index[t] for t in tokens]
        if length is not None:
            if len(ids) > length:
                raise ValueError(f"{len(ids)} words, more than {length}")
            ids += [PAD_ID] * (length - len(ids))
        return ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words of ``ids``, padding dropped."""
        return [self.words[int(i)] for i in ids if int(i) != PAD_ID]

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words)"


def max_length() -> int:
    """Words in the longest document the generator can write."""
    longest_filler = max(len(f.split()) for f in FILLERS)
    return max(len(p.replace("{f}", " ".join(["x"] * longest_filler)).split()) for p in PATTERNS)


def documents(items: Sequence[NewsItem], vocab: Vocabulary, length: int | None = None) -> torch.Tensor:
    """The documents as a ``(N, length)`` tensor of ids, padded at the end."""
    length = length or max_length()
    return torch.tensor([vocab.encode(item.tokens(), length) for item in items], dtype=torch.long)


def headlines(items: Sequence[NewsItem], vocab: Vocabulary) -> torch.Tensor:
    """The headlines as a ``(N, SUMMARY_WORDS)`` tensor of ids."""
    return torch.tensor([vocab.encode(item.headline_tokens()) for item in items], dtype=torch.long)


def fact_mask(items: Sequence[NewsItem], length: int | None = None) -> torch.Tensor:
    """``(N, length)``: true where a document's word is one of its fact's five words."""
    length = length or max_length()
    mask = torch.zeros(len(items), length, dtype=torch.bool)
    for i, item in enumerate(items):
        facts = {w for _, w in item.fact}
        for j, w in enumerate(item.tokens()):
            mask[i, j] = w in facts
    return mask


# --- scores ---------------------------------------------------------------------------------

def _ngrams(words: Sequence[str], n: int) -> collections.Counter:
    return collections.Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def rouge_n(summary: Sequence[str], reference: Sequence[str], n: int) -> float:
    """ROUGE-n F1 (Lin 2004): overlap of the n-grams, each counted at most as often as in
    the other text, as a harmonic mean of precision and recall; 0 when either has none."""
    got, want = _ngrams(summary, n), _ngrams(reference, n)
    overlap = sum((got & want).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def mean_rouge(summaries: Sequence[Sequence[str]], references: Sequence[Sequence[str]], n: int) -> float:
    """Mean ROUGE-n F1 over pairs of summary and reference."""
    return sum(rouge_n(s, r, n) for s, r in zip(summaries, references, strict=True)) / len(summaries)


class BigramModel:
    """A bigram language model of headlines with add-``alpha`` smoothing over a fixed vocabulary.

    ``perplexity(texts)`` is exp of the mean negative log-probability per predicted word
    (each text's words and its end, given the word before; the first given its start).
    Fluent text in the style of the headlines scores low; a jumble of the same words high.
    """

    START, END = "<s>", "</s>"

    def __init__(self, texts: Iterable[Sequence[str]], vocabulary: Sequence[str], alpha: float = 0.1) -> None:
        self.alpha = alpha
        self.size = len(set(vocabulary) | {self.END})
        self.pairs: collections.Counter = collections.Counter()
        self.firsts: collections.Counter = collections.Counter()
        for words in texts:
            seq = [self.START, *words, self.END]
            for a, b in zip(seq, seq[1:]):
                self.pairs[a, b] += 1
                self.firsts[a] += 1

    def log_prob(self, previous: str, word: str) -> float:
        return math.log((self.pairs[previous, word] + self.alpha)
                        / (self.firsts[previous] + self.alpha * self.size))

    def perplexity(self, texts: Iterable[Sequence[str]]) -> float:
        total, count = 0.0, 0
        for words in texts:
            seq = [self.START, *words, self.END]
            total -= sum(self.log_prob(a, b) for a, b in zip(seq, seq[1:]))
            count += len(seq) - 1
        return math.exp(total / count)


def well_formed(words: Sequence[str]) -> bool:
    """Whether ``words`` is a headline: an agent, a verb, an object, "in", a place."""
    kinds = (AGENTS, VERBS, OBJECTS, ("in",), PLACES)
    return len(words) == len(kinds) and all(w in k for w, k in zip(words, kinds))
