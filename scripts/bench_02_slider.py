"""How long does lesson 02's noise-level slider take to recompute? Budget: 50 ms a move on the CPU.

    .venv/bin/python scripts/bench_02_slider.py                 # untrained models, 300 moves
    .venv/bin/python scripts/bench_02_slider.py --trained       # the lesson's trained models
    .venv/bin/python scripts/bench_02_slider.py --moves 1000 --threads 1

Builds the lesson's widget (:func:`course.denoising.noise_explorer`) with its eight test
digits and its three denoisers (PCA with 64 directions, the plain and the denoising
ConvAutoencoder with a 64-number code), then moves the slider as a learner drags it
(through every level, up and down, switching noise model on the way) and times each
move: the noise, the three denoisers, PSNR, tiling and the figure's ``batch_update``.
What the browser does with the update afterwards is not included. The widget runs its
recomputation on one torch thread (:func:`course.denoising.one_thread`).

By default the autoencoders are untrained: a forward pass costs the same whatever the
weights are. ``--trained`` trains them with the lesson's default settings (or loads them
from the checkpoint cache; a minute or so the first time) to time exactly what the
lesson runs. Exits with 1 when the median is over budget.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch

BUDGET_MS = 50.0


def build_models(trained: bool, bottleneck: int = 64):
    from course import data
    from course.baselines import PCAAutoencoder
    from course.device import seed_everything
    from course.models import ConvAutoencoder
    from course.noise import DenoisingLoss
    from course.train import fit, reconstruction_loss

    ds = data.load("mnist5k")
    models = []
    for loss_fn in (reconstruction_loss, DenoisingLoss({"gaussian": 0.7, "masking": 0.7,
                                                        "salt and pepper": 0.5}, seed=0)):
        seed_everything(0)
        model = ConvAutoencoder(ds.image_shape, bottleneck)
        if trained:  # the lesson's defaults, so its cached checkpoints are reused
            fit(model, ds.train.images, val=ds.val.images, epochs=20, batch_size=64, lr=4e-3,
                loss_fn=loss_fn, seed=0, cache=True, desc="training (or loading) for the benchmark")
        models.append(model.to("cpu").eval())
    pca = PCAAutoencoder(bottleneck, seed=0).fit(ds.train.images)
    return ds.test.images[:8], pca, models


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=300, help="slider moves to time (default 300)")
    parser.add_argument("--trained", action="store_true", help="use the lesson's trained models")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads of the process (default: torch's; the widget uses 1)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from course.denoising import noise_explorer
    from course.noise import NOISES
    from course.train import predict

    shown, pca, (plain_ae, dae) = build_models(args.trained)
    denoisers = {"PCA": pca, "plain AE": lambda x: predict(plain_ae, x),
                 "denoising AE": lambda x: predict(dae, x)}
    widget = noise_explorer(shown, denoisers, level=0.5, seed=0)
    menu, slider = widget.controls
    steps = [round(i * slider.step, 2) for i in range(int(round(slider.max / slider.step)) + 1)]
    path = steps + steps[::-1]  # drag up, then down

    for value in path[:10]:  # warm-up: first calls allocate and initialise
        slider.value = value
    times_ms: list[float] = []
    kinds = list(NOISES)
    i = 0
    while len(times_ms) < args.moves:
        if i and i % len(path) == 0:
            menu.value = kinds[(kinds.index(menu.value) + 1) % len(kinds)]  # untimed
        target = path[i % len(path)]
        i += 1
        if target == slider.value:
            continue
        start = time.perf_counter()
        slider.value = target  # the observer recomputes and redraws before this returns
        times_ms.append((time.perf_counter() - start) * 1000)

    median = statistics.median(times_ms)
    p90 = statistics.quantiles(times_ms, n=10)[-1]
    print(f"slider recompute over {len(times_ms)} moves ({'trained' if args.trained else 'untrained'} "
          f"models; the widget recomputes on 1 of torch's {torch.get_num_threads()} threads): median {median:.1f} ms, "
          f"90th percentile {p90:.1f} ms, max {max(times_ms):.1f} ms (budget {BUDGET_MS:.0f} ms)")
    verdict = "ok" if median <= BUDGET_MS else "OVER BUDGET"
    print(verdict)
    return 0 if median <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
