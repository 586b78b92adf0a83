"""Lesson 07's seq2seq2seq autoencoder: a document is encoded as a short word sequence.

Three small recurrent networks (Wang and Lee 2018, "Learning to encode text as
human-readable summaries using generative adversarial networks"):

- :class:`Summariser` (the encoder, a seq2seq model): document -> ``length`` words, one
  at a time, each word a discrete choice: it points at a word of the document;
- :class:`Reconstructor` (the decoder, a seq2seq model): those words -> the document,
  word by word (teacher forcing: it is given the document's words so far);
- :class:`Discriminator`: a word sequence -> how much it looks like a real headline.

The words are discrete, so no gradient crosses from the reconstructor back into the
summariser. :class:`Seq2Seq2SeqLoss` trains the summariser with **REINFORCE** (Williams
1992): it samples a few summaries of each document, rewards each by how well the
reconstructor rebuilds the document from it (and, with the discriminator, by how real
it looks), and raises the probability of the summaries that did better than the others of
the same document (the baseline). Lesson 06's Gumbel-softmax with the straight-through
trick is the other way across a discrete choice; lesson 07 says why this one. For its
first ``warmup`` steps the reconstructor alone learns to read words (random words of the
document, in order): a summariser rewarded by a reconstructor that cannot read yet learns
nothing (it settles on the same few summaries for every document).

Used by lesson 07 (07_text_as_code).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from course.summaries import BOS_ID, PAD_ID, SPECIALS, NewsItem, Vocabulary, max_length

if TYPE_CHECKING:
    from course.widgets import LessonWidget


def attend(queries: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Dot-product attention: for each query ``(B, Q, H)`` a weighted mean of ``keys``
    ``(B, K, H)``, weighted by the softmax of their dot products; ``mask`` ``(B, K)``
    false where a key is padding."""
    scores = queries @ keys.transpose(1, 2)
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
    return torch.softmax(scores, dim=-1) @ keys


class Summariser(nn.Module):
    """Document -> ``length`` words, each **pointed at** in the document (a pointer network,
    Vinyals et al. 2015: the summary can only use the document's words, as a headline writer
    mostly does). A GRU reads the document; a GRU cell writes the summary, and at each step
    scores every position of the document against its state; the word is sampled from the
    softmax of the scores (training) or is the best-scoring one (``greedy``)."""

    def __init__(self, vocab_size: int, length: int = 5, hidden: int = 64) -> None:
        super().__init__()
        self.config = {"vocab_size": vocab_size, "length": length, "hidden": hidden}
        self.length = length
        self.embed = nn.Embedding(vocab_size, hidden, padding_idx=PAD_ID)
        self.reader = nn.GRU(hidden, hidden, batch_first=True)
        self.writer = nn.GRUCell(hidden, hidden)
        self.query = nn.Linear(hidden, hidden)

    def forward(self, docs: torch.Tensor, *, greedy: bool = False,
                samples: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Summaries ``(B * samples, length)`` of word ids (each document's ``samples`` in a
        row), the log-probability of each under the summariser, and its entropy (summed over
        words)."""
        vectors = self.embed(docs)
        states, last = self.reader(vectors)
        states = states + vectors  # each position also keeps its word
        mask = docs != PAD_ID
        if samples > 1:
            states, mask, last = (states.repeat_interleave(samples, 0), mask.repeat_interleave(samples, 0),
                                  last.repeat_interleave(samples, 1))
            docs = docs.repeat_interleave(samples, 0)
        h = last[0]
        word = self.embed(torch.full((len(h),), BOS_ID, dtype=torch.long, device=docs.device))
        words, log_prob, entropy = [], 0.0, 0.0
        for _ in range(self.length):
            h = self.writer(word, h)
            scores = (states @ self.query(h)[:, :, None])[:, :, 0].masked_fill(~mask, float("-inf"))
            dist = torch.distributions.Categorical(logits=scores)
            position = scores.argmax(-1) if greedy else dist.sample()
            chosen = docs.gather(1, position[:, None])[:, 0]  # the word at that position
            word = self.embed(chosen)
            words.append(chosen)
            log_prob = log_prob + dist.log_prob(position)
            entropy = entropy + dist.entropy()
        return torch.stack(words, 1), log_prob, entropy


class Reconstructor(nn.Module):
    """Summary words -> the document. A GRU reads the summary; a GRU writes the document,
    given its words so far, attending to the summary. A summary of no words (shape
    ``(B, 0)``) gives a plain language model of documents: the "no summary" baseline."""

    def __init__(self, vocab_size: int, hidden: int = 64, table: nn.Embedding | None = None) -> None:
        super().__init__()
        self.config = {"vocab_size": vocab_size, "hidden": hidden}
        self.embed = table or nn.Embedding(vocab_size, hidden, padding_idx=PAD_ID)
        self.reader = nn.GRU(hidden, hidden, batch_first=True)
        self.writer = nn.GRU(hidden, hidden, batch_first=True)
        self.out = nn.Linear(2 * hidden, hidden)

    def forward(self, summary: torch.Tensor, docs: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, T, vocab)`` of each word of ``docs`` given the summary and the words before it."""
        given = torch.cat([torch.full_like(docs[:, :1], BOS_ID), docs[:, :-1]], 1)
        hidden = self.writer.hidden_size
        if summary.shape[1] == 0:
            h0 = torch.zeros(1, len(docs), hidden, device=docs.device)
            states, _ = self.writer(self.embed(given), h0)
            context = torch.zeros_like(states)
        else:
            vectors = self.embed(summary)
            read, h0 = self.reader(vectors)
            states, _ = self.writer(self.embed(given), h0)
            context = attend(states, read + vectors)  # each summary word also keeps its word
        return self.out(torch.cat([states, context], -1)) @ self.embed.weight.T


def document_nll(logits: torch.Tensor, docs: torch.Tensor) -> torch.Tensor:
    """Each document's mean negative log-likelihood per word (padding not counted)."""
    nll = F.cross_entropy(logits.transpose(1, 2), docs, ignore_index=PAD_ID, reduction="none")
    return nll.sum(1) / (docs != PAD_ID).sum(1)


class Discriminator(nn.Module):
    """A word sequence -> a logit: high for what looks like a real headline."""

    def __init__(self, vocab_size: int, hidden: int = 64) -> None:
        super().__init__()
        self.config = {"vocab_size": vocab_size, "hidden": hidden}
        self.embed = nn.Embedding(vocab_size, hidden, padding_idx=PAD_ID)
        self.reader = nn.GRU(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, words: torch.Tensor) -> torch.Tensor:
        _, last = self.reader(self.embed(words))
        return self.out(last[0])[:, 0]


class Seq2Seq2Seq(nn.Module):
    """The summariser, the reconstructor and the discriminator, trained together."""

    def __init__(self, vocab_size: int, length: int = 5, hidden: int = 64) -> None:
        super().__init__()
        self.config = {"vocab_size": vocab_size, "length": length, "hidden": hidden}
        table = nn.Embedding(vocab_size, hidden, padding_idx=PAD_ID)  # the reconstructor's words, in and out
        self.summariser = Summariser(vocab_size, length, hidden)
        self.reconstructor = Reconstructor(vocab_size, hidden, table)
        self.discriminator = Discriminator(vocab_size, hidden)
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))  # training steps so far

    @torch.no_grad()
    def summarise(self, docs: torch.Tensor) -> torch.Tensor:
        """The most probable word at each step: the summary the lesson shows and scores."""
        was = self.training
        self.eval()
        words, _, _ = self.summariser(docs, greedy=True)
        self.train(was)
        return words


@dataclass
class Seq2Seq2SeqLoss:
    """One training step's loss for :class:`Seq2Seq2Seq` (all three parts at once: each
    term reaches only its own part's weights, since the summary words carry no gradient).

    - reconstructor: the documents' negative log-likelihood given sampled summaries;
    - summariser (REINFORCE): each of a document's ``samples`` summaries is rewarded by
      minus its reconstruction loss, plus ``weight`` times the log-probability the
      discriminator gives it of being real; the baseline is the mean reward of the
      document's other summaries; ``entropy`` keeps it exploring;
    - discriminator (only if ``weight`` > 0): real headlines against sampled summaries.
    """

    weight: float = 0.0
    samples: int = 4
    entropy: float = 0.01
    warmup: int = 100  # first steps: the reconstructor learns to read words (random words of the document)

    def __call__(self, model: Seq2Seq2Seq, docs: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        if model.training:
            model.steps += 1
        if model.steps <= self.warmup:
            words = random_words(docs, model.summariser.length)
            return document_nll(model.reconstructor(words, docs), docs).mean()
        words, log_prob, entropy = model.summariser(docs, samples=self.samples)
        targets = docs.repeat_interleave(self.samples, 0)
        nll = document_nll(model.reconstructor(words, targets), targets)
        reward = -nll.detach() * (targets != PAD_ID).sum(1)  # the document's log-likelihood: its words' sum
        loss = nll.mean()
        if self.weight > 0:
            fake = model.discriminator(words)
            real_logits = model.discriminator(real)
            loss = loss + (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                           + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
            reward = reward + self.weight * F.logsigmoid(fake).detach()
        return loss + reinforce(log_prob, reward, self.samples) - self.entropy * entropy.mean()


def reinforce(log_prob: torch.Tensor, reward: torch.Tensor, samples: int) -> torch.Tensor:
    """REINFORCE with a baseline: a loss whose gradient raises the log-probability of each
    summary in proportion to its **advantage**, its reward minus the mean reward of the other
    ``samples - 1`` summaries of the same document (rows come in groups of ``samples``),
    divided by the advantages' standard deviation (one scale whatever the reward's units)."""
    reward = reward.detach().view(-1, samples)
    others = (reward.sum(1, keepdim=True) - reward) / (samples - 1)
    advantage = (reward - others).flatten()
    advantage = advantage / (advantage.std() + 1e-6)
    return -(advantage * log_prob).mean()


def random_words(docs: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` words of each document at random positions, in the document's order: what the
    reconstructor learns to read before the summariser has anything to say."""
    scores = torch.rand(docs.shape, device=docs.device).masked_fill(docs == PAD_ID, -1.0)
    positions = scores.topk(n, dim=1).indices.sort(dim=1).values
    return docs.gather(1, positions)


def reconstruction_loss(model: Reconstructor, summary: torch.Tensor, docs: torch.Tensor) -> torch.Tensor:
    """A reconstructor trained on fixed summaries (the lead, or none): mean NLL per word."""
    return document_nll(model(summary, docs), docs).mean()


@torch.no_grad()
def reconstruction_accuracy(model: Reconstructor, summary: torch.Tensor, docs: torch.Tensor,
                            facts: torch.Tensor, batch_size: int = 500) -> tuple[float, float]:
    """Token accuracy of the document rebuilt from ``summary`` (the most probable word at each
    position, given the words before it), over all its words and over its fact words (``facts``)."""
    model.eval()
    right = torch.cat([(model(summary[i:i + batch_size], docs[i:i + batch_size]).argmax(-1)
                        == docs[i:i + batch_size]) for i in range(0, len(docs), batch_size)])
    words = docs != PAD_ID
    return float(right[words].float().mean()), float(right[facts].float().mean())


@torch.no_grad()
def rebuild(model: Reconstructor, summary: torch.Tensor, length: int) -> torch.Tensor:
    """The document the reconstructor writes from ``summary`` on its own: ``length`` words, each
    the most probable given the summary and the words it has written so far (no teacher forcing)."""
    model.eval()
    doc = torch.zeros(len(summary), 0, dtype=torch.long, device=summary.device)
    slot = torch.full((len(summary), 1), PAD_ID, dtype=torch.long, device=summary.device)  # the word to predict
    for _ in range(length):
        logits = model(summary, torch.cat([doc, slot], 1))[:, -1]
        logits[:, :len(SPECIALS)] = float("-inf")
        doc = torch.cat([doc, logits.argmax(-1, keepdim=True)], 1)
    return doc


def summary_explorer(models: dict[str, Seq2Seq2Seq], vocab: Vocabulary, examples: Sequence[NewsItem]) -> LessonWidget:
    """A menu of documents and a text box to edit one: each model's summary of it, and the
    document its reconstructor writes back from that summary alone (as many words as the
    document has). Words the generator never uses are reported, not guessed."""
    import ipywidgets as W
    import plotly.graph_objects as go

    from course.text import tokenize
    from course.widgets import LessonWidget

    rows = ["reference headline", *(f"{name}: summary" for name in models), *(f"{name}: rebuilt" for name in models)]
    fig = go.FigureWidget(data=[go.Table(columnwidth=[170, 600],
                                         header=dict(values=["", "text"], align="left"),
                                         cells=dict(values=[rows, [""] * len(rows)], align="left", height=28))])
    fig.update_layout(height=120 + 34 * len(rows), width=820, margin=dict(l=10, r=10, t=60, b=10))
    labels = [f"{i}: {item.headline}" for i, item in enumerate(examples)]
    menu = W.Dropdown(options=list(zip(labels, range(len(examples)))), value=0, description="document",
                      layout=W.Layout(width="360px"))
    box = W.Textarea(value=examples[0].text, description="text", continuous_update=False,
                     layout=W.Layout(width="520px", height="70px"))

    def redraw(_=None) -> None:
        words = tokenize(box.value)[:max_length()]
        unknown = sorted({w for w in words if w not in vocab.index})
        item = examples[menu.value]
        reference = item.headline if words == item.tokens() else "(edited: no reference)"
        if unknown or not words:
            texts = [reference] + ["words the generator never uses: " + ", ".join(unknown) if unknown
                                   else "type a document"] * (len(rows) - 1)
        else:
            doc = torch.tensor([vocab.encode(words, max_length())], device=next(iter(models.values())).steps.device)
            summaries = {name: m.summarise(doc) for name, m in models.items()}
            texts = [reference, *(" ".join(vocab.decode(s[0])) for s in summaries.values()),
                     *(" ".join(vocab.decode(rebuild(m.reconstructor, summaries[name], len(words))[0]))
                       for name, m in models.items())]
        with fig.batch_update():
            fig.data[0].cells.values = [rows, texts]
            fig.layout.title = "<br>".join(textwrap.wrap(" ".join(words), 80))  # fits the 820-px figure

    menu.observe(lambda change: setattr(box, "value", examples[change["new"]].text), names="value")
    box.observe(redraw, names="value")
    redraw()
    return LessonWidget(fig, [menu, box])
