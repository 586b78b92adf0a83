"""Exercises with automatic checks and hidden solutions.

In a lesson::

    exercise = exercises.get("01-pca-by-svd")
    exercise.check(pca_reconstruct)      # ✓, or ✗ with what went wrong
    # exercise.solution()                # uncomment to reveal a worked solution

A check never stops the notebook: an exercise that is not attempted yet (the stub
raises ``NotImplementedError``) or a wrong answer is reported, and the notebook runs on.
:meth:`Exercise.check` returns whether the answer passed, so tests can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from course.show import SourceCode, show_source


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: true when the answer passed. Its message is printed once."""

    passed: bool
    message: str

    @classmethod
    def say(cls, passed: bool, message: str) -> "Verdict":
        print(message)
        return cls(passed, message)

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Nothing more to show in a notebook: the message is already printed."""


@dataclass(frozen=True)
class Exercise:
    """A task, a checker that raises ``AssertionError`` with a hint, and a reference solution."""

    name: str
    lesson: str
    task: str
    checker: Callable[[Callable[..., Any]], None]
    reference: Callable[..., Any]

    def check(self, answer: Callable[..., Any]) -> "Verdict":
        """Run the checker on ``answer``, print the verdict, and return it (true if it passed)."""
        try:
            self.checker(answer)
        except NotImplementedError:
            return Verdict.say(False, f"… {self.name}: not attempted yet. {self.task}")
        except AssertionError as error:
            return Verdict.say(False, f"✗ {self.name}: not yet. {error}")
        except Exception as error:  # the learner's code crashed: say how, keep going
            return Verdict.say(False, f"✗ {self.name}: your function raised {type(error).__name__}: {error}")
        return Verdict.say(True, f"✓ {self.name}: correct.")

    def solution(self) -> SourceCode:
        """A worked solution (one of many that pass)."""
        return show_source(self.reference)


# --- lesson 01: PCA as the best linear autoencoder ----------------------------------------

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


# --- lesson 10: a threshold for a cost table -----------------------------------------------

def choose_lambda(scores: np.ndarray, is_anomaly: np.ndarray, miss_cost: float,
                  false_alarm_cost: float) -> float:
    """The threshold lambda (flag when score > lambda) with the least total cost here."""
    candidates = np.append(np.unique(scores), -np.inf)  # each score, and "flag everything"

    def total_cost(lam: float) -> float:
        flagged = scores > lam
        misses = np.sum(is_anomaly & ~flagged)
        false_alarms = np.sum(~is_anomaly & flagged)
        return miss_cost * misses + false_alarm_cost * false_alarms

    return float(min(candidates, key=total_cost))


def _check_choose_lambda(answer: Callable[..., Any]) -> None:
    rng = np.random.default_rng(10)

    def cost(scores, is_anomaly, flagged, miss, false_alarm) -> float:
        return float(miss * np.sum(is_anomaly & ~flagged) + false_alarm * np.sum(~is_anomaly & flagged))

    for n_normal, n_anomaly, gap in ((300, 15, 2.0), (200, 40, 1.0)):
        order = rng.permutation(n_normal + n_anomaly)
        scores = np.r_[rng.normal(size=n_normal), rng.normal(size=n_anomaly) + gap][order]
        is_anomaly = np.r_[np.zeros(n_normal, bool), np.ones(n_anomaly, bool)][order]
        candidates = np.r_[np.inf, scores, -np.inf]
        for miss, false_alarm in ((10.0, 1.0), (1.0, 1.0), (1.0, 20.0), (100.0, 1.0)):
            lam = answer(scores.copy(), is_anomaly.copy(), miss, false_alarm)
            assert isinstance(lam, (int, float, np.integer, np.floating)) and not isinstance(lam, bool), (
                f"return lambda as a number, got {type(lam).__name__}")
            best = choose_lambda(scores, is_anomaly, miss, false_alarm)
            want = cost(scores, is_anomaly, scores > best, miss, false_alarm)
            got = cost(scores, is_anomaly, scores > lam, miss, false_alarm)
            if got <= want + 1e-9:
                continue
            errors = [cost(scores, is_anomaly, scores > c, 1, 1) for c in candidates]
            reversed_costs = [cost(scores, is_anomaly, scores < c, miss, false_alarm) for c in candidates]
            if cost(scores, is_anomaly, scores < lam, miss, false_alarm) <= min(reversed_costs) + 1e-9:
                hint = "flag the items whose score is above lambda: a higher score means more anomalous"
            elif cost(scores, is_anomaly, scores > lam, 1, 1) <= min(errors) and miss != false_alarm:
                hint = ("your lambda makes the fewest mistakes, but they do not cost the same: "
                        "weigh each miss by miss_cost and each false alarm by false_alarm_cost")
            else:
                hint = ("try every score as a candidate lambda and keep the one with the least "
                        "total cost")
            raise AssertionError(
                f"with a miss costing {miss:g} and a false alarm {false_alarm:g}, lambda = {lam:.3g} "
                f"costs {got:g} in all, but lambda = {best:.3g} costs {want:g}; {hint}")


# --- lesson 08: the KL term by sampling, with the reparameterisation trick ----------------

def kl_monte_carlo(mean: torch.Tensor, log_var: torch.Tensor, n_samples: int) -> torch.Tensor:
    """Estimate ``KL(N(mean, exp(log_var)) || N(0, I))`` per row by sampling, keeping gradients."""
    from torch.distributions import Normal

    std = torch.exp(0.5 * log_var)
    eps = torch.randn(n_samples, *mean.shape)      # (n_samples, N, k), independent of mean and std
    z = mean + std * eps                           # the reparameterisation trick
    log_q = Normal(mean, std).log_prob(z).sum(-1)  # log q(z|x), summed over the latent dimensions
    log_p = Normal(0.0, 1.0).log_prob(z).sum(-1)   # log p(z) under the prior N(0, I)
    return (log_q - log_p).mean(0)                 # average over the samples: (N,)


def _check_kl_monte_carlo(answer: Callable[..., Any]) -> None:
    g = torch.Generator().manual_seed(8)
    mean = (torch.randn(6, 3, generator=g) * 0.8).requires_grad_()
    log_var = (torch.rand(6, 3, generator=g) * 2.5 - 2.0).requires_grad_()
    exact = 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var).sum(1).detach()
    torch.manual_seed(0)
    got = answer(mean, log_var, 20000)
    assert isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}"
    assert got.shape == (6,), (f"return one estimate per row, shape (6,), got {tuple(got.shape)}: "
                               "sum over the latent dimensions, average over the samples")
    assert got.requires_grad, ("no gradient reaches mean and log_var: draw eps ~ N(0, I) and use "
                               "z = mean + std * eps (the reparameterisation trick), not .sample() or torch.normal")
    error = (got.detach().double() - exact.double()).abs().max().item()
    if error > 0.05 + 0.03 * exact.abs().max().item():
        per_dim = (got.detach() * 3 - exact).abs().max().item() < 0.05 + 0.1 * exact.abs().max().item()
        hint = ("it looks like the mean over the latent dimensions: sum log-densities over them" if per_dim
                else "log_var is log σ²: the standard deviation is exp(log_var / 2); and the estimate "
                     "is the average of log q(z|x) - log p(z) at samples z of q")
        raise AssertionError(f"the estimates differ from the exact KL by up to {error:.3g} nats; {hint}")
    torch.manual_seed(1)
    again = answer(mean.detach(), log_var.detach(), 200)
    if torch.allclose(again.detach().double(), exact.double(), atol=1e-6):
        raise AssertionError("that is the closed form, exactly: estimate it by sampling z instead")
    mean.grad = log_var.grad = None
    torch.manual_seed(2)
    answer(mean, log_var, 20000).sum().backward()
    assert mean.grad is not None and log_var.grad is not None, "no gradient reaches mean and log_var"
    # d KL / d mean = mean; d KL / d log_var = (exp(log_var) - 1) / 2
    grad_error = max((mean.grad - mean.detach()).abs().max().item(),
                     (log_var.grad - 0.5 * (log_var.detach().exp() - 1)).abs().max().item())
    assert grad_error < 0.1, (f"the gradients are off by up to {grad_error:.3g}: "
                              "z must be mean + std * eps so that they flow through the sample")


# --- lesson 02: masking noise ----------------------------------------------------------

def mask_pixels(images: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Drop a random fraction ``p`` of the pixels (set them to 0), each pixel on its own."""
    keep = torch.rand(images.shape, generator=generator) >= p  # True with probability 1 - p
    return images * keep                                        # dropped pixels become 0


def _check_mask_pixels(answer: Callable[..., Any]) -> None:
    images = 0.1 + 0.9 * torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    original = images.clone()  # no pixel is 0 yet, so every 0 in the answer was dropped

    def call(p: float, seed: int) -> torch.Tensor:
        got = answer(images, p, torch.Generator().manual_seed(seed))
        assert isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}"
        assert torch.equal(images, original), "do not change `images` in place: return a new tensor"
        assert got.shape == images.shape, (
            f"return images of the input's shape {tuple(images.shape)}, got {tuple(got.shape)}")
        return got

    dropped = (call(0.5, 2) == 0).flatten(1)
    assert not torch.all(dropped == dropped[:, :1]), (
        "you dropped whole images: draw one random number per pixel")
    assert not torch.all(dropped == dropped[:1]), (
        "every image has the same mask: draw random numbers for the whole batch, shape images.shape")
    for p in (0.25, 0.5, 0.9, 0.0, 1.0):
        got = call(p, 1)
        dropped = got == 0
        if not torch.equal(got[~dropped], images[~dropped]):
            raise AssertionError(f"with p={p} some pixels that were not dropped changed: set the "
                                 "dropped pixels to 0 and keep the others exactly (no rescaling, "
                                 "unlike dropout)")
        fraction = dropped.float().mean().item()
        if abs(fraction - p) > 0.02:
            hint = ("you kept a fraction p and dropped the rest: drop a pixel with probability p"
                    if abs(fraction - (1 - p)) <= 0.02 else "drop each pixel with probability p")
            raise AssertionError(f"with p={p} you dropped {fraction:.0%} of the pixels; {hint}")
    a, b, c = call(0.5, 7), call(0.5, 7), call(0.5, 8)
    assert torch.equal(a, b) and not torch.equal(a, c), (
        "the same generator seed should give the same mask and another seed another one: "
        "draw the random numbers from it, torch.rand(..., generator=generator)")


# --- lesson 03: BERT's masking, 15% chosen, then 80/10/10 ----------------------------------

def mask_words(ids: torch.Tensor, rate: float, generator: torch.Generator,
               vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's noise: choose each word with probability ``rate``; of the chosen, 80% become
    ``[MASK]``, 10% a random word, 10% stay. Returns ``(inputs, chosen)``."""
    from course.text import MASK_ID, N_SPECIAL

    chosen = (torch.rand(ids.shape, generator=generator) < rate) & (ids >= N_SPECIAL)
    action = torch.rand(ids.shape, generator=generator)          # what happens to a chosen word
    random_words = torch.randint(N_SPECIAL, vocab_size, ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (action < 0.8)] = MASK_ID                     # 80%: [MASK]
    swap = chosen & (action >= 0.8) & (action < 0.9)              # 10%: a random word
    inputs[swap] = random_words[swap]
    return inputs, chosen                                         # the other 10%: unchanged


def _check_mask_words(answer: Callable[..., Any]) -> None:
    from course.text import MASK_ID, N_SPECIAL, PAD_ID, UNK_ID

    vocab_size = 60  # few words: a replacement by a special token would show
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(N_SPECIAL, vocab_size, (300, 64), generator=g)
    ids[:, 50:] = PAD_ID                                          # padding at the end of each row
    ids[torch.rand(ids.shape, generator=g) < 0.05] = UNK_ID       # and a few unknown words
    original = ids.clone()
    words = ids >= N_SPECIAL

    def call(rate: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        got = answer(ids, rate, torch.Generator().manual_seed(seed), vocab_size)
        assert isinstance(got, tuple) and len(got) == 2, "return two tensors: (inputs, chosen)"
        inputs, chosen = got
        assert isinstance(inputs, torch.Tensor) and isinstance(chosen, torch.Tensor), (
            "return two tensors: (inputs, chosen)")
        assert torch.equal(ids, original), "do not change `ids` in place: start from ids.clone()"
        assert inputs.shape == ids.shape and chosen.shape == ids.shape, (
            f"both tensors should have the shape of ids, {tuple(ids.shape)}")
        assert chosen.dtype == torch.bool, "chosen should be a boolean tensor (True where a word was chosen)"
        assert not torch.is_floating_point(inputs), "inputs should hold token ids (integers), like ids"
        assert not chosen[~words].any(), (
            f"padding and [UNK] (ids below N_SPECIAL = {N_SPECIAL}) must never be chosen")
        assert torch.equal(inputs[~chosen], ids[~chosen]), (
            "a word that was not chosen must stay as it is; only chosen words change")
        return inputs, chosen

    for rate in (0.15, 0.5):
        inputs, chosen = call(rate, 1)
        share = chosen[words].float().mean().item()
        if abs(share - rate) > 0.02:
            hint = ("you chose a share 1 - rate: choose a word when its random number is below rate"
                    if abs(share - (1 - rate)) <= 0.02 else "choose each word with probability rate")
            raise AssertionError(f"with rate={rate} you chose {share:.1%} of the words; {hint}")
        before, after = ids[chosen], inputs[chosen]
        masked = (after == MASK_ID).float().mean().item()
        swapped = ((after != MASK_ID) & (after != before)).float().mean().item()
        kept = (after == before).float().mean().item()
        if masked > 0.95:
            raise AssertionError("every chosen word became [MASK]: of the chosen words, 10% should "
                                 "become a random word and 10% stay as they are")
        if abs(masked - 0.8) > 0.04 or abs(swapped - 0.1) > 0.03 or abs(kept - 0.1) > 0.03:
            hint = ("decide for each chosen word with one random number u: u < 0.8 [MASK], "
                    "0.8 <= u < 0.9 a random word, u >= 0.9 unchanged")
            raise AssertionError(f"of the chosen words {masked:.0%} became [MASK], {swapped:.0%} "
                                 f"another word and {kept:.0%} stayed (want 80/10/10); {hint}")
        replaced = after[(after != MASK_ID) & (after != before)]
        assert replaced.min() >= N_SPECIAL and replaced.max() < vocab_size, (
            f"a random replacement must be a word: an id from N_SPECIAL = {N_SPECIAL} to vocab_size - 1, "
            "torch.randint(N_SPECIAL, vocab_size, ...)")
        assert len(replaced.unique()) > 30, (
            "the random replacements are nearly all the same word: draw one random word per position")
    nothing = call(0.0, 1)[1]
    everything = call(1.0, 1)[1]
    assert not nothing.any() and torch.equal(everything, words), (
        "with rate=0 nothing is chosen and with rate=1 every word (but no padding or [UNK])")
    (a, ca), (b, cb), (c, cc) = call(0.15, 7), call(0.15, 7), call(0.15, 8)
    assert torch.equal(a, b) and torch.equal(ca, cb) and not torch.equal(ca, cc), (
        "the same generator seed should give the same result and another seed another one: "
        "draw every random number from it, e.g. torch.rand(ids.shape, generator=generator)")


# --- lesson 04: mutual information, counted in a table -------------------------------------

def mutual_information_bits(a: np.ndarray, b: np.ndarray) -> float:
    """``I(a; b)`` in bits of two discrete variables, from ``N`` paired observations (any labels)."""
    _, a = np.unique(a, return_inverse=True)          # labels -> 0 .. n_a - 1
    _, b = np.unique(b, return_inverse=True)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)                     # count each pair of values
    joint /= joint.sum()                              # p(a, b)
    independent = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)  # p(a) p(b)
    seen = joint > 0                                  # pairs never seen add 0 (0 log 0 = 0)
    return float((joint[seen] * np.log2(joint[seen] / independent[seen])).sum())


def _check_mutual_information_bits(answer: Callable[..., Any]) -> None:
    def call(a: np.ndarray, b: np.ndarray, what: str) -> float:
        try:
            got = answer(a.copy(), b.copy())
        except (IndexError, ValueError) as error:
            raise AssertionError(
                f"on {what} your function raised {type(error).__name__}: {error}. The values are labels, "
                "not indices (they can be negative or far apart): turn them into 0 .. n-1 first, "
                "np.unique(values, return_inverse=True) does it") from None
        assert isinstance(got, (int, float, np.integer, np.floating)) and not isinstance(got, bool), (
            f"return the mutual information as one number, got {type(got).__name__}")
        return float(got)

    same = np.arange(4).repeat(25)
    got = call(same, same, "a variable with itself")
    if abs(got - 2.0) > 1e-6:
        hint = ("that is in nats: use log base 2 (np.log2) for bits" if abs(got - 2 * np.log(2)) < 1e-3
                else "a variable with itself shares all its entropy: p(a, b) is zero off the diagonal, "
                     "and sum p(a, b) log2(p(a, b) / (p(a) p(b))) gives H(a)")
        raise AssertionError(f"a variable uniform on 4 values, with itself, should give 2 bits, got {got:.4g}; {hint}")
    grid_a, grid_b = np.repeat(np.arange(4), 6), np.tile(np.arange(6), 4)  # every pair once
    got = call(grid_a, grid_b, "two independent variables")
    assert abs(got) < 1e-9, (f"every pair of values occurs equally often, so the two are independent and "
                             f"share 0 bits; got {got:.4g}. Divide the counts by N to get p(a, b); p(a) "
                             "and p(b) are its row and column sums")
    labels = np.array([-1, 7, 100, 7, -1, 100, 100, 7, -1, 7])
    got = call(labels, labels * 2 + 1, "labels -1, 7 and 100")
    want = mutual_information_bits(labels, labels)
    assert abs(got - want) < 1e-6, (f"with labels -1, 7 and 100 (a function of each other) the answer is "
                                    f"{want:.4f} bits, got {got:.4f}: treat values as labels, not indices")
    rng = np.random.default_rng(4)
    a = rng.integers(0, 5, 2000)
    b = np.where(rng.random(2000) < 0.6, a, rng.integers(0, 5, 2000)) + 10 * (rng.random(2000) < 0.3)
    got, want = call(a, b, "two related variables"), mutual_information_bits(a, b)
    if abs(got - want) > 1e-6:
        entropies = [mutual_information_bits(v, v) for v in (a, b)]
        hint = ("that is the entropy of one of them, not what they share" if min(abs(got - h) for h in entropies) < 1e-6
                else "compute sum over (a, b) of p(a, b) log2(p(a, b) / (p(a) p(b))), skipping pairs never seen")
        raise AssertionError(f"on two related variables the answer is {want:.4f} bits, got {got:.4f}; {hint}")
    assert abs(call(b, a, "the same pair, swapped") - want) < 1e-6, "I(a; b) = I(b; a): swapping them must not matter"


# --- lesson 06: the nearest code, with the straight-through trick ------------------------

def quantize(z: torch.Tensor, codebook: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace each row of ``z`` ``(N, d)`` by its nearest row of ``codebook`` ``(K, d)``;
    the gradient passes straight through to ``z``. Returns (quantized, indices)."""
    distances = torch.cdist(z, codebook)        # (N, K): distance of every row to every code
    indices = distances.argmin(dim=1)           # the nearest code of each row
    z_q = codebook[indices]                     # (N, d): the codes themselves
    return z + (z_q - z).detach(), indices      # value z_q, gradient of the identity


def _check_quantize(answer: Callable[..., Any]) -> None:
    g = torch.Generator().manual_seed(6)
    codebook = torch.randn(9, 4, generator=g) * torch.tensor([[0.3], [3.0]] * 4 + [[1.0]])  # codes of unequal length
    z = torch.randn(40, 4, generator=g) * 1.5
    want = ((z[:, None] - codebook[None]) ** 2).sum(-1).argmin(1)
    z_in, book_in = z.clone().requires_grad_(), codebook.clone().requires_grad_()
    got = answer(z_in, book_in)
    assert isinstance(got, tuple) and len(got) == 2, "return two things: (quantized, indices)"
    quantized, indices = got
    assert isinstance(quantized, torch.Tensor) and isinstance(indices, torch.Tensor), (
        "return torch tensors: (quantized, indices)")
    assert indices.shape == (40,), (f"indices should hold one code index per row of z, shape (40,), "
                                    f"got {tuple(indices.shape)}")
    assert quantized.shape == z.shape, f"quantized should have the shape of z {tuple(z.shape)}, got {tuple(quantized.shape)}"
    if not torch.equal(indices.long(), want):
        by_dot = (z @ codebook.T).argmax(1)
        farthest = ((z[:, None] - codebook[None]) ** 2).sum(-1).argmax(1)
        hint = ("that is the largest dot product, which is the nearest code only when all codes are "
                "equally long: compare distances" if torch.equal(indices.long(), by_dot) else
                "that is the farthest code: take the argmin of the distances" if torch.equal(indices.long(), farthest)
                else "compute the distance of every row of z to every code (torch.cdist) and take the "
                     "argmin over the codes (dim=1)")
        raise AssertionError(f"{int((indices.long() != want).sum())} of 40 rows chose another code than the nearest; {hint}")
    if torch.allclose(quantized.detach(), z):
        raise AssertionError("quantized is z itself: return the chosen codes, codebook[indices]")
    assert torch.allclose(quantized.detach(), codebook[want], atol=1e-5), (
        "quantized should equal the chosen codes, codebook[indices], in value")
    upstream = torch.randn(40, 4, generator=g)
    if quantized.requires_grad:
        (quantized * upstream).sum().backward()
    assert z_in.grad is not None and z_in.grad.abs().sum() > 0, (
        "no gradient reaches z: the lookup has none. Return z + (z_q - z).detach(): the value of "
        "z_q with the gradient of z (the straight-through trick)")
    assert torch.allclose(z_in.grad, upstream, atol=1e-5), (
        "the gradient should pass to z unchanged, as if quantizing were the identity: "
        "z + (z_q - z).detach()")
    assert book_in.grad is None or book_in.grad.abs().sum() == 0, (
        "the straight-through output should not move the codebook (the codebook loss does that): "
        "detach the whole difference, (z_q - z).detach()")
    assert torch.equal(z_in.detach(), z) and torch.equal(book_in.detach(), codebook), (
        "do not change z or the codebook in place")


EXERCISES: dict[str, Exercise] = {
    "01-pca-by-svd": Exercise(
        "01-pca-by-svd", "01_autoencoder_basics",
        "Write pca_reconstruct(train, test, k): centre with the training mean, take the top-k "
        "right singular vectors of the centred training data, project test onto them and map back.",
        _check_pca_reconstruct, pca_reconstruct),
    "10-lambda-for-a-cost-table": Exercise(
        "10-lambda-for-a-cost-table", "10_anomaly_detection",
        "Write choose_lambda(scores, is_anomaly, miss_cost, false_alarm_cost): the lambda (flag "
        "when score > lambda) whose misses and false alarms cost the least in total.",
        _check_choose_lambda, choose_lambda),
    "08-monte-carlo-kl": Exercise(
        "08-monte-carlo-kl", "08_vae",
        "Write kl_monte_carlo(mean, log_var, n_samples): draw z = mean + std * eps with the "
        "reparameterisation trick and average log q(z|x) - log p(z) over the samples, one number per row.",
        _check_kl_monte_carlo, kl_monte_carlo),
    "02-masking-noise": Exercise(
        "02-masking-noise", "02_denoising",
        "Write mask_pixels(images, p, generator): set each pixel to 0 with probability p, "
        "independently, drawing the random numbers from generator; keep the other pixels as they are.",
        _check_mask_pixels, mask_pixels),
    "03-bert-masking": Exercise(
        "03-bert-masking", "03_bert_denoising",
        "Write mask_words(ids, rate, generator, vocab_size): choose each word (id >= N_SPECIAL) with "
        "probability rate; of the chosen, 80% become [MASK], 10% a random word, 10% stay. "
        "Return (inputs, chosen).",
        _check_mask_words, mask_words),
    "04-mutual-information": Exercise(
        "04-mutual-information", "04_disentanglement",
        "Write mutual_information_bits(a, b): count the pairs of values in a table, turn it into "
        "p(a, b), and sum p(a, b) log2(p(a, b) / (p(a) p(b))) over the pairs seen.",
        _check_mutual_information_bits, mutual_information_bits),
    "06-nearest-code": Exercise(
        "06-nearest-code", "06_discrete_latents",
        "Write quantize(z, codebook): for each row of z the index of the nearest codebook row "
        "(Euclidean distance) and the code itself, returned as z + (z_q - z).detach() so that "
        "gradients pass straight through to z. Return (quantized, indices).",
        _check_quantize, quantize),
}


def get(name: str) -> Exercise:
    """The exercise called ``name`` (see :data:`EXERCISES`)."""
    if name not in EXERCISES:
        raise KeyError(f"no exercise {name!r}; there are: {', '.join(EXERCISES)}")
    return EXERCISES[name]
