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
# # 01 · Autoencoder basics
#
# An **autoencoder** learns to copy its input to its output through a narrow middle:
#
# $$x \;\xrightarrow{\text{encoder } e}\; z = e(x) \;\xrightarrow{\text{decoder } d}\; \hat x = d(z), \qquad
# \text{loss} = \frac{1}{N}\sum_i \lVert x_i - \hat x_i \rVert^2 .$$
#
# Copying would be trivial, but $z$ (the **bottleneck**) has far fewer numbers than $x$:
# a 28x28 digit has 784 pixels, $z$ here has 2, 8 or 32. To copy well through so few
# numbers the network must find what digits have in common.
#
# **You will be able to**
#
# * build an autoencoder from an encoder, a bottleneck and a decoder, and write the loop
#   that trains it;
# * measure reconstruction error against the size of the code for **PCA**, a **linear**
#   autoencoder and a **convolutional** one, and say why the linear one finds PCA's answer;
# * read a 2-D latent space and what the decoder draws from it;
# * use a trained encoder as a **feature extractor** for a classifier that sees only 100 labels;
# * tell an autoencoder that learned what digits look like from one that learned to copy.
#
# **Prerequisites:** lesson 00; PyTorch basics (tensors, `nn.Module`, what a gradient step
# does). PCA helps but is explained here.
#
# **Time:** about two minutes of computing at the defaults on a laptop CPU, seconds on a
# GPU, and seconds again once the models are cached (lesson 00); reading and playing: 45 minutes.
#
# **Key terms 关键词** ([glossary 术语表](glossary.md)): autoencoder 自编码器 · encoder 编码器 · decoder 解码器 · bottleneck 瓶颈 · code 编码 · latent space 隐空间 · reconstruction error 重建误差 · dimension reduction 降维 · principal component analysis (PCA) 主成分分析 · self-supervised learning 自监督学习 · linear probe 线性探针 · over-complete autoencoder 过完备自编码器

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
DATASET = "mnist5k"  # a name from course.data.names(); offline: "mnist5k", "digits8x8"
BOTTLENECKS = [2, 8, 32]  # sizes of the code z to compare
EPOCHS = 20  # epochs for each convolutional autoencoder (~1.7 s each on one CPU core)
BATCH_SIZE = 64  # images per gradient step
LR = 4e-3  # peak learning rate of the one-cycle schedule
LINEAR_EPOCHS = 100  # epochs for each linear autoencoder (~0.04 s each on one CPU core: no hidden layers)
WIDE_EPOCHS = 3  # epochs of the over-complete autoencoder of "What goes wrong" (~0.6 s each on one CPU core)
N_LABELS = 100  # labelled examples the downstream classifier may use
SEED = 0
USE_CACHE = True  # reload models trained earlier with exactly these settings
SMOKE = False  # True: a few seconds of training for CI; claims are shown, not asserted

# %% slideshow={"slide_type": "skip"}
import math

from course.params import (boolean, check_parameters, dataset, epoch_cost, integer, list_of, number,
                           require_labels, require_pca, seed, training_time)

check_parameters(
    DATASET=(DATASET, dataset()),
    BOTTLENECKS=(BOTTLENECKS, list_of(integer(min=1, max=256), max_len=8, unique=True)),
    EPOCHS=(EPOCHS, integer(min=1)),
    BATCH_SIZE=(BATCH_SIZE, integer(min=1, max=4096)),
    LR=(LR, number(min=1e-6, max=1.0)),
    LINEAR_EPOCHS=(LINEAR_EPOCHS, integer(min=1)),
    WIDE_EPOCHS=(WIDE_EPOCHS, integer(min=1)),
    N_LABELS=(N_LABELS, integer(min=10)),
    SEED=(SEED, seed()),
    USE_CACHE=(USE_CACHE, boolean()),
    SMOKE=(SMOKE, boolean()),
)
from course import data  # noqa: E402  (the registry: limits that depend on the data follow)

full = data.sizes(DATASET)  # known without loading the images
size = data.sizes(DATASET, head=500) if SMOKE else full  # the smoke run trains on 500 images
pixels = math.prod(size.image_shape)
require_pca("BOTTLENECKS", BOTTLENECKS, max(BOTTLENECKS), DATASET, pixels, size.n_train)
require_labels("N_LABELS", N_LABELS, size.per_class)
scale = full.n_train * math.prod(full.image_shape) / (3500 * 784)  # the costs were measured on mnist5k
budget = training_time(EPOCHS=(EPOCHS, len(BOTTLENECKS) * epoch_cost(1.7, scale, BATCH_SIZE)),
                       LINEAR_EPOCHS=(LINEAR_EPOCHS, len(BOTTLENECKS) * epoch_cost(0.05, scale)),
                       WIDE_EPOCHS=(WIDE_EPOCHS, epoch_cost(0.6, scale)))
if SMOKE:  # after the checks, never instead of them
    EPOCHS, LINEAR_EPOCHS, WIDE_EPOCHS = 1, 1, 1
    budget = budget.with_counts(EPOCHS=EPOCHS, LINEAR_EPOCHS=LINEAR_EPOCHS, WIDE_EPOCHS=WIDE_EPOCHS)
print(budget)

# %% slideshow={"slide_type": "skip"}
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

from course import exercises, plots, sprites, widgets
from course.baselines import PCAAutoencoder, linear_probe, mse_per_image, pca_error_curve
from course.device import get_device, seed_everything
from course.diagrams import flow
from course.models import Autoencoder, ConvAutoencoder, LinearAutoencoder, count_parameters
from course.prose import say
from course.results import check_claim, record_results
from course.show import show_source
from course.train import History, fit, predict, reconstruction_loss

seed_everything(SEED)
device = get_device()
ds = data.load(DATASET)
if SMOKE:
    ds = ds.subset(500)
print(f"device: {device}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The data
#
# The offline default is 5,000 real MNIST digits (lesson 00 lists the others), split once
# and for all into training, validation and test images. Pixels are in [0, 1].

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
print(ds)

# %% slideshow={"slide_type": "subslide"}
plots.image_grid({"training images": ds.train.images[:12]})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Encoder, bottleneck, decoder
#
# Every autoencoder in this course has the same shape: an `encoder` network maps an image
# to its code `z`, a `decoder` network maps a code back to an image, and the loss compares
# the output with the input itself.

# %% slideshow={"slide_type": "subslide"}
flow("input x", "encoder", "code z", "decoder", "output x̂", kinds="decgd",
     below={"output x̂": ("reconstruction loss ‖x − x̂‖²", "l", "input x")},
     caption="An autoencoder: the code z, far smaller than x, is all the decoder sees")

# %% [markdown] slideshow={"slide_type": "subslide"}
# In code, `forward` does both halves. This is the whole base class:

# %% slideshow={"slide_type": "subslide"}
show_source(Autoencoder)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The convolutional autoencoder builds the two networks. Its encoder looks at
# 3x3 neighbourhoods and halves the image twice (28 → 14 → 7) before a linear layer squeezes
# everything into `bottleneck` numbers; the decoder mirrors it with transposed convolutions
# that double the size, and a sigmoid keeps pixels in [0, 1].

# %% slideshow={"slide_type": "subslide"}
show_source(ConvAutoencoder)

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
image_shape = ds.image_shape
for k in BOTTLENECKS:
    conv, linear = ConvAutoencoder(image_shape, k), LinearAutoencoder(image_shape, k)
    print(f"bottleneck {k:>3}: convolutional {count_parameters(conv):>7,} parameters, "
          f"linear {count_parameters(linear):>6,}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The reconstruction loss and the training loop
#
# The loss is the mean squared difference between input and reconstruction. No labels
# are involved: the image is its own target. That is what makes an autoencoder
# *self-supervised*.

# %% slideshow={"slide_type": "subslide"}
show_source(reconstruction_loss)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every lesson trains with one loop, `course.train.fit`. At its heart, for every epoch:
# shuffle the images, and for each batch compute the loss, backpropagate and take a step
# with Adam. Around that heart it adds a one-cycle learning rate (warm up, then anneal), a
# progress line, a loss history, mixed precision on a GPU, and the cache, so a model is
# trained once. You will write the heart yourself in the exercises; later lessons only
# change `loss_fn`.

# %% slideshow={"slide_type": "subslide"}
def train_conv(k: int) -> tuple[ConvAutoencoder, History]:
    """A convolutional autoencoder with a k-number bottleneck, trained (or loaded from the cache)."""
    seed_everything(SEED)
    model = ConvAutoencoder(image_shape, k)
    history = fit(model, ds.train.images, val=ds.val.images, epochs=EPOCHS, batch_size=BATCH_SIZE,
                  lr=LR, seed=SEED, cache=USE_CACHE, desc=f"conv AE, k={k}")
    return model, history


conv_models, conv_histories = {}, {}
for k in BOTTLENECKS:
    conv_models[k], conv_histories[k] = train_conv(k)
    h = conv_histories[k]
    print(f"k={k:>3}: {'loaded from cache' if h.from_cache else f'trained in {h.seconds:.1f} s'}, "
          f"validation MSE {h.val_loss[-1]:.4f}")

# %% slideshow={"slide_type": "subslide"}
plots.loss_curves({f"k={k}": h for k, h in conv_histories.items()},
                  title="Convolutional autoencoder: mean squared error per epoch")

# %% slideshow={"slide_type": "subslide"}
gap = {k: h.val_loss[-1] / h.train_loss[-1] - 1 for k, h in conv_histories.items()}
say("Both losses fall fast in the first epochs, then slowly. They do not end together: the "
    "last validation loss is above the last training loss by {gaps}. The narrowest code "
    "keeps the two closest; why the gap grows with the code is the last exercise.",
    gaps=", ".join(f"{g:.0%} at k={k}" for k, g in gap.items()));

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the bottleneck keeps
#
# Top row: test images the models never saw. Below: their reconstructions.

# %% slideshow={"slide_type": "subslide"}
test_x = ds.test.images
shown = test_x[:12]
plots.image_grid({"input": shown, **{f"conv AE, k={k}": predict(conv_models[k], shown)
                                     for k in BOTTLENECKS}})

# %% [markdown] slideshow={"slide_type": "subslide"}
# Is a reconstruction still the same digit? A simple judge answers without our eyes: a
# classifier that names the digit of its 5 nearest training images (in pixels). It is
# right for most real test digits, so where it names another digit for a reconstruction,
# the reconstruction has usually become another digit.

# %% slideshow={"slide_type": "fragment"}
judge = KNeighborsClassifier(5).fit(ds.train.flat().numpy(), ds.train.labels.numpy())


def judged_right(images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """True where the nearest-neighbour judge names the true digit."""
    return torch.from_numpy(judge.predict(images.flatten(1).numpy()) == labels.numpy())


right_inputs = judged_right(test_x, ds.test.labels).float().mean().item()
right_recon = {k: judged_right(predict(conv_models[k], test_x), ds.test.labels) for k in BOTTLENECKS}
k_small, k_large = min(BOTTLENECKS), max(BOTTLENECKS)
say("The judge names the true digit for {inputs:.0%} of the real test images, and for their "
    "reconstructions {recon}. Of the {n} shown above, it reads another digit in {wrong_small} of the "
    "k={k_small} reconstructions and {wrong_large} of the k={k_large} ones. With {k_small} numbers "
    "the decoder draws blurry digits, many of them another digit than the input; the widest code "
    "keeps most digits and their stroke style.",
    inputs=right_inputs, n=len(shown), k_small=k_small, k_large=k_large,
    recon=", ".join(f"{right_recon[k].float().mean().item():.0%} at k={k}" for k in BOTTLENECKS),
    wrong_small=int((~right_recon[k_small][:len(shown)]).sum()),
    wrong_large=int((~right_recon[k_large][:len(shown)]).sum()));

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Autoencoder against PCA
#
# PCA is the classic answer to the same question: the $k$ directions that keep the most
# variance give the best *linear* code of size $k$ for squared error. A **linear
# autoencoder** (no activation functions, `z = W x + b`, `x̂ = V z + c`) can only learn linear
# codes too. Gradient descent on squared error drives it to the *same subspace* as PCA:
# any linear code that ignores one of the top directions loses more variance than it
# needs to, and the loss surface of a linear autoencoder has no other minima (Baldi &
# Hornik, 1989). It need not find the same *axes*: any invertible mix of the top-$k$
# directions reconstructs equally well. We check both claims below: equal error, same subspace.

# %% slideshow={"slide_type": "subslide"}
def train_linear(k: int) -> LinearAutoencoder:
    seed_everything(SEED)
    model = LinearAutoencoder(image_shape, k)
    fit(model, ds.train.images, val=ds.val.images, epochs=LINEAR_EPOCHS, batch_size=128, lr=1e-2,
        seed=SEED, cache=USE_CACHE, desc=f"linear AE, k={k}")
    return model


def subspace_overlap(decoder_weight: torch.Tensor, components: torch.Tensor) -> float:
    """1 when the decoder's columns span the PCA subspace, ~k/784 for an unrelated one."""
    q, _ = torch.linalg.qr(decoder_weight.detach().cpu().double())  # orthonormal basis (784, k)
    p = components.flatten(1).double()  # PCA directions, orthonormal rows (k, 784)
    return float((p @ q).pow(2).sum() / len(p))


rows, mse = [], {}
for k in BOTTLENECKS:
    pca = PCAAutoencoder(k, seed=SEED).fit(ds.train.images)
    linear = train_linear(k)
    mse[k] = {"PCA": mse_per_image(test_x, pca(test_x)).mean().item(),
              "linear AE": mse_per_image(test_x, predict(linear, test_x)).mean().item(),
              "conv AE": mse_per_image(test_x, predict(conv_models[k], test_x)).mean().item()}
    overlap = subspace_overlap(linear.decoder[0].weight, pca.components)
    rows.append({"bottleneck k": k, **{f"{m} MSE": v for m, v in mse[k].items()},
                 "conv / PCA": mse[k]["conv AE"] / mse[k]["PCA"], "linear AE ∩ PCA subspace": overlap})
plots.Table(rows, caption="Test mean squared error per pixel (lower is better)")

# %% slideshow={"slide_type": "subslide"}
plots.line_chart(BOTTLENECKS, {m: [mse[k][m] for k in BOTTLENECKS] for m in ("PCA", "linear AE", "conv AE")},
                 x_title="bottleneck size k", y_title="test MSE", log_x=True, log_y=True,
                 title="Reconstruction error against bottleneck size")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Read the table twice.

# %% slideshow={"slide_type": "fragment"}
variance = PCA(3, random_state=SEED).fit(ds.train.flat().numpy()).explained_variance_ratio_
overlaps = {r["bottleneck k"]: r["linear AE ∩ PCA subspace"] for r in rows}
k_low = min(overlaps, key=overlaps.get)
say("* **Linear AE ≈ PCA.** The linear autoencoder's error matches PCA's, and its decoder "
    "spans nearly the same subspace: the overlap is 1 for the same subspace and about k/{d} for "
    "a random one. It is lowest at k={k_low} ({low:.2f}). At k=2 the 2nd and 3rd principal "
    "directions keep {v2:.1%} and {v3:.1%} of the variance, close to each other: swapping some "
    "of one for the other barely changes the error, so gradient descent has little reason to hurry.\n"
    "* **Nonlinearity pays.** The convolutional autoencoder's error is {ratios}: it can bend its code around the curved set of images that look "
    "like digits, and its convolutions share weights across the image. (How many numbers PCA "
    "needs to catch up is the first exercise.)",
    d=pixels, k_low=k_low, low=overlaps[k_low], v2=variance[1], v3=variance[2],
    ratios=", ".join(f"{mse[k]['conv AE'] / mse[k]['PCA']:.2f} times PCA's at k={k}" for k in BOTTLENECKS));

# %% [markdown] slideshow={"slide_type": "subslide"}
# The lesson's claims, checked every time this notebook runs:

# %% slideshow={"slide_type": "subslide"}
for k in BOTTLENECKS:
    ratio = mse[k]["linear AE"] / mse[k]["PCA"]
    check_claim(f"at k={k} the linear autoencoder's test MSE is within 5% of PCA's",
                ratio <= 1.05, f"ratio {ratio:.3f}", smoke=SMOKE)
for k in [k for k in BOTTLENECKS if k >= 8]:
    ratio = mse[k]["conv AE"] / mse[k]["PCA"]
    check_claim(f"at k={k} the convolutional autoencoder's test MSE is at most 0.6 x PCA's",
                ratio <= 0.6, f"ratio {ratio:.2f}", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A map of the latent space
#
# With a 2-number bottleneck every image becomes a point in the plane. The autoencoder
# never saw a label. Colours are the true labels, added only for the plot.

# %% slideshow={"slide_type": "subslide"}
model_2d = conv_models[2] if 2 in conv_models else train_conv(2)[0]
codes_2d = predict(model_2d, test_x, method="encode")
plots.latent_scatter(codes_2d, ds.test.labels, ds.classes,
                     title="Test images in the 2-D latent space of the convolutional autoencoder")

# %% slideshow={"slide_type": "subslide"}
near_2d = KNeighborsClassifier(5).fit(predict(model_2d, ds.train.images, method="encode").numpy(),
                                      ds.train.labels.numpy())
right_2d = float((near_2d.predict(codes_2d.numpy()) == ds.test.labels.numpy()).mean())
say("Images of the same digit tend to land together: the code has found structure on its own. "
    "But the clusters overlap, some of them almost entirely. Naming each test image's digit by "
    "its 5 nearest training images in this plane is right for {right:.0%} of them (guessing: "
    "{chance:.0%}; the same vote in all {d} pixels: {pixel_vote:.0%}): two numbers are not enough "
    "to keep ten digits apart.",
    right=right_2d, chance=1 / len(ds.classes), d=pixels, pixel_vote=right_inputs);

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Play with it.** Move the sliders: the cross walks through the latent space and the
# right panel shows what the decoder draws there. Between clusters you see one digit morph
# into another; far from every cluster the decoder draws things no image maps to. (The
# figure updates in place; in a saved notebook without a kernel a picture of how it
# starts stands in its place.)

# %% slideshow={"slide_type": "subslide"}
widgets.latent_explorer(model_2d, codes_2d, ds.test.labels, ds.classes)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The encoder as a feature extractor
#
# Labels are expensive, images are cheap. Train the autoencoder on all images without
# labels, then give a linear classifier only `N_LABELS` labelled images, the same number
# of each digit, and ask which representation it learns best from: raw pixels, PCA codes,
# or the encoder's codes. Accuracy is on all test images, averaged over 5 draws of the labels.

# %% slideshow={"slide_type": "subslide"}
k_probe = max(BOTTLENECKS)
pca = PCAAutoencoder(k_probe, seed=SEED).fit(ds.train.images)
features = {
    "pixels": (ds.train.flat(), test_x.flatten(1)),
    f"PCA codes (k={k_probe})": (pca.encode(ds.train.images), pca.encode(test_x)),
    f"conv AE codes (k={k_probe})": (predict(conv_models[k_probe], ds.train.images, method="encode"),
                                     predict(conv_models[k_probe], test_x, method="encode")),
}
probe = {name: linear_probe(train_f, ds.train.labels, test_f, ds.test.labels,
                            n_labels=N_LABELS, seed=SEED)
         for name, (train_f, test_f) in features.items()}
plots.Table([{"features": name, "numbers per image": features[name][0].flatten(1).shape[1],
              f"test accuracy with {N_LABELS} labels": acc} for name, acc in probe.items()],
            caption="Linear classifier on few labels")

# %% slideshow={"slide_type": "subslide"}
check_claim(f"with {N_LABELS} labels, the autoencoder's codes beat raw pixels",
            probe[f"conv AE codes (k={k_probe})"] > probe["pixels"],
            f"{probe[f'conv AE codes (k={k_probe})']:.3f} vs {probe['pixels']:.3f}", smoke=SMOKE)

# %% slideshow={"slide_type": "subslide"}
ae_name = f"conv AE codes (k={k_probe})"
say("With {n} labels, the classifier scores {ae:.1%} on the autoencoder's codes, {pixels:.1%} on "
    "the raw pixels and {pca:.1%} on PCA's codes. The codes are {shorter:.1f} times shorter than the "
    "pixels and the classifier does {better} on them: the unsupervised encoder has already done part "
    "of the classifier's job.",
    n=N_LABELS, ae=probe[ae_name], pixels=probe["pixels"], pca=probe[f"PCA codes (k={k_probe})"],
    shorter=pixels / k_probe, better="better" if probe[ae_name] > probe["pixels"] else "no better");

# %% [markdown] slideshow={"slide_type": "subslide"}
# This is the pattern behind pre-training: learn a representation from unlabelled data,
# then fit a small model on the few labels you have (lesson 03 does it for text). Hung-yi
# Lee's lecture calls it what it is today, **self-supervised learning**: the data supply
# their own targets.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What goes wrong: no bottleneck, and the autoencoder copies
#
# Every model so far had a code far smaller than the image. Why insist? Give an
# autoencoder a code *wider* than its input, an **over-complete** one, and the cheapest way
# to a low loss is no longer to learn what digits look like: it is to copy the pixels
# through. The simplest one is linear, with 1,024 code numbers for 784 pixels; it trains
# in seconds.
#
# How to tell copying from learning? Show both models something that is not a digit: the
# white shapes of lesson 04 (squares, ellipses, hearts), scaled to the digits' size. An
# autoencoder that learned digits redraws a digit-like guess and misses; one that copies
# reproduces whatever it is given.

# %% slideshow={"slide_type": "subslide"}
WIDE = 1024  # more code numbers than pixels (784 in a 28x28 digit): no bottleneck at all
seed_everything(SEED)
wide = LinearAutoencoder(image_shape, WIDE)
fit(wide, ds.train.images, val=ds.val.images, epochs=WIDE_EPOCHS, batch_size=64, lr=2e-3, seed=SEED,
    cache=USE_CACHE, desc=f"over-complete AE, code {WIDE}")
k_ref = min(BOTTLENECKS, key=lambda k: abs(k - 8))  # the bottleneck model to compare with
shapes = F.interpolate(sprites.generate(200, seed=SEED).images, size=image_shape[1:], mode="area")
copying = {}
for name, model in ((f"conv AE, k={k_ref} (bottleneck)", conv_models[k_ref]), (f"linear AE, code {WIDE} (none)", wide)):
    digits_err = mse_per_image(test_x, predict(model, test_x)).mean().item()
    shapes_err = mse_per_image(shapes, predict(model, shapes)).mean().item()
    copying[name] = {"model": name, "test digits MSE": digits_err, "shapes MSE": shapes_err,
                     "shapes / digits": shapes_err / digits_err}
plots.Table(list(copying.values()), caption="Reconstruction error on digits, and on shapes neither model has seen")

# %% slideshow={"slide_type": "subslide"}
mixed = torch.cat([test_x[:6], shapes[:6]])
plots.image_grid({"input": mixed, f"bottleneck, k={k_ref}": predict(conv_models[k_ref], mixed),
                  f"no bottleneck, code {WIDE}": predict(wide, mixed)},
                 title="Digits and shapes through an autoencoder with a bottleneck and one without")

# %% slideshow={"slide_type": "subslide"}
bottleneck_row, wide_row = copying.values()
say("The autoencoder without a bottleneck has {lowest} on test digits, {wide_d:.4f}, against the "
    "k={k_ref} model's {ref_d:.4f}. And it reconstructs shapes it never "
    "saw better still ({wide_s:.4f}, {wide_ratio:.2f} times its error on digits), where the bottleneck "
    "model's error on shapes is {ref_ratio:.1f} times its error on digits. It has learned to copy, not "
    "what digits look like: a low reconstruction error alone proves nothing about what an autoencoder "
    "has learned. The bottleneck (or, in lesson 02, damaging the input) is what forces it to learn.",
    lowest=("the lowest error of the whole lesson" if wide_row["test digits MSE"] < min(min(m.values()) for m in mse.values())
            else "an error of"),
    wide_d=wide_row["test digits MSE"], ref_d=bottleneck_row["test digits MSE"], k_ref=k_ref,
    wide_s=wide_row["shapes MSE"], wide_ratio=wide_row["shapes / digits"], ref_ratio=bottleneck_row["shapes / digits"]);

# %% slideshow={"slide_type": "fragment"}
check_claim("without a bottleneck, the autoencoder reconstructs unseen shapes at least as well as digits",
            wide_row["shapes / digits"] <= 1, f"shapes / digits = {wide_row['shapes / digits']:.2f}", smoke=SMOKE)
check_claim(f"with a bottleneck (k={k_ref}), shapes come back at least 1.3 times worse than digits",
            bottleneck_row["shapes / digits"] >= 1.3, f"shapes / digits = {bottleneck_row['shapes / digits']:.2f}",
            smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Lesson 10 uses exactly this difference to detect anomalies: what an autoencoder
# reconstructs badly is unlike its training data. An autoencoder that copies reconstructs
# everything well and can flag nothing.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Predict before you run
#
# With a code of 8 numbers the convolutional autoencoder reaches a certain test error. How
# many directions does PCA need to reach the same error? Answer with one of the ranges
# before running the cell after the next.

# %% slideshow={"slide_type": "subslide"}
guess = ...  # one of "8 to 15", "16 to 31", "32 to 63", "64 or more"
exercises.get("01-pca-directions-to-match").check(guess)

# %% slideshow={"slide_type": "subslide"}
pca_curve = pca_error_curve(ds.train.images, test_x, 4 * max(BOTTLENECKS))
pca_needed = {}
for k in BOTTLENECKS:
    reached = torch.nonzero(pca_curve <= mse[k]["conv AE"])
    pca_needed[k] = int(reached[0]) + 1 if len(reached) else None
    print(f"conv AE with k={k}: test MSE {mse[k]['conv AE']:.4f}; PCA reaches it with "
          + (f"{pca_needed[k]} direction{'s' * (pca_needed[k] > 1)}" if pca_needed[k]
             else f"more than {len(pca_curve)} directions"))
# exercises.get("01-pca-directions-to-match").solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Write the training loop
#
# Write `train_epoch(model, images, optimizer, batch_size, generator)`, one epoch of the
# loop every lesson trains with:
#
# 1. shuffle: draw an order with `torch.randperm(len(images), generator=generator)`;
# 2. for each batch of `batch_size` images in that order, compute the reconstruction loss
#    `F.mse_loss(model(x), x)`, clear the old gradients, backpropagate, and let the
#    optimizer take its step;
# 3. return the mean loss per image over the epoch (the last batch may be smaller).
#
# The check runs one epoch of your loop and one of the course's `fit` on the same tiny
# model and data, and compares the weights they end with, and the loss.

# %% slideshow={"slide_type": "subslide"}
def train_epoch(model, images: torch.Tensor, optimizer, batch_size: int, generator: torch.Generator) -> float:
    # YOUR CODE HERE (about 10 lines)
    raise NotImplementedError


exercise = exercises.get("01-training-loop")
exercise.check(train_epoch)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution; then read the course's own loop
# with show_source(fit): yours plus a schedule, a progress line and the cache.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### PCA by hand
#
# PCA is a linear autoencoder you can write in three lines. Complete `pca_reconstruct`:
# centre the data with the training mean, take the top-`k` right singular vectors of the
# centred training data (`torch.linalg.svd`), encode the test rows by projecting on them,
# decode by mapping back and adding the mean. The check compares your answer with
# scikit-learn's PCA.

# %% slideshow={"slide_type": "subslide"}
def pca_reconstruct(train: torch.Tensor, test: torch.Tensor, k: int) -> torch.Tensor:
    # YOUR CODE HERE (about 4 lines)
    raise NotImplementedError


exercise = exercises.get("01-pca-by-svd")
exercise.check(pca_reconstruct)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### In your own words
#
# At the end of training the model with the widest code has a clearly lower loss on its
# training images than on the validation images, and the narrowest a much smaller one
# (the sentence under the loss curves says how much). Why does the gap grow with the size
# of the code?

# %% slideshow={"slide_type": "subslide"}
answer = ...  # a sentence or two, as a string
exercises.get("01-why-wider-fits-closer").check(answer)
# exercises.get("01-why-wider-fits-closer").solution()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What this notebook measured
#
# The headline figures go to `build/results/01_autoencoder_basics.json`, which the tests
# read.

# %% slideshow={"slide_type": "subslide"}
figures = {f"{short}_mse_k{k}": mse[k][name] for k in BOTTLENECKS
           for short, name in (("ae", "conv AE"), ("pca", "PCA"), ("linear", "linear AE"))}
figures |= {"probe_acc_pixels": probe["pixels"],
            "probe_acc_pca": probe[f"PCA codes (k={k_probe})"],
            "probe_acc_ae": probe[f"conv AE codes (k={k_probe})"],
            "probe_bottleneck": k_probe, "n_labels": N_LABELS,
            "linear_pca_overlap": [r["linear AE ∩ PCA subspace"] for r in rows],
            "judged_right_inputs": right_inputs,
            "judged_right_recon": [right_recon[k].float().mean().item() for k in BOTTLENECKS],
            "val_over_train_loss": [gap[k] for k in BOTTLENECKS],
            "pca_directions_to_match_conv": [pca_needed[k] for k in BOTTLENECKS],
            "wide_code": WIDE, "wide_mse_digits": wide_row["test digits MSE"],
            "wide_mse_shapes": wide_row["shapes MSE"], "bottleneck_mse_shapes": bottleneck_row["shapes MSE"],
            "train_seconds_conv": sum(h.seconds for h in conv_histories.values())}
record_results("01_autoencoder_basics", figures, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * An autoencoder is an encoder, a bottleneck and a decoder trained to reconstruct their
#   input; the bottleneck forces it to find structure. Without one it learns to copy, and
#   its low error means nothing.
# * A linear autoencoder finds PCA's subspace; a convolutional one reconstructs better at
#   every code size, and PCA needs several times more numbers to match it.
# * The codes organise the data without labels (though two numbers cannot keep ten digits
#   apart), and make a good input for a classifier with few labels.
# * Training is one short loop: shuffle, and per batch loss, zero the gradients, backward, step.
#
# **Next:** lesson 02 corrupts the input and keeps the clean image as the target: the
# denoising autoencoder.
#
# ## References
#
# * G. E. Hinton, R. R. Salakhutdinov. *Reducing the dimensionality of data with neural
#   networks.* Science 313(5786), 2006: deep autoencoders against PCA, on MNIST among others.
# * P. Baldi, K. Hornik. *Neural networks and principal component analysis: learning from
#   examples without local minima.* Neural Networks 2(1), 1989: why a linear autoencoder finds PCA.
# * P. Vincent, H. Larochelle, Y. Bengio, P.-A. Manzagol. *Extracting and composing robust
#   features with denoising autoencoders.* ICML 2008: the over-complete autoencoder that
#   copies, and the cure of lesson 02.
# * Hung-yi Lee (李宏毅). *Machine Learning* lecture "Auto-encoder" (National Taiwan
#   University): encoder, bottleneck, decoder, dimension reduction, and the autoencoder as
#   an early self-supervised method.
