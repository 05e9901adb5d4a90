"""Find each student's notebook in a folder of submissions, as learning platforms download them.

Layouts recognised (they can be mixed in one folder):

- **Moodle** (Assignment, "Download all submissions"): a folder per student named
  ``Jane Doe_12345_assignsubmission_file_`` (with or without the last ``_``), or, when
  "Download submissions in folders" is off, flat files named
  ``Jane Doe_12345_assignsubmission_file_07_exercises.ipynb``. The student id is
  Moodle's participant number (12345) and the name is "Jane Doe".
- **Canvas** ("Download Submissions"): flat files named
  ``doejane_12345_67890_07_exercises.ipynb`` (login-style name, user id, submission id,
  the file's own name), ``doejane_LATE_12345_...`` for a late one. The student id is
  Canvas's user id (12345).
- **One folder per student**, named by the student's id or name (``nbgrader collect``
  leaves ``<student_id>/exercises/07_exercises.ipynb``; a hand-made folder is often
  ``Doe, Jane/07_exercises.ipynb``). The folder's name is the student id.

Re-uploads and downloads renamed by the platform or the browser are accepted:
``07_exercises-1.ipynb``, ``07_exercises (1).ipynb``, ``07_exercises copy.ipynb``.
When a student has several notebooks, the one named like the exercise and most
recently modified is graded (a higher copy number wins a tie), and the line says so.
Hidden files, ``__MACOSX`` and ``.ipynb_checkpoints`` are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<file>.*))?$")
CANVAS = re.compile(r"^(?P<name>[^_\s]+?)(?:_LATE)?_(?P<id>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
COPY = re.compile(r"^(?P<stem>.+?)(?:-(?P<dash>\d+)| \((?P<paren>\d+)\)| copy(?: (?P<copy>\d+))?)?$")
IGNORED = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db", "desktop.ini"}
DEPTH = 3  # folders below a student's folder that are searched


@dataclass
class Submission:
    student_id: str
    name: str = ""  # the student's name when the layout gives one
    layout: str = "folder"  # "moodle", "canvas" or "folder"
    files: list[Path] = field(default_factory=list)  # every file handed in
    notebook: Path | None = None  # the one graded
    notebook_name: str = ""  # its name as the student gave it (without a platform's prefix)
    problem: str = ""  # why nothing can be graded, as a sentence fragment
    note: str = ""  # which of several notebooks was graded

    @property
    def label(self) -> str:
        return f"{self.name} ({self.student_id})" if self.name and self.name != self.student_id \
            else self.student_id


def _ignored(path: Path) -> bool:
    return any(part in IGNORED or part.startswith(".") for part in path.parts)


def _copy_number(stem: str) -> tuple[str, int]:
    match = COPY.match(stem)
    number = next((int(n) for n in match.group("dash", "paren", "copy") if n), 0)
    if match.group(0).endswith(" copy"):
        number = max(number, 1)
    return match.group("stem"), number


def _choose(submission: Submission, notebook_name: str, display_name=lambda p: p.name) -> None:
    """Pick the notebook to grade among the submission's files."""
    wanted = Path(notebook_name).stem
    notebooks = [p for p in submission.files if p.suffix.lower() == ".ipynb"]
    if not notebooks:
        if submission.files:
            names = ", ".join(sorted(display_name(p) for p in submission.files)[:5])
            submission.problem = f"no notebook was handed in, only {names}"
        else:
            submission.problem = "the submission is empty"
        return
    named = [p for p in notebooks if _copy_number(Path(display_name(p)).stem)[0] == wanted]
    candidates = named or notebooks

    def newest(path):
        return path.stat().st_mtime, _copy_number(Path(display_name(path)).stem)[1]

    submission.notebook = max(candidates, key=newest)
    submission.notebook_name = display_name(submission.notebook)
    if len(notebooks) > 1:
        submission.note = (f"{len(notebooks)} notebooks handed in: graded "
                           f"{display_name(submission.notebook)}, the newest named like the exercise"
                           if named else f"{len(notebooks)} notebooks handed in: graded "
                           f"{display_name(submission.notebook)}, the newest")
    elif not named:
        submission.note = f"graded {display_name(submission.notebook)} (named differently)"


def _files_below(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and len(relative.parts) <= DEPTH + 1 \
                and not _ignored(relative):
            found.append(path)
    return found


def collect(folder: Path, notebook_name: str) -> list[Submission]:
    """Every student's submission in ``folder``, sorted by student id."""
    students: dict[str, Submission] = {}
    platform_name: dict[Path, str] = {}  # a flat file -> its own name without the platform's prefix

    def student(student_id, name, layout):
        if student_id not in students:
            students[student_id] = Submission(student_id, name, layout)
        return students[student_id]

    for entry in sorted(folder.iterdir()):
        if _ignored(Path(entry.name)) or entry.is_symlink():
            continue
        moodle = MOODLE.match(entry.name)
        if entry.is_dir():
            if moodle:
                student(moodle["id"], moodle["name"], "moodle").files += _files_below(entry)
            else:
                # the folder is all the platform says: it names the student in both columns
                student(entry.name, entry.name, "folder").files += _files_below(entry)
            continue
        if not entry.is_file():
            continue
        canvas = CANVAS.match(entry.name)
        if moodle and moodle["file"]:
            student(moodle["id"], moodle["name"], "moodle").files.append(entry)
            platform_name[entry] = moodle["file"]
        elif canvas:
            student(canvas["id"], canvas["name"], "canvas").files.append(entry)
            platform_name[entry] = canvas["file"]
        else:  # a loose file: the student is named by the file
            stem = entry.name.rsplit(".", 1)[0] if "." in entry.name else entry.name
            student(stem, "", "file").files.append(entry)
    for submission in students.values():
        _choose(submission, notebook_name, lambda p: platform_name.get(p, p.name))
    return [students[key] for key in sorted(students)]
