"""Anomaly detection when only the normal class is known. Lesson 10 uses all of it.

The setting: normal examples are easy to collect, anomalies are rare and each one is
different, so there is nothing to train a two-class classifier on. What we can do:

1. **Split** a labelled data set into a one-class task (:func:`one_class_task`): one digit
   (or a few) is normal, every other digit is an anomaly. Training data holds normal
   examples only (or, to study pollution, a few anomalies mixed in); the dev and test
   sets hold both, with anomalies weighted to a chosen share (say 5%).
2. **Score** every example, higher meaning more anomalous: the reconstruction error of an
   autoencoder trained on normal data (:func:`reconstruction_scores`), or one minus a
   classifier's confidence (:func:`msp_scores`).
3. **Measure** the scores without a threshold: ROC and precision-recall points,
   AUROC and average precision (:func:`roc_points`, :func:`auroc`, :func:`pr_points`,
   :func:`average_precision`; the tests check them against scikit-learn's).
4. **Choose a threshold** lambda on the dev set (:func:`sweep`, :func:`choose_threshold`):
   for accuracy, for F1, or for the least cost under a :class:`CostTable`, and report
   what it does on the test set (:func:`counts_at`, :func:`compare_thresholds`).

An example is *flagged* as an anomaly when its score is **above** lambda. Counts are
weighted: with anomalies weighted to a 5% share, a confusion matrix reads "out of
1,000 items, 50 anomalies ...", and uses every anomaly of the split rather than a few.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torch import nn

from course.baselines import PCAAutoencoder, mse_per_image
from course.classifier import probabilities
from course.data import Dataset, Split
from course.plots import PALETTE, Table
from course.train import predict
from course.widgets import LessonWidget

PER = 1000  # costs and confusion matrices are reported per this many items


# --- one-class tasks ----------------------------------------------------------------------

def share_weights(is_anomaly: np.ndarray, share: float | None) -> np.ndarray:
    """Weights that make anomalies ``share`` of the total weight; normal examples weigh 1.

    ``share=None`` keeps the split as it is (every example weighs 1).
    """
    is_anomaly = np.asarray(is_anomaly, dtype=bool)
    if share is None:
        return np.ones(len(is_anomaly))
    if not 0 < share < 1:
        raise ValueError(f"the anomaly share must be between 0 and 1 (exclusive), got {share}")
    n_anomalies, n_normal = int(is_anomaly.sum()), int((~is_anomaly).sum())
    if n_anomalies == 0 or n_normal == 0:
        raise ValueError("a split needs normal examples and anomalies to set their share")
    w_anomaly = share / (1 - share) * n_normal / n_anomalies
    return np.where(is_anomaly, w_anomaly, 1.0)


@dataclass(frozen=True)
class OneClassSplit:
    """Images with their digit labels, whether each is an anomaly, and a weight per example."""

    images: torch.Tensor
    labels: torch.Tensor
    is_anomaly: np.ndarray
    weights: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def n_anomalies(self) -> int:
        return int(self.is_anomaly.sum())

    @property
    def anomaly_share(self) -> float:
        """The anomalies' share of the total weight (what a detector will meet)."""
        return float(self.weights[self.is_anomaly].sum() / self.weights.sum())

    @property
    def normal_images(self) -> torch.Tensor:
        return self.images[torch.from_numpy(~self.is_anomaly)]

    def with_share(self, share: float | None) -> "OneClassSplit":
        """The same examples, reweighted so that anomalies make up ``share``."""
        return replace(self, weights=share_weights(self.is_anomaly, share))


@dataclass(frozen=True)
class OneClassTask:
    """A one-class task: ``normal`` classes against the rest, in train, dev and test splits.

    ``train`` holds normal examples only, unless ``pollution > 0`` mixed anomalies in
    (the detector is not told which). ``dev`` and ``test`` hold every example of their
    split, anomalies weighted to ``anomaly_share``.
    """

    normal: tuple[int, ...]
    train: OneClassSplit
    dev: OneClassSplit
    test: OneClassSplit
    anomaly_share: float | None
    pollution: float = 0.0
    classes: tuple[str, ...] = field(default=tuple(str(d) for d in range(10)))

    def __repr__(self) -> str:
        normal = ", ".join(self.classes[c] for c in self.normal)
        parts = [f"OneClassTask(normal: {normal};"]
        for name in ("train", "dev", "test"):
            s = getattr(self, name)
            parts.append(f"{name} {len(s) - s.n_anomalies} normal + {s.n_anomalies} anomalies"
                         + (f" (weighted to {s.anomaly_share:.0%})"
                            if name != "train" and self.anomaly_share is not None else ""))
        return " ".join(parts[:1]) + " " + ", ".join(parts[1:]) + ")"


def _is_anomaly(labels: torch.Tensor, normal: tuple[int, ...]) -> np.ndarray:
    return ~np.isin(labels.numpy(), normal)


def one_class_task(ds: Dataset, normal: int | Sequence[int], *, anomaly_share: float | None = 0.05,
                   pollution: float = 0.0, seed: int = 0) -> OneClassTask:
    """Class(es) ``normal`` of ``ds`` against all other classes.

    Train: the normal images of ``ds.train``; with ``pollution > 0`` also anomalies drawn at
    random from ``ds.train`` so that they make up ``pollution`` of the training set. Dev
    (from ``ds.val``) and test (from ``ds.test``): every image, anomalies weighted to
    ``anomaly_share`` (``None``: unweighted).
    """
    normal = (int(normal),) if isinstance(normal, (int, np.integer)) else tuple(int(c) for c in normal)
    if not normal or any(c not in range(len(ds.classes)) for c in normal):
        raise ValueError(f"normal classes must be among 0..{len(ds.classes) - 1}, got {normal}")
    if not 0 <= pollution < 1:
        raise ValueError(f"pollution must be in [0, 1), got {pollution}")
    anomalous = _is_anomaly(ds.train.labels, normal)
    keep = np.flatnonzero(~anomalous)
    n_polluting = round(pollution / (1 - pollution) * len(keep))
    if n_polluting:
        rng = np.random.default_rng(seed)
        extra = rng.choice(np.flatnonzero(anomalous), n_polluting, replace=False)
        keep = rng.permutation(np.concatenate([keep, extra]))
    index = torch.from_numpy(keep)
    train = OneClassSplit(ds.train.images[index], ds.train.labels[index],
                          anomalous[keep], np.ones(len(keep)))

    def evaluation(split: Split) -> OneClassSplit:
        flags = _is_anomaly(split.labels, normal)
        return OneClassSplit(split.images, split.labels, flags, share_weights(flags, anomaly_share))

    return OneClassTask(normal, train, evaluation(ds.val), evaluation(ds.test),
                        anomaly_share, pollution, tuple(ds.classes))


# --- scores: higher means more anomalous ---------------------------------------------------

def reconstruction_scores(model: nn.Module | PCAAutoencoder, images: torch.Tensor) -> np.ndarray:
    """Anomaly score = how badly ``model`` reconstructs each image (mean squared error).

    A model trained on normal images only has learnt to copy *those*; what it has never
    seen comes back blurred into something normal, with a large error.
    """
    x_hat = model(images) if isinstance(model, PCAAutoencoder) else predict(model, images)
    return mse_per_image(images, x_hat).numpy().astype(np.float64)


def msp_scores(classifier: nn.Module, images: torch.Tensor) -> np.ndarray:
    """Anomaly score = 1 - the classifier's confidence (its maximum softmax probability).

    A classifier trained on the known classes must put every input in one of them; on
    something it has never seen it tends to be less sure, so low confidence = unknown.
    Lesson 10 uses :class:`course.classifier.DigitClassifier` trained on the known digits.
    """
    return (1 - probabilities(classifier, images).max(dim=1).values).numpy().astype(np.float64)


def class_indices(labels: torch.Tensor, known: Sequence[int]) -> torch.Tensor:
    """Each label's position in ``known`` (the classifier's output index); -1 if unknown."""
    lookup = torch.full((int(labels.max()) + 1,), -1, dtype=torch.long)
    for i, c in enumerate(known):
        if c < len(lookup):
            lookup[c] = i
    return lookup[labels]


# --- thresholds ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CostTable:
    """What each kind of mistake costs: a missed anomaly, and a false alarm on a normal item."""

    miss: float
    false_alarm: float

    def __post_init__(self) -> None:
        if self.miss < 0 or self.false_alarm < 0:
            raise ValueError(f"costs cannot be negative, got {self}")


@dataclass(frozen=True)
class Sweep:
    """Weighted confusion counts at each threshold lambda (flag when score > lambda).

    ``thresholds`` run from ``+inf`` (flag nothing) down to ``-inf`` (flag everything),
    through the midpoints between neighbouring distinct scores: every way of cutting
    the sorted scores in two, once.
    """

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray

    def __len__(self) -> int:
        return len(self.thresholds)

    @property
    def total(self) -> np.ndarray:
        return self.tp + self.fp + self.fn + self.tn

    def accuracy(self) -> np.ndarray:
        return (self.tp + self.tn) / self.total

    def recall(self) -> np.ndarray:
        """Share of anomalies flagged (true positive rate)."""
        return self.tp / (self.tp + self.fn)

    def false_alarm_rate(self) -> np.ndarray:
        """Share of normal items flagged (false positive rate)."""
        return self.fp / (self.fp + self.tn)

    def precision(self) -> np.ndarray:
        """Share of flagged items that are anomalies; 1 where nothing is flagged (as scikit-learn's curve)."""
        flagged = self.tp + self.fp
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(flagged > 0, self.tp / np.where(flagged > 0, flagged, 1), 1.0)

    def f1(self) -> np.ndarray:
        """Harmonic mean of precision and recall: 2 TP / (2 TP + FP + FN)."""
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)

    def cost(self, table: CostTable) -> np.ndarray:
        """Cost per :data:`PER` items: (misses x miss cost + false alarms x its cost) / items."""
        return PER * (table.miss * self.fn + table.false_alarm * self.fp) / self.total

    def best(self, criterion: str | CostTable) -> int:
        """Index of the best threshold: highest ``"accuracy"`` or ``"f1"``, or least cost.

        Ties go to the first, i.e. the highest threshold (fewest items flagged).
        """
        if isinstance(criterion, CostTable):
            return int(np.argmin(self.cost(criterion)))
        if criterion == "accuracy":
            return int(np.argmax(self.accuracy()))
        if criterion == "f1":
            return int(np.argmax(self.f1()))
        raise ValueError(f"criterion must be 'accuracy', 'f1' or a CostTable, got {criterion!r}")

    def metrics(self, i: int = 0, cost: CostTable | None = None) -> dict[str, float]:
        """Every figure at threshold ``i``, as plain floats."""
        row = {"lambda": self.thresholds[i], "accuracy": self.accuracy()[i],
               "precision": self.precision()[i], "recall": self.recall()[i], "F1": self.f1()[i],
               "false alarm rate": self.false_alarm_rate()[i],
               "flagged share": (self.tp + self.fp)[i] / self.total[i]}
        if cost is not None:
            row[f"cost per {PER:,}"] = self.cost(cost)[i]
        return {k: float(v) for k, v in row.items()}

    def confusion(self, i: int = 0) -> np.ndarray:
        """``[[TN, FP], [FN, TP]]`` at threshold ``i`` (scikit-learn's layout, label 1 = anomaly)."""
        return np.array([[self.tn[i], self.fp[i]], [self.fn[i], self.tp[i]]])


def _arrays(scores, is_anomaly, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(is_anomaly, dtype=bool).ravel()
    w = np.ones(len(s)) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if not len(s) == len(y) == len(w):
        raise ValueError(f"scores, labels and weights differ in length: {len(s)}, {len(y)}, {len(w)}")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite")
    return s, y, w


def sweep(scores: np.ndarray, is_anomaly: np.ndarray, weights: np.ndarray | None = None) -> Sweep:
    """Confusion counts at every threshold that makes a difference on these scores."""
    s, y, w = _arrays(scores, is_anomaly, weights)
    order = np.argsort(-s, kind="stable")
    s, y, w = s[order], y[order], w[order]
    last_of_group = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # highest scores first
    tp = np.r_[0.0, np.cumsum(w * y)[last_of_group]]
    fp = np.r_[0.0, np.cumsum(w * ~y)[last_of_group]]
    distinct = s[last_of_group]
    thresholds = np.r_[np.inf, (distinct[:-1] + distinct[1:]) / 2, -np.inf]
    return Sweep(thresholds, tp, fp, tp[-1] - tp, fp[-1] - fp)


def counts_at(scores: np.ndarray, is_anomaly: np.ndarray, threshold: float,
              weights: np.ndarray | None = None) -> Sweep:
    """The confusion counts at one threshold (a one-entry :class:`Sweep`), e.g. on test data."""
    s, y, w = _arrays(scores, is_anomaly, weights)
    flagged = s > threshold
    count = lambda mask: np.array([float(w[mask].sum())])
    return Sweep(np.array([float(threshold)]), count(flagged & y), count(flagged & ~y),
                 count(~flagged & y), count(~flagged & ~y))


def choose_threshold(scores: np.ndarray, is_anomaly: np.ndarray, weights: np.ndarray | None = None,
                     *, criterion: str | CostTable) -> float:
    """The lambda that is best on these (dev) examples for ``criterion`` (see :meth:`Sweep.best`)."""
    s = sweep(scores, is_anomaly, weights)
    return float(s.thresholds[s.best(criterion)])


def roc_points(scores: np.ndarray, is_anomaly: np.ndarray,
               weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(false alarm rate, recall) at every threshold, from (0, 0) to (1, 1): the ROC curve."""
    s = sweep(scores, is_anomaly, weights)
    return s.false_alarm_rate(), s.recall()


def auroc(scores: np.ndarray, is_anomaly: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Area under the ROC curve: the chance that a random anomaly scores above a random normal item."""
    fpr, tpr = roc_points(scores, is_anomaly, weights)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def pr_points(scores: np.ndarray, is_anomaly: np.ndarray,
              weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) at every threshold: the precision-recall curve."""
    s = sweep(scores, is_anomaly, weights)
    return s.recall(), s.precision()


def average_precision(scores: np.ndarray, is_anomaly: np.ndarray,
                      weights: np.ndarray | None = None) -> float:
    """Precision averaged over recall steps, sum of (R_n - R_n-1) P_n, as scikit-learn defines it."""
    recall, precision = pr_points(scores, is_anomaly, weights)
    return float(np.sum(np.diff(recall) * precision[1:]))


CRITERIA = ("cost", "accuracy", "F1")


@dataclass(frozen=True)
class ThresholdComparison:
    """Lambda chosen on dev for each criterion, and what each does on dev and test."""

    cost: CostTable
    share: float | None
    thresholds: dict[str, float]
    dev: dict[str, dict[str, float]]
    test: dict[str, dict[str, float]]
    test_confusion: dict[str, np.ndarray]

    def table(self) -> Table:
        rows = [{"lambda chosen for": name, "lambda": self.thresholds[name],
                 f"dev cost per {PER:,}": self.dev[name][f"cost per {PER:,}"],
                 f"test cost per {PER:,}": self.test[name][f"cost per {PER:,}"],
                 "test recall": self.test[name]["recall"],
                 "test false alarm rate": self.test[name]["false alarm rate"],
                 "test accuracy": self.test[name]["accuracy"], "test F1": self.test[name]["F1"]}
                for name in CRITERIA]
        share = f", anomalies {self.share:.0%}" if self.share is not None else ""
        return Table(rows, caption=f"A miss costs {self.cost.miss:g}, a false alarm "
                                   f"{self.cost.false_alarm:g}{share}; lambda chosen on dev")


def compare_thresholds(dev_scores: np.ndarray, dev: OneClassSplit, test_scores: np.ndarray,
                       test: OneClassSplit, cost: CostTable,
                       share: float | None = None) -> ThresholdComparison:
    """Choose lambda on dev for least cost, best accuracy and best F1; measure each on test.

    ``share`` reweights both splits to that anomaly share first (default: as they are).
    """
    if share is not None:
        dev, test = dev.with_share(share), test.with_share(share)
    on_dev = sweep(dev_scores, dev.is_anomaly, dev.weights)
    picks = {"cost": on_dev.best(cost), "accuracy": on_dev.best("accuracy"), "F1": on_dev.best("f1")}
    thresholds = {k: float(on_dev.thresholds[i]) for k, i in picks.items()}
    on_test = {k: counts_at(test_scores, test.is_anomaly, lam, test.weights)
               for k, lam in thresholds.items()}
    return ThresholdComparison(
        cost, dev.anomaly_share, thresholds,
        dev={k: on_dev.metrics(i, cost) for k, i in picks.items()},
        test={k: c.metrics(0, cost) for k, c in on_test.items()},
        test_confusion={k: c.confusion() * PER / c.total[0] for k, c in on_test.items()})


def confusion_table(matrix: np.ndarray, caption: str = "") -> Table:
    """A 2x2 confusion matrix ``[[TN, FP], [FN, TP]]`` as a table with words."""
    (tn, fp), (fn, tp) = np.asarray(matrix, dtype=float)
    return Table([{"actually": "normal", "let through": f"{tn:,.1f} (right)",
                   "flagged": f"{fp:,.1f} (false alarms)"},
                  {"actually": "anomaly", "let through": f"{fn:,.1f} (missed)",
                   "flagged": f"{tp:,.1f} (caught)"}], caption=caption)


# --- figures ---------------------------------------------------------------------------------

def score_histogram(scores: np.ndarray, is_anomaly: np.ndarray, *, title: str,
                    x_title: str = "anomaly score", log_x: bool = True,
                    threshold: float | None = None, bins: int = 40) -> go.Figure:
    """Overlaid histograms of the scores of normal items and anomalies (each normalised)."""
    s, y, _ = _arrays(scores, is_anomaly, None)
    x = np.log10(np.maximum(s, 1e-12)) if log_x else s
    edges = np.linspace(x.min(), x.max(), bins + 1)
    fig = go.Figure()
    for name, mask, colour in (("normal", ~y, PALETTE[0]), ("anomaly", y, PALETTE[3])):
        counts, _ = np.histogram(x[mask], edges)
        fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=counts / max(mask.sum(), 1), name=name,
                    marker_color=colour, opacity=0.6, width=np.diff(edges))
    if threshold is not None and np.isfinite(threshold):
        fig.add_vline(x=math.log10(threshold) if log_x else threshold, line_dash="dash",
                      annotation_text="lambda")
    fig.update_layout(barmode="overlay", title=title, height=340, yaxis_title="share of the group",
                      xaxis_title=f"log10 {x_title}" if log_x else x_title, bargap=0)
    return fig


def _corners(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points of a polyline less those in the middle of a straight stretch (same drawing, less data)."""
    if len(x) < 3:
        return x, y
    turn = (x[1:-1] - x[:-2]) * (y[2:] - y[1:-1]) - (y[1:-1] - y[:-2]) * (x[2:] - x[1:-1])
    keep = np.r_[True, np.abs(turn) > 1e-12, True]
    return x[keep], y[keep]


def roc_pr_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]], *,
                  title: str | None = None) -> go.Figure:
    """ROC (left) and precision-recall (right) curves, one per named (scores, is_anomaly, weights)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("ROC", "precision-recall"))
    for i, (name, (s, y, w)) in enumerate(curves.items()):
        colour = PALETTE[i % len(PALETTE)]
        fpr, tpr = _corners(*roc_points(s, y, w))
        recall, precision = (a.astype(np.float32) for a in pr_points(s, y, w))
        fig.add_scatter(x=fpr.astype(np.float32), y=tpr.astype(np.float32), mode="lines",
                        line=dict(color=colour),
                        name=f"{name} (AUROC {auroc(s, y, w):.3f})", row=1, col=1)
        fig.add_scatter(x=recall, y=precision, mode="lines", line=dict(color=colour, shape="vh"),
                        name=f"{name} (AP {average_precision(s, y, w):.3f})", row=1, col=2)
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="grey", dash="dot"),
                    name="chance", row=1, col=1)
    fig.update_xaxes(title_text="false alarm rate", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="recall (anomalies caught)", range=[0, 1.02], row=1, col=1)
    fig.update_xaxes(title_text="recall", range=[0, 1], row=1, col=2)
    fig.update_yaxes(title_text="precision", range=[0, 1.02], row=1, col=2)
    fig.update_layout(title=title, height=400)
    return fig


def _plot_x(thresholds: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Thresholds with the infinite ends drawn just beyond the highest and lowest score."""
    lo, hi = float(np.min(scores)), float(np.max(scores))
    if lo > 0:
        return np.clip(thresholds, lo / 1.2, hi * 1.2)
    pad = 0.05 * (hi - lo or 1.0)
    return np.clip(thresholds, lo - pad, hi + pad)


def threshold_figure(scores: np.ndarray, split: OneClassSplit, *,
                     marks: Mapping[str, float] | None = None, title: str | None = None) -> go.Figure:
    """Accuracy, precision, recall and F1 on ``split`` against lambda, with marked lambdas."""
    s = sweep(scores, split.is_anomaly, split.weights)
    x = _plot_x(s.thresholds, scores).astype(np.float32)
    fig = go.Figure()
    series = {"accuracy": s.accuracy(), "precision": s.precision(), "recall": s.recall(),
              "F1": s.f1()}
    for i, (name, ys) in enumerate(series.items()):
        fig.add_scatter(x=x, y=ys.astype(np.float32), name=name, mode="lines",
                        line=dict(color=PALETTE[i], shape="hv"))
    for j, (name, lam) in enumerate((marks or {}).items()):  # a trace, not a shape: shapes misplace on log axes
        at = float(_plot_x(np.array([lam]), scores)[0])
        fig.add_scatter(x=[at, at], y=[0, 1.02], name=f"{name}: lambda = {lam:.3g}", mode="lines",
                        line=dict(color=PALETTE[(j + 4) % len(PALETTE)], dash="dash"))
    fig.update_layout(title=title, height=400, xaxis_title="lambda (flag when score > lambda)",
                      yaxis_title="on the dev set", yaxis_range=[0, 1.02],
                      xaxis_type="log" if np.min(scores) > 0 else "linear")
    return fig


def _cost_title(c: ThresholdComparison) -> str:
    t = {k: c.test[k][f"cost per {PER:,}"] for k in CRITERIA}
    return (f"test cost per {PER:,} items: lambda for least cost {t['cost']:.1f}, "
            f"for accuracy {t['accuracy']:.1f}, for F1 {t['F1']:.1f}")


def cost_figure(dev_scores: np.ndarray, dev: OneClassSplit, test_scores: np.ndarray,
                test: OneClassSplit, cost: CostTable, share: float | None = None,
                figure: go.Figure | None = None) -> go.Figure:
    """Left: cost on dev against lambda, the three chosen lambdas marked. Right: the test
    confusion matrix per 1,000 items at the least-cost lambda. Redraws ``figure`` in place
    when given (the widget), else builds a new one (the static figure)."""
    c = compare_thresholds(dev_scores, dev, test_scores, test, cost, share)
    d = dev.with_share(share) if share is not None else dev
    s = sweep(dev_scores, d.is_anomaly, d.weights)
    x, y = _plot_x(s.thresholds, dev_scores), s.cost(cost)
    marks_x = _plot_x(np.array([c.thresholds[k] for k in CRITERIA]), dev_scores)
    marks_y = [c.dev[k][f"cost per {PER:,}"] for k in CRITERIA]
    matrix = c.test_confusion["cost"]
    text = [[f"{matrix[0, 0]:.0f} right", f"{matrix[0, 1]:.0f} false alarms"],
            [f"{matrix[1, 0]:.1f} missed", f"{matrix[1, 1]:.1f} caught"]]
    title = _cost_title(c)
    if figure is None:
        figure = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], subplot_titles=(
            f"cost per {PER:,} items on dev", "test, at the least-cost lambda (per 1,000)"))
        figure.add_scatter(x=x, y=y, mode="lines", line=dict(color="grey", shape="hv"),
                           name="cost on dev", row=1, col=1)
        for i, name in enumerate(CRITERIA):
            figure.add_scatter(x=[marks_x[i]], y=[marks_y[i]], mode="markers", row=1, col=1,
                               name=f"lambda for {'least cost' if name == 'cost' else name}",
                               marker=dict(size=[16, 12, 12][i], color=PALETTE[[2, 0, 1][i]],
                                           symbol=["star", "circle", "diamond"][i]))
        figure.add_heatmap(z=np.log1p(matrix), text=text, texttemplate="%{text}", showscale=False,
                           x=["let through", "flagged"], y=["normal", "anomaly"],
                           colorscale="Blues", hoverinfo="skip", row=1, col=2)
        figure.update_yaxes(autorange="reversed", row=1, col=2)
        figure.update_xaxes(title_text="lambda (flag when score > lambda)", row=1, col=1,
                            type="log" if np.min(dev_scores) > 0 else "linear")
        figure.update_yaxes(title_text=f"cost per {PER:,} items", row=1, col=1)
        figure.update_layout(height=460, width=900, title=dict(text=title, font=dict(size=14)),
                             legend=dict(orientation="h", y=-0.3), margin=dict(b=110))
        return figure
    with figure.batch_update():
        figure.data[0].x, figure.data[0].y = x, y
        for i in range(len(CRITERIA)):
            figure.data[1 + i].x, figure.data[1 + i].y = [marks_x[i]], [marks_y[i]]
        figure.data[4].z, figure.data[4].text = np.log1p(matrix), text
        figure.layout.title.text = title
    return figure


def cost_table_widget(dev_scores: np.ndarray, dev: OneClassSplit, test_scores: np.ndarray,
                      test: OneClassSplit, *, miss: float = 50.0, false_alarm: float = 1.0,
                      share: float = 0.05) -> LessonWidget:
    """Sliders for the cost of a miss, of a false alarm, and the anomaly share.

    Each move finds the least-cost lambda on dev, marks it next to the accuracy- and
    F1-optimal lambdas, and reports all three's cost on the test set (in the title) with
    the test confusion matrix at the least-cost lambda.
    """
    sliders = [
        W.FloatLogSlider(value=miss, base=10, min=-1, max=3, step=0.05, description="miss costs",
                         readout_format=".3g", continuous_update=False),
        W.FloatLogSlider(value=false_alarm, base=10, min=-1, max=3, step=0.05,
                         description="false alarm", readout_format=".3g", continuous_update=False),
        W.FloatSlider(value=share, min=0.01, max=0.5, step=0.01, description="anomaly share",
                      readout_format=".0%", continuous_update=False),
    ]
    figure = go.FigureWidget(cost_figure(dev_scores, dev, test_scores, test,
                                         CostTable(miss, false_alarm), share))

    def redraw(_=None) -> None:
        cost_figure(dev_scores, dev, test_scores, test,
                    CostTable(sliders[0].value, sliders[1].value), sliders[2].value, figure=figure)

    for s in sliders:
        s.observe(redraw, names="value")
    return LessonWidget(figure, sliders)
