import pytest
import torch

from course import exercises


@pytest.fixture
def exercise():
    return exercises.get("01-pca-by-svd")


def test_the_reference_solution_passes(exercise, capsys):
    assert exercise.check(exercise.reference)
    assert "✓" in capsys.readouterr().out


def test_an_unattempted_exercise_is_reported_not_raised(exercise, capsys):
    def stub(train, test, k):
        raise NotImplementedError

    assert not exercise.check(stub)
    assert "not attempted yet" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda train, test, k: test.clone(), "unchanged"),
    (lambda train, test, k: torch.linalg.svd(train, full_matrices=False)[2][:k].T
     .mul(1).matmul(torch.linalg.svd(train, full_matrices=False)[2][:k]).T.matmul(test.T).T,
     "mean"),
    (lambda train, test, k: test[:, :k], "shape"),
    (lambda train, test, k: test.numpy(), "torch.Tensor"),
    (lambda train, test, k: 1 / 0, "ZeroDivisionError"),
])
def test_wrong_answers_fail_with_a_hint(exercise, capsys, wrong, hint):
    assert not exercise.check(wrong)
    out = capsys.readouterr().out
    assert "✗" in out and hint in out


def test_solution_is_shown_as_source(exercise):
    assert "torch.linalg.svd" in exercise.solution().code


def test_unknown_exercise():
    with pytest.raises(KeyError, match="01-pca-by-svd"):
        exercises.get("nope")
