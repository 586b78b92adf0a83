import json

import pytest
import torch

from course import checkpoints
from course.models import MLPAutoencoder
from course.paths import cache_dir
from course.train import fit


def model(bottleneck=3):
    torch.manual_seed(0)
    return MLPAutoencoder((1, 8, 8), bottleneck, hidden=(8,))


def train(m, data, **kw):
    return fit(m, data, epochs=2, batch_size=16, cache=True, **kw)


def test_a_cached_model_is_reloaded_with_identical_weights(tiny_images):
    first = model()
    h1 = train(first, tiny_images)
    second = model()
    h2 = train(second, tiny_images)
    assert not h1.from_cache and h2.from_cache
    assert h2.train_loss == h1.train_loss
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)


def test_different_settings_or_data_train_anew(tiny_images):
    train(model(), tiny_images)
    assert not train(model(), tiny_images, lr=1e-3).from_cache
    assert not train(model(), tiny_images * 0.5).from_cache
    assert not train(model(bottleneck=4), tiny_images).from_cache


def test_a_corrupted_checkpoint_is_reported_and_retrained(tiny_images):
    train(model(), tiny_images)
    (weights,) = cache_dir().glob("*.pt")
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    with pytest.warns(checkpoints.CheckpointWarning, match="sha256"):
        history = train(model(), tiny_images)
    assert not history.from_cache
    assert train(model(), tiny_images).from_cache  # the retrained one was stored again


def test_a_missing_weights_file_is_reported_and_retrained(tiny_images):
    train(model(), tiny_images)
    next(cache_dir().glob("*.pt")).unlink()
    with pytest.warns(checkpoints.CheckpointWarning, match="missing"):
        assert not train(model(), tiny_images).from_cache


def test_weights_of_another_shape_are_never_loaded(tmp_path):
    small = model(bottleneck=3)
    checkpoints.save("key", small, {"history": {}}, folder=tmp_path)
    big = model(bottleneck=5)
    before = [p.clone() for p in big.parameters()]
    with pytest.warns(checkpoints.CheckpointWarning, match="size mismatch"):
        assert checkpoints.load("key", big, folder=tmp_path) is None
    assert all(torch.equal(a, b) for a, b in zip(before, big.parameters()))


def test_checkpoint_files_hold_only_tensors_and_a_manifest(tmp_path):
    m = model()
    path = checkpoints.save("key", m, {"history": {"train_loss": [1.0]}}, folder=tmp_path)
    state = torch.load(path, weights_only=True)
    assert set(state) == set(m.state_dict())
    record = json.loads((tmp_path / "key.json").read_text())
    assert record["model"]["config"]["bottleneck"] == 3
    assert len(record["sha256"]) == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.json", "key.pt"]  # no temporaries


def test_keys_follow_the_model_source_and_config():
    assert checkpoints.cache_key(model(), a=1) == checkpoints.cache_key(model(), a=1)
    assert checkpoints.cache_key(model(), a=1) != checkpoints.cache_key(model(), a=2)
    assert checkpoints.cache_key(model(3)) != checkpoints.cache_key(model(4))
    assert checkpoints.cache_key(model()).startswith("MLPAutoencoder-")


def test_keys_follow_the_source_of_every_module_that_defines_a_part(monkeypatch):
    """Lesson 06: the quantizer's helpers live in course.vq, outside VQVAE's class body."""
    from course import vq

    vqvae = vq.VQVAE((1, 8, 8), codebook_size=4, dim=2)
    before = checkpoints.cache_key(vqvae)
    real_source = checkpoints._source
    monkeypatch.setattr(checkpoints, "_source", lambda obj: real_source(obj) + (
        "\n# edited" if obj is vq else ""))
    assert checkpoints.cache_key(vqvae) != before
    # a module the model does not use changes nothing
    monkeypatch.setattr(checkpoints, "_source", lambda obj: real_source(obj) + (
        "\n# edited" if getattr(obj, "__name__", "") == "course.bert" else ""))
    assert checkpoints.cache_key(vqvae) == before


def test_clear_removes_everything(tiny_images):
    train(model(), tiny_images)
    assert checkpoints.clear() == 2
    assert not list(cache_dir().iterdir())


class ScaledLoss:
    """A loss with a setting, as lessons 02 and 08 use: an object, not a function."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._calls = 0  # private state that changes during training must not change the key

    def __call__(self, model, x):
        self._calls += 1
        return self.scale * ((model(x) - x) ** 2).mean()


def test_a_loss_object_is_keyed_by_its_code_and_settings_not_its_state():
    a, b = ScaledLoss(1.0), ScaledLoss(1.0)
    a._calls = 7
    assert checkpoints.source_hash(a) == checkpoints.source_hash(b)
    assert checkpoints.source_hash(a) != checkpoints.source_hash(ScaledLoss(2.0))
    assert checkpoints.source_hash(a) != checkpoints.source_hash(ScaledLoss)
