"""make student-repo: what students get holds the lessons and no solution anywhere."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "student_repo.py"
sys.path.insert(0, str(ROOT / "tools"))
import student_repo  # noqa: E402


def solution_lines_of_the_source() -> set[str]:
    """Every line between BEGIN/END SOLUTION in instructor/source, read here independently."""
    lines = set()
    for path in (ROOT / "instructor" / "source").rglob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S):
                lines.update(line.strip() for line in region.splitlines() if len(line.strip()) > 12)
    return lines


def every_text(folder: Path) -> dict[str, str]:
    texts = {}
    for path in folder.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            text = path.read_text(errors="replace")
            if path.suffix == ".ipynb":  # sources and outputs, decoded from JSON
                text = "\n".join(student_repo.strings(json.loads(text)))
            texts[str(path.relative_to(folder))] = text
    return texts


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("students") / "softmax-lab-students"
    run = subprocess.run([sys.executable, str(TOOL), str(folder)], capture_output=True, text=True)
    return folder, run


def test_the_student_repository_is_one_commit_with_the_lessons_and_helpers(made):
    folder, run = made
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no solution in any of them" in run.stdout
    tracked = subprocess.run(["git", "-C", str(folder), "ls-files"], capture_output=True, text=True).stdout.split()
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [f"notebooks/{name}" for name in lessons] == sorted(t for t in tracked if t.endswith(".ipynb"))
    assert {"lab_utils/lab_utils_checks.py", "Makefile", "README.md", "requirements.txt",
            "pyproject.toml", "tools/fresh_copy.py"} <= set(tracked)
    assert not [t for t in tracked if t.split("/")[0] in
                ("instructor", "tests", "grading", "hub", "deploy", "slides", "docs", "benchmarks", ".ci")]


def test_no_solution_text_is_anywhere_in_it(made):
    folder, _ = made
    solutions = solution_lines_of_the_source()
    assert len(solutions) >= 10  # the search has something to find
    found = {(name, line) for name, text in every_text(folder).items() for line in solutions if line in text}
    assert found == set()
    exercises = json.loads((folder / "notebooks" / "07_exercises.ipynb").read_text())
    assert not [c for c in exercises["cells"] if "worked-solution" in c["metadata"].get("tags", [])]
    assert "BEGIN SOLUTION" not in json.dumps(exercises)
    # Everything else of lesson 07 is the committed notebook's, stored outputs included.
    committed = json.loads((ROOT / "notebooks" / "07_exercises.ipynb").read_text())
    kept = [c for c in committed["cells"] if "worked-solution" not in c["metadata"].get("tags", [])]
    assert exercises["cells"] == kept


def test_the_check_before_committing_finds_a_planted_solution_line(made, tmp_path):
    folder, _ = made
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(folder), str(copy)], check=True)
    line = sorted(solution_lines_of_the_source())[0]
    (copy / "lab_utils" / "lab_utils_common.py").write_text(f"    {line}\n")
    assert student_repo.leaks(copy, student_repo.solution_lines()) == [f"lab_utils/lab_utils_common.py: {line}"]


def test_its_makefile_offers_only_what_is_there(made):
    folder, _ = made
    shown = subprocess.run(["make", "-s", "help"], cwd=folder, capture_output=True, text=True).stdout
    assert [line.split()[1] for line in shown.splitlines() if line.startswith("make ")] == \
        ["lab", "venv", "doctor", "fresh-copy"]
    planned = subprocess.run(["make", "-n", "lab"], cwd=folder, capture_output=True, text=True)
    assert planned.returncode == 0 and "jupyter lab" in planned.stdout


def test_making_it_again_updates_it_and_a_foreign_folder_is_refused(made, tmp_path):
    folder, _ = made
    again = subprocess.run([sys.executable, str(TOOL), str(folder)], capture_output=True, text=True)
    assert again.returncode == 0 and "already up to date" in again.stdout
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("mine")
    refused = subprocess.run([sys.executable, str(TOOL), str(tmp_path / "mine")], capture_output=True, text=True)
    assert refused.returncode == 2 and "was not made by make student-repo" in refused.stdout
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "mine"
