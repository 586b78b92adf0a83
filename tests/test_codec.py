"""Lesson 09's codecs: the learned codec and its exact byte round trip, PCA, JPEG/PNG/WebP, scores."""

import math

import numpy as np
import pytest
import torch

from course import codec
from course.baselines import PCAAutoencoder
from course.codec import LearnedCodec, PCACodec, RateDistortionLoss
from course.device import one_thread
from course.train import fit, predict


@pytest.fixture(scope="module")
def trained():
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    centres = torch.rand(64, 2, generator=g) * 6 + 1
    tiny_images = torch.exp(-((yy - centres[:, 0, None, None]) ** 2 + (xx - centres[:, 1, None, None]) ** 2) / 4).unsqueeze(1)
    torch.manual_seed(0)
    model = LearnedCodec((1, 8, 8), latent=4, hidden=8, init_gain=4.0, warmup_steps=5)
    with one_thread():  # tiny matrices: one thread is faster, above all on a busy machine
        history = fit(model, tiny_images, epochs=6, batch_size=16, lr=1e-2, loss_fn=RateDistortionLoss(50.0),
                      progress=False)
    return model, history


def test_noise_while_training_rounding_after():
    torch.manual_seed(0)
    model = LearnedCodec((1, 8, 8), latent=4, hidden=8, max_symbol=3)
    y = torch.randn(5, 4, 2, 2) * 3
    model.train()
    noisy = model.quantise(y)
    assert not torch.equal(noisy, torch.round(noisy)) and (noisy - y).abs().max() <= 0.5
    model.eval()
    rounded = model.quantise(y)
    assert torch.equal(rounded, torch.round(y).clamp(-3, 3))
    code = model.encode(torch.rand(5, 1, 8, 8))
    assert code.shape == (5, 4, 2, 2) and torch.equal(code, torch.round(code)) and code.abs().max() <= 3


def test_bits_are_minus_log2_of_the_mass_and_the_table_agrees():
    torch.manual_seed(0)
    model = LearnedCodec((1, 8, 8), latent=4, hidden=8, max_symbol=5).eval()
    y_hat = torch.randint(-2, 3, (3, 4, 2, 2)).float()
    mass = model.cdf(y_hat + 0.5) - model.cdf(y_hat - 0.5)
    assert torch.allclose(model.bits(y_hat), -torch.log2(mass).flatten(1).sum(1))
    pmfs = model.pmfs()
    assert pmfs.shape == (4, 11) and np.allclose(pmfs.sum(1), 1)
    c = 2
    with torch.no_grad():
        want = float(model.cdf(torch.full((1, 4, 1, 1), 0.5))[0, c] - model.cdf(torch.full((1, 4, 1, 1), -0.5))[0, c])
    assert pmfs[c, 5] == pytest.approx(want, rel=1e-4)


def test_the_rate_warms_up_and_the_loss_counts_steps(tiny_images):
    model = LearnedCodec((1, 8, 8), latent=4, hidden=8, warmup_steps=4)
    assert model.rate_weight() == 0.0
    loss = RateDistortionLoss(10.0)
    model.train()
    for _ in range(2):
        loss(model, tiny_images[:8])
    assert model.rate_weight() == 0.5
    model.eval()
    loss(model, tiny_images[:8])  # evaluation does not count
    assert int(model.step) == 2


def test_training_lowers_rate_plus_distortion(trained):
    _, history = trained
    assert history.train_loss[-1] < 0.7 * history.train_loss[0]


def test_bytes_decode_exactly_to_the_models_output(trained, tiny_images):
    model, _ = trained
    blobs = codec.compress(model, tiny_images)
    assert len(blobs) == len(tiny_images) and all(isinstance(b, bytes) for b in blobs)
    decoded = codec.decompress(model, blobs)
    assert torch.equal(decoded, predict(model, tiny_images))  # bit for bit
    # and the sizes are what the density promised, up to the coder's 32-bit words
    with torch.no_grad():
        bits = model.bits(model.encode(tiny_images))
    sizes = torch.tensor([8.0 * len(b) for b in blobs])
    assert torch.all(sizes >= bits - 1) and (sizes - bits).mean() < 64


def test_other_image_sizes_compress_too(trained):
    model, _ = trained
    bigger = torch.rand(3, 1, 12, 16)
    blobs = codec.compress(model, bigger)
    assert torch.equal(codec.decompress(model, blobs, size=(12, 16)), predict(model, bigger))


def test_a_codec_started_from_other_weights_gets_another_cache_key():
    from course import checkpoints

    a = LearnedCodec((1, 8, 8), latent=4, hidden=8)
    b = LearnedCodec((1, 8, 8), latent=4, hidden=8, init="base-abc")
    assert checkpoints.cache_key(a) != checkpoints.cache_key(b)


def test_learned_point_measures_real_bytes(trained, tiny_images):
    model, _ = trained
    point, decoded = codec.learned_point(model, tiny_images, lam=50.0)
    sizes = [len(b) for b in codec.compress(model, tiny_images)]
    assert point["bytes"] == pytest.approx(np.mean(sizes)) and point["lam"] == 50.0
    assert point["bpp"] == pytest.approx(8 * np.mean(sizes) / 64)
    assert point["ideal_bytes"] <= point["stream_bytes"] + 0.1 <= point["bytes"] + 0.1
    assert torch.equal(decoded, predict(model, tiny_images))


def test_pca_codec_round_trip_and_a_coarser_step_costs_fewer_bytes(tiny_images):
    pca = PCAAutoencoder(6).fit(tiny_images)
    fine, coarse = PCACodec(pca, tiny_images, 0.1), PCACodec(pca, tiny_images, 0.5)
    for c in (fine, coarse):
        blobs = c.compress(tiny_images)
        assert torch.equal(c.decompress(blobs), c.decode(c.encode(tiny_images)))
    size = lambda c: np.mean([len(b) for b in c.compress(tiny_images)])  # noqa: E731
    assert size(coarse) < size(fine)
    err = lambda c: float(((c.decompress(c.compress(tiny_images)) - tiny_images) ** 2).mean())  # noqa: E731
    assert err(fine) < err(coarse)
    fewer = PCACodec(pca, tiny_images, 0.1, components=3)  # the first 3 of the 6 directions
    assert fewer.encode(tiny_images).shape == (64, 3) and size(fewer) < size(fine) and err(fewer) > err(fine)


def test_jpeg_header_is_found_by_walking_the_markers():
    rng = np.random.default_rng(0)
    pixels = (rng.random((3, 28, 28)) * 255).astype(np.uint8)
    pixels[1] = 0
    files, decoded = codec.jpeg(pixels, 50)
    assert decoded.shape == pixels.shape
    scans = [codec.jpeg_scan_bytes(f) for f in files]
    headers = {len(f) - s for f, s in zip(files, scans)}
    assert len(headers) == 1  # the same header for every image of one quality
    assert 250 < headers.pop() < 400
    assert scans[1] < scans[0]  # a black image is almost free, noise is not
    with pytest.raises(ValueError):
        codec.jpeg_scan_bytes(b"\x89PNG....")


def test_jpeg_curve_counts_whole_files_and_data_only_for_the_same_pixels():
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.random((4, 1, 28, 28)).astype(np.float32))
    files_pts, scan_pts, decoded = codec.jpeg_curve(images, [10, 50])
    for q, whole, scan in zip([10, 50], files_pts, scan_pts):
        files, pixels = codec.jpeg(codec.to_uint8(images), q)
        assert np.array_equal(decoded[q], pixels)
        sizes = [codec.jpeg_scan_bytes(f) for f in files]
        expected = codec.measure(images, codec.from_uint8(pixels), sizes, quality=q)
        assert scan == pytest.approx({**expected, "header": len(files[0]) - sizes[0]})
        assert whole == pytest.approx(codec.measure(images, codec.from_uint8(pixels), [len(f) for f in files], quality=q))
        assert scan["bytes"] == pytest.approx(whole["bytes"] - scan["header"])


def test_png_is_lossless_and_webp_decodes():
    rng = np.random.default_rng(1)
    pixels = (rng.random((2, 8, 8)) * 255).astype(np.uint8)
    from PIL import Image
    import io
    for data, p in zip(codec.png(pixels), pixels):
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), p)
    big = codec.mosaic(np.repeat(pixels, 2, axis=0), 2)
    assert big.shape == (16, 16) and np.array_equal(big[:8, 8:], pixels[0])
    data, decoded = codec.webp(big, 80)
    assert data[:4] == b"RIFF" and decoded.shape == big.shape


def test_psnr_is_pooled_on_8_bit_and_ssim_is_one_for_equal_images():
    x = torch.zeros(2, 1, 8, 8)
    y = x.clone()
    y[0] += 10 / 255  # only the first image is off, by 10 grey levels
    mse = (10 / 255) ** 2 / 2
    assert codec.psnr(x, y) == pytest.approx(10 * math.log10(1 / mse), abs=1e-6)
    assert codec.psnr(x, y + 0.001) == codec.psnr(x, y)  # below half a grey level: rounded away
    rng = torch.Generator().manual_seed(0)
    img = torch.rand(4, 1, 16, 16, generator=rng)
    assert codec.ssim(img, img) == pytest.approx(1.0)
    assert codec.ssim(img, (img + 0.3 * torch.randn(4, 1, 16, 16, generator=rng)).clamp(0, 1)) < 0.9
    point = codec.measure(x, y, [3, 5], quality=7)
    assert point["bytes"] == 4 and point["bpp"] == pytest.approx(32 / 64) and point["quality"] == 7


def test_ssim_blurs_with_the_2d_gaussian_window_of_the_paper():
    """The separable blur gives what a 2-D convolution with the 7x7 window gives (Wang et al.)."""
    import torch.nn.functional as F

    rng = torch.Generator().manual_seed(1)
    x = torch.rand(5, 1, 12, 20, generator=rng)
    y = (x + 0.2 * torch.randn(5, 1, 12, 20, generator=rng)).clamp(0, 1)
    a, b = codec.from_uint8(codec.to_uint8(x)), codec.from_uint8(codec.to_uint8(y))
    g = torch.exp(-((torch.arange(7, dtype=torch.float32) - 3) ** 2) / (2 * 1.5 ** 2))
    kernel = (g[:, None] * g[None, :] / g.sum() ** 2)[None, None]
    blur = lambda t: F.conv2d(t, kernel)  # noqa: E731
    mx, my = blur(a), blur(b)
    vx, vy, cov = blur(a * a) - mx ** 2, blur(b * b) - my ** 2, blur(a * b) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    assert codec.ssim(x, y) == pytest.approx(float(s.flatten(1).mean(1).double().mean()), abs=1e-6)


# --- lesson 09's exercises -------------------------------------------------------------------


def test_the_rate_exercise_accepts_the_lessons_bits_and_rejects_common_mistakes(capsys):
    from course import exercises

    exercise = exercises.get("09-bits-from-a-density")
    model = LearnedCodec((1, 8, 8), latent=4, hidden=8).eval()
    y = torch.randn(3, 4, 2, 2) * 2
    from course.exercises.lesson09 import noisy_bits
    assert torch.allclose(noisy_bits(y, model.cdf, False), model.bits(torch.round(y)))  # the lesson's own rate
    assert exercise.check(noisy_bits)

    def in_nats(y, cdf, training):
        v = torch.round(y)
        return -torch.log(cdf(v + 0.5) - cdf(v - 0.5)).flatten(1).sum(1)

    def never_noisy(y, cdf, training):
        v = torch.round(y)
        return -torch.log2(cdf(v + 0.5) - cdf(v - 0.5)).flatten(1).sum(1)

    def wide_noise(y, cdf, training):
        v = y + 4 * (torch.rand_like(y) - 0.5) if training else torch.round(y)
        return -torch.log2(cdf(v + 0.5) - cdf(v - 0.5)).flatten(1).sum(1)

    for wrong, hint in ((in_nats, "nats"), (never_noisy, "noise"), (wide_noise, "wider")):
        assert not exercise.check(wrong)
        assert hint in capsys.readouterr().out


def test_the_prediction_and_the_question_check_their_answers():
    from course import exercises

    jpeg_size = exercises.get("09-jpeg-one-digit")
    size = len(codec.jpeg(np.zeros((1, 28, 28), np.uint8), 1)[0][0])
    assert 300 <= size < 500  # the answer the exercise expects is what Pillow does
    assert jpeg_size.check("300 to 500") and not jpeg_size.check("under 100")
    question = exercises.get("09-why-it-fails-inverted")
    assert question.check("It was trained on white digits: its density gives the codes of inverted digits a low probability "
                          "and its decoder cannot draw them.")
    assert not question.check("JPEG is better.")
    assert "density" in question.solution().data


def test_webp_curve_prices_one_mosaic_per_image_and_gains_quality_with_bytes():
    images = torch.rand(8, 1, 28, 28).round()
    board = codec.mosaic(codec.to_uint8(images), 4)
    points = codec.webp_curve(board, [5, 90], count=len(images))
    data, _ = codec.webp(board, 90)
    assert [p["quality"] for p in points] == [5, 90]
    assert points[1]["bytes"] == len(data) / 8 and points[1]["bpp"] == 8 * len(data) / board.size
    assert points[0]["bytes"] < points[1]["bytes"] and points[0]["psnr"] < points[1]["psnr"]
