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
# # 07 · Text as the representation: a seq2seq2seq autoencoder and a discriminator
#
# Every code so far was numbers: a vector, a grid, a one-hot choice, an index into a
# codebook. This lesson's code is **words**. An encoder reads a document and writes a short
# sequence of words; a decoder reads only those words and rebuilds the document. Both are
# sequence-to-sequence models, so the whole thing is a *seq2seq2seq* autoencoder, and if
# the words are well chosen they are a **summary**, learnt without a single example
# summary. Left alone, though, the two networks agree on a private code that no person can
# read. The lecture's remedy is a **discriminator** that has read real summaries (not of
# these documents): it pushes the encoder to write words that look like them (Wang and
# Lee, 2018).
#
# **You will be able to**
#
# * build the three networks from the code that runs: the summariser (document → words),
#   the reconstructor (words → document) and the discriminator (real headline or not);
# * train through a discrete choice of words with **REINFORCE** and a baseline, and say why
#   it is used here rather than lesson 06's Gumbel-softmax;
# * score a summary honestly against references the model never saw: ROUGE-1, ROUGE-2, the
#   perplexity of a bigram model of headlines, and what the reconstruction keeps of the facts;
# * see the difference the discriminator makes, and what happens when it is given too much say.
#
# **Prerequisites:** lessons 01 (autoencoders, `fit`), 03 (text as tokens, a vocabulary,
# teacher forcing) and 06 (discrete codes, the straight-through trick).
#
# **Time:** about three minutes of computing at the default parameters on a 2-core laptop
# CPU; trained models are cached (lesson 00), so a second run takes seconds. Reading and
# playing: about an hour.
#
# **Key terms 关键词** ([glossary 术语表](glossary.md)): seq2seq2seq autoencoder 序列到序列到序列自编码器 · sequence-to-sequence (seq2seq) 序列到序列 · summary 摘要 · reconstructor 重建器 · discriminator 判别器 · generative adversarial network (GAN) 生成对抗网络 · REINFORCE 策略梯度 (REINFORCE) · advantage 优势 · pointer network 指针网络 · teacher forcing 教师强制 · ROUGE 摘要评测指标 ROUGE · lead baseline 首句基线

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
CORPUS = "news-facts"  # a name from course.summaries.names(); generated offline
N_TRAIN = 3000  # training documents (at most 3,000); their headlines are never used for training
HIDDEN = 64  # width of every word vector and recurrent state
SUMMARY_SAMPLES = 4  # summaries sampled per document and step; each is scored against the others
EPOCHS = 10  # passes over the training documents, for each of the two models (~3 CPU-s each)
BASELINE_EPOCHS = 6  # epochs of the two baseline reconstructors (no summary; the lead)
LR = 2e-3  # peak learning rate (one-cycle schedule)
BATCH_SIZE = 32  # documents per step
ENTROPY = 0.01  # weight of the summariser's entropy: keeps it trying other words
WARMUP_STEPS = 400  # first steps: the reconstructor learns to read words before the summariser is rewarded
WEIGHT = 1.0  # weight of the discriminator's reward against the reconstruction's
COLD_EPOCHS = 4  # "What goes wrong": epochs of a model trained without the warm-up
WRONG_WEIGHTS = [1.0, 16.0]  # ... discriminator weights, each fine-tuned from the model with WEIGHT (first: the control)
WRONG_EPOCHS = 3  # epochs of that fine-tuning
SEED = 0  # seeds every model and every random choice
USE_CACHE = True  # reload models trained earlier with exactly these settings
SMOKE = False  # True: a few seconds of training for CI; claims are shown, not asserted

# %% slideshow={"slide_type": "skip"}
from course.params import (boolean, check_parameters, dataset, epoch_cost, integer, list_of, number, require, seed,
                           training_time)

check_parameters(
    CORPUS=(CORPUS, dataset("course.summaries:names")),
    N_TRAIN=(N_TRAIN, integer(min=10, max=3000)),
    HIDDEN=(HIDDEN, integer(min=4, max=1024)),
    SUMMARY_SAMPLES=(SUMMARY_SAMPLES, integer(min=2, max=64)),
    EPOCHS=(EPOCHS, integer(min=1)),
    BASELINE_EPOCHS=(BASELINE_EPOCHS, integer(min=1)),
    LR=(LR, number(min=1e-6, max=1.0)),
    BATCH_SIZE=(BATCH_SIZE, integer(min=2, max=4096)),
    ENTROPY=(ENTROPY, number(min=0.0, max=10.0)),
    WARMUP_STEPS=(WARMUP_STEPS, integer(min=0, max=10**6)),
    WEIGHT=(WEIGHT, number(min=0.0, max=1e3)),
    COLD_EPOCHS=(COLD_EPOCHS, integer(min=1)),
    WRONG_WEIGHTS=(WRONG_WEIGHTS, list_of(number(min=0.0, max=1e3), min_len=2, max_len=6, unique=True)),
    WRONG_EPOCHS=(WRONG_EPOCHS, integer(min=1)),
    SEED=(SEED, seed()),
    USE_CACHE=(USE_CACHE, boolean()),
    SMOKE=(SMOKE, boolean()),
)
require(WEIGHT > 0, "WEIGHT = 0 would train the model with the discriminator without it: the lesson compares "
                    "a model without the discriminator (weight 0) with one with it (WEIGHT > 0)")
require(WRONG_WEIGHTS[0] == WEIGHT, f"WRONG_WEIGHTS starts with {WRONG_WEIGHTS[0]:g}, but its first weight is the "
                                   f"control of 'What goes wrong' and must be WEIGHT = {WEIGHT:g}")


def training_budget():
    """One epoch of 3,000 documents with 4 summaries each: about 2.5 s on one CPU core; the
    baseline reconstructors about 0.7 s an epoch each; the model without the warm-up and the
    fine-tuning at each weight of "What goes wrong" as much as an epoch of the models."""
    per_epoch = epoch_cost(2.5, N_TRAIN / 3000 * SUMMARY_SAMPLES / 4 * (HIDDEN / 64) ** 2, BATCH_SIZE)
    return training_time(EPOCHS=(EPOCHS, 2 * per_epoch),
                         BASELINE_EPOCHS=(BASELINE_EPOCHS, 2 * 0.7 * N_TRAIN / 3000),
                         COLD_EPOCHS=(COLD_EPOCHS, per_epoch),
                         WRONG_EPOCHS=(WRONG_EPOCHS, len(WRONG_WEIGHTS) * per_epoch))


budget = training_budget()
if SMOKE:  # after the checks, never instead of them: a smoke run only shortens training
    N_TRAIN, EPOCHS, BASELINE_EPOCHS, COLD_EPOCHS, WRONG_EPOCHS, WARMUP_STEPS = 600, 2, 1, 1, 1, 10
    budget = training_budget()
print(budget)

# %% slideshow={"slide_type": "skip"}
import copy
import time

import torch

from course import checkpoints, exercises, plots, summaries
from course.device import get_device, seed_everything
from course.diagrams import flow
from course.models import count_parameters
from course.prose import say
from course.results import check_claim, record_results
from course.seq2seq2seq import (Discriminator, Reconstructor, Seq2Seq2Seq, Seq2Seq2SeqLoss, Summariser,
                                reconstruction_accuracy, reconstruction_loss, random_words, summary_explorer)
from course.show import show_source
from course.train import fit

seed_everything(SEED)
device = get_device()
corpus = summaries.load(CORPUS)
vocab = summaries.Vocabulary()
train_items, test_items = corpus.train[:N_TRAIN], corpus.test
docs = summaries.documents(train_items, vocab).to(device)
# the discriminator's real summaries: headlines of OTHER documents, one per training document
real = summaries.headlines(corpus.headlines, vocab)[torch.arange(len(docs)) % len(corpus.headlines)].to(device)
test_docs = summaries.documents(test_items, vocab).to(device)
test_facts = summaries.fact_mask(test_items).to(device)
references = [item.headline_tokens() for item in test_items]
print(corpus)
print(f"{vocab}; documents of at most {summaries.max_length()} words; summaries of {summaries.SUMMARY_WORDS}; "
      f"device: {device}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Documents, and the summaries nobody shows the model
#
# To judge a summariser we need documents whose good summary is known, and training must
# never see it. The course generates them (offline, always the same; `course.summaries`):
# short news items, each telling one **fact**, who did what to what, where and when, in one
# of six sentence patterns, with a sentence of filler about something else. Each has a
# **headline** written the way people write them. The training documents' own headlines
# are never used. The discriminator reads the headlines of a *separate* pool of documents
# (so it learns what a headline looks like, never which headline goes with which document),
# and the test documents' headlines are used only to score.

# %% slideshow={"slide_type": "subslide"}
plots.Table([{"document": item.text, "reference headline (never trained on)": item.headline}
             for item in test_items[:6]], caption="Six test documents and their headlines")

# %% slideshow={"slide_type": "subslide"}
show_source(summaries.render)

# %% [markdown] slideshow={"slide_type": "subslide"}
# A good summary here is easy to say: the headline. It keeps four of the five facts (not
# the day), drops the filler, and follows one fixed form. What the lesson asks is whether
# an autoencoder that is only ever rewarded for rebuilding its document finds such words
# by itself.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Three networks
#
# The code is the summary: five words. The **summariser** (a seq2seq model) reads the
# document and writes the five words. The **reconstructor** (another seq2seq model) reads
# only those words and writes the document back. The **discriminator** reads a word
# sequence and says whether it looks like a real headline.

# %% slideshow={"slide_type": "subslide"}
flow("document", "summariser\n(seq2seq)", "5 words\n(the code)", "reconstructor\n(seq2seq)", "rebuilt\ndocument",
     kinds="decgd",
     below={"rebuilt\ndocument": ("reward 1: how well it\nrebuilds the document", "l", "document")},
     above={"5 words\n(the code)": ("discriminator ← real headlines\nof other documents", "n")},
     caption="The seq2seq2seq autoencoder: the words are the code; the discriminator's verdict is a second reward")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The summariser writes one word at a time. A recurrent network (a GRU) reads the
# document; at each step of the summary a second one scores every position of the
# document against its state, and the word is drawn from the softmax of those scores. It
# **points** at a word of the document (a pointer network, Vinyals et al. 2015): a summary
# can only use the document's words, as headline writers mostly do.

# %% slideshow={"slide_type": "subslide"}
show_source(Summariser)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The reconstructor reads the five words and writes the document, word by word. While
# training it is given the document's true words so far (**teacher forcing**, as in
# lesson 03's language models) and predicts the next one, looking back at the summary
# through attention. Given no summary at all it is a plain language model of the
# documents: the baseline that says how much the summary adds.

# %% slideshow={"slide_type": "subslide"}
show_source(Reconstructor)

# %% slideshow={"slide_type": "subslide"}
show_source(Discriminator)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Across the discrete words: REINFORCE with a baseline
#
# The summary is a choice of words, and a choice has no gradient: nothing tells the
# summariser that a slightly different word would have rebuilt the document better.
# Lesson 06 met the same wall with one-hot codes and climbed it with the Gumbel-softmax
# and the straight-through trick, which pretend the choice was smooth. This lesson uses the
# other classic way, **REINFORCE** (Williams, 1992), as Wang and Lee did:
#
# 1. sample a few summaries of each document (`SUMMARY_SAMPLES`);
# 2. give each a **reward**: the log-likelihood of the document under the reconstructor,
#    given that summary, plus `WEIGHT` times the log-probability the discriminator gives it
#    of being a real headline;
# 3. raise the probability of each summary in proportion to its **advantage**: its reward
#    minus the mean reward of the other summaries of the same document (the **baseline**).
#    Without a baseline every summary of an easy document would be raised.
#
# Why not Gumbel straight-through? REINFORCE needs no gradient from the reward at all, so
# the discriminator's verdict is a reward like any other, and the summary that is scored
# is exactly the discrete one that is stored. Straight-through uses the gradient of a
# relaxed, soft choice as if it were the gradient of the word actually written: a biased
# estimate, and the bias grows as the summariser's choices pass through three networks
# and a discriminator that moves while it learns. REINFORCE is unbiased; its price is
# variance, and that is what the baseline and the several samples per document are for.
#
# The reconstructor and the discriminator learn by ordinary gradients: the reconstructor
# to rebuild the document from the sampled summaries, the discriminator to tell real
# headlines from them. All three learn at every step:

# %% slideshow={"slide_type": "subslide"}
show_source(Seq2Seq2SeqLoss)

# %% [markdown] slideshow={"slide_type": "subslide"}
# One more detail matters: **the warm-up**. At the start the reconstructor cannot read
# anything, so no summary earns more than another, and the summariser settles on the same
# few summaries for every document before the reconstructor has learnt to use them. So for
# `WARMUP_STEPS` steps only the reconstructor trains, rebuilding each document from five
# of its own words picked at random. It uses nothing but the documents: the model still
# never sees a summary of its own documents.

# %% slideshow={"slide_type": "subslide"}
show_source(random_words)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Training: two models on the same budget, and two baselines
#
# The **seq2seq2seq autoencoder alone** (weight 0: no discriminator) and **the same with
# the discriminator** (`WEIGHT`): same networks, same seed, same steps. Beside them two
# reconstructors trained on fixed summaries: **no summary** (the language model) and the
# **lead**, the document's first five words, the classic baseline of summarisation.

# %% slideshow={"slide_type": "subslide"}
def train_autoencoder(weight: float):
    """The seq2seq2seq autoencoder with the discriminator's reward at ``weight`` (0: without it)."""
    seed_everything(SEED)
    model = Seq2Seq2Seq(len(vocab), summaries.SUMMARY_WORDS, HIDDEN)
    loss = Seq2Seq2SeqLoss(weight, SUMMARY_SAMPLES, ENTROPY, WARMUP_STEPS)
    history = fit(model, (docs, real), epochs=EPOCHS, lr=LR, batch_size=BATCH_SIZE, loss_fn=loss, seed=SEED,
                  cache=USE_CACHE, desc=f"seq2seq2seq, discriminator weight {weight:g}")
    return model, history


def train_baseline(summary: torch.Tensor, name: str):
    """A reconstructor that always gets the same kind of summary (none, or the lead)."""
    seed_everything(SEED)
    model = Reconstructor(len(vocab), HIDDEN)
    history = fit(model, (summary, docs), epochs=BASELINE_EPOCHS, lr=LR, batch_size=BATCH_SIZE,
                  loss_fn=reconstruction_loss, seed=SEED, cache=USE_CACHE, desc=f"reconstructor, {name}")
    return model, history


start = time.perf_counter()
LEAD = summaries.SUMMARY_WORDS
no_summary, h_none = train_baseline(docs[:, :0], "no summary")
lead, h_lead = train_baseline(docs[:, :LEAD], "the lead")
plain, h_plain = train_autoencoder(0.0)
gan, h_gan = train_autoencoder(WEIGHT)
histories = [h_none, h_lead, h_plain, h_gan]
trained = [h.seconds for h in histories if not h.from_cache]
print(f"{count_parameters(plain):,} parameters per seq2seq2seq model "
      f"({count_parameters(plain.discriminator):,} of them the discriminator's); "
      f"{len(trained)} models trained in {sum(trained):.0f} s, {len(histories) - len(trained)} loaded from the cache")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. What the summaries say
#
# The same held-out documents, summarised by both models (the most probable word at each
# step), beside the headline a person wrote, which neither model ever saw:

# %% slideshow={"slide_type": "subslide"}
def words_of(ids: torch.Tensor) -> list[list[str]]:
    return [vocab.decode(row) for row in ids.cpu()]


said = {"without the discriminator": words_of(plain.summarise(test_docs)),
        "with the discriminator": words_of(gan.summarise(test_docs)),
        "the lead (first 5 words)": words_of(test_docs[:, :LEAD])}
plots.Table([{"reference headline": item.headline, **{name: " ".join(w[i]) for name, w in said.items()}}
             for i, item in enumerate(test_items[:10])],
            caption="Ten test documents: the reference, and what each summary says")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now the numbers, over every test document. **ROUGE-1** and **ROUGE-2** (Lin, 2004) count
# the words and the pairs of neighbouring words a summary shares with the reference
# headline (as F1 of precision and recall). **Fluency** is the perplexity of the summary
# under a bigram model of held-out headlines: low when each word is a likely next word
# in a headline. **Well-formed** is the share of summaries of the headlines' form (agent,
# verb, object, "in", place). The **reconstruction** columns score the document rebuilt
# from the summary (teacher-forced: each word predicted from the summary and the true
# words before it): all its words, and its five fact words alone.

# %% slideshow={"slide_type": "subslide"}
bigram = summaries.BigramModel([item.headline_tokens() for item in corpus.fluency], vocab.words)
recon = {"no summary (reconstructor alone)": reconstruction_accuracy(no_summary, test_docs[:, :0], test_docs, test_facts),
         "the lead (first 5 words)": reconstruction_accuracy(lead, test_docs[:, :LEAD], test_docs, test_facts),
         "without the discriminator": reconstruction_accuracy(plain.reconstructor, plain.summarise(test_docs),
                                                              test_docs, test_facts),
         "with the discriminator": reconstruction_accuracy(gan.reconstructor, gan.summarise(test_docs),
                                                           test_docs, test_facts)}
scores = {name: {"ROUGE-1": summaries.mean_rouge(w, references, 1), "ROUGE-2": summaries.mean_rouge(w, references, 2),
                 "fluency (perplexity)": bigram.perplexity(w),
                 "well-formed": sum(map(summaries.well_formed, w)) / len(w)} for name, w in said.items()}
scores["reference headlines"] = {"ROUGE-1": 1.0, "ROUGE-2": 1.0, "fluency (perplexity)": bigram.perplexity(references),
                                 "well-formed": sum(map(summaries.well_formed, references)) / len(references)}
plots.Table([{"summary": name, **scores.get(name, {}),
              "rebuilt: word accuracy": recon[name][0] if name in recon else "",
              "rebuilt: fact accuracy": recon[name][1] if name in recon else ""}
             for name in [*recon, "reference headlines"]],
            caption=f"{len(test_items)} test documents (fluency: lower is better)", digits=3)

# %% slideshow={"slide_type": "subslide"}
plain_s, gan_s = scores["without the discriminator"], scores["with the discriminator"]
acc_none, fact_none = recon["no summary (reconstructor alone)"]
acc_lead, fact_lead = recon["the lead (first 5 words)"]
acc_plain, fact_plain = recon["without the discriminator"]
acc_gan, fact_gan = recon["with the discriminator"]
say("Without the discriminator the summaries keep facts: the document rebuilt from them gets {fp:.0%} of its fact "
    "words right, against {fn:.0%} for the reconstructor that gets no summary (it can only guess) and {fl:.0%} from "
    "the lead. But they are a **private code**: only {wf_plain:.0%} are of a headline's form, and their ROUGE-2 is "
    "{r2p:.3f}: almost no pair of neighbouring words is a pair of the headline. With the discriminator, "
    "{wf_gan:.0%} are well-formed headlines, ROUGE-1 rises from {r1p:.2f} to {r1g:.2f} and ROUGE-2 to {r2g:.2f}, the "
    "perplexity under the headline model falls from {pp:.0f} to {pg:.0f}, and the reconstruction keeps "
    "{fg:.0%} of the facts.",
    fp=fact_plain, fn=fact_none, fl=fact_lead, wf_plain=plain_s["well-formed"], r2p=plain_s["ROUGE-2"],
    wf_gan=gan_s["well-formed"], r1p=plain_s["ROUGE-1"], r1g=gan_s["ROUGE-1"], r2g=gan_s["ROUGE-2"],
    pp=plain_s["fluency (perplexity)"], pg=gan_s["fluency (perplexity)"], fg=fact_gan)

# %% slideshow={"slide_type": "subslide"}
check_claim("with the discriminator, ROUGE-1 is at least 0.15 and ROUGE-2 at least 0.2 above the model without it",
            gan_s["ROUGE-1"] >= plain_s["ROUGE-1"] + 0.15 and gan_s["ROUGE-2"] >= plain_s["ROUGE-2"] + 0.2,
            f"ROUGE-1 {plain_s['ROUGE-1']:.3f} -> {gan_s['ROUGE-1']:.3f}, "
            f"ROUGE-2 {plain_s['ROUGE-2']:.3f} -> {gan_s['ROUGE-2']:.3f}", smoke=SMOKE)
check_claim("with the discriminator, the summaries' perplexity under the headline bigram model is at most half",
            gan_s["fluency (perplexity)"] <= 0.5 * plain_s["fluency (perplexity)"],
            f"{plain_s['fluency (perplexity)']:.0f} -> {gan_s['fluency (perplexity)']:.0f}", smoke=SMOKE)
check_claim("both models' reconstructions get the facts right at least 3x as often as the reconstructor alone",
            min(fact_plain, fact_gan) >= 3 * fact_none,
            f"fact accuracy: no summary {fact_none:.3f}, without {fact_plain:.3f}, with {fact_gan:.3f}", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Read the table of summaries again with the numbers in mind. Without the discriminator,
# the words are chosen for what they let the reconstructor predict, and that is not only
# the facts: a word like *say*, *of*, *this* or *was* tells it which of the six sentence
# patterns to write, a word like *covered*, *came* or *some* which filler sentence, and
# each such word is worth several words of the document at once. The day, which the
# headline leaves out, is a fact like any other to the reconstructor. Order and grammar
# mean nothing in this code. The two networks have agreed on a code of their own. The
# discriminator never sees the documents; it only knows what headlines look like. Among
# all the codes that rebuild the document, it rewards the ones a reader can read.

# %% slideshow={"slide_type": "subslide"}
lead_s = scores["the lead (first 5 words)"]
say("The lead is worth a look too. Its five words are real English, and it scores ROUGE-1 {l1:.2f} and ROUGE-2 "
    "{l2:.2f} with no training at all; the private code scores {p1:.2f} and {p2:.3f}{cmp}. Summarisation papers "
    "report the lead for that reason: on ROUGE it is a hard baseline to beat.",
    l1=lead_s["ROUGE-1"], l2=lead_s["ROUGE-2"], p1=plain_s["ROUGE-1"], p2=plain_s["ROUGE-2"],
    cmp=", below the lead on both" if lead_s["ROUGE-1"] > plain_s["ROUGE-1"] and lead_s["ROUGE-2"] > plain_s["ROUGE-2"]
    else "")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Play with it
#
# Pick a test document, or edit its text (words the generator never uses are refused:
# the models know no others). The table shows both models' summaries and the document
# each reconstructor writes back from its summary alone, word by word, this time without
# teacher forcing. (The table updates in place; in a saved notebook without a kernel a
# picture of how it starts stands in its place.)

# %% slideshow={"slide_type": "subslide"}
summary_explorer({"without": plain, "with discriminator": gan}, vocab, test_items[:20])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What goes wrong: a summariser rewarded before the reconstructor can read
#
# Section 3 promised that without the warm-up the summariser learns nothing. Here is that
# run: the model with the discriminator, trained from scratch for `COLD_EPOCHS` epochs with
# `WARMUP_STEPS = 0`. Watch how many *different* summaries it writes for the test documents.

# %% slideshow={"slide_type": "subslide"}
seed_everything(SEED)
cold = Seq2Seq2Seq(len(vocab), summaries.SUMMARY_WORDS, HIDDEN)
h_cold = fit(cold, (docs, real), epochs=COLD_EPOCHS, lr=LR, batch_size=BATCH_SIZE,
             loss_fn=Seq2Seq2SeqLoss(WEIGHT, SUMMARY_SAMPLES, ENTROPY, 0), seed=SEED, cache=USE_CACHE,
             desc="seq2seq2seq without the warm-up")


def distinct(model: Seq2Seq2Seq) -> int:
    """How many different summaries the model writes for the test documents."""
    return len({tuple(row) for row in model.summarise(test_docs).tolist()})


acc_cold, fact_cold = reconstruction_accuracy(cold.reconstructor, cold.summarise(test_docs), test_docs, test_facts)
cold_words = words_of(cold.summarise(test_docs))
plots.Table([{"model": f"with the warm-up ({WARMUP_STEPS} steps), {EPOCHS} epochs", "different summaries": distinct(gan),
              "first test document": " ".join(said["with the discriminator"][0]), "rebuilt: fact accuracy": fact_gan},
             {"model": f"without it, {COLD_EPOCHS} epochs", "different summaries": distinct(cold),
              "first test document": " ".join(cold_words[0]), "rebuilt: fact accuracy": fact_cold},
             {"model": "no summary (reconstructor alone)", "rebuilt: fact accuracy": fact_none}],
            caption=f"Summaries of the {len(test_items)} test documents", digits=3)

# %% slideshow={"slide_type": "subslide"}
say("Without the warm-up the summariser writes only {n} different summar{ies} for {docs} documents, and the "
    "document rebuilt from them gets {fc:.1%} of its facts right, where the reconstructor with no summary at all gets "
    "{fn:.1%}.",
    n=distinct(cold), ies="y" if distinct(cold) == 1 else "ies", docs=len(test_items), fc=fact_cold, fn=fact_none)
check_claim("without the warm-up the summariser collapses: at most one different summary per 10 test documents, "
            "and facts no better than with no summary (within 0.03)",
            distinct(cold) <= len(test_items) / 10 and fact_cold <= fact_none + 0.03,
            f"{distinct(cold)} different summaries; fact accuracy {fact_cold:.3f} against {fact_none:.3f}", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# A vicious circle. At the first step no summary helps a reconstructor that cannot read,
# so the rewards differ only by noise, and whatever the summariser happens to prefer gets
# reinforced. Once it writes the same few summaries whatever the document, those words
# carry (almost) no information about it, so the reconstructor learns to ignore them, so
# no other summary can earn more: the circle is closed, and the reconstructor becomes the
# language model of the baseline. The warm-up breaks the circle by teaching the reconstructor to read first.
#
# ### Too much say for the discriminator?
#
# The lecture warns of the opposite failure: a discriminator whose reward outweighs the
# reconstruction's buys fluent summaries that no longer say what the document says. We
# fine-tune a copy of the model with the discriminator for `WRONG_EPOCHS` more epochs at
# each weight in `WRONG_WEIGHTS` (the first, equal to `WEIGHT`, is the control: the same
# extra training at the same weight).

# %% slideshow={"slide_type": "subslide"}
def fine_tune(weight: float):
    """A copy of the model with the discriminator, trained on with the discriminator at ``weight``."""
    seed_everything(SEED)
    model = copy.deepcopy(gan)
    model.config = {**model.config, "init": checkpoints.fingerprint(*gan.state_dict().values())}  # part of its cache key
    history = fit(model, (docs, real), epochs=WRONG_EPOCHS, lr=LR / 2, batch_size=BATCH_SIZE,
                  loss_fn=Seq2Seq2SeqLoss(weight, SUMMARY_SAMPLES, ENTROPY, WARMUP_STEPS), seed=SEED,
                  cache=USE_CACHE, desc=f"fine-tuned, discriminator weight {weight:g}")
    return model, history


too_much = {weight: fine_tune(weight) for weight in WRONG_WEIGHTS}
wrong = {}
for weight, (model, _) in too_much.items():
    words = words_of(model.summarise(test_docs))
    acc, fact = reconstruction_accuracy(model.reconstructor, model.summarise(test_docs), test_docs, test_facts)
    wrong[weight] = {"weight": weight, "ROUGE-1": summaries.mean_rouge(words, references, 1),
                     "well-formed": sum(map(summaries.well_formed, words)) / len(words),
                     "fluency (perplexity)": bigram.perplexity(words), "rebuilt: word accuracy": acc,
                     "rebuilt: fact accuracy": fact, "first test document": " ".join(words[0])}
plots.Table(list(wrong.values()), caption=f"After {WRONG_EPOCHS} more epochs at each discriminator weight", digits=3)

# %% slideshow={"slide_type": "subslide"}
control, heaviest = WRONG_WEIGHTS[0], max(WRONG_WEIGHTS)
say("At weight {hw:g} the reconstruction gets {fh:.1%} of the facts right, against {fc:.1%} at weight {cw:g} after "
    "the same extra training.",
    hw=heaviest, fh=wrong[heaviest]["rebuilt: fact accuracy"], fc=wrong[control]["rebuilt: fact accuracy"], cw=control)
check_claim(f"here a discriminator weight of {heaviest:g} costs no facts: the reconstruction's fact accuracy is within "
            f"0.05 of weight {control:g}'s",
            abs(wrong[heaviest]["rebuilt: fact accuracy"] - wrong[control]["rebuilt: fact accuracy"]) <= 0.05,
            f"{wrong[control]['rebuilt: fact accuracy']:.3f} at weight {control:g}, "
            f"{wrong[heaviest]['rebuilt: fact accuracy']:.3f} at weight {heaviest:g}", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The lecture's failure does not happen here, and the reason is instructive. Our
# summariser can only **point** at words of the document, and in these documents there is
# one agent, one verb, one object and one place: the only headline-shaped sentence made of a
# document's own words is, nearly always, its true headline. So "look like a headline" and
# "say what the document says" pull the same way, and a heavier discriminator costs
# nothing. A summariser that writes any word of the vocabulary (Wang and Lee's could do
# both) can satisfy the discriminator with a fluent headline about something else, and
# documents that mention several people and places give even a pointer wrong words to
# choose. The balance between the two rewards matters exactly when form and content can
# come apart.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Predict before you run
#
# The discriminator has learnt to tell real headlines from the summariser's words. Give it
# the **lead** of each test document, its first five words: what share does it call real
# (probability above one half)?

# %% slideshow={"slide_type": "subslide"}
guess = ...  # one of "almost none", "about half", "almost all"
exercises.get("07-discriminator-on-lead").check(guess)

# %% slideshow={"slide_type": "subslide"}
with torch.no_grad():
    verdict = {name: float((torch.sigmoid(gan.discriminator(ids.to(device))) > 0.5).float().mean())
               for name, ids in [("the lead", test_docs[:, :LEAD]),
                                 ("summaries without the discriminator", plain.summarise(test_docs)),
                                 ("summaries with the discriminator", gan.summarise(test_docs)),
                                 ("reference headlines", summaries.headlines(test_items, vocab))]}
print("called real by the discriminator: " + ", ".join(f"{name} {share:.0%}" for name, share in verdict.items()))
# exercises.get("07-discriminator-on-lead").solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Write REINFORCE with a baseline
#
# Write `reinforce_loss(log_prob, reward, samples)`, the summariser's part of the loss.
# `log_prob` and `reward` have one entry per sampled summary; rows come in groups of
# `samples` summaries of the same document. Each summary's **advantage** is its reward
# minus the mean reward of the *other* summaries of its document, divided by the standard
# deviation of all the advantages (plus 1e-6). Return the mean of `-advantage * log_prob`
# (minimised, it raises the better summaries), with the reward detached. The check
# compares with the lesson's own code.

# %% slideshow={"slide_type": "subslide"}
def reinforce_loss(log_prob: torch.Tensor, reward: torch.Tensor, samples: int) -> torch.Tensor:
    # YOUR CODE HERE (about 5 lines)
    raise NotImplementedError


exercise = exercises.get("07-reinforce")
exercise.check(reinforce_loss)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### In your own words
#
# Without the discriminator the summaries keep many of the document's facts, but no person
# would write them. Why does training produce such a code, and what does the discriminator
# add?

# %% slideshow={"slide_type": "subslide"}
answer = ...  # a sentence or two, as a string
exercises.get("07-private-code").check(answer)
# exercises.get("07-private-code").solution()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What this notebook measured
#
# The headline figures go to `build/results/07_text_as_code.json`, which the tests read.

# %% slideshow={"slide_type": "subslide"}
figures = {
    "recon_acc_no_summary": acc_none, "recon_acc_lead": acc_lead, "recon_acc_plain": acc_plain, "recon_acc_gan": acc_gan,
    "fact_acc_no_summary": fact_none, "fact_acc_lead": fact_lead, "fact_acc_plain": fact_plain, "fact_acc_gan": fact_gan,
    "rouge1_lead": scores["the lead (first 5 words)"]["ROUGE-1"], "rouge2_lead": scores["the lead (first 5 words)"]["ROUGE-2"],
    "rouge1_plain": plain_s["ROUGE-1"], "rouge2_plain": plain_s["ROUGE-2"],
    "rouge1_gan": gan_s["ROUGE-1"], "rouge2_gan": gan_s["ROUGE-2"],
    "fluency_ppl_lead": scores["the lead (first 5 words)"]["fluency (perplexity)"],
    "fluency_ppl_plain": plain_s["fluency (perplexity)"], "fluency_ppl_gan": gan_s["fluency (perplexity)"],
    "fluency_ppl_reference": scores["reference headlines"]["fluency (perplexity)"],
    "well_formed_plain": plain_s["well-formed"], "well_formed_gan": gan_s["well-formed"],
    "distinct_summaries_gan": distinct(gan), "distinct_summaries_no_warmup": distinct(cold),
    "fact_acc_no_warmup": fact_cold,
    "wrong_weights": WRONG_WEIGHTS,
    "fact_acc_wrong_weights": [wrong[w]["rebuilt: fact accuracy"] for w in WRONG_WEIGHTS],
    "well_formed_wrong_weights": [wrong[w]["well-formed"] for w in WRONG_WEIGHTS],
    "discriminator_real_share_lead": verdict["the lead"],
    "n_train_docs": len(train_items), "n_test_docs": len(test_items), "vocabulary": len(vocab),
    "train_seconds": sum(h.seconds for h in [*histories, h_cold, *(h for _, h in too_much.values())]),
    "seconds": time.perf_counter() - start,
}
record_results("07_text_as_code", figures, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * A code can be **words**. A seq2seq summariser and a seq2seq reconstructor trained only
#   to rebuild documents form an autoencoder whose bottleneck is a short text: unsupervised
#   summarisation.
# * Rebuilding is not reading: left alone, the two networks agree on a **private code**
#   (punctuation and filler words as signals, any order). It keeps facts and is useless to a person.
# * A **discriminator** that has seen real summaries, of other documents, unpaired, turns
#   the code into text of the summaries' form: ROUGE against never-seen references and the
#   fluency of the summaries rise together (Wang and Lee, 2018). How much weight it can
#   take depends on whether form and content can come apart: here, where the summariser
#   copies the document's words, they cannot.
# * A discrete code has no gradient. **REINFORCE** with a baseline (the other samples of
#   the same document) learns from rewards alone, which lets any score, a discriminator's
#   included, be a reward; lesson 06's Gumbel straight-through is the alternative. Either
#   way, the reconstructor must learn to read before the summariser can learn to write:
#   without the warm-up, the summariser writes the same few summaries for every document.
# * Score summaries against references the model never saw, next to the baselines (no
#   summary; the lead), and with more than one measure: ROUGE alone rates the lead, which
#   needs no training, about as high as the private code; fluency alone would rate any
#   headline-shaped sentence, true or not.
#
# **Next:** lesson 08 makes the code a distribution: the variational autoencoder.
#
# ## References
#
# * Y.-S. Wang, H.-Y. Lee. *Learning to encode text as human-readable summaries using
#   generative adversarial networks.* EMNLP 2018.
# * R. J. Williams. *Simple statistical gradient-following algorithms for connectionist
#   reinforcement learning.* Machine Learning 8, 1992 (REINFORCE).
# * O. Vinyals, M. Fortunato, N. Jaitly. *Pointer networks.* NeurIPS 2015.
# * I. Sutskever, O. Vinyals, Q. V. Le. *Sequence to sequence learning with neural networks.* NeurIPS 2014.
# * C.-Y. Lin. *ROUGE: a package for automatic evaluation of summaries.* ACL workshop "Text
#   Summarization Branches Out", 2004.
# * I. Goodfellow et al. *Generative adversarial nets.* NeurIPS 2014.
# * Hung-yi Lee (李宏毅). *Machine Learning* lecture "Auto-encoder" (National Taiwan
#   University), on text as the representation and the seq2seq2seq autoencoder.
