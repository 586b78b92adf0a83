"""Lesson 07's seq2seq2seq autoencoder: shapes, the pointer, REINFORCE, the warm-up, scoring."""

import pytest
import torch

from course import summaries as S
from course.seq2seq2seq import (Discriminator, Reconstructor, Seq2Seq2Seq, Seq2Seq2SeqLoss, random_words,
                                rebuild, reconstruction_accuracy, reconstruction_loss, reinforce, summary_explorer)


@pytest.fixture(scope="module")
def data():
    corpus = S.load()
    vocab = S.Vocabulary()
    return vocab, S.documents(corpus.train[:64], vocab), S.headlines(corpus.headlines[:64], vocab), corpus


def test_the_summariser_points_at_words_of_the_document(data):
    vocab, docs, _, _ = data
    torch.manual_seed(0)
    model = Seq2Seq2Seq(len(vocab), 5, 16)
    words, log_prob, entropy = model.summariser(docs, samples=3)
    assert words.shape == (len(docs) * 3, 5) and log_prob.shape == entropy.shape == (len(docs) * 3,)
    assert (log_prob <= 0).all() and (entropy >= 0).all()
    for row, doc in zip(words, docs.repeat_interleave(3, 0)):
        assert set(row.tolist()) <= set(doc.tolist()) - {S.PAD_ID}
    greedy = model.summarise(docs)
    assert torch.equal(greedy, model.summarise(docs))  # deterministic


def test_reconstructor_with_and_without_a_summary(data):
    vocab, docs, heads, _ = data
    model = Reconstructor(len(vocab), 16)
    assert model(heads, docs).shape == (len(docs), docs.shape[1], len(vocab))
    assert model(docs[:, :0], docs).shape == (len(docs), docs.shape[1], len(vocab))
    # teacher forcing: the prediction at position t does not depend on the word at t or later
    changed = docs.clone()
    changed[:, 10:] = 5
    assert torch.allclose(model(heads, docs)[:, :10], model(heads, changed)[:, :10])
    assert Discriminator(len(vocab), 16)(heads).shape == (len(docs),)


def test_reinforce_raises_the_better_samples_and_ignores_a_shared_offset():
    log_prob = torch.zeros(8, requires_grad=True)
    reward = torch.tensor([1.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 6.0])
    grad, = torch.autograd.grad(reinforce(log_prob, reward, 4), log_prob)
    assert grad[0] < 0 and grad[7] < 0 and (grad[[1, 2, 3, 4, 5, 6]] > 0).all()  # descent raises 0 and 7
    grad_shifted, = torch.autograd.grad(reinforce(log_prob, reward + 100, 4), log_prob)
    assert torch.allclose(grad, grad_shifted)  # the baseline removes what all of a document's samples share
    assert torch.allclose(grad[:4], grad[4:].flip(0))  # each document its own baseline: levels do not matter


def test_the_loss_warms_up_then_trains_all_three_parts(data):
    vocab, docs, heads, _ = data
    torch.manual_seed(0)
    model = Seq2Seq2Seq(len(vocab), 5, 16)
    loss_fn = Seq2Seq2SeqLoss(weight=1.0, samples=2, warmup=1)
    loss_fn(model, docs, heads).backward()  # the warm-up step: the reconstructor alone
    assert model.summariser.query.weight.grad is None and model.discriminator.out.weight.grad is None
    assert model.reconstructor.out.weight.grad is not None
    model.zero_grad()
    loss_fn(model, docs, heads).backward()
    assert int(model.steps) == 2
    for part in (model.summariser, model.reconstructor, model.discriminator):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())
    model.zero_grad()
    Seq2Seq2SeqLoss(weight=0.0, samples=2, warmup=0)(model, docs, heads).backward()
    assert all(p.grad is None for p in model.discriminator.parameters())  # weight 0: no discriminator


def test_random_words_are_in_order_and_never_padding(data):
    _, docs, _, _ = data
    words = random_words(docs, 5)
    assert words.shape == (len(docs), 5) and (words != S.PAD_ID).all()
    for row, doc in zip(words, docs):
        positions, start = [], 0
        for w in row.tolist():
            start = doc.tolist().index(w, start) + 1
            positions.append(start)
        assert positions == sorted(positions)


def test_a_short_training_beats_no_summary_on_facts(data):
    """The lead (first five words) holds facts; a reconstructor given it learns to use it."""
    vocab, _, _, corpus = data
    from course.train import fit
    docs = S.documents(corpus.train, vocab)
    test, facts = S.documents(corpus.test, vocab), S.fact_mask(corpus.test)
    scores = {}
    for name, cut in (("none", 0), ("lead", 5)):
        torch.manual_seed(0)
        model = Reconstructor(len(vocab), 64)
        fit(model, (docs[:, :cut], docs), epochs=5, lr=2e-3, loss_fn=reconstruction_loss, progress=False, device="cpu")
        scores[name] = reconstruction_accuracy(model, test[:, :cut], test, facts)
    assert scores["lead"][1] > scores["none"][1] + 0.05
    assert 0 < scores["none"][1] < scores["none"][0] < 1  # facts are the hard words
    doc = rebuild(model, test[:3, :5], 12)
    assert doc.shape == (3, 12) and (doc >= len(S.SPECIALS)).all()


def test_the_widget_shows_both_summaries_and_refuses_unknown_words(data):
    vocab, _, _, corpus = data
    torch.manual_seed(0)
    models = {"a": Seq2Seq2Seq(len(vocab), 5, 16), "b": Seq2Seq2Seq(len(vocab), 5, 16)}
    widget = summary_explorer(models, vocab, corpus.test[:3])
    labels, texts = widget.figure.data[0].cells.values
    assert texts[0] == corpus.test[0].headline and all(texts)
    widget.controls[1].value = "the zebra painted the park ."
    assert "zebra" in widget.figure.data[0].cells.values[1][1]
    widget.controls[0].value = 2
    assert widget.figure.data[0].cells.values[1][0] == corpus.test[2].headline
