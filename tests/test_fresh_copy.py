"""tools/fresh_copy.py: a fresh lesson, the student's edits saved aside first."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import fresh_copy

ROOT = Path(__file__).resolve().parent.parent


def test_copy_aside_never_overwrites_an_earlier_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(fresh_copy, "ASIDE", tmp_path / "my_copies")
    lesson = tmp_path / "01_softmax_function.ipynb"
    lesson.write_text("first edit")
    moment = datetime(2026, 11, 25, 9, 30, 0)
    first = fresh_copy.copy_aside(lesson, now=moment)
    lesson.write_text("second edit")
    second = fresh_copy.copy_aside(lesson, now=moment)
    assert first != second
    assert first.read_text() == "first edit" and second.read_text() == "second edit"


def test_fresh_copy_restores_the_lesson_and_keeps_the_edit(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    notebooks = repo / "notebooks"
    notebooks.mkdir(parents=True)
    lesson = notebooks / "01_softmax_function.ipynb"
    lesson.write_text("the original lesson")
    for command in (["git", "init", "-q"], ["git", "add", "."],
                    ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                     "commit", "-qm", "lesson"]):
        subprocess.run(command, cwd=repo, check=True)
    monkeypatch.setattr(fresh_copy, "ROOT", repo)
    monkeypatch.setattr(fresh_copy, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(fresh_copy, "ASIDE", notebooks / "my_copies")
    lesson.write_text("a student's edited lesson")
    assert fresh_copy.main(["1"]) == 0
    saved = list((notebooks / "my_copies").glob("01_softmax_function-*.ipynb"))
    assert [p.read_text() for p in saved] == ["a student's edited lesson"]
    assert lesson.read_text() == "the original lesson"


def test_unknown_lesson_number_says_which_exist():
    try:
        fresh_copy.find_lesson("99")
    except SystemExit as stop:
        assert "00" in str(stop)
    else:
        raise AssertionError("expected a message naming the lessons")


def test_without_git_history_it_says_so_and_changes_nothing(tmp_path, monkeypatch):
    import pytest

    notebooks = tmp_path / "notebooks"  # a folder downloaded as a ZIP: no .git
    notebooks.mkdir()
    lesson = notebooks / "07_exercises.ipynb"
    lesson.write_text("a student's edited lesson")
    monkeypatch.setattr(fresh_copy, "ROOT", tmp_path)
    monkeypatch.setattr(fresh_copy, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(fresh_copy, "ASIDE", notebooks / "my_copies")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(SystemExit) as stopped:
        fresh_copy.main(["7"])
    assert str(stopped.value).startswith("No fresh copy of notebooks/07_exercises.ipynb: it comes "
                                         "from the repository's git history, and here there is none")
    assert lesson.read_text() == "a student's edited lesson"
    assert not (notebooks / "my_copies").exists()
