"""The instructors' flow, whole: nbgrader release, a synthetic class, autograde, export, feedback.

Runs tools/exercises_course.py (what `make assignment` and `make autograde` run)
in a temporary course folder, on a class with one student per case of issue 13.
"""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "exercises_course.py"
SOURCE = ROOT / "instructor" / "source" / "exercises" / "07_exercises.ipynb"
STUDENT = ROOT / "notebooks" / "07_exercises.ipynb"
sys.path.insert(0, str(ROOT / "tools"))
import exercises_course  # noqa: E402

PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"


def solutions() -> dict[str, str]:
    """grade_id -> the source's solution lines, as indented in the function."""
    found = {}
    for cell in nbformat.read(SOURCE, as_version=4).cells:
        grader = cell.metadata.get("nbgrader", {})
        if grader.get("solution"):
            body = re.search(r"\n( *)### BEGIN SOLUTION\n(.*?)\n *### END SOLUTION", cell.source, re.S)
            found[grader["grade_id"]] = body.group(2)
    return found


def solved(release: Path, mistakes: dict[str, str] | None = None):
    """The release with every placeholder replaced by the solution, or by ``mistakes[grade_id]``."""
    notebook = nbformat.read(release, as_version=4)
    answers = {**solutions(), **(mistakes or {})}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers and PLACEHOLDER in cell.source:
            cell.source = cell.source.replace(PLACEHOLDER, answers[grade_id])
    return notebook


BATCH_SUM = """    shifted = z - np.max(z, axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    probabilities = exponentials / np.sum(exponentials)"""


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    work = tmp_path_factory.mktemp("class")
    course = work / "course"
    release = exercises_course.assignment(course)
    submissions = work / "submissions"

    def hand_in(student_id, notebook=None, text=None):
        folder = submissions / student_id
        folder.mkdir(parents=True)
        if text is not None:
            (folder / "07_exercises.ipynb").write_text(text)
        else:
            nbformat.write(notebook, folder / "07_exercises.ipynb")

    hand_in("all_correct", solved(release))
    hand_in("batch_sum_mistake", solved(release, {"ex2_stable_softmax": BATCH_SUM}))
    hand_in("untouched", nbformat.read(release, as_version=4))
    raising = solved(release)
    raising.cells.insert(6, nbformat.v4.new_code_cell('raise RuntimeError("my own error")'))
    hand_in("raises", raising)
    hand_in("loops_forever", solved(release, {"ex1_softmax": "    while True:\n        pass"}))
    deleted = solved(release)
    deleted.cells = [c for c in deleted.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") != "ex3_checks"]
    hand_in("deletes_a_test_cell", deleted)
    hand_in("not_json", text=json.dumps(nbformat.writes(solved(release)))[:500])
    grades = work / "grades.csv"
    result = subprocess.run(
        [sys.executable, str(TOOL), "autograde", str(submissions), "--course", str(course),
         "--grades", str(grades), "--timeout", "8"],
        capture_output=True, text=True, cwd=ROOT)
    with open(grades) as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    return result, rows, course


def score(rows, student_id):
    return float(rows[student_id]["score"]), float(rows[student_id]["max_score"])


def test_autograde_exits_0_and_exports_every_student(graded_class):
    result, rows, _ = graded_class
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(rows) == {"all_correct", "batch_sum_mistake", "untouched", "raises",
                         "loops_forever", "deletes_a_test_cell", "not_json"}


def test_all_correct_gets_full_marks(graded_class):
    assert score(graded_class[1], "all_correct") == (10.0, 10.0)


def test_one_typical_mistake_gets_partial_marks_and_its_hint_in_the_feedback(graded_class):
    _, rows, course = graded_class
    assert score(rows, "batch_sum_mistake") == (7.0, 10.0)
    feedback = (course / "feedback" / "batch_sum_mistake" / "exercises" / "07_exercises.html").read_text()
    assert "np.sum(e) without an axis adds up the whole batch" in feedback


def test_an_untouched_release_gets_0_and_not_done_lines(graded_class):
    _, rows, course = graded_class
    assert score(rows, "untouched") == (0.0, 10.0)
    feedback = (course / "feedback" / "untouched" / "exercises" / "07_exercises.html").read_text()
    assert feedback.count("Not done yet:") == 4 and "Traceback (most recent call last)" not in feedback
    line = next(x for x in graded_class[0].stdout.splitlines() if x.startswith("untouched:"))
    assert line.count("not done yet: 0 of") == 4, line


@pytest.mark.parametrize("student_id, expected, line", [
    ("raises", 10.0, "raises: 10 of 10 points (a cell of theirs raised RuntimeError, graded cells still ran)"),
    ("loops_forever", 8.0, "ex1_checks timed out: 0 of 2"),
    ("deletes_a_test_cell", 10.0, "deletes_a_test_cell: 10 of 10 points (ex3_checks was deleted and put back)"),
    ("not_json", 0.0, "not_json: 0 points: not a valid notebook"),
])
def test_a_bad_submission_costs_only_what_it_broke_with_one_line(graded_class, student_id, expected, line):
    result, rows, _ = graded_class
    assert score(rows, student_id) == (expected, 10.0)
    lines = [text for text in result.stdout.splitlines() if text.startswith(student_id + ":")]
    assert len(lines) == 1 and line in lines[0], result.stdout


def test_the_student_notebook_is_the_release_plus_the_folded_solutions(graded_class):
    course = graded_class[2]
    expected = exercises_course.student_cells(course / "release" / "exercises" / "07_exercises.ipynb")
    committed = [c for c in nbformat.read(STUDENT, as_version=4).cells
                 if not c.metadata.get("softmax_lab", {}).get("generated")]
    assert [(c.cell_type, c.source) for c in committed] == [(c.cell_type, c.source) for c in expected]
    assert [c.metadata.get("nbgrader") for c in committed] == [c.metadata.get("nbgrader") for c in expected]
