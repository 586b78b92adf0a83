"""The machinery of the exercises: a task, a checker with hints, a hidden solution.

Three kinds, one interface (``exercise.check(answer)``, ``exercise.solution()``):

- **code**: the learner writes a function; the checker runs it against a reference and
  raises ``AssertionError`` with a hint when it is wrong.
- **predict**: before running a cell the learner writes down what it will show (a number
  or a choice); :func:`prediction` checks it, and the solution says why.
- **explain**: a question in words; :func:`explanation` checks that the answer names the
  key ideas, and the solution is a model answer.

A check never stops the notebook: an exercise that is not attempted yet (the stub raises
``NotImplementedError``, or the answer is ``...``) or a wrong answer is reported, and the
notebook runs on. :meth:`Exercise.check` returns whether the answer passed, so tests can
use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from IPython.display import Markdown

from course.show import SourceCode, show_source

KINDS = ("code", "predict", "explain")


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
    """A task, a checker that raises ``AssertionError`` with a hint, and a solution.

    ``reference`` is a worked solution in code (shown as its source); ``answer`` is a
    solution in words (shown as Markdown). One of the two is given. ``mistakes`` are
    plausible wrong answers (a code exercise's typical slips) that the checker must reject:
    the tests feed every one of them, so a checker that lets anything pass fails.
    """

    name: str
    lesson: str
    task: str
    checker: Callable[[Any], None]
    reference: Callable[..., Any] | None = None
    answer: str | None = None
    kind: str = "code"
    mistakes: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if (self.reference is None) == (self.answer is None):
            raise ValueError(f"{self.name}: give a reference solution in code or an answer in words")

    def check(self, answer: Any) -> Verdict:
        """Run the checker on ``answer``, print the verdict, and return it (true if it passed)."""
        if answer is ...:
            return Verdict.say(False, f"… {self.name}: not attempted yet. {self.task}")
        try:
            self.checker(answer)
        except NotImplementedError:
            return Verdict.say(False, f"… {self.name}: not attempted yet. {self.task}")
        except AssertionError as error:
            return Verdict.say(False, f"✗ {self.name}: not yet. {error}")
        except Exception as error:  # the learner's code crashed: say how, keep going
            return Verdict.say(False, f"✗ {self.name}: your function raised {type(error).__name__}: {error}")
        return Verdict.say(True, f"✓ {self.name}: correct.")

    def solution(self) -> SourceCode | Markdown:
        """A worked solution (one of many that pass), or the model answer."""
        if self.reference is not None:
            return show_source(self.reference)
        return Markdown(f"**{self.name}, a model answer.** {self.answer}")


def prediction(name: str, lesson: str, question: str, correct: float | str, why: str, *,
               tolerance: float = 0.0, choices: Sequence[str] = ()) -> Exercise:
    """A *predict before you run* question: a number (within ``tolerance``) or one of ``choices``."""
    if choices and correct not in choices:
        raise ValueError(f"{name}: the correct answer {correct!r} is not among the choices")

    def checker(guess: Any) -> None:
        if choices:
            assert guess in choices, f"answer with one of {', '.join(map(repr, choices))}"
            assert guess == correct, "not what happens: run the next cell and look again"
            return
        assert isinstance(guess, (int, float)) and not isinstance(guess, bool) and math.isfinite(guess), \
            "answer with a number"
        assert abs(guess - float(correct)) <= tolerance, (
            f"{'too high' if guess > float(correct) else 'too low'}: run the next cell and look again")

    task = question + (f" Answer with one of {', '.join(map(repr, choices))}." if choices else "")
    if choices:
        mistakes = tuple(c for c in choices if c != correct)
    else:
        miss = 2 * tolerance + 1 + abs(float(correct))
        mistakes = (float(correct) + miss, float(correct) - miss, str(correct))
    return Exercise(name, lesson, task, checker, answer=f"{correct}. {why}", kind="predict", mistakes=mistakes)


def explanation(name: str, lesson: str, question: str, key_ideas: Sequence[Sequence[str]],
                model_answer: str) -> Exercise:
    """A question in words. The answer passes when it names every key idea.

    ``key_ideas`` holds, for each idea, the words any one of which names it
    (case-insensitive), e.g. ``[("mean", "average"), ("noise",)]``.
    """
    if not key_ideas or not all(key_ideas):
        raise ValueError(f"{name}: give at least one key idea, each with at least one word")

    def checker(text: Any) -> None:
        assert isinstance(text, str) and text.strip(), "answer in a sentence or two, as a string"
        lowered = text.lower()
        missing = [words for words in key_ideas if not any(w.lower() in lowered for w in words)]
        assert not missing, (f"{len(missing)} of {len(key_ideas)} key ideas are missing; think about "
                             + " and ".join(f"'{words[0]}'" for words in missing))

    mistakes = ("", "I am not sure.", " ".join(words[0] for words in key_ideas[:-1]) or "no idea")
    return Exercise(name, lesson, question, checker, answer=model_answer, kind="explain", mistakes=mistakes)
