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
# # 08 · The decoder as a generator: the variational autoencoder
#
# An autoencoder's decoder turns a short code $z$ into an image. So here is a tempting
# idea: throw away the encoder, pick a **random** $z$, decode it, and get a brand-new digit.
# Does it work?
#
# For the plain autoencoder of lesson 01, mostly not: nothing in its training says which
# codes the decoder should be able to draw, so a random vector usually lands somewhere no
# training image ever went, and the decoder draws a smudge. The **variational
# autoencoder** (VAE, Kingma & Welling, 2014) changes the training so that it does work:
# it asks the codes to fill a region we know in advance, the standard normal
# distribution $N(0, I)$, and then samples from there.
#
# This lesson:
#
# 1. trains a **judge** that needs no human eye: a digit classifier that scores generated images;
# 2. asks the plain autoencoder to generate, from $N(0, I)$ and from a Gaussian fitted to its codes;
# 3. builds the VAE from the code that runs (mean and log-variance, the reparameterisation
#    trick, the KL term) and watches its two loss terms during training;
# 4. samples from it, walks between two digits with a slider, and decodes the whole
#    latent plane of a 2-D VAE;
# 5. turns the KL weight $\beta$ up and down: the trade-off between rate and distortion.
#
# About a minute and a half on a 2-core laptop CPU, seconds on a GPU; trained models are cached
# (lesson 00), so a second run takes seconds.

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
DATASET = "mnist5k"  # a name from course.data.names(); offline: "mnist5k", "digits8x8"
LATENT_DIM = 16  # size of z, for the VAE and for the plain autoencoder it is compared with
EPOCHS = 15  # epochs for each autoencoder (~0.8 s each on a 2-core CPU)
EPOCHS_2D = 10  # epochs for the 2-D VAE whose latent plane is drawn
BATCH_SIZE = 64  # images per gradient step
LR = 4e-3  # peak learning rate of the one-cycle schedule
BETAS = [0.25, 1.0, 4.0]  # KL weights of the sweep (1.0 is the VAE trained above: reused)
CLASSIFIER_EPOCHS = 6  # epochs for the digit classifier that scores samples
CONFIDENCE = 0.9  # a sample counts as recognised when the classifier is at least this sure
N_SAMPLES = 1000  # generated images scored per generator
INTERPOLATE = [3, 7]  # two digits: walk from the first test image of one to the first of the other
SEED = 0
USE_CACHE = True  # reload models trained earlier with exactly these settings
SMOKE = False  # True: a few seconds of training for CI; claims are shown, not asserted

# %% slideshow={"slide_type": "skip"}
import math

from course.params import (boolean, check_parameters, dataset, epoch_cost, integer, list_of, number, seed,
                           training_time)

check_parameters(
    DATASET=(DATASET, dataset()),
    LATENT_DIM=(LATENT_DIM, integer(min=2, max=256)),
    EPOCHS=(EPOCHS, integer(min=1)),
    EPOCHS_2D=(EPOCHS_2D, integer(min=1)),
    BATCH_SIZE=(BATCH_SIZE, integer(min=1, max=4096)),
    LR=(LR, number(min=1e-6, max=1.0)),
    BETAS=(BETAS, list_of(number(min=0.0, max=100.0), min_len=2, max_len=10, unique=True)),
    CLASSIFIER_EPOCHS=(CLASSIFIER_EPOCHS, integer(min=1)),
    CONFIDENCE=(CONFIDENCE, number(min=0.1, max=1.0)),
    N_SAMPLES=(N_SAMPLES, integer(min=10, max=100_000)),
    INTERPOLATE=(INTERPOLATE, list_of(integer(min=0, max=9), min_len=2, max_len=2, unique=True)),
    SEED=(SEED, seed()),
    USE_CACHE=(USE_CACHE, boolean()),
    SMOKE=(SMOKE, boolean()),
)
from course import data  # noqa: E402  (the registry: limits that depend on the data follow)

full = data.sizes(DATASET)  # known without loading the images
scale = full.n_train * math.prod(full.image_shape) / (3500 * 784)  # the costs were measured on mnist5k
vaes = 2 + sum(beta != 1.0 for beta in BETAS)  # plain AE, VAE, and each other beta of the sweep
budget = training_time(EPOCHS=(EPOCHS, vaes * epoch_cost(1.7, scale, BATCH_SIZE)),
                       EPOCHS_2D=(EPOCHS_2D, epoch_cost(1.7, scale, BATCH_SIZE)),
                       CLASSIFIER_EPOCHS=(CLASSIFIER_EPOCHS, epoch_cost(0.8, scale)))
if SMOKE:  # after the checks, never instead of them
    EPOCHS, EPOCHS_2D, CLASSIFIER_EPOCHS, N_SAMPLES = 1, 1, 1, 200
    budget = budget.with_counts(EPOCHS=EPOCHS, EPOCHS_2D=EPOCHS_2D, CLASSIFIER_EPOCHS=CLASSIFIER_EPOCHS)
print(budget)

# %% slideshow={"slide_type": "skip"}
import dataclasses
import math

import torch

from course import exercises, plots
from course.classifier import DigitClassifier, accuracy, label_counts_figure, score_samples
from course.device import get_device, seed_everything
from course.models import ConvAutoencoder, count_parameters
from course.results import check_claim, record_results
from course.show import show_source
from course.train import classification_loss, fit, predict
from course.vae import (ConvVAE, ELBOLoss, elbo_curves, elbo_loss, elbo_split,
                        elbo_terms, interpolate, interpolation_slider, kl_to_standard_normal,
                        latent_grid, rate_distortion_figure, reparameterise, sample_gaussian_like,
                        sample_prior)

seed_everything(SEED)
device = get_device()
ds = data.load(DATASET)
if SMOKE:  # fewer images everywhere: the smoke run only checks that every cell runs
    ds = dataclasses.replace(ds.subset(500), val=ds.val.head(200), test=ds.test.head(300))
BETAS = sorted(BETAS)
image_shape = ds.image_shape
print(f"device: {device}")

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
print(ds)
for name, model in {"digit classifier": DigitClassifier(image_shape),
                    f"plain autoencoder, k={LATENT_DIM}": ConvAutoencoder(image_shape, LATENT_DIM),
                    f"VAE, k={LATENT_DIM}": ConvVAE(image_shape, LATENT_DIM)}.items():
    print(f"{name:>26}: {count_parameters(model):>7,} parameters")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A judge that needs no eye
#
# "Do these samples look like digits?" is a question we would rather not answer by squinting.
# So we train a small convolutional **digit classifier** on the training split (with the
# same `fit` as every model of the course, and the labels this time) and let it grade
# generated images two ways:
#
# * **recognised**: the share of images it labels with probability at least
#   `CONFIDENCE` (0.9). A smudge gets a hesitant, spread-out answer.
# * **label entropy**: how evenly its labels cover the ten digits, in bits. All ten equally
#   often gives $\log_2 10 = 3.32$ bits; a generator that only ever draws ones gives 0.
#
# This is the idea of the Inception Score for photographs, at a size a CPU can afford.

# %% slideshow={"slide_type": "subslide"}
show_source(score_samples)

# %% slideshow={"slide_type": "subslide"}
seed_everything(SEED)
classifier = DigitClassifier(image_shape)
history_clf = fit(classifier, (ds.train.images, ds.train.labels),
                  val=(ds.val.images, ds.val.labels), epochs=CLASSIFIER_EPOCHS,
                  batch_size=BATCH_SIZE, lr=LR, loss_fn=classification_loss, seed=SEED,
                  cache=USE_CACHE, desc="digit classifier")
classifier_acc = accuracy(classifier, ds.test.images, ds.test.labels)
real = score_samples(classifier, ds.test.images, threshold=CONFIDENCE)
print(f"classifier test accuracy {classifier_acc:.1%}; real test digits: {real.recognised:.1%} "
      f"recognised with confidence >= {CONFIDENCE}, label entropy {real.label_entropy:.2f} bits")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Real test digits set the bar: the judge recognises most of them with confidence, and
# they cover the ten digits evenly. A perfect generator would score the same.
#
# ## Can a plain autoencoder generate?
#
# Take lesson 01's convolutional autoencoder with a code of `LATENT_DIM` numbers, train it
# as there (on squared error), then decode vectors drawn from $N(0, I)$, the most natural
# "random code".

# %% slideshow={"slide_type": "subslide"}
seed_everything(SEED)
ae = ConvAutoencoder(image_shape, LATENT_DIM)
history_ae = fit(ae, ds.train.images, val=ds.val.images, epochs=EPOCHS, batch_size=BATCH_SIZE,
                 lr=LR, seed=SEED, cache=USE_CACHE, desc=f"plain AE, k={LATENT_DIM}")
codes_ae = predict(ae, ds.train.images, method="encode")
samples_ae = sample_prior(ae, N_SAMPLES, seed=SEED)
samples_ae_fitted = predict(ae, sample_gaussian_like(codes_ae, N_SAMPLES, seed=SEED), method="decode")
plots.image_grid({"test images": ds.test.images[:12],
                  "reconstructed": predict(ae, ds.test.images[:12]),
                  "decoded N(0, I)": samples_ae[:12],
                  "decoded fitted Gaussian": samples_ae_fitted[:12]},
                 title="The plain autoencoder: reconstructions, and decoded random codes")

# %% [markdown] slideshow={"slide_type": "subslide"}
# It reconstructs well, and it generates badly. The reason is where its codes live:
# nothing in its loss cares about the scale or position of $z$, so they sit wherever
# training left them.

# %% slideshow={"slide_type": "fragment"}
print(f"plain AE codes of the training images: mean norm {codes_ae.norm(dim=1).mean():.1f} "
      f"(N(0, I) vectors in {LATENT_DIM} dimensions: about {LATENT_DIM ** 0.5:.1f}), "
      f"spread per dimension from {codes_ae.std(0).min():.1f} to {codes_ae.std(0).max():.1f} (N(0, I): 1)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# A fairer guess is a Gaussian with the **mean and covariance of the codes** (last row of
# the figure above). It lands in the right region, and looks better; but it is a patch
# fitted after training, and nothing made the codes Gaussian-shaped in the first place.
# The VAE builds the prior into training.
#
# ## The variational autoencoder, from the code that runs
#
# Three changes turn an autoencoder into a VAE.
#
# **1. The encoder outputs a distribution.** For each image it gives a mean $\mu$ and a
# log-variance $\log\sigma^2$ per latent dimension: "this image's code is around $\mu$,
# give or take $\sigma$". We predict the *log* of the variance so that any real number
# is allowed.

# %% slideshow={"slide_type": "subslide"}
show_source(ConvVAE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **2. Training decodes a sample.** $z = \mu + \sigma\,\varepsilon$ with
# $\varepsilon \sim N(0, I)$. Drawing $z$ directly from $N(\mu, \sigma^2)$ would give
# the same numbers, but no gradient: you cannot differentiate through "pick a random
# number". Written this way, the randomness is in $\varepsilon$, which does not depend on
# the network, and $z$ is an ordinary differentiable function of $\mu$ and $\sigma$.
# That is the **reparameterisation trick**. The noise forces nearby codes to decode to
# similar images, so the decoder learns to draw whole regions, not isolated points.

# %% slideshow={"slide_type": "subslide"}
show_source(reparameterise)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **3. A KL term pulls every code distribution towards $N(0, I)$.** The
# Kullback-Leibler divergence $\mathrm{KL}(q(z|x)\,\|\,N(0, I))$ measures, in nats, how far
# the encoder's Gaussian is from the prior. For diagonal Gaussians it has a closed form:
#
# $$\mathrm{KL} = \tfrac12 \sum_j \left(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\right),$$
#
# zero exactly when $\mu = 0$ and $\sigma = 1$: a code that says nothing about the image.
# Averaged over images it is the **rate**: a bound on how many nats of information the
# code carries about the image.

# %% slideshow={"slide_type": "subslide"}
show_source(kl_to_standard_normal)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The loss** adds a reconstruction term: how unlikely the image is under the decoder's
# output, read as the probability of each pixel being on (a Bernoulli per pixel, so
# binary cross-entropy **summed** over all 784 pixels, in nats). Reconstruction plus KL
# is the negative **evidence lower bound** (ELBO): an upper bound on $-\log p(x)$, the
# number of nats the model needs to describe an image. $\beta$ weighs the KL term;
# $\beta = 1$ is the ELBO proper.

# %% slideshow={"slide_type": "subslide"}
show_source(elbo_terms)

# %% slideshow={"slide_type": "subslide"}
show_source(elbo_loss)

# %% [markdown] slideshow={"slide_type": "subslide"}
# `fit` trains with `loss_fn=ELBOLoss(beta)` (that function with $\beta$ fixed), like
# every model of the course. A small `monitor` measures the two terms on the validation
# images after each epoch, so we can watch them during training.

# %% slideshow={"slide_type": "fragment"}
def val_terms(model: ConvVAE) -> dict[str, float]:
    """The loss's two terms on the validation images, nats per image."""
    reconstruction, kl = elbo_split(model, ds.val.images, seed=SEED)
    return {"reconstruction": reconstruction, "KL": kl}


def train_vae(k: int, beta: float, epochs: int) -> tuple[ConvVAE, object]:
    """A VAE with a k-number code, trained with KL weight beta (or loaded from the cache)."""
    seed_everything(SEED)
    model = ConvVAE(image_shape, k)
    history = fit(model, ds.train.images, val=ds.val.images, epochs=epochs, batch_size=BATCH_SIZE,
                  lr=LR, loss_fn=ELBOLoss(beta), seed=SEED, cache=USE_CACHE, monitor=val_terms,
                  desc=f"VAE, k={k}, beta={beta:g}")
    return model, history


vae, history_vae = train_vae(LATENT_DIM, 1.0, EPOCHS)
for name, h in (("digit classifier", history_clf), ("plain AE", history_ae), ("VAE", history_vae)):
    print(f"{name}: {'loaded from cache' if h.from_cache else f'trained in {h.seconds:.1f} s'}")
elbo_curves(history_vae, title=f"VAE (k={LATENT_DIM}, β=1): the loss and its two terms")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Read the two panels together. In the first epochs the KL term rises: the encoder starts
# to use its code, and each nat of KL it pays buys more than a nat of reconstruction. Then both
# settle: the reconstruction keeps falling slowly while the KL stays roughly flat, the
# balance the loss strikes between describing the image well and keeping its code close
# to the prior.
#
# On the test images, in nats per image (one sample of $z$ per image):

# %% slideshow={"slide_type": "subslide"}
test_reconstruction, test_kl = elbo_split(vae, ds.test.images, seed=SEED)
test_loss_vae = test_reconstruction + test_kl
plots.Table([{"split": "test", "reconstruction (nats)": test_reconstruction, "KL (nats)": test_kl,
              "loss = reconstruction + KL (nats)": test_loss_vae,
              "in bits per pixel": test_loss_vae / math.prod(image_shape) / math.log(2)}],
            caption="The VAE's negative ELBO per test image")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The images are grey levels, not black and white, so even a perfect decoder pays some
# reconstruction nats (the cross-entropy of a grey pixel with itself); the figures compare
# models on the same data, they are not a lossless code length.
#
# The VAE's reconstructions are a little blurrier than the plain autoencoder's: the noise
# in $z$ and the KL term both cost detail. That is the price; here is what it buys.

# %% slideshow={"slide_type": "subslide"}
plots.image_grid({"test images": ds.test.images[:12],
                  "plain AE": predict(ae, ds.test.images[:12]),
                  "VAE": predict(vae, ds.test.images[:12])},
                 title="Reconstructions of test images")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Sampling: the decoder as a generator
#
# Now the question of the lesson again. Draw $z \sim N(0, I)$, decode, and let the judge grade.

# %% slideshow={"slide_type": "subslide"}
samples_vae = sample_prior(vae, N_SAMPLES, seed=SEED)
plots.image_grid({f"VAE sample {r + 1}": samples_vae[12 * r:12 * (r + 1)] for r in range(4)},
                 title=f"VAE (k={LATENT_DIM}): decoded vectors from N(0, I)")

# %% slideshow={"slide_type": "subslide"}
scores = {"real test digits": real,
          "plain AE, N(0, I)": score_samples(classifier, samples_ae, threshold=CONFIDENCE),
          "plain AE, fitted Gaussian": score_samples(classifier, samples_ae_fitted, threshold=CONFIDENCE),
          "VAE, N(0, I)": score_samples(classifier, samples_vae, threshold=CONFIDENCE)}
plots.Table([{"images": name, f"recognised (confidence >= {CONFIDENCE})": s.recognised,
              "mean confidence": s.mean_confidence, "label entropy (bits)": s.label_entropy}
             for name, s in scores.items()],
            caption=f"The judge's verdict on {N_SAMPLES} images of each kind (entropy at most 3.32 bits)")

# %% slideshow={"slide_type": "subslide"}
label_counts_figure({k: v for k, v in scores.items() if k != "real test digits"}, ds.classes,
                    title="Which digits the judge sees in each generator's samples")

# %% slideshow={"slide_type": "subslide"}
recognized_ae, recognized_vae = scores["plain AE, N(0, I)"].recognised, scores["VAE, N(0, I)"].recognised
check_claim("the VAE's samples from N(0, I) are recognised more often than the plain "
            "autoencoder's decoded N(0, I) vectors", recognized_vae > recognized_ae,
            f"{recognized_vae:.1%} vs {recognized_ae:.1%}", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# From the same $N(0, I)$, the plain autoencoder's decoder draws few shapes the judge
# will vouch for, and its guesses crowd onto a few labels; the VAE's decoder draws digits,
# spread over all ten. Its samples are still well below real digits: they are blurry, and
# some fall between two digits.
#
# Now look at the plain autoencoder with a **fitted** Gaussian: far better than with
# $N(0, I)$, and on this small data set about as good as the VAE, sometimes better. That
# is a real finding, not a glitch (Ghosh et al., 2020, fit such densities to deterministic
# autoencoders' codes after training): with a code this short, a Gaussian fitted after
# training covers the codes well enough. What the VAE adds is that no patch is needed:
# training itself makes the codes fill a prior chosen in advance, its loss is a bound on
# $-\log p(x)$ in nats (a number to compare generative models by), and its latent space
# is smooth by design, as the 2-D plane below shows.
#
# ## Walking between two digits
#
# Encode two test digits, take the straight line between their codes (the means, for the
# VAE), and decode points along it. **Play with it:** move `t` from 0 to 1 and compare the
# two decoders on the same walk. (The figure updates in place; in a saved notebook
# without a kernel a picture of how it starts stands in its place, and the strip below
# shows the same walk.)

# %% slideshow={"slide_type": "subslide"}
x_a, x_b = (ds.test.images[(ds.test.labels == d).nonzero()[0, 0]] for d in INTERPOLATE[:2])
interpolation_slider({"VAE": vae, "plain AE": ae}, x_a, x_b)

# %% slideshow={"slide_type": "subslide"}
plots.image_grid({"VAE": interpolate(vae, x_a, x_b, steps=10),
                  "plain AE": interpolate(ae, x_a, x_b, steps=10)},
                 title=f"From a {INTERPOLATE[0]} to a {INTERPOLATE[1]} in 10 steps")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The whole latent plane of a 2-D VAE
#
# With a 2-number code we can decode a grid that covers the prior, $[-2, 2]^2$ (about 95 %
# of its mass in each direction), and see every image the decoder can draw at once. The
# digits change smoothly, and there are no empty holes: the KL term packed the codes of
# the training images around the origin, where the grid is.

# %% slideshow={"slide_type": "subslide"}
vae_2d, history_2d = train_vae(2, 1.0, EPOCHS_2D)
steps = 15
grid_images = predict(vae_2d, latent_grid(2.0, steps), method="decode")
plots.image_grid({f"z[1]={v:+.1f}": grid_images[steps * r:steps * (r + 1)]
                  for r, v in enumerate(torch.linspace(2, -2, steps).tolist())},
                 title="decode(z) of the 2-D VAE, z[0] from -2 (left) to 2 (right)", cell_px=32)

# %% slideshow={"slide_type": "subslide"}
plots.latent_scatter(predict(vae_2d, ds.test.images, method="encode"), ds.test.labels, ds.classes,
                     title="Test images at their code means in the 2-D VAE (colours: true labels)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Compare with lesson 01's 2-D map: the plain autoencoder's codes lie wherever training
# put them, at whatever scale; the VAE's are pulled into a cloud around the origin about
# the size of $N(0, I)$, which is why sampling from it works.
#
# ## The KL weight: rate against distortion
#
# $\beta$ sets the exchange rate between the two terms. A small $\beta$ makes KL cheap:
# the code carries many nats and reconstructions are sharp, but the codes drift from the
# prior. A large $\beta$ makes every nat of code expensive: the encoder says less, the
# decoder guesses more, reconstructions blur. ($\beta > 1$, the "β-VAE", is one route to
# the disentangled codes of lesson 04.) We train one VAE per $\beta$ and measure both
# terms on the test images; the VAE with $\beta = 1$ is the one above, reused.

# %% slideshow={"slide_type": "subslide"}
sweep = {}
for beta in BETAS:
    model, h = (vae, history_vae) if beta == 1.0 else train_vae(LATENT_DIM, beta, EPOCHS)
    r, kl = elbo_split(model, ds.test.images, seed=SEED)
    samples = sample_prior(model, N_SAMPLES, seed=SEED)
    sweep[beta] = {"model": model, "history": h, "reconstruction": r, "KL": kl, "samples": samples,
                   "score": score_samples(classifier, samples, threshold=CONFIDENCE)}
plots.Table([{"β": beta, "reconstruction (nats)": s["reconstruction"], "KL = rate (nats)": s["KL"],
              "reconstruction + KL (nats)": s["reconstruction"] + s["KL"],
              "samples recognised": s["score"].recognised, "label entropy (bits)": s["score"].label_entropy}
             for beta, s in sweep.items()], caption="The β sweep on the test images")

# %% slideshow={"slide_type": "subslide"}
rate_distortion_figure(BETAS, [sweep[b]["KL"] for b in BETAS], [sweep[b]["reconstruction"] for b in BETAS],
                       title="Rate (KL) against distortion (reconstruction): one VAE per β")

# %% slideshow={"slide_type": "subslide"}
plots.image_grid({f"β={beta:g}": s["samples"][:12] for beta, s in sweep.items()},
                 title="Samples from N(0, I) at each β")

# %% slideshow={"slide_type": "subslide"}
kls = [sweep[b]["KL"] for b in BETAS]
recs = [sweep[b]["reconstruction"] for b in BETAS]
monotone = all(a > b for a, b in zip(kls, kls[1:])) and all(a < b for a, b in zip(recs, recs[1:]))
check_claim(f"over β = {', '.join(f'{b:g}' for b in BETAS)}, a higher β gives a lower KL and a "
            "higher reconstruction error", monotone,
            "KL " + " > ".join(f"{v:.1f}" for v in kls) + ", reconstruction "
            + " < ".join(f"{v:.1f}" for v in recs), smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Each $\beta$ picks one point on a curve: fewer nats in the code (rate) cost more nats
# of reconstruction error (distortion). No $\beta$ beats another on both; $\beta = 1$ is
# the one whose sum is a bound on $-\log p(x)$. The samples show the other side: with a
# small $\beta$ the codes stray from $N(0, I)$ and more samples come out malformed; with a
# large one they are smooth but vague. Lesson 09 (compression) meets the same trade-off,
# with the rate counted in bits.
#
# ## Exercise: the KL term by sampling
#
# The closed-form KL above holds for Gaussians only. The general recipe, which works for
# any encoder and prior, estimates it by sampling: draw $z$ from $q(z|x)$ and average
# $\log q(z|x) - \log p(z)$. Write `kl_monte_carlo(mean, log_var, n_samples)`: draw
# `n_samples` values of $z$ per row **with the reparameterisation trick** (so gradients
# reach `mean` and `log_var`), sum the log-densities over the latent dimensions
# (`torch.distributions.Normal(...).log_prob` helps), and average over the samples:
# one estimate per row. The check compares it, and its gradients, with the closed form.

# %% slideshow={"slide_type": "subslide"}
def kl_monte_carlo(mean: torch.Tensor, log_var: torch.Tensor, n_samples: int) -> torch.Tensor:
    # YOUR CODE HERE (about 6 lines)
    raise NotImplementedError


exercise = exercises.get("08-monte-carlo-kl")
exercise.check(kl_monte_carlo)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What this notebook measured
#
# The headline figures go to `build/results/08_vae.json`, which the tests read.

# %% slideshow={"slide_type": "subslide"}
figures = {
    "latent_dim": LATENT_DIM,
    "test_loss_vae": test_loss_vae,
    "test_reconstruction_vae": test_reconstruction,
    "test_kl_vae": test_kl,
    "recognized_vae": recognized_vae,
    "recognized_ae": recognized_ae,
    "recognized_ae_fitted": scores["plain AE, fitted Gaussian"].recognised,
    "recognized_real": real.recognised,
    "label_entropy_vae": scores["VAE, N(0, I)"].label_entropy,
    "label_entropy_ae": scores["plain AE, N(0, I)"].label_entropy,
    "classifier_test_acc": classifier_acc,
    "confidence": CONFIDENCE,
    "betas": BETAS,
    "beta_kl": kls,
    "beta_reconstruction": recs,
    "beta_recognized": [sweep[b]["score"].recognised for b in BETAS],
    "train_seconds": sum({id(h): h.seconds for h in (history_clf, history_ae, history_vae, history_2d,
                                                     *(s["history"] for s in sweep.values()))}.values()),
}
record_results("08_vae", figures, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * A plain autoencoder's decoder is no generator: nothing tells you where its codes are,
#   and random codes decode to smudges.
# * A VAE's encoder outputs a Gaussian per image; training decodes a sample of it (the
#   reparameterisation trick keeps that differentiable) and a KL term pulls it towards
#   $N(0, I)$. Afterwards, $N(0, I)$ is where the codes are: sample, decode, done.
# * Its loss, reconstruction + KL, is measured in nats and bounds $-\log p(x)$; its two
#   terms are distortion and rate, and $\beta$ chooses between them.
# * A classifier trained on real data can grade samples without a human: how many it
#   recognises, and how evenly they cover the classes.
#
# **Next:** lesson 09 uses an autoencoder as a compressor and counts the rate in bits.
# Lesson 06 (VQ-VAE) replaces the Gaussian code by a discrete one.
