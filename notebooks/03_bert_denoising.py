# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: slideshow,tags,-all
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python (autoencoder course)
#     language: python
#     name: autoencoder-course
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 03 · BERT is a denoising autoencoder
#
# Lesson 02 ended with a bridge: **masking pixels is what BERT does to words**. Here we
# cross it. Take a sentence $x = (x_1, \dots, x_L)$, hide some of its words, and train a
# network to put back the originals:
#
# $$\tilde x = \text{mask}(x), \qquad h = e(\tilde x), \qquad
# p(\,\cdot \mid \tilde x)_i = \text{softmax}(W h_i + b), \qquad
# \text{loss} = -\frac{1}{|M|} \sum_{i \in M} \log p(x_i \mid \tilde x)_i ,$$
#
# where $M$ is the set of positions that were corrupted. Read it with lesson 02 next to it:
#
# | denoising autoencoder (lesson 02) | BERT (this lesson) |
# |---|---|
# | noise: drop a share of the pixels | masking: hide 15% of the words |
# | the encoder (convolutions) | the Transformer encoder |
# | the code $z$ | the hidden state $h_i$ at a masked position |
# | the decoder (transposed convolutions) | a linear layer and a softmax over the vocabulary |
# | reconstruction loss: squared error against the clean image | cross-entropy against the original word |
#
# It is the same recipe with words for pixels: BERT (Devlin et al., 2019) *is* a
# denoising autoencoder, and, as in lesson 02, it is kept for its encoder. This lesson:
#
# 1. takes real English text that ships with Python, and splits it into training text and
#    **held-out** text the model never sees, so every figure is measured on new text;
# 2. writes the tokenizer and BERT's masking recipe (15% of the words; of those, 80%
#    `[MASK]`, 10% a random word, 10% unchanged), and asks you to write the masking too;
# 3. builds a tiny BERT, shows every line that runs, trains it from scratch, and scores it
#    against two honest baselines that need no neural network: the most frequent word
#    (**unigram**) and the word that usually follows the left neighbour (**bigram**);
# 4. gives you a fill-in-the-blank box: type a sentence with `[MASK]`, see the top 5 guesses;
# 5. raises the masking rate, as lesson 02 raised the noise level, and measures what goes
#    wrong when too much of the sentence is hidden.
#
# **You will be able to**
#
# * map BERT's pre-training onto the denoising autoencoder of lesson 02, part by part:
#   noise, encoder, code, decoder, reconstruction loss;
# * write BERT's masking recipe (15% of the words; of those 80% `[MASK]`, 10% a random
#   word, 10% unchanged) and say what the random and the unchanged words are for;
# * train a tiny Transformer encoder from scratch and score it honestly: on held-out text,
#   on the same masked positions as counting baselines that need no network;
# * measure what happens to every method when more of the words are hidden.
#
# **Prerequisites:** lessons 01 (autoencoders, training with `course.train.fit`) and 02
# (denoising autoencoders, masking noise). No knowledge of Transformers is assumed: the
# lesson shows every line of its own.
#
# **Time:** about a minute and a quarter of computing on a laptop CPU (two small models,
# about 30 s each on one core); trained models are cached (lesson 00), so a second run
# takes seconds. Reading and playing: 45 minutes.
#
# **Key terms 关键词** ([glossary 术语表](glossary.md)): denoising autoencoder 去噪自编码器 · masking 掩码 · BERT BERT 模型 · Transformer Transformer 模型 · masked language model 掩码语言模型 · token 词元 · vocabulary 词表 · self-attention 自注意力 · cross-entropy 交叉熵 · baseline 基线 · held-out text 留出文本

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
HELDOUT_FRACTION = 0.2  # share of the text's tokens held out for measuring (whole documents)
SPLIT_SEED = 0  # which documents are held out; the split is the same on every machine
MIN_COUNT = 2  # a word enters the vocabulary if the training text has it at least this often
LENGTH = 64  # tokens per sequence the model reads
WIDTH = 64  # numbers per hidden state (the size of the "code" at each position)
DEPTH = 2  # Transformer encoder blocks
HEADS = 4  # attention heads per block
MASK_RATE = 0.15  # share of the words corrupted, in training and in the headline test
EPOCHS = 30  # passes over the training text, each with fresh masks (~1 s each on one CPU core)
BATCH_SIZE = 16  # sequences per gradient step
LR = 3e-3  # peak learning rate of the one-cycle schedule
SWEEP_RATES = [0.15, 0.3, 0.45, 0.6, 0.75]  # masking rates at which the sweep scores every method
SWEEP_TRAIN_RATE = 0.4  # the sweep also trains a second model at this rate (0: skip it)
SEED = 0
USE_CACHE = True  # reload models trained earlier with exactly these settings
SMOKE = False  # True: a few seconds of training for CI; claims are shown, not asserted

# %% slideshow={"slide_type": "skip"}
from course.params import (boolean, check_parameters, epoch_cost, integer, list_of, number, require, seed,
                           training_time)

check_parameters(
    HELDOUT_FRACTION=(HELDOUT_FRACTION, number(min=0.05, max=0.5)),
    SPLIT_SEED=(SPLIT_SEED, seed()),
    MIN_COUNT=(MIN_COUNT, integer(min=1)),
    LENGTH=(LENGTH, integer(min=8, max=512)),
    WIDTH=(WIDTH, integer(min=8, max=1024)),
    DEPTH=(DEPTH, integer(min=1, max=12)),
    HEADS=(HEADS, integer(min=1, max=16)),
    MASK_RATE=(MASK_RATE, number(min=0.01, max=0.95)),
    EPOCHS=(EPOCHS, integer(min=1)),
    BATCH_SIZE=(BATCH_SIZE, integer(min=1, max=4096)),
    LR=(LR, number(min=1e-6, max=1.0)),
    SWEEP_RATES=(SWEEP_RATES, list_of(number(min=0.01, max=0.95), max_len=20, unique=True)),
    SWEEP_TRAIN_RATE=(SWEEP_TRAIN_RATE, number(min=0.0, max=0.95)),
    SEED=(SEED, seed()),
    USE_CACHE=(USE_CACHE, boolean()),
    SMOKE=(SMOKE, boolean()),
)
require(WIDTH % HEADS == 0, f"HEADS = {HEADS}, but it must divide WIDTH = {WIDTH}: each head reads "
                            f"an equal share of the numbers")
from course import text  # noqa: E402  (imports PyTorch: after the plain checks, so a typo shows at once)

words = len(text.Vocabulary([t for d in text.split_documents(text.pydoc_documents(), HELDOUT_FRACTION,
                                                             seed=SPLIT_SEED).train for t in d.tokens()],
                            min_count=MIN_COUNT)) - text.N_SPECIAL
require(words >= 50, f"MIN_COUNT = {MIN_COUNT}, but only {words} words of the training text occur that often; "
                     f"a model needs at least 50 words to choose from: lower it")
# One epoch is ~1 s on one core at the defaults; the work per token grows with the blocks
# (DEPTH x WIDTH^2 and the attention over LENGTH) and with the output layer (vocabulary x WIDTH).
work = (DEPTH * (12 * WIDTH**2 + 2 * LENGTH * WIDTH) + (words + text.N_SPECIAL) * WIDTH) / 220_672
budget = training_time(EPOCHS=(EPOCHS, (1 + (SWEEP_TRAIN_RATE > 0)) * epoch_cost(1.0, work, BATCH_SIZE, 16)))
if SMOKE:  # after the checks, never instead of them
    EPOCHS, SWEEP_RATES = 1, [0.5]
    budget = budget.with_counts(EPOCHS=EPOCHS)
print(budget)

# %% slideshow={"slide_type": "skip"}
import textwrap

import torch
from IPython.display import display
from pydoc_data.topics import topics as pydoc_topics

from course import bert, exercises, plots, text
from course.device import get_device, one_thread, seed_everything
from course.diagrams import flow
from course.models import count_parameters
from course.prose import say
from course.results import check_claim, record_results
from course.show import show_source
from course.train import History, fit

seed_everything(SEED)
device = get_device()
print(f"device: {device}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The model at a glance
#
# Lesson 02's picture, with words for pixels. The loss looks only at the positions the
# masking chose: a word the model can see and that nobody asked about costs nothing.

# %% slideshow={"slide_type": "subslide"}
flow("sentence x", "masking\n(the noise)", "x̃: some words\n[MASK], random, kept", "Transformer\nencoder",
     "h_i at each\nchosen position", "linear +\nsoftmax", "p(word at i)", kinds="dodecgd",
     below={"p(word at i)": ("cross-entropy with the original word,\nchosen positions only", "l", "sentence x")},
     caption="BERT as a denoising autoencoder: hide words, encode the context, decode the words back")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The text, and the text we keep aside
#
# Every Python installation carries the prose of its own documentation: `help("if")`
# reads it from the module `pydoc_data.topics`. That is dozens of topics of carefully
# written technical English, and nothing needs downloading (it changes a little from one
# Python version to the next, and the figures below with it). We keep the paragraphs
# that are sentences (code examples, grammar rules and tables go) and make documents of them.
#
# Some topics repeat others word for word (`compound` contains `if`, `while`, `try`, ...).
# Had `compound` gone to training and `if` to the held-out text, the model would be tested
# on sentences it had read. So topics that share a paragraph are merged into one
# document, and a repeated paragraph is kept once; then whole documents go either to the
# training text or to the held-out text.

# %% slideshow={"slide_type": "subslide"}
show_source(text.split_documents)

# %% slideshow={"slide_type": "subslide"}
documents = text.pydoc_documents()
corpus = text.split_documents(documents, HELDOUT_FRACTION, seed=SPLIT_SEED)
print(corpus)
print("held out:", ", ".join(d.name for d in corpus.heldout))
say("This Python has {topics} documentation topics; the ones with prose, merged where they share a paragraph, "
    "make {docs} documents: {train} for training, {held} held out.", topics=len(pydoc_topics),
    docs=len(documents), train=len(corpus.train), held=len(corpus.heldout));

# %% slideshow={"slide_type": "subslide"}
print("A paragraph of held-out text:\n")
print(textwrap.fill(next(p for d in corpus.heldout for p in d.paragraphs if len(p) > 300), 88))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Words to numbers
#
# A network reads numbers, so the text becomes a sequence of token ids. Our tokenizer
# is one regular expression: lowercase words (with `_`, so `__init__` stays one word),
# numbers, and every other character as a token of its own. (BERT cuts rare words into
# frequent pieces, "word pieces"; whole words keep this lesson simple.)

# %% slideshow={"slide_type": "subslide"}
show_source(text.tokenize)

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
print(text.tokenize('The "__init__()" method of a class is called when an instance is [MASK].'))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The **vocabulary** comes from the training text only: a word enters it if training has it
# at least `MIN_COUNT` times. Any other word, in particular a word that appears only in
# the held-out text, becomes `[UNK]` (unknown), as it would for a deployed model. Three
# ids are special: `[PAD]` fills the end of a short sequence, `[UNK]`, and `[MASK]`.
# Special tokens are never chosen for masking, so the model is never asked to predict
# an unknown word. Each document is then cut into sequences of `LENGTH` tokens; no
# sequence crosses a document, so a held-out sequence holds held-out text only.

# %% slideshow={"slide_type": "subslide"}
vocab = text.Vocabulary([t for d in corpus.train for t in d.tokens()], min_count=MIN_COUNT)
train_ids = text.to_sequences(corpus.train, vocab, LENGTH)
heldout_ids = text.to_sequences(corpus.heldout, vocab, LENGTH)
n_train_tokens = int((train_ids != text.PAD_ID).sum())
n_heldout_tokens = int((heldout_ids != text.PAD_ID).sum())
print(vocab)
print(f"training: {tuple(train_ids.shape)} token ids, {n_train_tokens:,} tokens")
print(f"held out: {tuple(heldout_ids.shape)} token ids, {n_heldout_tokens:,} tokens, "
      f"{(heldout_ids == text.UNK_ID).sum() / n_heldout_tokens:.1%} of them [UNK]")
print("the most frequent:", " ".join(vocab.itos[text.N_SPECIAL:text.N_SPECIAL + 25]))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Nothing is measured on text the model trained on. The unit tests check this
# (`tests/test_text.py`), and so does the notebook, every time it runs:

# %% slideshow={"slide_type": "fragment"}
train_rows = {tuple(r) for r in train_ids.tolist()}
shared_rows = sum(tuple(r) in train_rows for r in heldout_ids.tolist())
shared_docs = {d.name for d in corpus.train} & {d.name for d in corpus.heldout}
shared_paragraphs = {p for d in corpus.train for p in d.paragraphs} & {p for d in corpus.heldout for p in d.paragraphs}
check_claim("the held-out text shares no document, no paragraph and no sequence with the training text",
            not shared_docs and not shared_paragraphs and shared_rows == 0,
            f"{len(shared_docs)} documents, {len(shared_paragraphs)} paragraphs, {shared_rows} sequences",
            smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The noise: BERT's masking
#
# BERT's recipe, the noise model of this lesson:
#
# 1. **choose** 15% of the words at random (never padding or `[UNK]`);
# 2. of the chosen words, replace **80% by `[MASK]`**, **10% by a random word**, and leave
#    **10% unchanged**;
# 3. ask the model for the original word at **every chosen position**, and nowhere else.
#
# Why not simply mask all the chosen words? A model trained only on `[MASK]` positions
# learns to guess where it sees `[MASK]`, and nothing forces it to describe the words it
# *does* see: yet those descriptions, the hidden states of ordinary words, are what BERT
# is kept for, and real text has no `[MASK]`. The **unchanged 10%** make every visible
# word a possible question, so the model must keep a good description of each word it
# reads. The **random 10%** make the visible word untrustworthy, so it cannot just copy
# it: it has to check each word against its context. (Below, we measure how the trained
# model does on each of the three kinds.)
#
# Here is what the recipe does to a sentence of held-out text, at a rate of 50% so that
# there is more to see:

# %% slideshow={"slide_type": "subslide"}
demo_inputs, demo_chosen = text.mask_tokens(heldout_ids[:1, :24], 0.5, torch.Generator().manual_seed(SEED),
                                            vocab_size=len(vocab))
plots.Table([{"position": i, "original": vocab.itos[o], "the model reads": vocab.itos[s],
              "what happened": ("—" if not c else "[MASK]" if s == text.MASK_ID else
                                "unchanged" if s == o else "random word")}
             for i, (o, s, c) in enumerate(zip(heldout_ids[0, :24].tolist(), demo_inputs[0].tolist(),
                                               demo_chosen[0].tolist()))],
            caption="Masking one held-out sequence at rate 0.5 (training uses 0.15)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: write BERT's masking
#
# Before the lesson uses it, write it. Complete
# `mask_words`: choose each word (an id of at least `text.N_SPECIAL`) with probability
# `rate`; of the chosen words, 80% become `text.MASK_ID`, 10% a random word (an id from
# `text.N_SPECIAL` to `vocab_size - 1`), 10% stay. Return `(inputs, chosen)`: the corrupted
# ids and a boolean tensor marking the chosen positions. Draw every random number from
# `generator`. The check counts the shares and looks for the usual slips.

# %% slideshow={"slide_type": "subslide"}
def mask_words(ids: torch.Tensor, rate: float, generator: torch.Generator,
               vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    # YOUR CODE HERE (about 7 lines)
    raise NotImplementedError


exercise = exercises.get("03-bert-masking")
exercise.check(mask_words)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The course's own version is `text.mask_tokens` (in `src/course/text.py`); the training
# below calls it on every batch. Its source is not shown here, so that it does not answer
# the exercise for you: the solution above is a version of it. Whatever the code, the
# recipe can be checked by counting. Over the whole training text, at the training rate:

# %% slideshow={"slide_type": "fragment"}
inputs, chosen = text.mask_tokens(train_ids, MASK_RATE, torch.Generator().manual_seed(SEED), vocab_size=len(vocab))
kinds = bert.corruption_kinds(text.MaskedSet(train_ids, inputs, chosen, MASK_RATE))
words = train_ids >= text.N_SPECIAL
plots.Table([{"words": int(words.sum()), "chosen": f"{chosen.sum() / words.sum():.1%}",
              **{f"of those: {k}": f"{kinds.count(k) / len(kinds):.1%}" for k in bert.CORRUPTIONS}}],
            caption=f"Masking the training text at rate {MASK_RATE}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The encoder: a tiny Transformer
#
# The encoder turns the corrupted sequence into one hidden state per position, a vector
# of `WIDTH` numbers. It starts from a learned vector for each word (the *embedding*) and
# passes the sequence through `DEPTH` Transformer encoder blocks. In each block,
# **self-attention** lets every position gather information from the others, then a small
# MLP works on each position alone. Attention is what makes this an encoder of *context*:
# the hidden state at a `[MASK]` is built from the words around it, on both sides.

# %% slideshow={"slide_type": "subslide"}
show_source(bert.SelfAttention)

# %% [markdown] slideshow={"slide_type": "subslide"}
# One difference from BERT: BERT adds a learned *position vector* to each word, and must
# learn from data that nearby words matter most. With the few tens of thousands of tokens
# we have (counted above), that takes most of the training budget. Our attention instead
# gets a learned bonus for each distance, started so that every head looks at nearby
# words first (a *relative position bias*, as in T5, started the way ALiBi sets it). A
# small change with a large effect: in trials for this lesson, the same model with BERT's
# position vectors was still below the bigram baseline after 15 epochs; with the distance
# bias it is past both baselines by then (the training curve below shows when).

# %% slideshow={"slide_type": "subslide"}
show_source(bert.EncoderBlock)

# %% slideshow={"slide_type": "subslide"}
show_source(bert.TinyBERT)

# %% slideshow={"slide_type": "subslide"}
seed_everything(SEED)
model = bert.TinyBERT(len(vocab), LENGTH, width=WIDTH, depth=DEPTH, heads=HEADS)
embedding = model.token.weight.numel()
print(f"TinyBERT: {count_parameters(model):,} parameters, of which {embedding:,} are the word vectors "
      f"({len(vocab):,} words x {WIDTH}), shared by the input and the decoder")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The reconstruction loss
#
# The loss masks each batch afresh (so every epoch sees new masks on the same text), runs
# the encoder, decodes **only the chosen positions**, and compares the scores with the
# original words by cross-entropy: minus the log of the probability that the softmax
# gives the right word. A perfect guess costs 0; a uniform guess over the vocabulary costs
# $\log V$. Positions that were not chosen cost nothing: the model is never paid for
# copying a word it can see.

# %% slideshow={"slide_type": "subslide"}
show_source(bert.MaskedLMLoss)

# %% [markdown] slideshow={"slide_type": "subslide"}
# So the mapping of the introduction is five lines of code:

# %% slideshow={"slide_type": "fragment"}
plots.Table(bert.mapping(), caption="A denoising autoencoder, and the code that makes it BERT")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two baselines without a network
#
# A score means nothing without something to compare it with. Both baselines count words
# in the **training** text and are scored on **exactly the same held-out masked
# positions** as the model, reading the same corrupted input:
#
# * **unigram**: always guess the most frequent word. Its accuracy is that word's share
#   of the answers;
# * **bigram**: guess the word that most often follows the left neighbour in training;
# * **both neighbours** (a bonus, it is cheap): the word most often seen between the left
#   and the right neighbour.
#
# Where a neighbour is itself masked, or a pair never occurred in training, each backs
# off to the simpler guess. For the cross-entropy, each mixes its counts with the simpler
# model's probabilities (80:20), and the unigram adds one to every count, so no word has
# probability 0.

# %% slideshow={"slide_type": "subslide"}
show_source(text.NgramBaselines.distributions)

# %% slideshow={"slide_type": "subslide"}
baselines = text.NgramBaselines(train_ids, len(vocab))
test_set = text.masked_set(heldout_ids, MASK_RATE, vocab_size=len(vocab), seed=SEED)
baseline_scores = baselines.score(test_set)
print(f"{len(test_set.answers):,} held-out words to fill in, masked once with seed {SEED}")
for name, (acc, xent) in baseline_scores.items():
    print(f"{name:>16}: accuracy {acc:.1%}, cross-entropy {xent:.2f} nats")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Training
#
# `course.train.fit` with `loss_fn=MaskedLMLoss(...)`: lesson 01's loop, lesson 03's loss.
# After each epoch a monitor scores the model on the held-out masked words above (it
# only measures; nothing about training depends on it), which gives the training curve.
# On a CPU the model trains on one thread: its matrices are so small that sharing each
# product between cores costs more than it saves, and far more when the machine is busy.

# %% slideshow={"slide_type": "subslide"}
def train(rate: float, desc: str) -> tuple[bert.TinyBERT, History]:
    """A TinyBERT trained with masking rate ``rate`` (or loaded from the cache)."""
    seed_everything(SEED)
    model = bert.TinyBERT(len(vocab), LENGTH, width=WIDTH, depth=DEPTH, heads=HEADS)
    with one_thread():
        history = fit(model, train_ids, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR,
                      loss_fn=bert.MaskedLMLoss(rate, vocab_size=len(vocab), seed=SEED),
                      monitor=bert.HeldoutMonitor(test_set), seed=SEED, cache=USE_CACHE, desc=desc)
    print(f"{desc}: {'loaded from cache' if history.from_cache else f'trained in {history.seconds:.1f} s'}")
    return model, history


model, history = train(MASK_RATE, f"TinyBERT, masking {MASK_RATE:.0%}")

# %% slideshow={"slide_type": "subslide"}
epochs = list(range(1, EPOCHS + 1))
curves = {
    "accuracy": plots.line_chart(
        epochs, {"TinyBERT, held out": history.extra["heldout_accuracy"],
                 **{name: [acc] * EPOCHS for name, (acc, _) in baseline_scores.items()}},
        x_title="epoch", y_title="held-out masked-word accuracy",
        title="Filling in held-out words: the model against the baselines"),
    "xent": plots.line_chart(
        epochs, {"TinyBERT, held out": history.extra["heldout_xent"],
                 **{name: [xent] * EPOCHS for name, (_, xent) in baseline_scores.items()},
                 "TinyBERT, training text (fresh masks)": history.train_loss},
        x_title="epoch", y_title="cross-entropy (nats)",
        title="Cross-entropy at the masked positions (lower is better)"),
}
for fig in curves.values():  # the baselines do not train: flat dashed lines
    fig.update_traces(mode="lines", line_dash="dash", selector=lambda t: t.name in baseline_scores)
    display(fig)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The dashed lines are the baselines, which do not train. The model starts not far above
# the unigram (first it learns which words are frequent), passes the bigram and then the
# both-neighbours baseline as it learns to read the context, and keeps going. Its
# training loss ends below its held-out loss: on so little text it starts to memorise,
# which is why the figures that count are measured on held-out text. In numbers:

# %% slideshow={"slide_type": "fragment"}
accuracy_curve = history.extra["heldout_accuracy"]
def passes(name: str) -> str:
    """When the held-out accuracy first beats a baseline, in words."""
    epoch = next((e for e, a in zip(epochs, accuracy_curve) if a > baseline_scores[name][0]), None)
    return f"passes the {name} baseline after epoch {epoch}" if epoch else f"never passes the {name} baseline"


say("After epoch 1 the model fills in {first:.1%} of the held-out words (the unigram: {unigram:.1%}); it "
    "{bigram}, {both}, and ends at {last:.1%}. Its last training loss is {train:.2f} nats, its held-out "
    "cross-entropy {heldout:.2f}: it has read only {tokens:,} tokens of training text.", first=accuracy_curve[0],
    unigram=baseline_scores["unigram"][0], bigram=passes("bigram"), both=passes("both neighbours"),
    last=accuracy_curve[-1], train=history.train_loss[-1], heldout=history.extra["heldout_xent"][-1],
    tokens=n_train_tokens);

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The scores
#
# All on the same held-out masked words:

# %% slideshow={"slide_type": "subslide"}
score = bert.evaluate(model, test_set)
scores = {"TinyBERT": (score.accuracy, score.xent), **baseline_scores}
plots.Table([{"method": name, "accuracy": acc, "cross-entropy (nats)": xent,
              "perplexity": text.perplexity(xent)} for name, (acc, xent) in scores.items()],
            caption=f"{len(test_set.answers):,} held-out words, {MASK_RATE:.0%} masked")

# %% [markdown] slideshow={"slide_type": "subslide"}
# *Perplexity* is $e^{\text{cross-entropy}}$: the model is as unsure as if it picked among
# that many equally likely words. The lesson's claims, checked every time it runs:

# %% slideshow={"slide_type": "fragment"}
unigram, bigram = baseline_scores["unigram"], baseline_scores["bigram"]
check_claim("held-out masked-word accuracy beats the bigram baseline",
            score.accuracy > bigram[0], f"{score.accuracy:.1%} vs {bigram[0]:.1%}", smoke=SMOKE)
check_claim("held-out masked-word accuracy is at least twice the unigram baseline's",
            score.accuracy >= 2 * unigram[0], f"{score.accuracy:.1%} vs 2 x {unigram[0]:.1%}", smoke=SMOKE)
check_claim("held-out cross-entropy is lower than the bigram baseline's",
            score.xent < bigram[1], f"{score.xent:.2f} vs {bigram[1]:.2f} nats", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the model does with each kind of corruption
#
# The held-out words were corrupted with the 80/10/10 recipe. Split the score by what
# happened to the word:

# %% slideshow={"slide_type": "subslide"}
by_kind = bert.accuracy_by_corruption(model, test_set)
plots.Table([{"the chosen word became": kind, "how many": n, "accuracy": acc}
             for kind, (n, acc) in by_kind.items()], caption="Held-out accuracy by kind of corruption")

# %% [markdown] slideshow={"slide_type": "subslide"}
# * **Unchanged** words are the easiest by far, and that is the point: the model has
#   learned to keep the identity of the word it reads in the hidden state of that very
#   position.
# * A **random** word is about as hard as a `[MASK]`: the model has to notice that the
#   word it reads does not fit, then guess from the context alone, with a misleading word
#   in the middle of it.
# * **[MASK]** is the fill-in-the-blank task itself.

# %% slideshow={"slide_type": "fragment"}
say("Unchanged words: {unchanged:.0%} right; random words: {random:.0%}; [MASK]: {mask:.0%}.",
    unchanged=by_kind["unchanged"][1], random=by_kind["random word"][1], mask=by_kind["[MASK]"][1])
check_claim("an unchanged word is filled in correctly at least twice as often as a [MASK]",
            by_kind["unchanged"][1] >= 2 * by_kind["[MASK]"][1],
            f"{by_kind['unchanged'][1]:.1%} vs 2 x {by_kind['[MASK]'][1]:.1%}", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Fill in the blank
#
# Some held-out words the model had to guess, with the text around them as it saw it
# (other `[MASK]`s included), its top three guesses, and the baselines' guess:

# %% slideshow={"slide_type": "subslide"}
plots.Table(bert.examples(model, vocab, test_set, baselines, n=10),
            caption="Held-out words that were replaced by [MASK]")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Play with it.** Type a sentence into the box with `[MASK]` where a word is missing
# (press Enter), or pick an example. The bars are the model's top 5 words for the first
# blank, with their probabilities; the title fills every blank with the top guess. Words
# it does not know become `[UNK]`. It has read only Python's documentation, so ask it
# about Python, in the documentation's style: names of code in double quotes, as in
# `an "[MASK]" is raised`. (In a saved notebook without a kernel a picture of how it
# starts stands in its place; the table below holds the same examples.)

# %% slideshow={"slide_type": "subslide"}
EXAMPLES = ['if the object has no such attribute , an "[MASK]" is raised .',
            'if the value is not an integer , a "[MASK]" is raised .',
            "a [MASK] is a sequence of characters .",
            "the [MASK] of the expression is assigned to the variable .",
            'the "[MASK]" statement is used to import modules .',
            'a function without a "return" statement returns "[MASK]" .',
            'the built-in function "[MASK]()" returns the type of an object .',
            "the [MASK] argument of a method is the instance itself ."]
bert.fill_in_widget(model, vocab, EXAMPLES)

# %% slideshow={"slide_type": "subslide"}
plots.Table([{"sentence": g.filled(), "top 5 for the first blank":
              ", ".join(f"{w} {p:.0%}" for w, p in g.top[0])}
             for g in (bert.fill_in(model, vocab, s) for s in EXAMPLES)],
            caption="The widget's examples, filled in by the model")

# %% [markdown] slideshow={"slide_type": "subslide"}
# A model this small, after reading so little text, is often right about the
# *kind* of word a blank needs (the name of an exception before "is raised", a keyword
# before "statement", a noun after "the") before it is right about the word itself. Its
# guesses come from the words on both sides of the blank, which is exactly what the
# counting baselines cannot do.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What goes wrong: hide too many words
#
# Lesson 02 raised the noise level and watched every denoiser slide. Here the noise level
# is the masking rate: at 15% most of a word's neighbours are visible; at 75% most are
# gone. Every method is scored at every rate on the same masked positions. Besides the
# model trained at 15%, a second one is trained at a higher rate (`SWEEP_TRAIN_RATE`)
# with the same budget.

# %% slideshow={"slide_type": "subslide"}
models = {f"TinyBERT trained at {MASK_RATE:.0%}": model}
if SWEEP_TRAIN_RATE > 0:
    models[f"TinyBERT trained at {SWEEP_TRAIN_RATE:.0%}"] = train(SWEEP_TRAIN_RATE, f"TinyBERT, masking {SWEEP_TRAIN_RATE:.0%}")[0]
sweep = bert.rate_sweep(models, baselines, heldout_ids, SWEEP_RATES, seed=SEED)
plots.line_chart(SWEEP_RATES, sweep["accuracy"], x_title="masking rate (share of the words chosen)",
                 y_title="held-out masked-word accuracy",
                 title="Filling in words gets harder as more of them are hidden")

# %% slideshow={"slide_type": "subslide"}
plots.Table([{"masking rate": rate, **{name: values[i] for name, values in sweep["accuracy"].items()}}
             for i, rate in enumerate(SWEEP_RATES)], caption="Held-out masked-word accuracy")

# %% slideshow={"slide_type": "subslide"}
acc = sweep["accuracy"]
first, last = SWEEP_RATES.index(min(SWEEP_RATES)), SWEEP_RATES.index(max(SWEEP_RATES))
ours = acc[f"TinyBERT trained at {MASK_RATE:.0%}"]
lead = {name: (acc[name][first] - acc["unigram"][first], acc[name][last] - acc["unigram"][last])
        for name in ("bigram", "both neighbours")}
say("From {low:.0%} to {high:.0%} of the words hidden, the model trained at {rate:.0%} goes from {a:.1%} to "
    "{b:.1%}, keeping {kept:.0%} of its accuracy. The unigram goes from {u0:.1%} to {u1:.1%}. The both-neighbours "
    "baseline's lead over the unigram goes from {l0:.1f} to {l1:.1f} points, the bigram's from {b0:.1f} to "
    "{b1:.1f}.", low=SWEEP_RATES[first], high=SWEEP_RATES[last], rate=MASK_RATE, a=ours[first], b=ours[last],
    kept=ours[last] / ours[first], u0=acc["unigram"][first], u1=acc["unigram"][last],
    l0=100 * lead["both neighbours"][0], l1=100 * lead["both neighbours"][1],
    b0=100 * lead["bigram"][0], b1=100 * lead["bigram"][1])
check_claim(f"hiding {SWEEP_RATES[last]:.0%} of the words costs the model at least a quarter of its accuracy "
            f"at {SWEEP_RATES[first]:.0%}", ours[last] <= 0.75 * ours[first],
            f"{ours[last]:.1%} vs {ours[first]:.1%}", smoke=SMOKE)
check_claim("the both-neighbours baseline loses more than half of its lead over the unigram",
            lead["both neighbours"][1] < 0.5 * lead["both neighbours"][0],
            f"{lead['both neighbours'][1]:+.1%} vs {lead['both neighbours'][0]:+.1%}", smoke=SMOKE)
check_claim("every model stays ahead of every baseline at every rate",
            all(acc[m][i] > acc[b][i] for m in models for b in baseline_scores for i in range(len(SWEEP_RATES))),
            smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# What the sweep says:
#
# * **Every method that reads the context slides as the rate rises**: fewer visible
#   neighbours, less to go on. The counting baselines are hit hardest: at the highest
#   rate they are not far above the unigram, which never looks at the context (its score
#   moves only because other words get chosen). Why they fall faster than the model is
#   the last exercise.
# * **The models stay ahead at every rate**, including rates they were not trained at,
#   but they fall too: the more of the sentence is hidden, the less any denoiser can
#   put back, exactly as with lesson 02's pixels.
# * **Training at a higher rate can pay.** Each chosen word is a training example, so a
#   model trained at 40% learns from more words in every pass, on a harder task (see the
#   sentence below for how it did in this run). Wettig et al. (2023, *Should You Mask 15%
#   in Masked Language Modeling?*) found that masking 40% can beat 15% for BERT-sized
#   models too: the 15% is a convention, not a law.

# %% slideshow={"slide_type": "fragment"}
if SWEEP_TRAIN_RATE > 0:
    other = acc[f"TinyBERT trained at {SWEEP_TRAIN_RATE:.0%}"]
    ahead = sum(o > m for o, m in zip(other, ours))
    say("In this run the model trained at {high:.0%} is ahead of the one trained at {low:.0%} at {ahead} of the "
        "{n} rates; tested at {first:.0%}, it scores {o:.1%} against {m:.1%}.", high=SWEEP_TRAIN_RATE,
        low=MASK_RATE, ahead=ahead, n=len(SWEEP_RATES), first=SWEEP_RATES[first], o=other[first], m=ours[first])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# The first exercise, writing BERT's masking, is in its own section above. Two more.
#
# ### Predict before you run
#
# Push the masking to its end: in every held-out sequence, **every** word becomes
# `[MASK]` (none kept, none replaced by a random word), and the model trained at 15%
# must fill them all in. Its accuracy will be:

# %% slideshow={"slide_type": "subslide"}
guess = ...  # one of "about 0", "about the unigram's", "about its accuracy at 15%",
#               "above the bigram's at 15%"
exercises.get("03-everything-masked").check(guess)

# %% slideshow={"slide_type": "subslide"}
words_only = heldout_ids >= text.N_SPECIAL
all_masked = text.MaskedSet(heldout_ids, torch.where(words_only, text.MASK_ID, heldout_ids), words_only, 1.0)
blind = bert.evaluate(model, all_masked)
plots.Table([{"method": name, "accuracy": a, "cross-entropy (nats)": x}
             for name, (a, x) in {"TinyBERT, every word [MASK]": (blind.accuracy, blind.xent),
                                  **baselines.score(all_masked)}.items()],
            caption=f"{int(words_only.sum()):,} held-out words, every one of them hidden")
blind_unigram = baselines.score(all_masked)["unigram"][0]
check_claim("with every word hidden, the model fills in about as many words as the unigram baseline (within 4 "
            "points), less than half of what it fills in with 15% hidden",
            abs(blind.accuracy - blind_unigram) <= 0.04 and blind.accuracy < 0.5 * score.accuracy,
            f"{blind.accuracy:.1%} vs {blind_unigram:.1%}; at 15%: {score.accuracy:.1%}", smoke=SMOKE)
# exercises.get("03-everything-masked").solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### In your own words
#
# In the sweep, the bigram and both-neighbours baselines lose most of their lead over the
# unigram as the masking rate rises, and the Transformer keeps much more of its own. Why
# do the counting baselines fall so fast, and what lets the model hold on?

# %% slideshow={"slide_type": "subslide"}
answer = ...  # a sentence or two, as a string
exercises.get("03-why-the-baselines-fall").check(answer)
# exercises.get("03-why-the-baselines-fall").solution()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What this notebook measured
#
# The headline figures go to `build/results/03_bert_denoising.json`, which the tests read.

# %% slideshow={"slide_type": "subslide"}
figures = {"masked_acc_model": score.accuracy, "masked_xent_model": score.xent,
           "masked_acc_unigram": unigram[0], "masked_xent_unigram": unigram[1],
           "masked_acc_bigram": bigram[0], "masked_xent_bigram": bigram[1],
           "masked_acc_both_neighbours": baseline_scores["both neighbours"][0],
           "masked_xent_both_neighbours": baseline_scores["both neighbours"][1],
           "n_train_tokens": n_train_tokens, "n_heldout_tokens": n_heldout_tokens,
           "n_masked_heldout": len(test_set.answers), "vocab_size": len(vocab),
           "mask_rate": MASK_RATE, "parameters": count_parameters(model),
           "accuracy_by_corruption": {k: acc for k, (_, acc) in by_kind.items()},
           "sweep_rates": SWEEP_RATES, "sweep_accuracy": sweep["accuracy"], "sweep_xent": sweep["xent"],
           "heldout_accuracy_by_epoch": history.extra["heldout_accuracy"],
           "all_masked_accuracy": blind.accuracy, "all_masked_xent": blind.xent,
           "train_seconds": history.seconds}
record_results("03_bert_denoising", figures, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * BERT's pre-training is a denoising autoencoder for text: corrupt the words (masking),
#   encode the corrupted sentence, decode each corrupted position back to a word, and
#   score the reconstruction by cross-entropy.
# * The 80/10/10 recipe makes every visible word a possible question, so the encoder
#   keeps a description of every word in its context: that is the representation BERT
#   is kept for.
# * Even a tiny model, trained for half a minute on a few tens of thousands of tokens,
#   fills in held-out words far better than counting neighbours, because it reads the
#   context on both sides (the scores above).
# * **What goes wrong:** hide too much and there is nothing left to denoise from. As the
#   masking rate rises every method that reads the context slides, the counting baselines
#   fastest; with every word hidden the model does no better than counting word frequencies.
#
# **Next:** lesson 04 returns to images and asks what the numbers of a code *mean*:
# disentanglement. Lesson 07 comes back to text.
#
# ## References
#
# * J. Devlin, M.-W. Chang, K. Lee, K. Toutanova. *BERT: Pre-training of deep bidirectional
#   transformers for language understanding.* NAACL 2019.
# * P. Vincent, H. Larochelle, Y. Bengio, P.-A. Manzagol. *Extracting and composing robust
#   features with denoising autoencoders.* ICML 2008 (lesson 02's denoising autoencoder).
# * A. Vaswani, N. Shazeer, N. Parmar, J. Uszkoreit, L. Jones, A. N. Gomez, Ł. Kaiser,
#   I. Polosukhin. *Attention is all you need.* NeurIPS 2017 (the Transformer).
# * C. Raffel et al. *Exploring the limits of transfer learning with a unified text-to-text
#   transformer.* JMLR 2020 (T5, its relative position bias); O. Press, N. A. Smith, M. Lewis.
#   *Train short, test long: attention with linear biases enables input length
#   extrapolation.* ICLR 2022 (ALiBi).
# * A. Wettig, T. Gao, Z. Zhong, D. Chen. *Should you mask 15% in masked language
#   modeling?* EACL 2023.
# * Hung-yi Lee (李宏毅). *Machine Learning* lecture "Auto-encoder" (National Taiwan
#   University): BERT as a de-noising auto-encoder (去噪自编码器).
