import re

import pytest
import torch
from torch import nn

from course.models import ConvAutoencoder, MLPAutoencoder
from course.train import History, classification_loss, evaluate, fit, predict, reconstruction_loss


def test_fit_lowers_the_reconstruction_loss(tiny_images):
    model = ConvAutoencoder((1, 8, 8), 4, channels=(8, 8))
    before = evaluate(model, tiny_images)
    history = fit(model, tiny_images, val=tiny_images[:16], epochs=15, batch_size=16, lr=5e-3)
    assert isinstance(history, History)
    assert len(history.train_loss) == len(history.val_loss) == 15
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert evaluate(model, tiny_images) < 0.5 * before
    assert history.seconds > 0 and not history.from_cache
    assert not model.training


def test_fit_takes_labels_through_a_tuple_and_a_custom_loss(tiny_split):
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    x, y = tiny_split.images, tiny_split.labels
    history = fit(classifier, (x, y), val=(x, y), epochs=30, lr=1e-2, batch_size=16,
                  loss_fn=classification_loss)
    assert history.val_loss[-1] < history.val_loss[0]


def test_constant_schedule_and_weight_decay_run(tiny_images):
    model = MLPAutoencoder((1, 8, 8), 2, hidden=(8,))
    history = fit(model, tiny_images, epochs=2, schedule="constant", weight_decay=1e-4)
    assert len(history.train_loss) == 2


def test_predict_batches_give_the_same_answer(tiny_images):
    model = MLPAutoencoder((1, 8, 8), 3, hidden=(8,))
    whole = predict(model, tiny_images, batch_size=1000)
    pieces = predict(model, tiny_images, batch_size=7)
    assert torch.allclose(whole, pieces, atol=1e-6)
    assert predict(model, tiny_images, method="encode").shape == (64, 3)


def test_evaluate_is_the_mean_over_all_examples(tiny_images):
    model = MLPAutoencoder((1, 8, 8), 3, hidden=(8,))
    expected = reconstruction_loss(model, tiny_images).item()
    assert evaluate(model, tiny_images, batch_size=10) == pytest.approx(expected, rel=1e-5)


def test_a_history_reads_back_from_its_dict_and_nothing_else():
    history = History([1.0, 0.5], [1.1, 0.6], 2.5, False, {"kl": [3.0, 2.0]})
    assert History.from_dict(history.as_dict()) == history
    good = history.as_dict()
    for bad in ({**good, "surprise": 1}, {k: v for k, v in good.items() if k != "seconds"},
                {**good, "train_loss": "low"}, {**good, "val_loss": [None]}, {**good, "seconds": "2"},
                {**good, "from_cache": 1}, {**good, "extra": []}, {**good, "extra": {"kl": [True]}},
                [good], None):
        with pytest.raises(ValueError):
            History.from_dict(bad)


class _Handle:
    def __init__(self, shown: list[str], bundle: dict) -> None:
        self.shown = shown
        shown.append(bundle["text/plain"])

    def update(self, bundle: dict, raw: bool = False) -> None:
        self.shown.append(bundle["text/plain"])


def test_progress_in_a_kernel_ends_as_one_summary_line(monkeypatch):
    import IPython.display

    from course.train import KernelProgress

    shown: list[str] = []
    monkeypatch.setattr(IPython.display, "display", lambda bundle, **kw: _Handle(shown, bundle))
    bar = KernelProgress(range(3), desc="tiny AE", unit="epoch", every=0.0)
    for i in bar:
        bar.set_postfix({"loss": f"{0.5 / (i + 1):.4f}"})
    assert shown[0].startswith("tiny AE:   0%|")
    assert "1/3" in shown[1] and "loss=0.5000" in shown[1]
    assert re.fullmatch(r"tiny AE: 3 epochs in \d+\.\d s, loss=0\.1667", shown[-1])


def test_progress_bar_is_tqdm_outside_a_kernel_and_nothing_when_disabled(monkeypatch):
    from tqdm import tqdm

    from course.train import progress_bar

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert isinstance(progress_bar(range(2), desc="x"), tqdm)
    assert progress_bar(range(2), desc="x", disable=True).disable
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert list(progress_bar(range(2), desc="x")) == [0, 1]
