"""What students get: a git repository with the lessons, the helpers and the unsolved exercises.

    python tools/student_repo.py DIR        (make student-repo DIR=...)

DIR becomes (or, if it already is one made by this tool, is updated as) a git
repository with one new commit. Push it where your hub can reach it and point
nbgitpuller at it: `make hub` prints the link for build/student-repo.

It holds, from this repository's tracked files: notebooks/ (the lessons, and
07_exercises with its folded worked solutions taken out), lab_utils/, the style
file, what installs the environment (requirements, environment.yml,
pyproject.toml, jupyter_config/), tools/fresh_copy.py, a Makefile with the
students' targets only (venv, lab, doctor, fresh-copy) and a short README.

It leaves out, and why:
- instructor/: the exercises' source, with every solution;
- tests/: their fixtures hold correct answers to the exercises;
- tools/ (but fresh_copy.py), benchmarks/, docs/, .ci/, CONTRIBUTING.md: for
  maintainers; mutation testing rewrites lab_utils and is of no use to a student;
- grading/: the grader (nothing secret, but nothing a student runs);
- hub/, deploy/, slides/: running a hub and presenting are the instructor's.

Before committing, every file is searched for every line of the solutions in
instructor/source (between BEGIN/END SOLUTION, and in the worked-solution
cells): one found line and nothing is committed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "instructor" / "source"
WORKED_SOLUTION_TAG = "worked-solution"
MARKER = ".softmax-lab-student-repo"  # marks a folder this tool made, so it may update it
KEPT = ("notebooks/", "lab_utils/", "jupyter_config/", "deeplearning.mplstyle", "environment.yml",
        "requirements.txt", "requirements.in", "pyproject.toml", ".gitignore", ".gitattributes",
        "tools/fresh_copy.py", "LICENSE")
STUDENT_TARGETS = ("lab", "venv", "doctor", "fresh-copy")
SOLUTION_REGION = re.compile(r"^( *)### BEGIN SOLUTION\n.*?^ *### END SOLUTION *$", re.S | re.M)
PLACEHOLDER = r"\1# YOUR CODE HERE\n\1raise NotImplementedError()"
SHORTEST_LINE = 15  # shorter solution lines ("else:") are everywhere, not a leak


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True)
    return [name for name in listed.stdout.decode().split("\0") if name]


def strings(value):
    """Every string in a JSON document (a notebook's sources and outputs)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)


def solution_lines() -> set[str]:
    """The lines of every solution in instructor/source, stripped."""
    found = set()
    for path in SOURCE.rglob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            regions = re.findall(r"### BEGIN SOLUTION\n(.*?)\n *### END SOLUTION", source, re.S)
            if WORKED_SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
                regions += re.findall(r"```python\n(.*?)```", source, re.S)
            for region in regions:
                found.update(line.strip() for line in region.splitlines()
                             if len(line.strip()) >= SHORTEST_LINE and not line.strip().startswith("#"))
    return found


def leaks(folder: Path, lines: set[str]) -> list[str]:
    """'file: line' for every solution line found in any file under ``folder`` (but .git)."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts):
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        if path.suffix == ".ipynb":
            text = "\n".join(strings(json.loads(text)))
        found += [f"{path.relative_to(folder)}: {line}" for line in sorted(lines) if line in text]
    return found


def student_notebook(text: str) -> str:
    """A notebook without worked solutions, and with any solution region replaced."""
    if WORKED_SOLUTION_TAG not in text and "### BEGIN SOLUTION" not in text:
        return text
    notebook = json.loads(text)
    notebook["cells"] = [c for c in notebook["cells"]
                         if WORKED_SOLUTION_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if "### BEGIN SOLUTION" in source:
            cell["source"] = SOLUTION_REGION.sub(PLACEHOLDER, source).splitlines(keepends=True)
            if cell.get("outputs"):
                cell["outputs"] = []
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def student_makefile(text: str) -> str:
    """The Makefile up to its instructors' part, with help naming only what is there."""
    kept = text.split("# ---------------------------------------------------------------- instructors")[0]
    lines, dropping = ["# Softmax Lab, the students' copy: `make lab` sets up .venv and starts JupyterLab."], False
    for line in kept.splitlines()[1:]:
        target = re.match(r'\s*@echo "make ([\w-]+)', line)
        if target:
            dropping = target.group(1) not in STUDENT_TARGETS
        elif not re.match(r'\s*@echo "\s', line):  # not a help line's continuation
            dropping = False
        if dropping:
            continue
        if line.startswith(".PHONY:"):
            line = ".PHONY: help " + " ".join(STUDENT_TARGETS)
        lines.append(line)
    return "\n".join(lines).rstrip() + "\n"


def lesson_titles(folder: Path) -> list[tuple[str, str]]:
    titles = []
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        heading = next((line[2:].strip() for c in cells if c["cell_type"] == "markdown"
                        for line in "".join(c["source"]).splitlines() if line.startswith("# ")), path.stem)
        titles.append((path.name, heading))
    return titles


def readme(folder: Path) -> str:
    lessons = "\n".join(f"| `notebooks/{name}` | {title} |" for name, title in lesson_titles(folder))
    return f"""# Softmax Lab

Interactive lessons on the softmax function and multiclass classification with
TensorFlow, for JupyterLab.

## Start

On your class's JupyterHub, the link your instructor gave you has already put
this folder in your home: open `notebooks/00_start_here.ipynb`.

On your own computer (Python 3.11-3.13 and `make`):

```bash
make lab     # set up .venv (first time: a few minutes), then open JupyterLab
```

`make doctor` checks the set-up and names anything missing.
`make fresh-copy NB=01` gives you a clean copy of a lesson and keeps yours aside
in `notebooks/my_copies/`.

## The lessons

| Notebook | |
| --- | --- |
{lessons}

The exercises in `07_exercises.ipynb` come unsolved: each one has a checker that
names your mistake. Your instructor may grade them.
"""


def build(folder: Path) -> list[str]:
    """Write the student files into ``folder`` (replacing what a previous build put there)."""
    for child in folder.iterdir() if folder.exists() else []:
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in tracked_files():
        if not any(name == kept or (kept.endswith("/") and name.startswith(kept)) for kept in KEPT):
            continue
        source, target = ROOT / name, folder / name
        if not source.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".ipynb"):
            target.write_text(student_notebook(source.read_text()))
        else:
            shutil.copy2(source, target)
        written.append(name)
    (folder / "Makefile").write_text(student_makefile((ROOT / "Makefile").read_text()))
    (folder / "README.md").write_text(readme(folder / "notebooks"))
    (folder / MARKER).write_text("Made by `make student-repo` from Softmax Lab; it may replace everything here.\n")
    return written + ["Makefile", "README.md"]


def git(folder: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(folder), *arguments], capture_output=True, text=True)


def source_commit() -> str:
    run = git(ROOT, "describe", "--always", "--dirty")
    return run.stdout.strip() if run.returncode == 0 else "unknown"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0]:
        print("Give the folder for the students' repository: make student-repo DIR=../softmax-lab-students")
        return 2
    folder = Path(argv[0]).resolve()
    if folder == ROOT or ROOT in folder.parents and not str(folder).startswith(str(ROOT / "build")):
        print(f"DIR={argv[0]} is inside this repository: choose a folder outside it (or under build/).")
        return 2
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        print(f"DIR={argv[0]} exists and was not made by make student-repo: give a new or empty folder.")
        return 2
    build(folder)
    found = leaks(folder, solution_lines())
    if found:
        print(f"Nothing committed: {len(found)} solution line(s) would reach students, first: {found[0]}")
        return 1
    if not (folder / ".git").exists():
        git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    if git(folder, "diff", "--cached", "--quiet").returncode == 0:
        print(f"{folder}: already up to date (branch main).")
        return 0
    committed = git(folder, "-c", "user.name=Softmax Lab", "-c", "user.email=softmax-lab@localhost",
                    "commit", "-q", "-m", f"Student materials from Softmax Lab {source_commit()}")
    if committed.returncode != 0:
        print(f"git commit failed in {folder}: {committed.stderr.strip()}")
        return 1
    files = len(git(folder, "ls-files").stdout.splitlines())
    print(f"{folder}: {files} files committed on branch main, no solution in any of them. "
          "Push it where your hub can reach it and give students its nbgitpuller link "
          "(README, 'Running a class on JupyterHub').")
    return 0


if __name__ == "__main__":
    sys.exit(main())
