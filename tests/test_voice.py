"""Lesson 05's voice converter: normalisation, the two codes, pairs, grading, pitch, the widget."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from course import speech, voice
from course.exercises import get
from course.train import classification_loss, fit


def test_instance_norm_removes_each_channels_offset_and_gain_over_time():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(3, 5, 30, generator=g)
    out = voice.instance_norm(h)
    assert torch.allclose(out.mean(2), torch.zeros(3, 5), atol=1e-5)
    assert torch.allclose(out.std(2, unbiased=False), torch.ones(3, 5), atol=1e-3)
    moved = h * (torch.rand(3, 5, 1, generator=g) * 4 + 0.5) + torch.randn(3, 5, 1, generator=g) * 3
    assert torch.allclose(voice.instance_norm(moved), out, atol=1e-3), "a per-clip, per-channel gain and offset is removed"
    assert not torch.allclose(voice.instance_norm(h.flip(2)), out), "what changes over time stays"


def test_adain_sets_each_channels_statistics_and_matches_the_exercise():
    g = torch.Generator().manual_seed(1)
    h = torch.randn(2, 4, 25, generator=g) * 3 + 1
    scale, shift = torch.rand(2, 4, generator=g) + 0.5, torch.randn(2, 4, generator=g)
    out = voice.adain(h, scale, shift)
    assert torch.allclose(out.mean(2), shift, atol=1e-4)
    assert torch.allclose(out.std(2, unbiased=False), scale, atol=1e-3)
    assert torch.allclose(out, get("05-adain").reference(h, scale, shift), atol=1e-4)


@pytest.mark.parametrize("norm", [True, False])
@pytest.mark.parametrize("stride", [2, 4])
def test_voice_converter_shapes(norm, stride):
    model = voice.VoiceConverter(content_dim=6, speaker_dim=10, hidden=16, instance_norm=norm, stride=stride)
    x = torch.randn(3, speech.N_MELS, speech.FRAMES)
    c, s = model.content(x), model.speaker(x)
    assert c.shape == (3, 6, speech.FRAMES // stride) and s.shape == (3, 10)
    assert model(x).shape == x.shape and model(x, x.flip(0)).shape == x.shape
    if norm:
        assert torch.allclose(c.mean(2), torch.zeros(3, 6), atol=1e-4), "the content code is instance-normalised"


def test_the_decoder_lays_out_frames_in_time_order():
    model = voice.VoiceConverter(content_dim=2, speaker_dim=3, hidden=4, stride=4)
    with torch.no_grad():
        for p in model.decoder.parameters():
            p.zero_()
        model.decoder.out.bias.copy_(torch.arange(4 * speech.N_MELS, dtype=torch.float32))
    out = model.decode(torch.zeros(1, 2, 5), torch.zeros(1, 3))
    assert out.shape == (1, speech.N_MELS, 20)
    # output channel k * n_mels + m is band m of the k-th frame of each step
    assert out[0, 7, :4].tolist() == [7.0, 87.0, 167.0, 247.0] and out[0, 7, 4] == 7.0


def test_a_louder_clip_barely_changes_the_content_code_with_instance_norm_only():
    g = torch.Generator().manual_seed(2)
    x, other = torch.randn(2, 4, speech.N_MELS, speech.FRAMES, generator=g)
    louder = x + 3.0  # every band's log energy up by the same constant
    changes = {}
    for norm in (True, False):
        torch.manual_seed(0)
        model = voice.VoiceConverter(content_dim=4, speaker_dim=8, hidden=16, instance_norm=norm).eval()
        with torch.no_grad():
            base = model.content(x)
            changes[norm] = float((model.content(louder) - base).abs().mean() / (model.content(other) - base).abs().mean())
            assert not torch.allclose(model.speaker(louder), model.speaker(x), atol=1e-3), "the speaker code sees it"
    # only the frames at the edges (zero padding) still feel the constant
    assert changes[True] < 0.2 and changes[False] > 2 * changes[True], changes


def test_content_noise_only_in_training():
    model = voice.VoiceConverter(content_dim=4, speaker_dim=8, hidden=16, content_noise=1.0)
    x = torch.randn(2, speech.N_MELS, speech.FRAMES)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))


def _toy_speech(n_speakers=4, n_words=3, reps=3) -> speech.SpeechData:
    rows = [(s, w, r) for s in range(n_speakers) for w in range(n_words) for r in range(reps)]
    labels = torch.tensor(rows)
    return speech.SpeechData("toy", torch.zeros(len(rows), 16), labels[:, 0], labels[:, 1], labels[:, 2],
                             tuple(f"s{i}" for i in range(n_speakers)), tuple(f"w{i}" for i in range(n_words)),
                             heldout=(3,), sha256="")


def test_same_speaker_pairs_pair_another_word_by_the_same_speaker():
    d = _toy_speech()
    spec = torch.arange(len(d), dtype=torch.float32)[:, None, None].expand(-1, 2, 2)
    index = d.select(speakers=(0, 1, 2))
    x, ref = voice.same_speaker_pairs(spec, d.speaker, d.word, index, partners=3, seed=0)
    assert len(x) == 3 * len(index)
    i, j = x[:, 0, 0].long(), ref[:, 0, 0].long()
    assert torch.equal(d.speaker[i], d.speaker[j]) and torch.all(d.word[i] != d.word[j])
    assert set(j.tolist()) <= set(index.tolist()), "references come from the given clips only"
    again = voice.same_speaker_pairs(spec, d.speaker, d.word, index, partners=3, seed=0)
    assert torch.equal(again[1], ref)


def test_conversion_plan_targets_other_speakers_through_another_word():
    d = _toy_speech()
    sources = d.select(repetitions=(2,))
    plan = voice.conversion_plan(d, sources, targets_per_source=2, reference_repetition=2, seed=0)
    assert len(plan) == 2 * len(sources)
    assert torch.all(plan.target != d.speaker[plan.source])
    assert torch.equal(d.speaker[plan.reference], plan.target)
    assert torch.all(d.word[plan.reference] != d.word[plan.source])
    assert torch.all(d.repetition[plan.reference] == 2)


class Lookup(nn.Module):
    """A stand-in classifier: input i (its first value) gets row i of a table of logits."""

    def __init__(self, logits):
        super().__init__()
        self.logits = nn.Parameter(logits, requires_grad=False)

    def forward(self, x):
        return self.logits[x[:, 0, 0].long()]


def test_score_conversions_counts_each_question():
    speaker_logits = torch.tensor([[5.0, 0.0, 0.0], [0.0, 5.0, 1.0], [1.0, 0.0, 2.0], [0.0, 0.0, 5.0]])
    word_logits = torch.tensor([[5.0, 0.0], [0.0, 5.0], [5.0, 0.0], [5.0, 0.0]])
    converted = torch.arange(4.0)[:, None, None].expand(-1, 2, 2)
    source_speaker, target, source_word = torch.tensor([0, 0, 1, 1]), torch.tensor([2, 1, 0, 2]), torch.zeros(4, dtype=torch.long)
    s = voice.score_conversions(Lookup(speaker_logits), Lookup(word_logits), converted, source_speaker, target, source_word)
    # top picks 0, 1, 2, 2: target hit in rows 1 and 3; still the source in row 0
    assert s.target_top1 == 0.5 and s.still_source == 0.25
    # target > source: row0 p2 < p0; row1 p1 > p0; row2 p0 (1) > p1 (0); row3 p2 > p1
    assert s.target_beats_source == 0.75 and s.content_kept == 0.75 and s.n == 4


def test_pitch_shift_toward_target_in_semitones():
    src, tgt = np.array([100.0, 200.0, 100.0]), np.array([200.0, 100.0, 200.0])
    moved = voice.pitch_shift_toward_target(src, tgt, np.array([200.0, 100.0, float("nan")]))
    assert moved["moved"] == pytest.approx(12.0) and moved["gap"] == pytest.approx(12.0) and moved["pairs"] == 2
    stayed = voice.pitch_shift_toward_target(src, tgt, src)
    assert stayed["moved"] == 0.0
    away = voice.pitch_shift_toward_target(src[:1], tgt[:1], np.array([50.0]))
    assert away["moved"] == pytest.approx(-12.0)
    assert math.isnan(voice.pitch_shift_toward_target(src[:1], tgt[:1], np.array([float("nan")]))["moved"])


def test_sequence_classifier_learns_speakers_from_a_few_clips():
    d = speech.load("espeak-digits")
    spec = speech.log_mel(d.waves)
    train, test = d.select(speakers=(0, 12, 9), repetitions=(0, 1, 2)), d.select(speakers=(0, 12, 9), repetitions=(4,))
    labels = torch.tensor([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2] + [0] * 7)[d.speaker]
    torch.manual_seed(0)
    clf = voice.SequenceClassifier(speech.N_MELS, 3)
    fit(clf, (spec[train], labels[train]), epochs=6, batch_size=16, loss_fn=classification_loss, progress=False)
    from course.classifier import accuracy

    assert accuracy(clf, spec[test], labels[test]) >= 0.9


def test_wav_bytes_is_a_wav_file():
    data = voice.wav_bytes(torch.zeros(160))
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and len(data) == 44 + 320


def test_conversion_explorer_updates_on_every_control():
    d = speech.load("espeak-digits")
    spec = speech.log_mel(d.waves)
    model = voice.VoiceConverter(content_dim=4, speaker_dim=8, hidden=16)
    sources = d.select(repetitions=(4,))[:5]
    explorer = voice.ConversionExplorer(model, d, spec, sources, reference_repetition=4, n_iter=2)
    first = explorer.figure.data[2].z.copy() if hasattr(explorer.figure.data[2].z, "copy") else explorer.figure.data[2].z
    audio = explorer.players[2].value
    assert audio[:4] == b"RIFF"
    explorer.target.value = 12
    assert explorer.figure.layout.annotations[1].text.startswith("target: f1-high")
    assert not np.array_equal(np.asarray(explorer.figure.data[2].z), np.asarray(first))
    before = np.asarray(explorer.figure.data[2].z)
    explorer.morph.value = 0.0
    assert not np.array_equal(np.asarray(explorer.figure.data[2].z), before)
    explorer.source.value = int(sources[3])
    assert np.array_equal(np.asarray(explorer.figure.data[0].z), spec[int(sources[3])].numpy())
    assert explorer.last_ms > 0
    assert "interactive widget" in repr(explorer.widget)
