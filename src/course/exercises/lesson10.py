"""Lesson 10 (10_anomaly_detection): which anomalies slip through, the threshold sweep, a threshold
for a cost table, and why a thin digit passes."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from course.anomaly import sweep
from course.exercises.core import Exercise, explanation, prediction

LESSON = "10_anomaly_detection"


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


def _lambda_flagging_below(scores, is_anomaly, miss_cost, false_alarm_cost) -> float:
    """A typical slip: the cheapest lambda if items *below* it were flagged (the score read backwards)."""
    candidates = np.r_[np.inf, np.unique(scores), -np.inf]
    return float(min(candidates, key=lambda lam: miss_cost * np.sum(is_anomaly & ~(scores < lam))
                     + false_alarm_cost * np.sum(~is_anomaly & (scores < lam))))


def _lambda_fewest_mistakes(scores, is_anomaly, miss_cost, false_alarm_cost) -> float:
    """A typical slip: the lambda with the fewest mistakes, as if both cost the same."""
    return choose_lambda(scores, is_anomaly, 1.0, 1.0)


# --- the threshold sweep ---------------------------------------------------------------------

def threshold_sweep(scores: np.ndarray, is_anomaly: np.ndarray,
                    weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every threshold that makes a difference, from flagging nothing to flagging everything,
    with the weight of the anomalies (tp) and of the normal items (fp) flagged at each."""
    distinct = np.unique(scores)[::-1]                                   # highest score first
    thresholds = np.r_[np.inf, (distinct[:-1] + distinct[1:]) / 2, -np.inf]  # +inf, midpoints, -inf
    tp = np.array([weights[is_anomaly & (scores > lam)].sum() for lam in thresholds])
    fp = np.array([weights[~is_anomaly & (scores > lam)].sum() for lam in thresholds])
    return thresholds, tp, fp


def _sweep_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores with ties (rounded), anomalies scoring higher on average, anomalies weighted."""
    rng = np.random.default_rng(seed)
    n_normal, n_anomaly = 60, 25
    scores = np.round(np.r_[rng.normal(size=n_normal), rng.normal(size=n_anomaly) + 1.5], 1)
    is_anomaly = np.r_[np.zeros(n_normal, bool), np.ones(n_anomaly, bool)]
    order = rng.permutation(len(scores))
    weights = np.where(is_anomaly, 0.3, 1.0)
    return scores[order], is_anomaly[order], weights[order]


def _check_threshold_sweep(answer: Callable[..., Any]) -> None:
    for seed in (10, 11):
        scores, is_anomaly, weights = _sweep_data(seed)
        got = answer(scores.copy(), is_anomaly.copy(), weights.copy())
        assert isinstance(got, tuple) and len(got) == 3, "return three arrays: (thresholds, tp, fp)"
        lam, tp, fp = (np.asarray(a, dtype=float).ravel() for a in got)
        assert len(lam) == len(tp) == len(fp), (
            f"one tp and one fp per threshold: got {len(lam)} thresholds, {len(tp)} tp, {len(fp)} fp")
        want = sweep(scores, is_anomaly, weights)              # the lesson's own sweep
        n_distinct = len(np.unique(scores))
        if len(lam) == len(scores) + 1 and len(scores) + 1 != len(want):
            raise AssertionError(
                f"{len(lam)} thresholds for {len(scores)} scores, but only {n_distinct} distinct scores: "
                "no lambda can separate two equal scores, so there is one cut per distinct score "
                "(plus flagging nothing)")
        assert len(lam) == len(want), (
            f"{len(lam)} thresholds, but {n_distinct} distinct scores make {len(want)} different cuts: "
            "from flagging nothing (lambda = +inf) to flagging everything (lambda = -inf)")
        flagged = [int(np.sum(scores > t)) for t in lam]
        if np.all(np.diff(flagged) < 0) or (flagged[0] == len(scores) and flagged[-1] == 0):
            raise AssertionError("your thresholds run from flagging everything to flagging nothing: start at "
                                 "lambda = +inf (flag nothing) and go down")
        if flagged[0] != 0 or flagged[-1] != len(scores):
            raise AssertionError(
                f"the first lambda flags {flagged[0]} items and the last {flagged[-1]} of {len(scores)}: "
                "start with lambda = +inf (flag nothing) and end with lambda = -inf (flag everything)")
        assert np.all(np.diff(flagged) > 0), ("each threshold should flag more items than the one before: "
                                             "take the thresholds from the highest score down")
        unweighted = np.array([np.sum(is_anomaly & (scores > t)) for t in lam], dtype=float)
        if not np.allclose(tp, want.tp, atol=1e-9):
            if np.allclose(tp, unweighted):
                hint = "you counted the anomalies; add up their weights instead (each anomaly weighs 0.3 here)"
            elif np.allclose(tp, want.fp, atol=1e-9):
                hint = "tp and fp are swapped: tp is the weight of the flagged anomalies"
            else:
                hint = "tp at lambda is the total weight of the anomalies whose score is above lambda"
            raise AssertionError(f"tp differs from the lesson's sweep (by up to {np.abs(tp - want.tp).max():.3g}); {hint}")
        assert np.allclose(fp, want.fp, atol=1e-9), (
            f"fp differs from the lesson's sweep (by up to {np.abs(fp - want.fp).max():.3g}): fp at lambda is "
            "the total weight of the normal items whose score is above lambda")


def _sweep_flagging_below(scores, is_anomaly, weights):
    """A typical slip: items below lambda are flagged (the score read backwards)."""
    thresholds, _, _ = threshold_sweep(scores, is_anomaly, weights)
    thresholds = thresholds[::-1]
    tp = np.array([weights[is_anomaly & (scores < lam)].sum() for lam in thresholds])
    fp = np.array([weights[~is_anomaly & (scores < lam)].sum() for lam in thresholds])
    return thresholds, tp, fp


def _sweep_unweighted(scores, is_anomaly, weights):
    """A typical slip: counting items instead of adding their weights."""
    return threshold_sweep(scores, is_anomaly, np.ones(len(scores)))


def _sweep_every_score(scores, is_anomaly, weights):
    """A typical slip: one threshold per score, ties not grouped, and no lambda that flags everything."""
    thresholds = np.r_[np.inf, np.sort(scores)[::-1]]
    tp = np.array([weights[is_anomaly & (scores > lam)].sum() for lam in thresholds])
    fp = np.array([weights[~is_anomaly & (scores > lam)].sum() for lam in thresholds])
    return thresholds, tp, fp


def _sweep_without_ends(scores, is_anomaly, weights):
    """A typical slip: the midpoints only, without flagging nothing and flagging everything."""
    thresholds, tp, fp = threshold_sweep(scores, is_anomaly, weights)
    return thresholds[1:], tp[1:], fp[1:]


EXERCISES = [
    prediction(
        "10-which-digits-slip-through", LESSON,
        "At the F1-optimal lambda chosen on dev, which anomaly does the autoencoder trained on 3s let "
        "through most often: a 1 (a single thin stroke), a 5 or an 8 (the digits that share most strokes "
        "with a 3), or a 0 (round and bold)?",
        "1",
        "Almost every 1 passes, far more often than the 5s and 8s that look like a 3. The reconstruction "
        "error is a mean of squared pixel differences, and a 1 has few lit pixels to get wrong: the "
        "autoencoder of 3s draws a faint 3-like blur for it, and the error stays as small as that of an "
        "ordinary 3. The score measures how much is wrong, not what is wrong. The 5s and 8s come next: "
        "they do share strokes with a 3.",
        choices=("1", "5", "8", "0")),
    Exercise(
        "10-threshold-sweep", LESSON,
        "Write threshold_sweep(scores, is_anomaly, weights): the thresholds lambda (flag when score > "
        "lambda) from +inf (flag nothing) down to -inf (flag everything), one per different cut, and at "
        "each the total weight of the flagged anomalies (tp) and of the flagged normal items (fp).",
        _check_threshold_sweep, threshold_sweep,
        mistakes=(_sweep_flagging_below, _sweep_unweighted, _sweep_every_score, _sweep_without_ends)),
    Exercise(
        "10-lambda-for-a-cost-table", LESSON,
        "Write choose_lambda(scores, is_anomaly, miss_cost, false_alarm_cost): the lambda (flag "
        "when score > lambda) whose misses and false alarms cost the least in total.",
        _check_choose_lambda, choose_lambda, mistakes=(_lambda_flagging_below, _lambda_fewest_mistakes)),
    explanation(
        "10-why-thin-digits-pass", LESSON,
        "A 1 looks nothing like a 3, yet the autoencoder trained on 3s lets many 1s through. Why, "
        "in terms of what the reconstruction error adds up?",
        [("ink", "pixel", "stroke", "thin", "bright"),
         ("few", "little", "less", "small", "low", "fewer")],
        "The reconstruction error is the mean squared difference over all pixels. A 1 lights few "
        "pixels: most of the image is black, and the autoencoder draws black there too. What it gets "
        "wrong is confined to the few pixels of the stroke and of the faint 3-like blur it draws, so "
        "the error is small, as small as that of a well-drawn 3. A bold digit with much ink has many "
        "pixels to get wrong and scores high even when it is normal. The score measures how much ink "
        "is misplaced, not whether the shape is a 3: a detector built on it is biased by the amount "
        "of ink (remedies: compare shapes rather than pixels, normalise the error by the ink, or "
        "learn a score that is not a pixel error)."),
]
