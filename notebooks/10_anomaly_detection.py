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
# class**, the normal one, and must flag whatever does not belong to it.
#
# Digits make a safe laboratory for this: call one digit *normal* and the other nine
# *anomalies*. This lesson
#
# 1. trains an autoencoder on normal digits only and uses its **reconstruction error** as
#    the anomaly score, next to PCA's; ten one-class tasks, one per digit, measured by
#    **AUROC** with ROC and precision-recall curves;
# 2. uses labels where we have them: a **classifier** of the known digits and its
#    **confidence** as the score, which turns it into an *open-set* classifier that can
#    answer "unknown";
# 3. turns a score into a decision: a **threshold** lambda chosen on a dev set, never on the
#    test set, and shows why accuracy is the wrong guide when anomalies are rare;
# 4. chooses lambda with a **cost table** (what a miss costs, what a false alarm costs), with a
#    widget to play with the costs;
# 5. mixes a few anomalies into the training data and measures what that does.
#
# It builds on lesson 01 (the convolutional autoencoder, PCA) and trains a dozen small
# models: a minute or two on a laptop CPU, seconds on a GPU, and seconds again once cached.

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
                       CLASSIFIER_EPOCHS=(CLASSIFIER_EPOCHS, len(KNOWN_DIGITS) / 10 * epoch_cost(0.8, 10 * scale)))
if SMOKE:  # after the checks, never instead of them
    EPOCHS, CLASSIFIER_EPOCHS = 1, 1
    budget = budget.with_counts(EPOCHS=EPOCHS, CLASSIFIER_EPOCHS=CLASSIFIER_EPOCHS)
print(budget)

# %% slideshow={"slide_type": "skip"}
import numpy as np
import torch

from course import anomaly, exercises, plots
from course.anomaly import CostTable, auroc, one_class_task
from course.baselines import PCAAutoencoder
from course.classifier import DigitClassifier
from course.device import get_device, seed_everything
from course.models import ConvAutoencoder
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
# ## One class known, the rest unknown
#
# A **one-class task** keeps the training split's normal digits only: the detector never
# sees an anomaly while it learns. The dev split (for choosing a threshold) and the test
# split (for the verdict) keep every digit, so nine in ten of their images are anomalies.
# That is not what a detector meets: in the factory, anomalies are rare. So each anomaly
# is **weighted** such that anomalies make up `ANOMALY_SHARE` of the total weight, 5%
# by default: with 50 normal digits and 450 anomalies in the dev split, each anomaly
# counts as 0.006 of an item. Counts are reported per 1,000 items ("9 missed" reads "9
# missed out of every 1,000 items"), and every anomaly of the split still takes part,
# rather than the two or three that a real 5% sample of the split would keep.

# %% slideshow={"slide_type": "subslide"}
show_source(anomaly.one_class_task)

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
tasks = {d: one_class_task(ds, d, anomaly_share=ANOMALY_SHARE, seed=SEED) for d in digits}
print(tasks[NORMAL_DIGIT])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Without labels: the reconstruction error as the score
#
# An autoencoder trained on normal digits only learns to copy *those*. Shown something
# else, it can only draw what it knows: a 7 comes back as a blurred 3, with a large
# error. So the **anomaly score** is the reconstruction error, higher meaning more
# anomalous. PCA fitted on the same images gives the classic baseline (lesson 01: the
# best *linear* code of the same size).

# %% slideshow={"slide_type": "subslide"}
show_source(anomaly.reconstruction_scores)

# %% [markdown] slideshow={"slide_type": "subslide"}
# One convolutional autoencoder per digit (lesson 01's `ConvAutoencoder`, a code of
# `BOTTLENECK` numbers), each trained on the 350 training images of its digit only.
# One change from lesson 01: a little **weight decay** (`WEIGHT_DECAY`), which pulls
# every weight towards zero. Here we do not want the best possible copier, but one that
# copies its own digit well and everything else badly; a plainer model generalises less
# to what it never saw. Its value was chosen like any other decision in this lesson, on
# the dev sets (the best mean dev AUROC among 0, 0.0001, 0.001 and 0.003); without it the
# mean test AUROC below drops by about 0.008.

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
# digits and of anomalies at each reconstruction error. The two groups overlap but sit
# apart: most anomalies reconstruct worse than most 3s. The axis is logarithmic, since
# errors span two orders of magnitude.

# %% slideshow={"slide_type": "subslide"}
task = tasks[NORMAL_DIGIT]
test_ae, dev_ae = scores["AE"][NORMAL_DIGIT, "test"], scores["AE"][NORMAL_DIGIT, "dev"]
test_pca, dev_pca = scores["PCA"][NORMAL_DIGIT, "test"], scores["PCA"][NORMAL_DIGIT, "dev"]
anomaly.score_histogram(test_ae, task.test.is_anomaly, x_title="reconstruction error (MSE)",
                        title=f"Autoencoder trained on {NORMAL_DIGIT}s: test reconstruction errors")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The examples at the edges tell you what the detector has learnt. Top: the test images it
# reconstructs worst (the most anomalous). Then the normal digits it reconstructs worst:
# odd 3s, the ones that would raise **false alarms**. Then the anomalies it reconstructs
# best: digits that look enough like a 3 to slip through, the **misses**. Below each
# row, what the autoencoder made of it.

# %% slideshow={"slide_type": "subslide"}
def show_extremes(n: int = 8) -> object:
    """Test images at the edges of the score, each row followed by its reconstruction."""
    x, s, y = task.test.images, test_ae, task.test.is_anomaly
    picks = {"worst overall": np.argsort(-s)[:n],
             "odd normal": np.flatnonzero(~y)[np.argsort(-s[~y])[:n]],
             "hidden anomalies": np.flatnonzero(y)[np.argsort(s[y])[:n]]}
    rows = {}
    for name, idx in picks.items():
        rows[name] = x[torch.from_numpy(idx)]
        rows[f"AE: {name}"] = predict(ae_models[NORMAL_DIGIT], rows[name])
    return plots.image_grid(rows)


show_extremes()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Ten one-class tasks: AUROC
#
# A score does not decide yet; a threshold lambda does: flag every item scoring above it.
# Sweeping lambda from high to low traces the **ROC curve**: the share of anomalies caught
# (recall) against the share of normal items flagged (false alarm rate). Its area,
# **AUROC**, is the chance that a random anomaly scores above a random normal item: 1 is
# perfect, 0.5 is a coin. It does not depend on the anomaly share or on any threshold,
# which is why papers report it. The **precision-recall** curve does depend on the share:
# at 5% anomalies, even a small false alarm rate swamps the flags with normal items.

# %% slideshow={"slide_type": "subslide"}
show_source(anomaly.sweep)

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
# Some digits are easy: a 1 is a single stroke, and nothing else reconstructs well with
# a model of ones. Others are hard: an autoencoder of 8s draws loops and crossings, and a 3
# or a 5 is mostly made of those. PCA is a strong baseline here: with one digit at a time,
# a 16-dimensional linear subspace already fits the normal class well.
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## With labels: a classifier's confidence
#
# Often we do have labels, for the classes we know. A digit classifier trained on
# `KNOWN_DIGITS` (0 to 5 by default) must put every image into one of them, even a 7. But on
# something it has never seen it is usually less sure, so its **confidence**, the largest
# softmax probability, is a score too: 1 minus it is high for the unknown. A classifier
# with that threshold is an **open-set** classifier: it answers a digit, or "unknown".

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
# flagged nor misclassified; an unknown digit when it is flagged.

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
plots.Table(open_rows, caption=f"Open-set answers at lambda = {lam_open:.3g} (1 - confidence), chosen on dev")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The labels help: the classifier has learnt what tells the known digits *apart*, and
# its confidence separates known from unknown better than PCA's reconstruction error on
# the same task (AUROC in the legend). The price is the labels, and a blind spot: an
# unknown digit that looks confidently like a known one (a 7 written like a 1) passes.
#
# ## Choosing lambda: not on the test set, and not for accuracy
#
# Back to one normal digit. A threshold is a decision, so it is chosen on the **dev set**;
# the test set only reports how the decision turned out. Choosing on the test set would
# make the reported figures optimistic: they would measure the choice, not the detector.
#
# Which lambda? With 5% anomalies, the detector that **flags nothing** is right 95% of the
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# The accuracy-optimal lambda sits high: above every normal digit of the dev set. It
# flags only the blatant anomalies and lets most of them through, and its accuracy is
# hardly better than the 95% of flagging nothing: accuracy can barely tell a detector
# that catches a good part of the anomalies from one that catches none. The F1-optimal
# lambda catches many more, for a few false alarms. (On the test set the F1
# choice may even have the higher accuracy: the dev set holds only 50 normal digits, so
# a lambda chosen on it is itself a noisy estimate.)
#
# Which trade is right is not a statistical question: it depends on what a miss and a
# false alarm **cost**.
#
# ## Cost tables
#
# Write down what each mistake costs: letting an anomaly through costs `MISS_COST`
# (a faulty part shipped: 20), flagging a normal item costs `FALSE_ALARM_COST` (someone
# looks at it: 1). The cost of a lambda is the sum over its mistakes, here per 1,000
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
# Right: what the least-cost lambda does to 1,000 test items. When a miss costs 20 false
# alarms, it pays to look at many items to catch one more anomaly, so the least-cost
# lambda sits far below the accuracy-optimal one. Accuracy is the special case in which
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
plots.Table([{"training data": "clean", "autoencoder AUROC": auroc_ae[NORMAL_DIGIT],
              "PCA AUROC": pca_by_rate[0]},
             {"training data": f"{POLLUTION:.0%} anomalies", "autoencoder AUROC": auroc_polluted,
              "PCA AUROC": auroc(anomaly.reconstruction_scores(
                  PCAAutoencoder(BOTTLENECK, seed=SEED).fit(polluted.train.images), task.test.images),
                  task.test.is_anomaly)}],
            caption=f"normal = {NORMAL_DIGIT}: test AUROC after clean and polluted training")

# %% slideshow={"slide_type": "subslide"}
fig = plots.line_chart([100 * r for r in rates], {"PCA": pca_by_rate},
                       x_title="anomalies in the training set (%)", y_title="test AUROC",
                       title=f"normal = {NORMAL_DIGIT}: AUROC against pollution")
fig.add_scatter(x=[0, 100 * POLLUTION], y=[auroc_ae[NORMAL_DIGIT], auroc_polluted], name="autoencoder",
                mode="lines+markers", line=dict(color=plots.PALETTE[1]))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Pollution costs AUROC, and more pollution costs more: the model spends part of its
# small code on the anomalies it was shown, and reconstructs their kind better. Compare
# the two models at the same 5% in the table: here the autoencoder loses more. A flexible
# model can learn the few intruders on the side, while PCA's one flat subspace is only
# tilted a little by them. The remedies are data work (clean the training set, e.g. drop
# the training images that the first model reconstructs worst, and retrain) or
# objectives built to ignore a few outliers.
#
# ## Exercise: lambda for a cost table
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
# * A threshold is a decision: choose it on a dev set, with the costs of the decision.
#   When anomalies are rare, accuracy prefers a detector that hardly flags anything.
# * Anomalies in the training data teach the model to reconstruct them: keep the
#   normal data clean.
#
# **Back to:** lesson 01 for the autoencoder and PCA used here; lesson 08's VAE gives
# another score, the likelihood of an image under a generative model.
