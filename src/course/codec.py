"""The autoencoder as a lossy codec, and the codecs it is measured against. Lesson 09.

:class:`LearnedCodec` is a small convolutional autoencoder trained the way learned image
compression is (Ballé, Laparra and Simoncelli, 2017): while training, rounding the code
is replaced by adding uniform noise; the rate is the code's information content under a
learned density (:meth:`LearnedCodec.bits`); the loss is rate + λ · distortion
(:class:`RateDistortionLoss`). At test time the code is rounded to integers and turned
into bytes by :mod:`course.entropy` (ANS coding with ``constriction``)::

    blobs = compress(model, images)           # one bytes object per image
    x_hat = decompress(model, blobs)          # exactly predict(model, images)

The yardsticks, on the same 8-bit images: JPEG through Pillow (whole files, and only the
entropy-coded data: :func:`jpeg_scan_bytes`), PNG (lossless), WebP, and PCA with the same
quantisation and entropy coding (:class:`PCACodec`). Every codec is scored by
:func:`measure` in bits per pixel, bytes per image, PSNR and SSIM
(:mod:`course.rate_distortion` draws the curves and reads them at matched rates).
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from course.baselines import PCAAutoencoder
from course.entropy import FactorizedCoder, discrete_pmf, histogram_pmf
from course.train import predict

# --- the learned codec --------------------------------------------------------------------


class LearnedCodec(nn.Module):
    """Encoder -> latent grid (``latent`` channels at a quarter of the size) -> rounding ->
    decoder, with a learned density per latent channel to price the code.

    * ``analyse(x)``: the continuous latent ``y``, times a learned gain per channel (the gain
      sets how fine the rounding grid is relative to what the encoder computes);
    * ``quantise(y)``: ``y`` plus uniform noise in [-0.5, 0.5) while training (a stand-in for
      rounding that has a gradient), ``round(y)`` clipped to ``±max_symbol`` otherwise;
    * ``synthesise(y_hat)``: the decoder, after dividing the gain back out;
    * ``bits(y_hat)``: ``-log2`` of each value's probability mass under the density, summed per image.

    The density of each channel is a mixture of ``mixtures`` logistic distributions; the
    probability of a (noisy or integer) value ``v`` is the mass of ``[v - 0.5, v + 0.5]``.
    """

    def __init__(self, image_shape: tuple[int, int, int], latent: int = 16, hidden: int = 64,
                 mixtures: int = 3, max_symbol: int = 20, init_gain: float = 1.0, warmup_steps: int = 100,
                 density_speed: float = 10.0, init: str = "") -> None:
        super().__init__()
        c, h, w = image_shape
        if h % 4 or w % 4:
            raise ValueError(f"LearnedCodec needs height and width divisible by 4, got {h}x{w}")
        self.image_shape, self.latent, self.hidden = tuple(image_shape), latent, hidden
        self.mixtures, self.max_symbol, self.init_gain = mixtures, max_symbol, init_gain
        self.warmup_steps, self.density_speed, self.init = warmup_steps, density_speed, init
        self.encoder = nn.Sequential(nn.Conv2d(c, hidden, 5, stride=2, padding=2), nn.ReLU(),
                                     nn.Conv2d(hidden, latent, 5, stride=2, padding=2))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(latent, hidden, 5, stride=2, padding=2, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(hidden, c, 5, stride=2, padding=2, output_padding=1), nn.Sigmoid())
        # the gain and the density are few numbers that must move far: each is stored divided by
        # density_speed, so one Adam step moves it density_speed times further
        k = density_speed
        self.log_gain = nn.Parameter(torch.full((latent,), math.log(init_gain) / k))
        self.mix_logits = nn.Parameter(torch.zeros(latent, mixtures))
        self.mix_loc = nn.Parameter(torch.linspace(-1.0, 1.0, mixtures).repeat(latent, 1) / k)
        self.mix_log_scale = nn.Parameter(torch.zeros(latent, mixtures))
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    @property
    def config(self) -> dict[str, object]:
        """What defines this model (its cache key); ``init`` names the weights it started from."""
        return {"image_shape": list(self.image_shape), "latent": self.latent, "hidden": self.hidden,
                "mixtures": self.mixtures, "max_symbol": self.max_symbol, "init_gain": self.init_gain,
                "warmup_steps": self.warmup_steps, "density_speed": self.density_speed, "init": self.init}

    def gain(self) -> torch.Tensor:
        return (self.density_speed * self.log_gain).exp()[:, None, None]

    def analyse(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x) * self.gain()

    def quantise(self, y: torch.Tensor) -> torch.Tensor:
        if self.training:
            return y + torch.rand_like(y) - 0.5
        return torch.round(y).clamp(-self.max_symbol, self.max_symbol)

    def synthesise(self, y_hat: torch.Tensor) -> torch.Tensor:
        return self.decoder(y_hat / self.gain())

    def cdf(self, v: torch.Tensor) -> torch.Tensor:
        """The density's CDF at ``v`` ``(N, latent, ...)`` or ``(latent, K)``, channel on dim 1 or 0."""
        shape = (1, self.latent) + (1,) * (v.dim() - 2) if v.dim() > 2 else (self.latent, 1)
        k = self.density_speed
        weights = torch.softmax(k * self.mix_logits, -1)
        out = 0
        for m in range(self.mixtures):
            loc = (k * self.mix_loc[:, m]).view(shape)
            scale = (k * self.mix_log_scale[:, m]).exp().view(shape)
            out = out + weights[:, m].view(shape) * torch.sigmoid((v - loc) / scale)
        return out

    def bits(self, y_hat: torch.Tensor) -> torch.Tensor:
        """Information content of each code ``(N, latent, h, w)`` in bits ``(N,)``."""
        mass = self.cdf(y_hat + 0.5) - self.cdf(y_hat - 0.5)
        return -torch.log2(mass.clamp_min(1e-9)).flatten(1).sum(1)

    def rate_weight(self) -> float:
        """Rate warm-up: the rate term counts from 0 up to fully over the first ``warmup_steps``."""
        return min(1.0, float(self.step) / max(self.warmup_steps, 1))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images -> the integer code (as floats), rounded and clipped: what is stored."""
        return torch.round(self.analyse(x)).clamp(-self.max_symbol, self.max_symbol)

    def decode(self, y_hat: torch.Tensor) -> torch.Tensor:
        return self.synthesise(y_hat)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.synthesise(self.quantise(self.analyse(x)))

    @torch.no_grad()
    def pmfs(self) -> np.ndarray:
        """The density as a table: probabilities of ``-max_symbol .. max_symbol`` per channel."""
        return discrete_pmf(lambda edges: self.cdf(edges[None].to(self.log_gain.device).float().repeat(
            self.latent, 1)).cpu(), -self.max_symbol, self.max_symbol)


class RateDistortionLoss:
    """``rate + lam * distortion``: bits per pixel under the model's density, plus ``lam``
    times the mean squared error on [0, 1] pixels. Counts the model's training steps for
    the rate warm-up."""

    def __init__(self, lam: float) -> None:
        self.lam = lam

    def __call__(self, model: LearnedCodec, x: torch.Tensor) -> torch.Tensor:
        y_tilde = model.quantise(model.analyse(x))
        x_hat = model.synthesise(y_tilde)
        bpp = model.bits(y_tilde).mean() / (x.shape[-1] * x.shape[-2])
        if model.training:
            model.step += 1
        return model.rate_weight() * bpp + self.lam * F.mse_loss(x_hat, x)


def coder_for(model: LearnedCodec, size: tuple[int, int] | None = None) -> FactorizedCoder:
    """The entropy coder of a trained codec for images of ``size`` (default: the training size):
    one table per latent channel, from its density. The model is convolutional, so any size
    divisible by 4 works (lesson 09 feeds it 32x32 shapes)."""
    h, w = size or model.image_shape[1:]
    return FactorizedCoder(model.pmfs(), -model.max_symbol, np.repeat(np.arange(model.latent), (h // 4) * (w // 4)))


def symbols_of(model: LearnedCodec, images: torch.Tensor) -> np.ndarray:
    """The integers a codec stores for each image ``(N, D)``: its code, rounded (eval mode)."""
    return predict(model, images, method="encode").flatten(1).numpy().astype(np.int64)


def compress(model: LearnedCodec, images: torch.Tensor, coder: FactorizedCoder | None = None) -> list[bytes]:
    """Each image -> its bytes: encode, round, entropy-code. The decoder needs nothing else
    (the code's shape is fixed by the model and the image size)."""
    coder = coder or coder_for(model, tuple(images.shape[-2:]))
    return coder.encode_each(symbols_of(model, images))


def decompress(model: LearnedCodec, blobs: list[bytes], coder: FactorizedCoder | None = None,
               size: tuple[int, int] | None = None) -> torch.Tensor:
    """Bytes -> images of ``size`` (default: the training size): entropy-decode the integers,
    then run the decoder."""
    h, w = size or model.image_shape[1:]
    coder = coder or coder_for(model, (h, w))
    y_hat = torch.from_numpy(np.stack([coder.decode(b) for b in blobs])).float()
    return predict(model, y_hat.view(len(blobs), model.latent, h // 4, w // 4), method="decode")


# --- the same quantisation and coding after PCA -------------------------------------------


class PCACodec:
    """PCA as a codec: project on the first ``components`` directions of ``pca`` (default: all
    it has), divide by ``step`` and round, entropy-code each coefficient with its own table
    counted on the training images."""

    def __init__(self, pca: PCAAutoencoder, train: torch.Tensor, step: float, components: int | None = None) -> None:
        self.pca, self.step = pca, step
        self.components = components or pca.bottleneck
        q = self._round(train)
        self.max_symbol = max(1, int(np.abs(q).max()))
        self.coder = FactorizedCoder(histogram_pmf(q, -self.max_symbol, self.max_symbol), -self.max_symbol)

    def _round(self, images: torch.Tensor) -> np.ndarray:
        return np.round(self.pca.encode(images).numpy()[:, :self.components] / self.step).astype(np.int64)

    def encode(self, images: torch.Tensor) -> np.ndarray:
        return np.clip(self._round(images), -self.max_symbol, self.max_symbol)

    def decode(self, symbols: np.ndarray) -> torch.Tensor:
        z = np.zeros((len(symbols), self.pca.bottleneck), dtype=np.float32)
        z[:, :self.components] = symbols * self.step
        return self.pca.decode(torch.from_numpy(z)).clamp(0, 1)

    def compress(self, images: torch.Tensor) -> list[bytes]:
        return self.coder.encode_each(self.encode(images))

    def decompress(self, blobs: list[bytes]) -> torch.Tensor:
        return self.decode(np.stack([self.coder.decode(b) for b in blobs]))


# --- the codecs people use: Pillow's JPEG, PNG and WebP ----------------------------------


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Images ``(N, 1, H, W)`` in [0, 1] -> 8-bit pixels ``(N, H, W)``."""
    return (images.detach().float().cpu().clamp(0, 1) * 255).round().to(torch.uint8).numpy()[:, 0]


def from_uint8(pixels: np.ndarray) -> torch.Tensor:
    """8-bit pixels ``(N, H, W)`` -> images ``(N, 1, H, W)`` in [0, 1]."""
    return torch.from_numpy(np.asarray(pixels, dtype=np.float32) / 255.0).unsqueeze(1)


def _save(pixels: np.ndarray, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(out, format=fmt, **options)
    return out.getvalue()


def _load(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def jpeg(pixels: np.ndarray, quality: int) -> tuple[list[bytes], np.ndarray]:
    """Each 8-bit image ``(N, H, W)`` as a baseline JPEG file (standard Huffman tables) at
    ``quality``; returns the files and the decoded pixels."""
    files = [_save(p, "JPEG", quality=quality) for p in pixels]
    return files, np.stack([_load(f) for f in files])


def png(pixels: np.ndarray) -> list[bytes]:
    """Each 8-bit image as a PNG file (lossless, zlib at its strongest)."""
    return [_save(p, "PNG", optimize=True) for p in pixels]


def webp(pixels: np.ndarray, quality: int) -> tuple[bytes, np.ndarray]:
    """One 8-bit image ``(H, W)`` (a mosaic of many) as lossy WebP; the file and the decoded pixels."""
    data = _save(pixels, "WEBP", quality=quality, method=6)
    return data, _load(data)


def mosaic(pixels: np.ndarray, columns: int) -> np.ndarray:
    """8-bit images ``(N, H, W)`` side by side, ``columns`` a row, no gaps (N a multiple of columns)."""
    n, h, w = pixels.shape
    rows = n // columns
    return pixels[:rows * columns].reshape(rows, columns, h, w).transpose(0, 2, 1, 3).reshape(rows * h, columns * w)


JPEG_MARKERS = {0xD8: "SOI start of image", 0xE0: "APP0 JFIF header", 0xDB: "DQT quantisation table",
                0xC0: "SOF0 frame header", 0xC4: "DHT Huffman table", 0xDA: "SOS scan header",
                0xD9: "EOI end of image"}


def jpeg_segments(data: bytes) -> list[tuple[str, int]]:
    """A baseline JPEG file as (part, bytes) in file order, by walking its markers: each
    segment is ``FF xx`` and a 2-byte big-endian length that counts itself; after the
    start-of-scan header (``FF DA``) come the entropy-coded data, then ``FF D9``."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file (no start-of-image marker)")
    parts, pos = [(JPEG_MARKERS[0xD8], 2)], 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError(f"expected a marker at byte {pos}")
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        parts.append((JPEG_MARKERS.get(marker, f"marker FF{marker:02X}"), 2 + length))
        pos += 2 + length
        if marker == 0xDA:  # start of scan: the entropy-coded data follow, up to the end marker
            if data[-2:] != b"\xff\xd9":
                raise ValueError("no end-of-image marker")
            return parts + [("entropy-coded data", len(data) - 2 - pos), (JPEG_MARKERS[0xD9], 2)]
    raise ValueError("no start-of-scan marker")


def jpeg_scan_bytes(data: bytes) -> int:
    """Bytes of entropy-coded data in a baseline JPEG file (:func:`jpeg_segments`). The rest
    (JFIF header, quantisation and Huffman tables, frame and scan headers, markers) is the
    same for every image of one quality, and a decoder could know it in advance."""
    return dict(jpeg_segments(data))["entropy-coded data"]


# --- scores --------------------------------------------------------------------------------


def psnr(images: torch.Tensor, reconstructions: torch.Tensor) -> float:
    """PSNR in dB, pooled: ``10 log10(1 / MSE)`` with the MSE over every pixel of every image,
    after rounding the reconstructions to 8 bits (what a file stores)."""
    x = from_uint8(to_uint8(images)).double()
    y = from_uint8(to_uint8(reconstructions)).double()
    return float(10 * torch.log10(1.0 / ((x - y) ** 2).mean()))


def ssim(images: torch.Tensor, reconstructions: torch.Tensor, window: int = 7, sigma: float = 1.5) -> float:
    """Mean structural similarity (Wang et al., 2004) over the images, 8-bit, a Gaussian window
    of ``window`` pixels (small: the images are small), constants for a [0, 1] range."""
    x = from_uint8(to_uint8(images))[:, 0]
    y = from_uint8(to_uint8(reconstructions))[:, 0]
    g = torch.exp(-((torch.arange(window, dtype=torch.float32) - window // 2) ** 2) / (2 * sigma ** 2))
    rows, cols = _window_matrix(g / g.sum(), x.shape[-2]), _window_matrix(g / g.sum(), x.shape[-1])
    # the Gaussian window is separable: blur the columns, then the rows, as two matrix
    # products (4x faster on a CPU than a 2-D convolution of one channel, the same numbers)
    blur = lambda t: rows @ t @ cols.T  # noqa: E731
    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    return float(s.flatten(1).mean(1).double().mean())


def _window_matrix(weights: torch.Tensor, n: int) -> torch.Tensor:
    """``(n - k + 1, n)``: row i holds the ``k`` weights at columns i .. i+k-1, so that
    ``matrix @ column`` is the column filtered with no padding (a "valid" convolution)."""
    k = len(weights)
    matrix = torch.zeros(n - k + 1, n)
    for i in range(n - k + 1):
        matrix[i, i:i + k] = weights
    return matrix


def measure(images: torch.Tensor, reconstructions: torch.Tensor, sizes: list[int] | np.ndarray,
            **setting: object) -> dict[str, float]:
    """One operating point of a codec: bits per pixel and bytes per image (means over the
    images), pooled PSNR, mean SSIM, and the setting that produced it."""
    pixels = int(np.prod(images.shape[1:]))
    mean_bytes = float(np.mean(sizes))
    return {**setting, "bytes": mean_bytes, "bpp": 8 * mean_bytes / pixels,
            "psnr": psnr(images, reconstructions), "ssim": ssim(images, reconstructions)}


# --- whole curves --------------------------------------------------------------------------


def learned_point(model: LearnedCodec, images: torch.Tensor, **setting: object) -> tuple[dict[str, float], torch.Tensor]:
    """Compress every image to its own bytes, decompress, measure; also the bytes of all
    images in one stream (``stream_bytes``, per image) and the ideal ``-log2 p`` (``ideal_bytes``)."""
    size = tuple(images.shape[-2:])
    coder = coder_for(model, size)
    all_symbols = symbols_of(model, images)
    blobs = coder.encode_each(all_symbols)  # what compress() writes
    decoded = decompress(model, blobs, coder, size)
    point = measure(images, decoded, [len(b) for b in blobs], **setting)
    point["stream_bytes"] = len(coder.encode_stream(all_symbols)) / len(images)
    point["ideal_bytes"] = float(coder.ideal_bits(all_symbols).mean() / 8)
    return point, decoded


def jpeg_curve(images: torch.Tensor, qualities: list[int]) -> tuple[list[dict], list[dict], dict[int, np.ndarray]]:
    """JPEG at each quality: points counting whole files, points counting only the
    entropy-coded data (:func:`jpeg_scan_bytes`), and the decoded pixels per quality."""
    pixels = to_uint8(images)
    files_pts, scan_pts, decoded = [], [], {}
    for q in qualities:
        files, dec = jpeg(pixels, q)
        decoded[q] = dec
        rec = from_uint8(dec)
        files_pts.append(measure(images, rec, [len(f) for f in files], quality=q))
        scan = [jpeg_scan_bytes(f) for f in files]
        scan_bytes = float(np.mean(scan))  # the same pixels: only the sizes differ
        scan_pts.append({**files_pts[-1], "bytes": scan_bytes, "bpp": 8 * scan_bytes / rec[0].numel(),
                         "header": len(files[0]) - scan[0]})
    return files_pts, scan_pts, decoded


def webp_curve(board: np.ndarray, qualities: list[int], count: int) -> list[dict]:
    """WebP at each quality on one mosaic ``board`` of ``count`` 8-bit images (:func:`mosaic`):
    bytes per image, bits per pixel, PSNR and SSIM of the whole board."""
    points = []
    for q in qualities:
        data, decoded = webp(board, q)
        points.append({"quality": q, "bytes": len(data) / count, "bpp": 8 * len(data) / board.size,
                       "psnr": psnr(from_uint8(board[None]), from_uint8(decoded[None])),
                       "ssim": ssim(from_uint8(board[None]), from_uint8(decoded[None]))})
    return points


def pca_curve(train: torch.Tensor, images: torch.Tensor, components: list[int],
              steps: list[float]) -> tuple[list[dict], dict[tuple[int, float], PCACodec]]:
    """PCA codecs for every (components, step), from one PCA fitted on ``train``: their points
    (bytes counted from real streams) and the codecs themselves."""
    pca = PCAAutoencoder(max(components)).fit(train)
    points, codecs = [], {}
    for k in components:
        for step in steps:
            codec = codecs[k, step] = PCACodec(pca, train, step, k)
            blobs = codec.compress(images)
            points.append(measure(images, codec.decompress(blobs), [len(b) for b in blobs],
                                  components=k, step=step))
    return points, codecs
