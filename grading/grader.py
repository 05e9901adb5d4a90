"""Grade one submission: its notebook runs in a sandbox, its verdicts are computed here.

The student's cells run in order in a sandbox (grading/sandbox.py). Where the
release has a graded cell (``passed = check_softmax(my_softmax)`` then
``points(passed, out_of=2)``), the sandbox runs nothing of the student's: it
keeps the object then bound to the exercise's function name. Afterwards this
process, which never runs student code, runs the checker's battery
(``lab_utils_checks.run_checks``) on a stand-in for that function: each call
sends the case's arguments to the sandbox as .npy data, the student's function
runs there within a time limit, and its result comes back as data. The report,
the hint and the points are computed here, from the release's own cells.

So a student's cells can redefine ``check_softmax`` or ``points``, patch NumPy
or ``print``, exit, or print a fake report: none of it reaches a verdict. All
they can influence is what their function returns for the checker's inputs.
On top of that, a line that tries (grading/tamper.py) makes the exercises it
could have touched score 0, with one sentence saying so.
"""

from __future__ import annotations

import ast
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from grading import sandbox, tamper

CELL_SECONDS = 30  # a cell of the student's notebook
CALL_SECONDS = 5  # one call of a student's function by a checker
SUBMISSION_SECONDS = 600  # everything for one submission, restarts included
RESTARTS = 4  # runs of one notebook after its process was stopped or ended



# ------------------------------------------------------------------ the release


@dataclass(frozen=True)
class GradedCell:
    grade_id: str  # nbgrader's id of the graded cell, e.g. ex1_checks
    checker: str  # check_softmax ...
    function: str  # the student's function it checks, e.g. my_softmax
    points: float
    source: str  # the release's cell, shown in the feedback
    after: str | None  # grade_id of the solution cell it follows in the release

    @property
    def label(self) -> str:
        number = re.match(r"ex(\d+)", self.grade_id)
        return f"Exercise {number.group(1)}" if number else self.grade_id


@dataclass(frozen=True)
class Release:
    notebook: nbformat.NotebookNode
    graded: tuple[GradedCell, ...]

    @property
    def max_score(self) -> float:
        return sum(cell.points for cell in self.graded)

    @property
    def names(self) -> set[str]:
        """The names the graded cells call: the checkers and points."""
        return {cell.checker for cell in self.graded} | {"points"}

    def markdown(self) -> set[str]:
        return {cell.source for cell in self.notebook.cells if cell.cell_type == "markdown"}


def read_release(path: Path) -> Release:
    """The graded cells of nbgrader's release, each parsed into what it checks."""
    notebook = nbformat.read(path, as_version=4)
    graded, last_solution = [], None
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            last_solution = meta.get("grade_id")
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        calls = [node for node in ast.walk(ast.parse(cell.source)) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Name) and node.func.id.startswith("check_")]
        if len(calls) != 1 or len(calls[0].args) != 1 or not isinstance(calls[0].args[0], ast.Name):
            raise ValueError(f"graded cell {meta.get('grade_id')} does not call one checker on one "
                             "function by name (passed = check_x(my_function))")
        graded.append(GradedCell(meta["grade_id"], calls[0].func.id, calls[0].args[0].id,
                                 float(meta.get("points", 0)), cell.source, last_solution))
    return Release(notebook, tuple(graded))


# ------------------------------------------------------------------ results


@dataclass
class Exercise:
    cell: GradedCell
    earned: float = 0.0
    why: str = ""  # for make's line: "not done yet", "checks failed", "timed out", "tampered ..."
    sentence: str = ""  # shown in the feedback instead of a report, when there is no report
    report_html: str = ""
    report_text: str = ""


@dataclass
class FeedbackCell:
    kind: str  # "markdown", "code", "graded" or "raw"
    source: str
    trusted: bool = False  # markdown that is the release's own (its math is rendered)
    outputs: list = field(default_factory=list)
    note: str = ""  # one sentence under the cell (stopped, skipped, put back)
    grade_id: str | None = None  # a graded cell's id, or the submission's nbgrader id of a cell
    exercise: Exercise | None = None


@dataclass
class Result:
    exercises: list[Exercise]
    cells: list[FeedbackCell]
    notes: list[str]  # for make's line, besides the exercises' own

    @property
    def score(self) -> float:
        return sum(exercise.earned for exercise in self.exercises)


# ------------------------------------------------------------------ the plan


def _plan(notebook, release: Release):
    """(cells to run, cells for the feedback, notes): the release's graded cells in place of
    the submission's, put back where they were deleted."""
    by_id = {cell.grade_id: cell for cell in release.graded}
    seen, notes, feedback = set(), [], []
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if grade_id in by_id and cell.get("cell_type") == "code":
            if grade_id in seen:
                continue  # a copy of a graded cell: the first one is graded
            seen.add(grade_id)
            if source.strip() != by_id[grade_id].source.strip():
                notes.append(f"{grade_id} was changed and put back")
            feedback.append(FeedbackCell("graded", by_id[grade_id].source, grade_id=grade_id))
            continue
        kind = cell.get("cell_type")
        feedback.append(FeedbackCell(kind if kind in ("markdown", "code") else "raw", source,
                                     grade_id=grade_id if isinstance(grade_id, str) else None))
    for graded in release.graded:  # deleted graded cells go back after their exercise
        if graded.grade_id in seen:
            continue
        notes.append(f"{graded.grade_id} was deleted and put back")
        position = next((i + 1 for i, c in enumerate(feedback)
                         if graded.after and c.kind == "code" and c.grade_id == graded.after), None)
        feedback.insert(len(feedback) if position is None else position,
                        FeedbackCell("graded", graded.source, grade_id=graded.grade_id))
    release_markdown = release.markdown()
    run = []
    for index, cell in enumerate(feedback):
        if cell.kind == "markdown":
            cell.trusted = cell.source in release_markdown
        elif cell.kind == "code" and cell.source.strip():
            run.append({"kind": "code", "index": index, "source": cell.source})
        elif cell.kind == "graded":
            graded = by_id[cell.grade_id]
            run.append({"kind": "capture", "index": index, "grade_id": graded.grade_id,
                        "name": graded.function})
    return run, feedback, notes


# ------------------------------------------------------------------ the stand-in function


class _Stopped(BaseException):
    """A call of the student's function ran out of time or lost its sandbox.

    A BaseException, so that it passes through the checker's ``except Exception``
    and ends the battery: the verdict is then this module's own sentence.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_EXCEPTIONS = {cls.__name__: cls for cls in (
    NotImplementedError, NameError, TypeError, ValueError, IndexError, KeyError, ZeroDivisionError,
    OverflowError, FloatingPointError, AttributeError, RecursionError, RuntimeError,
    ArithmeticError, LookupError)}
_EXCEPTIONS["AxisError"] = np.exceptions.AxisError


def _exception(error) -> Exception:
    """The student's exception, rebuilt from its description as a class of the same kind."""
    error = error if isinstance(error, dict) else {}
    kind = _EXCEPTIONS.get(str(error.get("kind")), Exception)
    name = str(error.get("type", kind.__name__))[:60]
    message = str(error.get("message", ""))[:1000]
    cls = kind if name == kind.__name__ or not name.isidentifier() else type(name, (kind,), {})
    return cls(message)


def stand_in(session: sandbox.Session, grade_id: str, captured: dict):
    """A function that calls the student's function in the sandbox and returns its result."""

    def student_function(*arguments):
        try:
            reply = session.call(grade_id, arguments)
        except TimeoutError:
            raise _Stopped("timeout") from None
        except sandbox.SandboxBroken:
            raise _Stopped("ended") from None
        except BaseException:
            session.close()  # interrupted mid-call: this sandbox's state is unknown
            raise
        try:
            for before, after in zip(arguments, reply.get("args_after") or []):
                if isinstance(before, np.ndarray) and after is not None:
                    value = sandbox.decode_value(after)
                    if isinstance(value, np.ndarray) and value.shape == before.shape:
                        before[...] = value.astype(before.dtype, copy=False)
            printed = reply.get("printed")
            if isinstance(printed, str) and printed and sys.stdout is not sys.__stdout__:
                sys.stdout.write(printed[:2000])  # a checker that shows what a call printed gets it
            for message in list(reply.get("warnings") or [])[:5]:
                warnings.warn(str(message)[:200], RuntimeWarning, stacklevel=2)
            if reply.get("timed_out") is True:
                raise _Stopped("timeout")
            if reply.get("ok") is True:
                return sandbox.decode_value(reply.get("result"))
        except (sandbox.SandboxBroken, ValueError, TypeError, KeyError) as error:
            session.close()
            raise _Stopped("ended") from error
        raise _exception(reply.get("error"))

    name = str(captured.get("name") or "")[:60]
    qualname = str(captured.get("qualname") or "")[:60]
    student_function.__name__ = name if name.isidentifier() else "<lambda>"
    student_function.__qualname__ = qualname or student_function.__name__
    return student_function


# ------------------------------------------------------------------ grading


def _check(exercise: Exercise, session: sandbox.Session | None, captured: dict | None,
           call_seconds: float) -> bool:
    """Run the exercise's battery; False when its sandbox must be started again."""
    from lab_utils_checks import run_checks

    graded = exercise.cell
    if captured is None or captured.get("missing"):
        exercise.why = "not defined"
        exercise.sentence = (f"Your notebook does not define {graded.function} before this check, "
                             f"so there was nothing to grade: keep the exercise's line "
                             f"def {graded.function}(...) as it was given.")
        return True
    if not captured.get("callable"):
        type_name = str(captured.get("type", "object"))[:60]
        function = type(type_name if type_name.isidentifier() else "object", (), {})()
    else:
        function = stand_in(session, graded.grade_id, captured)
    try:
        report = run_checks(graded.checker, function)
    except _Stopped as stopped:
        exercise.why = "timed out" if stopped.reason == "timeout" else "process ended"
        exercise.sentence = (
            f"{graded.function} ran longer than {call_seconds:g} s on one of the checks, so it was "
            "stopped: look for a loop that never ends." if stopped.reason == "timeout" else
            f"The notebook's process ended while {graded.function} was being checked (os._exit, "
            "a crash, or too much memory), so this exercise scores 0.")
        return session.alive  # stopped by its own time limit, the sandbox still answers
    exercise.report_html, exercise.report_text = report.to_html(), report.message
    if report.passed is True:
        exercise.earned = graded.points
    else:
        exercise.why = {"not_done": "not done yet", "timed_out": "timed out"}.get(report.mistake,
                                                                                 "checks failed")
    return True


def _stopped_sentence(reason: str, cell_seconds: float) -> str:
    if reason == "timeout":
        return (f"This cell ran longer than {cell_seconds:g} s, so it was stopped: look for a loop "
                "that never ends.")
    return ("This cell ended the notebook's process (os._exit, a crash, or too much memory), so it "
            "was skipped and the rest of the notebook ran without it.")


class Grading:
    """One submission's grading in two steps.

    ``prepare`` (any thread) plans the cells, finds tampering and runs the notebook in
    its sandbox. ``finish`` (the main thread) runs the checks and returns the Result.
    The checks belong in the main thread: lab_utils_checks may limit a call's time
    with SIGALRM there, and they record NumPy's warnings, which is process-wide.
    """

    def __init__(self, notebook, release: Release, scratch: Path, cell_seconds: float = CELL_SECONDS,
                 call_seconds: float = CALL_SECONDS):
        self.release, self.scratch = release, scratch
        self.cell_seconds, self.call_seconds = cell_seconds, call_seconds
        self.run, self.feedback, self.notes = _plan(notebook, release)
        self.exercises = [Exercise(cell) for cell in release.graded]
        self.skipped: dict[int, str] = {}  # cell index -> "timeout" or "ended"
        self.session: sandbox.Session | None = None
        self.progress: sandbox.Progress | None = None
        self.first_outputs: dict = {}
        self.ready = False
        self.started = time.monotonic()

    def _tampered(self) -> dict:
        """{grade_id: the first Tampering that could have changed that graded cell's verdict}."""
        graded_at = {cell["grade_id"]: position for position, cell in enumerate(self.run)
                     if cell["kind"] == "capture"}
        student_code = [(cell["index"], cell["source"]) for cell in self.run if cell["kind"] == "code"]
        position_of = {cell["index"]: position for position, cell in enumerate(self.run)}
        found = tamper.find(student_code, self.release.names)
        tampered = {}
        for exercise in self.exercises:
            for attempt in found:
                if position_of[attempt.cell] < graded_at[exercise.cell.grade_id] and \
                        attempt.name in (None, exercise.cell.checker, "points"):
                    tampered[exercise.cell.grade_id] = attempt
                    break
        return tampered

    def _start(self) -> bool:
        """Run the notebook in a new sandbox, skipping cells that ended or outran earlier runs."""
        if self.session is not None:
            self.session.close()
        for _ in range(RESTARTS + 1):
            cells = [cell for cell in self.run if cell["index"] not in self.skipped]
            self.session = sandbox.Session(cells, sandbox.make_scratch(self.scratch), self.cell_seconds,
                                           self.call_seconds)
            self.progress = self.session.run()
            if self.progress.ready:
                return True
            if self.progress.stuck is None or time.monotonic() - self.started > SUBMISSION_SECONDS:
                return False
            self.skipped[self.progress.stuck] = self.progress.stuck_reason
        return False

    def prepare(self) -> "Grading":
        self.tampered = self._tampered()
        self.ready = self._start()
        self.first_outputs = dict(self.progress.outputs) if self.progress else {}
        return self

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    def finish(self) -> Result:
        try:
            for exercise in self.exercises:
                attempt = self.tampered.get(exercise.cell.grade_id)
                if attempt is not None:
                    exercise.why = f"tampered: {attempt.what}"
                    exercise.sentence = (
                        f"{exercise.cell.label} scores 0 because your line `{attempt.line[:80]}` "
                        f"{attempt.what}, {attempt.why}.")
                    continue
                # A call the checker stopped at its own time limit closes the sandbox (its state is
                # unknown): the next exercise gets a fresh run of the notebook, not a dead process.
                alive = self.session is not None and self.session.alive
                if not (self.ready and alive) and not self._start():
                    exercise.why = "not run"
                    exercise.sentence = ("Your notebook could not be run to this exercise (its process "
                                         "kept ending or running out of time), so this exercise scores 0.")
                    continue
                self.ready = _check(exercise, self.session,
                                    self.progress.captured.get(exercise.cell.grade_id), self.call_seconds)
        finally:
            self.close()
        return self._result()

    def _result(self) -> Result:
        outputs = {**self.first_outputs, **(self.progress.outputs if self.progress else {})}
        by_grade_id = {exercise.cell.grade_id: exercise for exercise in self.exercises}
        notes, raised = list(self.notes), []
        for index, cell in enumerate(self.feedback):
            if cell.kind == "graded":
                cell.exercise = by_grade_id[cell.grade_id]
            elif index in self.skipped:
                cell.note = _stopped_sentence(self.skipped[index], self.cell_seconds)
                notes.append(f"a cell of theirs ran longer than {self.cell_seconds:g} s and was stopped"
                             if self.skipped[index] == "timeout"
                             else "a cell of theirs ended the notebook's process and was skipped")
            elif index in outputs:
                cell.outputs = outputs[index]["outputs"]
                if outputs[index]["timed_out"]:
                    cell.note = _stopped_sentence("timeout", self.cell_seconds)
                    cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
                    notes.append(f"a cell of theirs ran longer than {self.cell_seconds:g} s and was stopped")
                else:
                    raised += [str(o.get("ename", "an error"))[:40] for o in cell.outputs
                               if o.get("output_type") == "error" and o.get("ename") != "NotImplementedError"]
        notes += [f"a cell of theirs raised {name}, graded cells still ran" for name in dict.fromkeys(raised)]
        return Result(self.exercises, self.feedback, list(dict.fromkeys(notes)))


def grade(notebook, release: Release, scratch: Path, cell_seconds: float = CELL_SECONDS,
          call_seconds: float = CALL_SECONDS) -> Result:
    """Grade one notebook (already parsed) against the release, in a sandbox under ``scratch``."""
    return Grading(notebook, release, scratch, cell_seconds, call_seconds).prepare().finish()
