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


def get(name: str) -> Exercise:
    """The exercise called ``name``."""
    exercises = all_exercises()
    if name not in exercises:
        raise KeyError(f"no exercise {name!r}; there are: {', '.join(exercises)}")
    return exercises[name]


def for_lesson(lesson: str) -> list[Exercise]:
    """The exercises of one lesson (``"01_autoencoder_basics"``), in the order they are set."""
    return [e for e in all_exercises().values() if e.lesson == lesson]
