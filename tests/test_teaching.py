"""Issue 18: every lesson teaches the same way, and the glossary holds every term it uses.

Each lesson opens with what the learner will be able to do, its prerequisites, its time
and its key terms in English and Chinese (each in ``notebooks/glossary.md``); draws its
model (``course.diagrams``); runs a failure under "What goes wrong"; sets at least three
auto-checked exercises (predict, code, explain) whose solutions stay hidden; and ends
with take-aways and references, the lecture among them.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import jupytext
import pytest

from course import exercises
from course.notebooks import lesson_sources, notebook_dir

LESSONS = lesson_sources()
GLOSSARY = notebook_dir() / "glossary.md"
CJK = re.compile(r"[\u3400-\u9fff]")
KEY_TERMS = re.compile(r"^\*\*Key terms 关键词\*\* \(\[glossary 术语表\]\(glossary\.md\)\): (.+)$", re.M)


def glossary() -> dict[str, list[tuple[str, str]]]:
    """Rows (English, 中文) by section title ("01 Autoencoder basics")."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current and line.startswith("|") and not line.startswith(("| English", "|---")):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            assert len(cells) == 3, f"glossary row with {len(cells)} cells, not 3: {line}"
            sections[current].append((cells[0], cells[1]))
    return sections


def terms() -> dict[str, str]:
    return {en.lower(): zh for rows in glossary().values() for en, zh in rows}


def cells(py: Path) -> list:
    return jupytext.read(py).cells


def markdown(py: Path) -> list[str]:
    return [c.source for c in cells(py) if c.cell_type == "markdown"]


def section(py: Path, heading: str) -> list:
    """The cells from the ``## heading…`` cell to the next ``## `` heading."""
    out, inside = [], False
    for cell in cells(py):
        starts = cell.cell_type == "markdown" and re.search(r"^## ", cell.source, re.M)
        if starts:
            inside = bool(re.search(rf"^## {re.escape(heading)}", cell.source, re.M))
        if inside:
            out.append(cell)
    return out


def test_every_glossary_entry_has_both_languages_once():
    seen = set()
    for title, rows in glossary().items():
        assert rows, f"glossary section {title!r} is empty"
        for en, zh in rows:
            assert en and not CJK.search(en), f"{title}: English column {en!r}"
            assert CJK.search(zh), f"{title}: {en!r} has no Chinese ({zh!r})"
            assert en.lower() not in seen, f"{en!r} is in the glossary twice"
            seen.add(en.lower())


def test_glossary_sections_follow_the_lessons():
    numbers = [title[:2] for title in glossary()]
    assert numbers == sorted(numbers)
    assert {py.stem[:2] for py in LESSONS} <= set(numbers)


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_the_lesson_opens_with_goals_prerequisites_time_and_key_terms(py):
    opening = markdown(py)[0]
    for part in ("**You will be able to**", "**Prerequisites:**", "**Time:**"):
        assert part in opening, f"{py.stem}'s opening cell lacks {part}"
    assert opening.index("**You will be able to**") < opening.index("**Prerequisites:**") < opening.index("**Time:**")
    found = KEY_TERMS.search(opening)
    assert found, f"{py.stem}'s opening cell lacks the key-terms line"
    known = terms()
    for item in found.group(1).split(" · "):
        assert CJK.search(item), f"{py.stem}: key term {item!r} has no Chinese"
        # the longest glossary term the item starts with (a Chinese term may start with Latin letters)
        en = max((term for term in known if item.lower().startswith(term + " ")), key=len, default=None)
        assert en, f"{py.stem}: key term {item!r} is not in notebooks/glossary.md"
        zh = item[len(en):].strip()
        assert known[en] == zh, f"{py.stem}: {en!r} is {known[en]!r} in the glossary, not {zh!r}"


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_the_lesson_draws_its_model(py):
    code = "\n".join(c.source for c in cells(py) if c.cell_type == "code")
    assert re.search(r"from course(\.diagrams import| import .*\bdiagrams\b)", code), \
        f"{py.stem} does not use course.diagrams"
    assert re.search(r"\bflow\(", code), f"{py.stem} draws no diagram"


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_what_goes_wrong_is_run_not_told(py):
    found = section(py, "What goes wrong")
    assert found, f"{py.stem} has no section headed 'What goes wrong'"
    assert any(c.cell_type == "code" and c.source.strip() for c in found), \
        f"{py.stem}: 'What goes wrong' has no code cell to run"


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_the_lesson_ends_with_take_aways_and_references(py):
    assert section(py, "Take-aways"), f"{py.stem} has no 'Take-aways' section"
    text = "\n".join(markdown(py))
    refs = text[text.find("## References"):] if "## References" in text else ""
    assert refs, f"{py.stem} has no 'References' section"
    assert "Hung-yi Lee" in refs and "李宏毅" in refs, f"{py.stem}'s references do not name the lecture"


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_three_exercises_of_each_kind_set_in_the_lesson(py):
    chosen = exercises.for_lesson(py.stem)
    assert len(chosen) >= 3, f"{py.stem} has {len(chosen)} exercises"
    assert {"predict", "code", "explain"} <= {e.kind for e in chosen}, py.stem
    source = py.read_text(encoding="utf-8")
    for exercise in chosen:
        assert f'exercises.get("{exercise.name}")' in source, f"{exercise.name} is not set in {py.name}"
    assert section(py, "Exercises"), f"{py.stem} has no 'Exercises' section"


def test_every_checker_rejects_its_wrong_answers(capsys):
    for exercise in exercises.all_exercises().values():
        assert exercise.mistakes, f"{exercise.name} lists no wrong answer for its checker to reject"
        for wrong in exercise.mistakes:
            assert not exercise.check(wrong), f"{exercise.name} accepted a wrong answer: {wrong!r}"
        if exercise.kind == "code":
            assert exercise.check(exercise.reference), exercise.name


def _solution_lines(exercise) -> list[str]:
    if exercise.reference is not None:
        body = inspect.getsource(exercise.reference).splitlines()[1:]
        return [line.strip() for line in body
                if len(line.strip()) >= 25 and not line.strip().startswith(('"""', "#", "return"))]
    return [exercise.answer.split(". ", 1)[-1][:60]] if exercise.kind == "predict" else [exercise.answer[:60]]


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_no_solution_shows_on_the_page(py):
    source = py.read_text(encoding="utf-8")
    shown = [line for line in source.splitlines() if re.match(r"\s*[^#\s].*\.solution\(\)", line)]
    assert not shown, f"{py.stem} reveals a solution without being asked: {shown}"
    text = "\n".join(markdown(py))
    for exercise in exercises.for_lesson(py.stem):
        for line in _solution_lines(exercise):
            assert line not in text, f"{py.stem}'s markdown shows {exercise.name}'s solution: {line!r}"
