"""Lesson 10's anomaly detection: splits, scores, thresholds, costs, metrics against scikit-learn."""

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import (accuracy_score, average_precision_score, confusion_matrix, f1_score,
                             precision_recall_curve, precision_score, recall_score, roc_auc_score,
                             roc_curve)

from course import anomaly as A
from course import exercises
from course.baselines import PCAAutoencoder
from course.data import Dataset, Split


# --- data ---------------------------------------------------------------------------------

def _split(n: int, seed: int) -> Split:
    g = torch.Generator().manual_seed(seed)
    return Split(torch.rand(n, 1, 8, 8, generator=g), torch.arange(n) % 10)


@pytest.fixture
def ds() -> Dataset:
    return Dataset("toy", _split(400, 0), _split(200, 1), _split(300, 2), tuple("0123456789"))


def scored(seed=0, n=400, share=0.2, gap=1.0, ties=False):
    """Scores where anomalies tend to score higher; optionally rounded to make ties."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < share
    s = rng.normal(size=n) + gap * y
    if ties:
        s = np.round(s, 1)
    return s, y, rng.random(n) + 0.1


# --- one-class tasks ----------------------------------------------------------------------

@pytest.mark.parametrize("share", [0.01, 0.05, 0.5, 0.9])
def test_share_weights_give_anomalies_the_share(share):
    y = np.array([True] * 30 + [False] * 70)
    w = A.share_weights(y, share)
    assert w[y].sum() / w.sum() == pytest.approx(share)
    assert np.all(w[~y] == 1)
    assert np.all(A.share_weights(y, None) == 1)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1])
def test_share_weights_reject_impossible_shares(bad):
    with pytest.raises(ValueError, match="share"):
        A.share_weights(np.array([True, False]), bad)
    with pytest.raises(ValueError, match="normal examples and anomalies"):
        A.share_weights(np.array([False, False]), 0.5)


def test_one_class_task_trains_on_normal_digits_only(ds):
    task = A.one_class_task(ds, 3, anomaly_share=0.05)
    assert task.normal == (3,)
    assert set(task.train.labels.tolist()) == {3} and len(task.train) == 40
    assert not task.train.is_anomaly.any()
    for split, source in ((task.dev, ds.val), (task.test, ds.test)):
        assert len(split) == len(source)  # every example kept, anomalies reweighted
        assert np.array_equal(split.is_anomaly, source.labels.numpy() != 3)
        assert split.anomaly_share == pytest.approx(0.05)
        assert torch.equal(split.normal_images, source.images[source.labels == 3])
    assert "normal: 3" in repr(task) and "weighted to 5%" in repr(task)


def test_one_class_task_with_several_normal_classes_and_no_weights(ds):
    task = A.one_class_task(ds, [0, 1, 2], anomaly_share=None)
    assert set(task.train.labels.tolist()) == {0, 1, 2}
    assert "weighted" not in repr(task)
    assert A.one_class_task(ds, np.int64(4)).normal == (4,)
    assert task.test.anomaly_share == pytest.approx(0.7)
    assert task.test.with_share(0.1).anomaly_share == pytest.approx(0.1)


def test_pollution_mixes_that_share_of_anomalies_into_training(ds):
    task = A.one_class_task(ds, 5, pollution=0.2, seed=1)
    assert task.train.is_anomaly.mean() == pytest.approx(0.2)
    assert np.array_equal(task.train.is_anomaly, task.train.labels.numpy() != 5)
    again = A.one_class_task(ds, 5, pollution=0.2, seed=1)
    assert torch.equal(task.train.labels, again.train.labels)  # seeded
    with pytest.raises(ValueError, match="pollution"):
        A.one_class_task(ds, 5, pollution=1.0)
    with pytest.raises(ValueError, match="normal classes"):
        A.one_class_task(ds, 10)


# --- scores ---------------------------------------------------------------------------------

def test_reconstruction_scores_are_per_image_mse(tiny_images):
    class Identity(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Parameter(torch.zeros(1))  # predict() looks up the device

        def forward(self, x):
            return x

    identity = Identity()
    assert np.allclose(A.reconstruction_scores(identity, tiny_images), 0)
    pca = PCAAutoencoder(2).fit(tiny_images)
    want = ((tiny_images - pca(tiny_images)) ** 2).flatten(1).mean(1).numpy()
    assert np.allclose(A.reconstruction_scores(pca, tiny_images), want, atol=1e-7)


def test_msp_scores_are_one_minus_the_top_probability():
    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.logits = torch.nn.Parameter(torch.tensor([[0.0, 0.0, 0.0, 0.0], [20.0, 0, 0, 0]]))

        def forward(self, x):
            return self.logits[: len(x)]

    s = A.msp_scores(Fixed(), torch.zeros(2, 1, 4, 4))
    assert s[0] == pytest.approx(0.75) and s[1] == pytest.approx(0.0, abs=1e-6)


def test_class_indices_number_the_known_classes():
    idx = A.class_indices(torch.tensor([4, 2, 7, 2, 9]), [2, 4, 7])
    assert idx.tolist() == [1, 0, 2, 0, -1]


# --- metrics against scikit-learn -------------------------------------------------------------

@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auroc_and_average_precision_match_scikit_learn(seed, weighted, ties):
    s, y, w = scored(seed, ties=ties)
    w = w if weighted else None
    assert A.auroc(s, y, w) == pytest.approx(roc_auc_score(y, s, sample_weight=w), abs=1e-12)
    assert A.average_precision(s, y, w) == pytest.approx(
        average_precision_score(y, s, sample_weight=w), abs=1e-12)


def test_auroc_is_one_half_for_constant_scores_and_one_for_perfect_ones():
    y = np.array([0, 1, 0, 1, 1], dtype=bool)
    assert A.auroc(np.zeros(5), y) == 0.5
    assert A.auroc(y.astype(float), y) == 1.0
    assert A.auroc(-y.astype(float), y) == 0.0


@pytest.mark.parametrize("ties", [False, True])
def test_roc_and_pr_points_match_scikit_learn(ties):
    s, y, w = scored(3, n=120, ties=ties)
    fpr, tpr = A.roc_points(s, y, w)
    ref_fpr, ref_tpr, _ = roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    assert np.allclose(fpr, ref_fpr) and np.allclose(tpr, ref_tpr)
    recall, precision = A.pr_points(s, y, w)
    ref_p, ref_r, _ = precision_recall_curve(y, s, sample_weight=w)
    # scikit-learn lists recall from high to low and stops at full recall
    n = len(ref_r)
    assert np.allclose(recall[:n], ref_r[::-1]) and np.allclose(precision[:n], ref_p[::-1])


@pytest.mark.parametrize("criterion", ["accuracy", "f1"])
def test_sweep_counts_match_scikit_learn_at_every_threshold(criterion):
    s, y, w = scored(4, n=150, ties=True)
    sw = A.sweep(s, y, w)
    assert sw.thresholds[0] == math.inf and sw.thresholds[-1] == -math.inf
    assert np.all(np.diff(sw.thresholds) < 0)
    for i in range(0, len(sw), 7):
        flagged = s > sw.thresholds[i]
        assert np.allclose(sw.confusion(i), confusion_matrix(y, flagged, sample_weight=w))
        assert sw.accuracy()[i] == pytest.approx(accuracy_score(y, flagged, sample_weight=w))
        assert sw.f1()[i] == pytest.approx(f1_score(y, flagged, sample_weight=w, zero_division=0))
        assert sw.recall()[i] == pytest.approx(recall_score(y, flagged, sample_weight=w))
        assert sw.precision()[i] == pytest.approx(
            precision_score(y, flagged, sample_weight=w, zero_division=1))
    best = sw.best(criterion)
    brute = [(accuracy_score if criterion == "accuracy" else f1_score)(y, s > t, sample_weight=w)
             for t in sw.thresholds]
    assert brute[best] == pytest.approx(max(brute))


def test_counts_at_one_threshold_agree_with_the_sweep():
    s, y, w = scored(5, ties=True)
    sw = A.sweep(s, y, w)
    for i in (0, 10, len(sw) - 1):
        one = A.counts_at(s, y, sw.thresholds[i], w)
        assert np.allclose(one.confusion(), sw.confusion(i))
        assert one.metrics()["F1"] == pytest.approx(sw.f1()[i])


def test_an_item_scoring_exactly_lambda_is_not_flagged():
    one = A.counts_at(np.array([1.0, 2.0, 3.0]), np.array([False, True, True]), 2.0)
    assert one.confusion().tolist() == [[1, 0], [1, 1]]


@pytest.mark.parametrize("criterion", ["accuracy", A.CostTable(1, 1), A.CostTable(2, 2)])
def test_ties_go_to_the_highest_threshold(criterion):
    s, y = np.array([3.0, 2.0, 1.0, 0.0]), np.array([True, False, True, False])
    sw = A.sweep(s, y)  # flagging {3} or {3, 2, 1} both make one mistake
    assert sw.best(criterion) == 1 and sw.thresholds[1] == 2.5


def test_cost_optimal_threshold_beats_every_other_threshold():
    s, y, w = scored(6)
    table = A.CostTable(miss=20, false_alarm=1)
    lam = A.choose_threshold(s, y, w, criterion=table)

    def cost(t):
        flagged = s > t
        return (20 * w[y & ~flagged].sum() + w[~y & flagged].sum()) / w.sum() * A.PER

    assert cost(lam) == pytest.approx(min(cost(t) for t in np.r_[np.inf, s, -np.inf]))
    assert A.counts_at(s, y, lam, w).cost(table)[0] == pytest.approx(cost(lam))


def test_with_rare_anomalies_and_a_weak_score_accuracy_flags_nothing():
    s, y, w = scored(7, n=2000, share=0.5, gap=0.5)
    s[np.flatnonzero(~y)[0]] = s.max() + 1  # a normal item scores highest
    w = A.share_weights(y, 0.02)
    assert A.choose_threshold(s, y, w, criterion="accuracy") == math.inf
    assert A.choose_threshold(s, y, w, criterion=A.CostTable(100, 1)) < math.inf


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="criterion"):
        A.sweep(np.arange(3.0), np.array([0, 1, 0], bool)).best("recall")
    with pytest.raises(ValueError, match="length"):
        A.sweep(np.arange(3.0), np.array([0, 1], bool))
    with pytest.raises(ValueError, match="finite"):
        A.sweep(np.array([0.0, np.nan]), np.array([0, 1], bool))
    with pytest.raises(ValueError, match="negative"):
        A.CostTable(-1, 1)


# --- comparing thresholds, figures and the widget ---------------------------------------------

def _dev_test(seed=8, n=600):
    rng = np.random.default_rng(seed)

    def split(n):
        y = rng.random(n) < 0.5
        return (A.OneClassSplit(torch.zeros(n, 1, 4, 4), torch.tensor(y, dtype=torch.long), y,
                                A.share_weights(y, 0.05)),
                np.exp(rng.normal(size=n) + 1.5 * y) / 100)

    (dev, dev_scores), (test, test_scores) = split(n), split(n)
    return dev_scores, dev, test_scores, test


def test_compare_thresholds_chooses_on_dev_and_measures_on_test():
    dev_scores, dev, test_scores, test = _dev_test()
    table = A.CostTable(50, 1)
    c = A.compare_thresholds(dev_scores, dev, test_scores, test, table)
    for name, criterion in (("cost", table), ("accuracy", "accuracy"), ("F1", "f1")):
        lam = A.choose_threshold(dev_scores, dev.is_anomaly, dev.weights, criterion=criterion)
        assert c.thresholds[name] == lam
        on_test = A.counts_at(test_scores, test.is_anomaly, lam, test.weights)
        assert c.test[name]["cost per 1,000"] == pytest.approx(on_test.cost(table)[0])
        assert c.test_confusion[name].sum() == pytest.approx(A.PER)
    # a miss costs 50 false alarms: the least-cost lambda flags more than the accuracy one
    assert c.thresholds["cost"] < c.thresholds["accuracy"]
    assert c.dev["cost"]["cost per 1,000"] <= c.dev["accuracy"]["cost per 1,000"]
    assert "A miss costs 50" in repr(c.table())
    # a larger anomaly share moves the least-cost lambda down (flag more)
    assert A.compare_thresholds(dev_scores, dev, test_scores, test, table, share=0.3
                                ).thresholds["cost"] < c.thresholds["cost"]


def test_corners_drop_only_points_on_straight_stretches():
    x, y = np.array([0, 0, 0, 0.5, 1, 1.0]), np.array([0, 0.2, 0.5, 0.5, 0.5, 1.0])
    cx, cy = A._corners(x, y)
    assert cx.tolist() == [0, 0, 1, 1] and cy.tolist() == [0, 0.5, 0.5, 1]
    s, y2, w = scored(9)
    fpr, tpr = A.roc_points(s, y2, w)
    cx, cy = A._corners(fpr, tpr)
    assert len(cx) < len(fpr)
    area = np.sum(np.diff(cx) * (cy[1:] + cy[:-1]) / 2)
    assert area == pytest.approx(A.auroc(s, y2, w), abs=1e-12)  # the same curve


def test_figures_draw_what_they_are_given():
    dev_scores, dev, test_scores, test = _dev_test()
    fig = A.roc_pr_figure({"a": (dev_scores, dev.is_anomaly, None),
                           "b": (-dev_scores, dev.is_anomaly, dev.weights)})
    assert len(fig.data) == 5 and "AUROC" in fig.data[0].name
    hist = A.score_histogram(dev_scores, dev.is_anomaly, title="t", threshold=0.01)
    assert [t.name for t in hist.data] == ["normal", "anomaly"]
    assert sum(hist.data[0].y) == pytest.approx(1)
    thr = A.threshold_figure(dev_scores, dev, marks={"F1": 0.02})
    assert [t.name for t in thr.data][:4] == ["accuracy", "precision", "recall", "F1"]
    assert thr.data[4].name == "F1: lambda = 0.02" and thr.data[4].x == (0.02, 0.02)
    table = A.confusion_table(np.array([[900.0, 50.0], [10.0, 40.0]]))
    assert "false alarms" in repr(table) and "missed" in repr(table)


def test_cost_table_widget_finds_the_least_cost_lambda_when_the_sliders_move():
    dev_scores, dev, test_scores, test = _dev_test()
    w = A.cost_table_widget(dev_scores, dev, test_scores, test, miss=50, false_alarm=1, share=0.05)
    miss, false_alarm, share = w.controls
    fig = w.figure
    before = fig.data[1].x[0]
    c = A.compare_thresholds(dev_scores, dev, test_scores, test, A.CostTable(50, 1), 0.05)
    assert before == pytest.approx(c.thresholds["cost"])
    assert f"{c.test['cost']['cost per 1,000']:.1f}" in fig.layout.title.text

    miss.value, false_alarm.value, share.value = 2.0, 10.0, 0.2
    c = A.compare_thresholds(dev_scores, dev, test_scores, test, A.CostTable(2.0, 10.0), 0.2)
    lam = c.thresholds["cost"]
    assert fig.data[1].x[0] == pytest.approx(min(lam, dev_scores.max() * 1.2))
    assert fig.data[1].x[0] > before  # misses are cheap now: flag less
    assert fig.data[1].y[0] == pytest.approx(c.dev["cost"]["cost per 1,000"])
    assert f"{c.test['cost']['cost per 1,000']:.1f}" in fig.layout.title.text
    assert f"{c.test['accuracy']['cost per 1,000']:.1f}" in fig.layout.title.text
    assert np.allclose(fig.data[4].z, np.log1p(c.test_confusion["cost"]))
    assert np.allclose(fig.data[0].y, A.sweep(dev_scores, dev.is_anomaly,
                                              A.share_weights(dev.is_anomaly, 0.2)).cost(
                                                  A.CostTable(2.0, 10.0)))
    assert "interactive widget" in repr(w)


# --- the exercise -------------------------------------------------------------------------------

@pytest.fixture
def exercise():
    return exercises.get("10-lambda-for-a-cost-table")


def test_the_reference_solution_passes(exercise, capsys):
    assert exercise.check(exercise.reference)
    assert "✓" in capsys.readouterr().out
    assert "def " in exercise.solution().code


def test_an_unattempted_exercise_is_reported(exercise, capsys):
    def stub(scores, is_anomaly, miss_cost, false_alarm_cost):
        raise NotImplementedError

    assert not exercise.check(stub)
    assert "not attempted yet" in capsys.readouterr().out


def _fewest_errors(scores, is_anomaly, miss_cost, false_alarm_cost):
    return exercise_reference()(scores, is_anomaly, 1.0, 1.0)


def exercise_reference():
    return exercises.get("10-lambda-for-a-cost-table").reference


@pytest.mark.parametrize("wrong, hint", [
    (_fewest_errors, "weigh"),
    (lambda s, y, m, f: float(-exercise_reference()(-s, y, m, f)), "above"),
    (lambda s, y, m, f: float(np.median(s)), "least total cost"),
    (lambda s, y, m, f: "0.5", "number"),
    (lambda s, y, m, f: float(s[y].min()), "least total cost"),
])
def test_wrong_answers_fail_with_a_hint(exercise, capsys, wrong, hint):
    assert not exercise.check(wrong)
    out = capsys.readouterr().out
    assert "✗" in out and hint in out
