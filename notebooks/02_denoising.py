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
# them.
#
# **You will be able to**
#
# * damage images with three kinds of noise (Gaussian, masking, salt and pepper) and
#   measure the damage in decibels (PSNR);
# * train a **denoising autoencoder**, and compare it fairly, on the same noisy test
#   images, with the noisy input itself, with **PCA** and with a **plain autoencoder**
#   trained on clean images;
# * say where denoising works, where it fails (noise too strong to undo), and whether it
#   makes better **features** for a classifier with 100 labels;
# * see masking pixels as the step to BERT, which masks words (lesson 03).
#
# **Prerequisites:** lesson 01 (the convolutional autoencoder, PCA, the training loop and
# the linear probe).
#
# **Time:** about a minute of computing at the defaults on a laptop CPU,
# seconds on a GPU, and seconds again once the models are cached (lesson 00); reading and
# playing: 40 minutes.
#
# **Key terms 关键词** ([glossary 术语表](glossary.md)): denoising autoencoder 去噪自编码器 · noise 噪声 · Gaussian noise 高斯噪声 · masking 掩码 · salt-and-pepper noise 椒盐噪声 · PSNR (peak signal-to-noise ratio) 峰值信噪比 · representation 表示

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
DATASET = "mnist5k"  # a name from course.data.names(); offline: "mnist5k", "digits8x8"
BOTTLENECK = 64  # size of the code z of both autoencoders, and PCA's number of directions
EPOCHS = 10  # epochs for each of the two autoencoders (~1.7 s each on one CPU core)
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

from sklearn.neighbors import KNeighborsClassifier

from course import denoising, exercises, plots
from course.baselines import PCAAutoencoder, linear_probe
from course.device import get_device, seed_everything
from course.diagrams import flow
from course.models import ConvAutoencoder
from course.noise import LEVEL_NAMES, NOISES, DenoisingLoss, corrupt, gaussian, psnr, salt_and_pepper
from course.prose import say
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
#   partly covered image). Remember this one: it is BERT's noise (lesson 03). Its code is
#   yours to write in the exercises.
# * **Salt and pepper**: a fraction `p` of the pixels turns black or white (dead pixels,
#   transmission errors).

# %% slideshow={"slide_type": "subslide"}
for noise_model in (gaussian, salt_and_pepper):
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
noisy_db = {}
for kind in NOISES:
    noisy_db[kind] = psnr(test_x, corrupt(test_x, kind, 0.5, SEED)).mean().item()
    print(f"{kind:>16}, {LEVEL_NAMES[kind]} = 0.5: the noisy test images are at {noisy_db[kind]:5.1f} dB")

# %% slideshow={"slide_type": "subslide"}
black_share = (test_x == 0).float().mean().item()
say("Why is Gaussian noise with `sigma` = 0.5 at {gauss:.1f} dB and not $10\\log_{{10}}(1/0.25) "
    "\\approx 6.0$ dB? {black:.0%} of the pixels are black, and clipping to [0, 1] throws away every "
    "negative push on a black pixel (and every positive one on a white pixel): half of the noise "
    "never arrives. That leaves an error of at most half of $0.5^2$, 0.125, or $10\\log_{{10}}(1/0.125) "
    "\\approx 9.0$ dB, and a little better, since clipping trims the noise on grey pixels too.",
    gauss=noisy_db["gaussian"], black=black_share);

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The denoising objective
#
# The model sees the damaged image; the loss compares its output with the clean one:

# %% slideshow={"slide_type": "subslide"}
flow("clean x", "add noise", "noisy x̃", "encoder", "code z", "decoder", "output x̂", kinds="dodecgd",
     below={"output x̂": ("loss ‖x − x̂‖² against the CLEAN x", "l", "clean x")},
     caption="A denoising autoencoder: noisy in, compared with the clean image out")

# %% [markdown] slideshow={"slide_type": "subslide"}
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

# %% slideshow={"slide_type": "fragment"}
clean_db = {name: psnr(test_x, denoise(test_x)).mean().item() for name, denoise in denoisers.items()}
gain = {kind: {m: at_half[kind][m] - at_half[kind][denoising.NOISY] for m in denoisers} for kind in NOISES}
say("* **The plain autoencoder helps against Gaussian noise about as much as PCA** ({plain_g:+.1f} dB over "
    "the noisy input at `sigma` = 0.5, PCA {pca_g:+.1f} dB), **and hardly at all against masking** "
    "({plain_m:+.1f} dB at `p` = 0.5). It never saw a damaged digit: its bottleneck blurs scattered noise "
    "away, but a digit full of holes looks to it like a thin, broken digit, and it copies the holes.\n"
    "* **PCA helps somewhat** ({pca_gains} at level 0.5). Projection removes the part of the noise that "
    "points away from its directions, keeps the part along them, and, being linear, cannot fill in a "
    "dropped pixel from what the rest of the digit says.",
    plain_g=gain["gaussian"]["plain AE"], pca_g=gain["gaussian"]["PCA"], plain_m=gain["masking"]["plain AE"],
    pca_gains=", ".join(f"{g['PCA']:+.1f} dB on {kind}" for kind, g in gain.items()));


def lead(kind: str, i: int) -> float:
    """The denoising AE's PSNR minus the best of the others (noisy input included) at level i."""
    return sweeps[kind]["denoising AE"][i] - max(v[i] for m, v in sweeps[kind].items() if m != "denoising AE")


trained = {kind: [i for i, level in enumerate(levels) if 0.3 <= level <= TRAIN_NOISE.get(kind, 0)] for kind in NOISES}
leads = {kind: [lead(kind, i) for i in where] for kind, where in trained.items() if where}
if leads:
    say("* **From level 0.3 up to the highest training level, the denoising autoencoder leads by "
        "{low:.1f} to {high:.1f} dB** over the next best ({each}).",
        low=min(min(v) for v in leads.values()), high=max(max(v) for v in leads.values()),
        each="; ".join(f"{kind}: {min(v):.1f} to {max(v):.1f} dB" for kind, v in leads.items()));
if levels[0] <= 0.2:
    first = {kind: max(sweeps[kind], key=lambda m: sweeps[kind][m][0]) for kind in NOISES}
    lowered = [kind for kind in NOISES if sweeps[kind]["PCA"][0] < sweeps[kind][denoising.NOISY][0]]
    say("* **At level {low:g} there is little to remove.** The noisy inputs are at {noisy}. PCA's "
        "{k} directions cannot redraw even a clean digit better than {pca_clean:.1f} dB{lowered}. "
        "First at this level: {first}.{plain}",
        low=levels[0], k=BOTTLENECK, pca_clean=clean_db["PCA"],
        noisy=", ".join(f"{sweeps[kind][denoising.NOISY][0]:.1f} dB ({kind})" for kind in NOISES),
        lowered=(", so on " + " and ".join(lowered) + " noise it makes the images worse than they came"
                 if lowered else ""),
        first=", ".join(f"the {m} on {kind}" for kind, m in first.items()),
        plain=(" On light Gaussian noise the plain autoencoder wins: copying nearly clean digits is "
               "exactly what it was trained for." if first["gaussian"] == "plain AE" else ""));
top = TRAIN_NOISE.get("masking")
inside, beyond = [lv for lv in levels if top and lv <= top], [lv for lv in levels if top and lv > top]
if inside and beyond:
    i0, i1 = levels.index(inside[-1]), levels.index(beyond[-1])
    drop = {m: sweeps["masking"][m][i0] - sweeps["masking"][m][i1] for m in denoisers}
    say("* **Beyond the training levels** (right of the dashed line) {every} slides down. On masking, "
        "from `p` = {p0:g} to {p1:g}, the denoising autoencoder loses {dae:.1f} dB, PCA {pca:.1f} and the "
        "plain autoencoder {plain:.1f}: with {p1:.0%} of the pixels gone there is little left to infer the "
        "digit from. The section *What goes wrong* looks closer.",
        every="every method" if min(drop.values()) > 0 else "the denoising autoencoder",
        p0=levels[i0], p1=levels[i1], dae=drop["denoising AE"], pca=drop["PCA"], plain=drop["plain AE"]);

# %% [markdown] slideshow={"slide_type": "subslide"}
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

# %% slideshow={"slide_type": "subslide"}
say("To undo damage the denoising encoder has to recognise a digit from part of it, so its codes tend "
    "to say more about *which* digit it is and less about the exact pixels. Here that shows as "
    "{diff:+.1f} points of accuracy over the plain encoder's codes ({dae:.1%} against {ae:.1%}); with one "
    "data set, one seed and {epochs}, read it as a tendency, not a law. (Vincent et al., 2008, "
    "stacked such encoders to pre-train deep networks before today's methods existed.)",
    diff=100 * (probe["denoising AE codes"] - probe["plain AE codes"]), dae=probe["denoising AE codes"],
    ae=probe["plain AE codes"], epochs=f"{EPOCHS} epoch{'s' * (EPOCHS != 1)}");

# %% [markdown] slideshow={"slide_type": "slide"}
# ## From pixels to words: the bridge to lesson 03
#
# Masking noise is the one that travelled furthest. Replace *pixels* by *words* and
# "set to 0" by "replace with a `[MASK]` token", and you have **BERT**'s training
# objective: hide about 15% of the words of a sentence and train a network to put back
# the originals from the words around them. BERT is a denoising autoencoder for text with
# masking noise, and, like ours, it is kept for its encoder: the representation it learns
# on the way is what everything downstream uses. Lesson 03 takes this step.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What goes wrong: noise too strong to undo
#
# A denoiser can only put back what the rest of the image still says. Push masking past
# the levels it was trained on, towards every pixel gone, and measure two things: the
# PSNR of the denoising autoencoder's output, next to the best picture that ignores its
# input altogether (the mean training digit), and whether what it draws is still the
# right digit, by the nearest-neighbour judge of lesson 01 (the digit of the 5 nearest
# training images).

# %% slideshow={"slide_type": "subslide"}
strong = [0.7, 0.8, 0.9, 0.95, 0.98]  # masking levels: the first the highest trained on, the others never
judge = KNeighborsClassifier(5).fit(ds.train.flat().numpy(), ds.train.labels.numpy())
mean_digit = ds.train.images.mean(0, keepdim=True).expand_as(test_x)
mean_db = psnr(test_x, mean_digit).mean().item()
too_strong, restored = [], {}
for p in strong:
    noisy = corrupt(test_x, "masking", p, SEED)
    restored[p] = predict(dae, noisy)
    too_strong.append({"masking p": p, "pixels kept": f"{1 - p:.0%}",
                       "noisy input (dB)": psnr(test_x, noisy).mean().item(),
                       "denoising AE (dB)": psnr(test_x, restored[p]).mean().item(),
                       "mean digit (dB)": mean_db,
                       "right digit drawn": float((judge.predict(restored[p].flatten(1).numpy())
                                                   == ds.test.labels.numpy()).mean())})
plots.Table(too_strong, caption="Masking past the training levels: what the denoising AE can still restore", digits=2)

# %% slideshow={"slide_type": "subslide"}
rows = {"clean": shown}
for p in (0.8, 0.95):
    rows |= {f"p = {p:g}, noisy": corrupt(shown, "masking", p, SEED), f"p = {p:g}, denoising AE": restored[p][:len(shown)]}
plots.image_grid(rows, title="Masking beyond the training levels, and what the denoising autoencoder draws")

# %% slideshow={"slide_type": "subslide"}
right_clean = float((judge.predict(test_x.flatten(1).numpy()) == ds.test.labels.numpy()).mean())
at = {row["masking p"]: row for row in too_strong}
last = too_strong[-1]
say("At `p` = 0.7, the highest level it trained on, the denoising autoencoder draws the right digit "
    "{right_07:.0%} of the time (the judge reads {right_clean:.0%} of the clean digits right). At `p` = 0.8 "
    "it still draws clean digits, now and then the wrong one ({right_08:.0%} right). Beyond that too little "
    "is left: at `p` = 0.95 its digits fade into faint fragments ({right_095:.0%} right), and at `p` = "
    "{p_last:g}, with {left} of the pixels kept, its output is at {dae_last:.1f} dB, {side} the mean digit "
    "that ignores the input altogether ({mean:.1f} dB), and the right digit only {right_last:.0%} of the "
    "time (guessing: {chance:.0%}). No denoiser can put back what the image no longer holds.",
    right_07=at[0.7]["right digit drawn"], right_clean=right_clean, right_08=at[0.8]["right digit drawn"],
    right_095=at[0.95]["right digit drawn"], p_last=last["masking p"], left=last["pixels kept"],
    dae_last=last["denoising AE (dB)"], side="below" if last["denoising AE (dB)"] < mean_db else "above",
    mean=mean_db, right_last=last["right digit drawn"], chance=1 / len(ds.classes));

# %% slideshow={"slide_type": "fragment"}
check_claim(f"at masking p = {last['masking p']:g} the denoising AE draws the right digit at most half as often "
            "as at p = 0.7, the highest level it trained on",
            last["right digit drawn"] <= at[0.7]["right digit drawn"] / 2,
            f"{last['right digit drawn']:.0%} vs {at[0.7]['right digit drawn']:.0%}", smoke=SMOKE)
check_claim(f"at masking p = {last['masking p']:g} the denoising AE scores no better than the mean digit, "
            "which ignores its input",
            last["denoising AE (dB)"] <= mean_db, f"{last['denoising AE (dB)']:.1f} vs {mean_db:.1f} dB", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Predict before you run
#
# The denoising autoencoder learned to fill in scattered missing pixels, and at masking
# level 0.5 it gained several dB over the noisy input. Now a 12x12 square in the middle
# of each test digit is set to 0 instead: one large hole, a kind of damage none of the
# models has seen. How much better than the damaged input itself does the best of the
# three denoisers score, in PSNR? (Worse counts as "under 1 dB".) Answer before running
# the cell after the next.

# %% slideshow={"slide_type": "subslide"}
guess = ...  # one of "under 1 dB", "1 to 3 dB", "3 to 6 dB", "over 6 dB"
exercises.get("02-a-square-hole").check(guess)

# %% slideshow={"slide_type": "subslide"}
h, w = ds.image_shape[1:]
holed = test_x.clone()
holed[:, :, h // 2 - h * 3 // 14:h // 2 + h * 3 // 14, w // 2 - w * 3 // 14:w // 2 + w * 3 // 14] = 0  # 12x12 of 28x28
hole_db = {"damaged input": psnr(test_x, holed).mean().item(),
           **{name: psnr(test_x, denoise(holed)).mean().item() for name, denoise in denoisers.items()}}
best_hole = max(denoisers, key=hole_db.get)
display(plots.Table([{"method": m, "PSNR (dB)": v} for m, v in hole_db.items()],
                    caption="A square hole in every test digit", digits=1))
print(f"best: the {best_hole}, {hole_db[best_hole] - hole_db['damaged input']:+.2f} dB over the damaged input")
plots.image_grid({"holed": holed[:len(shown)], **{name: denoise(holed[:len(shown)]) for name, denoise in denoisers.items()}},
                 title="A square hole, never seen in training", cell_px=48)
# exercises.get("02-a-square-hole").solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Write the masking noise
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### In your own words
#
# Lesson 01's autoencoder with a code wider than the image learned to copy whatever it was given.
# A denoising autoencoder with the same wide code does not. Why not?

# %% slideshow={"slide_type": "subslide"}
answer = ...  # a sentence or two, as a string
exercises.get("02-why-no-copying").check(answer)
# exercises.get("02-why-no-copying").solution()

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
            "train_seconds_ae": plain_history.seconds, "train_seconds_dae": dae_history.seconds,
            "psnr_clean_input": clean_db, "masking_strong": too_strong, "psnr_mean_digit": mean_db,
            "judged_right_clean": right_clean, "psnr_square_hole": hole_db}
record_results("02_denoising", figures, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * A denoising autoencoder is an ordinary autoencoder with a different loss: corrupt the
#   input, keep the clean target. Nothing else changes, and copying stops being an answer.
# * Within the noise it was trained on it removes noise clearly better than PCA (a linear
#   projection) and than an autoencoder trained on clean images, which copies the damage it sees.
# * It cannot put back what the image no longer holds: past that point it still draws a
#   clean digit, but a guessed one. A clean-looking output is not proof of a correct one.
# * Its encoder has to recognise the digit to restore it, which is why denoising is a
#   way to learn representations, not only to clean images.
#
# **Next:** lesson 03 applies masking noise to words: BERT as a denoising autoencoder.
#
# ## References
#
# * P. Vincent, H. Larochelle, Y. Bengio, P.-A. Manzagol. *Extracting and composing robust
#   features with denoising autoencoders.* ICML 2008: the denoising autoencoder, masking noise.
# * P. Vincent, H. Larochelle, I. Lajoie, Y. Bengio, P.-A. Manzagol. *Stacked denoising
#   autoencoders: learning useful representations in a deep network with a local denoising
#   criterion.* JMLR 11, 2010: Gaussian and salt-and-pepper noise, stacking, features.
# * G. E. Hinton, R. R. Salakhutdinov. *Reducing the dimensionality of data with neural
#   networks.* Science 313(5786), 2006: the autoencoder of lesson 01.
# * J. Devlin, M.-W. Chang, K. Lee, K. Toutanova. *BERT: pre-training of deep bidirectional
#   transformers for language understanding.* NAACL 2019: masking words (lesson 03).
# * Hung-yi Lee (李宏毅). *Machine Learning* lecture "Auto-encoder" (National Taiwan
#   University): the de-noising auto-encoder, and BERT as one.
