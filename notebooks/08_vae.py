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
# **You will be able to**
#
# * build a VAE from the code that runs: an encoder that outputs a mean and a
#   log-variance, the **reparameterisation trick**, the **KL term**, the loss in nats;
# * judge generated images without squinting, with a classifier trained on real digits;
# * sample from the decoder, walk between two digits, and read the latent plane of a 2-D VAE;
# * trade rate (KL) against distortion (reconstruction) with the KL weight $\beta$, and
#   recognise **posterior collapse**, when the code stops carrying anything.
#
# **Prerequisites:** lesson 01 (the convolutional autoencoder, its code and reconstruction
# error); a normal distribution's mean and variance; what a gradient is.
#
# **Time:** about 130 CPU-seconds of computing at the default parameters (seven small
# models: about a minute and a half on a 2-core laptop CPU, seconds once they are cached);
# reading and playing: an hour.
#
# **Key terms 关键词** ([glossary 术语表](glossary.md)): variational autoencoder (VAE) 变分自编码器 · prior 先验 · KL divergence 相对熵 (KL 散度) · reparameterisation trick 重参数化技巧 · evidence lower bound (ELBO) 证据下界 · sampling 采样 · interpolation 插值 · posterior collapse 后验坍缩

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
DATASET = "mnist5k"  # a name from course.data.names(); offline: "mnist5k", "digits8x8"
LATENT_DIM = 16  # size of z, for the VAE and for the plain autoencoder it is compared with
EPOCHS = 10  # epochs for each autoencoder (~1.6 s each on one CPU core)
EPOCHS_2D = 10  # epochs for the 2-D VAE whose latent plane is drawn
BATCH_SIZE = 64  # images per gradient step
LR = 4e-3  # peak learning rate of the one-cycle schedule
BETAS = [0.25, 1.0, 4.0]  # KL weights of the sweep (1.0 is the VAE trained above: reused)
CLASSIFIER_EPOCHS = 6  # epochs for the digit classifier that scores samples
CONFIDENCE = 0.9  # a sample counts as recognised when the classifier is at least this sure
N_SAMPLES = 1000  # generated images scored per generator
INTERPOLATE = [3, 7]  # two digits: walk from the first test image of one to the first of the other
COLLAPSE_BETA = 100.0  # KL weight of the VAE that shows posterior collapse ("What goes wrong")
COLLAPSE_EPOCHS = 3  # its epochs: it collapses within the first
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
    COLLAPSE_BETA=(COLLAPSE_BETA, number(min=0.0, max=10_000.0)),
    COLLAPSE_EPOCHS=(COLLAPSE_EPOCHS, integer(min=1)),
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
                       COLLAPSE_EPOCHS=(COLLAPSE_EPOCHS, epoch_cost(1.7, scale, BATCH_SIZE)),
                       CLASSIFIER_EPOCHS=(CLASSIFIER_EPOCHS, epoch_cost(0.8, scale)))
if SMOKE:  # after the checks, never instead of them
    EPOCHS, EPOCHS_2D, CLASSIFIER_EPOCHS, COLLAPSE_EPOCHS, N_SAMPLES = 1, 1, 1, 1, 200
    budget = budget.with_counts(EPOCHS=EPOCHS, EPOCHS_2D=EPOCHS_2D, CLASSIFIER_EPOCHS=CLASSIFIER_EPOCHS,
                                COLLAPSE_EPOCHS=COLLAPSE_EPOCHS)
print(budget)

# %% slideshow={"slide_type": "skip"}
import dataclasses
import math

import plotly.graph_objects as go
import torch

from course import exercises, plots
from course.classifier import DigitClassifier, accuracy, label_counts_figure, score_samples
from course.device import get_device, seed_everything
from course.diagrams import flow
from course.models import ConvAutoencoder, count_parameters
from course.prose import say
from course.results import check_claim, record_results
from course.show import show_source
from course.train import classification_loss, fit, predict
from course.vae import (ConvVAE, ELBOLoss, elbo_curves, elbo_loss, elbo_split,
                        elbo_terms, interpolate, interpolation_slider, latent_grid,
                        rate_distortion_figure, sample_gaussian_like, sample_prior)

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
flow("x", "encoder", "μ, log σ²", "z = μ + σ·ε\nε ~ N(0, I)", "decoder", "x̂", kinds="decogd",
     below={"μ, log σ²": ("KL(q(z|x) ‖ N(0, I))", "l"), "x̂": ("reconstruction −log p(x|z)", "l", "x")},
     caption="a VAE: the encoder gives a Gaussian, training decodes a sample of it")

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
#
# Each of the two steps, the sample and the KL term, is one line of PyTorch; you will
# write both in the exercises, whose solution shows the lesson's own code. The loss below
# calls them `reparameterise` and `kl_to_standard_normal`.

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

# %% slideshow={"slide_type": "fragment"}
mse_ae = float((predict(ae, ds.test.images) - ds.test.images).pow(2).mean())
mse_vae = float((predict(vae, ds.test.images) - ds.test.images).pow(2).mean())
say("Mean squared error per pixel on the test images: plain autoencoder {ae:.4f}, VAE {vae:.4f} "
    "({more:+.0%}).", ae=mse_ae, vae=mse_vae, more=mse_vae / mse_ae - 1)

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
check_claim("and the judge's labels for them are spread more evenly (a higher label entropy)",
            scores["VAE, N(0, I)"].label_entropy > scores["plain AE, N(0, I)"].label_entropy,
            f"{scores['VAE, N(0, I)'].label_entropy:.2f} vs {scores['plain AE, N(0, I)'].label_entropy:.2f} bits",
            smoke=SMOKE)
say("With a Gaussian fitted to its codes, the plain autoencoder's samples are recognised {fitted:.1%} of the time, "
    "against {plain:.1%} from N(0, I) and the VAE's {vae:.1%}; real digits {real:.1%}.",
    fitted=scores["plain AE, fitted Gaussian"].recognised, plain=recognized_ae, vae=recognized_vae,
    real=real.recognised)

# %% [markdown] slideshow={"slide_type": "subslide"}
# From the same $N(0, I)$, the plain autoencoder's decoder draws few shapes the judge
# will vouch for, and its guesses crowd onto a few labels; the VAE's decoder draws digits,
# spread over all ten. Its samples are still well below real digits: they are blurry, and
# some fall between two digits.
#
# Now look at the plain autoencoder with a **fitted** Gaussian: far better than with
# $N(0, I)$, and on this small data set about as good as the VAE, sometimes better (the
# line above gives this run's figures). That
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
codes_2d = predict(vae_2d, ds.test.images, method="encode")
plots.latent_scatter(codes_2d, ds.test.labels, ds.classes,
                     title="Test images at their code means in the 2-D VAE (colours: true labels)")

# %% slideshow={"slide_type": "fragment"}
say("The code means have mean ({m0:+.2f}, {m1:+.2f}) and spread {s0:.2f} and {s1:.2f} (N(0, I): 0 and 1); "
    "{inside:.0%} of them lie inside the square [-2, 2]² drawn above.", m0=float(codes_2d[:, 0].mean()),
    m1=float(codes_2d[:, 1].mean()), s0=float(codes_2d[:, 0].std()), s1=float(codes_2d[:, 1].std()),
    inside=float((codes_2d.abs() <= 2).all(1).float().mean()))

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


# %% slideshow={"slide_type": "fragment"}
say("Samples recognised by the judge: {rec}.", rec=", ".join(
    f"{sweep[b]['score'].recognised:.1%} at β = {b:g}" for b in BETAS))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Predict before you run
#
# Turn the KL weight far up: $\beta$ = `COLLAPSE_BETA` (100), trained for a few epochs.
# Of the `LATENT_DIM` (16) latent dimensions, how many will carry more than 0.1 nats of KL
# per test image: "all 16", "about half", "one or two", or "none"? Answer before running
# the cell after the next one.

# %% slideshow={"slide_type": "subslide"}
guess = ...  # one of "all 16", "about half", "one or two", "none"
exercises.get("08-how-many-dimensions-survive").check(guess)


# %% slideshow={"slide_type": "subslide"}
@torch.no_grad()
def kl_per_dimension(model: ConvVAE, x: torch.Tensor) -> torch.Tensor:
    """The KL term of each latent dimension, in nats, averaged over the images x."""
    model.eval()
    mean, log_var = model.encode_distribution(x.to(next(model.parameters()).device))
    return (0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var)).mean(0).cpu()


collapsed, history_collapsed = train_vae(LATENT_DIM, COLLAPSE_BETA, COLLAPSE_EPOCHS)
kl_dims = {beta: kl_per_dimension(s["model"], ds.test.images) for beta, s in sweep.items()}
kl_dims[COLLAPSE_BETA] = kl_per_dimension(collapsed, ds.test.images)
print(f"β = {COLLAPSE_BETA:g}: {int((kl_dims[COLLAPSE_BETA] > 0.1).sum())} of {LATENT_DIM} dimensions carry "
      f"more than 0.1 nats; the largest carries {kl_dims[COLLAPSE_BETA].max():.4f}")
# exercises.get("08-how-many-dimensions-survive").solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Write the sample and the KL term
#
# Write `sample_and_kl(mean, log_var)`, the two lines at the heart of the VAE's loss. Return
# `z`, a sample of $N(\mu, \sigma^2)$ written with the reparameterisation trick so that
# gradients reach `mean` and `log_var` (remember: `log_var` is $\log\sigma^2$), and `kl`,
# the closed-form $\mathrm{KL}(q(z|x)\,\|\,N(0, I))$ of each row in nats (the formula
# above). Both tensors are `(N, k)`. The check compares the KL with the lesson's own and
# tests the sample's spread and its gradients.

# %% slideshow={"slide_type": "subslide"}
def sample_and_kl(mean: torch.Tensor, log_var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # YOUR CODE HERE (about 4 lines)
    raise NotImplementedError


exercise = exercises.get("08-sample-and-kl")
exercise.check(sample_and_kl)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The KL term by sampling
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### In your own words
#
# The VAE trained with $\beta$ = `COLLAPSE_BETA` draws the same image whatever it is
# given (the next section shows it). Why is that image the best its decoder can do, and
# why does its encoder end up saying nothing?

# %% slideshow={"slide_type": "subslide"}
answer = ...  # a sentence or two, as a string
exercises.get("08-why-collapse").check(answer)
# exercises.get("08-why-collapse").solution()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What goes wrong: posterior collapse
#
# The KL term is a price on information: every nat the code carries about an image costs
# $\beta$ nats of loss. If no nat of code buys back as much in reconstruction, the cheapest
# code is none at all: $q(z|x) = N(0, I)$ for every image, KL = 0, and a decoder that has
# learnt to ignore $z$. This is **posterior collapse**. A large $\beta$ is the simplest way
# to get there; the other classic one is a decoder strong enough to model the images
# without help (an autoregressive decoder of text or pixels), which collapses even at
# $\beta = 1$. The KL of each latent dimension, for every VAE of the sweep and for
# $\beta$ = `COLLAPSE_BETA`:

# %% slideshow={"slide_type": "subslide"}
kl_fig = go.Figure()
for i, (beta, kl_d) in enumerate(sorted(kl_dims.items())):
    kl_fig.add_bar(x=list(range(1, LATENT_DIM + 1)), y=kl_d.sort(descending=True).values.numpy(),
                   name=f"β = {beta:g}", marker_color=plots.PALETTE[i % len(plots.PALETTE)])
kl_fig.update_layout(barmode="group", height=360, title="KL per latent dimension on the test images, largest first",
                     xaxis_title="latent dimension (sorted)", yaxis_title="KL (nats per image)")
kl_fig

# %% slideshow={"slide_type": "subslide"}
plots.image_grid({"test images": ds.test.images[:12],
                  f"β={COLLAPSE_BETA:g}: reconstructed": predict(collapsed, ds.test.images[:12]),
                  f"β={COLLAPSE_BETA:g}: samples": sample_prior(collapsed, 12, seed=SEED)},
                 title="A collapsed VAE: the decoder ignores the code")

# %% slideshow={"slide_type": "fragment"}
recon_collapsed = predict(collapsed, ds.test.images)
spread = float(recon_collapsed.std(0).mean())  # how much the reconstruction changes from image to image
spread_samples = float(sample_prior(collapsed, N_SAMPLES, seed=SEED).std(0).mean())
active = {beta: int((kl_d > 0.1).sum()) for beta, kl_d in sorted(kl_dims.items())}
check_claim(f"at β = {COLLAPSE_BETA:g} the posterior collapses: every latent dimension carries under 0.1 nats, and "
            "the decoder draws nearly the same image for every input",
            active[COLLAPSE_BETA] == 0 and spread < 0.01,
            f"largest KL per dimension {kl_dims[COLLAPSE_BETA].max():.4f} nats; reconstructions vary by "
            f"{spread:.4f} per pixel across test images, the test images by {float(ds.test.images.std(0).mean()):.3f}",
            smoke=SMOKE)
say("Dimensions carrying more than 0.1 nats: {active}. The collapsed VAE's test loss: reconstruction "
    "{r:.1f} nats, KL {kl:.3f} nats. Its samples vary by {ss:.3f} per pixel from one to the next.",
    active=", ".join(f"{n} of {LATENT_DIM} at β = {b:g}" for b, n in active.items()),
    r=elbo_split(collapsed, ds.test.images, seed=SEED)[0], kl=float(kl_dims[COLLAPSE_BETA].sum()), ss=spread_samples)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The sweep shows the way down: as $\beta$ grows, the KL drains from the dimensions
# unevenly, the least useful first, until at a large enough $\beta$ none is left. The
# collapsed VAE draws the same blurred blob whatever the input: every reconstruction is
# the same image, and its samples are one brighter blob with small variations (they decode
# random $z$, the reconstructions the code's mean, $z \approx 0$). Nothing about the input
# reaches the decoder, so the best it can draw is a kind of average digit, the image that
# minimises the reconstruction error when nothing is known about the input. Its loss is
# not broken; it is optimal for a weight that makes information too dear.
#
# The remedies keep the code worth its price: a smaller $\beta$; **KL annealing**, which
# starts training with $\beta$ near 0 and raises it, so that the decoder learns to use
# $z$ before the price is paid (Bowman et al., 2016); **free bits**, which stop charging
# for the first few nats of each dimension (Kingma et al., 2016); and, against the strong
# decoder, a weaker one. Watch the KL per dimension during training: a dimension at 0
# nats is a dimension the decoder does not use.

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
    "collapse_beta": COLLAPSE_BETA,
    "kl_per_dimension": {f"{b:g}": kl_d.tolist() for b, kl_d in sorted(kl_dims.items())},
    "collapsed_reconstruction_spread": spread, "collapsed_sample_spread": spread_samples,
    "train_seconds": sum({id(h): h.seconds for h in (history_clf, history_ae, history_vae, history_2d,
                                                     history_collapsed,
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
# * When information costs more than it buys back, the posterior collapses: every
#   dimension's KL falls to 0 and the decoder ignores the code. Watch the KL per dimension.
#
# **Next:** lesson 09 uses an autoencoder as a compressor and counts the rate in bits.
# Lesson 06 (VQ-VAE) replaces the Gaussian code by a discrete one.
#
# ## References
#
# * D. P. Kingma, M. Welling. *Auto-encoding variational Bayes.* ICLR 2014.
# * D. J. Rezende, S. Mohamed, D. Wierstra. *Stochastic backpropagation and approximate
#   inference in deep generative models.* ICML 2014.
# * I. Higgins, L. Matthey, A. Pal, C. Burgess, X. Glorot, M. Botvinick, S. Mohamed,
#   A. Lerchner. *β-VAE: learning basic visual concepts with a constrained variational
#   framework.* ICLR 2017.
# * S. R. Bowman, L. Vilnis, O. Vinyals, A. M. Dai, R. Jozefowicz, S. Bengio. *Generating
#   sentences from a continuous space.* CoNLL 2016 (posterior collapse, KL annealing).
# * D. P. Kingma, T. Salimans, R. Jozefowicz, X. Chen, I. Sutskever, M. Welling. *Improved
#   variational inference with inverse autoregressive flow.* NeurIPS 2016 (free bits).
# * P. Ghosh, M. S. M. Sajjadi, A. Vergari, M. Black, B. Schölkopf. *From variational to
#   deterministic autoencoders.* ICLR 2020.
# * Hung-yi Lee (李宏毅). *Machine Learning* lecture "Auto-encoder" (National Taiwan
#   University), where the VAE is the autoencoder whose decoder generates.
