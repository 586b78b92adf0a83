"""Helpers for the autoencoder course.

The notebooks in ``notebooks/`` tell the story; this package holds what they reuse.
Each module's docstring says which lessons use it:

- :mod:`course.device`      device choice and seeding (every lesson)
- :mod:`course.data`        the data registry: mnist5k (offline default), digits8x8, mnist, fashion-mnist
- :mod:`course.models`      the autoencoders of lesson 01 (linear, fully connected, convolutional)
- :mod:`course.noise`       noise models, PSNR and the denoising loss (lesson 02)
- :mod:`course.denoising`   PSNR sweeps, their figure and the noise-level widget (lesson 02)
- :mod:`course.text`        offline English prose, held-out split, tokenizer, BERT masking, n-gram baselines (lesson 03)
- :mod:`course.bert`        a tiny masked language model, its loss, evaluation, fill-in-the-blank widget (lesson 03)
- :mod:`course.sprites`     dSprites-like shapes with known generative factors (lesson 04)
- :mod:`course.disentangle` MIG, latent-factor heatmaps, traversals and latent sliders (lesson 04)
- :mod:`course.discrete`    binary and one-hot (Gumbel-softmax) codes, clusters found without labels (lesson 06)
- :mod:`course.vq`          the vector quantizer with its remedies as keyword arguments, the VQ-VAE, codebook usage (lesson 06)
- :mod:`course.vae`         the variational autoencoder, sampling, interpolation (lesson 08)
- :mod:`course.classifier`  a digit classifier that grades generated images (lessons 08, 10)
- :mod:`course.anomaly`     one-class tasks, scores, thresholds, cost tables (lesson 10)
- :mod:`course.train`       one ``fit`` loop with progress bar, loss history and checkpoint cache
- :mod:`course.checkpoints` the checkpoint cache: keyed, atomic, checksummed
- :mod:`course.baselines`   PCA and linear probes, the baselines every lesson measures against
- :mod:`course.plots`       plotly figures: image grids, loss curves, latent maps, tables
- :mod:`course.widgets`     interactive widgets (sliders that redraw figures in place)
- :mod:`course.results`     the one call that records a notebook's headline figures, and claims
- :mod:`course.params`      checking a notebook's parameters cell
- :mod:`course.show`        render the source of the code a lesson is about
- :mod:`course.exercises`   exercises with automatic checks and hidden solutions, a module per lesson
- :mod:`course.notebooks`   building and checking the paired notebooks (``make notebooks``)
- :mod:`course.lab`         ``make lab``: the course kernel and JupyterLab settings, then JupyterLab
"""

__version__ = "0.1.0"
