import pytest

from course.prose import render, say


def test_numbers_are_filled_in_with_their_format():
    assert render("{n} of {total} ({share:.0%})", n=5, total=12, share=5 / 12) == "5 of 12 (42%)"


def test_a_missing_value_is_an_error():
    with pytest.raises(KeyError, match="total"):
        render("{n} of {total}", n=5)


def test_a_value_the_sentence_does_not_use_is_an_error():
    with pytest.raises(TypeError, match="spare"):
        render("{n}", n=1, spare=2)


def test_say_displays_markdown(monkeypatch):
    shown = []
    monkeypatch.setattr("course.prose.display", shown.append)
    assert say("span **{span:.1f}** decades", span=1.26) is None  # a cell ending with it shows it once
    assert [m.data for m in shown] == ["span **1.3** decades"]
