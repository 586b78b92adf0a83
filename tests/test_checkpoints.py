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


# --- issue 20: a cache that degrades, never crashes ----------------------------------------

import multiprocessing  # noqa: E402
import os  # noqa: E402
import warnings  # noqa: E402

from course.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Each test sees the once-per-folder warnings anew."""
    monkeypatch.setattr(checkpoints, "_warned_folders", set())


def _manifest():
    (path,) = cache_dir().glob("*.json")
    return path, json.loads(path.read_text())


def _resign(record):
    record["checksum"] = checkpoints._record_checksum(record)
    return record


def test_a_file_in_place_of_the_cache_folder_gives_one_warning_and_trains(tmp_path, monkeypatch, tiny_images):
    (tmp_path / "cache").write_text("a file, not a folder")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.warns(checkpoints.CheckpointWarning, match="cannot be used.*training without the cache") as caught:
        first = train(model(), tiny_images)
        second = train(model(), tiny_images)
    assert len([w for w in caught if issubclass(w.category, checkpoints.CheckpointWarning)]) == 1
    assert not first.from_cache and not second.from_cache
    assert second.train_loss == first.train_loss


def test_an_unwritable_cache_folder_gives_one_warning_and_trains(monkeypatch, tiny_images):
    """Root may write anywhere, so the read-only folder is simulated where files are created."""
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(checkpoints.tempfile, "mkstemp", refuse)
    with pytest.warns(checkpoints.CheckpointWarning, match="cannot be written.*Permission denied") as caught:
        first = train(model(), tiny_images)
        second = train(model(), tiny_images)
    assert len([w for w in caught if issubclass(w.category, checkpoints.CheckpointWarning)]) == 1
    assert not first.from_cache and not second.from_cache
    assert not list(cache_dir().iterdir())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_cache_folder_gives_one_warning_and_trains(tmp_path, monkeypatch, tiny_images):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(folder))
    try:
        with pytest.warns(checkpoints.CheckpointWarning, match="cannot be written"):
            assert not train(model(), tiny_images).from_cache
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize("damage, match", [
    (lambda r: {**r, "surprise": 1}, "not a version-2 record"),
    (lambda r: _resign({**r, "meta": {"history": {**r["meta"]["history"], "surprise": [1.0]}}}),
     "history has the fields"),
    (lambda r: {**r, "meta": {"history": {**r["meta"]["history"], "train_loss": [0.001, 0.0001]}}},
     "does not match its checksum"),
    (lambda r: _resign({**r, "meta": {"history": {**r["meta"]["history"], "train_loss": "low"}}}),
     "train_loss is not a list of numbers"),
    (lambda r: _resign({**r, "meta": {}}), "KeyError|history"),
    (lambda r: {k: v for k, v in r.items() if k != "checksum"}, "not a version-2 record"),
    (lambda r: _resign({**r, "format": 1}), "format 1"),
    (lambda r: _resign({**r, "sha256": 5}), "wrong types"),
    (lambda r: [r], "not a version-2 record"),
])
def test_a_manifest_that_is_not_the_expected_record_is_damaged_and_retrained(tiny_images, damage, match):
    first = train(model(), tiny_images)
    path, record = _manifest()
    path.write_text(json.dumps(damage(record)))
    fresh = model()
    before = [p.clone() for p in fresh.parameters()]
    with pytest.warns(checkpoints.CheckpointWarning, match=match):
        assert checkpoints.load(record["key"], fresh, validate=lambda m: History.from_dict(m["history"])) is None
    assert all(torch.equal(a, b) for a, b in zip(before, fresh.parameters()))  # nothing loaded
    with pytest.warns(checkpoints.CheckpointWarning):
        again = train(model(), tiny_images)
    assert not again.from_cache and again.train_loss == first.train_loss
    assert train(model(), tiny_images).from_cache  # stored again, now valid


@pytest.mark.parametrize("text", ["", "{not json", "\xff\xfe", "null", "[]"])
def test_a_manifest_that_does_not_parse_is_damaged(tiny_images, text):
    train(model(), tiny_images)
    path, _ = _manifest()
    path.write_bytes(text.encode("latin-1"))
    with pytest.warns(checkpoints.CheckpointWarning, match="was not used"):
        assert not train(model(), tiny_images).from_cache


def test_a_folder_in_place_of_the_manifest_is_damaged(tiny_images):
    train(model(), tiny_images)
    path, _ = _manifest()
    path.unlink()
    path.mkdir()
    with pytest.warns(checkpoints.CheckpointWarning) as caught:
        history = train(model(), tiny_images)
    assert not history.from_cache  # trained; the folder is in the way, so saving warns once
    assert [str(w.message).split(" ")[-1] for w in caught] == ["Retraining.", "cache."]


def test_the_checksum_covers_the_history():
    record = {"format": 2, "key": "k", "sha256": "0" * 64, "model": {}, "meta": {"history": {"train_loss": [1.0]}}}
    edited = {**record, "meta": {"history": {"train_loss": [0.5]}}}
    assert checkpoints._record_checksum(record) != checkpoints._record_checksum(edited)


def _train_same_key(folder: str, barrier, rounds: int, results) -> None:
    torch.set_num_threads(1)
    os.environ["COURSE_CACHE_DIR"] = folder
    os.environ["TQDM_DISABLE"] = "1"
    g = torch.Generator().manual_seed(0)
    images = torch.rand(64, 1, 8, 8, generator=g)
    for r in range(rounds):
        os.environ["COURSE_CACHE_DIR"] = f"{folder}/round{r}"
        barrier.wait()  # every process starts training the same key at the same moment
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                history = train(model(), images)
                results.put((r, "ok", history.train_loss[-1], [str(w.message) for w in caught]))
            except Exception as error:  # noqa: BLE001 - reported to the test
                results.put((r, f"{type(error).__name__}: {error}", None, []))


@pytest.mark.slow
def test_processes_training_the_same_key_at_once_never_corrupt_or_crash(tmp_path):
    """3 processes x 5 rounds, each round a fresh cache where all three train one key at once."""
    processes, rounds = 3, 5
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=_train_same_key, args=(str(tmp_path), barrier, rounds, results))
               for _ in range(processes)]
    for w in workers:
        w.start()
    got = [results.get(timeout=300) for _ in range(processes * rounds)]
    for w in workers:
        w.join(timeout=60)
    assert all(status == "ok" for _, status, _, _ in got), got
    assert not any(messages for *_, messages in got), got  # no process saw a damaged checkpoint
    for r in range(rounds):
        folder = tmp_path / f"round{r}"
        assert sorted(p.suffix for p in folder.iterdir()) == [".json", ".pt"]  # no temporaries left
        assert len({loss for rr, _, loss, _ in got if rr == r}) == 1  # the same model every time
        key = json.loads(next(folder.glob("*.json")).read_text())["key"]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert checkpoints.load(key, model(), folder=folder) is not None
