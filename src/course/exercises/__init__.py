"""Exercises with automatic checks and hidden solutions. Every lesson has its own module.

In a lesson::

    exercise = exercises.get("01-pca-by-svd")
    exercise.check(pca_reconstruct)      # ✓, or ✗ with what went wrong
    # exercise.solution()                # uncomment to reveal a worked solution

The machinery (:class:`Exercise`, :func:`prediction`, :func:`explanation`) is in
:mod:`course.exercises.core`; lesson NN's exercises are in ``course/exercises/lessonNN.py``,
each module listing its own in ``EXERCISES``. Modules are found by name, so a new lesson
adds a file and edits nothing here.
"""

from __future__ import annotations

import importlib
import pkgutil

from course.exercises.core import Exercise, Verdict, explanation, prediction

__all__ = ["Exercise", "Verdict", "explanation", "prediction", "get", "for_lesson", "all_exercises"]


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of every lesson, by name, in lesson order."""
    found: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("lesson"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for exercise in module.EXERCISES:
            if exercise.name in found:
                raise ValueError(f"two exercises are called {exercise.name!r}")
            found[exercise.name] = exercise
    return found


def _lesson_module_exercises(number: str) -> list[Exercise]:
    """The exercises of ``course/exercises/lesson<number>.py``; none if there is no such file.
    (Importing one lesson's module, not all of them: some import a lesson's models, and
    all eleven cost a kernel 1.5 s on its first exercise.)"""
    if not number.isdigit() or not any(m.name == f"lesson{number}" for m in pkgutil.iter_modules(__path__)):
        return []
    return list(importlib.import_module(f"{__name__}.lesson{number}").EXERCISES)


def get(name: str) -> Exercise:
    """The exercise called ``name`` ("NN-..." is looked for in lesson NN's module first)."""
    for exercise in _lesson_module_exercises(name.split("-", 1)[0]):
        if exercise.name == name:
            return exercise
    exercises = all_exercises()
    if name not in exercises:
        raise KeyError(f"no exercise {name!r}; there are: {', '.join(exercises)}")
    return exercises[name]


def for_lesson(lesson: str) -> list[Exercise]:
    """The exercises of one lesson (``"01_autoencoder_basics"``), in the order they are set."""
    return [e for e in all_exercises().values() if e.lesson == lesson]
