import random

import numpy as np
import pytest
import torch

from course.device import describe_device, get_device, one_thread, seed_everything
from course.models import MLPAutoencoder
from course.train import fit


def test_get_device_honours_preference_and_environment(monkeypatch):
    assert get_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")


def test_get_device_picks_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device().type == "cpu"


def test_describe_device_mentions_threads_on_cpu():
    assert "threads" in describe_device(torch.device("cpu"))


def test_seeding_gives_identical_random_numbers_twice():
    def draw():
        seed_everything(123)
        return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()

    assert draw() == draw()
    seed_everything(124)
    assert draw() != (random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist())


def test_seeded_training_is_identical_twice(tiny_images):
    def run():
        seed_everything(0)
        model = MLPAutoencoder((1, 8, 8), 3, hidden=(16,))
        history = fit(model, tiny_images, epochs=3, batch_size=16)
        return history.train_loss, [p.detach().clone() for p in model.parameters()]

    (loss_a, weights_a), (loss_b, weights_b) = run(), run()
    assert loss_a == loss_b
    assert all(torch.equal(a, b) for a, b in zip(weights_a, weights_b))


def test_one_thread_restores_the_thread_count_even_after_an_error():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    with pytest.raises(RuntimeError):
        with one_thread():
            assert torch.get_num_threads() == 1
            raise RuntimeError("boom")
    assert torch.get_num_threads() == 2
    torch.set_num_threads(before)


def test_seeding_asks_for_deterministic_kernels_without_loading_the_compiler():
    """seed_everything sets torch's deterministic flag (warnings only) in a fresh process,
    and does not import torch.compile's configuration (SymPy: a second of each kernel's start)."""
    import subprocess
    import sys

    script = ("import sys, torch; from course.device import seed_everything; seed_everything(0); "
              "print(torch.are_deterministic_algorithms_enabled(), "
              "torch.is_deterministic_algorithms_warn_only_enabled(), 'sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "False"], out.stderr
