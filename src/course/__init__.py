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
- :mod:`course.speech`      offline speech (eSpeak NG via ctypes), log-mel, Griffin-Lim, pitch (lesson 05)
- :mod:`course.voice`       AdaIN-VC and the plain two-code autoencoder, conversion grading, the conversion widget (lesson 05)
- :mod:`course.summaries`   generated news items with headlines, ROUGE, a bigram fluency model, fact accuracy (lesson 07)
- :mod:`course.seq2seq2seq` the summariser, reconstructor and discriminator, REINFORCE with a baseline, the summary widget (lesson 07)
- :mod:`course.discrete`    binary and one-hot (Gumbel-softmax) codes, clusters found without labels (lesson 06)
- :mod:`course.vq`          the vector quantizer with its remedies as keyword arguments, the VQ-VAE, codebook usage (lesson 06)
- :mod:`course.entropy`     entropy coding: probability tables to ANS bytes and back with constriction (lesson 09)
- :mod:`course.codec`       the learned codec (noise, learned density, rate + λ·distortion), PCA/JPEG/PNG/WebP codecs, PSNR and SSIM (lesson 09)
- :mod:`course.rate_distortion` rate-distortion curves, matched rates, the RD figure, the byte-budget widget (lesson 09)
- :mod:`course.vae`         the variational autoencoder, sampling, interpolation (lesson 08)
- :mod:`course.classifier`  a classifier that grades generated images and conversions (lessons 05, 08, 10)
- :mod:`course.anomaly`     one-class tasks, scores, thresholds, cost tables (lesson 10)
- :mod:`course.train`       one ``fit`` loop with progress bar, loss history and checkpoint cache
- :mod:`course.checkpoints` the checkpoint cache: keyed, atomic, checksummed
- :mod:`course.baselines`   PCA and linear probes, the baselines every lesson measures against
- :mod:`course.plots`       plotly figures: image grids, loss curves, latent maps, tables
- :mod:`course.widgets`     interactive widgets (sliders that redraw figures in place)
- :mod:`course.figure_widget` plotly's FigureWidget, loaded so that a busy machine cannot leave it empty (every lesson widget)
- :mod:`course.static`      a PNG beside every saved plotly figure, widget pictures (``make notebooks``)
- :mod:`course.browser`     the system's Chromium through playwright (figure pictures, browser tests)
- :mod:`course.results`     the one call that records a notebook's headline figures, and claims
- :mod:`course.params`      checking a notebook's parameters cell, limits between parameters, the training-time estimate
- :mod:`course.env`         on/off environment switches (COURSE_OFFLINE): 1/true/yes/on, 0/false/no/off
- :mod:`course.show`        render the source of the code a lesson is about
- :mod:`course.prose`       sentences whose numbers come from the run, as Markdown (every lesson)
- :mod:`course.diagrams`    block diagrams of the models, as SVG (every lesson)
- :mod:`course.exercises`   exercises with automatic checks and hidden solutions, a module per lesson
- :mod:`course.notebooks`   building and checking the paired notebooks (``make notebooks``)
- :mod:`course.slides`      lecture mode: slide metadata, offline reveal.js slides (``make slides``), warming the cache (``make warm``)
- :mod:`course.site`        ``make site``: the course website from the committed notebooks
- :mod:`course.lab`         ``make lab``: the course kernel and JupyterLab settings, then JupyterLab
"""

__version__ = "0.1.0"


def _skip_the_iri_format_checker() -> None:
    """Save every kernel 1.2 s of start-up (a tenth of a lesson's re-run from the cache).

    Showing a plotly figure imports nbformat, which imports jsonschema, whose checker of the
    "iri" string format (the optional package rfc3987-syntax) builds two Earley parsers as
    it is imported. Neither nbformat's schemas nor anything else in a lesson checks IRIs,
    so, unless jsonschema is already loaded, the course tells Python that package is absent
    (jsonschema then leaves that one format unchecked, as it does where it is not installed).
    """
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


_skip_the_iri_format_checker()
