"""course.memo: measurements cached like trained models (lesson 09)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from course import memo
from course.checkpoints import CheckpointWarning
from course.paths import cache_dir


class Counted:
    """A measurement that counts its calls and returns every kind of value a result may hold."""

    def __init__(self) -> None:
        self._calls = [0]

    @property
    def calls(self) -> int:
        return self._calls[0]

    def __call__(self, images: torch.Tensor, qualities: list[int], *, label: str = "") -> tuple:
        self._calls[0] += 1
        points = [{"quality": q, "bpp": float(images.mean()) * q, "label": label} for q in qualities]
        decoded = {q: (images.numpy() * 255).astype(np.uint8) for q in qualities}
        return points, decoded, images * 2, np.float64(0.5), None


def stored_files() -> list:
    return sorted((cache_dir() / memo.FOLDER).glob("*.pt"))


def test_a_measurement_is_made_once_and_loaded_as_it_was_returned():
    measure, images = Counted(), torch.rand(4, 1, 8, 8)
    first = memo.remember(measure, images, [1, 5], label="x")
    second = memo.remember(measure, images.clone(), [1, 5], label="x")
    assert measure.calls == 1 and len(stored_files()) == 1
    points, decoded, doubled, half, nothing = second
    assert points == first[0] and isinstance(second, tuple)
    assert set(decoded) == {1, 5} and decoded[5].dtype == np.uint8 and np.array_equal(decoded[5], first[1][5])
    assert torch.equal(doubled, images * 2) and half == 0.5 and type(half) is float and nothing is None
    assert type(first[3]) is float  # the first run returns what later runs load


@pytest.mark.parametrize("change", ["images", "qualities", "keyword"])
def test_other_arguments_measure_again(change):
    measure, images = Counted(), torch.rand(4, 1, 8, 8)
    memo.remember(measure, images, [1, 5], label="x")
    args = {"images": (images + 0.1, [1, 5], "x"), "qualities": (images, [1, 6], "x"),
            "keyword": (images, [1, 5], "y")}[change]
    memo.remember(measure, args[0], args[1], label=args[2])
    assert measure.calls == 2


def test_a_model_is_identified_by_its_weights():
    def outputs(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return model(x).detach()

    calls: list[int] = []
    model, x = nn.Linear(3, 2), torch.rand(5, 3)
    memo.remember(outputs, model, x)
    memo.remember(outputs, model, x)
    with torch.no_grad():
        model.weight.add_(1.0)
    again = memo.remember(outputs, model, x)
    assert len(calls) == 2 and torch.allclose(again, model(x))


@pytest.mark.parametrize("call", ["method", "model"])
def test_a_models_own_method_is_identified_by_its_weights(call):
    model, x = nn.Linear(3, 2), torch.rand(5, 3)
    fn = model.forward if call == "method" else model
    first = memo.remember(fn, x)
    with torch.no_grad():
        model.weight.add_(1.0)
    again = memo.remember(fn, x)
    assert not torch.equal(first, again) and torch.allclose(again, model(x))


def test_without_the_cache_it_measures_every_time_and_stores_nothing():
    measure, images = Counted(), torch.rand(2, 1, 4, 4)
    memo.remember(measure, images, [1], cache=False)
    memo.remember(measure, images, [1], cache=False)
    assert measure.calls == 2 and not stored_files()


def test_a_damaged_file_is_measured_again_with_a_warning():
    measure, images = Counted(), torch.rand(2, 1, 4, 4)
    memo.remember(measure, images, [1])
    (path,) = stored_files()
    path.write_bytes(b"not a torch file")
    with pytest.warns(CheckpointWarning, match="does not load"):
        points, *_ = memo.remember(measure, images, [1])
    assert measure.calls == 2 and points[0]["quality"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        memo.remember(measure, images, [1])  # rewritten: loads again
    assert measure.calls == 2


def test_a_stored_result_is_loaded_without_running_code():
    memo.remember(Counted(), torch.rand(2, 1, 4, 4), [1])
    (path,) = stored_files()
    torch.load(path, weights_only=True)  # raises for anything but data


@pytest.mark.parametrize("argument", [object(), np.array([object()]), {1, 2}])
def test_an_argument_it_cannot_identify_is_an_error_not_a_guess(argument):
    with pytest.raises(TypeError, match="cannot identify"):
        memo.remember(lambda a: 1, argument)


def test_a_result_it_cannot_store_is_an_error():
    with pytest.raises(TypeError, match="cannot store"):
        memo.remember(lambda: {"f": object()})


def test_the_key_changes_with_the_course_code(monkeypatch):
    images = torch.rand(2, 1, 4, 4)
    before = memo.key_of(Counted.__call__, (images,), {})
    monkeypatch.setattr(memo, "course_source_hash", lambda: "edited")
    assert memo.key_of(Counted.__call__, (images,), {}) != before


def test_two_lambdas_are_two_measurements():
    assert memo.remember(lambda: 1) == 1
    assert memo.remember(lambda: 2) == 2
