"""Voice conversion by disentanglement: a content code and a speaker code. Lesson 05.

>>> model = VoiceConverter(content_dim=8, speaker_dim=64, instance_norm=True)   # AdaIN-VC
>>> pairs = same_speaker_pairs(spec, clips.speaker, clips.word, train_idx, partners=5, seed=0)
>>> fit(model, pairs, loss_fn=L1Reconstruction(), epochs=8, lr=1e-2)   # only rebuilds its input
>>> converted = predict_pairs(model, spec[source], spec[reference_of_target])   # A's words in B's voice

The model follows AdaIN-VC (Chou, Yeh and Lee, 2019), small enough for a CPU:

- the **content encoder** normalises every channel of every clip to mean 0 and spread 1
  over time (instance normalisation): what stays the same through a whole clip, such as
  the voice, is wiped out; what changes from frame to frame, the words, stays;
- the **speaker encoder** averages over time: what changes from frame to frame is lost,
  what stays (the voice) is kept, as 64 numbers;
- the **decoder** gives each of its layers the statistics the speaker code asks for
  (adaptive instance normalisation, Huang and Belongie 2017).

It is trained only to reconstruct. The plain baseline (``instance_norm=False``) has the
same two codes and layers, with no normalisation, and the speaker code concatenated to
the content code. Two classifiers trained on real spectrograms (a speaker one and a word
one) grade each conversion (:func:`score_conversions`).
"""

from __future__ import annotations

import io
import time
import wave
from dataclasses import dataclass
from typing import Sequence

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from plotly.subplots import make_subplots
from torch import nn

from course import speech
from course.classifier import probabilities
from course.device import one_thread
from course.train import predict
from course.widgets import LessonWidget


# --- the model ---------------------------------------------------------------------------

def instance_norm(h: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Each channel of each clip ``(N, C, T)`` to mean 0 and standard deviation 1 over time."""
    centred = h - h.mean(dim=2, keepdim=True)
    return centred * torch.rsqrt(centred.pow(2).mean(dim=2, keepdim=True) + eps)


def adain(h: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Adaptive instance normalisation: wipe each channel's own statistics over time, then
    give it the spread ``scale`` and the mean ``shift`` ``(N, C)`` that the speaker code asks for."""
    return instance_norm(h) * scale[:, :, None] + shift[:, :, None]


def _conv(c_in: int, c_out: int, kernel: int = 5, stride: int = 1) -> nn.Conv1d:
    return nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2)


class ContentEncoder(nn.Module):
    """Log-mel ``(N, n_mels, T)`` to a content code ``(N, content_dim, T / stride)``: one
    number per channel for every ``stride`` frames (2 or 4: 16 or 32 ms)."""

    def __init__(self, n_mels: int, hidden: int, content_dim: int, instance_norm: bool, stride: int = 4) -> None:
        super().__init__()
        self.instance_norm = instance_norm
        self.layers = nn.ModuleList([_conv(n_mels, hidden, stride=2), _conv(hidden, hidden, stride=stride // 2),
                                     _conv(hidden, hidden)])
        self.out = _conv(hidden, content_dim, kernel=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for layer in self.layers:
            h = layer(h)
            if self.instance_norm:
                h = instance_norm(h)  # the voice is a statistic over time: remove it
            h = F.relu(h)
        c = self.out(h)
        return instance_norm(c) if self.instance_norm else c


class SpeakerEncoder(nn.Module):
    """Log-mel ``(N, n_mels, T)`` to one speaker code ``(N, speaker_dim)``: convolutions, then the mean over time."""

    def __init__(self, n_mels: int, hidden: int, speaker_dim: int, stride: int = 4) -> None:
        super().__init__()
        self.net = nn.Sequential(_conv(n_mels, hidden, stride=2), nn.ReLU(), _conv(hidden, hidden, stride=stride // 2), nn.ReLU(),
                                 _conv(hidden, hidden), nn.ReLU())
        self.out = nn.Linear(hidden, speaker_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.net(x).mean(dim=2))  # pooled over time: what stays, not what changes


class Decoder(nn.Module):
    """Content code and speaker code back to a log-mel spectrogram ``(N, n_mels, stride T')``.

    With ``adaptive=True`` every hidden layer is followed by :func:`adain`, its scale and
    shift computed from the speaker code; otherwise the speaker code is copied to every
    frame and concatenated to the content code at the input.
    """

    def __init__(self, n_mels: int, hidden: int, content_dim: int, speaker_dim: int, adaptive: bool,
                 stride: int = 4) -> None:
        super().__init__()
        self.adaptive, self.stride = adaptive, stride
        self.inp = _conv(content_dim if adaptive else content_dim + speaker_dim, hidden)
        self.layers = nn.ModuleList([_conv(hidden, hidden), _conv(hidden, hidden)])
        self.styles = nn.ModuleList([nn.Linear(speaker_dim, 2 * hidden) for _ in range(3)]) if adaptive else None
        self.out = _conv(hidden, stride * n_mels, kernel=1)  # `stride` frames per step of the code

    def _speaker(self, h: torch.Tensor, s: torch.Tensor, i: int) -> torch.Tensor:
        if not self.adaptive:
            return h
        scale, shift = self.styles[i](s).chunk(2, dim=1)
        return adain(h, 1 + scale, shift)

    def forward(self, c: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        if not self.adaptive:
            c = torch.cat([c, s[:, :, None].expand(-1, -1, c.shape[2])], dim=1)
        h = F.relu(self._speaker(self.inp(c), s, 0))
        for i, layer in enumerate(self.layers, start=1):
            h = F.relu(self._speaker(layer(h), s, i))
        n, _, steps = h.shape  # each step gives `stride` frames: (N, stride n_mels, T') -> (N, n_mels, stride T')
        return self.out(h).view(n, self.stride, -1, steps).permute(0, 2, 3, 1).reshape(n, -1, self.stride * steps)


class VoiceConverter(nn.Module):
    """AdaIN-VC (``instance_norm=True``) or the plain two-code autoencoder (``False``).

    ``forward(x, reference)`` decodes the content of ``x`` with the voice of
    ``reference``: in training another clip of the same speaker, so the only way to
    rebuild ``x`` is to take the words from ``x`` and the voice from ``reference``.
    """

    def __init__(self, n_mels: int = speech.N_MELS, content_dim: int = 8, speaker_dim: int = 64,
                 hidden: int = 64, instance_norm: bool = True, stride: int = 4, content_noise: float = 0.0) -> None:
        super().__init__()
        self.n_mels, self.content_dim, self.speaker_dim = n_mels, content_dim, speaker_dim
        self.hidden, self.instance_norm, self.stride, self.content_noise = hidden, instance_norm, stride, content_noise
        self.content_encoder = ContentEncoder(n_mels, hidden, content_dim, instance_norm, stride)
        self.speaker_encoder = SpeakerEncoder(n_mels, hidden, speaker_dim, stride)
        self.decoder = Decoder(n_mels, hidden, content_dim, speaker_dim, adaptive=instance_norm, stride=stride)

    @property
    def config(self) -> dict[str, object]:
        return {"n_mels": self.n_mels, "content_dim": self.content_dim, "speaker_dim": self.speaker_dim,
                "hidden": self.hidden, "instance_norm": self.instance_norm, "stride": self.stride,
                "content_noise": self.content_noise}

    def content(self, x: torch.Tensor) -> torch.Tensor:
        return self.content_encoder(x)

    def speaker(self, x: torch.Tensor) -> torch.Tensor:
        return self.speaker_encoder(x)

    def decode(self, c: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return self.decoder(c, s)

    def forward(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        c = self.content(x)
        if self.training and self.content_noise > 0:  # AdaIN-VC's sampling: a noisy code carries less
            c = c + self.content_noise * torch.randn_like(c)
        return self.decode(c, self.speaker(x if reference is None else reference))


@dataclass
class L1Reconstruction:
    """The only training signal: rebuild ``x`` from its content and the voice of
    ``reference`` (another clip of the same speaker), mean absolute error. A ``loss_fn`` for
    :func:`course.train.fit` over the pairs of :func:`same_speaker_pairs`."""

    def __call__(self, model: VoiceConverter, x: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        return F.l1_loss(model(x, reference), x)


def same_speaker_pairs(spectrograms: torch.Tensor, speakers: torch.Tensor, words: torch.Tensor,
                       index: torch.Tensor, *, partners: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Training pairs ``(x, reference)``: each clip of ``index`` with ``partners`` clips of the
    same speaker saying *another word*, drawn at random.

    Why another clip, not the same one (as in the paper): the speaker encoder of a
    one-word clip can learn the word too, and pass it to the decoder around the content
    code; then a conversion says the reference's word. A reference that says another word
    makes that useless (AutoVC, Qian et al. 2019, does the same).
    """
    generator = torch.Generator().manual_seed(seed)
    xs, refs = [], []
    for _ in range(partners):
        for i in index.tolist():
            same = index[(speakers[index] == speakers[i]) & (words[index] != words[i])]
            xs.append(i)
            refs.append(int(same[torch.randint(len(same), (1,), generator=generator)]))
    return spectrograms[xs], spectrograms[refs]


@torch.no_grad()
def predict_pairs(model: VoiceConverter, x: torch.Tensor, reference: torch.Tensor,
                  batch_size: int = 256) -> torch.Tensor:
    """``model(x, reference)`` in batches, no gradients, on the CPU."""
    device = next(model.parameters()).device
    model.eval()
    return torch.cat([model(x[i:i + batch_size].to(device), reference[i:i + batch_size].to(device)).float().cpu()
                      for i in range(0, len(x), batch_size)])


# --- grading conversions -----------------------------------------------------------------

@dataclass(frozen=True)
class Conversions:
    """Who converts to whom: source clip, target speaker, and the target's reference clip."""

    source: torch.Tensor  # clip indices
    target: torch.Tensor  # speaker indices
    reference: torch.Tensor  # clip indices: the target speaker saying another word

    def __len__(self) -> int:
        return len(self.source)


def conversion_plan(speech_data: speech.SpeechData, sources: torch.Tensor, *, targets_per_source: int,
                    reference_repetition: int, seed: int = 0) -> Conversions:
    """Each source clip converted to ``targets_per_source`` other speakers chosen at random;
    each target speaker's reference is its clip of ``reference_repetition`` saying another word."""
    generator = torch.Generator().manual_seed(seed)
    n_speakers, n_words = len(speech_data.speakers), len(speech_data.words)
    lookup = {(int(s), int(w), int(r)): i for i, (s, w, r) in
              enumerate(zip(speech_data.speaker, speech_data.word, speech_data.repetition))}
    src, tgt, ref = [], [], []
    for i in sources.tolist():
        own, word = int(speech_data.speaker[i]), int(speech_data.word[i])
        others = [s for s in range(n_speakers) if s != own]
        for k in torch.randperm(len(others), generator=generator)[:targets_per_source].tolist():
            other_word = (word + 1 + int(torch.randint(n_words - 1, (1,), generator=generator))) % n_words
            src.append(i)
            tgt.append(others[k])
            ref.append(lookup[(others[k], other_word, reference_repetition)])
    return Conversions(torch.tensor(src), torch.tensor(tgt), torch.tensor(ref))


@dataclass(frozen=True)
class ConversionScore:
    """What the two classifiers make of a set of conversions (shares in [0, 1])."""

    target_top1: float  # the speaker classifier's top pick is the target speaker
    still_source: float  # ... is still the source speaker
    target_beats_source: float  # it gives the target a higher probability than the source
    content_kept: float  # the word classifier still hears the source's word
    n: int

    def row(self, name: str) -> dict[str, object]:
        return {"": name, "top pick = target": self.target_top1, "still the source speaker": self.still_source,
                "target > source": self.target_beats_source, "word kept": self.content_kept, "conversions": self.n}


def score_conversions(speaker_clf: nn.Module, word_clf: nn.Module, converted: torch.Tensor,
                      source_speaker: torch.Tensor, target_speaker: torch.Tensor,
                      source_word: torch.Tensor) -> ConversionScore:
    """Grade converted spectrograms ``(N, n_mels, T)`` with classifiers trained on real ones."""
    p_speaker = probabilities(speaker_clf, converted)
    p_word = probabilities(word_clf, converted)
    rows = torch.arange(len(converted))
    top = p_speaker.argmax(1)
    return ConversionScore(
        target_top1=float((top == target_speaker).float().mean()),
        still_source=float((top == source_speaker).float().mean()),
        target_beats_source=float((p_speaker[rows, target_speaker] > p_speaker[rows, source_speaker]).float().mean()),
        content_kept=float((p_word.argmax(1) == source_word).float().mean()),
        n=len(converted))


def semitones(f_hz: torch.Tensor | np.ndarray | float, reference_hz: float = 100.0) -> np.ndarray:
    """Pitch on a musical scale: 12 semitones an octave, 0 at ``reference_hz``."""
    return 12 * np.log2(np.asarray(f_hz, dtype=np.float64) / reference_hz)


def pitch_shift_toward_target(source_hz: np.ndarray, target_hz: np.ndarray, converted_hz: np.ndarray) -> dict[str, float]:
    """How far conversions moved the pitch from the source's toward the target's, in semitones.

    ``moved``: the mean of ``sign(target - source) * (converted - source)``; ``gap``: the
    mean ``|target - source|`` (moving all the way gives ``moved = gap``). Pairs whose
    pitch is not found in one of the three (``nan``) are left out and counted.
    """
    s, t, c = semitones(source_hz), semitones(target_hz), semitones(converted_hz)
    ok = np.isfinite(s) & np.isfinite(t) & np.isfinite(c)
    if not ok.any():
        return {"moved": float("nan"), "gap": float("nan"), "pairs": 0}
    direction = np.sign(t[ok] - s[ok])
    return {"moved": float(np.mean(direction * (c[ok] - s[ok]))), "gap": float(np.mean(np.abs(t[ok] - s[ok]))),
            "pairs": int(ok.sum())}


# --- the judges of section 6 and the probe of section 8 ----------------------------------

class SequenceClassifier(nn.Module):
    """A small classifier of sequences ``(N, C, T)``: two convolutions over time, the mean
    and the maximum over time, a linear layer to logits. With ``C = 80`` mel bands it names
    the speaker or the word of a spectrogram; with a content code as input, it measures how
    much of the speaker leaked into that code."""

    def __init__(self, channels: int, n_classes: int, hidden: int = 64) -> None:
        super().__init__()
        self.channels, self.n_classes, self.hidden = channels, n_classes, hidden
        self.net = nn.Sequential(_conv(channels, hidden, 3), nn.ReLU(), _conv(hidden, hidden, 3, stride=2), nn.ReLU())
        self.out = nn.Linear(2 * hidden, n_classes)

    @property
    def config(self) -> dict[str, object]:
        return {"channels": self.channels, "n_classes": self.n_classes, "hidden": self.hidden}

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        h = self.net(c)
        return self.out(torch.cat([h.mean(2), h.amax(2)], dim=1))


# --- listening and looking ---------------------------------------------------------------

def wav_bytes(wave_: torch.Tensor, sample_rate: int = speech.SAMPLE_RATE) -> bytes:
    """A 16-bit WAV file of a waveform in [-1, 1] (what ``ipywidgets.Audio`` plays)."""
    samples = (wave_.detach().float().clamp(-1, 1) * 32767).round().short().numpy()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sample_rate)
        f.writeframes(samples.tobytes())
    return buffer.getvalue()


def spectrogram_figure(spectrograms: Sequence[torch.Tensor], titles: Sequence[str], *,
                       height: int = 260) -> go.Figure:
    """Log-mel spectrograms side by side: time to the right, low frequencies at the bottom."""
    fig = make_subplots(rows=1, cols=len(spectrograms), subplot_titles=list(titles), horizontal_spacing=0.03)
    seconds = np.arange(speech.FRAMES) * speech.HOP / speech.SAMPLE_RATE
    for i, s in enumerate(spectrograms, start=1):
        fig.add_heatmap(z=s.detach().float().numpy(), x=seconds, colorscale="magma", zmin=float(np.log(speech.LOG_FLOOR)),
                        zmax=4.5, showscale=False, hovertemplate="%{x:.2f} s, band %{y}<extra></extra>",
                        row=1, col=i)
    fig.update_xaxes(title_text="seconds")
    fig.update_yaxes(title_text="mel band", col=1)
    fig.update_yaxes(showticklabels=False, col=2)
    fig.update_layout(height=height, width=min(1000, 60 + 300 * len(spectrograms)), margin=dict(l=50, r=10, t=40, b=40))
    return fig


class ConversionExplorer:
    """The lesson's widget: pick a source clip and a target speaker, see and hear source,
    target and conversion; a slider morphs the speaker code from the source's voice
    (0) to the target's (1). Each change runs the model once and Griffin-Lim once, on
    one thread; ``last_ms`` keeps how long the last change took (the benchmark reads it).
    """

    def __init__(self, model: VoiceConverter, speech_data: speech.SpeechData, spectrograms: torch.Tensor,
                 sources: torch.Tensor, reference_repetition: int, *, n_iter: int = 16) -> None:
        self.model = model.cpu().eval()
        self.data, self.spec, self.n_iter = speech_data, spectrograms, n_iter
        self.reference_repetition = reference_repetition
        self.lookup = {(int(s), int(w), int(r)): i for i, (s, w, r) in
                       enumerate(zip(speech_data.speaker, speech_data.word, speech_data.repetition))}
        names = [f"{n} (held out)" if i in speech_data.heldout else n for i, n in enumerate(speech_data.speakers)]
        self.source = W.Dropdown(options=[(speech_data.describe(i), int(i)) for i in sources],
                                 value=int(sources[0]), description="source")
        first_target = next(s for s in range(len(names)) if s != int(speech_data.speaker[sources[0]]))
        self.target = W.Dropdown(options=[(n, i) for i, n in enumerate(names)], value=first_target,
                                 description="target")
        self.morph = W.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.1, description="voice",
                                   readout_format=".1f", continuous_update=False)
        self.players = [W.Audio(value=b"", format="wav", autoplay=False, loop=False, layout=W.Layout(width="300px"))
                        for _ in range(3)]
        self.figure = go.FigureWidget(spectrogram_figure([spectrograms[0]] * 3, ["source", "target", "conversion"]))
        self.widget = LessonWidget(self.figure, [self.source, self.target, self.morph])
        self.widget.children = (*self.widget.children, W.HBox(self.players))
        for control in (self.source, self.target, self.morph):
            control.observe(self.update, names="value")
        self.last_ms = 0.0
        self.update()

    def reference(self, speaker: int | None = None) -> int:
        """The clip of ``speaker`` (default: the target) that gives the voice: another word than the source's."""
        word = (int(self.data.word[self.source.value]) + 1) % len(self.data.words)
        speaker = self.target.value if speaker is None else speaker
        return self.lookup[(speaker, word, self.reference_repetition)]

    @torch.no_grad()
    def update(self, _=None) -> None:
        start = time.perf_counter()
        with one_thread():
            src, ref = self.source.value, self.reference()
            own = self.reference(int(self.data.speaker[src]))
            x, r, o = self.spec[src:src + 1], self.spec[ref:ref + 1], self.spec[own:own + 1]
            a = self.morph.value
            s = (1 - a) * self.model.speaker(o) + a * self.model.speaker(r)
            converted = self.model.decode(self.model.content(x), s)[0]
            audio = speech.spectrogram_to_wave(converted, n_iter=self.n_iter)
            with self.figure.batch_update():
                for trace, z in zip(self.figure.data, (x[0], r[0], converted)):
                    trace.z = z.numpy()
                self.figure.layout.annotations[1].text = f"target: {self.data.describe(ref)}"
                self.figure.layout.annotations[2].text = f"conversion ({a:.1f} of the way)"
            self.players[0].value = wav_bytes(self.data.waves[src])
            self.players[1].value = wav_bytes(self.data.waves[ref])
            self.players[2].value = wav_bytes(audio)
        self.last_ms = (time.perf_counter() - start) * 1000
