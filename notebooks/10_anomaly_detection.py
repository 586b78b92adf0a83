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
# # 10 · Anomaly detection: scores, thresholds and cost tables
#
# A factory photographs every part that leaves the line. Thousands of good parts a day
# are easy to collect; a cracked one turns up once a week, and the next crack will not
# look like the last. There is nothing to train a two-class classifier on: we know **one
# class**, the normal one, and must flag whatever does not belong to it. The lecture
# calls what we flag by three names: an **outlier** (离群点), a **novelty** (新颖点) or an
# **exception** (异常); the task is **anomaly detection** (异常检测).
#
# Digits make a safe laboratory for this: call one digit *normal* and the other nine
# *anomalies*.
#
# **You will be able to**
#
# * state a detector as the lecture does: a score $c(x)$, a threshold $\lambda$, and
#   "normal if $c(x) > \lambda$", with labels (a classifier's **confidence**) and without
#   (an autoencoder's **reconstruction error**);
# * measure a score without a threshold: ROC and precision-recall curves, **AUROC**, on ten
#   one-class tasks, against PCA and a published reference;
# * choose $\lambda$ on a **development set** (开发集) with a **cost table** (代价表), and
#   say why accuracy is the wrong guide when anomalies are rare;
# * measure what goes wrong: the reconstruction error rises with the amount of ink, so
#   thin anomalies slip through; a threshold chosen on the test set flatters the result;
#   anomalies in the training data teach the model to copy them.
#
# **Prerequisites:** lesson 01 (the convolutional autoencoder, PCA, the reconstruction
# error); a classifier's softmax output. Lesson 08 is not needed.
#
# **Time:** about 75 CPU-seconds of computing at the default parameters (a dozen small
# models: about a minute on a 2-core laptop CPU, seconds once they are cached); reading
# and playing: an hour.
#
# **Key terms 关键词** ([glossary 术语表](glossary.md)): anomaly detection 异常检测 · outlier 离群点 · novelty 新颖点 · exception 异常 · anomaly score 异常分数 · threshold 阈值 · confidence 置信度 · development set 开发集 · cost table 代价表 · open-set recognition 开集识别

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
DATASET = "mnist5k"  # a name from course.data.names(); offline: "mnist5k", "digits8x8"
BOTTLENECK = 16  # size of the autoencoder's code z (and PCA's number of components)
EPOCHS = 30  # epochs for each one-class autoencoder (350 normal digits: ~0.2 s each on a 2-core CPU)
BATCH_SIZE = 32  # images per gradient step
LR = 4e-3  # peak learning rate of the one-cycle schedule
WEIGHT_DECAY = 1e-3  # L2 penalty on the weights: a plainer model, worse at copying what it never saw
NORMAL_DIGIT = 3  # the one-class task the threshold, cost and pollution sections look at
ANOMALY_SHARE = 0.05  # share of anomalies among the items a detector meets (dev and test)
MISS_COST = 20.0  # cost of letting an anomaly through
FALSE_ALARM_COST = 1.0  # cost of flagging a normal item
POLLUTION = 0.05  # share of anomalies mixed into the training set in the last section
KNOWN_DIGITS = [0, 1, 2, 3, 4, 5]  # the classes the open-set classifier knows; the rest are unknown
CLASSIFIER_EPOCHS = 6  # epochs for the classifier of the known digits
SEED = 0
USE_CACHE = True  # reload models trained earlier with exactly these settings
SMOKE = False  # True: a few seconds of training for CI; claims are shown, not asserted

# %% slideshow={"slide_type": "skip"}
import math

from course.params import (boolean, check_parameters, dataset, epoch_cost, integer, list_of, number, require,
                           require_pca, seed, training_time)

check_parameters(
    DATASET=(DATASET, dataset()),
    BOTTLENECK=(BOTTLENECK, integer(min=1, max=256)),
    EPOCHS=(EPOCHS, integer(min=1)),
    BATCH_SIZE=(BATCH_SIZE, integer(min=1, max=4096)),
    LR=(LR, number(min=1e-6, max=1.0)),
    WEIGHT_DECAY=(WEIGHT_DECAY, number(min=0, max=1.0)),
    NORMAL_DIGIT=(NORMAL_DIGIT, integer(min=0, max=9)),
    ANOMALY_SHARE=(ANOMALY_SHARE, number(min=0.001, max=0.5)),
    MISS_COST=(MISS_COST, number(min=0, max=1e6)),
    FALSE_ALARM_COST=(FALSE_ALARM_COST, number(min=0, max=1e6)),
    POLLUTION=(POLLUTION, number(min=0.001, max=0.5)),
    KNOWN_DIGITS=(KNOWN_DIGITS, list_of(integer(min=0, max=9), min_len=2, max_len=9, unique=True)),
    CLASSIFIER_EPOCHS=(CLASSIFIER_EPOCHS, integer(min=1)),
    SEED=(SEED, seed()),
    USE_CACHE=(USE_CACHE, boolean()),
    SMOKE=(SMOKE, boolean()),
)
require(MISS_COST + FALSE_ALARM_COST > 0, f"MISS_COST = {MISS_COST} and FALSE_ALARM_COST = {FALSE_ALARM_COST}, "
                                          f"but with no cost at all every threshold is equally good")
from course import data  # noqa: E402  (the registry: limits that depend on the data follow)

full = data.sizes(DATASET)  # known without loading the images
size = data.sizes(DATASET, head=500) if SMOKE else full  # the smoke run trains on 500 images
pixels = math.prod(size.image_shape)
require_pca("BOTTLENECK", BOTTLENECK, BOTTLENECK, f"the rarest digit of {DATASET}", pixels, size.per_class)
scale = full.per_class * math.prod(full.image_shape) / (350 * 784)  # the costs were measured on mnist5k
budget = training_time(EPOCHS=(EPOCHS, 11 * epoch_cost(0.19, scale, BATCH_SIZE, 32)),  # 10 one-class AEs, 1 polluted
                       CLASSIFIER_EPOCHS=(CLASSIFIER_EPOCHS, len(KNOWN_DIGITS) / 10 * epoch_cost(0.8, scale)))
if SMOKE:  # after the checks, never instead of them
    EPOCHS, CLASSIFIER_EPOCHS = 1, 1
    budget = budget.with_counts(EPOCHS=EPOCHS, CLASSIFIER_EPOCHS=CLASSIFIER_EPOCHS)
print(budget)

# %% slideshow={"slide_type": "skip"}
import numpy as np
import plotly.graph_objects as go
import torch

from course import anomaly, exercises, plots
from course.anomaly import CostTable, auroc, one_class_task
from course.baselines import PCAAutoencoder
from course.classifier import DigitClassifier
from course.device import get_device, seed_everything
from course.diagrams import flow
from course.models import ConvAutoencoder
from course.prose import say
from course.results import check_claim, record_results
from course.show import show_source
from course.train import classification_loss, fit, predict

seed_everything(SEED)
device = get_device()
ds = data.load(DATASET)
if SMOKE:
    ds = ds.subset(500)
digits = list(range(len(ds.classes)))
print(f"device: {device}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The detector, as the lecture writes it
#
# Given training data $\{x^1, x^2, \dots, x^N\}$, we want a detector that tells whether
# an input $x$ is *similar* to the training data or not. It computes a score $c(x)$, high
# for what looks normal, and compares it with a threshold $\lambda$:
#
# $$f(x) = \begin{cases} \text{normal}, & c(x) > \lambda \\ \text{anomaly}, & c(x) \le \lambda \end{cases}$$

# %% slideshow={"slide_type": "subslide"}
flow("input x", "detector", "score c(x)", "c(x) > λ ?", "normal\nor anomaly", kinds="dnlol",
     caption="the anomaly detector: normal if c(x) > λ, anomaly if c(x) ≤ λ")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Where the score comes from depends on what the training data hold:
#
# * **with labels**: each $x^r$ comes with its class $\hat y^r$ (which digit). Train a
#   classifier; its **confidence** (置信度), the largest softmax probability, is $c(x)$.
#   It answers a class for a normal input and "unknown" for an anomaly (open-set recognition);
# * **without labels**: all we know is that the $x^r$ are normal. Train an autoencoder on
#   them; what it reconstructs well looks like its training data, so
#   $c(x) = -\,$(reconstruction error).

# %% slideshow={"slide_type": "subslide"}
flow("x¹ … xᴺ with labels ŷ", "classifier", "class ŷ and\nconfidence c(x)", "c(x) > λ ?", kinds="dnlo",
     caption="with labels: a classifier's confidence is the score")

# %% slideshow={"slide_type": "fragment"}
flow("x¹ … xᴺ, all normal", "autoencoder", "reconstruction\nerror e(x)", "c(x) = −e(x) > λ ?", kinds="dnlo",
     caption="without labels: the reconstruction error, negated, is the score")

# %% [markdown] slideshow={"slide_type": "subslide"}
# One convention to keep in mind: the code of this lesson (like most libraries) works with
# the **anomaly score** $e(x) = -c(x)$, high meaning anomalous, and **flags** an item when
# $e(x)$ is above its threshold. That is the same detector read from the other end:
# "normal if $c(x) > \lambda$" is "flag if $e(x) \ge -\lambda$". Wherever a figure below
# says "flag when score > lambda", the score is $e(x)$ and that lambda is $-\lambda$.
#
# ## One class known, the rest unknown
#
# A **one-class task** keeps the training split's normal digits only: the detector never
# sees an anomaly while it learns. The dev split (for choosing a threshold) and the test
# split (for the verdict) keep every digit, so nine in ten of their images are anomalies.
# That is not what a detector meets: in the factory, anomalies are rare. So each anomaly
# is **weighted** such that anomalies make up `ANOMALY_SHARE` of the total weight (5% by
# default; the line under the task says what weight that gives each anomaly). Counts are
# reported per 1,000 items ("9 missed" reads "9 missed out of every 1,000 items"), and
# every anomaly of the split still takes part, rather than the two or three that a real
# 5% sample of the split would keep.

# %% slideshow={"slide_type": "subslide"}
show_source(anomaly.one_class_task)

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
tasks = {d: one_class_task(ds, d, anomaly_share=ANOMALY_SHARE, seed=SEED) for d in digits}
print(tasks[NORMAL_DIGIT])

# %% slideshow={"slide_type": "fragment"}
dev_split = tasks[NORMAL_DIGIT].dev
say("In the dev split, {normal} normal digits and {n} anomalies: each anomaly counts as {w:.4f} of an item, "
    "so that the anomalies make up {share:.0%} of the total weight.", normal=len(dev_split) - dev_split.n_anomalies,
    n=dev_split.n_anomalies, w=float(dev_split.weights[dev_split.is_anomaly][0]), share=dev_split.anomaly_share)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Without labels: the reconstruction error as the score
#
# An autoencoder trained on normal digits only learns to copy *those*. Shown something
# else, it can only draw what it knows: a bold 0 comes back as a blurred 3, with a large
# error. So the **anomaly score** $e(x)$ is the reconstruction error, higher meaning more
# anomalous ($c(x) = -e(x)$ in the lecture's form). PCA fitted on the same images gives the classic baseline (lesson 01: the
# best *linear* code of the same size).

# %% slideshow={"slide_type": "subslide"}
show_source(anomaly.reconstruction_scores)

# %% [markdown] slideshow={"slide_type": "subslide"}
# One convolutional autoencoder per digit (lesson 01's `ConvAutoencoder`, a code of
# `BOTTLENECK` numbers), each trained on the training images of its digit only (the task
# above says how many).
# One change from lesson 01: a little **weight decay** (`WEIGHT_DECAY`), which pulls
# every weight towards zero. Here we do not want the best possible copier, but one that
# copies its own digit well and everything else badly; a plainer model generalises less
# to what it never saw. Its value was chosen like any other decision in this lesson, on
# the dev sets: the best mean dev AUROC among 0, 0.0001, 0.001 and 0.003 (the AUROC
# section below gives that search's figures).

# %% slideshow={"slide_type": "subslide"}
ae_models, ae_histories = {}, {}
for d in digits:
    seed_everything(SEED)
    ae_models[d] = ConvAutoencoder(ds.image_shape, BOTTLENECK)
    ae_histories[d] = fit(ae_models[d], tasks[d].train.images, val=tasks[d].dev.normal_images,
                          epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, weight_decay=WEIGHT_DECAY,
                          seed=SEED, cache=USE_CACHE, progress=False)
    h = ae_histories[d]
    print(f"normal digit {d}: {'loaded from cache' if h.from_cache else f'trained in {h.seconds:.1f} s'}, "
          f"validation MSE {h.val_loss[-1]:.4f}")

pca_models = {d: PCAAutoencoder(BOTTLENECK, seed=SEED).fit(tasks[d].train.images) for d in digits}
scores = {"AE": {}, "PCA": {}}
for d in digits:
    for split in ("dev", "test"):
        images = getattr(tasks[d], split).images
        scores["AE"][d, split] = anomaly.reconstruction_scores(ae_models[d], images)
        scores["PCA"][d, split] = anomaly.reconstruction_scores(pca_models[d], images)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the scores look like
#
# For the task "normal = 3" (the `NORMAL_DIGIT` parameter): the share of normal test
# digits and of anomalies at each reconstruction error, on a logarithmic axis. The two
# groups overlap but sit apart (the numbers under the figure say how far).

# %% slideshow={"slide_type": "subslide"}
task = tasks[NORMAL_DIGIT]
test_ae, dev_ae = scores["AE"][NORMAL_DIGIT, "test"], scores["AE"][NORMAL_DIGIT, "dev"]
test_pca, dev_pca = scores["PCA"][NORMAL_DIGIT, "test"], scores["PCA"][NORMAL_DIGIT, "dev"]
anomaly.score_histogram(test_ae, task.test.is_anomaly, x_title="reconstruction error (MSE)",
                        title=f"Autoencoder trained on {NORMAL_DIGIT}s: test reconstruction errors")

# %% slideshow={"slide_type": "fragment"}
y_test = task.test.is_anomaly
say("The errors span {span:.1f} orders of magnitude, from {lo:.4f} to {hi:.3f}. "
    "{above:.0%} of the anomalies reconstruct worse than the median {d}, and {overlap:.0%} of them "
    "fall inside the range of the normal {d}s.",
    span=math.log10(test_ae.max() / test_ae.min()), lo=test_ae.min(), hi=test_ae.max(), d=NORMAL_DIGIT,
    above=float(np.mean(test_ae[y_test] > np.median(test_ae[~y_test]))),
    overlap=float(np.mean(test_ae[y_test] <= test_ae[~y_test].max())))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Ten one-class tasks: AUROC
#
# A score does not decide yet; a threshold does: flag every item whose error $e(x)$ is above
# it (in the lecture's form, every item with $c(x) \le \lambda$).
# Sweeping lambda from high to low traces the **ROC curve**: the share of anomalies caught
# (recall) against the share of normal items flagged (false alarm rate). Its area,
# **AUROC**, is the chance that a random anomaly scores above a random normal item: 1 is
# perfect, 0.5 is a coin. It does not depend on the anomaly share or on any threshold,
# which is why papers report it. The **precision-recall** curve does depend on the share:
# at 5% anomalies, even a small false alarm rate swamps the flags with normal items.

# %% slideshow={"slide_type": "subslide"}
anomaly.roc_pr_figure({"autoencoder": (test_ae, task.test.is_anomaly, task.test.weights),
                       "PCA": (test_pca, task.test.is_anomaly, task.test.weights)},
                      title=f"normal = {NORMAL_DIGIT}, test set, anomalies weighted to {ANOMALY_SHARE:.0%}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# All ten tasks, on the test set. Beside them, for reference only, the AUROCs that
# the Deep SVDD paper published for its One-Class Deep SVDD on MNIST (Ruff et al., 2018,
# *Deep One-Class Classification*, ICML, Table 1): a **different protocol**, the full MNIST
# (about 6,000 training images of the normal digit instead of our 350, all 10,000 test
# images), another network trained for another objective, and a mean over 10 seeds. Read
# them as "what a dedicated method reaches with 17 times more data", not as a race. (That
# table also lists other baselines, including a convolutional autoencoder trained on full MNIST.)

# %% slideshow={"slide_type": "subslide"}
DEEP_SVDD_MNIST = [98.0, 99.7, 91.7, 91.9, 94.9, 88.5, 98.3, 94.6, 93.9, 96.5]  # %, Ruff et al. 2018, Table 1

auroc_ae = [auroc(scores["AE"][d, "test"], tasks[d].test.is_anomaly) for d in digits]
auroc_pca = [auroc(scores["PCA"][d, "test"], tasks[d].test.is_anomaly) for d in digits]
reference = DATASET.startswith("mnist")  # the published figures are for MNIST digits only
rows = [{"normal digit": ds.classes[d], "autoencoder (ours)": auroc_ae[d], "PCA (ours)": auroc_pca[d],
         "Deep SVDD, published (full MNIST)": DEEP_SVDD_MNIST[d] / 100 if reference else ""}
        for d in digits]
rows.append({"normal digit": "mean", "autoencoder (ours)": float(np.mean(auroc_ae)),
             "PCA (ours)": float(np.mean(auroc_pca)),
             "Deep SVDD, published (full MNIST)": float(np.mean(DEEP_SVDD_MNIST)) / 100 if reference else ""})
plots.Table(rows, caption=f"Test AUROC of each one-class task ({DATASET}); "
                          "the last column is a published reference under another protocol", digits=3)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Some digits are easy: a 1 is a single thin stroke, and every other digit has more ink
# than a model of ones can draw. Others are hard: an autoencoder of 8s draws loops and
# crossings, and a 3 or a 5 is mostly made of those (the claims below check that 1 is the
# easiest task and 8 one of the two hardest; which digit joins 8 at the bottom changes
# from seed to seed). PCA is a strong baseline here: with one digit at a time,
# a `BOTTLENECK`-dimensional linear subspace already fits the normal class well.
#
# Our mean may come out above the published one: that says nothing about who is better.
# Our test set is ten times smaller (100 normal digits per task, so each AUROC moves by a
# percent with a handful of images), it is one seed, and the data and preprocessing
# differ. A comparison needs the same protocol.

# %% slideshow={"slide_type": "subslide"}
mean_ae, mean_pca = float(np.mean(auroc_ae)), float(np.mean(auroc_pca))
check_claim("the autoencoder's mean AUROC over the ten one-class tasks is at least 0.95",
            mean_ae >= 0.95, f"{mean_ae:.3f}", smoke=SMOKE)
check_claim("the autoencoder's mean AUROC is not below PCA's",
            mean_ae >= mean_pca, f"{mean_ae:.3f} vs {mean_pca:.3f}", smoke=SMOKE)
# The search that chose WEIGHT_DECAY, run once at the default parameters (ten autoencoders per value):
WEIGHT_DECAY_SEARCH = {0.0: (0.9499, 0.9530), 1e-4: (0.9552, 0.9577), 1e-3: (0.9565, 0.9608), 3e-3: (0.9537, 0.9579)}
mean_dev_ae = float(np.mean([auroc(scores["AE"][d, "dev"], tasks[d].dev.is_anomaly) for d in digits]))
if (DATASET, BOTTLENECK, EPOCHS, BATCH_SIZE, LR, SEED, WEIGHT_DECAY) == ("mnist5k", 16, 30, 32, 4e-3, 0, 1e-3):
    check_claim("this run reproduces the search's figures for the chosen weight decay",
                abs(mean_dev_ae - WEIGHT_DECAY_SEARCH[1e-3][0]) < 1e-3
                and abs(mean_ae - WEIGHT_DECAY_SEARCH[1e-3][1]) < 1e-3,
                f"mean dev AUROC {mean_dev_ae:.4f}, test {mean_ae:.4f}", smoke=SMOKE)
say("The search for `WEIGHT_DECAY` (mean dev AUROC of the ten autoencoders): {dev}. The best, {best:g}, is the "
    "default; without weight decay the mean test AUROC would be {drop:.3f} lower.",
    dev=", ".join(f"{v[0]:.4f} at {wd:g}" for wd, v in WEIGHT_DECAY_SEARCH.items()),
    best=max(WEIGHT_DECAY_SEARCH, key=lambda wd: WEIGHT_DECAY_SEARCH[wd][0]),
    drop=WEIGHT_DECAY_SEARCH[1e-3][1] - WEIGHT_DECAY_SEARCH[0.0][1])
if DATASET.startswith("mnist"):  # the sentence above is about MNIST's digits
    hardest_two = [int(d) for d in np.argsort(auroc_ae)[:2]]
    check_claim("normal = 1 is the autoencoder's easiest task and normal = 8 one of its two hardest",
                int(np.argmax(auroc_ae)) == 1 and 8 in hardest_two,
                f"1: {auroc_ae[1]:.3f}, 8: {auroc_ae[8]:.3f}, the two hardest: "
                + ", ".join(f"{d} ({auroc_ae[d]:.3f})" for d in hardest_two), smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## With labels: a classifier's confidence
#
# Often we do have labels, for the classes we know. A digit classifier trained on
# `KNOWN_DIGITS` (0 to 5 by default) must put every image into one of them, even a 7. But on
# something it has never seen it is usually less sure, so its **confidence** $c(x)$, the
# largest softmax probability, is the lecture's score: a known digit if $c(x) > \lambda$,
# "unknown" if $c(x) \le \lambda$. A classifier with that threshold is an **open-set**
# classifier (open-set recognition, 开集识别): it answers a digit, or "unknown". (The code
# below computes the anomaly score $1 - c(x)$, to share the machinery of the
# reconstruction error; the threshold is reported on $c(x)$.)

# %% slideshow={"slide_type": "subslide"}
show_source(anomaly.msp_scores)

# %% slideshow={"slide_type": "subslide"}
known = tuple(KNOWN_DIGITS)
open_task = one_class_task(ds, known, anomaly_share=ANOMALY_SHARE, seed=SEED)
targets = anomaly.class_indices(open_task.train.labels, known)
seed_everything(SEED)
classifier = DigitClassifier(ds.image_shape, n_classes=len(known))
h = fit(classifier, (open_task.train.images, targets), epochs=CLASSIFIER_EPOCHS, batch_size=64,
        lr=2e-3, loss_fn=classification_loss, seed=SEED, cache=USE_CACHE, progress=False)
print(f"classifier of {len(known)} known digits: "
      f"{'loaded from cache' if h.from_cache else f'trained in {h.seconds:.1f} s'}")

msp = {split: anomaly.msp_scores(classifier, getattr(open_task, split).images) for split in ("dev", "test")}
pca_known = PCAAutoencoder(BOTTLENECK, seed=SEED).fit(open_task.train.images)
pca_open = {split: anomaly.reconstruction_scores(pca_known, getattr(open_task, split).images)
            for split in ("dev", "test")}
auroc_msp = auroc(msp["test"], open_task.test.is_anomaly)
auroc_pca_open = auroc(pca_open["test"], open_task.test.is_anomaly)
y_open, w_open = open_task.test.is_anomaly, open_task.test.weights
anomaly.roc_pr_figure({"classifier confidence": (msp["test"], y_open, w_open),
                       "PCA reconstruction error": (pca_open["test"], y_open, w_open)},
                      title=f"known digits {known} against the rest, test set")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now choose the threshold on the dev set (here: the one with the best F1 for "unknown")
# and let the classifier answer. A known digit is answered right when it is neither
# flagged nor misclassified; an unknown digit when it is flagged, i.e. $c(x) \le \lambda$.

# %% slideshow={"slide_type": "fragment"}
lam_open = anomaly.choose_threshold(msp["dev"], open_task.dev.is_anomaly, open_task.dev.weights,
                                    criterion="f1")
test_x, test_y = open_task.test.images, open_task.test.labels
predicted = predict(classifier, test_x).argmax(1)
unknown = msp["test"] > lam_open
is_known = ~open_task.test.is_anomaly
right_digit = (predicted == anomaly.class_indices(test_y, known)).numpy()
open_rows = [
    {"test images": f"known digits ({is_known.sum()})",
     "answered the right digit": f"{(right_digit & ~unknown)[is_known].mean():.1%}",
     "answered a wrong digit": f"{(~right_digit & ~unknown)[is_known].mean():.1%}",
     "answered unknown": f"{unknown[is_known].mean():.1%}"},
    {"test images": f"unknown digits ({(~is_known).sum()})",
     "answered the right digit": "",
     "answered a wrong digit": f"{(~unknown)[~is_known].mean():.1%}",
     "answered unknown": f"{unknown[~is_known].mean():.1%}"},
]
closed_accuracy = float(right_digit[is_known].mean())
print(f"without the 'unknown' answer the classifier gets {closed_accuracy:.1%} of known digits right "
      f"and calls every unknown digit one of {known}")
plots.Table(open_rows, caption=f"Open-set answers at λ = {1 - lam_open:.3g}, chosen on dev: "
                               "a known digit when the confidence c(x) > λ, else unknown")

# %% slideshow={"slide_type": "subslide"}
passed = ~unknown & ~is_known                        # unknown digits answered as a known one
pairs = {}
for true, said in zip(test_y.numpy()[passed], predicted.numpy()[passed]):
    pairs[true, known[said]] = pairs.get((true, known[said]), 0) + 1
(true_digit, said_digit), n_pair = max(pairs.items(), key=lambda kv: kv[1])
check_claim("the classifier's confidence separates known from unknown digits better than PCA's "
            "reconstruction error", auroc_msp > auroc_pca_open, f"AUROC {auroc_msp:.3f} vs {auroc_pca_open:.3f}",
            smoke=SMOKE)
say("{share:.0%} of the unknown digits still pass as a known one; the commonest case, {n} of them, is a "
    "{t} answered as a {k}.", share=float(passed[~is_known].mean()), n=n_pair, t=true_digit, k=said_digit)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The labels help: the classifier has learnt what tells the known digits *apart*, and
# its confidence separates known from unknown better than PCA's reconstruction error on
# the same task (AUROC in the legend). The price is the labels, and a blind spot: an
# unknown digit that the classifier confidently takes for a known one passes (the line
# above says how often, and which digit most).
#
# ## Choosing lambda: not on the test set, and not for accuracy
#
# Back to one normal digit. A threshold is a decision, so it is chosen on the **dev set**;
# the test set only reports how the decision turned out. Choosing on the test set would
# make the reported figures optimistic: they would measure the choice, not the detector
# ("What goes wrong" below measures by how much).
#
# Which lambda? With 5% anomalies (the default `ANOMALY_SHARE`), the detector that **flags nothing** is right 95% of the
# time. Accuracy rewards leaving items alone, because a false alarm on one of the many
# normal items costs as much accuracy as a missed anomaly. **Precision** (the share of flags that
# are anomalies), **recall** (the share of anomalies flagged) and their harmonic mean
# **F1** ignore the heap of correctly ignored normal items.

# %% slideshow={"slide_type": "subslide"}
dev_sweep = anomaly.sweep(dev_ae, task.dev.is_anomaly, task.dev.weights)
lam_acc = anomaly.choose_threshold(dev_ae, task.dev.is_anomaly, task.dev.weights, criterion="accuracy")
lam_f1 = anomaly.choose_threshold(dev_ae, task.dev.is_anomaly, task.dev.weights, criterion="f1")
flag_nothing = dev_sweep.metrics(0)
print(f"flag nothing: dev accuracy {flag_nothing['accuracy']:.1%}, recall {flag_nothing['recall']:.0%}")
anomaly.threshold_figure(dev_ae, task.dev, marks={"best accuracy": lam_acc, "best F1": lam_f1},
                         title=f"normal = {NORMAL_DIGIT}, dev set, {ANOMALY_SHARE:.0%} anomalies")

# %% slideshow={"slide_type": "subslide"}
rows = []
for name, lam in (("flag nothing", np.inf), ("best accuracy on dev", lam_acc), ("best F1 on dev", lam_f1)):
    m = anomaly.counts_at(test_ae, task.test.is_anomaly, lam, task.test.weights).metrics()
    rows.append({"lambda chosen by": name, "lambda": lam, **{k: m[k] for k in
                 ("accuracy", "precision", "recall", "F1", "false alarm rate")}})
plots.Table(rows, caption="On the test set, lambda chosen on dev")

# %% slideshow={"slide_type": "fragment"}
at_acc, at_f1 = rows[1], rows[2]
check_claim("the accuracy-optimal lambda lies above every normal digit of the dev set, and lets most "
            "test anomalies through", lam_acc > dev_ae[~task.dev.is_anomaly].max() and at_acc["recall"] < 0.5,
            f"lambda {lam_acc:.5f} > the highest normal dev error {dev_ae[~task.dev.is_anomaly].max():.5f}; "
            f"test recall {at_acc['recall']:.0%}",
            smoke=SMOKE)
say("At the accuracy-optimal lambda the detector catches {r_acc:.0%} of the test anomalies, for a test "
    "accuracy of {a_acc:.1%} against {a_none:.1%} for flagging nothing. The F1-optimal lambda catches "
    "{r_f1:.0%}, for {fa_f1:.1%} of the normal digits flagged (test accuracy {a_f1:.1%}).",
    r_acc=at_acc["recall"], a_acc=at_acc["accuracy"], a_none=rows[0]["accuracy"], r_f1=at_f1["recall"],
    fa_f1=at_f1["false alarm rate"], a_f1=at_f1["accuracy"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# The accuracy-optimal lambda sits high, above every normal digit of the dev set: it
# flags only the blatant anomalies and lets most of them through, and its accuracy is
# hardly better than that of flagging nothing: accuracy can barely tell a detector that
# catches a good part of the anomalies from one that catches none. The F1-optimal lambda
# catches many more, for a few false alarms. (On the test set the F1 choice may even have
# the higher accuracy: the dev set holds few normal digits, so a lambda chosen on it is
# itself a noisy estimate.)
#
# Which trade is right is not a statistical question: it depends on what a miss and a
# false alarm **cost**.
#
# ## Cost tables
#
# Write down what each mistake costs: letting an anomaly through costs `MISS_COST`
# (a faulty part shipped: 20 by default), flagging a normal item costs `FALSE_ALARM_COST`
# (someone looks at it: 1). The cost of a lambda is the sum over its mistakes, here per 1,000
# items; choose the lambda with the least cost **on dev**, then report its cost **on test**.

# %% slideshow={"slide_type": "subslide"}
show_source(anomaly.Sweep.cost)

# %% slideshow={"slide_type": "subslide"}
table = CostTable(miss=MISS_COST, false_alarm=FALSE_ALARM_COST)
comparison = anomaly.compare_thresholds(dev_ae, task.dev, test_ae, task.test, table)
comparison.table()

# %% slideshow={"slide_type": "subslide"}
anomaly.cost_figure(dev_ae, task.dev, test_ae, task.test, table)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Left: the cost on dev against lambda (a logarithmic axis), with the three choices marked.
# Right: what the least-cost lambda does to 1,000 test items. When a miss costs as much as
# 20 false alarms, it pays to look at many items to catch one more anomaly, so the
# least-cost lambda sits well below the accuracy-optimal one (the claims below check it). Accuracy is the special case in which
# both mistakes cost the same.

# %% slideshow={"slide_type": "subslide"}
anomaly.confusion_table(comparison.test_confusion["cost"],
                        caption="Test items per 1,000 at the least-cost lambda "
                                f"({comparison.thresholds['cost']:.4f})")

# %% slideshow={"slide_type": "subslide"}
test_cost = {k: comparison.test[k]["cost per 1,000"] for k in anomaly.CRITERIA}
check_claim(f"with a miss costing {MISS_COST:g} and a false alarm {FALSE_ALARM_COST:g}, the least-cost "
            "lambda (chosen on dev) differs from the accuracy-optimal one",
            comparison.thresholds["cost"] != comparison.thresholds["accuracy"],
            f"{comparison.thresholds['cost']:.4f} vs {comparison.thresholds['accuracy']:.4f}", smoke=SMOKE)
if MISS_COST > FALSE_ALARM_COST:  # the sentence above is about misses that cost more than false alarms
    check_claim("the least-cost lambda lies below the accuracy-optimal one: it flags more",
                comparison.thresholds["cost"] < comparison.thresholds["accuracy"],
                f"{comparison.thresholds['cost']:.4f} < {comparison.thresholds['accuracy']:.4f}", smoke=SMOKE)
check_claim("and its test cost is lower", test_cost["cost"] < test_cost["accuracy"],
            f"{test_cost['cost']:.1f} vs {test_cost['accuracy']:.1f} per 1,000 items", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Play with it.** Set the two costs and the share of anomalies. The widget finds the
# least-cost lambda on dev (the star), marks the accuracy-optimal (circle) and the
# F1-optimal (diamond) ones, and reports all three's cost on the test set in its title.
# Try equal costs: the star joins the circle. Try a rarer anomaly at the same costs:
# lambda moves up, since each flag is now less likely to be a catch. (In a saved notebook
# without a kernel a picture of how it starts stands in its place.)

# %% slideshow={"slide_type": "subslide"}
anomaly.cost_table_widget(dev_ae, task.dev, test_ae, task.test, miss=MISS_COST,
                          false_alarm=FALSE_ALARM_COST, share=ANOMALY_SHARE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Clean against polluted training data
#
# So far the training set was clean: the normal digit only. Real "normal" data is collected, not
# curated, and some anomalies slip in. Mix `POLLUTION` (5%) anomalies into the training
# images and train again: the autoencoder learns to reconstruct some anomalies too, and
# their scores drop. PCA, being cheap, is measured at several pollution rates.

# %% slideshow={"slide_type": "subslide"}
polluted = one_class_task(ds, NORMAL_DIGIT, anomaly_share=ANOMALY_SHARE, pollution=POLLUTION, seed=SEED)
seed_everything(SEED)
ae_polluted = ConvAutoencoder(ds.image_shape, BOTTLENECK)
h = fit(ae_polluted, polluted.train.images, val=polluted.dev.normal_images, epochs=EPOCHS,
        batch_size=BATCH_SIZE, lr=LR, weight_decay=WEIGHT_DECAY, seed=SEED, cache=USE_CACHE,
        progress=False)
auroc_polluted = auroc(anomaly.reconstruction_scores(ae_polluted, task.test.images), task.test.is_anomaly)
print(f"{polluted.train.n_anomalies} of {len(polluted.train)} training images are anomalies; "
      f"{'loaded from cache' if h.from_cache else f'trained in {h.seconds:.1f} s'}")

rates = [0.0, 0.02, 0.05, 0.1, 0.2]
pca_by_rate = []
for rate in rates:
    t = one_class_task(ds, NORMAL_DIGIT, anomaly_share=ANOMALY_SHARE, pollution=rate, seed=SEED)
    pca = PCAAutoencoder(BOTTLENECK, seed=SEED).fit(t.train.images)
    pca_by_rate.append(auroc(anomaly.reconstruction_scores(pca, task.test.images), task.test.is_anomaly))
auroc_pca_polluted = auroc(anomaly.reconstruction_scores(PCAAutoencoder(BOTTLENECK, seed=SEED).fit(
    polluted.train.images), task.test.images), task.test.is_anomaly)
plots.Table([{"training data": "clean", "autoencoder AUROC": auroc_ae[NORMAL_DIGIT],
              "PCA AUROC": pca_by_rate[0]},
             {"training data": f"{POLLUTION:.0%} anomalies", "autoencoder AUROC": auroc_polluted,
              "PCA AUROC": auroc_pca_polluted}],
            caption=f"normal = {NORMAL_DIGIT}: test AUROC after clean and polluted training")

# %% slideshow={"slide_type": "subslide"}
fig = plots.line_chart([100 * r for r in rates], {"PCA": pca_by_rate},
                       x_title="anomalies in the training set (%)", y_title="test AUROC",
                       title=f"normal = {NORMAL_DIGIT}: AUROC against pollution")
fig.add_scatter(x=[0, 100 * POLLUTION], y=[auroc_ae[NORMAL_DIGIT], auroc_polluted], name="autoencoder",
                mode="lines+markers", line=dict(color=plots.PALETTE[1]))

# %% slideshow={"slide_type": "fragment"}
check_claim("for PCA, more pollution costs more AUROC at every step of the sweep",
            all(a > b for a, b in zip(pca_by_rate, pca_by_rate[1:])),
            " > ".join(f"{v:.3f}" for v in pca_by_rate), smoke=SMOKE)
say("At {p:.0%} pollution the autoencoder loses {d_ae:.3f} of AUROC ({a0:.3f} to {a1:.3f}), PCA {d_pca:.3f} "
    "({p0:.3f} to {p1:.3f}).", p=POLLUTION, d_ae=auroc_ae[NORMAL_DIGIT] - auroc_polluted, a0=auroc_ae[NORMAL_DIGIT],
    a1=auroc_polluted, d_pca=pca_by_rate[0] - auroc_pca_polluted, p0=pca_by_rate[0], p1=auroc_pca_polluted)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Pollution costs AUROC, and more pollution costs more: the model spends part of its
# small code on the anomalies it was shown, and reconstructs their kind better. Compare
# the two models at the same pollution (the line above): here the autoencoder loses
# more. A flexible model can learn the few intruders on the side, while PCA's one flat
# subspace is only tilted a little by them. The remedies are data work (clean the training set, e.g. drop
# the training images that the first model reconstructs worst, and retrain) or
# objectives built to ignore a few outliers.


# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Predict before you run
#
# Back to the autoencoder trained on 3s, at the F1-optimal lambda chosen on dev. Which
# anomaly does it let through most often: a **1** (a single thin stroke), a **5** or an
# **8** (the digits that share most strokes with a 3), or a **0** (round and bold)?
# Answer before running the cell after the next one.

# %% slideshow={"slide_type": "subslide"}
guess = ...  # one of "1", "5", "8", "0"
exercises.get("10-which-digits-slip-through").check(guess)

# %% slideshow={"slide_type": "subslide"}
ink_test = task.test.images.flatten(1).mean(1).numpy()  # ink: the mean brightness of an image
labels_test = task.test.labels.numpy()
per_digit = [{"digit": ds.classes[d], "test images": int(np.sum(labels_test == d)),
              "let through at the F1 lambda": float(np.mean(test_ae[labels_test == d] <= lam_f1)),
              "median error": float(np.median(test_ae[labels_test == d])),
              "mean ink": float(ink_test[labels_test == d].mean())} for d in digits if d != NORMAL_DIGIT]
plots.Table(sorted(per_digit, key=lambda r: -r["let through at the F1 lambda"]), digits=3,
            caption=f"Anomalies let through by the autoencoder of {NORMAL_DIGIT}s (lambda = {lam_f1:.4f}, chosen on dev)")
# exercises.get("10-which-digits-slip-through").solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Write the threshold sweep
#
# Every threshold figure of this lesson (ROC, precision-recall, accuracy against lambda,
# cost against lambda) comes from one function: the **sweep**. Write
# `threshold_sweep(scores, is_anomaly, weights)`: the thresholds lambda (flag when
# score > lambda) from `+inf` (flag nothing) down to `-inf` (flag everything), one per
# different way of cutting the scores in two, and at each the total **weight** of the
# flagged anomalies (`tp`) and of the flagged normal items (`fp`). Equal scores cannot be
# separated by any lambda. The check compares with the lesson's `anomaly.sweep` on
# scores with ties and weighted anomalies.

# %% slideshow={"slide_type": "subslide"}
def threshold_sweep(scores: np.ndarray, is_anomaly: np.ndarray,
                    weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # YOUR CODE HERE (about 5 lines)
    raise NotImplementedError


exercise = exercises.get("10-threshold-sweep")
exercise.check(threshold_sweep)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Lambda for a cost table
#
# Complete `choose_lambda`: given dev scores, which items are anomalies, and the two
# costs, return the lambda (flag when score > lambda) whose misses and false alarms cost
# the least in total. Every score is a candidate; so is "flag everything". The check
# tries four cost tables on two sets of scores.

# %% slideshow={"slide_type": "subslide"}
def choose_lambda(scores: np.ndarray, is_anomaly: np.ndarray, miss_cost: float,
                  false_alarm_cost: float) -> float:
    # YOUR CODE HERE (about 8 lines)
    raise NotImplementedError


exercise = exercises.get("10-lambda-for-a-cost-table")
exercise.check(choose_lambda)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### In your own words
#
# A 1 looks nothing like a 3, yet the autoencoder trained on 3s lets most 1s through.
# Why? Think about what the reconstruction error adds up.

# %% slideshow={"slide_type": "subslide"}
answer = ...  # a sentence or two, as a string
exercises.get("10-why-thin-digits-pass").check(answer)
# exercises.get("10-why-thin-digits-pass").solution()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What goes wrong: the error counts ink, and a threshold chosen on the test set
#
# ### The reconstruction error rises with the amount of ink
#
# The reconstruction error is a mean of squared differences over the pixels. A digit
# drawn with little ink has few lit pixels to get wrong; a bold one has many. So the score
# depends not only on *what* a digit is but on *how much ink* it has. The examples at the
# edges of the score show it. Top: the test images the autoencoder of 3s reconstructs
# worst (the most anomalous). Then the normal digits it reconstructs worst, the ones
# that would raise **false alarms**. Then the anomalies it reconstructs best, the
# **misses**. Below each row, what the autoencoder made of it.

# %% slideshow={"slide_type": "subslide"}
def show_extremes(n: int = 8) -> tuple[object, dict[str, np.ndarray]]:
    """Test images at the edges of the score, each row followed by its reconstruction."""
    x, s, y = task.test.images, test_ae, task.test.is_anomaly
    picks = {"worst overall": np.argsort(-s)[:n],
             "odd normal": np.flatnonzero(~y)[np.argsort(-s[~y])[:n]],
             "hidden anomalies": np.flatnonzero(y)[np.argsort(s[y])[:n]]}
    rows = {}
    for name, idx in picks.items():
        rows[name] = x[torch.from_numpy(idx)]
        rows[f"AE: {name}"] = predict(ae_models[NORMAL_DIGIT], rows[name])
    return plots.image_grid(rows), picks


extremes_figure, extremes = show_extremes()
extremes_figure

# %% slideshow={"slide_type": "fragment"}
normal_ink = float(np.median(ink_test[~y_test]))
say("Their ink, against the median normal {d}'s: the worst overall ({worst}) have {w:.1f}x as much, the odd "
    "normal {d}s {o:.1f}x, the hidden anomalies ({hidden}) {h:.1f}x.", d=NORMAL_DIGIT,
    worst=", ".join(ds.classes[c] for c in labels_test[extremes["worst overall"]]),
    hidden=", ".join(ds.classes[c] for c in labels_test[extremes["hidden anomalies"]]),
    w=float(np.median(ink_test[extremes["worst overall"]])) / normal_ink,
    o=float(np.median(ink_test[extremes["odd normal"]])) / normal_ink,
    h=float(np.median(ink_test[extremes["hidden anomalies"]])) / normal_ink)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every test image, its error against its ink:

# %% slideshow={"slide_type": "subslide"}
ink_fig = go.Figure()
for name, mask, colour in (("normal", ~y_test, plots.PALETTE[0]), ("anomaly", y_test, plots.PALETTE[3])):
    ink_fig.add_scatter(x=ink_test[mask].astype(np.float32), y=test_ae[mask].astype(np.float32), mode="markers",
                        name=name, marker=dict(color=colour, size=4, opacity=0.6),
                        text=[f"digit {ds.classes[c]}" for c in labels_test[mask]])
ink_fig.update_layout(title=f"Autoencoder of {NORMAL_DIGIT}s: test error against ink", height=380,
                      xaxis_title="ink (mean brightness of the image)", yaxis_title="reconstruction error (MSE)",
                      xaxis_type="log", yaxis_type="log")
ink_fig


# %% slideshow={"slide_type": "subslide"}
def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation: 1 when b rises whenever a does, 0 when unrelated."""
    return float(np.corrcoef(np.argsort(np.argsort(a)), np.argsort(np.argsort(b)))[0, 1])


ink = {split: {d: getattr(tasks[d], split).images.flatten(1).mean(1).numpy() for d in digits}
       for split in ("dev", "test")}
rho = [rank_correlation(ink["test"][d][tasks[d].test.is_anomaly], scores["AE"][d, "test"][tasks[d].test.is_anomaly])
       for d in digits]
check_claim("in every one of the ten tasks, the anomalies' reconstruction error rises with their ink "
            "(rank correlation above 0.2)", min(rho) > 0.2,
            ", ".join(f"{ds.classes[d]}: {r:.2f}" for d, r in zip(digits, rho)), smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# So the detector's misses are not, first of all, the digits that look most like the
# normal one: they are the digits with the least ink, whose error stays small whatever
# the autoencoder draws. Its false alarms lean the other way, towards bold normal digits.
# This is the classic weakness of a pixel error as an anomaly score: it measures *how
# much* is wrong, and a faint image cannot have much wrong.
#
# A first remedy is to measure the error **relative to the ink**: divide each image's
# error by its ink. Whether that helps is a decision like any other, so it is taken on
# the dev sets, and only then reported on test:

# %% slideshow={"slide_type": "subslide"}
relative = {(d, split): scores["AE"][d, split] / np.maximum(ink[split][d], 1e-6)
            for d in digits for split in ("dev", "test")}
mean_auroc = {(kind, split): float(np.mean([auroc(relative[d, split] if kind == "error / ink"
                                                  else scores["AE"][d, split], getattr(tasks[d], split).is_anomaly)
                                            for d in digits]))
              for kind in ("error", "error / ink") for split in ("dev", "test")}
plots.Table([{"score": kind, "mean dev AUROC": mean_auroc[kind, "dev"], "mean test AUROC": mean_auroc[kind, "test"]}
             for kind in ("error", "error / ink")], digits=3,
            caption="Ten one-class tasks: the reconstruction error, and the error relative to the ink")

# %% slideshow={"slide_type": "fragment"}
check_claim("dividing the error by the ink raises the mean AUROC on dev (where it is decided) and on test",
            mean_auroc["error / ink", "dev"] > mean_auroc["error", "dev"]
            and mean_auroc["error / ink", "test"] > mean_auroc["error", "test"],
            f"dev {mean_auroc['error', 'dev']:.3f} to {mean_auroc['error / ink', 'dev']:.3f}, "
            f"test {mean_auroc['error', 'test']:.3f} to {mean_auroc['error / ink', 'test']:.3f}", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# A patch, not a cure: it fixes one known bias of one score by hand. The lasting remedies
# change the score: compare what the images *are* rather than their pixels (the
# classifier's confidence above, or the distance between codes), or learn the score
# itself (Deep SVDD, Ruff et al., 2018).
#
# ### A threshold chosen on the test set
#
# The test set reports how a decision turned out; choose on it and it reports the choice
# instead. How much does that flatter the result? Choose the least-cost lambda on the
# test set itself and read its test cost; then, to see what such a figure is worth, split
# the test set in two halves at random, choose on one half, and report on the same half
# and on the other, 200 times.

# %% slideshow={"slide_type": "subslide"}
lam_on_test = anomaly.choose_threshold(test_ae, y_test, task.test.weights, criterion=table)
cost_on_test = anomaly.counts_at(test_ae, y_test, lam_on_test, task.test.weights).metrics(0, table)["cost per 1,000"]
rng = np.random.default_rng(SEED)
same_half, other_half = [], []
for _ in range(200):
    order = rng.permutation(len(y_test))
    half, rest = order[:len(order) // 2], order[len(order) // 2:]
    if min(y_test[half].sum(), (~y_test[half]).sum(), y_test[rest].sum(), (~y_test[rest]).sum()) == 0:
        continue  # a half without normal items or without anomalies has no share to weigh
    w_half, w_rest = (anomaly.share_weights(y_test[i], ANOMALY_SHARE) for i in (half, rest))
    lam = anomaly.choose_threshold(test_ae[half], y_test[half], w_half, criterion=table)
    same_half.append(anomaly.counts_at(test_ae[half], y_test[half], lam, w_half).metrics(0, table)["cost per 1,000"])
    other_half.append(anomaly.counts_at(test_ae[rest], y_test[rest], lam, w_rest).metrics(0, table)["cost per 1,000"])
plots.Table([{"lambda chosen on": "dev (the lesson's way)", "reported on": "test",
              "cost per 1,000 items": test_cost["cost"]},
             {"lambda chosen on": "test", "reported on": "test (the same items)", "cost per 1,000 items": cost_on_test},
             {"lambda chosen on": "one half of test", "reported on": f"the same half (mean of {len(same_half)})",
              "cost per 1,000 items": float(np.mean(same_half))},
             {"lambda chosen on": "one half of test", "reported on": f"the other half (mean of {len(other_half)})",
              "cost per 1,000 items": float(np.mean(other_half))}], digits=1,
            caption=f"normal = {NORMAL_DIGIT}: the least-cost lambda, and where it was chosen")

# %% slideshow={"slide_type": "fragment"}
optimism = 1 - float(np.mean(same_half)) / float(np.mean(other_half))
check_claim("a cost reported on the items the lambda was chosen on is at least 10% lower than the same "
            "lambda's cost on other items", optimism >= 0.10,
            f"{np.mean(same_half):.1f} vs {np.mean(other_half):.1f} per 1,000 items, {optimism:.0%} lower", smoke=SMOKE)
say("Chosen on the test set, the lambda reports a test cost of {t:.1f} per 1,000 items, against {d:.1f} for the "
    "lambda chosen on dev. The halves say what such a figure is worth: chosen and reported on the same items, "
    "the cost looks {o:.0%} lower on average than on the items the choice did not see, and it is lower in "
    "{share:.0%} of the {n} splits.",
    t=cost_on_test, d=test_cost["cost"], o=optimism, n=len(same_half),
    share=float(np.mean(np.array(other_half) > np.array(same_half))))

# %% [markdown] slideshow={"slide_type": "subslide"}
# A lambda chosen on the test set fits that set's particular items: the few normal digits
# just below it, the anomalies just above. On new items those are different, and the cost
# goes up. The figure it reports is not the detector's cost but the best of many tries on
# one sample. Choose on dev, report on test, and keep the test set for the end.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What this notebook measured
#
# The headline figures go to `build/results/10_anomaly_detection.json`, which the tests read.

# %% slideshow={"slide_type": "subslide"}
figures = {
    "auroc_ae": auroc_ae, "auroc_pca": auroc_pca, "auroc_mean_ae": mean_ae, "auroc_mean_pca": mean_pca,
    "auroc_classifier_confidence": auroc_msp, "auroc_pca_known_digits": auroc_pca_open,
    "open_set_lambda": lam_open, "closed_set_accuracy": closed_accuracy,
    "auroc_clean": auroc_ae[NORMAL_DIGIT], "auroc_polluted": auroc_polluted, "pollution_rate": POLLUTION,
    "auroc_pca_by_pollution": pca_by_rate, "pollution_rates": rates,
    "normal_digit": NORMAL_DIGIT, "anomaly_share": ANOMALY_SHARE,
    "miss_cost": MISS_COST, "false_alarm_cost": FALSE_ALARM_COST,
    "lambda_cost_optimal": comparison.thresholds["cost"],
    "lambda_accuracy_optimal": comparison.thresholds["accuracy"],
    "lambda_f1_optimal": comparison.thresholds["F1"],
    "test_cost_cost_optimal": test_cost["cost"], "test_cost_accuracy_optimal": test_cost["accuracy"],
    "test_cost_f1_optimal": test_cost["F1"],
    "train_seconds_ae": sum(h.seconds for h in ae_histories.values()),
    "ink_rank_correlation_anomalies": rho,
    "auroc_mean_error_over_ink": mean_auroc["error / ink", "test"],
    "dev_auroc_mean_error": mean_auroc["error", "dev"], "dev_auroc_mean_error_over_ink": mean_auroc["error / ink", "dev"],
    "lambda_cost_optimal_on_test": lam_on_test, "test_cost_lambda_on_test": cost_on_test,
    "cost_same_half": float(np.mean(same_half)), "cost_other_half": float(np.mean(other_half)),
}
record_results("10_anomaly_detection", figures, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * With one class known, train on it alone and score how badly a new item fits: an
#   autoencoder's reconstruction error is such a score, and PCA's is a baseline to beat.
# * AUROC measures a score without choosing a threshold; precision and recall depend on
#   how rare anomalies are.
# * Labels for the known classes give another score, a classifier's confidence, and an
#   open-set classifier that can say "unknown".
# * The lecture's detector: a score $c(x)$ and a threshold $\lambda$, normal if
#   $c(x) > \lambda$. With an anomaly score such as the reconstruction error, flip the sign.
# * A threshold is a decision: choose it on a dev set, with the costs of the decision.
#   When anomalies are rare, accuracy prefers a detector that hardly flags anything.
#   Chosen on the test set, it reports a cost that new data will not honour.
# * A reconstruction error counts misplaced ink: thin anomalies slip through, bold normal
#   items raise false alarms. Look at the misses before trusting a score.
# * Anomalies in the training data teach the model to reconstruct them: keep the
#   normal data clean.
#
# **Back to:** lesson 01 for the autoencoder and PCA used here; lesson 08's VAE gives
# another score, the likelihood of an image under a generative model.
#
# ## References
#
# * L. Ruff, R. Vandermeulen, N. Görnitz, L. Deecke, S. A. Siddiqui, A. Binder, E. Müller,
#   M. Kloft. *Deep one-class classification.* ICML 2018 (Deep SVDD; its Table 1 is the
#   published reference above).
# * D. Hendrycks, K. Gimpel. *A baseline for detecting misclassified and
#   out-of-distribution examples in neural networks.* ICLR 2017 (the classifier's maximum
#   softmax probability as the score).
# * T. Fawcett. *An introduction to ROC analysis.* Pattern Recognition Letters 27(8), 2006.
# * Hung-yi Lee (李宏毅). *Machine Learning* lectures "Anomaly Detection" and "Auto-encoder"
#   (National Taiwan University): the detector $c(x) > \lambda$, labelled and unlabelled
#   settings, the development set and the cost table.
