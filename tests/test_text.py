"""Lesson 03's text, split, tokenizer, masking and n-gram baselines (course.text), and its exercise."""

import collections
import itertools

import pytest
import torch

from course import exercises, text
from course.exercises.lesson03 import mask_words
from course.text import MASK_ID, N_SPECIAL, PAD_ID, UNK_ID


@pytest.fixture(scope="module")
def documents() -> list[text.Document]:
    return text.pydoc_documents()


@pytest.fixture(scope="module")
def corpus(documents) -> text.Corpus:
    return text.split_documents(documents, 0.2, seed=0)


@pytest.fixture(scope="module")
def vocab(corpus) -> text.Vocabulary:
    return text.Vocabulary([t for d in corpus.train for t in d.tokens()], min_count=2)


# --- tokenizer and prose --------------------------------------------------------------------

def test_tokenize_lowercases_and_splits_words_numbers_and_punctuation():
    assert text.tokenize("The object’s __init__() returns None, 3.5 times.") == [
        "the", "object's", "__init__", "(", ")", "returns", "none", ",", "3.5", "times", "."]
    assert text.tokenize('A “quoted” [MASK] word') == ["a", '"', "quoted", '"', "[MASK]", "word"]


def test_a_typed_mask_is_the_mask_token(vocab):
    assert vocab.encode(text.tokenize("the [MASK] and [mask]")) == [vocab.stoi["the"], MASK_ID, vocab.stoi["and"], MASK_ID]


def test_prose_keeps_sentences_and_drops_code_grammar_tables_and_headings():
    doc = """The "if" statement
******************

The "if" statement is used for conditional execution, and it selects
exactly one of the suites by evaluating the expressions.

   if_stmt ::= "if" assignment_expression ":" suite

   >>> x = [1, 2, 3]
   >>> x[0]

+------+------+
| a    | b    |
+------+------+

* A list item that is a sentence of its own, with enough words in it.

   x = f(a, b) + g(c[0], d[1:2])
"""
    assert text.prose_paragraphs(doc) == [
        'The "if" statement is used for conditional execution, and it selects exactly one of '
        "the suites by evaluating the expressions.",
        "A list item that is a sentence of its own, with enough words in it."]


def test_documents_are_english_prose_and_no_paragraph_is_in_two_documents(documents):
    from pydoc_data.topics import topics

    names = [n for d in documents for n in d.name.split("+")]
    assert len(names) == len(set(names)) and set(names) <= set(topics)
    where = collections.Counter(p for d in documents for p in d.paragraphs)
    assert max(where.values()) == 1
    tokens = [t for d in documents for t in d.tokens()]
    assert len(tokens) > 30_000
    share_words = sum(t[0].isalpha() for t in tokens) / len(tokens)
    assert share_words > 0.6
    assert collections.Counter(tokens).most_common(1)[0][0] in {"the", '"'}


def test_topics_that_repeat_each_other_are_one_document(documents):
    (compound,) = [d for d in documents if "compound" in d.name.split("+")]
    assert {"if", "while", "try"} <= set(compound.name.split("+"))


# --- the split: nothing held out was trained on --------------------------------------------

def test_heldout_and_training_text_do_not_overlap(corpus):
    train_names = {d.name for d in corpus.train}
    held_names = {d.name for d in corpus.heldout}
    assert train_names and held_names and not train_names & held_names
    train_topics = {n for name in train_names for n in name.split("+")}
    assert not train_topics & {n for name in held_names for n in name.split("+")}
    train_paragraphs = {p for d in corpus.train for p in d.paragraphs}
    assert not train_paragraphs & {p for d in corpus.heldout for p in d.paragraphs}


@pytest.mark.parametrize("length", [16, 32, 64])
def test_no_heldout_sequence_is_identical_to_a_training_sequence(corpus, vocab, length):
    train = {tuple(r) for r in text.to_sequences(corpus.train, vocab, length).tolist()}
    held = [tuple(r) for r in text.to_sequences(corpus.heldout, vocab, length).tolist()]
    assert held and not train & set(held)


def test_split_holds_out_about_the_asked_share_and_is_deterministic(documents, corpus):
    count = lambda docs: sum(len(d.tokens()) for d in docs)
    share = count(corpus.heldout) / (count(corpus.heldout) + count(corpus.train))
    assert 0.17 < share <= 0.2
    again = text.split_documents(list(reversed(documents)), 0.2, seed=0)
    assert {d.name for d in again.heldout} == {d.name for d in corpus.heldout}
    other = text.split_documents(documents, 0.2, seed=1)
    assert {d.name for d in other.heldout} != {d.name for d in corpus.heldout}
    assert "held-out documents" in repr(corpus)


# --- vocabulary and sequences ---------------------------------------------------------------

def test_vocabulary_comes_from_training_text_only():
    vocab = text.Vocabulary("the cat sat on the mat the cat".split(), min_count=2)
    assert vocab.itos == [*text.SPECIALS, "the", "cat"]
    assert vocab.encode(["the", "dog", "cat"]) == [3, UNK_ID, 4]
    assert vocab.decode([4, 3]) == ["cat", "the"] and len(vocab) == 5


def test_heldout_words_never_seen_in_training_are_unknown(corpus, vocab):
    train_words = {t for d in corpus.train for t in d.tokens()}
    new = [t for d in corpus.heldout for t in d.tokens() if t not in train_words]
    assert new and all(i == UNK_ID for i in vocab.encode(new))


def test_sequences_are_rows_of_one_document_padded_at_its_end():
    vocab = text.Vocabulary("a b c d e".split() * 2, min_count=1)
    docs = [text.Document("x", ("a b c d e",)), text.Document("y", ("e d",))]
    rows = text.to_sequences(docs, vocab, 3, min_tokens=2)
    a, b, c, d, e = (vocab.stoi[w] for w in "abcde")
    assert rows.tolist() == [[a, b, c], [d, e, PAD_ID], [e, d, PAD_ID]]
    assert rows.dtype == torch.long
    assert text.to_sequences(docs, vocab, 4, min_tokens=2).tolist() == [[a, b, c, d], [e, d, PAD_ID, PAD_ID]]


# --- masking ----------------------------------------------------------------------------------

@pytest.fixture
def ids() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(N_SPECIAL, 1000, (400, 64), generator=g)
    ids[:, 60:] = PAD_ID
    ids[::7, 5] = UNK_ID
    return ids


def test_masking_chooses_15_percent_of_words_then_80_10_10(ids):
    inputs, chosen = text.mask_tokens(ids, 0.15, torch.Generator().manual_seed(1), vocab_size=1000)
    words = ids >= N_SPECIAL
    assert not chosen[~words].any()
    assert chosen[words].float().mean().item() == pytest.approx(0.15, abs=0.01)
    assert torch.equal(inputs[~chosen], ids[~chosen])
    before, after = ids[chosen], inputs[chosen]
    assert (after == MASK_ID).float().mean().item() == pytest.approx(0.8, abs=0.02)
    assert (after == before).float().mean().item() == pytest.approx(0.1, abs=0.015)
    swapped = after[(after != MASK_ID) & (after != before)]
    assert len(swapped) / len(after) == pytest.approx(0.1, abs=0.015)
    assert swapped.min() >= N_SPECIAL and swapped.max() < 1000


def test_masking_is_repeatable_with_a_seed_and_a_generator_advances(ids):
    a = text.mask_tokens(ids, 0.15, torch.Generator().manual_seed(5), vocab_size=1000)
    b = text.mask_tokens(ids, 0.15, torch.Generator().manual_seed(5), vocab_size=1000)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    g = torch.Generator().manual_seed(5)
    text.mask_tokens(ids, 0.15, g, vocab_size=1000)
    assert not torch.equal(text.mask_tokens(ids, 0.15, g, vocab_size=1000)[1], a[1])


def test_rate_zero_changes_nothing_and_a_masked_set_is_fixed(ids):
    inputs, chosen = text.mask_tokens(ids, 0.0, torch.Generator().manual_seed(0), vocab_size=1000)
    assert torch.equal(inputs, ids) and not chosen.any()
    m1 = text.masked_set(ids, 0.3, vocab_size=1000, seed=2)
    m2 = text.masked_set(ids, 0.3, vocab_size=1000, seed=2)
    assert torch.equal(m1.inputs, m2.inputs) and torch.equal(m1.answers, ids[m1.chosen])


# --- n-gram baselines --------------------------------------------------------------------------

@pytest.fixture
def toy():
    """A language where 'x' follows 'a' and is followed by 'b'; 'y' sits between 'c' and 'b'."""
    vocab = text.Vocabulary("a x b c y b a x b c y b z z z z z z z".split(), min_count=1)
    rows = torch.tensor([vocab.encode("a x b c y b a x b".split()),
                         vocab.encode("c y b a x b z z z".split())])
    return vocab, rows


def test_baselines_guess_the_most_frequent_word_and_the_likely_neighbour(toy):
    vocab, rows = toy
    base = text.NgramBaselines(rows, len(vocab))
    s = vocab.stoi
    row = [s["c"], MASK_ID, s["b"]]
    guesses = {m: vocab.itos[int(p.argmax())] for m, p in base.distributions(row, 1).items()}
    assert guesses == {"unigram": "b", "bigram": "y", "both neighbours": "y"}
    row = [s["a"], MASK_ID, s["b"]]
    assert vocab.itos[int(base.distributions(row, 1)["bigram"].argmax())] == "x"
    for p in base.distributions(row, 1).values():
        assert p.sum().item() == pytest.approx(1.0) and (p[N_SPECIAL:] > 0).all() and (p[:N_SPECIAL] == 0).all()


def test_baselines_back_off_when_a_neighbour_is_masked(toy):
    vocab, rows = toy
    base = text.NgramBaselines(rows, len(vocab))
    p = base.distributions([MASK_ID, MASK_ID, vocab.stoi["b"]], 1)
    assert torch.equal(p["bigram"], base.unigram) and torch.equal(p["both neighbours"], base.unigram)


def test_baseline_scores_on_a_masked_set(toy):
    vocab, rows = toy
    base = text.NgramBaselines(rows, len(vocab))
    s = vocab.stoi
    targets = torch.tensor([[s["a"], s["x"], s["b"], s["c"], s["y"], s["b"]]])
    chosen = torch.tensor([[False, True, False, False, True, False]])
    inputs = targets.masked_fill(chosen, MASK_ID)
    score = base.score(text.MaskedSet(targets, inputs, chosen, 0.3))
    assert score["unigram"][0] == 0.0 and score["bigram"][0] == 1.0 and score["both neighbours"][0] == 1.0
    assert score["both neighbours"][1] < score["bigram"][1] < score["unigram"][1]
    p_x = base.distributions(inputs[0].tolist(), 1)["bigram"][s["x"]].item()
    p_y = base.distributions(inputs[0].tolist(), 4)["bigram"][s["y"]].item()
    assert score["bigram"][1] == pytest.approx(-(torch.tensor([p_x, p_y]).log().mean().item()))


# --- the exercise -------------------------------------------------------------------------------

@pytest.fixture
def exercise():
    return exercises.get("03-bert-masking")


def test_the_reference_and_the_course_masking_pass(exercise, capsys):
    assert exercise.check(exercise.reference)
    assert exercise.check(lambda ids, rate, g, v: text.mask_tokens(ids, rate, g, vocab_size=v))
    assert capsys.readouterr().out.count("✓") == 2
    assert "0.8" in exercise.solution().code


def _all_masked(ids, rate, g, v):
    chosen = (torch.rand(ids.shape, generator=g) < rate) & (ids >= N_SPECIAL)
    return ids.masked_fill(chosen, MASK_ID), chosen


def _inverted(ids, rate, g, v):
    return mask_words(ids, 1 - rate, g, v)


def _specials_too(ids, rate, g, v):
    chosen = torch.rand(ids.shape, generator=g) < rate
    return ids.masked_fill(chosen, MASK_ID), chosen


def _in_place(ids, rate, g, v):
    inputs, chosen = mask_words(ids, rate, g, v)
    ids.copy_(inputs)
    return ids, chosen


def _random_specials(ids, rate, g, v):
    chosen = (torch.rand(ids.shape, generator=g) < rate) & (ids >= N_SPECIAL)
    u = torch.rand(ids.shape, generator=g)
    inputs = torch.where(chosen & (u < 0.8), MASK_ID, ids)
    swap = chosen & (u >= 0.8) & (u < 0.9)
    return torch.where(swap, torch.randint(0, v, ids.shape, generator=g), inputs), chosen


def _overwritten(ids, rate, g, v):
    chosen = (torch.rand(ids.shape, generator=g) < rate) & (ids >= N_SPECIAL)
    u = torch.rand(ids.shape, generator=g)
    inputs = torch.where(chosen & (u < 0.8), MASK_ID, ids)
    inputs = torch.where(chosen & (u < 0.9), torch.randint(N_SPECIAL, v, ids.shape, generator=g), inputs)
    return inputs, chosen


_calls = itertools.count()


def _own_seed(ids, rate, g, v):
    return mask_words(ids, rate, torch.Generator().manual_seed(next(_calls)), v)


@pytest.mark.parametrize("wrong, hint", [
    (_all_masked, "10% should become a random word"),
    (_inverted, "share 1 - rate"),
    (_specials_too, "never be chosen"),
    (_in_place, "in place"),
    (_random_specials, "must be a word"),
    (_overwritten, "want 80/10/10"),
    (_own_seed, "same generator seed"),
    (lambda ids, rate, g, v: ids, "two tensors"),
])
def test_wrong_masking_fails_with_a_hint(exercise, capsys, wrong, hint):
    assert not exercise.check(wrong)
    out = capsys.readouterr().out
    assert "✗" in out and hint in out
