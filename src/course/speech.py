"""Speech with known speakers and known words, and the way from a waveform to a picture and back. Lesson 05.

>>> speech = load("espeak-digits")         # offline: 20 synthetic speakers x 10 digit words x 5 repetitions
>>> speech.waves.shape                      # (1000, 10112) float32 at 16 kHz, 0.63 s a clip
>>> spec = log_mel(speech.waves)            # (1000, 80, 80): 80 mel bands x 80 frames of 8 ms
>>> audio = griffin_lim(mel_to_linear(spec.exp()))   # back to a waveform, with no trained vocoder

====================  =======  ==========================================================
name                  offline  what
====================  =======  ==========================================================
``espeak-digits``     yes      eSpeak NG saying "zero" ... "nine": 20 speakers made from its
                               voice variants, pitch and speed (4 held out), 5 repetitions
``speech-commands``   no       Google Speech Commands v0.02 (Warden 2018, CC BY 4.0): the
                               ten digit words by the 20 speakers with the most of them
====================  =======  ==========================================================

**Why a synthesiser.** A speech corpus needs a download; the course runs offline. eSpeak NG
(GPL-3.0-or-later, https://github.com/espeak-ng/espeak-ng) is a formant synthesiser, itself
a source-filter model: a glottal source at the speaker's pitch through formant resonators
whose frequencies the voice variant scales, driven by a sequence of phonemes. The
``espeakng-loader`` wheel ships its library and voice data for Linux, macOS and Windows, so
``pip`` installs it with no system package; this module calls the library through
:mod:`ctypes` (the ``espeakng`` package instead runs a system program). The 1,000 clips
take a few seconds to make, in a fresh process (see :func:`generate_espeak_digits`), and
are cached under :func:`course.paths.data_dir` with the sha256 of the arrays, checked on
every load, so a damaged file is made again.

Every clip is cut to 0.63 s (the word starts 30 ms in), normalised to the same peak, and
labelled with its speaker, its word and its repetition (the repetitions differ in speed).
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import os
import tarfile
import tempfile
import urllib.request
import warnings
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from course.data import DataCacheWarning, DataIntegrityError, DownloadUnavailable, ensure_reachable, write_atomically
from course.paths import data_dir

SAMPLE_RATE = 16_000
N_FFT = 1024  # FFT size: 513 frequency bins of 15.6 Hz
WIN_LENGTH = 512  # 32 ms analysis window, zero-padded to N_FFT
HOP = 128  # 8 ms between frames
N_MELS = 80
F_MIN, F_MAX = 40.0, 8000.0
FRAMES = 80
CLIP_SAMPLES = HOP * (FRAMES - 1)  # 10,112 samples, 0.632 s: exactly FRAMES frames (centred STFT)
LOG_FLOOR = 1e-3  # log-mel of silence: log(1e-3) = -6.9
PEAK = 0.8  # every clip is scaled to this peak amplitude
LEAD_IN = 480  # samples of silence before the word (30 ms)

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
REPETITION_RATES = (-20, -10, 0, 10, 20)  # words per minute added to the speaker's rate, one per repetition


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: an eSpeak NG voice variant (its formants: the vocal tract),
    a pitch (eSpeak's 0-100 scale) and a speaking rate (words per minute)."""

    name: str
    variant: str
    pitch: int
    rate: int


SPEAKERS = (
    Speaker("m1-low", "m1", 25, 165), Speaker("m1-high", "m1", 60, 185),
    Speaker("m2", "m2", 40, 175), Speaker("m3-low", "m3", 20, 160),
    Speaker("m3-high", "m3", 55, 190), Speaker("m4", "m4", 45, 170),
    Speaker("m5", "m5", 35, 180), Speaker("m6", "m6", 50, 165),
    Speaker("m7", "m7", 30, 185), Speaker("croak", "croak", 40, 170),
    Speaker("klatt", "klatt", 45, 175), Speaker("f1-low", "f1", 40, 175),
    Speaker("f1-high", "f1", 75, 190), Speaker("f2", "f2", 60, 165),
    Speaker("f3", "f3", 55, 180), Speaker("f4-low", "f4", 45, 170),
    Speaker("f4-high", "f4", 80, 185), Speaker("f5", "f5", 65, 175),
    Speaker("m8", "m8", 70, 170), Speaker("klatt2", "klatt2", 55, 180),
)
HELDOUT = (2, 9, 13, 17)  # m2, croak, f2, f5: never seen by the voice converter, one clip each at conversion time

# eSpeak NG's C interface (speak_lib.h)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _PITCH, _RANGE = 1, 3, 4
_ESPEAK_RATE = 22_050


class _ESpeak:
    """The eSpeak NG library, loaded and initialised once per process.

    eSpeak calls back into Python with each chunk of samples; ctypes frees a callback
    whose Python object is gone, so the one callback is kept on the instance for the
    life of the process. eSpeak adds random noise to voices; its random seed is reset
    before every clip.
    """

    _CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as error:
            raise ImportError("The offline speech needs the espeakng-loader wheel: "
                              "pip install espeakng-loader (see constraints.txt)") from error
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
        if rate != _ESPEAK_RATE:
            raise RuntimeError(f"eSpeak NG did not start (it answered {rate})")
        self._chunks: list[np.ndarray] = []
        self._callback = self._CALLBACK(self._collect)
        lib.espeak_SetSynthCallback(self._callback)
        self._lib = lib

    def _collect(self, samples, count: int, _events) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(samples, shape=(count,)).copy())
        return 0  # 0: go on

    def say(self, text: str, variant: str, pitch: int, rate: int) -> np.ndarray:
        """``text`` spoken by voice ``en+variant`` as int16 samples at 22,050 Hz."""
        lib, self._chunks = self._lib, []
        lib.espeak_ng_SetRandSeed(0)  # eSpeak draws noise (breath, jitter) from rand(): same seed, same clip
        if lib.espeak_SetVoiceByName(f"en+{variant}".encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice variant {variant!r}")
        for parameter, value in ((_PITCH, pitch), (_RATE, rate), (_RANGE, 50)):
            lib.espeak_SetParameter(parameter, value, 0)
        encoded = text.encode()
        if lib.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None) != 0:
            raise RuntimeError(f"eSpeak NG could not say {text!r}")
        lib.espeak_Synchronize()
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)


@lru_cache(maxsize=1)
def _espeak() -> _ESpeak:
    return _ESpeak()


def fit_clip(samples: np.ndarray, threshold: float = 0.02) -> np.ndarray:
    """Cut a word out of its silence and place it ``LEAD_IN`` samples into a clip of
    ``CLIP_SAMPLES``, scaled to ``PEAK`` (float32)."""
    x = samples.astype(np.float32)
    loud = np.flatnonzero(np.abs(x) > threshold * np.abs(x).max()) if x.size and x.any() else np.zeros(0, int)
    clip = np.zeros(CLIP_SAMPLES, np.float32)
    if loud.size == 0:
        return clip
    word = x[loud[0]:loud[-1] + 1][:CLIP_SAMPLES - LEAD_IN]
    fade = min(160, len(word))  # 10 ms fade-out where a long word is cut
    word[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    clip[LEAD_IN:LEAD_IN + len(word)] = word * (PEAK / np.abs(word).max())
    return clip


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import resample_poly

    if rate == SAMPLE_RATE:
        return samples.astype(np.float32)
    g = np.gcd(rate, SAMPLE_RATE)
    return resample_poly(samples.astype(np.float64), SAMPLE_RATE // g, rate // g).astype(np.float32)


def synthesize(word: str, speaker: Speaker, repetition: int = 2) -> np.ndarray:
    """One clip: ``speaker`` saying ``word``, at the speed of ``repetition`` (0-4), 16 kHz."""
    rate = speaker.rate + REPETITION_RATES[repetition]
    return fit_clip(_resample(_espeak().say(word, speaker.variant, speaker.pitch, rate), _ESPEAK_RATE))


@dataclass(frozen=True)
class SpeechData:
    """Clips ``waves`` ``(N, CLIP_SAMPLES)`` at ``sample_rate`` with their speaker, word and repetition."""

    name: str
    waves: torch.Tensor
    speaker: torch.Tensor
    word: torch.Tensor
    repetition: torch.Tensor
    speakers: tuple[str, ...]
    words: tuple[str, ...]
    heldout: tuple[int, ...]  # speakers the voice converter never trains on
    sha256: str
    sample_rate: int = SAMPLE_RATE

    def __len__(self) -> int:
        return len(self.waves)

    def select(self, *, speakers: tuple[int, ...] | None = None, repetitions: tuple[int, ...] | None = None) -> torch.Tensor:
        """Indices of the clips by these speakers in these repetitions (default: all)."""
        keep = torch.ones(len(self), dtype=torch.bool)
        if speakers is not None:
            keep &= torch.isin(self.speaker, torch.tensor(speakers))
        if repetitions is not None:
            keep &= torch.isin(self.repetition, torch.tensor(repetitions))
        return torch.nonzero(keep).flatten()

    def describe(self, index: int) -> str:
        """``'m3-low says "seven" (repetition 2)'``."""
        return (f'{self.speakers[int(self.speaker[index])]} says "{self.words[int(self.word[index])]}" '
                f"(repetition {int(self.repetition[index])})")

    def __repr__(self) -> str:
        return (f"SpeechData({self.name!r}: {len(self)} clips of {self.waves.shape[1] / self.sample_rate:.2f} s "
                f"at {self.sample_rate} Hz, {len(self.speakers)} speakers ({len(self.heldout)} held out), "
                f"{len(self.words)} words, {int(self.repetition.max()) + 1} repetitions)")


def arrays_sha256(*arrays: np.ndarray) -> str:
    """The checksum of the generated arrays, stored with the cache and checked on every load."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _synthesize_all() -> dict[str, np.ndarray]:
    rows = [(s, w, r) for s in range(len(SPEAKERS)) for w in range(len(WORDS)) for r in range(len(REPETITION_RATES))]
    waves = np.stack([synthesize(WORDS[w], SPEAKERS[s], r) for s, w, r in rows])
    labels = np.array(rows, dtype=np.int64)
    return {"waves": (np.clip(waves, -1, 1) * 32767).round().astype(np.int16),
            "speaker": labels[:, 0], "word": labels[:, 1], "repetition": labels[:, 2]}


def generate_espeak_digits() -> dict[str, np.ndarray]:
    """Every speaker saying every word in every repetition, as arrays (deterministic).

    eSpeak NG keeps some state from one utterance to the next (its voices' slow pitch
    wobble runs on), so a clip depends on what was said before it in the process. The
    clips are therefore made in a fresh process, always in the same order.
    """
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clips.npz"
        subprocess.run([sys.executable, "-m", "course.speech", str(path)], check=True)
        with np.load(path) as f:
            return {k: f[k] for k in f.files}


def _cached(path: Path, make: Callable[[], dict[str, np.ndarray]]) -> tuple[dict[str, np.ndarray], str]:
    """Arrays from ``path`` if their stored checksum matches, else made afresh and stored.

    Any damage to the stored copy is reported with a :class:`course.data.DataCacheWarning`
    and the copy is made again; where it cannot be written, the arrays are used without it.
    """
    keys = ("waves", "speaker", "word", "repetition")
    if path.exists() or path.is_symlink():
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in keys}
                stored = str(f["sha256"])
            if arrays_sha256(*arrays.values()) != stored:
                raise ValueError("its checksum does not match")
            return arrays, stored
        except Exception as error:  # noqa: BLE001 - whatever the damage, the copy is made again
            warnings.warn(f"{path} is damaged ({type(error).__name__}: {error}); making it again.",
                          DataCacheWarning, stacklevel=3)
    arrays = make()
    digest = arrays_sha256(*(arrays[k] for k in keys))
    try:
        write_atomically(path, sha256=np.array(digest), **arrays)
    except OSError as error:
        warnings.warn(f"The data cache {path} cannot be written ({error}); the data set is used without it.",
                      DataCacheWarning, stacklevel=3)
    return arrays, digest


def _to_speech(name: str, arrays: dict[str, np.ndarray], digest: str, speakers: tuple[str, ...],
               heldout: tuple[int, ...]) -> SpeechData:
    return SpeechData(name, torch.from_numpy(arrays["waves"].astype(np.float32) / 32767),
                      *(torch.from_numpy(arrays[k]) for k in ("speaker", "word", "repetition")),
                      speakers=speakers, words=WORDS, heldout=heldout, sha256=digest)


def _load_espeak_digits(root: Path) -> SpeechData:
    arrays, digest = _cached(root / "espeak-digits-v1.npz", generate_espeak_digits)
    return _to_speech("espeak-digits", arrays, digest, tuple(s.name for s in SPEAKERS), HELDOUT)


# --- speech-commands: real speech, needs a 2.3 GB download the first time -----------------

SPEECH_COMMANDS_URL = "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz"


def _read_wav(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as w:
        if w.getframerate() != SAMPLE_RATE or w.getsampwidth() != 2:
            raise DataIntegrityError("Speech Commands clips should be 16-bit at 16 kHz")
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def _make_speech_commands(archive: Path, n_speakers: int = 20, repetitions: int = 5) -> dict[str, np.ndarray]:
    """The ten digit words by the ``n_speakers`` speakers with at least ``repetitions`` of each."""
    clips: dict[tuple[str, int], list[bytes]] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            parts = member.name.lstrip("./").split("/")
            if len(parts) == 2 and parts[0] in WORDS and parts[1].endswith(".wav") and member.isfile():
                speaker = parts[1].split("_nohash_")[0]
                clips.setdefault((speaker, WORDS.index(parts[0])), []).append(tar.extractfile(member).read())
    ids = sorted({s for s, _ in clips})
    complete = [s for s in ids if all(len(clips.get((s, w), [])) >= repetitions for w in range(len(WORDS)))]
    if len(complete) < n_speakers:
        raise DataIntegrityError(f"only {len(complete)} speakers said every digit {repetitions} times")
    rows, waves = [], []
    for s, speaker in enumerate(complete[:n_speakers]):
        for w in range(len(WORDS)):
            for r, data in enumerate(clips[(speaker, w)][:repetitions]):
                waves.append(fit_clip(_read_wav(data)))
                rows.append((s, w, r))
    labels = np.array(rows, dtype=np.int64)
    return {"waves": (np.stack(waves) * 32767).round().astype(np.int16),
            "speaker": labels[:, 0], "word": labels[:, 1], "repetition": labels[:, 2]}


def _load_speech_commands(root: Path) -> SpeechData:
    folder = root / "speech-commands"
    cache, archive = folder / "digits-20-speakers.npz", folder / Path(SPEECH_COMMANDS_URL).name
    if not cache.is_file() and not archive.is_file():
        try:
            ensure_reachable("speech-commands", [SPEECH_COMMANDS_URL])
        except DownloadUnavailable as error:
            raise DownloadUnavailable(
                f"Speech data set 'speech-commands' must be downloaded (download.tensorflow.org, 2.3 GB) "
                f"and cannot be now ({str(error).split('but ')[-1].split('.')[0]}). Use the offline speech "
                f"'espeak-digits' (eSpeak NG, 20 speakers) instead, or copy {archive.name} into {folder}.") from None
        folder.mkdir(parents=True, exist_ok=True)
        partial = archive.with_suffix(".part")
        urllib.request.urlretrieve(SPEECH_COMMANDS_URL, partial)
        os.replace(partial, archive)
    arrays, digest = _cached(cache, lambda: _make_speech_commands(archive))
    n = int(arrays["speaker"].max()) + 1
    return _to_speech("speech-commands", arrays, digest, tuple(f"speaker {i}" for i in range(n)),
                      heldout=tuple(range(n - 4, n)))


LOADERS: dict[str, Callable[[Path], SpeechData]] = {
    "espeak-digits": _load_espeak_digits,
    "speech-commands": _load_speech_commands,
}


def names() -> list[str]:
    """The speech data sets, the offline one first."""
    return list(LOADERS)


def load(name: str = "espeak-digits") -> SpeechData:
    """Load a speech data set (see the module docstring)."""
    if name not in LOADERS:
        raise KeyError(f"Unknown speech data set {name!r}; choose one of {', '.join(LOADERS)}.")
    return LOADERS[name](data_dir())


# --- waveform <-> log-mel spectrogram, in plain torch -------------------------------------

def hz_to_mel(f: torch.Tensor | float) -> torch.Tensor:
    """The mel scale (HTK): equal steps sound roughly equally far apart."""
    return 2595.0 * torch.log10(1.0 + torch.as_tensor(f, dtype=torch.float64) / 700.0)


def mel_to_hz(m: torch.Tensor) -> torch.Tensor:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


@lru_cache(maxsize=4)
def mel_filterbank(n_mels: int = N_MELS, n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE,
                   f_min: float = F_MIN, f_max: float = F_MAX) -> torch.Tensor:
    """``(n_mels, n_fft // 2 + 1)`` triangles, equally spaced on the mel scale, each summing to 1."""
    freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    edges = mel_to_hz(torch.linspace(float(hz_to_mel(f_min)), float(hz_to_mel(f_max)), n_mels + 2, dtype=torch.float64))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    bank = torch.clamp(torch.minimum(rising, falling), min=0.0)
    return (bank / bank.sum(1, keepdim=True)).float()


@lru_cache(maxsize=1)
def _mel_pinv() -> torch.Tensor:
    return torch.linalg.pinv(mel_filterbank().double()).float()


def _window() -> torch.Tensor:
    return torch.hann_window(WIN_LENGTH)


def stft(waves: torch.Tensor) -> torch.Tensor:
    """Complex spectrum ``(..., N_FFT // 2 + 1, FRAMES)`` of clips ``(..., CLIP_SAMPLES)``."""
    return torch.stft(waves, N_FFT, HOP, WIN_LENGTH, _window(), center=True, return_complex=True)


def istft(spectrum: torch.Tensor, length: int = CLIP_SAMPLES) -> torch.Tensor:
    """The waveform whose :func:`stft` is closest to ``spectrum`` (overlap-add)."""
    return torch.istft(spectrum, N_FFT, HOP, WIN_LENGTH, _window(), center=True, length=length)


def log_mel(waves: torch.Tensor) -> torch.Tensor:
    """Log-mel spectrogram ``(..., N_MELS, FRAMES)``: log of the mel-weighted magnitude, floored at ``LOG_FLOOR``."""
    magnitude = stft(torch.as_tensor(waves, dtype=torch.float32)).abs()
    return torch.log(torch.clamp(mel_filterbank() @ magnitude, min=LOG_FLOOR))


def mel_to_linear(mel: torch.Tensor) -> torch.Tensor:
    """A magnitude spectrum ``(..., N_FFT // 2 + 1, T)`` from a mel one: least squares, clipped at 0.

    80 bands cannot hold 513 bins, so this is a smooth guess: the harmonics that carry the
    pitch are blurred, one reason resynthesised audio sounds rougher than the original.
    """
    return torch.clamp(_mel_pinv() @ mel, min=0.0)


def griffin_lim(magnitude: torch.Tensor, n_iter: int = 32, momentum: float = 0.99,
                seed: int = 0) -> torch.Tensor:
    """A waveform whose STFT magnitude is ``magnitude``: the fast Griffin-Lim algorithm.

    A spectrogram keeps how loud each frequency is in each frame and drops the phase.
    Griffin and Lim (1984) guess it back: start from random phases, go to a waveform
    (:func:`istft`) and back (:func:`stft`), keep the phases that came out and the
    magnitudes we want, repeat. Perraudin, Balazs and Sondergaard (2013) add momentum,
    which gets as far in 32 rounds as the plain method in a few hundred.
    """
    generator = torch.Generator().manual_seed(seed)
    phase = torch.rand(magnitude.shape, generator=generator) * 2 * torch.pi
    angles = torch.polar(torch.ones_like(magnitude), phase)
    previous = torch.zeros_like(angles)
    for _ in range(n_iter):
        rebuilt = stft(istft(magnitude * angles))
        angles = rebuilt - previous * (momentum / (1 + momentum))
        angles = angles / (angles.abs() + 1e-16)
        previous = rebuilt
    return istft(magnitude * angles)


def spectrogram_to_wave(spectrogram: torch.Tensor, n_iter: int = 32) -> torch.Tensor:
    """From a log-mel spectrogram back to a waveform: undo the log, the mel bands, the phase."""
    return griffin_lim(mel_to_linear(torch.exp(spectrogram)), n_iter=n_iter)


def pitch_hz(wave_: torch.Tensor | np.ndarray, sample_rate: int = SAMPLE_RATE, *, f_min: float = 60.0,
             f_max: float = 400.0, frame: int = 640, voicing: float = 0.4) -> float:
    """Median pitch of a clip by autocorrelation; ``nan`` where no frame is voiced.

    In each 40 ms frame (hop 10 ms) with at least a tenth of the clip's loudest energy,
    the normalised autocorrelation is searched for its highest peak at a lag between
    ``1 / f_max`` and ``1 / f_min`` seconds; a frame counts as voiced when that peak
    reaches ``voicing`` (1 would be a perfectly periodic frame).
    """
    x = torch.as_tensor(wave_, dtype=torch.float64).flatten()
    frames = x.unfold(0, frame, frame // 4)
    frames = frames - frames.mean(1, keepdim=True)
    energy = (frames ** 2).sum(1)
    frames = frames[energy >= 0.1 * energy.max()] if energy.max() > 0 else frames[:0]
    if len(frames) == 0:
        return float("nan")
    spectrum = torch.fft.rfft(frames, n=2 * frame)
    corr = torch.fft.irfft(spectrum.abs() ** 2, n=2 * frame)[:, :frame]
    corr = corr / corr[:, :1].clamp(min=1e-12)
    low, high = int(sample_rate / f_max), int(sample_rate / f_min)
    peak, lag = corr[:, low:high + 1].max(1)
    voiced = peak >= voicing
    if not bool(voiced.any()):
        return float("nan")
    return float(sample_rate / (lag[voiced].double() + low).median())


if __name__ == "__main__":  # the fresh process of generate_espeak_digits
    import sys

    np.savez(sys.argv[1], **_synthesize_all())
