"""Lesson 05's speech: eSpeak NG through ctypes, the cache, log-mel, Griffin-Lim, pitch."""

import math

import numpy as np
import pytest
import torch

from course import speech
from course.data import DataCacheWarning, DownloadUnavailable


@pytest.fixture(scope="module")
def espeak_digits():
    return speech.load("espeak-digits")


def test_espeak_digits_has_every_speaker_word_and_repetition(espeak_digits):
    d = espeak_digits
    assert len(d) == len(speech.SPEAKERS) * len(speech.WORDS) * len(speech.REPETITION_RATES) == 1000
    assert d.waves.shape == (1000, speech.CLIP_SAMPLES) and d.waves.dtype == torch.float32
    assert torch.bincount(d.speaker).tolist() == [50] * 20
    assert torch.bincount(d.word).tolist() == [100] * 10
    assert len(d.heldout) == 4 and len(d.speakers) >= 8
    assert d.waves.abs().max() <= 1.0
    peaks = d.waves.abs().amax(1)
    assert torch.allclose(peaks, torch.full_like(peaks, speech.PEAK), atol=2e-4), "every clip is scaled to PEAK"
    assert d.waves[:, :speech.LEAD_IN].abs().max() == 0, "the word starts LEAD_IN samples into the clip"
    assert "m1-low says" in d.describe(0)


def test_speakers_and_repetitions_differ():
    a = speech.synthesize("seven", speech.SPEAKERS[0], 2)
    other = speech.synthesize("seven", speech.SPEAKERS[12], 2)
    slow = speech.synthesize("seven", speech.SPEAKERS[0], 0)
    assert not np.array_equal(a, other)
    assert np.flatnonzero(slow)[-1] > np.flatnonzero(a)[-1], "repetition 0 is slower, so the word is longer"


def test_the_cache_is_checked_and_rebuilt_when_damaged(tmp_path, monkeypatch, espeak_digits):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    calls, generated = [], []
    real = speech.generate_espeak_digits

    def counting():  # generates once (7 s); the rebuild after the damage gets the same arrays again
        calls.append(1)
        if not generated:
            generated.append(real())
        return {name: array.copy() for name, array in generated[0].items()}

    monkeypatch.setattr(speech, "generate_espeak_digits", counting)
    monkeypatch.setitem(speech.LOADERS, "espeak-digits", speech._load_espeak_digits)
    first = speech.load("espeak-digits")
    assert first.sha256 == espeak_digits.sha256, "the same arrays on every generation (each in a fresh process)"
    assert torch.equal(first.waves, espeak_digits.waves)
    speech.load("espeak-digits")
    assert len(calls) == 1, "a good cache is read, not regenerated"
    path = tmp_path / "espeak-digits-v1.npz"
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["waves"] = np.zeros_like(arrays["waves"])  # damaged, checksum no longer matches
    np.savez_compressed(path, **arrays)
    with pytest.warns(DataCacheWarning, match="checksum does not match"):
        again = speech.load("espeak-digits")
    assert len(calls) == 2 and torch.equal(again.waves, espeak_digits.waves)


def tiny_clips() -> dict[str, np.ndarray]:
    return {"waves": np.arange(12, dtype=np.int16).reshape(3, 4), "speaker": np.array([0, 1, 2]),
            "word": np.array([1, 1, 2]), "repetition": np.array([0, 0, 1])}


@pytest.mark.parametrize("damage", ["truncated", "empty", "not a zip", "other keys", "a folder"])
def test_any_damage_to_the_cached_copy_is_warned_and_made_again(tmp_path, damage):
    path = tmp_path / "clips.npz"
    speech._cached(path, tiny_clips)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:50])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "not a zip":
        path.write_text("hello")
    elif damage == "other keys":
        np.savez_compressed(path, waves=np.zeros(3))
    else:
        path.unlink()
        (path / "inside").mkdir(parents=True)
    with pytest.warns(DataCacheWarning, match="damaged"):
        arrays, digest = speech._cached(path, tiny_clips)
    assert np.array_equal(arrays["waves"], tiny_clips()["waves"])
    assert speech._cached(path, lambda: pytest.fail("a good copy is read, not made again"))[1] == digest


def test_an_unwritable_data_folder_is_warned_and_used_without_a_copy(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.warns(DataCacheWarning, match="cannot be written"):
        arrays, _ = speech._cached(blocker / "clips.npz", tiny_clips)
    assert np.array_equal(arrays["word"], tiny_clips()["word"])


def test_select_picks_speakers_and_repetitions(espeak_digits):
    idx = espeak_digits.select(speakers=(3, 5), repetitions=(4,))
    assert len(idx) == 20
    assert set(espeak_digits.speaker[idx].tolist()) == {3, 5} and set(espeak_digits.repetition[idx].tolist()) == {4}


def test_speech_commands_fails_at_once_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(DownloadUnavailable, match="espeak-digits"):
        speech.load("speech-commands")
    with pytest.raises(KeyError, match="espeak-digits"):
        speech.load("librispeech")


def test_mel_filterbank_triangles_cover_the_range():
    bank = speech.mel_filterbank()
    assert bank.shape == (speech.N_MELS, speech.N_FFT // 2 + 1)
    assert torch.allclose(bank.sum(1), torch.ones(speech.N_MELS), atol=1e-5)
    assert (bank > 0).sum(1).min() >= 1, "no empty band"
    peaks = bank.argmax(1)
    assert torch.all(peaks[1:] >= peaks[:-1]), "bands rise in frequency"


def test_log_mel_shape_and_floor():
    t = torch.arange(speech.CLIP_SAMPLES) / speech.SAMPLE_RATE
    tone = 0.5 * torch.sin(2 * math.pi * 1000 * t)
    spec = speech.log_mel(torch.stack([tone, torch.zeros_like(tone)]))
    assert spec.shape == (2, speech.N_MELS, speech.FRAMES)
    assert torch.all(spec[1] == math.log(speech.LOG_FLOOR)), "silence sits at the floor"
    centre_hz = speech.mel_to_hz(torch.linspace(float(speech.hz_to_mel(speech.F_MIN)),
                                                float(speech.hz_to_mel(speech.F_MAX)), speech.N_MELS + 2))[1:-1]
    loudest = int(spec[0, :, 40].argmax())
    assert abs(float(centre_hz[loudest]) - 1000) < 60, "a 1 kHz tone lights the band around 1 kHz"


def test_griffin_lim_recovers_a_waveform_with_the_same_spectrum(espeak_digits):
    x = espeak_digits.waves[:2]
    magnitude = speech.stft(x).abs()
    y = speech.griffin_lim(magnitude, n_iter=32)
    assert y.shape == x.shape
    error = (speech.stft(y).abs() - magnitude).norm() / magnitude.norm()
    random_phase = speech.griffin_lim(magnitude, n_iter=0)
    first = (speech.stft(random_phase).abs() - magnitude).norm() / magnitude.norm()
    assert error < 0.6 * first and error < 0.25, f"spectral error {error:.3f} after 32 rounds vs {first:.3f} at the start"


def test_pitch_by_autocorrelation_finds_a_pulse_train_and_rejects_noise():
    n = speech.CLIP_SAMPLES
    for f0 in (80.0, 150.0, 220.0):
        pulses = torch.zeros(n)
        pulses[(torch.arange(0, n / speech.SAMPLE_RATE, 1 / f0) * speech.SAMPLE_RATE).long()] = 1.0
        voiced = torch.nn.functional.conv1d(pulses[None, None], torch.exp(-torch.arange(40.0) / 8).flip(0)[None, None],
                                            padding=39)[0, 0, :n]
        assert abs(speech.pitch_hz(voiced) - f0) / f0 < 0.03
    noise = torch.randn(n, generator=torch.Generator().manual_seed(0))
    assert math.isnan(speech.pitch_hz(noise))
    assert math.isnan(speech.pitch_hz(torch.zeros(n)))


def test_speakers_have_the_pitch_they_were_given(espeak_digits):
    d = espeak_digits
    low = np.nanmedian([speech.pitch_hz(d.waves[i]) for i in d.select(speakers=(0,))[:10]])
    high = np.nanmedian([speech.pitch_hz(d.waves[i]) for i in d.select(speakers=(16,))[:10]])
    assert 55 < low < 100 and 180 < high < 300
