"""Lesson 00 (00_start_here): what the data look like, a parameter check, what the test split is for."""

from __future__ import annotations

from typing import Any, Callable

from course.exercises.core import Exercise, explanation, prediction
from course.params import integer

LESSON = "00_start_here"


def is_epoch_count(value: Any) -> bool:
    """True for a whole number of epochs, at least 1: what ``integer(min=1)`` accepts."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


# (value, what a wrong answer overlooked): every value the lesson's rule is asked about
_CASES: list[tuple[Any, str]] = [
    (1, "1 epoch is the smallest count there is"),
    (20, "20 is a plain whole number of epochs"),
    (10**12, "a large whole number is still a whole number"),
    (0, "zero epochs train nothing: the count must be at least 1"),
    (-3, "a negative count makes no sense"),
    (True, "True is not a number of epochs, but isinstance(True, int) is true in Python: "
           "bool is a subclass of int, so rule it out by name"),
    (False, "False is a bool, not a count"),
    (2.5, "2.5 is not a whole number"),
    (3.0, "3.0 is a float: the lesson's rule takes whole numbers written as integers only"),
    ("20", "the string '20' is text, not a number"),
    (None, "None is not a number"),
    (float("nan"), "NaN is not a number of epochs"),
    ([5], "a list is not a number"),
]


def _check_is_epoch_count(answer: Callable[[Any], Any]) -> None:
    rule = integer(min=1)  # what the lesson's check_parameters uses for EPOCHS
    for value, why in _CASES:
        want = rule(value)
        try:
            got = answer(value)
        except NotImplementedError:
            raise  # the stub: not attempted yet
        except Exception as error:  # noqa: BLE001 - a rule must say no, not crash
            raise AssertionError(f"for {value!r} your function raised {type(error).__name__}: "
                                 f"{error}; a check answers False for a value it cannot use "
                                 "(test the type first)") from None
        assert isinstance(got, bool), f"return True or False, got {got!r} for {value!r}"
        if got != want:
            raise AssertionError(f"for {value!r} you answer {got}, the lesson's rule {want}: {why}")


def _accepts_bools(value: Any) -> bool:
    return isinstance(value, int) and value >= 1


def _accepts_whole_floats(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == int(value) and value >= 1


def _accepts_zero(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


EXERCISES = [
    prediction(
        "00-black-pixels", LESSON,
        "Look at the digits above. What share of all the pixels of mnist5k's training images "
        "is exactly 0, pure black?",
        "over 75%",
        "About 81%: a digit is a thin stroke on a large black background. Keep it in mind: "
        "it is why a picture that is all black already scores a fair reconstruction error "
        "(lesson 02), and why digits with little ink are easy to reconstruct (lesson 10).",
        choices=("under 25%", "25% to 50%", "50% to 75%", "over 75%")),
    Exercise(
        "00-epoch-check", LESSON,
        "Write is_epoch_count(value): True for a whole number of epochs that is at least 1, "
        "False for anything else (0, negative numbers, floats, strings, None, and True and False), "
        "without ever raising an error.",
        _check_is_epoch_count, is_epoch_count,
        mistakes=(_accepts_bools, _accepts_whole_floats, _accepts_zero)),
    explanation(
        "00-why-a-test-split", LESSON,
        "The data come split into train, val and test. Why must the test images not be used to "
        "choose settings (the number of epochs, the bottleneck size, a threshold), even though "
        "they are there and choosing on them would give better test figures?",
        [("choos", "chose", "select", "tun", "pick"),
         ("optimist", "overestimat", "too good", "biased", "flatter", "inflat", "better than"),
         ("new", "unseen", "future", "generali", "never seen")],
        "A setting chosen because it scores best on the test images has been fitted to those "
        "images, noise and luck included: the test figure of the winner is then an optimistic "
        "(biased) estimate of how it does on new images, and the more settings are tried the "
        "larger the bias. The test split is kept for one purpose, to say how the final model "
        "will do on images nobody has looked at; choices are made on the validation split, "
        "which can be spent on them."),
]
