"""Lesson 03's masked language model, its loss, evaluation and fill-in widget (course.bert)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course import bert, text
from course.device import seed_everything
from course.text import MASK_ID, N_SPECIAL, PAD_ID
from course.train import fit

WORDS = "a b c d e f g h".split()


@pytest.fixture
def vocab() -> text.Vocabulary:
    return text.Vocabulary(WORDS * 2, min_count=1)


@pytest.fixture
def cyclic(vocab) -> torch.Tensor:
    """Rows of the cycle a b c ... h a b ..., each starting somewhere else: easy to fill in."""
    ids = [vocab.stoi[w] for w in WORDS]
    return torch.tensor([[ids[(s + i) % len(ids)] for i in range(16)] for s in range(64)])


@pytest.fixture
def model(vocab) -> bert.TinyBERT:
    torch.manual_seed(0)
    return bert.TinyBERT(len(vocab), length=16, width=32, depth=2, heads=4).eval()


def test_shapes_and_tied_decoder(model, cyclic):
    hidden = model.encode(cyclic[:3])
    assert hidden.shape == (3, 16, 32)
    assert model.decode(hidden).shape == (3, 16, model.config["vocab_size"])
    assert torch.equal(model(cyclic[:3]), model.decode(hidden))
    assert model.decoder.weight is model.token.weight


def test_attention_bias_prefers_near_words_and_a_word_sees_both_sides(model, cyclic):
    bias = model.blocks[0].attention.distance_bias.detach()
    length = model.config["length"]
    assert bias.shape == (4, 2 * length - 1)
    assert torch.equal(bias, bias.flip(1)) and (bias[:, length - 1] == 0).all()
    assert (bias[0, length:] < bias[0, length - 1:-1]).all()  # further is less welcome
    changed = cyclic[:1].clone()
    changed[0, 10] = changed[0, 11]
    before, after = model.encode(cyclic[:1]), model.encode(changed)
    assert not torch.allclose(before[0, 3], after[0, 3])    # a word to the right matters
    assert not torch.allclose(before[0, 14], after[0, 14])  # and one to the left


def test_padding_is_never_attended_to(model, vocab):
    attention = model.blocks[0].attention
    x = torch.randn(2, 16, 32)
    visible = torch.ones(2, 16, dtype=torch.bool)
    visible[:, 10:] = False
    other = x.clone()
    other[:, 10:] = torch.randn(2, 6, 32)
    with torch.no_grad():
        a, b = attention(x, visible), attention(other, visible)
    assert torch.allclose(a[:, :10], b[:, :10], atol=1e-6)
    assert not torch.allclose(a[:, 10:], b[:, 10:])


def test_loss_is_cross_entropy_at_the_chosen_positions_only(model, cyclic):
    loss_fn = bert.MaskedLMLoss(0.3, vocab_size=model.config["vocab_size"], seed=4)
    got = loss_fn(model, cyclic)
    inputs, chosen = text.mask_tokens(cyclic, 0.3, torch.Generator().manual_seed(4),
                                      vocab_size=model.config["vocab_size"])
    logits = model(inputs)
    assert chosen.any() and got.item() == pytest.approx(F.cross_entropy(logits[chosen], cyclic[chosen]).item(), rel=1e-5)
    assert loss_fn(model, cyclic).item() != pytest.approx(got.item())  # new masks each call
    empty = bert.MaskedLMLoss(0.0, vocab_size=model.config["vocab_size"])(model, cyclic)
    assert empty.item() == 0.0 and empty.requires_grad


def test_evaluate_matches_a_hand_computation(model, cyclic):
    data = text.masked_set(cyclic, 0.3, vocab_size=model.config["vocab_size"], seed=1)
    score = bert.evaluate(model, data)
    log_p = model(data.inputs).log_softmax(-1)[data.chosen]
    assert score.accuracy == pytest.approx((log_p.argmax(-1) == data.answers).float().mean().item())
    assert score.xent == pytest.approx(-log_p.gather(1, data.answers[:, None]).mean().item(), rel=1e-5)
    assert bert.masked_log_probs(model, data).shape == (int(data.chosen.sum()), model.config["vocab_size"])


def test_training_learns_to_fill_in_a_pattern_and_beats_the_baselines(vocab, cyclic):
    seed_everything(0)
    model = bert.TinyBERT(len(vocab), length=16, width=32, depth=2, heads=4)
    data = text.masked_set(cyclic, 0.15, vocab_size=len(vocab), seed=9)
    monitor = bert.HeldoutMonitor(data)
    history = fit(model, cyclic, epochs=30, batch_size=16, lr=3e-3, seed=0, progress=False,
                  loss_fn=bert.MaskedLMLoss(0.15, vocab_size=len(vocab)), monitor=monitor)
    score = bert.evaluate(model, data)
    unigram = text.NgramBaselines(cyclic, len(vocab)).score(data)["unigram"][0]
    assert score.accuracy > 0.9 and unigram < 0.3
    assert history.extra["heldout_accuracy"][-1] == pytest.approx(score.accuracy)
    assert history.extra["heldout_xent"][0] > history.extra["heldout_xent"][-1]


def test_the_monitor_keys_the_cache_by_its_data(cyclic):
    a = bert.HeldoutMonitor(text.masked_set(cyclic, 0.15, vocab_size=11, seed=0))
    b = bert.HeldoutMonitor(text.masked_set(cyclic, 0.15, vocab_size=11, seed=1))
    assert a.data != b.data and isinstance(a.data, str)


def test_fill_in_gives_top_words_with_probabilities(model, vocab):
    guesses = bert.fill_in(model, vocab, "a b [MASK] d e [mask] g", k=3)
    assert guesses.at == [2, 5] and len(guesses.top) == 2
    for top in guesses.top:
        words, probs = zip(*top)
        assert len(top) == 3 and all(w in WORDS for w in words)
        assert list(probs) == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    assert guesses.filled().startswith("a b [") and guesses.tokens[2] == text.MASK
    assert bert.fill_in(model, vocab, "a b c", k=3).top == []


def test_fill_in_cuts_a_long_sentence_to_the_model_length(model, vocab):
    guesses = bert.fill_in(model, vocab, " ".join(["a"] * 30 + ["[MASK]"]))
    assert len(guesses.tokens) == 16 and guesses.top == []


def test_widget_redraws_the_bars_when_the_sentence_changes(model, vocab):
    w = bert.fill_in_widget(model, vocab, ["a [MASK] c", "e f [MASK] h"], k=4)
    menu, box = w.controls
    bars = w.figure.data[0]
    assert box.value == "a [MASK] c" and len(bars.x) == 4
    first = bert.fill_in(model, vocab, "a [MASK] c", k=4).top[0]
    assert list(bars.y) == [word for word, _ in first]
    assert np.allclose(bars.x, [p for _, p in first])

    box.value = "[MASK] [MASK] g h"
    now = bert.fill_in(model, vocab, "[MASK] [MASK] g h", k=4)
    assert np.allclose(bars.x, [p for _, p in now.top[0]])
    assert "first of 2 blanks" in w.figure.layout.title.text

    menu.value = "e f [MASK] h"
    assert box.value == "e f [MASK] h"
    assert list(bars.y) == [word for word, _ in bert.fill_in(model, vocab, "e f [MASK] h", k=4).top[0]]

    box.value = "no blank here"
    assert "type [MASK]" in w.figure.layout.title.text and sum(bars.x) == 0
    assert "interactive widget" in repr(w)


def test_the_mapping_points_at_the_lines_that_run():
    from course.paths import project_root

    rows = bert.mapping()
    assert [r["BERT"].split(" ")[0] for r in rows] == ["masking:", "the", "the", "a", "cross-entropy"]
    for row in rows:
        where, code = row["the code that runs it"].split(": ", 1)
        path, line = where.split(", line ")
        source = (project_root() / "src" / path).read_text().splitlines()[int(line) - 1]
        assert source.strip().startswith(code)
    assert "hidden[chosen]" in rows[2]["the code that runs it"]
    assert "F.cross_entropy" in rows[4]["the code that runs it"]


def test_measuring_helpers_split_by_corruption_and_sweep_rates(model, vocab, cyclic):
    data = text.masked_set(cyclic, 0.4, vocab_size=len(vocab), seed=3)
    kinds = bert.corruption_kinds(data)
    assert len(kinds) == len(data.answers) and set(kinds) == set(bert.CORRUPTIONS)
    by_kind = bert.accuracy_by_corruption(model, data)
    assert sum(n for n, _ in by_kind.values()) == len(kinds)
    overall = bert.evaluate(model, data).accuracy
    assert overall == pytest.approx(sum(n * acc for n, acc in by_kind.values()) / len(kinds))
    base = text.NgramBaselines(cyclic, len(vocab))
    sweep = bert.rate_sweep({"m": model}, base, cyclic, [0.2, 0.6], seed=3)
    assert set(sweep["accuracy"]) == {"m", *text.NgramBaselines.METHODS}
    assert sweep["accuracy"]["m"][1] == pytest.approx(
        bert.evaluate(model, text.masked_set(cyclic, 0.6, vocab_size=len(vocab), seed=3)).accuracy)
    rows = bert.examples(model, vocab, data, base, n=3)
    assert len(rows) == 3 and all("____" in r["text (the model sees the [MASK]s)"] for r in rows)
