"""The exercises as an nbgrader assignment: release, student notebook, grading.

    python tools/exercises_course.py assignment          (make assignment)
    python tools/exercises_course.py student-notebook    (maintainers: rewrite notebooks/07)
    python tools/exercises_course.py autograde DIR       (make autograde SUBMISSIONS=DIR)

The source of truth is instructor/source/exercises/07_exercises.ipynb. nbgrader
runs in a copy of the course folder under build/course, so its gradebook and
everything it writes stay in build/ (git-ignored).

autograde reads DIR/<student_id>/07_exercises.ipynb, grades every submission,
writes build/grades.csv (nbgrader export) and one feedback HTML per student
(build/course/feedback/<student_id>/exercises/07_exercises.html), and prints one
line per student. A submission that is missing or not a notebook scores 0 and
costs nothing else. The exit status is 0 unless nbgrader itself failed.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
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


def _read_submissions(submissions: Path) -> dict[str, bytes | str]:
    """{student_id: the notebook's bytes, or a sentence saying why there is none}.

    A student's notebook is DIR/<student_id>/07_exercises.ipynb, or
    DIR/<student_id>/exercises/07_exercises.ipynb as `nbgrader collect` leaves it.
    """
    found = {}
    for folder in sorted(p for p in submissions.iterdir() if p.is_dir()):
        for path in (folder / NOTEBOOK, folder / ASSIGNMENT / NOTEBOOK):
            if path.exists():
                found[folder.name] = path.read_bytes()
                break
        else:
            found[folder.name] = f"no {NOTEBOOK} in {folder}"
    return found


def _collect(handed_in: dict[str, bytes | str], course: Path) -> dict[str, str]:
    """Write valid submissions into the course; return {student_id: problem} for the others."""
    problems = {}
    for student_id, content in handed_in.items():
        if isinstance(content, str):
            problems[student_id] = content
            continue
        try:
            notebook = nbformat.reads(content.decode("utf-8"), as_version=4)
            nbformat.validate(notebook)
        except Exception as error:  # JSON or notebook-format error: one line, score 0
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            problems[student_id] = f"not a valid notebook ({first_line.split(':')[0][:80]})"
            continue
        kept = {c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells}
        deleted = sorted(set(_graded_cells(course)) - kept)
        if deleted:
            DELETED[student_id] = deleted
        destination = course / "submitted" / student_id / ASSIGNMENT
        destination.mkdir(parents=True, exist_ok=True)
        (destination / NOTEBOOK).write_bytes(content)
    return problems


# {student_id: graded cells the submission had deleted (nbgrader puts them back)}
DELETED: dict[str, list[str]] = {}


def _graded_cells(course: Path) -> dict[str, float]:
    """{grade_id: points} of the release's graded cells."""
    from nbgrader.utils import is_grade

    release = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    return {c.metadata.nbgrader.grade_id: float(c.metadata.nbgrader.points)
            for c in release.cells if is_grade(c)}


def _cell_report(course: Path, student_id: str) -> tuple[float, float, list[str]]:
    """(score, max score, notes on the graded cells that lost points)."""
    from nbgrader.utils import determine_grade, is_grade

    expected = _graded_cells(course)
    graded = course / "autograded" / student_id / ASSIGNMENT / NOTEBOOK
    if not graded.exists():
        return 0.0, sum(expected.values()), ["not graded"]
    notebook = nbformat.read(graded, as_version=4)
    found = {c.metadata.nbgrader.grade_id: c for c in notebook.cells if is_grade(c)}
    score = 0.0
    notes = [f"{grade_id} was deleted and put back" for grade_id in DELETED.get(student_id, [])]
    for grade_id, most in expected.items():
        cell = found.get(grade_id)
        if cell is None:
            notes.append(f"{grade_id} deleted: 0")
            continue
        earned, _ = determine_grade(cell)
        score += earned or 0.0
        if (earned or 0.0) < most:
            errors = [o for o in cell.outputs if o.output_type == "error"]
            shown = " ".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs
                             if o.output_type == "display_data")
            why = errors[0].ename if errors else (
                "not done yet" if shown.startswith("Not done yet") else
                "timed out" if " did not finish in " in shown else "checks failed")  # the checker's own limit
            if any(e.ename in ("CellTimeoutError", "KeyboardInterrupt") for e in errors):
                why = "timed out"  # nbgrader interrupts a cell after Execute.timeout
            notes.append(f"{grade_id} {why}: 0 of {most:g}")
    for cell in notebook.cells:  # errors outside the graded cells cost nothing, but are named
        if cell.cell_type == "code" and not is_grade(cell):
            for output in cell.outputs:
                if output.output_type == "error" and output.ename not in ("NotImplementedError",):
                    notes.append(f"a cell of theirs raised {output.ename}, graded cells still ran")
    return score, sum(expected.values()), notes


def autograde(submissions: Path, course: Path, grades: Path, timeout: int | None = None) -> int:
    if not submissions.is_dir():
        print(f"SUBMISSIONS={submissions} is not a folder: give one with a folder per student.")
        return 2
    if not (course / "release" / ASSIGNMENT / NOTEBOOK).exists():
        assignment(course)
    handed_in = _read_submissions(submissions)  # before clearing: DIR may be build/course/submitted
    for step in ("submitted", "autograded", "feedback"):
        shutil.rmtree(course / step, ignore_errors=True)
    problems = _collect(handed_in, course)
    for student_id in problems:  # in the gradebook, so the export lists them with 0
        _nbgrader(course, "db", "student", "add", student_id)
    status = 0
    if (course / "submitted").exists():
        options = [f"--Execute.timeout={timeout}"] if timeout else []
        graded = _nbgrader(course, "autograde", ASSIGNMENT, "--force", *options)
        if graded.returncode != 0:
            sys.stderr.write(graded.stdout[-3000:] + graded.stderr[-3000:])
            print(f"nbgrader autograde failed (exit {graded.returncode}).")
            status = graded.returncode
        feedback = _nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
        if feedback.returncode != 0:
            sys.stderr.write(feedback.stdout[-3000:] + feedback.stderr[-3000:])
            print(f"nbgrader generate_feedback failed (exit {feedback.returncode}).")
            status = status or feedback.returncode
    grades.parent.mkdir(parents=True, exist_ok=True)
    exported = _nbgrader(course, "export", f"--to={grades.resolve()}")
    if exported.returncode != 0:
        sys.stderr.write(exported.stdout[-3000:] + exported.stderr[-3000:])
        print(f"nbgrader export failed (exit {exported.returncode}).")
        status = status or exported.returncode
    for student_id in handed_in:
        if student_id in problems:
            print(f"{student_id}: 0 points: {problems[student_id]}.")
            continue
        score, most, notes = _cell_report(course, student_id)
        print(f"{student_id}: {score:g} of {most:g} points" + (f" ({'; '.join(notes)})" if notes else ""))
    print(f"Grades: {grades}. Feedback: {course / 'feedback'}/<student_id>/{ASSIGNMENT}/")
    return status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["assignment", "student-notebook", "autograde"])
    parser.add_argument("submissions", nargs="?", default="")
    parser.add_argument("--timeout", type=int, help="seconds per cell (default: nbgrader_config.py)")
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
    return autograde(Path(args.submissions), course, args.grades, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
