"""Lesson 03's text: offline English prose, a train/held-out split, a word tokenizer, masking.

- :func:`pydoc_documents`: the prose of the Python documentation's topics, which every
  Python installation ships in ``pydoc_data.topics`` (no download), as documents of
  paragraphs; topics that share a paragraph are one document, and each paragraph is kept once
- :func:`split_documents`: whole documents go to the training text or to the held-out
  text, never both (deterministic)
- :func:`tokenize` and :class:`Vocabulary`: lowercase words, numbers and punctuation by a
  regular expression; the vocabulary comes from the training text alone
- :func:`to_sequences`: each document as rows of ``length`` token ids, padded at its end
- :func:`mask_tokens`: BERT's noise, 15% of the words chosen, of those 80% replaced by
  ``[MASK]``, 10% by a random word and 10% left as they are
- :class:`NgramBaselines`: unigram and bigram guesses for masked words, the yardsticks
  the masked language model of :mod:`course.bert` must beat
"""

from __future__ import annotations

import collections
import hashlib
import math
import re
import textwrap
from dataclasses import dataclass
from typing import Iterable, Sequence

import torch

PAD, UNK, MASK = "[PAD]", "[UNK]", "[MASK]"
SPECIALS = (PAD, UNK, MASK)
PAD_ID, UNK_ID, MASK_ID = 0, 1, 2
N_SPECIAL = len(SPECIALS)  # ids below this are never masked nor predicted

TOKEN_PATTERN = re.compile(r"\[(?:pad|unk|mask)\]"           # a special token typed by hand
                           r"|[a-z_][a-z0-9_]*(?:'[a-z]+)?"  # a word (with _ as in __init__, 's, n't)
                           r"|[0-9]+(?:\.[0-9]+)?"           # a number
                           r"|[^\sa-z0-9_]")                 # any other character: punctuation
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def tokenize(text: str) -> list[str]:
    """Lowercase ``text`` and cut it into words, numbers and single punctuation marks.

    >>> tokenize("The object's __init__() returns [MASK].")
    ['the', "object's", '__init__', '(', ')', 'returns', '[MASK]', '.']
    """
    tokens = TOKEN_PATTERN.findall(text.translate(_QUOTES).lower())
    return [t.upper() if len(t) > 1 and t[0] == "[" else t for t in tokens]  # [mask] -> [MASK]


# --- the text ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Document:
    """A named piece of text: its paragraphs, in order."""

    name: str
    paragraphs: tuple[str, ...]

    def tokens(self) -> list[str]:
        return [t for p in self.paragraphs for t in tokenize(p)]


def prose_paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text`` that are English sentences, each on one line.

    The documentation mixes prose with code examples, grammar rules and tables; a
    paragraph is kept when it has at least 8 tokens, at least 60% of them plain words,
    and ends like a sentence. List markers (``*``, ``1.``) are dropped.
    """
    kept = []
    for block in re.split(r"\n\s*\n", text.translate(_QUOTES)):
        lines = textwrap.dedent(block).strip("\n").splitlines()
        paragraph = " ".join(line.strip() for line in lines).strip()
        paragraph = re.sub(r"^(?:\*|\d+\.|[a-z]\.)\s+", "", paragraph)
        if not paragraph or paragraph.startswith((">>>", "|", "+", "...")) or "::=" in paragraph:
            continue
        tokens = tokenize(paragraph)
        words = [t for t in tokens if t[0].isalpha() and "_" not in t]
        if len(tokens) >= 8 and len(words) >= 0.6 * len(tokens) and re.search(r"[.:?!)]\"?$", paragraph):
            kept.append(paragraph)
    return kept


def pydoc_documents() -> list[Document]:
    """The prose of ``pydoc_data.topics`` (the text of ``help("if")``, ``help("class")``, ...).

    Some topics repeat others word for word (``compound`` contains ``if``, ``while``, ...):
    topics that share a paragraph are merged into one document, named after its topics
    joined by ``+``, and a paragraph that occurs more than once is kept only the first
    time. So no paragraph can be in two documents, and a split by document cannot leak.
    """
    from pydoc_data.topics import topics

    paragraphs = {name: prose_paragraphs(text) for name, text in sorted(topics.items())}
    parent = {name: name for name in paragraphs}

    def root(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    first_seen: dict[str, str] = {}
    for name, ps in paragraphs.items():
        for p in ps:
            other = first_seen.setdefault(p, name)
            parent[root(name)] = root(other)  # same paragraph: same document
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for name in paragraphs:
        groups[root(name)].append(name)
    documents = []
    for names in groups.values():
        seen: set[str] = set()
        kept = []
        for name in names:
            for p in paragraphs[name]:
                if p not in seen:
                    seen.add(p)
                    kept.append(p)
        if kept:
            documents.append(Document("+".join(names), tuple(kept)))
    return sorted(documents, key=lambda d: d.name)


@dataclass(frozen=True)
class Corpus:
    """Training and held-out documents: no document, and no paragraph, is in both."""

    train: tuple[Document, ...]
    heldout: tuple[Document, ...]

    def __repr__(self) -> str:
        count = lambda docs: sum(len(d.tokens()) for d in docs)
        return (f"Corpus: {len(self.train)} training documents ({count(self.train):,} tokens), "
                f"{len(self.heldout)} held-out documents ({count(self.heldout):,} tokens)")


def _rank(name: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()


def split_documents(documents: Sequence[Document], heldout_fraction: float = 0.2,
                    seed: int = 0) -> Corpus:
    """Hold out whole documents, about ``heldout_fraction`` of the tokens, the rest trains.

    Documents are visited in an order fixed by a hash of their names and ``seed`` (not
    Python's ``hash``, which changes from run to run); each goes to the held-out text if
    it still fits under the target, so the split is the same on every machine.
    """
    sizes = {d.name: len(d.tokens()) for d in documents}
    target = heldout_fraction * sum(sizes.values())
    heldout, held = set(), 0
    for d in sorted(documents, key=lambda d: _rank(d.name, seed)):
        if held + sizes[d.name] <= target:
            heldout.add(d.name)
            held += sizes[d.name]
    return Corpus(train=tuple(d for d in documents if d.name not in heldout),
                  heldout=tuple(d for d in documents if d.name in heldout))


# --- the vocabulary and sequences ----------------------------------------------------------

class Vocabulary:
    """Token <-> id. Ids 0, 1, 2 are ``[PAD]``, ``[UNK]``, ``[MASK]``; then words by frequency.

    Built from the training text only: a held-out word that training never saw
    ``min_count`` times becomes ``[UNK]``, as it would for a deployed model.
    """

    def __init__(self, tokens: Iterable[str], min_count: int = 2) -> None:
        self.counts = collections.Counter(tokens)
        self.min_count = min_count
        words = sorted((w for w, c in self.counts.items() if c >= min_count and w not in SPECIALS),
                       key=lambda w: (-self.counts[w], w))
        self.itos: list[str] = [*SPECIALS, *words]
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, UNK_ID) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[int(i)] for i in ids]

    def __repr__(self) -> str:
        return f"Vocabulary({len(self):,} tokens: {N_SPECIAL} special, words seen >= {self.min_count} times)"


def to_sequences(documents: Sequence[Document], vocab: Vocabulary, length: int,
                 min_tokens: int = 8) -> torch.Tensor:
    """Each document's token ids cut into rows of ``length``; a document's last row is padded.

    Rows never cross documents, so a row of held-out text holds held-out text only. A
    last row with fewer than ``min_tokens`` tokens (the end of a sentence, a lone ".")
    is dropped. Returns a ``LongTensor`` of shape ``(rows, length)``.
    """
    rows = []
    for d in documents:
        ids = vocab.encode(d.tokens())
        for start in range(0, len(ids), length):
            row = ids[start:start + length]
            if len(row) >= min(min_tokens, length):
                rows.append(row + [PAD_ID] * (length - len(row)))
    return torch.tensor(rows, dtype=torch.long).reshape(-1, length)


# --- masking: BERT's noise ----------------------------------------------------------------

def mask_tokens(ids: torch.Tensor, rate: float, generator: torch.Generator, *,
                vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's corruption of token ids: returns ``(inputs, chosen)``.

    Each word (id >= ``N_SPECIAL``: never padding or ``[UNK]``) is *chosen* with
    probability ``rate``. A chosen word becomes ``[MASK]`` with probability 0.8, a random
    word with probability 0.1, and stays itself with probability 0.1. The model must
    predict the original word at every chosen position, whatever it was turned into.
    Random numbers come from ``generator``: the same seed gives the same corruption.
    """
    def uniform() -> torch.Tensor:
        return torch.rand(ids.shape, generator=generator, device=generator.device).to(ids.device)

    chosen = (uniform() < rate) & (ids >= N_SPECIAL)
    action = uniform()  # < 0.8: [MASK]; 0.8 to 0.9: a random word; >= 0.9: unchanged
    random_words = torch.randint(N_SPECIAL, vocab_size, ids.shape, generator=generator,
                                 device=generator.device).to(ids.device)
    inputs = torch.where(chosen & (action < 0.8), MASK_ID, ids)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_words, inputs)
    return inputs, chosen


@dataclass(frozen=True)
class MaskedSet:
    """Held-out sequences corrupted once, with a fixed seed: every method is scored on them."""

    targets: torch.Tensor  # (N, L) the original ids
    inputs: torch.Tensor   # (N, L) what the model sees
    chosen: torch.Tensor   # (N, L) bool: where a prediction is scored
    rate: float

    @property
    def answers(self) -> torch.Tensor:
        """The original ids at the chosen positions, in row-major order."""
        return self.targets[self.chosen]


def masked_set(ids: torch.Tensor, rate: float, *, vocab_size: int, seed: int = 0) -> MaskedSet:
    """Corrupt ``ids`` once with :func:`mask_tokens`, seeded: a fixed test of filling in words."""
    inputs, chosen = mask_tokens(ids, rate, torch.Generator().manual_seed(seed), vocab_size=vocab_size)
    return MaskedSet(ids, inputs, chosen, rate)


# --- n-gram baselines ----------------------------------------------------------------------

class NgramBaselines:
    """Guess a masked word from counts in the training rows; no neural network.

    - ``unigram``: the same guess everywhere, the most frequent word;
    - ``bigram``: the word that most often follows the left neighbour;
    - ``both neighbours``: the word that most often sits between the left and the right
      neighbour (a trigram with the word in the middle).

    Each sees the *corrupted* input, as the model does: where a neighbour it needs is
    ``[MASK]``, padding or ``[UNK]``, or a pair was never seen in training, it backs off
    to the next simpler guess. Probabilities (for the cross-entropy) mix each level with
    the one below, ``lam`` : ``1 - lam``, and the unigram with add-one smoothing, so no
    word gets probability 0.
    """

    METHODS = ("unigram", "bigram", "both neighbours")

    def __init__(self, train_ids: torch.Tensor, vocab_size: int, lam: float = 0.8) -> None:
        self.vocab_size = vocab_size
        self.lam = lam
        unigram = torch.ones(vocab_size, dtype=torch.float64)  # add-one smoothing
        unigram[:N_SPECIAL] = 0
        left: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
        both: dict[tuple[int, int], collections.Counter] = collections.defaultdict(collections.Counter)
        for row in train_ids.tolist():
            for i, w in enumerate(row):
                if w < N_SPECIAL:
                    continue
                unigram[w] += 1
                if i > 0 and row[i - 1] >= N_SPECIAL:
                    left[row[i - 1]][w] += 1
                    if i + 1 < len(row) and row[i + 1] >= N_SPECIAL:
                        both[row[i - 1], row[i + 1]][w] += 1
        self.unigram = unigram / unigram.sum()
        self.left, self.both = dict(left), dict(both)

    def _distribution(self, counts: collections.Counter | None, below: torch.Tensor) -> torch.Tensor:
        if not counts:
            return below
        p = torch.zeros(self.vocab_size, dtype=torch.float64)
        p[list(counts)] = torch.tensor(list(counts.values()), dtype=torch.float64)
        return self.lam * p / p.sum() + (1 - self.lam) * below

    def distributions(self, row: Sequence[int], position: int) -> dict[str, torch.Tensor]:
        """Each method's distribution over the vocabulary for the word at ``row[position]``."""
        left = row[position - 1] if position > 0 else PAD_ID
        right = row[position + 1] if position + 1 < len(row) else PAD_ID
        p1 = self.unigram
        p2 = self._distribution(self.left.get(left) if left >= N_SPECIAL else None, p1)
        p3 = self._distribution(self.both.get((left, right)) if min(left, right) >= N_SPECIAL else None, p2)
        return dict(zip(self.METHODS, (p1, p2, p3)))

    def score(self, data: "MaskedSet") -> dict[str, tuple[float, float]]:
        """``{method: (accuracy, cross-entropy in nats)}`` over the chosen positions of ``data``."""
        hits = {m: 0 for m in self.METHODS}
        nats = {m: 0.0 for m in self.METHODS}
        rows, cols = data.chosen.nonzero(as_tuple=True)
        inputs, targets = data.inputs.tolist(), data.targets.tolist()
        for r, c in zip(rows.tolist(), cols.tolist()):
            answer = targets[r][c]
            for m, p in self.distributions(inputs[r], c).items():
                hits[m] += int(p.argmax()) == answer
                nats[m] -= math.log(max(float(p[answer]), 1e-12))
        n = max(len(rows), 1)
        return {m: (hits[m] / n, nats[m] / n) for m in self.METHODS}


def perplexity(xent: float) -> float:
    """``exp(cross-entropy)``: as if choosing uniformly among that many words."""
    return math.exp(xent)
