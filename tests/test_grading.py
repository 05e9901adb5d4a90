"""The instructors' flow, whole: release, a class downloaded from a platform, make autograde.

One synthetic class is graded once (module fixture) through tools/exercises_course.py,
as `make autograde` runs it, every submission in its own sandbox: correct answers,
typical mistakes, the three cheats of issue 25 and more, broken files, and one
submission that tries to get out of its sandbox. The tests then read make's lines,
grades.csv and the feedback pages.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "exercises_course.py"
STUDENT = ROOT / "notebooks" / "07_exercises.ipynb"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
import exercises_course  # noqa: E402
from grading import feedback, sandbox, synthetic_class  # noqa: E402
from grading.synthetic_class import CHEATS, MISTAKES, solved, with_cell  # noqa: E402

SANDBOX_PROBLEM = sandbox.sandbox_problem(Path(os.environ.get("TMPDIR", "/tmp")))
# On a developer's machine without bubblewrap these tests skip with the reason; in CI they must run.
if SANDBOX_PROBLEM is not None and os.environ.get("CI"):
    raise RuntimeError(f"CI must run the grading tests, but: {SANDBOX_PROBLEM}")
needs_sandbox = pytest.mark.skipif(SANDBOX_PROBLEM is not None, reason=f"no sandbox here: {SANDBOX_PROBLEM}")

# Everything a submission must not do, tried from inside one (paths filled in by the fixture).
ESCAPE = """
import json, os, socket
tried = {{}}
def attempt(name, action):
    try:
        action()
        tried[name] = "done"
    except Exception as error:
        tried[name] = type(error).__name__
attempt("read a sibling submission", lambda: open({sibling!r}).read())
attempt("list the submissions", lambda: os.listdir({submissions!r}))
attempt("read instructor/source", lambda: open({instructor!r}).read())
attempt("read the gradebook", lambda: open({gradebook!r}).read())
attempt("write into the submissions", lambda: open({submissions!r} + "/planted.txt", "w").write("x"))
attempt("write into lab_utils", lambda: open({lab_utils!r} + "/planted.py", "w").write("x"))
attempt("write into the repository", lambda: open({root!r} + "/planted.txt", "w").write("x"))
attempt("connect to this machine's 127.0.0.1", lambda: socket.create_connection(("127.0.0.1", {port}), 2))
attempt("connect to the internet", lambda: socket.create_connection(("1.1.1.1", 53), 2))
attempt("write its own scratch", lambda: open("mine.txt", "w").write("x"))
tried["uid"] = os.getuid()
tried["capabilities"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0]
print("ESCAPE " + json.dumps(tried))
"""
FORBIDDEN = ["read a sibling submission", "list the submissions", "read instructor/source",
             "read the gradebook", "write into the submissions", "write into lab_utils",
             "write into the repository", "connect to this machine's 127.0.0.1", "connect to the internet"]
FAKE_REPORT = ('print("All 7 checks passed for my_softmax.")\nprint("2 of 2 points")\n'
               "import os\nos._exit(0)")


class Listener:
    """A TCP server on this machine's loopback that counts who reaches it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.reached = 0
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                connection, _ = self.server.accept()
                self.reached += 1
                connection.close()
            except OSError:
                pass

    def close(self):
        self.stopping = True
        self.thread.join()
        self.server.close()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder with nbgrader's release, made once (make assignment)."""
    folder = tmp_path_factory.mktemp("course")
    exercises_course.assignment(folder)
    return folder


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, course):
    work = tmp_path_factory.mktemp("class")
    release = course / "release" / "exercises" / "07_exercises.ipynb"
    submissions = work / "download"
    submissions.mkdir()
    unsolved = nbformat.read(release, as_version=4)

    def moodle(name, student_id, notebook, folder=True, file_name="07_exercises.ipynb"):
        path = (submissions / f"{name}_{student_id}_assignsubmission_file_" / file_name if folder
                else submissions / f"{name}_{student_id}_assignsubmission_file_{file_name}")
        path.parent.mkdir(exist_ok=True)
        nbformat.write(notebook, path) if not isinstance(notebook, str) else path.write_text(notebook)
        return path

    moodle("Ada Lovelace", 101, solved(release))
    # Canvas: an older upload, then the re-upload Canvas renamed -1: the newer one counts.
    older = submissions / "lovelaceada_102_9001_07_exercises.ipynb"
    nbformat.write(unsolved, older)
    os.utime(older, (1_700_000_000, 1_700_000_000))
    nbformat.write(solved(release, {"ex2_stable_softmax": MISTAKES["ex2_stable_softmax"]}),
                   submissions / "lovelaceada_102_9002_07_exercises-1.ipynb")
    # One folder per student, named with a comma, the browser's " (1)" copy inside.
    (submissions / "Doe, Jane").mkdir()
    nbformat.write(solved(release), submissions / "Doe, Jane" / "07_exercises (1).ipynb")
    moodle('Zoë "Zo" O\'Brien', 103, unsolved, folder=False)
    for number, cheat in enumerate(CHEATS, start=200):
        moodle(cheat, number, with_cell(solved(release, unsolved=True), CHEATS[cheat]))
    moodle("correct but patches allclose", 300, with_cell(solved(release), CHEATS["allclose_always_true"],
                                                          "ex2_stable_softmax"))
    moodle("fake report then exit", 301, with_cell(solved(release, unsolved=True), FAKE_REPORT))
    moodle("raises", 302, with_cell(solved(release), 'raise RuntimeError("my own error")'))
    moodle("function loops", 303, solved(release, {"ex1_softmax": "    while True:\n        pass"}))
    moodle("cell loops", 304, with_cell(solved(release), "while True:\n    pass", "ex2_stable_softmax"))
    deleted = solved(release)
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "ex3_checks"]
    moodle("deletes a graded cell", 305, deleted)
    moodle("not json", 306, json.dumps(nbformat.writes(solved(release)))[:500])
    pdf = submissions / "Only A Pdf_307_assignsubmission_file_"
    pdf.mkdir()
    (pdf / "answers.pdf").write_bytes(b"%PDF-1.4\n")
    (submissions / "Empty Folder_308_assignsubmission_file_").mkdir()
    # The gradebook from an earlier run, with a student who is not in this download.
    (course / "gradebook.json").write_text(json.dumps({"999": {"name": "Gone Student", "score": "4"}}))
    # Pages from that earlier run: another section's student, and one graded again now.
    for folder in ("Gone_Student", "101"):
        (course / "feedback" / folder / "exercises").mkdir(parents=True, exist_ok=True)
        (course / "feedback" / folder / "exercises" / "07_exercises.html").write_text("earlier run")
        (course / "feedback" / folder / "exercises" / "stale.txt").write_text("earlier run")
    listener = Listener()
    escape = ESCAPE.format(sibling=str(submissions / "Doe, Jane" / "07_exercises (1).ipynb"),
                           submissions=str(submissions), gradebook=str(course / "gradebook.json"),
                           instructor=str(ROOT / "instructor" / "source" / "exercises" / "07_exercises.ipynb"),
                           lab_utils=str(ROOT / "lab_utils"), root=str(ROOT), port=listener.port)
    moodle("escape artist", 400, with_cell(solved(release), escape))

    grades = work / "grades.csv"
    result = subprocess.run(
        [sys.executable, str(TOOL), "autograde", str(submissions), "--course", str(course),
         "--grades", str(grades), "--timeout", "8", "--call-timeout", "2"],
        capture_output=True, text=True, cwd=ROOT)
    listener.close()
    with open(grades, newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    yield result, rows, course, submissions, listener


def score(rows, student_id):
    return float(rows[student_id]["score"]), float(rows[student_id]["max_score"])


def line_of(result, label):
    lines = [text for text in result.stdout.splitlines() if text.startswith(label + ":")
             or text.startswith(label + " (")]
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0]


def page_of(course, folder):
    return (course / "feedback" / folder / "exercises" / "07_exercises.html").read_text()


# ------------------------------------------------------------------ the whole class


@needs_sandbox
def test_autograde_exits_0_and_grades_exactly_this_download(graded_class):
    result, rows, _, _, _ = graded_class
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(rows) == {"101", "102", "Doe, Jane", "103", *map(str, range(200, 200 + len(CHEATS))),
                         *map(str, range(300, 309)), "400"}
    assert "999" not in rows  # in the gradebook from an earlier run, not in this download


@needs_sandbox
def test_a_run_keeps_other_students_pages_and_replaces_only_those_it_grades(graded_class):
    course = graded_class[2]
    assert page_of(course, "Gone_Student") == "earlier run"
    assert "earlier run" not in page_of(course, "101") and "10 of 10" in html.unescape(page_of(course, "101"))
    assert not (course / "feedback" / "101" / "exercises" / "stale.txt").exists()


@needs_sandbox
def test_a_gradebook_student_missing_from_the_download_is_named(graded_class):
    line = line_of(graded_class[0], "Gone Student")
    assert "in the gradebook from an earlier run, but nothing of theirs in" in line


@needs_sandbox
def test_grades_csv_reads_back_names_with_commas_quotes_and_accents(graded_class):
    rows = graded_class[1]
    assert rows["Doe, Jane"]["score"] == "10"
    assert rows["103"]["name"] == 'Zoë "Zo" O\'Brien'
    assert rows["Doe, Jane"]["name"] == "Doe, Jane"  # one folder per student: the folder names them
    assert rows["101"]["name"] == "Ada Lovelace" and rows["101"]["ex1_checks"] == "2"


@needs_sandbox
@pytest.mark.parametrize("student_id, expected, fragment", [
    ("101", 10.0, "Ada Lovelace (101): 10 of 10 points"),
    ("102", 7.0, "ex2_checks checks failed: 0 of 3"),
    ("Doe, Jane", 10.0, "Doe, Jane: 10 of 10 points"),
    ("103", 0.0, "ex1_checks not done yet: 0 of 2"),
    ("302", 10.0, "a cell of theirs raised RuntimeError, graded cells still ran"),
    ("303", 8.0, "ex1_checks timed out: 0 of 2"),
    ("304", 10.0, "a cell of theirs ran longer than 8 s and was stopped"),
    ("305", 10.0, "ex3_checks was deleted and put back"),
    ("306", 0.0, "0 points: 07_exercises.ipynb is not a valid notebook"),
    ("307", 0.0, "0 points: no notebook was handed in, only answers.pdf"),
    ("308", 0.0, "0 points: the submission is empty"),
])
def test_each_submission_scores_what_it_earned_with_one_line(graded_class, student_id, expected, fragment):
    result, rows, _, _, _ = graded_class
    assert score(rows, student_id) == (expected, 10.0)
    assert fragment in line_of(result, rows[student_id]["name"] or student_id)


@needs_sandbox
def test_a_call_the_checker_stops_first_costs_only_its_own_exercise(tmp_path, course, monkeypatch):
    # In a real run the checker's own limit (lab_utils_checks.CALL_SECONDS) and the sandbox's are
    # both 5 s, and either may fire first. When the checker's does, the sandbox is closed mid-call;
    # the next exercise must get a fresh run of the notebook, not "the process ended".
    import lab_utils_checks
    from grading import grader

    release_path = course / "release" / "exercises" / "07_exercises.ipynb"
    release = grader.read_release(release_path)
    notebook = solved(release_path, {"ex1_softmax": "    while True:\n        pass"})
    monkeypatch.setattr(lab_utils_checks, "CALL_SECONDS", 1.0)
    result = grader.grade(notebook, release, tmp_path / "scratch", call_seconds=4)
    earned = {e.cell.grade_id: (e.earned, e.why) for e in result.exercises}
    assert earned == {e.cell.grade_id: (0, "timed out") if e.cell.grade_id == "ex1_checks"
                      else (e.cell.points, "") for e in result.exercises}


@needs_sandbox
def test_calling_the_checkers_own_answer_earns_nothing_and_says_why(tmp_path, course):
    from grading import grader

    release_path = course / "release" / "exercises" / "07_exercises.ipynb"
    release = grader.read_release(release_path)
    notebook = solved(release_path, {"ex1_softmax": "    import lab_utils_checks\n"
                                                    "    probabilities = lab_utils_checks._softmax(z)"})
    result = grader.grade(notebook, release, tmp_path / "scratch", call_seconds=4)
    assert [(e.earned, e.why) for e in result.exercises] == \
        [(0, "tampered: uses lab_utils_checks._softmax")] * len(result.exercises)
    assert result.exercises[0].sentence == (
        "Exercise 1 scores 0 because your line `probabilities = lab_utils_checks._softmax(z)` uses "
        "lab_utils_checks._softmax, which is the checker's own answer: your function must compute it itself.")


@needs_sandbox
def test_the_newest_of_two_canvas_uploads_is_graded_and_the_line_says_so(graded_class):
    result, rows, *_ = graded_class
    assert rows["102"]["file"] == "lovelaceada_102_9002_07_exercises-1.ipynb"
    assert "2 notebooks handed in: graded 07_exercises-1.ipynb" in line_of(result, "lovelaceada")


# ------------------------------------------------------------------ tampering


@needs_sandbox
@pytest.mark.parametrize("cheat, sentence", [
    ("checkers_always_pass", "`check_softmax = check_stable_softmax = lambda fn: True` redefines check_softmax"),
    ("points_always_full", "`def points(passed, out_of):` defines points"),
    ("allclose_always_true", "`np.allclose = lambda *a, **k: True` changes np.allclose"),
    ("print_silenced", "`builtins.print = lambda *a, **k: None` changes builtins.print"),
    ("checker_internals", "`lab_utils_checks._run_case = lambda fn, case: None` changes "
                          "lab_utils_checks._run_case"),
])
def test_a_cheat_scores_0_and_make_and_the_feedback_say_so_in_one_sentence(graded_class, cheat, sentence):
    result, rows, course, _, _ = graded_class
    student_id = str(200 + list(CHEATS).index(cheat))
    assert score(rows, student_id) == (0.0, 10.0)
    line = line_of(result, cheat)
    assert re.search(r"ex1_checks(, ex\d_checks)* scores? 0 because a line (re)?defines|changes", line), line
    page = html.unescape(re.sub(r"<[^>]+>", "", page_of(course, student_id)))  # the text a reader sees
    assert f"Exercise 1 scores 0 because your line {sentence.replace('`', '')}" in page, page[:3000]
    assert "Traceback" not in page


@needs_sandbox
def test_a_cheat_the_line_finder_misses_still_earns_nothing(graded_class):
    # exec('check_softmax = lambda fn: True') is not recognised as tampering, and
    # the graded check still runs on the unsolved function: not done yet.
    result, rows, course, _, _ = graded_class
    student_id = str(200 + list(CHEATS).index("hidden_in_exec"))
    assert score(rows, student_id) == (0.0, 10.0)
    assert "ex1_checks not done yet: 0 of 2" in line_of(result, "hidden_in_exec")


@needs_sandbox
def test_correct_functions_with_a_patch_lose_the_exercises_graded_after_it(graded_class):
    result, rows, course, _, _ = graded_class
    assert score(rows, "300") == (2.0, 10.0)  # exercise 1 was graded before the patch
    assert rows["300"]["ex1_checks"] == "2" and rows["300"]["ex2_checks"] == "0"
    assert "ex2_checks, ex3_checks, ex4_checks score 0 because a line changes np.allclose" in \
        line_of(result, "correct but patches allclose")


@needs_sandbox
def test_a_printed_fake_report_and_an_exit_earn_nothing(graded_class):
    result, rows, course, _, _ = graded_class
    assert score(rows, "301") == (0.0, 10.0)
    assert "a cell of theirs ended the notebook's process and was skipped" in \
        line_of(result, "fake report then exit")
    page = html.unescape(page_of(course, "301"))
    assert "This cell ended the notebook's process" in page
    assert page.count("Not done yet:") == 2 * 4  # in the summary table and under each graded cell


# ------------------------------------------------------------------ isolation


@needs_sandbox
def test_a_submission_cannot_read_write_or_connect_outside_its_sandbox(graded_class):
    result, rows, course, submissions, listener = graded_class
    page = html.unescape(page_of(course, "400"))
    tried = json.loads(re.search(r"ESCAPE (\{.*?\})\n", page).group(1))
    assert {name: tried[name] for name in FORBIDDEN if tried[name] == "done"} == {}
    assert tried["write its own scratch"] == "done"
    assert listener.reached == 0
    assert not (submissions / "planted.txt").exists()
    assert not (ROOT / "lab_utils" / "planted.py").exists() and not (ROOT / "planted.txt").exists()
    assert tried["capabilities"] == "0000000000000000"
    if os.geteuid() == 0:
        assert tried["uid"] == 65534  # root sets the sandbox up, nobody runs the code
    # and grading it left the others alone
    assert score(rows, "400") == (10.0, 10.0) and score(rows, "101") == (10.0, 10.0)


def test_without_bwrap_nothing_is_graded_and_one_sentence_says_why(tmp_path):
    (tmp_path / "download" / "someone").mkdir(parents=True)
    run = subprocess.run(
        [sys.executable, str(TOOL), "autograde", str(tmp_path / "download"),
         "--course", str(tmp_path / "course"), "--grades", str(tmp_path / "grades.csv")],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PATH": "/nonexistent"})
    assert run.returncode == 1
    assert run.stdout.strip().splitlines() == [
        "Nothing was graded: bubblewrap (bwrap) is not installed, and submissions are never graded "
        "without isolation: install it with `sudo apt-get install bubblewrap` (make autograde does "
        "this itself when run as root)."]
    assert not (tmp_path / "grades.csv").exists() and not (tmp_path / "course" / "feedback").exists()


def test_a_bwrap_that_cannot_make_namespaces_is_named_instead_of_grading_unsandboxed(tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:/usr/bin:/bin")
    problem = sandbox.sandbox_problem(tmp_path)
    assert problem.startswith("bubblewrap could not start a sandbox here (bwrap: No permissions to create "
                              "new namespace), and submissions are never graded without isolation: allow "
                              "user namespaces")


# ------------------------------------------------------------------ feedback pages


@needs_sandbox
def test_every_student_gets_a_feedback_page_even_without_a_notebook(graded_class):
    _, rows, course, _, _ = graded_class
    folders = {p.parent.parent.name for p in (course / "feedback").glob("*/exercises/07_exercises.html")}
    assert len(folders - {"Gone_Student"}) == len(rows)  # Gone_Student's page is from an earlier run
    assert "No notebook was handed in, only answers.pdf." in page_of(course, "307")
    assert "The submission is empty." in page_of(course, "308")
    assert "is not a valid notebook" in page_of(course, "306")


@needs_sandbox
def test_feedback_shows_the_hint_and_one_plain_sentence_for_a_stopped_cell(graded_class):
    course = graded_class[2]
    assert "np.sum(e) without an axis adds up the whole batch" in html.unescape(page_of(course, "102"))
    stopped = html.unescape(page_of(course, "304"))
    assert "This cell ran longer than 8 s, so it was stopped: look for a loop that never ends." in stopped
    assert "Traceback" not in stopped and "KeyboardInterrupt" not in stopped and "CellTimeout" not in stopped
    looping = html.unescape(page_of(course, "303"))
    assert "my_softmax ran longer than 2 s on one of the checks, so it was stopped" in looping


@needs_sandbox
def test_feedback_pages_load_nothing_and_run_no_script(graded_class):
    course = graded_class[2]
    for page in (course / "feedback").glob("*/exercises/07_exercises.html"):
        text = page.read_text()
        assert "<script" not in text.lower() and "http://" not in text.replace(
            'xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in text, page


@needs_sandbox
@pytest.mark.skipif(feedback.math_problem() is not None, reason=f"{feedback.math_problem()}")
def test_feedback_equations_are_drawn_as_svg(graded_class):
    page = page_of(graded_class[2], "101")
    assert page.count("<mjx-container") >= 10 and "$$" not in page
    assert "\\log" not in page  # no TeX source left for the reader


# ------------------------------------------------------------------ the student notebook


def test_the_student_notebook_is_the_release_plus_the_folded_solutions(course):
    expected = exercises_course.student_cells(course / "release" / "exercises" / "07_exercises.ipynb")
    committed = [c for c in nbformat.read(STUDENT, as_version=4).cells
                 if not c.metadata.get("softmax_lab", {}).get("generated")]
    assert [(c.cell_type, c.source) for c in committed] == [(c.cell_type, c.source) for c in expected]
    assert [c.metadata.get("nbgrader") for c in committed] == [c.metadata.get("nbgrader") for c in expected]


def test_the_synthetic_class_cycles_through_every_kind(tmp_path, course):
    release = course / "release" / "exercises" / "07_exercises.ipynb"
    kinds = [kind for _, kind in synthetic_class.write_class(tmp_path / "class", 20, "canvas", release)]
    assert set(kinds) == {kind for kind, _ in synthetic_class.kinds(release)}
    assert len(list((tmp_path / "class").iterdir())) == 20

