"""Lesson 10 (10_anomaly_detection): a threshold for a cost table."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from course.exercises.core import Exercise


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


EXERCISES = [
    Exercise(
        "10-lambda-for-a-cost-table", "10_anomaly_detection",
        "Write choose_lambda(scores, is_anomaly, miss_cost, false_alarm_cost): the lambda (flag "
        "when score > lambda) whose misses and false alarms cost the least in total.",
        _check_choose_lambda, choose_lambda),
]
