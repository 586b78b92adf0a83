# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: slideshow,tags,-all
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python (autoencoder course)
#     language: python
#     name: autoencoder-course
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · Voice conversion: split what is said from who says it
#
# Lesson 04 asked whether each number of a code can mean one thing. This lesson splits a
# code into two **parts** with two jobs, and then swaps one part: an autoencoder for speech
# whose code has a **content** part (what is said) and a **speaker** part (who says it,
# with what voice). Take the content code of a word said by speaker A and the speaker code
# of speaker B, decode, and you should hear A's word in B's voice. That is **voice
# conversion**, the lecture's example of feature disentanglement, and nobody ever tells
# the model what a word or a speaker is: it is only trained to rebuild its input.
#
# **You will be able to**
#
# * turn speech into a **log-mel spectrogram** and back into sound with **Griffin-Lim**,
#   and hear what that round trip costs;
# * build **AdaIN-VC** (Chou, Yeh and Lee, 2019) from the code that runs: a content
#   encoder whose **instance normalisation** wipes out the voice, a speaker encoder that
#   **averages over time**, a decoder that puts a voice back with **adaptive instance
#   normalisation**;
# * **measure** a conversion instead of only listening to it: two classifiers trained on
#   real speech say whose voice and which word they hear, next to a plain autoencoder
#   with the same two codes and no normalisation;
# * convert any clip to any voice in a widget, including voices the model never heard;
# * watch it fail, and measure how: a content code that is too wide lets the voice leak
#   through it.
#
# **Prerequisites:** lessons 01 (autoencoders, `fit`) and 04 (disentanglement). No audio
# background: every step from sound to numbers is shown.
#
# **Time:** about two minutes of computing at the default parameters on a 2-core laptop
# CPU (about 100 CPU-seconds; seconds on a GPU); trained models are cached (lesson 00),
# so a second run takes seconds. Reading, listening and playing: about an hour. Wear
# headphones for the audio.
#
# **Key terms 关键词** ([glossary 术语表](glossary.md)): voice conversion 语音转换 · feature disentanglement 特征解耦 · speaker 说话人 · content 内容 · content encoder 内容编码器 · speaker encoder 说话人编码器 · instance normalization 实例归一化 · adaptive instance normalization (AdaIN) 自适应实例归一化 · log-mel spectrogram 对数梅尔声谱图 · vocoder 声码器 · one-shot conversion 单样本转换

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
DATASET = "espeak-digits"  # a name from course.speech.names(); offline: "espeak-digits"
CONTENT_DIM = 8  # channels of the content code (one value each per 32 ms)
SPEAKER_DIM = 64  # numbers in the speaker code
HIDDEN = 64  # channels of every hidden layer
PARTNERS = 5  # reference clips drawn per training clip (another word by the same speaker)
EPOCHS = 8  # passes over the pairs, 800 steps of 32 (about 20 CPU-seconds a model)
BATCH_SIZE = 32  # pairs per gradient step
LR = 1e-2  # peak learning rate of the one-cycle schedule (AdaIN-VC); at 2e-2 its speaker encoder often dies
PLAIN_LR = 3e-3  # ... for the plain autoencoder, whose loss blows up at LR (nothing keeps its activations in range)
CLASSIFIER_EPOCHS = 15  # epochs for each of the two judges (speaker, word)
TARGETS_PER_SOURCE = 3  # conversions per test clip, each to another speaker chosen at random
PITCH_PAIRS = 40  # conversions whose pitch is measured (each needs Griffin-Lim)
LEAK_WIDTHS = [8, 32, 80]  # content-code widths for "What goes wrong" (8 is the model above)
GRIFFIN_LIM_ITERS = 32  # rounds of phase guessing when turning a spectrogram into sound
SEED = 0  # seeds every model and every random choice
USE_CACHE = True  # reload models trained earlier with exactly these settings
SMOKE = False  # True: a few seconds of training for CI; claims are shown, not asserted

# %% slideshow={"slide_type": "skip"}
from course.params import (boolean, check_parameters, dataset, epoch_cost, integer, list_of, number, seed,
                           training_time)

check_parameters(
    DATASET=(DATASET, dataset("course.speech:names")),
    CONTENT_DIM=(CONTENT_DIM, integer(min=1, max=512)),
    SPEAKER_DIM=(SPEAKER_DIM, integer(min=1, max=512)),
    HIDDEN=(HIDDEN, integer(min=4, max=1024)),
    PARTNERS=(PARTNERS, integer(min=1, max=50)),
    EPOCHS=(EPOCHS, integer(min=1)),
    BATCH_SIZE=(BATCH_SIZE, integer(min=1, max=4096)),
    LR=(LR, number(min=1e-6, max=1.0)),
    PLAIN_LR=(PLAIN_LR, number(min=1e-6, max=1.0)),
    CLASSIFIER_EPOCHS=(CLASSIFIER_EPOCHS, integer(min=1)),
    TARGETS_PER_SOURCE=(TARGETS_PER_SOURCE, integer(min=1, max=19)),
    PITCH_PAIRS=(PITCH_PAIRS, integer(min=1, max=1000)),
    LEAK_WIDTHS=(LEAK_WIDTHS, list_of(integer(min=1, max=512), max_len=8, unique=True)),
    GRIFFIN_LIM_ITERS=(GRIFFIN_LIM_ITERS, integer(min=0, max=1000)),
    SEED=(SEED, seed()),
    USE_CACHE=(USE_CACHE, boolean()),
    SMOKE=(SMOKE, boolean()),
)
def training_budget():
    """One epoch of one two-code model: about 2.4 s on one CPU core with 5 partners a clip, batches
    of 32; the AdaIN model, the plain one and one more AdaIN model per other width in LEAK_WIDTHS;
    each judge and probe about 0.2 s an epoch."""
    models = 2 + sum(width != CONTENT_DIM for width in LEAK_WIDTHS)
    return training_time(EPOCHS=(EPOCHS, models * epoch_cost(2.4, PARTNERS / 5, BATCH_SIZE, 32)),
                         CLASSIFIER_EPOCHS=(CLASSIFIER_EPOCHS, (3 + len(LEAK_WIDTHS)) * 0.2))


budget = training_budget()
if SMOKE:  # after the checks, never instead of them: a smoke run only shortens training
    EPOCHS, PARTNERS, CLASSIFIER_EPOCHS, PITCH_PAIRS, LEAK_WIDTHS = 1, 1, 2, 4, [CONTENT_DIM, 32]
    budget = training_budget()
print(budget)

# %% slideshow={"slide_type": "subslide"}
import numpy as np
import torch
from IPython.display import Audio, display

from course import exercises, plots, speech
from course.classifier import accuracy
from course.device import get_device, seed_everything
from course.diagrams import flow
from course.models import count_parameters
from course.prose import say
from course.results import check_claim, record_results
from course.show import show_source
from course.train import classification_loss, fit, predict
from course.voice import (ContentEncoder, ConversionExplorer, Decoder, L1Reconstruction, SequenceClassifier, VoiceConverter, adain,
                          conversion_plan, instance_norm, pitch_shift_toward_target, predict_pairs,
                          same_speaker_pairs, score_conversions, SpeakerEncoder, spectrogram_figure)

seed_everything(SEED)
device = get_device()
clips = speech.load(DATASET)
print(clips)
print(f"device: {device}")


def play(wave: torch.Tensor, label: str = "") -> None:
    """A player for one clip (and what it is)."""
    if label:
        print(label)
    display(Audio(wave.clamp(-1, 1).numpy(), rate=clips.sample_rate, normalize=False))  # same loudness scale for all


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Speech with known speakers and known words
#
# To score a conversion we must know, for every clip, who speaks and what is said. Real
# recordings with that labelling need a download, and this course runs offline, so the
# speech here is **synthesised**: eSpeak NG, a formant synthesiser, says the ten digit
# words "zero" to "nine". Why a synthesiser rather than a home-made source-filter model?
# eSpeak NG *is* a source-filter model (a glottal pulse train at the speaker's pitch,
# resonators at the formants of each phoneme, a phoneme sequence from its English rules),
# but one refined over decades, so the words are intelligible. It installs from PyPI as the
# `espeakng-loader` wheel, which carries the library and its voice data for Linux, macOS
# and Windows; `course.speech` calls it through `ctypes`, no system package needed.
# eSpeak NG is free software (GPL-3.0-or-later), by Jonathan Duddington and the eSpeak NG
# contributors.
#
# A **speaker** is one of eSpeak's voice variants (each scales the formants: a longer or
# shorter vocal tract, a rougher or breathier source) with a pitch and a speaking rate of
# its own. Each says each word five times, a little faster or slower each time. Four
# speakers are **held out**: the voice converter never trains on them, and meets them only
# through one clip at conversion time ("one-shot" conversion). Online learners can load
# real speech instead: `DATASET = "speech-commands"` takes the ten digits from Google's
# Speech Commands (2.3 GB, downloaded once; offline it stops at once with a message).

# %% slideshow={"slide_type": "subslide"}
rows = []
for i, s in enumerate(speech.SPEAKERS[:len(clips.speakers)] if DATASET == "espeak-digits" else []):
    pitches = [speech.pitch_hz(clips.waves[j]) for j in clips.select(speakers=(i,), repetitions=(2,))]
    rows.append({"speaker": s.name, "eSpeak variant": s.variant, "pitch setting": s.pitch,
                 "words a minute": s.rate, "measured pitch (Hz)": round(float(np.nanmedian(pitches)), 1),
                 "held out": "yes" if i in clips.heldout else ""})
plots.Table(rows, caption="The speakers", digits=1)

# %% slideshow={"slide_type": "subslide"}
word = clips.words.index("seven")
for s in (0, 12, 9):
    play(clips.waves[clips.select(speakers=(s,), repetitions=(2,))[word]], clips.describe(int(clips.select(speakers=(s,), repetitions=(2,))[word])))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. From sound to a picture, and back
#
# A clip is 10,112 numbers (0.63 s at 16,000 samples a second). The model works on a
# **log-mel spectrogram** instead: cut the clip into overlapping 32 ms windows every 8 ms,
# measure how loud each frequency is in each window (a Fourier transform, `stft`), pool
# the 513 frequencies into 80 **mel bands**, narrow at low frequencies and wide at high
# ones as our ears hear them, and take the logarithm (loudness is heard on a log scale
# too). The result is an 80 x 80 picture: time to the right, pitch upward.

# %% slideshow={"slide_type": "subslide"}
show_source(speech.log_mel)

# %% slideshow={"slide_type": "subslide"}
spectrograms = speech.log_mel(clips.waves)
examples = [int(clips.select(speakers=(s,), repetitions=(2,))[word]) for s in (0, 12, 9)]
spectrogram_figure([spectrograms[i] for i in examples], [clips.describe(i) for i in examples])

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same word by three voices: the same sequence of shapes (the *content*), with the
# bands shifted and the fine horizontal stripes (the harmonics of the pitch) spaced
# differently (the *voice*). A low male voice packs its harmonics tight at the bottom.
#
# **Back to sound.** A spectrogram keeps how loud each frequency is and drops the *phase*,
# and 80 bands cannot hold 513 frequencies. Going back therefore takes a guess at both:
# spread each band back over its frequencies (least squares), then **Griffin-Lim** (1984):
# start from random phases, go to a waveform and back, keep the phases that came out and
# the loudness we want, repeat. The fast version (with momentum) needs about 32 rounds.
# Trained vocoders (WaveNet, HiFi-GAN) do far better, but need a download; this needs nothing.

# %% slideshow={"slide_type": "subslide"}
show_source(speech.griffin_lim)

# %% slideshow={"slide_type": "subslide"}
real = clips.waves[examples[0]]
play(real, "the original clip")
play(speech.spectrogram_to_wave(spectrograms[examples[0]], n_iter=GRIFFIN_LIM_ITERS),
     "the same clip through log-mel and Griffin-Lim: what the vocoder alone costs")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Keep that second sound in mind: every conversion below goes through the same
# Griffin-Lim, so its buzz and hiss are the vocoder's, not the model's.
#
# ## 3. Two judges: whose voice, which word?
#
# Listening is not measuring. Two small classifiers, trained on **real** spectrograms
# (repetitions 0-3 of every speaker, held-out speakers included), will grade every
# conversion: the **speaker classifier** says whose voice it hears, the **word
# classifier** which word. Each is a few convolutions over time, then the mean and the
# maximum over time, so it does not care where in the clip the word sits.

# %% slideshow={"slide_type": "subslide"}
show_source(SequenceClassifier)

# %% slideshow={"slide_type": "subslide"}
judge_train = clips.select(repetitions=(0, 1, 2, 3))
test_clips = clips.select(repetitions=(4,))
judges = {}
for what, labels, names in (("speaker", clips.speaker, clips.speakers), ("word", clips.word, clips.words)):
    seed_everything(SEED)
    judges[what] = SequenceClassifier(speech.N_MELS, len(names))
    fit(judges[what], (spectrograms[judge_train], labels[judge_train]), epochs=CLASSIFIER_EPOCHS, batch_size=32,
        lr=3e-3, loss_fn=classification_loss, seed=SEED, cache=USE_CACHE, desc=f"{what} classifier")
speaker_clf, word_clf = judges["speaker"], judges["word"]
speaker_acc = accuracy(speaker_clf, spectrograms[test_clips], clips.speaker[test_clips])
word_acc = accuracy(word_clf, spectrograms[test_clips], clips.word[test_clips])
print(f"on real clips they never saw: speaker {speaker_acc:.3f} (chance {1 / len(clips.speakers):.2f}), "
      f"word {word_acc:.3f} (chance {1 / len(clips.words):.2f})")

# %% slideshow={"slide_type": "subslide"}
check_claim("both classifiers score at least 0.95 on real held-out clips", min(speaker_acc, word_acc) >= 0.95,
            f"speaker {speaker_acc:.3f}, word {word_acc:.3f}", smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The model: AdaIN-VC
#
# The trick is where each code gets its information. Two encoders read two clips: the
# content encoder the clip whose words we keep, the speaker encoder a clip of the voice we
# want. The decoder rebuilds speech from the content code, with the speaker code setting
# the statistics of every layer. In training both clips are of the same speaker; to
# convert, swap in another speaker's clip:

# %% slideshow={"slide_type": "subslide"}
flow("A says “seven”", "content encoder\n(instance norm)", "content code\nof A", "decoder\n(AdaIN)",
     "“seven” in\nB's voice", kinds="decgd",
     above={"decoder\n(AdaIN)": ("speaker code of B ← speaker encoder ← another clip of B", "c", None, "into")},
     below={"“seven” in\nB's voice": ("training (B = A):\nL1 loss to A's clip", "l", "A says “seven”")},
     caption="AdaIN-VC: swap the speaker code, keep the content code")

# %% [markdown] slideshow={"slide_type": "subslide"}
#
# **Instance normalisation** takes each channel of one clip and sets its mean over time to
# 0 and its spread to 1. Whatever is *constant through a clip* (a channel that is always
# high for a deep voice, or always spread wide for a loud one) is removed; what *changes
# from frame to frame* (one sound following another: the words) stays.

# %% slideshow={"slide_type": "subslide"}
show_source(instance_norm)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The **content encoder** applies it after every layer, and to its output: a code of
# `CONTENT_DIM` channels, one value each every 32 ms.

# %% slideshow={"slide_type": "fragment"}
show_source(ContentEncoder)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The **speaker encoder** does the opposite: it averages its features over time, so what
# changes from frame to frame is lost and what stays is kept, as `SPEAKER_DIM` numbers.

# %% slideshow={"slide_type": "fragment"}
show_source(SpeakerEncoder)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The **decoder** must put the voice back. **Adaptive instance normalisation** (AdaIN,
# Huang and Belongie 2017, from style transfer for pictures) does it at every hidden layer:
# wipe the layer's own statistics over time, then give each channel the scale and the shift
# that a linear layer computes from the speaker code.

# %% slideshow={"slide_type": "subslide"}
show_source(adain)

# %% slideshow={"slide_type": "subslide"}
show_source(Decoder)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Training** is plain reconstruction, with one twist. The decoder rebuilds a clip from
# its own content code and the speaker code of *another clip of the same speaker saying
# another word*. The paper feeds the speaker encoder the same clip; with one-word clips
# like ours the averaged speaker code can then carry the word too, and the decoder learns
# to take the word from it (a conversion then says the *reference's* word). Another word
# by the same voice makes that shortcut useless; AutoVC (Qian et al., 2019) trains the
# same way.

# %% slideshow={"slide_type": "subslide"}
show_source(same_speaker_pairs)

# %% slideshow={"slide_type": "subslide"}
show_source(L1Reconstruction)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The **plain autoencoder** next to it has the same encoders and decoder layers and the
# same two codes, with no normalisation anywhere; its speaker code is copied to every
# frame and put next to the content code. Nothing in its design stops the content code
# from carrying the voice too. Both train on the 16 speakers that are not held out,
# repetitions 0-3, on the same pairs, for the same number of steps. Each gets the
# learning rate it trains well at: AdaIN-VC `LR`, the plain autoencoder `PLAIN_LR`. With
# nothing to keep its activations in range the plain one does not train at AdaIN-VC's
# rate (try it: set `PLAIN_LR = LR`); normalisation buys stable training too. AdaIN-VC's
# speaker encoder has none (instance norm there would wipe the voice it must keep), and
# it sets the limit: at twice this `LR` one large step can push all of its ReLUs below
# zero for every input, the speaker code becomes a constant, and the voice has to pass
# through the content code, so conversions keep the source's voice (try `LR = 2e-2` and a
# few `SEED`s).

# %% slideshow={"slide_type": "subslide"}
seen = tuple(s for s in range(len(clips.speakers)) if s not in clips.heldout)
train_clips = clips.select(speakers=seen, repetitions=(0, 1, 2, 3))
pairs = same_speaker_pairs(spectrograms, clips.speaker, clips.word, train_clips, partners=PARTNERS, seed=SEED)
print(f"{len(train_clips)} training clips, {len(pairs[0])} (clip, reference) pairs, "
      f"{EPOCHS * -(-len(pairs[0]) // BATCH_SIZE)} steps")


def train_converter(instance_norm_: bool, content_dim: int = CONTENT_DIM) -> tuple[VoiceConverter, object]:
    """Train (or load from the cache) one voice converter on the pairs above."""
    seed_everything(SEED)
    model = VoiceConverter(speech.N_MELS, content_dim, SPEAKER_DIM, HIDDEN, instance_norm=instance_norm_)
    name = f"{'AdaIN-VC' if instance_norm_ else 'plain AE'}, content {content_dim}"
    history = fit(model, pairs, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR if instance_norm_ else PLAIN_LR,
                  loss_fn=L1Reconstruction(),
                  seed=SEED, cache=USE_CACHE, desc=name)
    print(f"{name}: {count_parameters(model):,} parameters, "
          f"{'loaded from cache' if history.from_cache else f'trained in {history.seconds:.1f} s'}, "
          f"final L1 {history.train_loss[-1]:.3f}")
    return model, history


adain_vc, history_adain = train_converter(True)
plain_ae, history_plain = train_converter(False)
plots.loss_curves({"AdaIN-VC": history_adain, "plain AE": history_plain}, title="Reconstruction error (L1) per epoch")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The loss says how well each model rebuilds a clip in its own speaker's voice. It says
# nothing about whether the two codes are split: a model that ignores its speaker code and
# passes the voice through the content code rebuilds just as well. The test is the swap.
#
# ## 5. Convert, look, listen
#
# Every test clip (repetition 4, which no model trained on) is converted to
# `TARGETS_PER_SOURCE` other speakers, chosen at random, held-out ones included. The
# target's voice comes from one clip of the target saying another word.

# %% slideshow={"slide_type": "subslide"}
plan = conversion_plan(clips, test_clips, targets_per_source=TARGETS_PER_SOURCE, reference_repetition=4, seed=SEED)
converted = {"AdaIN-VC": predict_pairs(adain_vc, spectrograms[plan.source], spectrograms[plan.reference]),
             "plain AE": predict_pairs(plain_ae, spectrograms[plan.source], spectrograms[plan.reference])}
source_speaker, source_word = clips.speaker[plan.source], clips.word[plan.source]
pitch_of = {int(s): float(np.nanmedian([speech.pitch_hz(clips.waves[j]) for j in clips.select(speakers=(int(s),))[::5]]))
            for s in range(len(clips.speakers))}
# one example: a low male voice's word in a high female voice
example = next(k for k in range(len(plan)) if pitch_of[int(plan.target[k])] > 1.6 * pitch_of[int(source_speaker[k])])
src, ref = int(plan.source[example]), int(plan.reference[example])
print(f"source: {clips.describe(src)}\ntarget: {clips.speakers[int(plan.target[example])]}, "
      f"heard through {clips.describe(ref)}")
spectrogram_figure([spectrograms[src], spectrograms[ref], converted["AdaIN-VC"][example], converted["plain AE"][example]],
                   ["source", "target (reference)", "AdaIN-VC", "plain AE"])

# %% slideshow={"slide_type": "subslide"}
play(clips.waves[src], "source")
play(clips.waves[ref], "target speaker (another word)")
for name in converted:
    play(speech.spectrogram_to_wave(converted[name][example], n_iter=GRIFFIN_LIM_ITERS), f"{name}: the conversion")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Look at the two conversions: does each keep the source's sequence of shapes (the word)?
# Whose spacing of the harmonic stripes and whose bands does each have, the source's or
# the target's? One example proves little; section 6 asks the same questions of every
# conversion. The audio is rougher than the source: part is Griffin-Lim (as heard above),
# part is the blur of a small model trained for a few seconds.
#
# ## 6. Measured, not only heard
#
# For every conversion the judges answer four questions: is the speaker classifier's top
# pick the **target**? Is it still the **source** speaker? Does it give the target a higher
# probability than the source (**target > source**: has the voice moved toward the
# target, even if it is not exactly there)? Does the word classifier still hear the
# **source's word**? The unconverted source clips are the reference point.

# %% slideshow={"slide_type": "subslide"}
scores = {"unconverted source": score_conversions(speaker_clf, word_clf, spectrograms[plan.source], source_speaker,
                                                  plan.target, source_word)}
scores.update({name: score_conversions(speaker_clf, word_clf, spec, source_speaker, plan.target, source_word)
               for name, spec in converted.items()})
heldout = torch.isin(plan.target, torch.tensor(clips.heldout))
scores_heldout = {name: score_conversions(speaker_clf, word_clf, spec[heldout], source_speaker[heldout],
                                          plan.target[heldout], source_word[heldout])
                  for name, spec in converted.items()}
rows = [score.row(name) for name, score in scores.items()]
rows += [score.row(f"{name}, held-out targets only") for name, score in scores_heldout.items()]
plots.Table(rows, caption=f"{len(plan)} conversions graded by classifiers trained on real clips", digits=2)

# %% [markdown] slideshow={"slide_type": "subslide"}
# How sure can the speaker classifier be about a rebuilt clip at all? Rebuild each test
# clip with the speaker code of *its own* speaker (another word) and ask it:

# %% slideshow={"slide_type": "fragment"}
own_reference = torch.tensor([int(clips.select(speakers=(int(clips.speaker[i]),), repetitions=(4,))[
    (int(clips.word[i]) + 1) % len(clips.words)]) for i in test_clips])
rebuilt = predict_pairs(adain_vc, spectrograms[test_clips], spectrograms[own_reference])
self_score = score_conversions(speaker_clf, word_clf, rebuilt, clips.speaker[test_clips], clips.speaker[test_clips],
                               clips.word[test_clips])
print(f"AdaIN-VC rebuilding clips in their own voice: recognised as their own speaker {self_score.target_top1:.2f}, "
      f"word kept {self_score.content_kept:.2f}")
say("So even a clip rebuilt in its *own* voice is recognised as its own speaker in only {own:.0%} of cases (the real "
    "clips: {real:.0%}): the small model's outputs are blurred, and the classifier was trained on sharp real "
    "spectrograms. That is why \"target > source\" is the measure to trust: it asks which way the voice moved, not "
    "whether it arrived at a sharp copy.", own=self_score.target_top1, real=speaker_acc)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Pitch** tells the same story in hertz. For `PITCH_PAIRS` conversions between voices
# at least 4 semitones apart (a third of an octave), measure the pitch of the converted
# audio by autocorrelation and see how far it moved from the source's toward the target's.

# %% slideshow={"slide_type": "subslide"}
gap_semitones = np.abs(12 * np.log2(np.array([pitch_of[int(t)] / pitch_of[int(s)]
                                             for s, t in zip(source_speaker, plan.target)])))
chosen = np.flatnonzero(gap_semitones >= 4)[:PITCH_PAIRS]
source_hz = np.array([speech.pitch_hz(clips.waves[int(plan.source[k])]) for k in chosen])
target_hz = np.array([pitch_of[int(plan.target[k])] for k in chosen])
pitch = {}
for name, spec in converted.items():
    converted_hz = np.array([speech.pitch_hz(speech.spectrogram_to_wave(spec[k], n_iter=GRIFFIN_LIM_ITERS))
                             for k in chosen])
    pitch[name] = pitch_shift_toward_target(source_hz, target_hz, converted_hz)
display(plots.Table([{"": name, "moved toward the target (semitones)": p["moved"],
                      "source-target gap (semitones)": p["gap"], "pairs with a pitch found": p["pairs"]}
                     for name, p in pitch.items()],
                    caption="Pitch of converted audio (autocorrelation) against source and target", digits=1))
moved_a, moved_p = pitch["AdaIN-VC"]["moved"], pitch["plain AE"]["moved"]
print(f"AdaIN-VC moves the pitch {moved_a:.1f} semitones toward the target, the plain autoencoder {moved_p:.1f}, "
      f"of a {pitch['AdaIN-VC']['gap']:.1f}-semitone gap: "
      + ("AdaIN-VC moves it further." if moved_a > moved_p else "AdaIN-VC does not move it further here."))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The pitch is the least reliable of these figures: Griffin-Lim's audio is weakly voiced,
# the autocorrelation finds no pitch in some clips, and a few dozen pairs are few. It is
# shown, not asserted. The claims rest on the classifiers' verdicts over all conversions:

# %% slideshow={"slide_type": "fragment"}
a, p = scores["AdaIN-VC"], scores["plain AE"]
check_claim("AdaIN-VC's conversions sound more like the target than the source in at least 65% of cases",
            a.target_beats_source >= 0.65, f"{a.target_beats_source:.2f}", smoke=SMOKE)
check_claim("... at least 0.35 more often than the plain autoencoder's", a.target_beats_source >= p.target_beats_source + 0.35,
            f"{a.target_beats_source:.2f} vs {p.target_beats_source:.2f}", smoke=SMOKE)
check_claim("AdaIN-VC keeps the source's word in at least 80% of conversions", a.content_kept >= 0.80,
            f"{a.content_kept:.2f}", smoke=SMOKE)
check_claim("AdaIN-VC's top pick is the target at least 15% of the time, more often than the plain model's",
            a.target_top1 >= 0.15 and a.target_top1 > p.target_top1, f"{a.target_top1:.2f} vs {p.target_top1:.2f}",
            smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Play with it
#
# Pick a source clip and a target speaker (held-out speakers are marked): the figure shows
# source, target and conversion, and the players under it play them. The **voice** slider
# morphs the speaker code from the source speaker's own (0) to the target's (1): the
# decoder gets a code in between and makes a voice in between. (The figure updates in
# place; in a saved notebook without a kernel a picture of how it starts stands in its place.)

# %% slideshow={"slide_type": "subslide"}
explorer = ConversionExplorer(adain_vc, clips, spectrograms, test_clips, reference_repetition=4)
explorer.widget

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What goes wrong: a content code that is too wide
#
# Instance normalisation removes what is constant in each channel, not everything about
# the voice: the *pattern across channels* in one frame still says something about the
# formants and the pitch. The wider the content code, the more room for such patterns.
# Measure it: train a small classifier to name the **speaker from the content code
# alone** (repetitions 0-3, tested on repetition 4), for content codes of several widths,
# and see what happens to the conversions.

# %% slideshow={"slide_type": "subslide"}
def speaker_leak(model: VoiceConverter) -> float:
    """Accuracy of a speaker classifier trained on the model's content codes (chance: 1/20)."""
    codes = predict(model, spectrograms, method="content")
    seed_everything(SEED)
    probe = SequenceClassifier(codes.shape[1], len(clips.speakers))
    fit(probe, (codes[judge_train], clips.speaker[judge_train]), epochs=CLASSIFIER_EPOCHS, batch_size=32, lr=3e-3,
        loss_fn=classification_loss, seed=SEED, cache=USE_CACHE, desc="speaker from content code", progress=False)
    return accuracy(probe, codes[test_clips], clips.speaker[test_clips])


leak = []
for width in LEAK_WIDTHS:
    model = adain_vc if width == CONTENT_DIM else train_converter(True, width)[0]
    out = predict_pairs(model, spectrograms[plan.source], spectrograms[plan.reference])
    s = score_conversions(speaker_clf, word_clf, out, source_speaker, plan.target, source_word)
    leak.append({"content width": width, "speaker from content code": speaker_leak(model),
                 "target > source": s.target_beats_source, "word kept": s.content_kept})
leak_plain = speaker_leak(plain_ae)
plots.Table(leak + [{"content width": f"{CONTENT_DIM}, plain AE", "speaker from content code": leak_plain,
                     "target > source": scores["plain AE"].target_beats_source,
                     "word kept": scores["plain AE"].content_kept}],
            caption="Speaker information in the content code, and the conversions", digits=2)

# %% slideshow={"slide_type": "subslide"}
plots.line_chart([r["content width"] for r in leak],
                 {"speaker named from the content code": [r["speaker from content code"] for r in leak],
                  "conversion: target > source": [r["target > source"] for r in leak]},
                 x_title="content code width (channels)", y_title="share", log_x=True,
                 title="Wider content codes: the voice in the code, and the conversions")

# %% slideshow={"slide_type": "subslide"}
narrow, wider = leak[0], leak[1:]
for r in wider:
    print(f"content code {narrow['content width']} -> {r['content width']} channels: the speaker is named from the "
          f"content code alone in {narrow['speaker from content code']:.0%} -> {r['speaker from content code']:.0%} "
          f"of test clips (chance {1 / len(clips.speakers):.0%}); conversions beat the source in "
          f"{narrow['target > source']:.0%} -> {r['target > source']:.0%} of cases.")
leaks_more = sum(r["speaker from content code"] >= narrow["speaker from content code"] + 0.05 for r in wider)
converts_worse = sum(r["target > source"] <= narrow["target > source"] - 0.05 for r in wider)
print(f"In this run, {leaks_more} of the {len(wider)} wider content codes carry clearly more of the voice than the "
      f"{narrow['content width']}-channel one (5 points or more), and {converts_worse} of {len(wider)} convert "
      f"clearly worse.")
print(f"Without instance normalisation (plain AE, {CONTENT_DIM} channels) the content code names the speaker in "
      f"{leak_plain:.0%} of clips.")
check_claim("instance normalisation leaves less of the speaker in the content code than the plain autoencoder's",
            narrow["speaker from content code"] < leak_plain,
            f"{narrow['speaker from content code']:.2f} vs {leak_plain:.2f} (chance {1 / len(clips.speakers):.2f})",
            smoke=SMOKE)

# %% slideshow={"slide_type": "subslide"}
say("Read the two measures together. A probe that names the speaker from the content code is the direct measure "
    "of a leak: chance is one in {n_speakers}, and the {narrow_width}-channel code of AdaIN-VC is named in "
    "{narrow_leak:.0%} of test clips: not free of the voice, even with instance normalisation (which removes what is "
    "constant in each channel, not the pattern across channels). The conversions show the consequence: whatever "
    "the content code carries of the source's voice, the decoder can use, and the target's speaker code has less "
    "to say; in this run, wider codes that convert clearly worse: {worse} of {n_wider}. How much worse varies from "
    "one training run to another (try another `SEED`): a wide code does not force a leak, it leaves room for one, "
    "and whether training uses that room is partly luck. AutoVC (Qian et al., 2019) makes the same point with a "
    "bottleneck alone: too wide and the voice leaks, too narrow and the words are lost. The plain autoencoder's "
    "row shows what no normalisation at all leaves in the code: the speaker is named in {plain_leak:.0%} of clips.",
    n_speakers=len(clips.speakers), narrow_width=narrow["content width"],
    narrow_leak=narrow["speaker from content code"], worse=converts_worse, n_wider=len(wider), plain_leak=leak_plain)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# **Predict before you run.** A hidden layer `h` `(N, C, T)` of the content encoder goes
# through `instance_norm`. Now make every frame of channel 0 twice as large and 2.0 larger
# (`h[:, 0] = 2 * h[:, 0] + 2`), as a louder or deeper voice might. By how much does
# `instance_norm(h)[:, 0]` change? Write your guess, then run the cell after it.

# %% slideshow={"slide_type": "subslide"}
my_guess = ...  # a number: the largest absolute change
exercises.get("05-what-instance-norm-removes").check(my_guess)

# %% slideshow={"slide_type": "subslide"}
h = torch.randn(2, 3, 40, generator=torch.Generator().manual_seed(0))
changed = h.clone()
changed[:, 0] = 2 * changed[:, 0] + 2
print(f"largest change of instance_norm(h)[:, 0]: {(instance_norm(changed) - instance_norm(h))[:, 0].abs().max():.2e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Write AdaIN.** `adain(h, scale, shift)` normalises each channel of each clip of `h`
# `(N, C, T)` over time (mean 0, standard deviation 1, dimension 2), then multiplies by
# `scale` and adds `shift`, both `(N, C)`. The check feeds it features with very different
# channels and compares each channel's statistics with what the speaker code asked for.

# %% slideshow={"slide_type": "subslide"}
def my_adain(h: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    # YOUR CODE HERE (about 4 lines)
    raise NotImplementedError


exercise = exercises.get("05-adain")
exercise.check(my_adain)

# %% slideshow={"slide_type": "subslide"}
# Stuck? Uncomment the next line to reveal a solution.
# exercise.solution()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **In your words.** Why does training give the speaker encoder another clip of the same
# speaker saying another word, instead of the clip being rebuilt? Answer in a sentence or
# two; the check looks for the key ideas.

# %% slideshow={"slide_type": "fragment"}
my_answer = ...  # a string
question = exercises.get("05-why-another-clip")
question.check(my_answer)
# question.solution()  # uncomment for a model answer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What this notebook measured
#
# The headline figures go to `build/results/05_voice_conversion.json`, which the tests read.

# %% slideshow={"slide_type": "subslide"}
def finite(value: float) -> float | None:
    """A measured number, or None where none could be measured (no pitch found in a smoke run)."""
    return value if np.isfinite(value) else None


figures = {
    "dataset": DATASET,
    "data_sha256": clips.sha256,
    "n_speakers": len(clips.speakers),
    "n_heldout_speakers": len(clips.heldout),
    "n_conversions": len(plan),
    "speaker_clf_acc_real": speaker_acc,
    "word_clf_acc_real": word_acc,
    "target_beats_source_unconverted": scores["unconverted source"].target_beats_source,
    "target_beats_source_adain": a.target_beats_source,
    "target_beats_source_plain": p.target_beats_source,
    "target_beats_source_adain_heldout": scores_heldout["AdaIN-VC"].target_beats_source,
    "target_beats_source_plain_heldout": scores_heldout["plain AE"].target_beats_source,
    "target_top1_adain": a.target_top1,
    "target_top1_plain": p.target_top1,
    "still_source_adain": a.still_source,
    "still_source_plain": p.still_source,
    "content_kept_adain": a.content_kept,
    "content_kept_plain": p.content_kept,
    "self_reconstruction_own_speaker": self_score.target_top1,
    "pitch_semitones_to_target_adain": finite(pitch["AdaIN-VC"]["moved"]),
    "pitch_semitones_to_target_plain": finite(pitch["plain AE"]["moved"]),
    "pitch_gap_semitones": finite(pitch["AdaIN-VC"]["gap"]),
    "pitch_pairs": pitch["AdaIN-VC"]["pairs"],
    "leak_widths": [r["content width"] for r in leak],
    "leak_speaker_acc": [r["speaker from content code"] for r in leak],
    "leak_target_beats_source": [r["target > source"] for r in leak],
    "leak_speaker_acc_plain": leak_plain,
    "train_seconds": history_adain.seconds,
}
record_results("05_voice_conversion", figures, smoke=SMOKE)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Take-aways
#
# * A code can be split by **what the architecture lets through**, with no labels:
#   instance normalisation removes what is constant through a clip (the voice) from the
#   content code; averaging over time removes what changes (the words) from the speaker
#   code; adaptive instance normalisation lets the speaker code set the decoder's
#   statistics. Training is only reconstruction.
# * **Measure** conversions with judges trained on real data, and pick a measure that
#   survives blurred outputs: "target > source" asks which way the voice moved.
# * The same two codes without the normalisation convert far less often toward the
#   target: nothing stops its content code from carrying the voice, and the probe of
#   "What goes wrong" measures how much of it does.
# * **Bottlenecks decide disentanglement.** The width of the content code limits how much
#   of the voice can leak into it; a one-word speaker reference could carry the word.
#   Both leaks are handled by design (a narrow code, another clip as reference), not by a loss.
# * Sound has its own costs: a log-mel spectrogram drops the phase and the fine frequency
#   detail, and Griffin-Lim guesses them back with an audible buzz.
#
# **Next:** lesson 06 makes codes discrete; lesson 08 makes them probabilistic (AdaIN-VC's
# content code is sampled like a VAE's in the paper).
#
# ## References
#
# * Ju-chieh Chou, Cheng-chieh Yeh and Hung-yi Lee (2019). *One-shot Voice Conversion by
#   Separating Speaker and Content Representations with Instance Normalization.* Interspeech. arXiv:1904.05742.
# * Kaizhi Qian, Yang Zhang, Shiyu Chang, Xuesong Yang and Mark Hasegawa-Johnson (2019).
#   *AutoVC: Zero-Shot Voice Style Transfer with Only Autoencoder Loss.* ICML. arXiv:1905.05879.
# * Xun Huang and Serge Belongie (2017). *Arbitrary Style Transfer in Real-time with Adaptive
#   Instance Normalization.* ICCV. arXiv:1703.06868.
# * Daniel W. Griffin and Jae S. Lim (1984). *Signal estimation from modified short-time
#   Fourier transform.* IEEE Transactions on Acoustics, Speech, and Signal Processing 32(2).
# * Nathanaël Perraudin, Peter Balazs and Peter L. Søndergaard (2013). *A fast Griffin-Lim
#   algorithm.* IEEE WASPAA.
# * Hung-yi Lee (李宏毅), *Machine Learning* lecture "Auto-encoder" (feature disentanglement and
#   voice conversion), National Taiwan University.
# * Pete Warden (2018). *Speech Commands: A Dataset for Limited-Vocabulary Speech
#   Recognition.* arXiv:1804.03209 (the online data set).
# * eSpeak NG, https://github.com/espeak-ng/espeak-ng (GPL-3.0-or-later), through the
#   `espeakng-loader` wheel.
