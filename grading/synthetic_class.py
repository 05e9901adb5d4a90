"""A synthetic class of submissions, laid out as a learning platform downloads them.

    python grading/synthetic_class.py DIR [--students 30] [--layout moodle|canvas|folders]

For trying `make autograde` as an instructor would, for its timing
(docs/grading.md) and for the tests. The notebooks start from nbgrader's release
(build/course/release, made by `make assignment`) and mix correct answers,
typical mistakes, tampering and broken submissions, in a fixed cycle.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "instructor" / "source" / "exercises" / "07_exercises.ipynb"
RELEASE = ROOT / "build" / "course" / "release" / "exercises" / "07_exercises.ipynb"
PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"

# Typical mistakes, as the lines that replace a placeholder.
MISTAKES = {
    "ex1_softmax": "    probabilities = np.exp(z) / np.max(np.exp(z))",
    "ex2_stable_softmax": """    shifted = z - np.max(z, axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    probabilities = exponentials / np.sum(exponentials)""",
    "ex3_cross_entropy": """    rows = np.arange(len(probabilities))
    loss = np.log(probabilities[rows, target_class] if probabilities.ndim == 2
                  else probabilities[target_class])""",
    "ex4_cross_entropy_from_logits": """    exponentials = np.exp(logits)
    probabilities = exponentials / np.sum(exponentials, axis=-1, keepdims=True)
    picked = probabilities[target_class] if logits.ndim == 1 else probabilities[
        np.arange(len(logits)), target_class]
    loss = -np.log(picked)""",
}
CHEATS = {
    "checkers_always_pass": ("from lab_utils_checks import check_softmax\n"
                             "check_softmax = check_stable_softmax = lambda fn: True\n"
                             "check_cross_entropy = check_cross_entropy_from_logits = lambda fn: True"),
    "points_always_full": "def points(passed, out_of):\n    return out_of",
    "allclose_always_true": "np.allclose = lambda *a, **k: True",
    "print_silenced": "import builtins\nbuiltins.print = lambda *a, **k: None",
    "checker_internals": "import lab_utils_checks\nlab_utils_checks._run_case = lambda fn, case: None",
    "hidden_in_exec": "exec('check_softmax = lambda fn: True')",
}
NAMES = ["Ada Lovelace", "Doe, Jane", "Zoë Ünal", 'Sam "Sammy" O\'Brien', "李雷", "Grace Hopper",
         "José Álvarez", "Nguyễn Văn An", "Anne-Marie Smith, Jr.", "Ola Nordmann"]


def solutions() -> dict[str, str]:
    """grade_id -> the source's solution lines, as indented in the function."""
    found = {}
    for cell in nbformat.read(SOURCE, as_version=4).cells:
        grader = cell.metadata.get("nbgrader", {})
        if grader.get("solution"):
            body = re.search(r"\n( *)### BEGIN SOLUTION\n(.*?)\n *### END SOLUTION", cell.source, re.S)
            found[grader["grade_id"]] = body.group(2)
    return found


def solved(release: Path = RELEASE, answers: dict[str, str] | None = None, unsolved: bool = False):
    """The release with placeholders replaced by the solutions, or by ``answers[grade_id]``."""
    notebook = nbformat.read(release, as_version=4)
    chosen = {**({} if unsolved else solutions()), **(answers or {})}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in chosen and PLACEHOLDER in cell.source:
            cell.source = cell.source.replace(PLACEHOLDER, chosen[grade_id])
    return notebook


def with_cell(notebook, source: str, before_grade_id: str = "ex1_softmax"):
    """``notebook`` with a new code cell just before the cell ``before_grade_id``."""
    at = next(i for i, c in enumerate(notebook.cells)
              if c.metadata.get("nbgrader", {}).get("grade_id") == before_grade_id)
    notebook.cells.insert(at, nbformat.v4.new_code_cell(source))
    return notebook


def kinds(release: Path = RELEASE) -> list[tuple[str, object]]:
    """(kind, notebook or raw text) in the order a class cycles through them."""
    one_mistake = [(f"mistake_{grade_id}", solved(release, {grade_id: lines}))
                   for grade_id, lines in MISTAKES.items()]
    cheats = [(f"cheat_{name}", with_cell(solved(release, unsolved=True), source))
              for name, source in CHEATS.items()]
    deleted = solved(release)
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "ex3_checks"]
    return [
        ("correct", solved(release)),
        one_mistake[0], cheats[0],
        ("untouched", nbformat.read(release, as_version=4)),
        one_mistake[1], cheats[1],
        ("function_loops", solved(release, {"ex1_softmax": "    while True:\n        pass"})),
        one_mistake[2], cheats[2],
        ("not_json", json.dumps(nbformat.writes(solved(release)))[:400]),
        ("correct", solved(release)),
        one_mistake[3], cheats[3],
        ("cell_raises", with_cell(solved(release), 'raise RuntimeError("my own error")')),
        ("deletes_a_graded_cell", deleted),
        cheats[4],
        ("cell_loops", with_cell(solved(release), "while True:\n    pass", "ex2_stable_softmax")),
        ("exits", with_cell(solved(release), "import os\nos._exit(0)", "ex4_cross_entropy_from_logits")),
        cheats[5],
        ("pdf_only", b"%PDF-1.4 my answers\n"),
    ]


def write(folder: Path, student: int, name: str, kind: str, content, layout: str) -> Path:
    """Hand in ``content`` for one student as ``layout`` lays it out; return the file."""
    user_id = 10001 + student
    file_name = "07_exercises.pdf" if isinstance(content, bytes) else "07_exercises.ipynb"
    if student % 4 == 3:  # a re-upload the platform or the browser renamed
        file_name = file_name.replace(".", "-1." if layout == "canvas" else " (1).")
    if layout == "moodle":
        path = folder / f"{name}_{user_id}_assignsubmission_file_" / file_name
    elif layout == "canvas":
        login = re.sub(r"\W", "", name.lower()) or f"student{student}"
        path = folder / f"{login}_{user_id}_{90000 + student}_{file_name}"
    else:
        path = folder / f"{name} {student:02d}" / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        nbformat.write(content, path)
    return path


def write_class(folder: Path, students: int = 30, layout: str = "moodle",
                release: Path = RELEASE) -> list[tuple[str, str]]:
    """Write a class into ``folder`` (emptied first); return (student's name, kind) pairs."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    cycle = kinds(release)
    written = []
    for student in range(students):
        kind, content = cycle[student % len(cycle)]
        name = f"{NAMES[student % len(NAMES)]} {student:02d}" if layout != "folders" else NAMES[student % len(NAMES)]
        write(folder, student, name, kind, content, layout)
        written.append((name, kind))
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--layout", choices=["moodle", "canvas", "folders"], default="moodle")
    args = parser.parse_args(argv)
    if not RELEASE.exists():
        print("Run `make assignment` first: the class is made from its release.")
        return 2
    written = write_class(args.folder, args.students, args.layout)
    print(f"{len(written)} submissions in {args.folder} ({args.layout} layout).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
