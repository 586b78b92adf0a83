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
# # 06 · Discrete latents and the VQ-VAE codebook
#
# Every code so far was a list of real numbers. This lesson forces the code to be
# **discrete**: a row of bits, one choice out of ten, or one entry of a learned codebook.
# Why give up the freedom of real numbers?
#
# * **You can count it.** A code of 32 bits is 4 bytes per image, exactly; a choice out of
#   512 is 9 bits. Real numbers have no such price tag (lesson 09 comes back to this).
# * **It is a hash.** Images whose bit strings differ in few places are similar, and
#   comparing bits is the cheapest search a computer can do.
# * **It is a category.** One choice out of ten sorts the images into ten groups, without a
#   single label. Are the groups the digits?
# * **It is a vocabulary.** A VQ-VAE turns an image into tokens from a codebook; sequence
#   models (lesson 03's kind) can then read and write images as they do words.
#
# The price: rounding, flipping a coin and picking the nearest entry have no useful
# gradient, so training needs tricks. And a learned codebook has a failure of its own,
# the thing this lesson exists for: most of its codes end up **never used**.
#
# **You will be able to**
#
# * train binary codes through a step that has no gradient, with the **straight-through**
#   trick (a sign, and a coin flip per bit), and use the bits as a hash;
# * train a one-hot code with the **Gumbel-softmax** and a falling temperature, and score
#   its ten groups against the true digits, next to **k-means**;
# * build a **VQ-VAE** from the code that runs and watch its codebook usage live
#   (histogram, perplexity, dead codes), on training and on test images;
# * diagnose **codebook collapse** and compare its remedies (k-means start, EMA codes,
#   dead-code restarts, low-dimensional and cosine lookup, the rotation trick), each a
#   keyword argument of one quantizer, on the same budget.
#
# **Prerequisites:** lesson 01 (autoencoders, `fit`, the convolutional autoencoder);
# lesson 03 helps for the idea of tokens. No probability beyond "sample from a softmax".
#
# **Time:** about two and a half minutes of computing at the default parameters on a
# 2-core laptop CPU (about 140 CPU-seconds; seconds on a GPU); trained models are cached
# (lesson 00), so a second run takes seconds. Reading and playing: about an hour.
#
# **Key terms 关键词** ([glossary 术语表](glossary.md)): discrete representation 离散表示 · binary code 二进制编码 · straight-through estimator 直通估计器 · one-hot code 独热编码 · Gumbel-softmax Gumbel-softmax 松弛 · codebook 码本 · vector quantization 向量量化 · VQ-VAE 向量量化变分自编码器 · codebook collapse 码本坍缩 · dead code 死码 · perplexity 困惑度 · rotation trick 旋转技巧

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
DATASET = "mnist5k"  # a name from course.data.names(); offline: "mnist5k", "digits8x8"
BITS = 32  # length of the binary codes
AE_CODE = 16  # numbers in the code of the continuous autoencoder, the yardstick
EPOCHS = 6  # epochs for the binary and the continuous autoencoders (~1.6 CPU-seconds each)
CATEGORIES = 10  # choices of the one-hot code
ONEHOT_EPOCHS = 8  # epochs for each one-hot autoencoder (~0.9 CPU-seconds each)
TAU_START = 1.0  # Gumbel-softmax temperature at the start of training ...
TAU_END = 0.1  # ... falling geometrically to this at the end
MAX_WARP = 0.5  # how far the pose may warp a template (0: no pose at all)
BALANCE = 10.0  # weight of the penalty for using the choices unevenly
CODEBOOK_SIZE = 512  # K: codes in the VQ-VAE's codebook
CODE_DIM = 16  # numbers in each code
LOW_DIM = 4  # size of the lookup space of the low-dimensional remedy (codebook_dim)
DEAD_AFTER = 50  # training steps without a single use after which a code is restarted
VQ_EPOCHS = 4  # epochs for each of the 10 VQ-VAEs (~1.8 CPU-seconds each)
BATCH_SIZE = 64  # images per gradient step
LR = 4e-3  # peak learning rate of the one-cycle schedule
SEED = 0
USE_CACHE = True  # reload models trained, and k-means groups found, earlier with exactly these settings
SMOKE = False  # True: a few seconds of training for CI; claims are shown, not asserted

# %% slideshow={"slide_type": "skip"}
import math

from course.params import (boolean, check_parameters, dataset, epoch_cost, integer, number, require, seed,
                           training_time)

check_parameters(
    DATASET=(DATASET, dataset()),
    BITS=(BITS, integer(min=1, max=256)),
    AE_CODE=(AE_CODE, integer(min=1, max=256)),
    EPOCHS=(EPOCHS, integer(min=1)),
    CATEGORIES=(CATEGORIES, integer(min=2, max=100)),
    ONEHOT_EPOCHS=(ONEHOT_EPOCHS, integer(min=1)),
    TAU_START=(TAU_START, number(min=0.01, max=100.0)),
    TAU_END=(TAU_END, number(min=0.01, max=100.0)),
    MAX_WARP=(MAX_WARP, number(min=0.0, max=2.0)),
    BALANCE=(BALANCE, number(min=0.0, max=1e6)),
    CODEBOOK_SIZE=(CODEBOOK_SIZE, integer(min=2, max=65536)),
    CODE_DIM=(CODE_DIM, integer(min=1, max=256)),
    LOW_DIM=(LOW_DIM, integer(min=1, max=256)),
    DEAD_AFTER=(DEAD_AFTER, integer(min=1, max=10**6)),
    VQ_EPOCHS=(VQ_EPOCHS, integer(min=1)),
    BATCH_SIZE=(BATCH_SIZE, integer(min=1, max=4096)),
    LR=(LR, number(min=1e-6, max=1.0)),
    SEED=(SEED, seed()),
    USE_CACHE=(USE_CACHE, boolean()),
    SMOKE=(SMOKE, boolean()),
)
require(TAU_END <= TAU_START, f"TAU_END = {TAU_END}, but the temperature falls: it must be at most "
                              f"TAU_START = {TAU_START}")
require(LOW_DIM <= CODE_DIM, f"LOW_DIM = {LOW_DIM}, but the low-dimensional lookup must be at most "
                             f"CODE_DIM = {CODE_DIM} numbers")
from course import data  # noqa: E402  (the registry: limits that depend on the data follow)

full = data.sizes(DATASET)  # known without loading the images
scale = full.n_train * math.prod(full.image_shape) / (3500 * 784)  # the costs were measured on mnist5k
vq_work = scale * (0.5 + 0.5 * CODEBOOK_SIZE * CODE_DIM / (512 * 16))  # the nearest-code search grows with K x D
budget = training_time(EPOCHS=(EPOCHS, 3 * epoch_cost(1.7, scale, BATCH_SIZE)),  # sign, coin and continuous AE
                       ONEHOT_EPOCHS=(ONEHOT_EPOCHS, 2 * epoch_cost(0.9, scale, BATCH_SIZE)),  # with and without pose
                       VQ_EPOCHS=(VQ_EPOCHS, 10 * epoch_cost(1.7, vq_work, BATCH_SIZE)))  # plain and 9 remedies
if SMOKE:  # after the checks, never instead of them
    EPOCHS, ONEHOT_EPOCHS, VQ_EPOCHS = 1, 1, 1
    budget = budget.with_counts(EPOCHS=EPOCHS, ONEHOT_EPOCHS=ONEHOT_EPOCHS, VQ_EPOCHS=VQ_EPOCHS)
print(budget)

# %% slideshow={"slide_type": "skip"}
import math

import numpy as np
import torch
from IPython.display import display

from course import exercises, plots, vq
from course.baselines import mse_per_image
from course.device import get_device, seed_everything
from course.discrete import (BinaryAutoencoder, OneHotAutoencoder, OneHotLoss, bernoulli_straight_through,
                             cluster_accuracy, cluster_gallery, gumbel_samples_figure, gumbel_softmax,
                             kmeans_clusters, match_clusters, neighbours_agree, onehot_loss,
                             straight_through_sign, temperature, usage_penalty)
from course.diagrams import flow
from course.memo import remember
from course.models import ConvAutoencoder, count_parameters
from course.prose import say
from course.results import check_claim, record_results
from course.show import show_source
from course.train import fit, predict
from course.vq import VQVAE, VectorQuantizer, vq_vae_loss

seed_everything(SEED)
device = get_device()
ds = data.load(DATASET)
if SMOKE:
    ds = ds.subset(500)
image_shape = ds.image_shape
test_x, test_y = ds.test.images, ds.test.labels
steps_per_epoch = math.ceil(len(ds.train) / BATCH_SIZE)
print(f"device: {device}")

# %% slideshow={"slide_type": "subslide"} tags=["nbval-check-output"]
print(ds)
for name, model in {f"continuous AE, {AE_CODE} numbers": ConvAutoencoder(image_shape, AE_CODE),
                    f"binary AE, {BITS} bits": BinaryAutoencoder(image_shape, BITS),
                    f"one-hot AE, {CATEGORIES} choices": OneHotAutoencoder(image_shape, CATEGORIES),
                    f"VQ-VAE, {CODEBOOK_SIZE} codes of {CODE_DIM}": VQVAE(image_shape, CODEBOOK_SIZE, CODE_DIM)}.items():
    print(f"{name:>28}: {count_parameters(model):>7,} parameters")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Binary codes: rounding without a gradient
#
# Take lesson 01's convolutional autoencoder and round each number of the code to one of
# two values. The forward pass is easy. The backward pass is the problem: a step function
# is flat everywhere (and undefined at the step), so its gradient is zero and the encoder
# would never learn.
#
# The **straight-through estimator** (Hinton, 2012; Bengio et al., 2013) cheats, usefully:
# use the rounded value going forwards, and pretend it was a smooth function going
# backwards. In code it is one line, `soft + (hard - soft).detach()`: its value is `hard`,
# and since the detached part has no gradient, its gradient is that of `soft`.

# %% slideshow={"slide_type": "subslide"}
show_source(straight_through_sign)

# %% [markdown] slideshow={"slide_type": "subslide"}
# A second way makes each bit a **coin flip** whose probability the encoder sets. The
# decoder sees 0 or 1, and the gradient again goes straight through to the probability.
# The noise has a useful side effect: a bit the encoder is unsure about comes out at
# random and costs reconstruction error, so training pushes every probability towards 0
# or 1. At test time the bit is the rounded probability.

# %% slideshow={"slide_type": "subslide"}
show_source(bernoulli_straight_through)

# %% slideshow={"slide_type": "subslide"}
show_source(BinaryAutoencoder)

# %% [markdown] slideshow={"slide_type": "subslide"}
# We train both, and as a yardstick a continuous autoencoder whose code has `AE_CODE`
# real numbers (32-bit floats each). All three use the same `fit` as every lesson.

# %% slideshow={"slide_type": "fragment"}
def train_autoencoder(model, name: str):
    """Train (or load from the cache) one of this section's autoencoders on squared error."""
    history = fit(model, ds.train.images, val=ds.val.images, epochs=EPOCHS, batch_size=BATCH_SIZE,
                  lr=LR, seed=SEED, cache=USE_CACHE, desc=name)
    print(f"{name}: {'loaded from cache' if history.from_cache else f'trained in {history.seconds:.1f} s'}")
    return model, history


seed_everything(SEED)
ae, history_ae = train_autoencoder(ConvAutoencoder(image_shape, AE_CODE), f"continuous AE, {AE_CODE} numbers")
seed_everything(SEED)
sign_ae, history_sign = train_autoencoder(BinaryAutoencoder(image_shape, BITS, "sign"), f"sign AE, {BITS} bits")
seed_everything(SEED)
coin_ae, history_coin = train_autoencoder(BinaryAutoencoder(image_shape, BITS, "bernoulli"),
                                          f"Bernoulli AE, {BITS} bits")

# %% slideshow={"slide_type": "subslide"}
shown = test_x[:12]
plots.image_grid({"input": shown, f"continuous ({AE_CODE} numbers)": predict(ae, shown),
                  f"sign ({BITS} bits)": predict(sign_ae, shown),
                  f"Bernoulli ({BITS} bits)": predict(coin_ae, shown)},
                 title="Test images and their reconstructions")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Here are the bit strings of the first eight test images: the whole description the
# decoder got of each.

# %% slideshow={"slide_type": "fragment"}
sign_codes = predict(sign_ae, test_x, method="encode")
for code, label in zip(sign_codes[:8], test_y[:8]):
    print(f"a {int(label)}: " + "".join("1" if b > 0 else "0" for b in code.tolist()))

# %% [markdown] slideshow={"slide_type": "subslide"}
# How much does the rounding cost, and what does it buy? The table counts the bits a
# code takes to store, the test reconstruction error, and a retrieval test: for each test
# image, do its 10 nearest neighbours among the test codes show the same digit? For bit
# strings "nearest" means fewest differing bits (the Hamming distance), for real
# numbers the usual distance.

# %% slideshow={"slide_type": "subslide"}
binary = {
    f"continuous, {AE_CODE} numbers": (ae, predict(ae, test_x, method="encode"), 32 * AE_CODE, "euclidean"),
    f"sign, {BITS} bits": (sign_ae, sign_codes, BITS, "hamming"),
    f"Bernoulli, {BITS} bits": (coin_ae, predict(coin_ae, test_x, method="encode"), BITS, "hamming"),
}
binary_rows = {name: {"bits per image": bits,
                      "test MSE": mse_per_image(test_x, predict(model, test_x)).mean().item(),
                      "10 nearest share the digit": neighbours_agree(codes, test_y, 10, metric)}
               for name, (model, codes, bits, metric) in binary.items()}
plots.Table([{"code": name, **row} for name, row in binary_rows.items()],
            caption="Binary codes against a continuous one (test images)")

# %% slideshow={"slide_type": "subslide"}
cont_row, sign_row = binary_rows[f"continuous, {AE_CODE} numbers"], binary_rows[f"sign, {BITS} bits"]
coin_row = binary_rows[f"Bernoulli, {BITS} bits"]
say("The bit strings take {ratio:g} times fewer bits than the continuous code and reconstruct worse "
    "(test error {sign_mse:.4f} and {coin_mse:.4f} against {cont_mse:.4f}), but far from hopelessly: "
    "{bits} yes/no answers pin a digit down quite well. And the bits work as a hash: for a test image, "
    "{sign_nn:.0%} (sign) and {coin_nn:.0%} (Bernoulli) of the 10 neighbours found by counting differing "
    "bits show the same digit (the continuous code's nearest neighbours: {cont_nn:.0%}; ten random images: "
    "about 10%), though no label was used anywhere.",
    ratio=32 * AE_CODE / BITS, sign_mse=sign_row["test MSE"], coin_mse=coin_row["test MSE"],
    cont_mse=cont_row["test MSE"], bits=BITS, sign_nn=sign_row["10 nearest share the digit"],
    coin_nn=coin_row["10 nearest share the digit"], cont_nn=cont_row["10 nearest share the digit"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. One-hot codes: ten choices, and the Gumbel-softmax
#
# Now the most extreme code: **one choice out of `CATEGORIES`**, a one-hot vector. The
# encoder gives a score (a logit) per choice; the softmax turns them into probabilities.
# To train through a *random choice* we need two tricks at once:
#
# * the **Gumbel-max trick**: add independent Gumbel noise $-\log(-\log u)$ to the logits
#   and take the largest: that is an exact sample of the softmax distribution;
# * the **Gumbel-softmax** (Jang et al.; Maddison et al., 2017): replace the "largest" by a
#   softmax at temperature $\tau$. The sample becomes a smooth function of the logits, and
#   $\tau$ sets how sharp it is.

# %% slideshow={"slide_type": "subslide"}
show_source(gumbel_softmax)

# %% slideshow={"slide_type": "subslide"}
gumbel_samples_figure(torch.tensor([1.5, 1.0, 0.2, -1.0]), [5.0, 1.0, 0.1], seed=SEED)

# %% [markdown] slideshow={"slide_type": "subslide"}
# At a high temperature every sample is a soft blend, at a low one almost one-hot. We want
# both: blends early, while the encoder is still guessing and needs gradients from every
# choice, and near one-hot vectors late, so that training ends on the code that will be
# used at test time. So the temperature falls during training, geometrically from
# `TAU_START` to `TAU_END`. The model counts its own training steps, so `fit` stays the
# only training loop.

# %% slideshow={"slide_type": "subslide"}
show_source(temperature)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the decoder may do with one choice
#
# If the decoder sees only the choice, it can draw only `CATEGORIES` different pictures:
# every image is then reconstructed by one of ten fixed templates. That is **k-means**
# with ten centres, in pixel space, and it inherits k-means' weakness on digits: a
# slanted 1 and an upright 1 are far apart in pixels, so k-means may well spend two of
# its ten groups on ones and none on a digit that resembles another.
#
# So our one-hot autoencoder gets a little help. The decoder is ten learned **template**
# images; the code picks one, and 6 more numbers from the encoder, a **pose**, warp it
# (an affine map: turn, stretch, shear, shift). The choice says *which* template, the pose
# says *how it is held*. The pose numbers are continuous, but they are only allowed to
# move a template around, not to draw a new one, so all the "what" has to go through the
# one choice. With `MAX_WARP = 0` the pose does nothing and the model is k-means again.

# %% slideshow={"slide_type": "subslide"}
show_source(OneHotAutoencoder)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The loss is squared error plus one more term. Left alone, a few choices win early,
# their templates improve fastest, and the others are never picked again: the same
# **collapse** the VQ-VAE's codebook will show under *What goes wrong*. The penalty is zero when a
# batch spreads evenly over the choices and $\log 10$ nats when it all goes to one; it says
# nothing about which image goes where.

# %% slideshow={"slide_type": "subslide"}
show_source(usage_penalty)

# %% slideshow={"slide_type": "subslide"}
show_source(onehot_loss)

# %% slideshow={"slide_type": "subslide"}
def train_onehot(max_warp: float, name: str):
    """The one-hot autoencoder with a pose of at most max_warp, trained (or loaded from the cache)."""
    seed_everything(SEED)
    model = OneHotAutoencoder(image_shape, CATEGORIES, max_warp=max_warp, tau_start=TAU_START,
                              tau_end=TAU_END, anneal_steps=ONEHOT_EPOCHS * steps_per_epoch)
    history = fit(model, ds.train.images, val=ds.val.images, epochs=ONEHOT_EPOCHS, batch_size=BATCH_SIZE,
                  lr=LR, loss_fn=OneHotLoss(BALANCE), seed=SEED, cache=USE_CACHE, desc=name)
    print(f"{name}: {'loaded from cache' if history.from_cache else f'trained in {history.seconds:.1f} s'}, "
          f"final temperature {model.tau:.2f}")
    return model, history


onehot, history_onehot = train_onehot(MAX_WARP, f"one-hot AE, pose up to {MAX_WARP:g}")
templates_only, history_templates = train_onehot(0.0, "one-hot AE, no pose")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Classes found without labels
#
# The model has sorted the test images into ten groups. To score the groups against the
# true digits we must first say which group is which digit: the **Hungarian algorithm**
# (`scipy.optimize.linear_sum_assignment`) finds the one-to-one matching of groups to
# digits that puts the most images on their own digit. The share it gets right is the
# **cluster accuracy**; ten random groups score a little over 0.1 (the matching picks
# each group's best digit even by chance; the table measures it). The labels are used here, to
# score, and nowhere in training.
#
# The same score for k-means (scikit-learn, best of 10 starts) on raw pixels, and on the
# codes of the continuous autoencoder of section 1:

# %% slideshow={"slide_type": "subslide"}
show_source(cluster_accuracy)

# %% slideshow={"slide_type": "subslide"}
# remember(f, ...) = f(...), computed once and then loaded from the cache like a model
clusters = {
    "k-means on pixels": remember(kmeans_clusters, ds.train.images, test_x, CATEGORIES, seed=SEED, cache=USE_CACHE),
    f"k-means on autoencoder codes ({AE_CODE} numbers)": remember(
        kmeans_clusters, predict(ae, ds.train.images, method="encode"), predict(ae, test_x, method="encode"),
        CATEGORIES, seed=SEED, cache=USE_CACHE),
    "one-hot code, templates only (no pose)": predict(templates_only, test_x, method="cluster").numpy(),
    f"one-hot code with a pose (MAX_WARP = {MAX_WARP:g})": predict(onehot, test_x, method="cluster").numpy(),
}
cluster_acc = {name: cluster_accuracy(c, test_y) for name, c in clusters.items()}
acc_chance = cluster_accuracy(np.random.default_rng(SEED).integers(CATEGORIES, size=len(test_y)), test_y)
plots.Table([{"groups from": "chance (random groups)", "cluster accuracy": acc_chance}]
            + [{"groups from": name, "cluster accuracy": acc} for name, acc in cluster_acc.items()],
            caption=f"Test images sorted into {CATEGORIES} groups without labels, matched to the digits")

# %% slideshow={"slide_type": "subslide"}
mapping = match_clusters(clusters[f"one-hot code with a pose (MAX_WARP = {MAX_WARP:g})"], test_y)
plots.image_grid(cluster_gallery(clusters[f"one-hot code with a pose (MAX_WARP = {MAX_WARP:g})"], test_x,
                                 mapping, ds.classes, first=onehot.templates.detach().cpu(), n=11),
                 title="Each choice: its template (first column), then test images that land on it", cell_px=40)

# %% slideshow={"slide_type": "subslide"}
groups = np.asarray(clusters[f"one-hot code with a pose (MAX_WARP = {MAX_WARP:g})"]).astype(int)
per_group = np.zeros((CATEGORIES, len(ds.classes)), dtype=int)  # images of each digit on each choice
np.add.at(per_group, (groups, test_y.numpy().astype(int)), 1)
used_groups = [k for k in mapping if per_group[k].sum()]
mostly_own = sum(per_group[k, mapping[k]] > per_group[k].sum() / 2 for k in used_groups)
mixups = sorted(((int(per_group[k, d]), ds.classes[d], ds.classes[mapping[k]]) for k in used_groups
                 for d in range(len(ds.classes)) if d != mapping[k]), reverse=True)[:4]
say("The first column is what the model learnt: {n} templates, a little blurred because each must fit "
    "every image warped onto it. On {own} of the {n} choices most test images are the digit the choice "
    "is matched to. The rows show where it goes wrong; the largest mix-ups in this run: {mixups}.",
    n=len(used_groups), own=mostly_own,
    mixups="; ".join(f"{count} {digit}s on the template of {matched}" for count, digit, matched in mixups))

# %% slideshow={"slide_type": "subslide"}
acc_onehot = cluster_acc[f"one-hot code with a pose (MAX_WARP = {MAX_WARP:g})"]
acc_kmeans = cluster_acc["k-means on pixels"]
check_claim("the one-hot code's unsupervised cluster accuracy is at least 0.45", acc_onehot >= 0.45,
            f"{acc_onehot:.3f}; k-means on pixels {acc_kmeans:.3f}, random groups {acc_chance:.3f}", smoke=SMOKE)
check_claim("the one-hot code with a pose matches the digits better than k-means on pixels",
            acc_onehot > acc_kmeans, f"{acc_onehot:.3f} vs {acc_kmeans:.3f}", smoke=SMOKE)

# %% slideshow={"slide_type": "subslide"}
say("Without a pose the one-hot code scores {templates:.2f}, k-means on pixels {kmeans:.2f}: both draw "
    "every image as one of {k} fixed pictures. With the pose, one template covers every slant and size of a "
    "digit, and the {k} choices line up with the digits much better ({pose:.2f}). Neither is a classifier: "
    "\"which digit\" is only one of many ways to group handwriting, and nothing told the model it was the one "
    "we meant.", templates=cluster_acc["one-hot code, templates only (no pose)"], kmeans=acc_kmeans,
    k=CATEGORIES, pose=acc_onehot)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The VQ-VAE: a learned codebook
#
# The **vector-quantised VAE** (van den Oord et al., 2017) keeps the encoder's output
# continuous and snaps it to the nearest of $K$ learned vectors, the **codebook**:
#
# $$z_e = e(x), \qquad k = \arg\min_j \lVert z_e - c_j \rVert^2, \qquad z_q = c_k, \qquad \hat x = d(z_q).$$
#
# Here each image becomes one code out of `CODEBOOK_SIZE` (512 by default: 9 bits), each
# code a vector of `CODE_DIM` numbers. (Image VQ-VAEs quantise a grid of vectors, one per
# patch; one per image keeps what each code means visible.)

# %% slideshow={"slide_type": "subslide"}
flow("image x", "encoder", "z_e", "nearest of K\ncodebook vectors", "z_q = c_k", "decoder", "x̂",
     kinds="dedocgd",
     below={"z_q = c_k": ("codebook + commitment loss", "l", "z_e")},
     above={"x̂": ("reconstruction loss ‖x − x̂‖²", "l", "image x")},
     caption="The VQ-VAE: the decoder sees only which codebook vector was nearest")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Write it before you read it.** The heart of the quantizer is a few lines, and the
# next cells show the course's own. Write yours first: `quantize(z, codebook)` takes a
# batch of encoder outputs `z` `(N, d)` and a codebook `(K, d)`; it returns
# `(quantized, indices)`: for each row the index of the nearest code by Euclidean
# distance (`torch.cdist` helps), and the code itself, returned so that the gradient
# passes straight through to `z`, as the binary codes of section 1 did (and not to the
# codebook: the codebook loss below moves the codes). The check compares your indices
# with a brute-force search and your gradients with the identity.

# %% slideshow={"slide_type": "subslide"}
def quantize(z: torch.Tensor, codebook: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # YOUR CODE HERE (about 4 lines)
    raise NotImplementedError


exercise = exercises.get("06-nearest-code")
exercise.check(quantize)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The course's lookup, for a batch at once:

# %% slideshow={"slide_type": "subslide"}
show_source(vq.nearest_code)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Then the three things that make it trainable:
#
# * the **straight-through** gradient: the decoder's gradient at $z_q$ is handed to $z_e$
#   unchanged, as if the lookup were not there;
# * the **codebook loss** $\lVert \mathrm{sg}[z_e] - z_q \rVert^2$ ($\mathrm{sg}$: stop the
#   gradient) moves each chosen code towards the encoder outputs that chose it;
# * the **commitment loss** $\beta \lVert z_e - \mathrm{sg}[z_q] \rVert^2$ keeps the encoder's
#   outputs near their codes, so they do not wander off faster than the codes can follow.

# %% slideshow={"slide_type": "subslide"}
show_source(vq.straight_through)

# %% slideshow={"slide_type": "subslide"}
show_source(VectorQuantizer.forward)

# %% slideshow={"slide_type": "subslide"}
show_source(vq_vae_loss)

# %% slideshow={"slide_type": "subslide"}
show_source(VQVAE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Watching the codebook while it trains
#
# Codebook **usage** is the thing to watch. After every epoch a monitor (the `monitor`
# hook of `fit`) sends all training images through the model and counts how many land on
# each code. Three numbers sum it up:
#
# * **codes used**: how many codes at least one image lands on;
# * **dead codes**: the rest, codes that cost parameters and do nothing;
# * **perplexity**: $\exp(\text{entropy})$ of the usage, "how many equally used codes is
#   this worth". $K$ codes used equally often give $K$; one code for everything gives 1.

# %% slideshow={"slide_type": "subslide"}
show_source(vq.perplexity)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The figure below redraws itself after each epoch while the plain quantizer trains
# (in JupyterLab; a saved notebook keeps a picture of its last state).

# %% slideshow={"slide_type": "fragment"}
def train_vq(name: str, options: dict, figure=None):
    """A VQ-VAE with quantizer keyword arguments `options`, trained (or loaded) with a usage monitor."""
    seed_everything(SEED)
    model = VQVAE(image_shape, CODEBOOK_SIZE, CODE_DIM, **options)
    monitor = vq.UsageMonitor(ds.train.images, figure, title=name)
    history = fit(model, ds.train.images, val=ds.val.images, epochs=VQ_EPOCHS, batch_size=BATCH_SIZE,
                  lr=LR, loss_fn=vq_vae_loss, seed=SEED, cache=USE_CACHE, monitor=monitor, desc=name)
    counts = vq.code_counts(model, ds.train.images)
    monitor.show(counts, vq.epochs_of(history))  # a run loaded from the cache is drawn too
    test_usage = vq.usage_stats(vq.code_counts(model, test_x))["usage"]
    return {"model": model, "history": history, "counts": counts, **vq.usage_stats(counts),
            "test usage": test_usage, "mse": mse_per_image(test_x, predict(model, test_x)).mean().item()}


live, _ = vq.live_usage(CODEBOOK_SIZE, ds.train.images)
display(live)
runs = {"plain": train_vq("plain", {}, live.figure)}
plain = runs["plain"]
print("plain: " + ("loaded from cache" if plain["history"].from_cache
                   else f"trained in {plain['history'].seconds:.1f} s"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What goes wrong: codebook collapse
#
# The plain quantizer has just trained. Its usage after the last epoch, as a histogram of
# how many training images land on each code, busiest first:

# %% slideshow={"slide_type": "subslide"}
vq.usage_figure(plain["counts"], vq.epochs_of(plain["history"]), title="plain quantizer")

# %% slideshow={"slide_type": "subslide"}
ranked = plain["counts"].sort(descending=True).values
half = int((ranked.cumsum(0) < ranked.sum() / 2).sum()) + 1  # the fewest codes that hold half the images
say("Read the histogram from left to right: {half} codes take half of the {n:,} training images, then the "
    "counts fall to a long flat tail at zero: **dead codes**, {dead} of the {k} ({dead_share:.0%}). Only "
    "{used} codes are ever chosen, and the perplexity, {perp:.0f}, says the usage is worth even fewer equally "
    "used codes. Every dead code is a picture the decoder could have drawn and never gets to.",
    half=half, n=len(ds.train), dead=int(plain["dead codes"]), k=CODEBOOK_SIZE,
    dead_share=plain["dead codes"] / CODEBOOK_SIZE, used=CODEBOOK_SIZE - int(plain["dead codes"]),
    perp=plain["perplexity"])

# %% slideshow={"slide_type": "fragment"}
check_claim("left alone, the quantizer uses fewer than half of its codes", plain["usage"] < 0.5,
            f"{plain['usage']:.1%} of {CODEBOOK_SIZE} codes used, perplexity {plain['perplexity']:.0f}", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Why? A code is only pulled towards the data if it is the *nearest* code to some encoder
# output. The codebook starts at random; the encoder's outputs start in one small region
# and then move. The few codes that happened to be nearest get pulled along, become
# nearest to even more outputs, and the rest are left behind where no output ever comes
# near them again: the rich get richer. The lengths of the vectors show how far apart
# the two ended up:

# %% slideshow={"slide_type": "subslide"}
z_e = predict(plain["model"], ds.train.images, method="encode")
codes = plain["model"].quantizer.codes().detach().cpu()
used = plain["counts"] > 0
lengths = {"outputs": z_e.norm(dim=1).mean().item(), "in use": codes[used].norm(dim=1).mean().item(),
           "dead": codes[~used].norm(dim=1).mean().item() if (~used).any() else float("nan")}
print(f"encoder outputs: mean length {lengths['outputs']:.1f}; codes in use: {lengths['in use']:.1f}; "
      f"dead codes: {lengths['dead']:.1f} (every code started at about {math.sqrt(2):.1f})")
say("The encoder's outputs are on average {ratio:.1f} times as long as the codes in use: they have run off "
    "beyond the codes, and the codes, moved by small gradient steps, follow slowly. Each output simply takes "
    "whichever code lies most in its direction, and the dead codes, {dead:.1f} long, have stayed about where "
    "they started (a random code of {d} numbers in ±√(6/{d}) is about √2 ≈ 1.4 long).",
    ratio=lengths["outputs"] / lengths["in use"], dead=lengths["dead"], d=CODE_DIM)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Which images land on a code
#
# A code is one picture the decoder can draw, so every image on it is reconstructed the
# same way. The plain quantizer's busiest codes:

# %% slideshow={"slide_type": "subslide"}
top_plain = plain["counts"].argsort(descending=True)[:5].tolist()
plots.image_grid(vq.images_on_codes(plain["model"], ds.train.images, top_plain, n=12),
                 title="The plain quantizer's five busiest codes: training images on each (count in the row name)",
                 cell_px=40)


# %% slideshow={"slide_type": "subslide"}
def crowd(result: dict, codes: list[int]) -> str:
    """For each code: how many training images land on it, and how many different digits they are."""
    idx = predict(result["model"], ds.train.images, method="code_indices").long()
    parts = []
    for c in codes:
        digits = ds.train.labels[idx == c]
        top = torch.bincount(digits, minlength=len(ds.classes))
        parts.append(f"{len(digits)} images of {int((top > 0).sum())} different digits "
                     f"({float(top.max()) / max(len(digits), 1):.0%} {ds.classes[int(top.argmax())]}s)")
    return "; ".join(parts)


say("With so few codes in use, one code has to stand for a crowd, all reconstructed as the same picture. "
    "The five busiest codes: {crowds}. Section 4 fixes that; the widget after it lets you pick any code and "
    "see which images land on it.", crowds=crowd(plain, top_plain))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Remedies for codebook collapse
#
# Each remedy is a keyword argument of the same `VectorQuantizer`, in the style of the
# `vector-quantize-pytorch` library:
#
# * **`kmeans_init=True`**: do not start the codebook at random; wait for the first
#   2,048 encoder outputs and start it at their k-means centres, so every code begins
#   where data is.
# * **`ema=True`**: do not train the codes by gradient; set each to a running average
#   (exponential moving average, `decay=0.99`) of the encoder outputs assigned to it, so a
#   chosen code keeps up with its outputs at once.
# * **`restart_dead=True`**: a code no output chose for `dead_after` training steps is moved
#   onto a random recent encoder output, where it is sure to be chosen.
# * **`codebook_dim=4`**: look codes up in a 4-number projection of the encoder output (a
#   small space is easier to cover with 512 codes), and project back.
# * **`cosine=True`**: make outputs and codes unit length, so only directions count and no
#   code can be stranded far out.
# * **`rotation_trick=True`**: change nothing in the lookup or the codes, only how the
#   gradient crosses the lookup. Straight-through hands the decoder's gradient at $z_q$ to
#   $z_e$ unchanged. The **rotation trick** (Fifty et al., 2024) writes $z_q$ as $z_e$ rotated
#   onto the code's direction and rescaled, $z_q = \lambda R z_e$, and holds $R$ and
#   $\lambda = \lVert z_q \rVert / \lVert z_e \rVert$ constant: the decoder still sees the
#   code itself, but the gradient reaching $z_e$ is rotated back by $R$ and scaled by
#   $\lambda$, so it depends on where the output sits relative to its code.
#   `vector-quantize-pytorch` does this by default.
#
# State that changes during training (the initialisation, the running averages, the
# restarts) is updated inside the quantizer's forward pass in training mode, as
# `vector-quantize-pytorch` does, so `fit` is still the only training loop:

# %% slideshow={"slide_type": "subslide"}
show_source(VectorQuantizer._update)

# %% slideshow={"slide_type": "subslide"}
show_source(VectorQuantizer._kmeans_init)

# %% slideshow={"slide_type": "subslide"}
show_source(VectorQuantizer.lookup_space)

# %% slideshow={"slide_type": "subslide"}
show_source(vq.rotate_to)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every remedy alone, EMA once more with the rotation trick in place of straight-through,
# and two combinations, all on the same budget (`VQ_EPOCHS` epochs, same seed). The
# "recommended" combination is `vector-quantize-pytorch`'s usual advice: k-means start,
# EMA codes, dead-code restarts. The live figure follows each run in turn.
#
# **Predict before you run.** EMA alone, with the straight-through gradient and no other
# remedy: set every chosen code to the running mean of its encoder outputs. Will it use
# more of the codebook than the plain quantizer, about as much, or less?

# %% slideshow={"slide_type": "subslide"}
my_guess = ...  # "more", "about as much" or "less"
exercises.get("06-ema-alone").check(my_guess)

# %% slideshow={"slide_type": "fragment"}
low = f"low-dim ({LOW_DIM})"
REMEDIES = {
    "plain": {},
    "k-means init": {"kmeans_init": True},
    "EMA": {"ema": True},
    "EMA + rotation trick": {"ema": True, "rotation_trick": True},
    "dead-code restart": {"restart_dead": True, "dead_after": DEAD_AFTER},
    low: {"codebook_dim": LOW_DIM},
    "cosine": {"cosine": True},
    f"{low} + cosine": {"codebook_dim": LOW_DIM, "cosine": True},
    "recommended: k-means + EMA + restart": {"kmeans_init": True, "ema": True, "restart_dead": True,
                                             "dead_after": DEAD_AFTER},
    "all on": {"kmeans_init": True, "ema": True, "restart_dead": True, "dead_after": DEAD_AFTER,
               "codebook_dim": LOW_DIM, "cosine": True},
}
RECOMMENDED = "recommended: k-means + EMA + restart"
live_remedies, _ = vq.live_usage(CODEBOOK_SIZE, ds.train.images)
display(live_remedies)
for name, options in REMEDIES.items():
    if name not in runs:
        runs[name] = train_vq(name, options, live_remedies.figure)
trained = [r["history"].seconds for r in runs.values() if not r["history"].from_cache]
print(f"{len(trained)} VQ-VAEs trained in {sum(trained):.0f} s, {len(runs) - len(trained)} loaded from the cache")

# %% slideshow={"slide_type": "subslide"}
def keywords(options: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items()) or "(none)"


plots.Table([{"quantizer": name, "keyword arguments": keywords(REMEDIES[name]),
              "codes used (train)": f"{r['usage']:.1%}", "codes used (test)": f"{r['test usage']:.1%}",
              "perplexity": r["perplexity"], "dead codes": int(r["dead codes"]), "test MSE": r["mse"]}
             for name, r in runs.items()],
            caption=f"K = {CODEBOOK_SIZE} codes of {CODE_DIM} numbers, {VQ_EPOCHS} epochs each; codes used on the "
                    f"{len(ds.train):,} training and the {len(test_x):,} test images, perplexity and dead codes on "
                    "the training images", digits=4)

# %% slideshow={"slide_type": "subslide"}
plots.line_chart(list(range(1, VQ_EPOCHS + 1)), {name: r["history"].extra["perplexity"] for name, r in runs.items()},
                 x_title="epoch", y_title="perplexity (log scale)", log_y=True,
                 title="Codebook perplexity after each epoch")

# %% slideshow={"slide_type": "subslide"}
best = runs[RECOMMENDED]
vq.usage_figure(best["counts"], vq.epochs_of(best["history"]), title="recommended quantizer")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Usage on training and on test images
#
# Every quantizer reaches fewer codes on the test images than on the training images.
# Part of that is simple counting. **Predict before you run:** suppose all 512 codes were
# used perfectly evenly, so that each of 1,000 test images lands on any code with the same
# chance, 1/512, independently. What share of the codes would get at least one test image?

# %% slideshow={"slide_type": "subslide"}
my_guess = ...  # a share between 0 and 1
exercises.get("06-even-use").check(my_guess)


# %% slideshow={"slide_type": "subslide"}
def even_use(codes: int, images: int) -> float:
    """The expected share of codes that at least one of `images` lands on, if every code is equally likely."""
    return 1 - (1 - 1 / codes) ** images


ceiling_test, ceiling_train = even_use(CODEBOOK_SIZE, len(test_x)), even_use(CODEBOOK_SIZE, len(ds.train))
say("If every one of the {k} codes were used equally often, a code would get no test image with probability "
    "(1 − 1/{k})^{n_test:,} = {miss:.1%}, so the {n_test:,} test images would reach only {test:.1%} of the codes on "
    "average, and the {n_train:,} training images {train:.1%}. Test usage is lower even for a perfect codebook. On "
    "top of that, a code that few training images use (a rare slant) often gets no test image at all. The "
    "recommended quantizer reaches {rec_train:.1%} of its codes on training images and {rec_test:.1%} on test "
    "images, {rec_share:.0%} of what perfectly even use would reach there.",
    k=CODEBOOK_SIZE, n_test=len(test_x), miss=1 - ceiling_test, test=ceiling_test, n_train=len(ds.train),
    train=ceiling_train, rec_train=best["usage"], rec_test=best["test usage"],
    rec_share=best["test usage"] / ceiling_test)

# %% slideshow={"slide_type": "subslide"}
r = runs
lowcos = r[f"{low} + cosine"]
say("What the table says, remedy by remedy (codes used on the training images, test error):\n\n"
    "* **Dead-code restarts** do the most on their own ({restart:.0%}, error {restart_mse:.4f} against the plain "
    "quantizer's {plain:.0%}, {plain_mse:.4f}): a dead code is put back where the data is, again and again, "
    "until nearly every code has images of its own, and {k} pictures fit the digits better than a few dozen.\n"
    "* **EMA alone, with straight-through, makes it worse** ({ema:.1%}). It fixes the lag (the chosen codes now "
    "sit right on their outputs), which only makes those codes win more often; it does nothing for codes that "
    "are never chosen, since an average of nothing does not move.\n"
    "* **With the rotation trick, the same EMA keeps {ema_rot:.0%} of its codes** (error {ema_rot_mse:.4f}). The "
    "lookup and the EMA rule are the same; only the gradient that reaches the encoder differs. So the verdict "
    "on EMA holds for straight-through, not for EMA as such: `vector-quantize-pytorch`'s default (EMA with the "
    "rotation trick) does not collapse this way, though it stays well short of restarts.\n"
    "* **k-means initialisation** starts every code among the early outputs ({kmeans:.0%}), but the encoder "
    "keeps changing after that, and the codes it leaves behind die as before.\n"
    "* **Low-dimensional lookup** alone: {low:.0%}; **cosine** codes: {cosine:.0%}; the two together: {lowcos:.0%}. "
    "On the unit sphere of a small space no code can be stranded far from the data.\n"
    "* The **recommended** combination uses {rec:.1%} of the codebook and reconstructs with error {rec_mse:.4f} "
    "against the plain quantizer's {plain_mse:.4f}. Adding the low-dimensional cosine lookup on top ({all_on:.1%}, "
    "error {all_mse:.4f}) keeps the usage but not the gain in reconstruction, in this short budget: a "
    "{low_dim}-number lookup space is a tight squeeze.",
    restart=r["dead-code restart"]["usage"], restart_mse=r["dead-code restart"]["mse"], plain=plain["usage"],
    plain_mse=plain["mse"], k=CODEBOOK_SIZE, ema=r["EMA"]["usage"], ema_rot=r["EMA + rotation trick"]["usage"],
    ema_rot_mse=r["EMA + rotation trick"]["mse"], kmeans=r["k-means init"]["usage"], low=r[low]["usage"],
    cosine=r["cosine"]["usage"], lowcos=lowcos["usage"], rec=best["usage"], rec_mse=best["mse"],
    all_on=r["all on"]["usage"], all_mse=r["all on"]["mse"], low_dim=LOW_DIM)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The lesson's claims, checked every time this notebook runs:

# %% slideshow={"slide_type": "subslide"}
usage_r, perp_r, mse_r = best["usage"], best["perplexity"], best["mse"]
check_claim(f"with the remedies on, at least 90% of the codebook is used",
            usage_r >= 0.9, f"{usage_r:.1%} of {CODEBOOK_SIZE} codes; plain quantizer {plain['usage']:.1%}",
            smoke=SMOKE)
check_claim("with the remedies on, perplexity is at least 5 times the plain quantizer's",
            perp_r >= 5 * plain["perplexity"],
            f"{perp_r:.0f} vs {plain['perplexity']:.0f}, {perp_r / plain['perplexity']:.1f}x", smoke=SMOKE)
check_claim("with the remedies on, the test reconstruction error is lower", mse_r < plain["mse"],
            f"MSE {mse_r:.4f} vs {plain['mse']:.4f}", smoke=SMOKE)
check_claim("dead-code restarts alone use at least 90% of the codebook", r["dead-code restart"]["usage"] >= 0.9,
            f"{r['dead-code restart']['usage']:.1%}", smoke=SMOKE)
check_claim("EMA alone with straight-through uses fewer codes than the plain quantizer",
            r["EMA"]["usage"] < plain["usage"], f"{r['EMA']['usage']:.1%} vs {plain['usage']:.1%}", smoke=SMOKE)
check_claim("the same EMA with the rotation trick uses at least twice as many codes as the plain quantizer",
            r["EMA + rotation trick"]["usage"] >= 2 * plain["usage"],
            f"{r['EMA + rotation trick']['usage']:.1%} vs {plain['usage']:.1%}; "
            f"with straight-through {r['EMA']['usage']:.1%}", smoke=SMOKE)
check_claim("every quantizer reaches no more codes on the test images than on the training images",
            all(x["test usage"] <= x["usage"] for x in runs.values()),
            ", ".join(f"{name} {x['test usage']:.0%}/{x['usage']:.0%}" for name, x in runs.items()), smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Pick a code, see its images
#
# **Play with it.** Choose a code of the recommended quantizer (most used first): on the
# left what the decoder draws for it, on the right the training images that land on it.
# Now a code holds a small family of similar-looking images (counted after the static
# figure below). (The figure updates in place; in a saved notebook without a kernel a picture of how it
# starts stands in its place, and the static figure below shows a few codes.)

# %% slideshow={"slide_type": "subslide"}
vq.code_chooser(best["model"], ds.train.images, labels=ds.train.labels)

# %% slideshow={"slide_type": "subslide"}
top_best = best["counts"].argsort(descending=True)[:3].tolist()
middle = best["counts"].argsort(descending=True)[[100, 250]].tolist() if CODEBOOK_SIZE > 250 else []
plots.image_grid(vq.images_on_codes(best["model"], ds.train.images, top_best + middle, n=12),
                 title="The recommended quantizer: training images on its 3 busiest codes and two ordinary ones",
                 cell_px=40)

# %% slideshow={"slide_type": "subslide"}
say("Compare with the plain quantizer's busiest codes above ({plain_crowd}): here the three busiest hold "
    "{best_crowd}, and the two ordinary ones {middle_crowd}. That is what a VQ-VAE's codebook should be: a "
    "vocabulary where every word is used and means something specific.",
    plain_crowd=crowd(plain, top_plain[:3]), best_crowd=crowd(best, top_best),
    middle_crowd=crowd(best, middle) if middle else "none (a small codebook)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Two were set on the way: writing the lookup (section 3) and two predictions (section 4).
# One more, in words.
#
# **In your words.** The one-hot code of section 2 and the VQ-VAE's codebook both
# collapse: a few choices take everything. Why does a choice or a code that is never
# picked stay unpicked, and what does each remedy that worked here (the usage penalty of
# section 2, dead-code restarts) do about it? Answer in a sentence or two; the check looks
# for the key ideas.

# %% slideshow={"slide_type": "subslide"}
my_answer = ...  # a string
question = exercises.get("06-why-dead-stays-dead")
question.check(my_answer)
# question.solution()  # uncomment for a model answer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What this notebook measured
#
# The headline figures go to `build/results/06_discrete_latents.json`, which the tests read.

# %% slideshow={"slide_type": "subslide"}
figures = {
    "codebook_size": CODEBOOK_SIZE,
    "code_dim": CODE_DIM,
    "vq_usage_baseline": plain["usage"],
    "vq_perplexity_baseline": plain["perplexity"],
    "vq_dead_baseline": plain["dead codes"],
    "vq_mse_baseline": plain["mse"],
    "vq_usage_remedied": usage_r,
    "vq_perplexity_remedied": perp_r,
    "vq_dead_remedied": best["dead codes"],
    "vq_mse_remedied": mse_r,
    "vq_test_usage_baseline": plain["test usage"],
    "vq_test_usage_remedied": best["test usage"],
    "vq_test_usage_even_ceiling": ceiling_test,
    "vq_usage_ema": runs["EMA"]["usage"],
    "vq_usage_ema_rotation": runs["EMA + rotation trick"]["usage"],
    "vq_remedies": {name: {"options": REMEDIES[name], "usage": r["usage"], "test_usage": r["test usage"],
                           "perplexity": r["perplexity"], "mse": r["mse"]} for name, r in runs.items()},
    "cluster_acc_onehot": acc_onehot,
    "cluster_acc_kmeans_pixels": acc_kmeans,
    "cluster_acc_kmeans_ae": cluster_acc[f"k-means on autoencoder codes ({AE_CODE} numbers)"],
    "cluster_acc_templates_only": cluster_acc["one-hot code, templates only (no pose)"],
    "bits": BITS,
    "binary_mse_sign": binary_rows[f"sign, {BITS} bits"]["test MSE"],
    "binary_mse_bernoulli": binary_rows[f"Bernoulli, {BITS} bits"]["test MSE"],
    "ae_mse": binary_rows[f"continuous, {AE_CODE} numbers"]["test MSE"],
    "neighbours_agree_sign": binary_rows[f"sign, {BITS} bits"]["10 nearest share the digit"],
    "train_seconds": sum(h.seconds for h in (history_ae, history_sign, history_coin, history_onehot,
                                             history_templates, *(r["history"] for r in runs.values()))),
}
record_results("06_discrete_latents", figures, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * A discrete code has a size you can count in bits, can be searched by comparing bits,
#   and can name a category or a token. Its rounding has no gradient: the
#   **straight-through** trick uses the rounded value forwards and a smooth stand-in backwards.
# * A one-hot code trains through the **Gumbel-softmax**, with a temperature that falls from
#   soft blends to near one-hot choices. Its groups match the digits only as well as the
#   decoder lets the choice mean "which digit": with a pose to absorb slant and size, far
#   better than k-means.
# * A **VQ-VAE** snaps the encoder's output to the nearest code of a learned codebook;
#   straight-through gradients, a codebook loss and a commitment loss train it.
# * Left alone, most of its codebook dies. **Watch the usage** (histogram, perplexity, dead
#   codes) and fix it: dead-code restarts above all, with a k-means start and EMA codes.
# * EMA codes alone make the collapse worse **with the straight-through gradient**; the
#   rotation trick, which changes only the gradient that reaches the encoder, keeps many
#   more codes alive under the same EMA. A verdict on a remedy holds for the rest of the
#   recipe it was measured with.
# * Count usage on held-out images too, and compare it with what even use could reach:
#   $1 - (1 - 1/K)^N$ of $K$ codes for $N$ images.
#
# **Next:** lesson 07 reads text as a representation; lesson 09 counts a code's cost in
# bits and trades it against reconstruction error, as the binary codes here began to.
#
# ## References
#
# * Aaron van den Oord, Oriol Vinyals and Koray Kavukcuoglu (2017). *Neural Discrete
#   Representation Learning.* NeurIPS. arXiv:1711.00937 (the VQ-VAE).
# * Eric Jang, Shixiang Gu and Ben Poole (2017). *Categorical Reparameterization with
#   Gumbel-Softmax.* ICLR. arXiv:1611.01144; Chris J. Maddison, Andriy Mnih and Yee Whye Teh
#   (2017). *The Concrete Distribution.* ICLR. arXiv:1611.00712.
# * Yoshua Bengio, Nicholas Léonard and Aaron Courville (2013). *Estimating or Propagating
#   Gradients Through Stochastic Neurons for Conditional Computation.* arXiv:1308.3432 (the
#   straight-through estimator).
# * Christopher Fifty, Ronald G. Junkins, Dennis Duan, Aniketh Iger, Jerry W. Liu, Ehsan
#   Amid, Sebastian Thrun and Christopher Ré (2024). *Restructuring Vector Quantization with
#   the Rotation Trick.* arXiv:2410.06424.
# * Neil Zeghidour, Alejandro Luebs, Ahmed Omran, Jan Skoglund and Marco Tagliasacchi (2021).
#   *SoundStream: An End-to-End Neural Audio Codec.* arXiv:2107.03312 (k-means start and
#   dead-code restarts); Ali Razavi, Aaron van den Oord and Oriol Vinyals (2019). *Generating
#   Diverse High-Fidelity Images with VQ-VAE-2.* NeurIPS. arXiv:1906.00446 (EMA codes).
# * Phil Wang and contributors, `vector-quantize-pytorch`,
#   https://github.com/lucidrains/vector-quantize-pytorch (the keyword arguments here follow it).
# * Hung-yi Lee (李宏毅), *Machine Learning* lecture "Auto-encoder" (discrete representation,
#   VQ-VAE), National Taiwan University.
