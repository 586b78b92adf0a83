"""How long does lesson 05's conversion widget take to answer a change? Budget: 300 ms on the CPU.

    .venv/bin/python scripts/bench_05_widget.py                 # untrained model, 60 changes
    .venv/bin/python scripts/bench_05_widget.py --trained       # the lesson's trained AdaIN-VC
    .venv/bin/python scripts/bench_05_widget.py --changes 200 --threads 1

Builds the lesson's widget (:class:`course.voice.ConversionExplorer`) on the offline
speech, then changes its controls as a learner does (another source clip, another target
speaker, the voice slider) and times each change: the content and speaker codes, the
decoder, Griffin-Lim back to audio, three WAV files and the figure's ``batch_update``.
What the browser does with the update afterwards is not included. The widget computes on
one torch thread (:func:`course.device.one_thread`).

By default the model is untrained: a forward pass costs the same whatever the weights.
``--trained`` trains it with the lesson's default settings (or loads it from the
checkpoint cache). Exits with 1 when the median is over budget.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch

BUDGET_MS = 300.0


def build(trained: bool):
    from course import speech
    from course.device import seed_everything
    from course.train import fit
    from course.voice import ConversionExplorer, L1Reconstruction, VoiceConverter, same_speaker_pairs

    clips = speech.load("espeak-digits")
    spectrograms = speech.log_mel(clips.waves)
    seed_everything(0)
    model = VoiceConverter(speech.N_MELS, 8, 64, 64, instance_norm=True)
    if trained:  # the lesson's defaults, so its cached checkpoint is reused
        seen = tuple(s for s in range(len(clips.speakers)) if s not in clips.heldout)
        train_clips = clips.select(speakers=seen, repetitions=(0, 1, 2, 3))
        pairs = same_speaker_pairs(spectrograms, clips.speaker, clips.word, train_clips, partners=5, seed=0)
        fit(model, pairs, epochs=8, batch_size=32, lr=3e-3, loss_fn=L1Reconstruction(), seed=0, cache=True,
            desc="training (or loading) for the benchmark")
    return ConversionExplorer(model, clips, spectrograms, clips.select(repetitions=(4,)), reference_repetition=4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=60, help="control changes to time (default 60)")
    parser.add_argument("--trained", action="store_true", help="use the lesson's trained model")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads of the process (default: torch's; the widget uses 1)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    explorer = build(args.trained)
    sources = [value for _, value in explorer.source.options]
    targets = [value for _, value in explorer.target.options]
    times = []
    for i in range(args.changes):
        kind = i % 3
        start = time.perf_counter()
        if kind == 0:
            explorer.source.value = sources[(i * 7) % len(sources)]
        elif kind == 1:
            explorer.target.value = targets[(i * 3) % len(targets)]
        else:
            explorer.morph.value = round((i % 11) / 10, 1)
        times.append((time.perf_counter() - start) * 1000)
    median, worst = statistics.median(times), max(times)
    p90 = sorted(times)[int(0.9 * (len(times) - 1))]
    print(f"{len(times)} changes: median {median:.0f} ms, 90th percentile {p90:.0f} ms, worst {worst:.0f} ms "
          f"(budget {BUDGET_MS:.0f} ms a change)")
    return 0 if median <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
