"""Lesson 01 (01_autoencoder_basics): the training loop, PCA as the best linear autoencoder,
what a 2-number code knows, why a wider code fits its training images more closely."""

from __future__ import annotations

import copy
import math
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from course.exercises.core import Exercise, explanation, prediction

LESSON = "01_autoencoder_basics"


def pca_reconstruct(train: torch.Tensor, test: torch.Tensor, k: int) -> torch.Tensor:
    """Project ``test`` rows on the top-``k`` principal directions of ``train`` and map back."""
    mean = train.mean(0)
    _, _, vt = torch.linalg.svd(train - mean, full_matrices=False)
    directions = vt[:k]                        # (k, D): the encoder's weights
    codes = (test - mean) @ directions.T       # encode: the k numbers of the bottleneck
    return codes @ directions + mean           # decode: back to D numbers


def _check_pca_reconstruct(answer: Callable[..., Any]) -> None:
    from sklearn.decomposition import PCA

    g = torch.Generator().manual_seed(0)
    basis = torch.randn(5, 40, generator=g)
    train = torch.randn(200, 5, generator=g) @ basis + 0.1 * torch.randn(200, 40, generator=g) + 3.0
    test = torch.randn(50, 5, generator=g) @ basis + 0.1 * torch.randn(50, 40, generator=g) + 3.0
    for k in (1, 3):
        got = answer(train.clone(), test.clone(), k)
        assert isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}"
        assert got.shape == test.shape, f"with k={k} the result should have shape {tuple(test.shape)}, got {tuple(got.shape)}"
        pca = PCA(k).fit(train.double().numpy())
        want = torch.from_numpy(pca.inverse_transform(pca.transform(test.double().numpy())))
        error = (got.double() - want).abs().max().item()
        if error > 1e-3:
            centred = (got.double() - test.double()).abs().max().item() < 1e-3
            hint = ("it returns the input unchanged: project on k directions" if centred
                    else "did you subtract the training mean before the SVD, and add it back?")
            raise AssertionError(f"with k={k} it differs from PCA by {error:.3g}; {hint}")


def train_epoch(model: nn.Module, images: torch.Tensor, optimizer: torch.optim.Optimizer,
                batch_size: int, generator: torch.Generator) -> float:
    """One epoch of the course's training loop; returns the mean reconstruction loss per image."""
    model.train()
    order = torch.randperm(len(images), generator=generator)  # a new order every epoch
    total = 0.0
    for i in range(0, len(images), batch_size):
        x = images[order[i:i + batch_size]]
        loss = F.mse_loss(model(x), x)   # the image is its own target
        optimizer.zero_grad()            # forget the previous batch's gradients
        loss.backward()                  # gradients of this batch's loss
        optimizer.step()                 # one step downhill
        total += loss.item() * len(x)    # the last batch may be smaller: weight by its size
    return total / len(images)


# wrong answers the check must recognise (and reject)
def _no_zero_grad(model, images, optimizer, batch_size, generator):
    model.train()
    order = torch.randperm(len(images), generator=generator)
    total = 0.0
    for i in range(0, len(images), batch_size):
        x = images[order[i:i + batch_size]]
        loss = F.mse_loss(model(x), x)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
    return total / len(images)


def _no_shuffle(model, images, optimizer, batch_size, generator):
    model.train()
    total = 0.0
    for i in range(0, len(images), batch_size):
        x = images[i:i + batch_size]
        loss = F.mse_loss(model(x), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
    return total / len(images)


def _mean_of_batches(model, images, optimizer, batch_size, generator):
    model.train()
    order = torch.randperm(len(images), generator=generator)
    losses = []
    for i in range(0, len(images), batch_size):
        x = images[order[i:i + batch_size]]
        loss = F.mse_loss(model(x), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def _step_before_backward(model, images, optimizer, batch_size, generator):
    model.train()
    order = torch.randperm(len(images), generator=generator)
    total = 0.0
    for i in range(0, len(images), batch_size):
        x = images[order[i:i + batch_size]]
        loss = F.mse_loss(model(x), x)
        optimizer.zero_grad()
        optimizer.step()
        loss.backward()
        total += loss.item() * len(x)
    return total / len(images)


_WRONG_LOOPS = {
    _no_zero_grad: "the gradients pile up from batch to batch: call optimizer.zero_grad() before loss.backward()",
    _no_shuffle: "the batches come in the same order every epoch: draw a new order with "
                 "torch.randperm(len(images), generator=generator) and take the batches from it",
    _step_before_backward: "optimizer.step() runs before loss.backward(), so each step uses the gradients of "
                           "nothing (or of the batch before): backward first, then step",
}


def _loop_problem() -> tuple[nn.Module, torch.Tensor]:
    """A tiny autoencoder and 50 random 4x4 'images' (50 is not a multiple of the batch size 16)."""
    from course.models import MLPAutoencoder

    torch.manual_seed(0)
    model = MLPAutoencoder((1, 4, 4), 3, hidden=(8,))
    images = torch.rand(50, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    return model, images


def _run_loop(loop: Callable[..., Any], model: nn.Module, images: torch.Tensor, seed: int) -> tuple[Any, nn.Module]:
    model = copy.deepcopy(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss = loop(model, images.clone(), optimizer, 16, torch.Generator().manual_seed(seed))
    return loss, model


def _same_weights(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.allclose(p, q, rtol=1e-5, atol=1e-6) for p, q in zip(a.parameters(), b.parameters()))


def _check_train_epoch(answer: Callable[..., Any]) -> None:
    from course.train import fit

    start, images = _loop_problem()
    # the lesson's own loop: one epoch of fit, constant learning rate, on the CPU
    reference = copy.deepcopy(start)
    history = fit(reference, images, epochs=1, lr=1e-2, batch_size=16, schedule="constant", seed=3,
                  device="cpu", progress=False)
    loss, trained = _run_loop(answer, start, images, seed=3)
    assert isinstance(loss, (float, int)) and not isinstance(loss, bool), (
        f"return the mean loss as a Python number (loss.item()), got {type(loss).__name__}")
    if _same_weights(trained, start):
        raise AssertionError("the weights did not change: for every batch call loss.backward() and then "
                             "optimizer.step(), in that order")
    if not _same_weights(trained, reference):
        for wrong, hint in _WRONG_LOOPS.items():
            if _same_weights(trained, _run_loop(wrong, start, images, seed=3)[1]):
                raise AssertionError(f"after one epoch the weights differ from the course's fit: {hint}")
        again = _run_loop(answer, start, images, seed=3)[1]
        if not _same_weights(trained, again):
            raise AssertionError("two runs with the same generator give different weights: draw the order "
                                 "with torch.randperm(len(images), generator=generator)")
        raise AssertionError("after one epoch the weights differ from the course's fit: shuffle with "
                             "torch.randperm(len(images), generator=generator), take batches of batch_size "
                             "in that order, and for each: loss = F.mse_loss(model(x), x), "
                             "optimizer.zero_grad(), loss.backward(), optimizer.step()")
    want = history.train_loss[0]
    if not math.isclose(float(loss), want, rel_tol=1e-4):
        batches = _run_loop(_mean_of_batches, start, images, seed=3)[0]
        hint = ("that is the mean of the batch losses, but the last batch holds only 2 images: "
                "weight each batch's loss by its size and divide by the number of images"
                if math.isclose(float(loss), batches, rel_tol=1e-4) else
                "return the mean loss per image over the whole epoch, measured on each batch before its step")
        raise AssertionError(f"the weights are right, but you return {float(loss):.5f} where fit reports "
                             f"{want:.5f}: {hint}")


def _pca_without_centring(train: torch.Tensor, test: torch.Tensor, k: int) -> torch.Tensor:
    _, _, vt = torch.linalg.svd(train, full_matrices=False)
    return (test @ vt[:k].T) @ vt[:k]


def _copy_the_input(train: torch.Tensor, test: torch.Tensor, k: int) -> torch.Tensor:
    return test.clone()


EXERCISES = [
    prediction(
        "01-pca-directions-to-match", LESSON,
        "With a code of 8 numbers the convolutional autoencoder reaches a certain test error. "
        "How many directions does PCA need to reach the same error?",
        "16 to 31",
        "About 26 on mnist5k: more than three times as many numbers for the same error. The "
        "convolutional autoencoder bends its code around the curved set of images that look like "
        "digits; PCA can only keep flat directions, and many of them are needed to follow a curved set. "
        "The same holds at the other sizes: PCA needs about 5 directions to match k=2, and about 94 "
        "to match k=32.",
        choices=("8 to 15", "16 to 31", "32 to 63", "64 or more")),
    Exercise(
        "01-training-loop", LESSON,
        "Write train_epoch(model, images, optimizer, batch_size, generator): shuffle the images with "
        "torch.randperm(len(images), generator=generator); for each batch in that order compute the "
        "reconstruction loss F.mse_loss(model(x), x), zero the gradients, backpropagate and step; "
        "return the mean loss per image over the epoch (each batch's loss weighted by its size).",
        _check_train_epoch, train_epoch,
        mistakes=(_no_zero_grad, _no_shuffle, _mean_of_batches, _step_before_backward)),
    Exercise(
        "01-pca-by-svd", LESSON,
        "Write pca_reconstruct(train, test, k): centre with the training mean, take the top-k "
        "right singular vectors of the centred training data, project test onto them and map back.",
        _check_pca_reconstruct, pca_reconstruct, mistakes=(_pca_without_centring, _copy_the_input)),
    explanation(
        "01-why-wider-fits-closer", LESSON,
        "At the end of training, the model with the 32-number code has a clearly lower loss on its "
        "training images than on the validation images; the 2-number one a much smaller one. "
        "Why does the gap grow with the size of the code?",
        [("room", "capacity", "more numbers", "wider", "larger", "bigger", "more information", "more detail"),
         ("particular", "specific", "individual", "memor", "overfit", "over-fit", "own training", "details of")],
        "A 2-number code has room only for what all digits share (roughly which digit, how slanted, "
        "how bold), so what it learns from the training images holds just as well for new ones: the "
        "two losses stay together. A 32-number code has room for details as well, and some of what it "
        "learns to keep are details of its own training images in particular (this stroke, that "
        "blot), which do not carry over to new images: it begins to memorise, and the validation loss "
        "stays above the training loss. The bottleneck is what stops an autoencoder from fitting "
        "its training images rather than digits; without one (the section *What goes wrong*) it "
        "can copy anything."),
]
