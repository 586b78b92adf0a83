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
# # 02 · The denoising autoencoder
#
# Lesson 01 trained an autoencoder to copy its input through a bottleneck. Here is a
# one-line change with a large effect: **damage the input, keep the clean image as the
# target**.
#
# $$\tilde x = \text{corrupt}(x), \qquad \hat x = d(e(\tilde x)), \qquad
# \text{loss} = \frac{1}{N}\sum_i \lVert x_i - \hat x_i \rVert^2 .$$
#
# Copying is no longer an answer: the input has pixels that are wrong or missing, and
# the only way to put them right is to know what digits look like. So the same encoder
# and decoder are pushed to learn the *structure* of the data, not the pixels in front of
# them. This lesson:
#
# 1. writes three kinds of noise as small functions and measures damage in decibels (PSNR);
# 2. trains a **denoising autoencoder** and, on the same noisy test images, compares it
#    with the noisy input itself, with **PCA** fitted on clean images, and with a
#    **plain autoencoder** trained on clean images only;
# 3. gives you a noise-level slider to watch all of them work live;
# 4. asks whether denoising also makes better **features** for a classifier with 100 labels;
# 5. ends with a bridge to lesson 03: masking pixels is what BERT does to words.
#
# Runs in about a minute on a laptop CPU, seconds on a GPU; trained models are cached
# (lesson 00), so a second run takes seconds.

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
DATASET = "mnist5k"  # a name from course.data.names(); offline: "mnist5k", "digits8x8"
BOTTLENECK = 64  # size of the code z of both autoencoders, and PCA's number of directions
EPOCHS = 20  # epochs for each of the two autoencoders (~1 s each on a 2-core CPU)
BATCH_SIZE = 64  # images per gradient step
LR = 4e-3  # peak learning rate of the one-cycle schedule
TRAIN_NOISE = {"gaussian": 0.7, "masking": 0.7, "salt and pepper": 0.5}  # each noise model: highest training level
LEVELS = [0.1, 0.3, 0.5, 0.7, 0.9]  # noise levels of the PSNR-against-level plot (0.5 is always added)
N_LABELS = 100  # labelled examples the downstream classifier may use
SEED = 0
USE_CACHE = True  # reload models trained earlier with exactly these settings
SMOKE = False  # True: a few seconds of training for CI; claims are shown, not asserted

# %% slideshow={"slide_type": "skip"}
import math

from course.params import (boolean, check_parameters, dataset, deferred, epoch_cost, integer, list_of, number,
                           require_labels, require_pca, seed, training_time)

check_parameters(
    DATASET=(DATASET, dataset()),
    BOTTLENECK=(BOTTLENECK, integer(min=1, max=256)),
    EPOCHS=(EPOCHS, integer(min=1)),
    BATCH_SIZE=(BATCH_SIZE, integer(min=1, max=4096)),
    LR=(LR, number(min=1e-6, max=1.0)),
    TRAIN_NOISE=(TRAIN_NOISE, deferred("course.noise:noise_mix")),
    LEVELS=(LEVELS, list_of(number(min=0.0, max=1.0), max_len=20, unique=True)),
    N_LABELS=(N_LABELS, integer(min=10)),
    SEED=(SEED, seed()),
    USE_CACHE=(USE_CACHE, boolean()),
    SMOKE=(SMOKE, boolean()),
)
from course import data  # noqa: E402  (the registry: limits that depend on the data follow)

full = data.sizes(DATASET)  # known without loading the images
size = data.sizes(DATASET, head=500) if SMOKE else full  # the smoke run trains on 500 images
pixels = math.prod(size.image_shape)
require_pca("BOTTLENECK", BOTTLENECK, BOTTLENECK, DATASET, pixels, size.n_train)
require_labels("N_LABELS", N_LABELS, size.per_class)
scale = full.n_train * math.prod(full.image_shape) / (3500 * 784)  # the costs were measured on mnist5k
budget = training_time(EPOCHS=(EPOCHS, 2 * epoch_cost(1.7, scale, BATCH_SIZE)))  # plain and denoising AE
if SMOKE:  # after the checks, never instead of them
    EPOCHS, LEVELS = 1, [0.5]
    budget = budget.with_counts(EPOCHS=EPOCHS)
print(budget)

# %% slideshow={"slide_type": "skip"}
import torch
from IPython.display import display

from course import denoising, exercises, plots
from course.baselines import PCAAutoencoder, linear_probe
from course.device import get_device, seed_everything
from course.models import ConvAutoencoder
from course.noise import LEVEL_NAMES, NOISES, DenoisingLoss, corrupt, gaussian, masking, psnr, salt_and_pepper
from course.results import check_claim, record_results
from course.show import show_source
from course.train import History, fit, predict, reconstruction_loss

seed_everything(SEED)
device = get_device()
ds = data.load(DATASET)
if SMOKE:
    ds = ds.subset(500)
test_x = ds.test.images
shown = test_x[:8]  # the digits every figure and the widget show
print(f"device: {device}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The data
#
# The same 5,000 real MNIST digits as lesson 01, in the same fixed split; pixels are in
# [0, 1], and most of them are black (0).

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
print(ds)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Three ways to damage an image
#
# A noise model is a small function: clean images in, damaged images out, still in [0, 1].
# Each takes a level and a source of randomness (a `torch.Generator` or a seed), so the
# same seed gives the same damage and every method below is judged on identical images.
#
# * **Gaussian**: add a random number with standard deviation `sigma` to every pixel
#   (sensor noise). Pixels are clipped back into [0, 1].
# * **Masking**: drop a fraction `p` of the pixels, i.e. set them to 0 (a scratched or
#   partly covered image). Remember this one: it is BERT's noise (lesson 03).
# * **Salt and pepper**: a fraction `p` of the pixels turns black or white (dead pixels,
#   transmission errors).

# %% slideshow={"slide_type": "subslide"}
for noise_model in (gaussian, masking, salt_and_pepper):
    display(show_source(noise_model))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same eight test digits, damaged at level 0.5 by each:

# %% slideshow={"slide_type": "fragment"}
plots.image_grid({"clean": shown, **{f"{kind}, {LEVEL_NAMES[kind]}=0.5": corrupt(shown, kind, 0.5, SEED)
                                     for kind in NOISES}})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Measuring damage: PSNR
#
# How far is a picture from the clean one? The **peak signal-to-noise ratio** compares the
# mean squared error with the largest possible pixel value (1 here), on a log scale:
# $\text{PSNR} = 10 \log_{10}(1 / \text{MSE})$ decibels, per image, then averaged over the
# test set. Higher is better. Every +6 dB halves the typical pixel error; 20 dB means an
# error of about 0.1 per pixel, 10 dB about 0.3.

# %% slideshow={"slide_type": "subslide"}
show_source(psnr)

# %% slideshow={"slide_type": "subslide"}
for kind in NOISES:
    value = psnr(test_x, corrupt(test_x, kind, 0.5, SEED)).mean().item()
    print(f"{kind:>16}, {LEVEL_NAMES[kind]} = 0.5: the noisy test images are at {value:5.1f} dB")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Why is Gaussian noise with `sigma` = 0.5 at about 9 dB and not $10\log_{10}(1/0.25)
# \approx 6$ dB? Most pixels are black, and clipping to [0, 1] throws away every negative
# push on a black pixel: half of the noise never arrives.
#
# ## The denoising objective
#
# Here is the whole idea as code. `corrupt` gives every image of a batch one of the noise
# models at a random level between 0 and the highest in `TRAIN_NOISE`, so a single model
# learns to undo all three at every strength. `__call__` is the loss `fit` minimises:
# the model sees the **noisy** batch, its output is compared with the **clean** one.
# The corruption happens on the fly, so every epoch sees new damage on the same digits.

# %% slideshow={"slide_type": "subslide"}
show_source(DenoisingLoss)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Two autoencoders with exactly the same architecture (lesson 01's `ConvAutoencoder`),
# the same initial weights, the same data order and the same number of epochs. The only
# difference is the loss: the plain one copies clean images (`reconstruction_loss`), the
# denoising one restores corrupted ones (`DenoisingLoss`).

# %% slideshow={"slide_type": "subslide"}
def train(loss_fn, desc: str) -> tuple[ConvAutoencoder, History]:
    """A ConvAutoencoder trained with ``loss_fn`` (or loaded from the cache)."""
    seed_everything(SEED)
    model = ConvAutoencoder(ds.image_shape, BOTTLENECK)
    history = fit(model, ds.train.images, val=ds.val.images, epochs=EPOCHS, batch_size=BATCH_SIZE,
                  lr=LR, loss_fn=loss_fn, seed=SEED, cache=USE_CACHE, desc=desc)
    print(f"{desc}: {'loaded from cache' if history.from_cache else f'trained in {history.seconds:.1f} s'}, "
          f"validation loss {history.val_loss[-1]:.4f}")
    return model, history


plain_ae, plain_history = train(reconstruction_loss, "plain AE (clean in, clean out)")
dae, dae_history = train(DenoisingLoss(TRAIN_NOISE, seed=SEED), "denoising AE (noisy in, clean out)")

# %% slideshow={"slide_type": "subslide"}
plots.loss_curves({"plain AE": plain_history, "denoising AE": dae_history},
                  title="Mean squared error against the clean images, per epoch")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The denoising autoencoder's loss stays higher: its task is harder, since part of every
# input is wrong. A loss is only comparable between models that do the same job, so the
# comparison that counts is the next one, on the same noisy test images.
#
# ## Three denoisers on the same noisy images
#
# * **PCA**, fitted on clean training images with as many directions as the autoencoders
#   have code numbers: projecting a noisy image on those directions keeps what digits are
#   made of and removes the noise that points elsewhere. It is linear, so it cannot tell
#   a stroke from a dropped pixel.
# * **The plain autoencoder**, trained on clean images only: it learned to copy what it sees.
# * **The denoising autoencoder**.

# %% slideshow={"slide_type": "subslide"}
pca = PCAAutoencoder(BOTTLENECK, seed=SEED).fit(ds.train.images)
denoisers = {"PCA": pca,
             "plain AE": lambda x: predict(plain_ae, x),
             "denoising AE": lambda x: predict(dae, x)}
for kind in NOISES:
    noisy = corrupt(shown, kind, 0.5, SEED)
    display(plots.image_grid({"clean": shown, "noisy": noisy,
                              **{name: denoise(noisy) for name, denoise in denoisers.items()}},
                             title=f"{kind} noise, {LEVEL_NAMES[kind]} = 0.5", cell_px=48))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now the measurement, on all test images, at every level in `LEVELS`:

# %% slideshow={"slide_type": "fragment"}
levels = sorted({*LEVELS, 0.5})
sweeps = {kind: denoising.psnr_sweep(test_x, denoisers, kind, levels, seed=SEED) for kind in NOISES}
at_half = {kind: {method: values[levels.index(0.5)] for method, values in sweeps[kind].items()}
           for kind in NOISES}
plots.Table([{"noise, level 0.5": f"{kind}, {LEVEL_NAMES[kind]} = 0.5",
              **{f"{method} (dB)": value for method, value in at_half[kind].items()}}
             for kind in NOISES], caption="Mean PSNR on the test images (higher is better)", digits=1)

# %% slideshow={"slide_type": "subslide"}
denoising.psnr_curves(levels, sweeps, trained_up_to=TRAIN_NOISE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# What the table and the curves say:
#
# * **The plain autoencoder helps against Gaussian noise about as much as PCA, and hardly
#   at all against masking.** It never saw a damaged digit: its bottleneck blurs
#   scattered noise away, but a digit full of holes looks to it like a thin, broken
#   digit, and it copies the holes.
# * **PCA helps somewhat.** Projection removes the part of the noise that points away from
#   its directions, keeps the part along them, and, being linear, cannot fill in a
#   dropped pixel from what the rest of the digit says.
# * **From level 0.3 up to the highest training level, the denoising autoencoder leads
#   by 3 to 6 dB** over the next best, on all three noise models.
# * **At level 0.1 there is little to remove**, and all of them come close to what their
#   bottleneck can redraw at best (lesson 01); the plain autoencoder even comes first on
#   light Gaussian noise: copying nearly clean digits is exactly what it was trained for.
# * **Beyond the training levels** (right of the dashed line) every method slides down,
#   the denoising autoencoder fastest on masking: with 90% of the pixels gone there is
#   little left to infer the digit from.
#
# The lesson's claims, checked every time this notebook runs:

# %% slideshow={"slide_type": "subslide"}
for kind in ("gaussian", "masking"):
    where = f"{kind} noise at {LEVEL_NAMES[kind]} = 0.5"
    got = at_half[kind]
    check_claim(f"{where}: the denoising AE beats the PCA denoiser by at least 3 dB",
                got["denoising AE"] - got["PCA"] >= 3,
                f"{got['denoising AE']:.1f} vs {got['PCA']:.1f} dB", smoke=SMOKE)
    check_claim(f"{where}: the denoising AE beats the plain AE on the same noisy inputs",
                got["denoising AE"] > got["plain AE"],
                f"{got['denoising AE']:.1f} vs {got['plain AE']:.1f} dB", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Play with it
#
# Pick a noise model and move the level: the noisy row and every denoiser's output are
# recomputed and redrawn as you drag, with their PSNR over these eight digits. Watch for
# the level where PCA's digits dissolve while the denoising autoencoder still draws a
# clean (if sometimes wrong) digit, and for what the plain autoencoder does to masked
# digits. (In a saved notebook without a kernel a picture of how it starts stands in its place;
# the figures above show level 0.5.)

# %% slideshow={"slide_type": "subslide"}
denoising.noise_explorer(shown, denoisers, level=0.5, seed=SEED)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Does denoising make better features?
#
# As in lesson 01: train a linear classifier on only **100 labelled images** (10 per
# digit), once on the plain encoder's codes and once on the denoising encoder's codes of
# the clean images, and test it on the 1,000 test images (averaged over 5 draws of the
# labels). Raw pixels are there for reference.

# %% slideshow={"slide_type": "subslide"}
features = {"pixels": (ds.train.flat(), test_x.flatten(1))}
for name, model in (("plain AE codes", plain_ae), ("denoising AE codes", dae)):
    features[name] = (predict(model, ds.train.images, method="encode"), predict(model, test_x, method="encode"))
probe = {name: linear_probe(train_f, ds.train.labels, test_f, ds.test.labels, n_labels=N_LABELS, seed=SEED)
         for name, (train_f, test_f) in features.items()}
plots.Table([{"features": name, "numbers per image": features[name][0].flatten(1).shape[1],
              f"test accuracy with {N_LABELS} labels": acc} for name, acc in probe.items()],
            caption="Linear classifier on few labels")

# %% [markdown] slideshow={"slide_type": "subslide"}
# To undo damage the denoising encoder has to recognise a digit from part of it, so its
# codes tend to say more about *which* digit it is and less about the exact pixels. Here
# that shows as a few points of accuracy; with one data set, one seed and 20 epochs,
# read it as a tendency, not a law. (Vincent et al., 2008, stacked such encoders to pre-train
# deep networks before today's methods existed.)
#
# ## From pixels to words: the bridge to lesson 03
#
# Masking noise is the one that travelled furthest. Replace *pixels* by *words* and
# "set to 0" by "replace with a `[MASK]` token", and you have **BERT**'s training
# objective: hide about 15% of the words of a sentence and train a network to put back
# the originals from the words around them. BERT is a denoising autoencoder for text with
# masking noise, and, like ours, it is kept for its encoder: the representation it learns
# on the way is what everything downstream uses. Lesson 03 takes this step.
#
# ## Exercise: write the masking noise
#
# Complete `mask_pixels`: every pixel is set to 0 with probability `p`, independently of
# the others, and the other pixels keep their values. Draw the random numbers from
# `generator` (`torch.rand(..., generator=generator)`), so that the same seed gives the
# same mask. The check tries several `p`, counts the dropped pixels and looks for the
# usual slips.

# %% slideshow={"slide_type": "subslide"}
def mask_pixels(images: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    # YOUR CODE HERE (about 2 lines)
    raise NotImplementedError


exercise = exercises.get("02-masking-noise")
exercise.check(mask_pixels)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What this notebook measured
#
# The headline figures go to `build/results/02_denoising.json`, which the tests read.

# %% slideshow={"slide_type": "subslide"}
short = {"gaussian": "gauss05", "masking": "mask50", "salt and pepper": "sp50"}
methods = {"noisy": denoising.NOISY, "pca": "PCA", "ae": "plain AE", "dae": "denoising AE"}
figures = {f"psnr_{m}_{short[kind]}": at_half[kind][name] for kind in NOISES for m, name in methods.items()}
figures |= {"probe_acc_pixels": probe["pixels"], "probe_acc_ae": probe["plain AE codes"],
            "probe_acc_dae": probe["denoising AE codes"], "n_labels": N_LABELS,
            "bottleneck": BOTTLENECK, "train_noise": TRAIN_NOISE, "levels": levels,
            "psnr_by_level": sweeps,
            "train_seconds_ae": plain_history.seconds, "train_seconds_dae": dae_history.seconds}
record_results("02_denoising", figures, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * A denoising autoencoder is an ordinary autoencoder with a different loss: corrupt the
#   input, keep the clean target. Nothing else changes.
# * It removes noise far better than PCA (a linear projection) and than an autoencoder
#   trained on clean images, which copies the damage it sees.
# * Its encoder has to understand the digit to restore it, which is why denoising is a
#   way to learn representations, not only to clean images.
#
# **Next:** lesson 03 applies masking noise to words: BERT as a denoising autoencoder.
