import subprocess
import sys

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


def test_every_code_exercise_accepts_its_own_solution(capsys):
    for exercise in exercises.all_exercises().values():
        if exercise.kind == "code":
            assert exercise.check(exercise.reference), exercise.name


def test_every_exercise_is_in_the_module_of_its_lesson():
    for exercise in exercises.all_exercises().values():
        module = exercise.checker.__module__
        assert module.startswith("course.exercises."), exercise.name
        if module != "course.exercises.core":
            assert module == f"course.exercises.lesson{exercise.lesson[:2]}", exercise.name
        assert exercise.name.startswith(exercise.lesson[:2] + "-"), exercise.name


def test_for_lesson_lists_only_that_lesson():
    chosen = exercises.for_lesson("06_discrete_latents")
    assert chosen and all(e.lesson == "06_discrete_latents" for e in chosen)


def test_a_prediction_accepts_the_answer_within_tolerance(capsys):
    question = exercises.prediction("99-guess", "99_demo", "How many?", 10, "Because.", tolerance=2)
    assert question.kind == "predict"
    assert question.check(11) and question.check(8)
    assert not question.check(13) and "too high" in capsys.readouterr().out
    assert not question.check("ten") and "number" in capsys.readouterr().out
    assert not question.check(float("nan"))
    assert not question.check(...) and "not attempted" in capsys.readouterr().out
    assert "Because." in question.solution().data


def test_a_prediction_with_choices():
    question = exercises.prediction("99-pick", "99_demo", "Which?", "up", "It goes up.",
                                    choices=("up", "down"))
    assert question.check("up") and not question.check("down") and not question.check("sideways")
    with pytest.raises(ValueError):
        exercises.prediction("99-bad", "99_demo", "Which?", "left", "", choices=("up", "down"))


def test_an_explanation_needs_every_key_idea(capsys):
    question = exercises.explanation("99-why", "99_demo", "Why?",
                                     [("bottleneck", "narrow"), ("copy", "identity")],
                                     "A narrow code cannot copy.")
    assert question.check("Without a narrow code it can learn the identity.")
    assert not question.check("Because of the bottleneck.")
    assert "1 of 2 key ideas" in capsys.readouterr().out
    assert not question.check(42)
    assert "cannot copy" in question.solution().data


def test_an_exercise_needs_exactly_one_kind_of_solution():
    with pytest.raises(ValueError):
        exercises.Exercise("99-x", "99_demo", "task", lambda a: None)
    with pytest.raises(ValueError):
        exercises.Exercise("99-x", "99_demo", "task", lambda a: None, reference=print, answer="a")


def test_get_finds_every_exercise_as_the_full_list_does():
    for name, exercise in exercises.all_exercises().items():
        assert exercises.get(name) is exercise


def test_a_lessons_first_exercise_imports_no_other_lessons_exercises():
    """Importing all eleven modules cost a kernel 1.5 s on its first exercise cell."""
    code = ("import sys; from course import exercises; exercises.get('04-share-of-a-turned-code'); "
            "print(sorted(m for m in sys.modules if m.startswith('course.exercises.lesson')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['course.exercises.lesson04']"
