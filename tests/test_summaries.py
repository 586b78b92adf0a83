"""The generated news corpus of lesson 07 and the scores of a summary."""

import math

import pytest
import torch

from course import summaries as S
from course.data import DataIntegrityError


def test_the_corpus_is_deterministic_and_checked():
    corpus = S.load()
    assert corpus.sha256 == S.SHA256 == S.checksum(S._make())
    assert [len(p) for p in (corpus.train, corpus.headlines, corpus.fluency, corpus.test)] == list(S.N_DOCUMENTS.values())
    assert S.names() == ["news-facts"]
    with pytest.raises(KeyError, match="news-facts"):
        S.load("nope")


def test_a_changed_generator_is_noticed(monkeypatch):
    monkeypatch.setattr(S, "FILLERS", S.FILLERS[:-1] + ("something else entirely",))
    with pytest.raises(DataIntegrityError, match="differs"):
        S.load()


def test_every_document_renders_its_fact_and_the_headline_its_four_main_facts():
    for item in S.load().test:
        fact = dict(item.fact)
        words = item.tokens()
        assert all(fact[slot] in words for slot in S.SLOTS)
        assert item.headline_tokens() == [fact["agent"], fact["verb"], fact["object"], "in", fact["place"]]
        assert S.well_formed(item.headline_tokens())
        assert len(words) <= S.max_length()


def test_the_parts_are_different_documents():
    corpus = S.load()
    assert not {i.text for i in corpus.train} & {i.text for i in corpus.test}
    assert corpus.train[0].text != corpus.headlines[0].text


def test_vocabulary_round_trip_and_unknown_words():
    vocab = S.Vocabulary()
    item = S.load().train[0]
    ids = vocab.encode(item.tokens(), S.max_length())
    assert len(ids) == S.max_length() and ids[-1] == S.PAD_ID
    assert vocab.decode(ids) == item.tokens()
    with pytest.raises(KeyError, match="zebra"):
        vocab.encode(["the", "zebra"])
    with pytest.raises(ValueError):
        vocab.encode(["the"] * 30, 24)


def test_tensors_and_the_fact_mask():
    items = S.load().test[:5]
    vocab = S.Vocabulary()
    docs, heads, mask = S.documents(items, vocab), S.headlines(items, vocab), S.fact_mask(items)
    assert docs.shape == mask.shape == (5, S.max_length()) and heads.shape == (5, S.SUMMARY_WORDS)
    assert mask.sum(1).tolist() == [5] * 5  # the five fact words, each once
    assert not (mask & (docs == S.PAD_ID)).any()


def test_rouge():
    ref = "union painted library in delhi".split()
    assert S.rouge_n(ref, ref, 1) == S.rouge_n(ref, ref, 2) == 1.0
    assert S.rouge_n("delhi in library painted union".split(), ref, 1) == 1.0
    assert S.rouge_n("delhi in library painted union".split(), ref, 2) == 0.0
    # 2 of 3 summary words match, 2 of 5 reference words: F1 = 2 * (2/3) * (2/5) / (2/3 + 2/5) = 0.5
    assert S.rouge_n("union delhi tuesday".split(), ref, 1) == pytest.approx(0.5)
    assert S.rouge_n("union union union".split(), ref, 1) == pytest.approx(2 * (1 / 3) * (1 / 5) / (1 / 3 + 1 / 5))
    assert S.rouge_n([], ref, 1) == 0.0
    assert S.mean_rouge([ref, []], [ref, ref], 1) == 0.5


def test_the_bigram_model_prefers_headlines():
    corpus = S.load()
    vocab = S.Vocabulary()
    model = S.BigramModel([i.headline_tokens() for i in corpus.fluency], vocab.words)
    heads = [i.headline_tokens() for i in corpus.test]
    shuffled = [list(reversed(h)) for h in heads]
    assert model.perplexity(heads) < model.perplexity(shuffled) / 10
    # probabilities of the next word sum to one over the vocabulary and the end
    total = sum(math.exp(model.log_prob("union", w)) for w in set(vocab.words) | {S.BigramModel.END})
    assert total == pytest.approx(1.0)


def test_well_formed():
    assert S.well_formed("mayor sold park in accra".split())
    assert not S.well_formed("mayor sold park accra in".split())
    assert not S.well_formed("mayor sold park in".split())
