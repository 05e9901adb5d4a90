"""The exercises as a graded assignment: release (nbgrader), student notebook, grading.

    python tools/exercises_course.py assignment          (make assignment)
    python tools/exercises_course.py student-notebook    (maintainers: rewrite notebooks/07)
    python tools/exercises_course.py autograde DIR       (make autograde SUBMISSIONS=DIR)

The source of truth is instructor/source/exercises/07_exercises.ipynb. nbgrader
makes the release in a copy of the course folder under build/course, so
everything it writes stays in build/ (git-ignored).

autograde finds each student's notebook in DIR, as Moodle or Canvas downloads
lay them out or one folder per student (grading/collect.py), and grades each in
a sandbox of its own (grading/sandbox.py) with verdicts computed outside it
(grading/grader.py). It writes build/grades.csv (Python's csv module; this run's
students only), one self-contained feedback page per student
(build/course/feedback/<student>/exercises/07_exercises.html) and one line per
student. A submission that is missing, not a notebook or broken scores 0 and
gets a feedback page saying why; nothing else is lost. Students graded in an
earlier run (build/course/gradebook.json) but absent from DIR are named. The
exit status is 0 unless no sandbox can be made here (then nothing is graded).
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
INSTRUCTOR = ROOT / "instructor"
ASSIGNMENT = "exercises"
NOTEBOOK = "07_exercises.ipynb"
STUDENT_NOTEBOOK = ROOT / "notebooks" / NOTEBOOK
WORKED_SOLUTION_TAG = "worked-solution"


def _nbgrader(course: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run nbgrader in ``course`` with this Python's bin/ first on PATH (alembic)."""
    bin_dir = str(Path(sys.executable).parent)
    environment = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
                   "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([str(Path(bin_dir) / "nbgrader"), *arguments], cwd=course, env=environment,
                          capture_output=True, text=True)


def assignment(course: Path) -> Path:
    """Copy the course folder to ``course`` and generate the release; return its notebook."""
    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    shutil.copytree(INSTRUCTOR / "source", course / "source")
    shutil.copy(INSTRUCTOR / "nbgrader_config.py", course / "nbgrader_config.py")
    result = _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = course / "release" / ASSIGNMENT / NOTEBOOK
    if result.returncode != 0 or not release.exists():
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"nbgrader generate_assignment failed (exit {result.returncode}).")
    return release


def student_cells(release: Path) -> list:
    """The release's cells with the source's folded worked solutions put back in place."""
    source = nbformat.read(INSTRUCTOR / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    released = iter(nbformat.read(release, as_version=4).cells)
    cells = []
    for cell in source.cells:
        if WORKED_SOLUTION_TAG in cell.metadata.get("tags", []):
            cells.append(copy.deepcopy(cell))
        else:
            cells.append(next(released))
    return cells


def write_student_notebook(release: Path) -> None:
    """Rewrite notebooks/07 from the release, keeping its generated navigation cells."""
    notebook = nbformat.read(STUDENT_NOTEBOOK, as_version=4)
    generated = [c for c in notebook.cells if c.metadata.get("softmax_lab", {}).get("generated")]
    top = [c for c in generated if c.metadata["softmax_lab"]["generated"] == "nav-top"]
    bottom = [c for c in generated if c.metadata["softmax_lab"]["generated"] == "nav-bottom"]
    notebook.cells = [*top, *student_cells(release), *bottom]
    nbformat.write(notebook, STUDENT_NOTEBOOK)
    print(f"Wrote {STUDENT_NOTEBOOK.relative_to(ROOT)}; refresh its outputs with `make execute NB=07`.")


# ------------------------------------------------------------------ grading


NOTEBOOK_BYTES = 20 * 2**20  # a notebook larger than this is not graded


def _read_notebook(path: Path, name: str):
    """(notebook, None), or (None, a sentence fragment saying why ``name`` cannot be graded)."""
    if path.stat().st_size > NOTEBOOK_BYTES:
        return None, f"{name} is larger than {NOTEBOOK_BYTES >> 20} MB"
    try:
        with warnings.catch_warnings():  # e.g. MissingIDFieldWarning, once per old notebook: noise here
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(path.read_bytes().decode("utf-8"), as_version=4)
        if not isinstance(notebook.get("cells"), list):
            raise ValueError("it has no list of cells")
    except UnicodeDecodeError:
        return None, f"{name} is not a notebook (it is not text)"
    except Exception as error:  # noqa: BLE001 - JSON or notebook-format error: one line, score 0
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return None, f"{name} is not a valid notebook ({first_line.split(':')[0][:80]})"
    return notebook, None


def _folder_name(student_id: str, taken: set) -> str:
    """A safe, unique folder name for a student's feedback and scratch."""
    base = re.sub(r"[^\w.@-]+", "_", student_id).strip("._") or "student"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    taken.add(name)
    return name


def _notes(submission, graded) -> list[str]:
    """What make's line says about a student, besides the score."""
    if graded is None:
        return [submission.problem]
    notes = [submission.note] if submission.note else []
    tampered: dict[str, list[str]] = {}  # what a line did -> the graded cells it costs
    for exercise in graded.exercises:
        if exercise.why.startswith("tampered"):
            tampered.setdefault(exercise.why.split(": ", 1)[1], []).append(exercise.cell.grade_id)
        elif exercise.earned < exercise.cell.points:
            notes.append(f"{exercise.cell.grade_id} {exercise.why}: 0 of {exercise.cell.points:g}")
    tampering = [f"{', '.join(grade_ids)} score{'s' * (len(grade_ids) == 1)} 0 because a line {what}"
                 for what, grade_ids in tampered.items()]
    return tampering + notes + graded.notes


def _line(submission, graded, release) -> str:
    """make's one line for a student."""
    if graded is None:
        return f"{submission.label}: 0 points: {submission.problem}."
    notes = _notes(submission, graded)
    return (f"{submission.label}: {graded.score:g} of {release.max_score:g} points"
            + (f" ({'; '.join(notes)})" if notes else ""))


def _write_grades(grades: Path, rows: list[dict], release) -> None:
    """grades.csv with Python's csv module: any name reads back exactly."""
    columns = ["student_id", "name", "score", "max_score",
               *(cell.grade_id for cell in release.graded), "file", "notes"]
    grades.parent.mkdir(parents=True, exist_ok=True)
    with open(grades, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _update_gradebook(path: Path, rows: list[dict], submissions_folder: Path) -> list[str]:
    """Add this run's students to the gradebook; return lines naming those missing from it."""
    try:
        known = json.loads(path.read_text()) if path.exists() else {}
    except ValueError:  # a damaged gradebook: this run starts a new one
        known = {}
    known = known if isinstance(known, dict) else {}
    present = {row["student_id"] for row in rows}
    missing = [f"{(entry.get('name') + ' (' + student_id + ')') if entry.get('name') else student_id}: "
               f"in the gradebook from an earlier run, but nothing of theirs in {submissions_folder} "
               f"(not in grades.csv)"
               for student_id, entry in sorted(known.items()) if student_id not in present]
    for row in rows:
        known[row["student_id"]] = {"name": row["name"], "score": row["score"]}
    path.write_text(json.dumps(known, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    return missing


def autograde(submissions: Path, course: Path, grades: Path, timeout: float | None = None,
              jobs: int | None = None, call_timeout: float | None = None) -> int:
    """Grade every submission in ``submissions``, each in a sandbox; see the module docstring."""
    from grading import collect, feedback, grader, sandbox

    if not submissions.is_dir():
        print(f"SUBMISSIONS={submissions} is not a folder: give the folder your learning platform's "
              "download unpacks to.")
        return 2
    scratch_root = course / "scratch"
    scratch_root.mkdir(parents=True, exist_ok=True)
    problem = sandbox.sandbox_problem(scratch_root)
    if problem:
        print(f"Nothing was graded: {problem}")
        return 1
    if not (course / "release" / ASSIGNMENT / NOTEBOOK).exists():
        assignment(course)
    release = grader.read_release(course / "release" / ASSIGNMENT / NOTEBOOK)
    handed_in = collect.collect(submissions, NOTEBOOK)
    feedback_root = course / "feedback"  # kept: another section graded earlier keeps its pages
    math = feedback.MathRenderer()
    taken: set = set()
    folders = {id(s): _folder_name(s.student_id, taken) for s in handed_in}
    jobs = jobs or max(1, min(2, os.cpu_count() or 1))
    print(f"Grading {len(handed_in)} submissions in {submissions}, each in its own sandbox "
          f"({jobs} at a time) ...", flush=True)

    # Up to `jobs` sandboxes run notebooks at once (threads); the checks then run here,
    # in the main thread, one submission after the other, in order.
    slots = threading.Semaphore(jobs)

    def prepare(submission):
        notebook, why = (None, submission.problem) if submission.notebook is None \
            else _read_notebook(submission.notebook, submission.notebook_name)
        if notebook is None:
            submission.problem = why
            return None
        slots.acquire()
        grading = grader.Grading(notebook, release, scratch_root / folders[id(submission)],
                                 cell_seconds=timeout or grader.CELL_SECONDS,
                                 call_seconds=call_timeout or grader.CALL_SECONDS)
        try:
            return grading.prepare()
        except BaseException:
            grading.close()
            slots.release()
            raise

    started = time.monotonic()
    results = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for submission, prepared in zip(handed_in, [pool.submit(prepare, s) for s in handed_in]):
            try:
                grading = prepared.result()
                if grading is None:
                    results.append((submission, None))
                    continue
                try:
                    results.append((submission, grading.finish()))
                finally:
                    slots.release()
                    shutil.rmtree(scratch_root / folders[id(submission)], ignore_errors=True)
            except Exception as error:  # noqa: BLE001 - a grader bug costs this submission only
                submission.problem = (f"the grader failed on it ({type(error).__name__}: "
                                      f"{str(error)[:120]}); please report this")
                results.append((submission, None))
    rows, lines = [], []
    for submission, graded in results:
        page = feedback_root / folders[id(submission)] / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
        shutil.rmtree(page.parent.parent, ignore_errors=True)  # this student's page from an earlier run
        page.parent.mkdir(parents=True, exist_ok=True)
        if graded is None:
            page.write_text(feedback.problem_page(submission.label, NOTEBOOK, submission.problem[:1].upper()
                                                  + submission.problem[1:] + ".", release.max_score))
        else:
            page.write_text(feedback.feedback_page(submission.label, NOTEBOOK, graded, release.max_score, math))
        line = _line(submission, graded, release)
        lines.append(line)
        rows.append({"student_id": submission.student_id, "name": submission.name,
                     "score": f"{graded.score:g}" if graded else "0", "max_score": f"{release.max_score:g}",
                     **{e.cell.grade_id: f"{e.earned:g}" for e in (graded.exercises if graded else [])},
                     **({} if graded else {c.grade_id: "0" for c in release.graded}),
                     "file": str(submission.notebook.relative_to(submissions)) if submission.notebook else "",
                     "notes": "; ".join(_notes(submission, graded))})
    _write_grades(grades, rows, release)
    missing = _update_gradebook(course / "gradebook.json", rows, submissions)
    for line in lines + missing:
        print(line)
    if math.problem:
        print(f"Note: {math.problem}.")
    took = time.monotonic() - started
    print(f"Graded {len(handed_in)} submissions in {took:.0f} s "
          f"({took / max(1, len(handed_in)):.1f} s each, {jobs} at a time).")
    print(f"Grades: {grades}. Feedback: {feedback_root}/<student>/{ASSIGNMENT}/")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["assignment", "student-notebook", "autograde"])
    parser.add_argument("submissions", nargs="?", default="")
    parser.add_argument("--timeout", type=float, help="seconds per cell of a submission (default 30)")
    parser.add_argument("--call-timeout", type=float,
                        help="seconds per call of a student's function by a checker (default 5)")
    parser.add_argument("--jobs", type=int, help="submissions graded at once (default: 2, or 1 on one core)")
    parser.add_argument("--course", type=Path, default=ROOT / "build" / "course")
    parser.add_argument("--grades", type=Path, default=ROOT / "build" / "grades.csv")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if args.command == "assignment":
        release = assignment(course)
        print(f"Student notebook for a graded class: {release}")
        return 0
    if args.command == "student-notebook":
        write_student_notebook(assignment(course))
        return 0
    if not args.submissions:
        print("Give the folder of submissions: make autograde SUBMISSIONS=DIR "
              f"(DIR/<student_id>/{NOTEBOOK}).")
        return 2
    return autograde(Path(args.submissions), course, args.grades, args.timeout, args.jobs,
                     args.call_timeout)


if __name__ == "__main__":
    sys.exit(main())
