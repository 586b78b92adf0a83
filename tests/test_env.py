import pytest

from course.env import SwitchError, flag, parse_switch


@pytest.mark.parametrize("value, expected", [
    ("1", True), ("true", True), ("Yes", True), (" ON ", True),
    ("0", False), ("false", False), ("NO", False), ("off", False),
    ("", False), (None, False),
])
def test_switches_parse_like_switches(value, expected):
    assert parse_switch("COURSE_OFFLINE", value) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "y", "enabled", "-1"])
def test_anything_else_is_one_clear_error(value):
    with pytest.raises(SwitchError) as info:
        parse_switch("COURSE_OFFLINE", value)
    message = str(info.value)
    assert message.startswith(f"COURSE_OFFLINE={value!r}, but it must be one of 1/true/yes/on")
    assert "\n" not in message


def test_flag_reads_the_environment_with_a_default(monkeypatch):
    monkeypatch.delenv("COURSE_SOMETHING", raising=False)
    assert flag("COURSE_SOMETHING") is False and flag("COURSE_SOMETHING", default=True) is True
    monkeypatch.setenv("COURSE_SOMETHING", "false")
    assert flag("COURSE_SOMETHING", default=True) is False
