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
# numbers the network must find what digits have in common. This lesson:
#
# 1. builds an encoder, a bottleneck and a decoder from the code that runs, and trains them;
# 2. measures reconstruction error against bottleneck size for **PCA**, a **linear**
#    autoencoder and a **convolutional** one, and shows why the linear one finds PCA's answer;
# 3. draws the 2-D latent space and lets you walk through it with sliders;
# 4. uses the trained encoder as a **feature extractor** for a classifier that sees only 100 labels.
#
# Runs in about a minute on a laptop CPU, seconds on a GPU; trained models are cached
# (lesson 00 explains the cache), so a second run takes seconds.

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
DATASET = "mnist5k"  # a name from course.data.names(); offline: "mnist5k", "digits8x8"
BOTTLENECKS = [2, 8, 32]  # sizes of the code z to compare
EPOCHS = 20  # epochs for each convolutional autoencoder (~0.8 s each on a 2-core CPU)
BATCH_SIZE = 64  # images per gradient step
LR = 4e-3  # peak learning rate of the one-cycle schedule
LINEAR_EPOCHS = 100  # epochs for each linear autoencoder (~0.03 s each: no hidden layers)
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
                       LINEAR_EPOCHS=(LINEAR_EPOCHS, len(BOTTLENECKS) * epoch_cost(0.05, scale)))
if SMOKE:  # after the checks, never instead of them
    EPOCHS, LINEAR_EPOCHS = 1, 1
    budget = budget.with_counts(EPOCHS=EPOCHS, LINEAR_EPOCHS=LINEAR_EPOCHS)
print(budget)

# %% slideshow={"slide_type": "skip"}
import torch

from course import exercises, plots, widgets
from course.baselines import PCAAutoencoder, linear_probe, mse_per_image
from course.device import get_device, seed_everything
from course.models import Autoencoder, ConvAutoencoder, LinearAutoencoder, count_parameters
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
# to its code `z`, a `decoder` network maps a code back to an image, and `forward` does
# both. This is the whole base class:

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
# Every lesson trains with one loop, `course.train.fit`: Adam with a one-cycle learning
# rate, a progress bar, a loss history, mixed precision on a GPU, and a cache so a model is
# trained once. Read it once here; later lessons only change `loss_fn`.

# %% slideshow={"slide_type": "fragment"}
show_source(fit)

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

# %% [markdown] slideshow={"slide_type": "subslide"}
# Training and validation loss fall together: with a bottleneck this narrow the model
# cannot memorise the training images, it has to compress them.
#
# ## What the bottleneck keeps
#
# Top row: test images the models never saw. Below: their reconstructions. With 2
# numbers the decoder can only draw a blurry "typical" digit of roughly the right class;
# with 32 it keeps the stroke style.

# %% slideshow={"slide_type": "subslide"}
test_x = ds.test.images
shown = test_x[:12]
plots.image_grid({"input": shown, **{f"conv AE, k={k}": predict(conv_models[k], shown)
                                     for k in BOTTLENECKS}})

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
#
# * **Linear AE ≈ PCA.** The linear autoencoder's error matches PCA's, and its decoder
#   spans nearly the same subspace: the overlap is 1 for the same subspace and about
#   k/784 for a random one. It is lowest at k=2, where the 2nd and 3rd principal
#   directions keep almost the same variance: swapping one for the other barely changes
#   the error, so gradient descent has little reason to hurry.
# * **Nonlinearity pays.** The convolutional autoencoder needs far fewer numbers for the
#   same error: it can bend its code around the curved set of images that look like digits,
#   and its convolutions share weights across the image.
#
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
# never saw a label, yet images of the same digit land together: the code has found
# structure on its own. Colours are the true labels, added only for the plot.

# %% slideshow={"slide_type": "subslide"}
model_2d = conv_models[2] if 2 in conv_models else train_conv(2)[0]
codes_2d = predict(model_2d, test_x, method="encode")
plots.latent_scatter(codes_2d, ds.test.labels, ds.classes,
                     title="Test images in the 2-D latent space of the convolutional autoencoder")

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
# labels, then give a linear classifier only **100 labelled images** (10 per digit) and
# ask which representation it learns best from: raw pixels, PCA codes, or the encoder's
# codes. Accuracy is on the 1,000 test images, averaged over 5 draws of the 100 labels.

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

# %% [markdown] slideshow={"slide_type": "subslide"}
# The codes are 25 times shorter than the pixels and the classifier does better on them:
# the unsupervised encoder has already done part of the classifier's job.
# This is the pattern behind pre-training: learn a representation from unlabelled data,
# then fit a small model on the few labels you have (lesson 03 does it for text).
#
# ## Exercise: PCA by hand
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
            "train_seconds_conv": sum(h.seconds for h in conv_histories.values())}
record_results("01_autoencoder_basics", figures, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * An autoencoder is an encoder, a bottleneck and a decoder trained to reconstruct their
#   input; the bottleneck forces it to find structure.
# * A linear autoencoder finds PCA's subspace; nonlinear, convolutional ones reconstruct
#   far better at the same code size.
# * The codes organise the data without labels, and make a good input for a classifier
#   with few labels.
#
# **Next:** lesson 02 corrupts the input and keeps the clean image as the target: the
# denoising autoencoder.
