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
# # 04 · Feature disentanglement: can each number of the code mean one thing?
#
# The autoencoders of lessons 01 and 08 squeeze an image into a handful of numbers and get
# it back. But ask what one of those numbers *means* and there is rarely an answer: nudge
# `z[3]` and the digit gets a little thicker, a little more slanted and a little more like
# a 9, all at once. Every number mixes several properties of the image. The code is
# **entangled**.
#
# A **disentangled** code would have one number for each property that really varies in
# the data (its **generative factors**): one for the position, one for the size, one for
# the rotation, and moving one number would change that property alone. Can an
# autoencoder learn such a code without being told what the factors are?
#
# To answer, we need data whose factors we know exactly, so we make it:
#
# 1. a **data set drawn in code**, in the spirit of DeepMind's dSprites: white shapes on
#    black whose shape, scale, rotation and x/y position come with every image;
# 2. **three models** with one encoder/decoder design: a plain autoencoder, a VAE (lesson
#    08) and a **β-VAE**, a VAE whose KL term weighs β times more;
# 3. **a measurement**: how much each latent number tells about each factor (mutual
#    information), side by side for the three models, summed up in one score, the
#    **Mutual Information Gap** (MIG);
# 4. **latent traversals**: a slider per latent number that redraws the decoded image live,
#    and the same as a static grid;
# 5. **what goes wrong**: the same β-VAE on sprites whose x and y move on the same grid.
#
# **You will be able to**
#
# * say what an entangled and a disentangled code are, and why reconstruction alone
#   cannot tell them apart;
# * say what a VAE's KL term does to each number of a code, and why a β-VAE (β > 1)
#   switches some numbers off and tends to give each factor a number of its own;
# * measure disentanglement on data with known factors: the mutual information of every
#   latent number with every factor, and the Mutual Information Gap (MIG);
# * read latent traversals, and check what they show with measurements;
# * name the blind spot of the β-VAE: factors that change the image alike can be blended
#   at no cost, and measure it.
#
# **Prerequisites:** lesson 01 (autoencoders, the convolutional encoder and decoder,
# training with `course.train.fit`). Lesson 08 teaches the VAE in full; this lesson needs
# only the short primer on its KL term in section 2, so it can come first.
#
# **Time:** a little over two minutes of computing on a laptop CPU (four small models,
# about 30 s each on one core), seconds on a GPU; trained models are cached (lesson 00), so a
# second run takes seconds. Reading and playing: 45 minutes.
#
# **Key terms 关键词** ([glossary 术语表](glossary.md)): feature disentanglement 特征解耦 · factor of variation 变化因素 · entangled code 纠缠编码 · variational autoencoder (VAE) 变分自编码器 · KL divergence 相对熵 (KL 散度) · mutual information 互信息 · MIG (mutual information gap) 互信息差 · latent traversal 隐变量遍历

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
N_TRAIN = 6000  # training images (the factor grid has 3 x 5 x 8 x 13 x 4, or 6,240, combinations)
N_VAL = 500  # validation images
N_TEST = 2000  # held-out images on which mutual information and MIG are measured
LATENT_DIM = 10  # size of z for all three models: twice the number of factors
CHANNELS = [16, 32]  # convolution channels of the shared encoder/decoder design
EPOCHS = 20  # epochs for each of the four models (~1.5 s each on one CPU core)
BATCH_SIZE = 64  # images per gradient step
LR = 4e-3  # peak learning rate of the one-cycle schedule
BETA = 12.0  # KL weight of the β-VAE; the VAE has 1
BINS = 20  # bins per latent dimension when counting mutual information
TRAVERSAL_IMAGE = 0  # which test image the static traversals start from
SAME_GRID_Y = 13  # "What goes wrong": y positions of the second data set (13: x's grid; 4: the data above)
SEED = 0  # seeds the data set and every model
USE_CACHE = True  # reload models trained earlier with exactly these settings
SMOKE = False  # True: a few seconds of training for CI; claims are shown, not asserted

# %% slideshow={"slide_type": "skip"}
from course.params import (boolean, check_parameters, epoch_cost, integer, list_of, number, require, seed,
                           training_time)

check_parameters(
    N_TRAIN=(N_TRAIN, integer(min=100, max=200_000)),
    N_VAL=(N_VAL, integer(min=10, max=50_000)),
    N_TEST=(N_TEST, integer(min=200, max=50_000)),
    LATENT_DIM=(LATENT_DIM, integer(min=2, max=64)),
    CHANNELS=(CHANNELS, list_of(integer(min=1, max=256), min_len=2, max_len=2)),
    EPOCHS=(EPOCHS, integer(min=1)),
    BATCH_SIZE=(BATCH_SIZE, integer(min=1, max=4096)),
    LR=(LR, number(min=1e-6, max=1.0)),
    BETA=(BETA, number(min=0.0, max=1000.0)),
    BINS=(BINS, integer(min=2, max=200)),
    TRAVERSAL_IMAGE=(TRAVERSAL_IMAGE, integer(min=0)),
    SAME_GRID_Y=(SAME_GRID_Y, integer(min=1, max=13)),
    SEED=(SEED, seed()),
    USE_CACHE=(USE_CACHE, boolean()),
    SMOKE=(SMOKE, boolean()),
)
n_test = 500 if SMOKE else N_TEST  # the smoke run measures on 500 test images
require(TRAVERSAL_IMAGE < n_test, f"TRAVERSAL_IMAGE = {TRAVERSAL_IMAGE}, but there are only {n_test} test images "
                                  f"(numbered 0 to {n_test - 1})")
# One epoch of one model is 0.25 s per 1,000 images on one core with CHANNELS = [16, 32]
# (measured: 31 s for 20 epochs of 6,000); the convolutions' work grows with
# 1 x CHANNELS[0] + CHANNELS[0] x CHANNELS[1].
work = N_TRAIN / 1000 * (CHANNELS[0] + CHANNELS[0] * CHANNELS[1]) / 528
budget = training_time(EPOCHS=(EPOCHS, 4 * epoch_cost(0.25, work, BATCH_SIZE)))  # AE, VAE, β-VAE, β-VAE on x/y
if SMOKE:  # after the checks, never instead of them
    N_TRAIN, N_TEST, EPOCHS = 500, 500, 1
    budget = budget.with_counts(EPOCHS=EPOCHS)
print(budget)

# %% slideshow={"slide_type": "skip"}
import numpy as np
import torch
from IPython.display import display

from course import disentangle, exercises, plots, sprites
from course.device import get_device, seed_everything
from course.diagrams import flow
from course.disentangle import kl_per_dimension, mi_heatmaps, mig, traversal, traversal_explorer
from course.models import ConvAutoencoder, count_parameters
from course.prose import say
from course.results import check_claim, record_results
from course.show import show_source
from course.train import fit, predict, reconstruction_loss
from course.vae import ConvVAE, ELBOLoss, elbo_loss

seed_everything(SEED)
device = get_device()
print(f"device: {device}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A world whose factors we know
#
# Each image is drawn from five numbers, its **factors**, each on a small grid of values:
# the shape (square, ellipse or heart), its scale (from half to full size), its rotation,
# and its x and y position. `sprites.generate` draws random factor combinations with the
# seed and renders them; the same seed gives the same images, bit for bit. Edges are
# anti-aliased, so a turn of a few degrees changes the pixels. Rotations stay within
# ±35°: a square looks the same after a quarter turn, so over a full turn its rotation
# could not be read from the image.

# %% slideshow={"slide_type": "subslide"}
show_source(sprites.generate)

# %% slideshow={"slide_type": "subslide"}
data = sprites.generate(N_TRAIN + N_VAL + N_TEST, seed=SEED)
train, val, test = data.split(N_TRAIN, N_VAL, N_TEST)
image_shape = tuple(train.images.shape[1:])

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
print(data)
print(f"{len(train)} training, {len(val)} validation, {len(test)} test images")
print("test image 0:", sprites.describe(test.factors[0]))

# %% slideshow={"slide_type": "subslide"}
plots.image_grid({"random draws": train.images[:12], "more": train.images[12:24]},
                 title="Training images", cell_px=48)

# %% [markdown] slideshow={"slide_type": "subslide"}
# What each factor does on its own: every row starts from the same sprite and walks one
# factor through its whole grid (rows end where a factor has fewer values).

# %% slideshow={"slide_type": "fragment"}
base = [2, 2, 3, 6, 1]  # a heart of middle size, nearly upright, near the centre
rows = {}
for j, name in enumerate(sprites.FACTOR_NAMES):
    walk = torch.tensor([base[:j] + [v] + base[j + 1:] for v in range(sprites.FACTOR_SIZES[j])])
    blank = torch.zeros(max(sprites.FACTOR_SIZES) - len(walk), *image_shape)
    rows[name] = torch.cat([sprites.render(walk), blank])
plots.image_grid(rows, title="One factor at a time", cell_px=40)

# %% [markdown] slideshow={"slide_type": "subslide"}
# x takes 13 positions a pixel apart, y only 4. That is on purpose, and the reason is at
# the heart of this lesson; we come back to it below. Here is how much each factor
# changes the pixels (the variance of the pixels, summed, when only that factor changes):

# %% slideshow={"slide_type": "fragment"}
pixel_variance = sprites.pixel_variance(seed=SEED)
print("  ".join(f"{name} {value:.1f}" for name, value in pixel_variance.items()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Entangled and disentangled codes
#
# Any code from which a decoder can redraw the image must carry these five factors
# somehow. A code $z$ that *is* the factors, one per number, is disentangled. Now turn it:
# $z' = R z$ for a rotation matrix $R$. Nothing is lost (the decoder can undo $R$), so
# reconstruction is exactly as good, but every number of $z'$ is now a blend of all five
# factors. Reconstruction alone cannot tell these two codes apart, so a plain
# autoencoder, trained on reconstruction alone, has no reason to prefer the first.
#
# A VAE has a reason. Lesson 08 teaches the VAE in full; this lesson needs one part of
# it, its KL term, and here is that part on its own.
#
# ### A primer: what the KL term does to a code
#
# A VAE's encoder does not give an image one code. For each latent number $z_j$ it gives
# a mean $\mu_j(x)$ and a spread $\sigma_j(x)$, and the decoder reads a *noisy* draw,
# $z_j = \mu_j + \sigma_j\,\varepsilon$ with $\varepsilon$ drawn from $N(0, 1)$. The loss
# adds to the reconstruction error a charge for every number: how far its distribution
# $q(z_j|x) = N(\mu_j, \sigma_j^2)$ is from the standard normal $N(0, 1)$, the **KL
# divergence**
#
# $$\mathrm{KL}_j = \tfrac12\left(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\right) \text{ nats} .$$
#
# Read it as a price list (the table below computes it):
#
# * **A number that says nothing costs nothing.** With $\mu_j = 0$ and $\sigma_j = 1$ for
#   every image, the number is the standard normal itself: KL 0. The decoder then reads
#   pure noise there, learns to ignore it, and the number is **switched off**.
# * **A number that carries information pays for it.** To tell images apart it must give
#   them different means, and a spread small enough that the noise does not blur the
#   difference. Both cost: a mean moved to $\mu$ costs $\mu^2/2$, and each halving of the
#   spread costs about $\log 2 \approx 0.7$ nats.
# * So the encoder keeps a number, and makes it precise, only where that saves more
#   reconstruction error than it costs. Averaged over the images, a number's KL bounds
#   how much it can tell the decoder about the image.
#
# Lesson 08 derives this loss (the ELBO), shows how the noisy draw lets gradients through
# (the reparameterisation trick), and decodes random codes into new images. Here the
# price list is all we need.

# %% slideshow={"slide_type": "subslide"}
def kl_nats(mean: float, std: float) -> float:
    """KL(N(mean, std²) || N(0, 1)) in nats: the price of one latent number for one image."""
    return 0.5 * (mean ** 2 + std ** 2 - 1.0 - 2.0 * np.log(std))


plots.Table([{"the number's mean μ": mean, "its spread σ": std, "what it tells the decoder": what,
              "KL (nats)": kl_nats(mean, std)}
             for mean, std, what in ((0.0, 1.0, "nothing: the prior itself, switched off"),
                                     (1.0, 1.0, "a little: a shift as large as the noise"),
                                     (2.0, 0.5, "more: a larger shift, half the noise"),
                                     (2.0, 0.1, "much: the same shift, a tenth of the noise"),
                                     (0.0, 0.1, "little: precise, but every image at 0"))],
            caption="The KL term's price for one number, for one image", digits=2)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The β-VAE: a higher price for every number
#
# Every latent number has its own noise (the spreads form a *diagonal* covariance) and
# its own charge. Blending two factors into two numbers then costs more than keeping
# them apart: each blended number must be precise enough for the more demanding of the
# two. The **β-VAE** (Higgins et al., 2017) makes the charge $\beta$ times higher, so the
# encoder switches off every number it can do without and keeps the rest as independent
# as it can:
#
# $$\text{loss} = \text{reconstruction} + \beta \cdot \mathrm{KL}\big(q(z|x)\,\|\,N(0, I)\big), \qquad \beta > 1 .$$
#
# The push towards pure axes has a blind spot, and it explains the x and y above. If two
# factors change the pixels by the same amount (x and y on the same grid, say), their
# numbers can be turned by any angle in their plane and every term of the loss stays the
# same: no axis is preferred, and which blend a model ends up with is chance (Rolinek et
# al., 2019). Factors that matter by clearly different amounts (x most, then scale, then
# y) have one best set of axes. DeepMind's dSprites moves x and y alike, and β-VAEs
# trained on it for hours often do find them; section "What goes wrong" below trains
# this lesson's β-VAE on x and y on the same grid, and measures what it finds.
#
# The price of a high β is the one lesson 08 measures: less information in the code and
# blurrier reconstructions. The picture, and the loss (lesson 08's, with `beta`):

# %% slideshow={"slide_type": "subslide"}
spreads, code = f"μ, σ for each\nof {LATENT_DIM} numbers", f"code z = μ + σ·ε\nz0 · z1 · … · z{LATENT_DIM - 1}"
flow("image x", "encoder", spreads, code, "decoder", "x̂", kinds="dedcgd",
     above={code: ("one number per factor?\nshape · scale · rotation · x · y", "d")},
     below={spreads: ("β · KL(q(z|x) ‖ N(0, I)):\na price for every number", "l"),
            "x̂": ("reconstruction\nerror", "l", "image x")},
     caption="A β-VAE: a noisy code with a price on each number; disentangled if each number holds one factor")

# %% slideshow={"slide_type": "subslide"}
show_source(elbo_loss)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Three models, one design
#
# All three use the convolutional encoder and decoder of lessons 01 and 08 (the VAE's
# encoder outputs a mean and a log-variance per latent number, its decoder logits) with
# `LATENT_DIM` numbers in the middle: twice as many as there are factors, so a model has
# room to spare and must choose. The plain autoencoder is trained on squared error
# (lesson 01), the VAE and the β-VAE on the loss above with $\beta = 1$ and
# $\beta =$ `BETA`. For the VAEs, "the code" of an image is the **mean** of $q(z|x)$.

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
channels = tuple(CHANNELS)
for name, model in {"plain autoencoder": ConvAutoencoder(image_shape, LATENT_DIM, channels),
                    "VAE and β-VAE": ConvVAE(image_shape, LATENT_DIM, channels)}.items():
    print(f"{name:>18}: {count_parameters(model):>7,} parameters")

# %% slideshow={"slide_type": "subslide"}
def train_model(name: str, beta: float | None, data: tuple[sprites.Sprites, sprites.Sprites] = (train, val)):
    """The plain autoencoder (beta None) or a VAE with KL weight beta, trained on ``data``
    (training and validation images) or loaded from the cache."""
    images, val_images = (d.images for d in data)
    seed_everything(SEED)
    if beta is None:
        model, loss_fn = ConvAutoencoder(image_shape, LATENT_DIM, channels), reconstruction_loss
    else:
        model, loss_fn = ConvVAE(image_shape, LATENT_DIM, channels), ELBOLoss(beta)
    history = fit(model, images, val=val_images, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR,
                  loss_fn=loss_fn, seed=SEED, cache=USE_CACHE, desc=name)
    print(f"{name}: {'loaded from cache' if history.from_cache else f'trained in {history.seconds:.1f} s'}")
    return model, history


models, histories = {}, {}
for name, beta in (("plain AE", None), ("VAE", 1.0), ("β-VAE", BETA)):
    models[name], histories[name] = train_model(name, beta)

# %% slideshow={"slide_type": "subslide"}
shown = test.images[:12]
display(plots.image_grid({"test images": shown, **{name: predict(m, shown) for name, m in models.items()}},
                         title="Reconstructions of test images", cell_px=48))
mse = {name: float((predict(m, test.images) - test.images).pow(2).mean()) for name, m in models.items()}
say("Mean squared error per pixel on the {n} test images: plain autoencoder {ae:.4f}, VAE {vae:.4f}, "
    "β-VAE {beta_vae:.4f} ({ratio:.0f} times the plain autoencoder's).", n=len(test), ae=mse["plain AE"],
    vae=mse["VAE"], beta_vae=mse["β-VAE"], ratio=mse["β-VAE"] / mse["plain AE"]);

# %% [markdown] slideshow={"slide_type": "subslide"}
# The plain autoencoder and the VAE redraw the sprites well. The β-VAE pays for its high
# β: every sprite comes back as a round blob of about the right size in about the right
# place, and squares, ellipses and hearts look alike. Which of its numbers did it keep? A
# VAE's KL term, taken number by number, says how much each one carries (the primer
# above); near 0 the encoder gives every image the prior itself there, and the number is
# **switched off**.

# %% slideshow={"slide_type": "subslide"}
show_source(kl_per_dimension)

# %% slideshow={"slide_type": "subslide"}
kl = {name: kl_per_dimension(m, test.images) for name, m in models.items() if isinstance(m, ConvVAE)}
active = {name: (kl[name] > 0.1).tolist() if name in kl else [True] * LATENT_DIM for name in models}
plots.Table([{"model": name, **{f"z{j}": round(float(v), 2) for j, v in enumerate(values)},
              "numbers in use (KL > 0.1)": sum(active[name])} for name, values in kl.items()],
            caption="KL per latent number, nats per image (the plain autoencoder has no KL)", digits=2)

# %% slideshow={"slide_type": "fragment"}
say("The β-VAE keeps {on} of its {k} numbers and switches off the other {off}; the VAE, with β = 1, "
    "keeps {vae_on}.", on=sum(active["β-VAE"]), k=LATENT_DIM, off=LATENT_DIM - sum(active["β-VAE"]),
    vae_on=sum(active["VAE"]));

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Measuring what each latent number knows
#
# Encode the test images, then ask, for every latent number $z_j$ and every factor $v_i$:
# how much does knowing $z_j$ tell about $v_i$? The answer is their **mutual information**
# $I(z_j; v_i)$, in bits. To count it, cut the values of $z_j$ into `BINS` equally full
# bins, count how often each bin meets each factor value, and compare that table with
# what independence would give:
#
# $$I(z_j; v_i) = \sum_{a, b} p(a, b) \log_2 \frac{p(a, b)}{p(a)\,p(b)} .$$
#
# Divided by the factor's entropy $H(v_i)$ (all there is to know about it: 3.7 bits for
# 13 equally likely x positions, 2 for the 4 y positions) it is the share of the factor
# that $z_j$ pins down, from 0 to 1.

# %% slideshow={"slide_type": "subslide"}
show_source(disentangle.discretise)

# %% slideshow={"slide_type": "subslide"}
codes = {name: predict(m, test.images, method="encode") for name, m in models.items()}
scores = {name: mig(z, test.factors, bins=BINS) for name, z in codes.items()}
columns = {name: [f"z{j}" if on else f"z{j} off" for j, on in enumerate(active[name])] for name in models}
mi_heatmaps({name: s.matrix for name, s in scores.items()}, sprites.FACTOR_NAMES,
            scores={name: s.score for name, s in scores.items()}, columns=columns)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Read each panel row by row. In the plain autoencoder's, every factor is spread thinly
# over several numbers: no cell is bright, many are lukewarm. The VAE's is much the same.
# The β-VAE's has a few bright cells, each in its own column: one number for x, one for
# y, one for the scale. Its switched-off columns are darker, but not all black: their
# means still wiggle a little with the image, and mutual information, counted in equally
# full bins, does not care how small a wiggle is. The decoder does, and ignores them (the
# traversals below show it). No model says much about the rotation, the subtlest factor,
# and the β-VAE gave up the shape for its high β. The numbers behind these words:

# %% slideshow={"slide_type": "fragment"}
beta_matrix, beta_off = scores["β-VAE"].matrix, ~np.array(active["β-VAE"])
bright = [(f, int(beta_matrix[i].argmax()), float(beta_matrix[i].max()))
          for i, f in enumerate(sprites.FACTOR_NAMES) if beta_matrix[i].max() >= 0.3]
say("Brightest cell of the plain autoencoder: {ae:.2f}; of the VAE: {vae:.2f}. The β-VAE's bright cells "
    "(0.3 or more): {bright}; the brightest cell of its switched-off columns: {off:.2f}. The rotation: at most "
    "{rotation:.2f} in any model. The shape: at most {shape:.2f} in the β-VAE.",
    ae=scores["plain AE"].matrix.max(), vae=scores["VAE"].matrix.max(),
    bright=", ".join(f"z{j} knows {v:.2f} of {f}" for f, j, v in bright) or "none",
    off=beta_matrix[:, beta_off].max() if beta_off.any() else 0.0,
    rotation=max(s.matrix[sprites.FACTOR_NAMES.index("rotation")].max() for s in scores.values()),
    shape=beta_matrix[sprites.FACTOR_NAMES.index("shape")].max());

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One number for the whole picture: the Mutual Information Gap
#
# A disentangled code has, for every factor, one latent number that knows much about it
# and **no second one** that knows nearly as much. The MIG (Chen et al., 2018) measures
# exactly that: for each factor, the normalised MI of the best latent number minus that
# of the runner-up, averaged over the factors. It is 1 when each factor lives in a number
# of its own, and 0 when the best two know the same, as in a rotated code. The unit tests
# check both, on codes built by hand (`tests/test_disentangle.py`).

# %% slideshow={"slide_type": "subslide"}
show_source(mig)

# %% slideshow={"slide_type": "subslide"}
plots.Table([{"model": name, **{f"gap: {f}": g for f, g in zip(sprites.FACTOR_NAMES, s.gaps)},
              "MIG": s.score} for name, s in scores.items()],
            caption="Mutual Information Gap per factor, and their mean (0: entangled, 1: disentangled)")

# %% slideshow={"slide_type": "subslide"}
mig_ae, mig_vae, mig_beta_vae = (scores[n].score for n in ("plain AE", "VAE", "β-VAE"))
check_claim(f"the β-VAE (β={BETA:g}) has a higher MIG than the plain autoencoder",
            mig_beta_vae > mig_ae, f"{mig_beta_vae:.3f} vs {mig_ae:.3f}", smoke=SMOKE)
check_claim(f"the β-VAE's MIG is at least twice the plain autoencoder's",
            mig_beta_vae >= 2 * mig_ae, f"{mig_beta_vae:.3f} vs 2 x {mig_ae:.3f}", smoke=SMOKE)
say("The β-VAE's MIG, {beta_vae:.2f}, is {ratio:.0f} times the plain autoencoder's ({ae:.2f}); the VAE's is "
    "{vae:.2f}.", beta_vae=mig_beta_vae, ratio=mig_beta_vae / max(mig_ae, 1e-9), ae=mig_ae, vae=mig_vae);

# %% [markdown] slideshow={"slide_type": "subslide"}
# So the β-VAE's MIG is several times the plain autoencoder's, and still far from 1: the
# shape and the rotation have no number of their own, and even the factors it did
# separate leak a little into a second number. That is typical: β-VAEs trained for hours
# on dSprites score around 0.1 to 0.3 too (Locatello et al., 2019). The VAE stays close
# to the plain autoencoder: with $\beta = 1$ the push towards pure axes is there, but too
# weak to win in a short training.
#
# ## Latent traversals: what does each number do?
#
# The measurement says *which* factor a latent number knows about. A **traversal** shows
# it: take the code of one image, move a single number from low to high (from the 2nd to
# the 98th percentile of its values over the test images), keep every other number, and
# decode. Each row below moves one number; its label names the factor it knows most
# about (`-`: none, by more than a fifth of the factor; `off`: switched off).

# %% slideshow={"slide_type": "subslide"}
show_source(traversal)

# %% slideshow={"slide_type": "subslide"}
image = test.images[TRAVERSAL_IMAGE]
labels = {name: disentangle.dimension_labels(s.matrix, sprites.FACTOR_NAMES, active=active[name])
          for name, s in scores.items()}
traversal_figures, effects = {}, {}
for name, model in models.items():
    low, high = disentangle.latent_ranges(codes[name])
    grid = traversal(model, image, low, high, steps=9)
    effects[name] = disentangle.traversal_effects(grid)
    traversal_figures[name] = plots.image_grid(
        {f"z{j} · {labels[name][j]}": grid[j] for j in range(LATENT_DIM)}, cell_px=36,
        title=f"{name}: one latent number at a time, from {sprites.describe(test.factors[TRAVERSAL_IMAGE])}")
traversal_figures["plain AE"]

# %% slideshow={"slide_type": "subslide"}
traversal_figures["VAE"]

# %% slideshow={"slide_type": "subslide"}
traversal_figures["β-VAE"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# In the plain autoencoder's grid most rows change several things at once: the sprite
# grows or shrinks as it moves, or changes its outline as it grows. In the β-VAE's, the
# rows marked `off` change nothing, and the three others each do mostly one thing: the
# scale row grows the blob, nearly in place; the y row slides it up and down (a little: y's
# grid spans three pixels), and the x row slides it sideways, though the blob also swells
# towards both ends of that row. That is what "disentangled" looks like, nearly, and also
# what it cost: every shape is drawn as a blob.
#
# The eye can be fooled by small pictures, so measure the rows too
# (`disentangle.traversal_effects`): how far each row moves the sprite's centre of mass,
# and how much its ink (the sum of its pixels) changes along the row.

# %% slideshow={"slide_type": "subslide"}
show_source(disentangle.traversal_effects)

# %% slideshow={"slide_type": "subslide"}
def effect_cell(label: str, e: disentangle.TraversalEffect) -> str:
    return "no change" if e.change < 1 else f"{label}: {e.dx:+.1f}, {e.dy:+.1f} px; ink ×{e.ink:.1f}"


plots.Table([{"number": f"z{j}", **{name: effect_cell(labels[name][j], effects[name][j]) for name in models}}
             for j in range(LATENT_DIM)],
            caption="What each traversal row does: the label, how far it moves the sprite (right, down), "
                    "and the largest ink along the row over the smallest")

# %% slideshow={"slide_type": "fragment"}
moving = lambda name: sum(e.moves() != "" and e.ink >= 1.2 for e in effects[name])  # noqa: E731
on_rows = [e for e, on in zip(effects["β-VAE"], active["β-VAE"]) if on]
off_rows = [e for e, on in zip(effects["β-VAE"], active["β-VAE"]) if not on]
say("{ae_both} of the plain autoencoder's {k} rows both move the sprite by a pixel or more and change its ink "
    "by 20% or more. The β-VAE's switched-off rows change the image by at most {off:.1f} (the summed absolute "
    "change of its pixels), its other rows by {on:.0f} or more.", ae_both=moving("plain AE"), k=LATENT_DIM,
    off=max((e.change for e in off_rows), default=0.0), on=min((e.change for e in on_rows), default=0.0));

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Play with it.** Pick a model and a test image; the sliders start at that image's code.
# Move one and the right panel redraws the decoded image at once. Try the β-VAE's x, y and
# scale numbers, then any number of the plain autoencoder. (The figure updates in place;
# in a saved notebook without a kernel a picture of how it starts stands in its place, and
# the grids above show the same walks.)

# %% slideshow={"slide_type": "subslide"}
explorer = traversal_explorer(models, test.images[:100], names=labels,
                              captions=[sprites.describe(f) for f in test.factors[:100]])
explorer

# %% [markdown] slideshow={"slide_type": "subslide"}
# A slider is only fun if it keeps up with your hand. Each move decodes one code on one
# CPU thread and sends the new picture to the figure; we time 60 moves, as a learner
# would drag (what the browser then draws is not included). The budget is 50 ms a move.

# %% slideshow={"slide_type": "fragment"}
step_times = disentangle.time_slider_steps(explorer, moves=60)
slider_update_ms = disentangle.median_ms(step_times)
print(f"median {slider_update_ms:.1f} ms per slider move (slowest {max(step_times):.1f} ms)")
check_claim("a latent slider decodes and redraws in at most 50 ms (median)", slider_update_ms <= 50,
            f"{slider_update_ms:.1f} ms", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Predict before you run
#
# Take the most rotated code there is for two factors: x and y on the 13 x 13 grid of the
# sprites, all 169 positions once, and the code $z_1 = x + y$, $z_2 = x - y$ (the pure axes
# turned by 45°). Together the two numbers pin down x and y exactly. What share of x does
# $z_1$ **alone** pin down, counted as in this lesson (normalised mutual information)?

# %% slideshow={"slide_type": "subslide"}
guess = ...  # one of "none of it", "about a fifth", "about half", "all of it"
exercises.get("04-share-of-a-turned-code").check(guess)

# %% slideshow={"slide_type": "subslide"}
grid_x, grid_y = (v.ravel() for v in np.meshgrid(np.arange(13), np.arange(13)))
turned = np.stack([grid_x + grid_y, grid_x - grid_y], axis=1)
share = disentangle.normalised_mi(turned, np.stack([grid_x, grid_y], axis=1), bins=BINS)
plots.Table([{"factor": f, "z1 = x + y": share[i, 0], "z2 = x - y": share[i, 1]} for i, f in enumerate("xy")],
            caption="A code turned by 45°: the share of each factor that each number pins down")
# exercises.get("04-share-of-a-turned-code").solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Write it: mutual information, counted in a table
#
# MIG rests on one small function. Write `mutual_information_bits(a, b)` for two discrete
# variables given as arrays of paired observations (integer labels, not necessarily
# 0, 1, 2, ...): count how often each pair of values occurs, divide by the number of
# observations to get $p(a, b)$, take its row and column sums as $p(a)$ and $p(b)$, and sum
# $p(a, b) \log_2 \frac{p(a, b)}{p(a)\,p(b)}$ over the pairs that occur. The check compares
# it with a reference on cases whose answer is known.

# %% slideshow={"slide_type": "subslide"}
def mutual_information_bits(a: np.ndarray, b: np.ndarray) -> float:
    # YOUR CODE HERE (about 7 lines)
    raise NotImplementedError


exercise = exercises.get("04-mutual-information")
exercise.check(mutual_information_bits)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### In your own words
#
# The plain autoencoder redraws the sprites far better than the β-VAE, yet its MIG is a
# fraction of the β-VAE's. A colleague says: "the better the reconstruction, the better
# the code". Why is that wrong here? Say what reconstruction cannot see, and what the
# β-VAE pays for its better-organised code.

# %% slideshow={"slide_type": "subslide"}
answer = ...  # a sentence or two, as a string
exercises.get("04-reconstruction-is-not-disentanglement").check(answer)
# exercises.get("04-reconstruction-is-not-disentanglement").solution()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What goes wrong: x and y on the same grid
#
# The sprites move x over 13 positions and y over only 4, so that x changes the pixels
# about three times as much as y. Here is the case that choice avoids: y on x's grid
# (`SAME_GRID_Y` = 13 positions), so that the two change the image alike. Everything else
# stays: the same seed draws the very same shapes, scales, rotations and x positions
# (only y is drawn again), and the same β-VAE is trained on them with the same β, seed
# and epochs.

# %% slideshow={"slide_type": "subslide"}
same = sprites.generate(N_TRAIN + N_VAL + N_TEST, seed=SEED, y_positions=SAME_GRID_Y)
same_train, same_val, same_test = same.split(N_TRAIN, N_VAL, N_TEST)
same_variance = sprites.pixel_variance(seed=SEED, y_positions=SAME_GRID_Y)
print(same)
print("how much each factor changes the pixels:",
      "  ".join(f"{name} {value:.1f}" for name, value in same_variance.items()))
same_model, same_history = train_model("β-VAE, x and y on one grid", BETA, (same_train, same_val))

# %% slideshow={"slide_type": "subslide"}
same_codes = predict(same_model, same_test.images, method="encode")
same_score = mig(same_codes, same_test.factors, bins=BINS)
same_active = (kl_per_dimension(same_model, same_test.images) > 0.1).tolist()
beta_name, same_name = f"β-VAE, y on {sprites.Y_POSITIONS} positions", f"β-VAE, y on {SAME_GRID_Y} positions"
mi_heatmaps({beta_name: scores["β-VAE"].matrix, same_name: same_score.matrix}, sprites.FACTOR_NAMES,
            scores={beta_name: mig_beta_vae, same_name: same_score.score},
            columns={beta_name: columns["β-VAE"],
                     same_name: [f"z{j}" if on else f"z{j} off" for j, on in enumerate(same_active)]},
            title="The same β-VAE, with y on its own small grid and on x's grid")

# %% slideshow={"slide_type": "subslide"}
same_labels = disentangle.dimension_labels(same_score.matrix, sprites.FACTOR_NAMES, active=same_active)
same_low, same_high = disentangle.latent_ranges(same_codes)
same_grid = traversal(same_model, same_test.images[TRAVERSAL_IMAGE], same_low, same_high, steps=9)
same_effects = disentangle.traversal_effects(same_grid)
display(plots.image_grid(
    {f"z{j} · {same_labels[j]}": same_grid[j] for j in range(LATENT_DIM)}, cell_px=36,
    title=f"{same_name}: one latent number at a time, from {sprites.describe(same_test.factors[TRAVERSAL_IMAGE])}"))
plots.Table([{"number": f"z{j}", same_name: effect_cell(same_labels[j], e)} for j, e in enumerate(same_effects)
             if same_active[j]], caption="What its numbers in use do (right, down, in pixels)")

# %% slideshow={"slide_type": "subslide"}
xy = [sprites.FACTOR_NAMES.index("x"), sprites.FACTOR_NAMES.index("y")]
xy_gap, same_xy_gap = (float(np.mean([s.gaps[i] for i in xy])) for s in (scores["β-VAE"], same_score))
on = np.flatnonzero(same_active)  # how well a straight line through the numbers in use recovers x and y
design = np.c_[same_codes[:, on].double().numpy(), np.ones(len(same_codes))]
r2 = {}
for i in xy:
    target = same_test.factors[:, i].double().numpy()
    fitted = design @ np.linalg.lstsq(design, target, rcond=None)[0]
    r2[sprites.FACTOR_NAMES[i]] = 1 - ((target - fitted) ** 2).sum() / ((target - target.mean()) ** 2).sum()
diagonal = sum(e.moves(pixels=3) == "x and y" for e, a in zip(same_effects, same_active) if a)
gap_x, gap_y = (same_score.gaps[i] for i in xy)
say("On one grid the β-VAE's MIG is {after:.2f} (against {before:.2f} with y on its own grid), and the mean "
    "of its x and y gaps {gap_after:.2f} (against {gap_before:.2f}): {verdict}. Its x gap is {gap_x:.2f}, its y "
    "gap {gap_y:.2f}. The code has not lost the position: a straight line through its {n_on} numbers in use "
    "recovers x with R² = {r2x:.2f} and y with R² = {r2y:.2f}. {diagonal} of those numbers move the sprite 3 "
    "pixels or more along x and along y at once.",
    before=mig_beta_vae, after=same_score.score, gap_before=xy_gap, gap_after=same_xy_gap, gap_x=gap_x, gap_y=gap_y,
    verdict=("this run separates x and y less cleanly" if same_xy_gap < xy_gap - 0.05 else
             "this run separates x and y about as cleanly" if same_xy_gap <= xy_gap + 0.05 else
             "this run separates x and y more cleanly"),
    n_on=len(on), r2x=r2["x"], r2y=r2["y"], diagonal=diagonal)
check_claim("with x and y on the same grid, the β-VAE treats them alike: their gaps differ by at most 0.1",
            abs(gap_x - gap_y) <= 0.1, f"x {gap_x:.3f}, y {gap_y:.3f}", smoke=SMOKE)
check_claim("and its code still holds x and y: a straight line through its numbers recovers each with R² ≥ 0.8",
            min(r2.values()) >= 0.8, ", ".join(f"{k} {v:.2f}" for k, v in r2.items()), smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Nothing is lost, and the axes are chance.** With y on x's grid, the two factors
# change the pixels alike, and the β-VAE's loss is the same for any turn of the plane
# they span. Whatever the turn, x and y then come out alike: a turn that gives x a number
# of its own gives y one too, and a blend that shares x out shares y out the same way.
# That is the first claim above, and it is the one thing the data decide. How clean the
# two are is the turn's doing. Near a turn of 45° each position number moves the sprite
# along x and y at once and knows only a small share of each (the signature of the
# turned code of the first exercise): the information is all there (a straight line
# through the numbers recovers x and y), but no single number *means* x or y, and MIG,
# which asks for exactly that, falls close to 0 for both. Near the axes both gaps stay
# high. The paragraph above the claims says where this run ended.
#
# Which turn a run ends at depends on the data drawn and the initial weights. In trials
# for this lesson with `SEED` = 0 to 7 (20 epochs, one CPU thread each):
#
# | `SEED` | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 |
# |---|---|---|---|---|---|---|---|---|
# | x, y gaps, y on its own 4 positions | 0.51, 0.54 | 0.39, 0.68 | 0.48, 0.53 | 0.41, 0.66 | 0.40, 0.66 | 0.43, 0.57 | 0.42, 0.55 | 0.44, 0.05 |
# | x, y gaps, y on x's 13 positions | 0.01, 0.01 | 0.35, 0.38 | 0.22, 0.24 | 0.32, 0.33 | 0.40, 0.39 | 0.38, 0.37 | 0.47, 0.50 | 0.14, 0.17 |
#
# On one grid the mean of the two gaps fell on seven seeds: to 0.01 on seed 0, a turn of
# nearly 45°, and to between 0.16 and 0.39 on the others. On seed 6 it stayed where it
# was (0.48 and 0.49): that run landed near the axes, as β-VAEs on dSprites often do.
# And on every seed the two gaps on one grid were within 0.03 of each other, where on
# the sprites' own grid they were up to 0.39 apart. Try `SEED`. A disentangling model
# needs factors that are **not** interchangeable, or it needs to be told more (Locatello
# et al., 2019, proved that without such help disentanglement cannot be learned from
# images alone).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Faces, voices, and lesson 05
#
# The sprites are a toy, but the question is everywhere. A photo of a face mixes who it
# is with the expression, the pose and the light; a recording of speech mixes **what** is
# said with **who** says it. A code that keeps such factors in separate numbers lets you
# change one and keep the rest: the same face, smiling; the same sentence, in another
# voice.
#
# That last one is **voice conversion**, lesson 05. There the two factors we want apart
# are the **content** (the words, the sounds) and the **speaker**. Rather than hoping a
# large β will separate them, lesson 05 builds the separation into the architecture: a
# content code squeezed too narrow to carry the voice, and a speaker code given from
# outside. Swap the speaker code, keep the content code, decode: another voice saying the
# same words.
#
# ## What this notebook measured
#
# The headline figures go to `build/results/04_disentanglement.json`, which the tests read.

# %% slideshow={"slide_type": "subslide"}
figures = {
    "mig_ae": mig_ae,
    "mig_vae": mig_vae,
    "mig_beta_vae": mig_beta_vae,
    "beta": BETA,
    "slider_update_ms": slider_update_ms,
    "latent_dim": LATENT_DIM,
    "mig_gaps_ae": scores["plain AE"].gaps,
    "mig_gaps_vae": scores["VAE"].gaps,
    "mig_gaps_beta_vae": scores["β-VAE"].gaps,
    "active_dims_vae": sum(active["VAE"]),
    "active_dims_beta_vae": sum(active["β-VAE"]),
    "test_mse_ae": mse["plain AE"],
    "test_mse_vae": mse["VAE"],
    "test_mse_beta_vae": mse["β-VAE"],
    "same_grid_y_positions": SAME_GRID_Y,
    "mig_beta_vae_same_grid": same_score.score,
    "mig_gaps_beta_vae_same_grid": same_score.gaps,
    "active_dims_beta_vae_same_grid": sum(same_active),
    "same_grid_r2_x": r2["x"],
    "same_grid_r2_y": r2["y"],
    "train_seconds": sum(h.seconds for h in histories.values()) + same_history.seconds,
}
record_results("04_disentanglement", figures, smoke=SMOKE)
print(f"MIG: plain AE {mig_ae:.3f}, VAE {mig_vae:.3f}, β-VAE (β={BETA:g}) {mig_beta_vae:.3f}; "
      f"β-VAE with x and y on one grid {same_score.score:.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Closing note: what we measured, and how β was chosen

# %% slideshow={"slide_type": "subslide"}
say("On these settings this run measured MIGs of {ae:.2f} for the plain autoencoder, {vae:.2f} for the VAE and "
    "{beta_vae:.2f} for the β-VAE with β = {beta:g}, which kept {on} latent numbers ({kept}) and switched off the "
    "other {off}.", ae=mig_ae, vae=mig_vae, beta_vae=mig_beta_vae, beta=BETA, on=sum(active["β-VAE"]),
    kept=", ".join(f"z{j}: {labels['β-VAE'][j]}" for j in range(LATENT_DIM) if active["β-VAE"][j]),
    off=LATENT_DIM - sum(active["β-VAE"]));

# %% [markdown] slideshow={"slide_type": "subslide"}
# β was chosen by measurement, on these settings, with two model seeds each. These are
# the records of that search (one CPU thread, so the numbers differ a little from a run
# with more threads), not figures of this run; the seed-0 column is what this notebook
# reproduces at its defaults:
#
# | model | seed 0 | seed 1 |
# |---|---|---|
# | plain autoencoder | 0.05 | 0.05 |
# | VAE (β = 1) | 0.04 | 0.09 |
# | β = 4 | 0.12 | 0.14 |
# | β = 8 | 0.11 | 0.26 |
# | **β = 12** | **0.27** | **0.23** |
# | β = 16 | 0.16 | 0.24 |
#
# β = 12 was the best and the steadiest: with seeds 2 and 3 it scored 0.27 and 0.28 (the
# plain autoencoder 0.09 and 0.04), and on a data set drawn with another seed 0.28, 0.29
# and 0.29 (the plain autoencoder 0.04, 0.06 and 0.13). Lower β leaves too little pressure
# to separate the factors in twenty epochs; higher β starts to drop y as well.
#
# Two findings of that search are worth more than the numbers. First, disentanglement is
# **fragile**: which factors a model separates can change with nothing but the random
# initialisation (Locatello et al., 2019, trained 12,000 models to show how much).
# Second, a VAE separates factors readily only where they **change the image by clearly
# different amounts**: that is why x, scale and y are laid out as they are here, and
# "What goes wrong" above shows what happens when two of them are not.
#
# ## Take-aways
#
# * An autoencoder's code is usually **entangled**: every number mixes several factors,
#   because reconstruction cannot tell a code from a rotated copy of it.
# * A VAE's **KL term** puts a price on every latent number: nothing for a number that
#   says nothing, more the more it tells the decoder. A **β-VAE** raises the price; it
#   switches off the numbers it can spare and tends to give each factor that matters a
#   number of its own, at the price of detail.
# * With known factors, **mutual information** says what each number knows and the
#   **MIG** sums it up: here the β-VAE's is several times the plain autoencoder's.
# * **Latent traversals** show the same thing with the eye (one number, one change), and
#   measuring the rows keeps the eye honest.
# * Factors that change the image **alike** can be blended at no cost: with x and y on one
#   grid the β-VAE keeps the position and treats x and y alike, but which turn of their
#   plane it ends at is chance, and with it how disentangled they are.
#
# **Next:** lesson 05 separates two factors on purpose, content and speaker, to convert
# one voice into another. Lesson 08 tells the whole story of the VAE.
#
# ## References
#
# * I. Higgins, L. Matthey, A. Pal, C. Burgess, X. Glorot, M. Botvinick, S. Mohamed,
#   A. Lerchner. *β-VAE: Learning basic visual concepts with a constrained variational
#   framework.* ICLR 2017.
# * R. T. Q. Chen, X. Li, R. Grosse, D. Duvenaud. *Isolating sources of disentanglement in
#   variational autoencoders.* NeurIPS 2018 (the Mutual Information Gap).
# * D. P. Kingma, M. Welling. *Auto-encoding variational Bayes.* ICLR 2014 (the VAE and its
#   KL term; lesson 08).
# * L. Matthey, I. Higgins, D. Hassabis, A. Lerchner. *dSprites: disentanglement testing
#   sprites dataset.* 2017.
# * M. Rolinek, D. Zietlow, G. Martius. *Variational autoencoders pursue PCA directions (by
#   accident).* CVPR 2019.
# * F. Locatello, S. Bauer, M. Lucic, G. Rätsch, S. Gelly, B. Schölkopf, O. Bachem.
#   *Challenging common assumptions in the unsupervised learning of disentangled
#   representations.* ICML 2019.
# * Hung-yi Lee (李宏毅). *Machine Learning* lecture "Auto-encoder" (National Taiwan
#   University), on feature disentanglement (特征解耦).
