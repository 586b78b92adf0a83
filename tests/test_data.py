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
