"""Lesson 03's masked language model: BERT as a denoising autoencoder for text.

- :class:`TinyBERT`: word embeddings, a few Transformer encoder blocks
  (:class:`EncoderBlock`, :class:`SelfAttention`, which knows word order through a learned
  bias per distance), and a linear decoder to one score per word of the vocabulary;
  ``encode`` gives the hidden states, ``decode`` the scores
- :class:`MaskedLMLoss`: what ``course.train.fit`` minimises: corrupt a batch with
  :func:`course.text.mask_tokens`, cross-entropy against the original words at the
  chosen positions only
- :func:`masked_log_probs` and :func:`evaluate`: log-probabilities, accuracy and
  cross-entropy at the chosen positions of a :class:`course.text.MaskedSet`
- :class:`HeldoutMonitor`: the held-out accuracy and cross-entropy after every epoch
  (``fit(..., monitor=...)``), for the training curve
- :func:`accuracy_by_corruption`, :func:`rate_sweep`, :func:`examples`: what the lesson
  measures besides the headline score
- :func:`fill_in` and :func:`fill_in_widget`: type a sentence with ``[MASK]``, get the
  model's top guesses with their probabilities
- :func:`mapping`: the table from denoising autoencoder to BERT, each row with the line
  of code that does it
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Sequence

import ipywidgets as W
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from torch import nn

from course import checkpoints
from course.text import MASK_ID, PAD_ID, MaskedSet, NgramBaselines, Vocabulary, mask_tokens, masked_set, tokenize
from course.train import predict
from course.widgets import LessonWidget


class SelfAttention(nn.Module):
    """Multi-head self-attention: every position mixes in the positions it finds relevant.

    Each position asks a *query*, offers a *key* and a *value*; position i takes the
    average of the values of all positions j, weighted by softmax over j of
    ``query_i . key_j / sqrt(d) + distance_bias[j - i]``. The bias is how much each head
    likes to look ``j - i`` words away; it starts at ``-slope * |j - i|`` (nearby words
    first, a different slope per head, as in ALiBi) and is learned. Padding is never
    looked at, and there is no causal mask: a word sees its left *and* right context.
    """

    def __init__(self, width: int, heads: int, length: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.length, self.dropout = heads, length, dropout
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        slopes = 0.5 ** torch.arange(heads, dtype=torch.float32)      # 1, 1/2, 1/4, ...
        distance = torch.arange(1 - length, length, dtype=torch.float32)  # j - i
        self.distance_bias = nn.Parameter(-slopes[:, None] * distance.abs())  # (heads, 2L - 1)

    def forward(self, x: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        n, length, width = x.shape
        q, k, v = (t.view(n, length, self.heads, -1).transpose(1, 2)   # (N, heads, L, width/heads)
                   for t in self.qkv(x).chunk(3, dim=-1))
        i = torch.arange(length, device=x.device)
        bias = self.distance_bias[:, i[None, :] - i[:, None] + self.length - 1]  # (heads, L, L)
        bias = bias.masked_fill(~visible[:, None, None, :], -math.inf)         # (N, heads, L, L)
        mixed = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype),
                                               dropout_p=self.dropout if self.training else 0.0)
        return self.out(mixed.transpose(1, 2).reshape(n, length, width))


class EncoderBlock(nn.Module):
    """One Transformer encoder block: attention, then a small per-position MLP.

    Each sub-layer reads a layer-normalised copy and *adds* its result (a residual
    connection), so information can pass through many blocks unchanged.
    """

    def __init__(self, width: int, heads: int, length: int, dropout: float) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attention = SelfAttention(width, heads, length, dropout)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attention(self.norm1(x), visible))
        return x + self.drop(self.mlp(self.norm2(x)))


class TinyBERT(nn.Module):
    """A BERT-style masked language model, small enough to train on a laptop CPU.

    ``encode``: token ids ``(N, L)`` -> hidden states ``(N, L, width)``: each word's
    embedding, then ``depth`` encoder blocks (word order enters through the attention's
    distance bias, see :class:`SelfAttention`). ``decode``: hidden
    states -> one score per vocabulary word (a linear layer; softmax turns the scores
    into probabilities). As in BERT, the decoder shares its weights with the input
    embedding: a word's score is how well the hidden state matches that word's vector.
    """

    def __init__(self, vocab_size: int, length: int, width: int = 64, depth: int = 2,
                 heads: int = 4, dropout: float = 0.0) -> None:
        super().__init__()
        self.config = {"vocab_size": vocab_size, "length": length, "width": width,
                       "depth": depth, "heads": heads, "dropout": dropout}
        self.token = nn.Embedding(vocab_size, width)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(EncoderBlock(width, heads, length, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.decoder = nn.Linear(width, vocab_size)
        self.decoder.weight = self.token.weight  # tied: one vector per word, in and out
        for module in self.modules():  # BERT's initialisation: small weights everywhere
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        """Token ids ``(N, L)`` -> hidden states ``(N, L, width)``, one per position."""
        visible = ids != PAD_ID  # attention never looks at padding
        x = self.drop(self.token(ids))
        for block in self.blocks:
            x = block(x, visible)
        return self.norm(x)

    def decode(self, hidden: torch.Tensor) -> torch.Tensor:
        """Hidden states ``(..., width)`` -> scores (logits) ``(..., vocab_size)``."""
        return self.decoder(hidden)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(ids))


class MaskedLMLoss:
    """Lesson 03's objective: corrupt the words, reconstruct the originals where corrupted.

    Each call masks a batch afresh with :func:`course.text.mask_tokens` (so every epoch
    sees new masks on the same text), encodes it, decodes only the chosen positions and
    returns the cross-entropy against the original words there. Use it as
    ``fit(model, train_ids, loss_fn=MaskedLMLoss(0.15, vocab_size=len(vocab)))``.
    """

    def __init__(self, rate: float, *, vocab_size: int, seed: int = 0) -> None:
        self.rate, self.vocab_size, self.seed = rate, vocab_size, seed
        self._generator: torch.Generator | None = None

    def __call__(self, model: TinyBERT, ids: torch.Tensor) -> torch.Tensor:
        if self._generator is None or self._generator.device != ids.device:
            self._generator = torch.Generator(device=ids.device).manual_seed(self.seed)
        inputs, chosen = mask_tokens(ids, self.rate, self._generator, vocab_size=self.vocab_size)
        hidden = model.encode(inputs)                 # (N, L, width): the encoder
        if not chosen.any():                          # (only with tiny rates or batches)
            return hidden.sum() * 0.0
        logits = model.decode(hidden[chosen])         # (M, vocab): the decoder, chosen positions only
        return F.cross_entropy(logits.float(), ids[chosen])  # against the original words

    def __repr__(self) -> str:
        return f"MaskedLMLoss(rate={self.rate}, vocab_size={self.vocab_size}, seed={self.seed})"


@torch.no_grad()
def masked_log_probs(model: TinyBERT, data: MaskedSet, batch_size: int = 256) -> torch.Tensor:
    """Log-probabilities of every word at the chosen positions of ``data``: ``(M, vocab)``."""
    hidden = predict(model, data.inputs, method="encode", batch_size=batch_size)  # (N, L, width)
    logits = predict(model, hidden[data.chosen], method="decode", batch_size=4096)
    return logits.log_softmax(-1)


@dataclass(frozen=True)
class Score:
    """Masked-word accuracy (share of top guesses that are right) and cross-entropy (nats)."""

    accuracy: float
    xent: float


def evaluate(model: TinyBERT, data: MaskedSet) -> Score:
    """The model's accuracy and cross-entropy at the chosen positions of ``data``."""
    log_p = masked_log_probs(model, data)
    answers = data.answers
    if len(answers) == 0:
        return Score(float("nan"), float("nan"))
    return Score(accuracy=(log_p.argmax(-1) == answers).float().mean().item(),
                 xent=-log_p.gather(1, answers[:, None]).mean().item())


class HeldoutMonitor:
    """For ``fit(..., monitor=...)``: held-out accuracy and cross-entropy after each epoch."""

    def __init__(self, data: MaskedSet) -> None:
        self._data = data
        self.data = checkpoints.fingerprint(data.inputs, data.targets, data.chosen)  # keys the cache

    def __call__(self, model: TinyBERT) -> dict[str, float]:
        score = evaluate(model, self._data)
        return {"heldout_accuracy": score.accuracy, "heldout_xent": score.xent}


# --- filling in blanks ---------------------------------------------------------------------

@dataclass(frozen=True)
class Guesses:
    """The model's top guesses for each ``[MASK]`` of a sentence."""

    tokens: list[str]                       # the sentence as the model reads it
    at: list[int]                           # where the masks are
    top: list[list[tuple[str, float]]]      # for each mask: (word, probability), best first

    def filled(self) -> str:
        """The sentence with every mask replaced by its top guess, in brackets."""
        words = list(self.tokens)
        for i, guesses in zip(self.at, self.top):
            words[i] = f"[{guesses[0][0]}]"
        return " ".join(words)


@torch.no_grad()
def fill_in(model: TinyBERT, vocab: Vocabulary, sentence: str, k: int = 5) -> Guesses:
    """Tokenise ``sentence`` (type ``[MASK]`` for a blank) and return the top ``k`` guesses.

    Words the vocabulary does not know become ``[UNK]``; text beyond the model's
    length is cut off. The guesses never include the special tokens.
    """
    length = model.config["length"]
    tokens = tokenize(sentence)[:length]
    ids = vocab.encode(tokens)
    at = [i for i, t in enumerate(ids) if t == MASK_ID]
    if not at:
        return Guesses(vocab.decode(ids), [], [])
    row = torch.tensor([ids + [PAD_ID] * (length - len(ids))])
    logits = predict(model, row)[0, at]                       # (masks, vocab)
    logits[:, :3] = -math.inf                                 # never guess a special token
    p = logits.softmax(-1)
    values, indices = p.topk(k, dim=-1)
    top = [[(vocab.itos[int(i)], float(v)) for v, i in zip(vs, ix)] for vs, ix in zip(values, indices)]
    return Guesses(vocab.decode(ids), at, top)


def fill_in_widget(model: TinyBERT, vocab: Vocabulary, examples: Sequence[str], k: int = 5) -> LessonWidget:
    """A text box (and a menu of example sentences): type ``[MASK]`` where a word is missing.

    The bar chart shows the model's top ``k`` words for the first ``[MASK]`` with their
    probabilities; its title is the sentence with every blank filled by the top guess.
    Choosing an example puts it in the text box.
    """
    fig = go.FigureWidget(data=[go.Bar(x=[0.0] * k, y=[""] * k, orientation="h",
                                       marker_color="#1f77b4", text=[""] * k, textposition="auto")])
    fig.update_layout(height=320, width=720, margin=dict(l=120, r=20, t=70, b=40),
                      xaxis=dict(title="probability", range=[0, 1]),
                      yaxis=dict(autorange="reversed"))
    menu = W.Dropdown(options=list(examples), value=examples[0], description="example",
                      layout=W.Layout(width="420px"))
    box = W.Text(value=examples[0], description="sentence", continuous_update=False,
                 layout=W.Layout(width="620px"))

    def redraw(_=None) -> None:
        guesses = fill_in(model, vocab, box.value, k)
        with fig.batch_update():
            if guesses.top:
                words, probs = zip(*guesses.top[0])
                fig.data[0].x, fig.data[0].y = list(probs), list(words)
                fig.data[0].text = [f"{p:.0%}" for p in probs]
                more = f" (bars: the first of {len(guesses.at)} blanks)" if len(guesses.at) > 1 else ""
                fig.layout.title = "<br>".join(textwrap.wrap(guesses.filled() + more, 90))
            else:
                fig.data[0].x, fig.data[0].y, fig.data[0].text = [0.0] * k, [""] * k, [""] * k
                fig.layout.title = "type [MASK] where a word is missing"

    menu.observe(lambda change: setattr(box, "value", change["new"]), names="value")
    box.observe(redraw, names="value")
    redraw()
    return LessonWidget(fig, [menu, box])


# --- measuring ------------------------------------------------------------------------------

CORRUPTIONS = ("[MASK]", "random word", "unchanged")


def corruption_kinds(data: MaskedSet) -> list[str]:
    """What happened to each chosen word of ``data`` (in the order of ``data.answers``)."""
    seen, answers = data.inputs[data.chosen], data.answers
    return [CORRUPTIONS[0] if s == MASK_ID else CORRUPTIONS[2] if s == a else CORRUPTIONS[1]
            for s, a in zip(seen.tolist(), answers.tolist())]


def accuracy_by_corruption(model: TinyBERT, data: MaskedSet) -> dict[str, tuple[int, float]]:
    """``{kind: (how many, accuracy)}`` for chosen words that became [MASK], a random word, or stayed."""
    right = (masked_log_probs(model, data).argmax(-1) == data.answers).tolist()
    kinds = corruption_kinds(data)
    out = {}
    for kind in CORRUPTIONS:
        hits = [r for r, k in zip(right, kinds) if k == kind]
        out[kind] = (len(hits), sum(hits) / len(hits) if hits else float("nan"))
    return out


def rate_sweep(models: dict[str, TinyBERT], baselines: NgramBaselines, heldout: torch.Tensor,
               rates: Sequence[float], *, seed: int = 0) -> dict[str, dict[str, list[float]]]:
    """Accuracy and cross-entropy of each model and baseline on ``heldout`` masked at each rate.

    At every rate all methods are scored on the same masked positions (drawn with
    ``seed``). Returns ``{"accuracy": {method: [...]}, "xent": {method: [...]}}``.
    """
    out: dict[str, dict[str, list[float]]] = {"accuracy": {}, "xent": {}}
    for rate in rates:
        data = masked_set(heldout, rate, vocab_size=baselines.vocab_size, seed=seed)
        scores = {name: evaluate(m, data) for name, m in models.items()}
        scores |= {name: Score(*s) for name, s in baselines.score(data).items()}
        for name, s in scores.items():
            out["accuracy"].setdefault(name, []).append(s.accuracy)
            out["xent"].setdefault(name, []).append(s.xent)
    return out


def examples(model: TinyBERT, vocab: Vocabulary, data: MaskedSet, baselines: NgramBaselines,
             n: int = 8, window: int = 6, k: int = 3) -> list[dict[str, str]]:
    """The first ``n`` words of ``data`` that were replaced by [MASK]: context, answer, guesses."""
    rows = []
    log_p = masked_log_probs(model, data)
    kinds = corruption_kinds(data)
    where = data.chosen.nonzero().tolist()
    for (r, c), kind, lp in zip(where, kinds, log_p):
        if kind != CORRUPTIONS[0]:
            continue
        lp[:3] = -math.inf
        seen = vocab.decode(data.inputs[r].tolist())
        left = " ".join(t for t in seen[max(0, c - window):c] if t != "[PAD]")
        right = " ".join(t for t in seen[c + 1:c + 1 + window] if t != "[PAD]")
        p, top = lp.exp().topk(k)
        guess = {m: vocab.itos[int(d.argmax())]
                 for m, d in baselines.distributions(data.inputs[r].tolist(), c).items()}
        rows.append({"text (the model sees the [MASK]s)": f"{left} ____ {right}",
                     "answer": vocab.itos[int(data.targets[r, c])],
                     f"model's top {k}": ", ".join(f"{vocab.itos[int(i)]} {float(q):.0%}" for q, i in zip(p, top)),
                     "bigram": guess["bigram"], "both neighbours": guess["both neighbours"]})
        if len(rows) == n:
            break
    return rows


def mapping() -> list[dict[str, str]]:
    """Lesson 03's table: each part of a denoising autoencoder, its BERT name, and the line that runs it."""
    import inspect
    from pathlib import Path

    from course import text as text_module

    def line(obj, needle: str) -> str:
        lines, start = inspect.getsourcelines(obj)
        path = Path(inspect.getsourcefile(obj) or "")
        for offset, code in enumerate(lines):
            if needle in code:
                return f"{'/'.join(path.parts[-2:])}, line {start + offset}: {code.split('  #')[0].strip()}"
        raise ValueError(f"{needle!r} is not in the source of {obj.__qualname__}")

    parts = [
        ("noise (lesson 02: drop pixels)", "masking: 15% of the words, 80/10/10",
         text_module.mask_tokens, "chosen = (uniform() < rate)"),
        ("the encoder", "the Transformer encoder", TinyBERT.encode, "x = block(x, visible)"),
        ("the code z", "the hidden state at a masked position", MaskedLMLoss.__call__, "hidden[chosen]"),
        ("the decoder", "a linear layer (+ softmax, inside the loss)", TinyBERT.decode, "self.decoder(hidden)"),
        ("the reconstruction loss", "cross-entropy against the original word", MaskedLMLoss.__call__,
         "F.cross_entropy"),
    ]
    return [{"denoising autoencoder": ae, "BERT": b, "the code that runs it": line(obj, needle)}
            for ae, b, obj, needle in parts]
