"""How fast ``course.train.predict`` runs the lessons' convolutional models per batch size,
and whether every batch size gives the same bits (it chose 128 from this).

    python scripts/predict_batch_size.py            # torch's threads (2 on a 2-core laptop)
    OMP_NUM_THREADS=1 python scripts/predict_batch_size.py

Untrained models: the time and the bits do not depend on what the weights are.
"""

from __future__ import annotations

import time

import torch

from course import codec, data
from course.models import ConvAutoencoder
from course.train import predict
from course.vae import ConvVAE

BATCH_SIZES = (32, 64, 128, 256, 1000)


def milliseconds(run, repeats: int = 3) -> tuple[float, torch.Tensor]:
    out = run()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        out = run()
    return (time.perf_counter() - start) / repeats * 1000, out


def main() -> None:
    torch.manual_seed(0)
    images = data.load("mnist5k").test.images[:1000]
    learned = codec.LearnedCodec((1, 28, 28), 16, 64, init_gain=4.0).eval()
    cases = [("lesson 09 codec, decode", learned, predict(learned, images, method="encode"), "decode"),
             ("lesson 09 codec, encode", learned, images, "encode"),
             ("lesson 09 codec, forward", learned, images, "forward"),
             ("ConvAutoencoder(k=32)", ConvAutoencoder((1, 28, 28), 32).eval(), images, "forward"),
             ("ConvVAE(8)", ConvVAE((1, 28, 28), 8).eval(), images, "forward")]
    print(f"{torch.get_num_threads()} threads, {len(images)} digits; ms per batch size "
          + " / ".join(map(str, BATCH_SIZES)))
    for name, model, x, method in cases:
        times, outputs = zip(*(milliseconds(lambda: predict(model, x, method=method, batch_size=b))
                               for b in BATCH_SIZES))
        same = all(torch.equal(outputs[0], out) for out in outputs)
        print(f"  {name:26} " + " / ".join(f"{t:4.0f}" for t in times) + ("  same bits" if same else "  DIFFERENT"))


if __name__ == "__main__":
    main()
