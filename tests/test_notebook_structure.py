"""Every lesson notebook has the suite's shape and clean stored outputs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

import notebook_structure

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = [path.name for path in NOTEBOOKS]

# Places that would betray the machine a notebook was executed on.
MACHINE_SPECIFIC = re.compile(
    r"(/home/[^/\s]+|/Users/[^/\s]+|/root/|[A-Za-z]:\\\\Users|/tmp/ipykernel|"
    + re.escape(str(ROOT)) + r")"
)


def load(path: Path):
    return nbformat.read(path, as_version=4)


def raises_on_purpose(cell) -> bool:
    return "NBVAL_RAISES_EXCEPTION" in cell.source or "raises-exception" in cell.metadata.get("tags", [])


def authored_markdown(notebook) -> list[str]:
    return [c.source for c in notebook.cells
            if c.cell_type == "markdown" and not notebook_structure.generated_kind(c)]


def test_there_are_lessons_numbered_from_00_without_gaps():
    numbers = [int(name[:2]) for name in NAMES]
    assert numbers == list(range(len(NAMES))), NAMES
    assert len(NAMES) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_file_name_is_number_then_topic_in_words(path):
    assert notebook_structure.LESSON_NAME.match(path.name), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_kernelspec_is_the_tools_one(path):
    assert load(path).metadata["kernelspec"] == notebook_structure.KERNELSPEC


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_code_cells_were_executed_once_top_to_bottom(path):
    counts = [c.execution_count for c in load(path).cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}; refresh outputs with `make execute`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_no_stored_errors_except_cells_that_raise_on_purpose(path):
    for index, cell in enumerate(load(path).cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if raises_on_purpose(cell):
            assert errors, f"{path.name} cell {index} is marked to raise but stored no error"
        else:
            assert not errors, f"{path.name} cell {index} stored an error: {errors[0].get('ename')}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_no_stderr_in_stored_outputs(path):
    for index, cell in enumerate(load(path).cells):
        for output in cell.get("outputs", []):
            assert not (output.output_type == "stream" and output.name == "stderr"), (
                f"{path.name} cell {index} stored stderr: {output.text[:200]!r}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_outputs_hold_no_absolute_paths_or_user_names(path):
    for index, cell in enumerate(load(path).cells):
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")] + [
                value for key, value in output.get("data", {}).items()
                if key.startswith("text/") and isinstance(value, str)
            ]
            for text in texts:
                found = MACHINE_SPECIFIC.search(text)
                assert not found, f"{path.name} cell {index} output holds {found.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_every_image_has_alt_text(path):
    notebook = load(path)
    for source in authored_markdown(notebook):
        for alt in re.findall(r"!\[([^\]]*)\]\(", source):
            assert alt.strip(), f"{path.name}: a markdown image has no alt text"
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            html = data.get("text/html", "")
            for tag in re.findall(r"<img\b[^>]*>", html):
                assert re.search(r'\balt="[^"]+"', tag), (
                    f"{path.name} cell {index}: an <img> without alt text "
                    "(show figures with lab_utils_common.show_figure)"
                )
            if "image/png" in data or "image/jpeg" in data:
                pytest.fail(f"{path.name} cell {index}: a bare image output has no alt text; "
                            "use lab_utils_common.show_figure(fig, alt=...)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_lesson_has_the_suite_shape(path):
    text = "\n\n".join(authored_markdown(load(path)))
    level_one = [line for line in text.splitlines() if line.startswith("# ")]
    assert len(level_one) == 1, f"{path.name}: {len(level_one)} level-1 headings"
    for heading in ("## Overview", "## Prerequisites", "## Summary", "## What's next"):
        assert heading in text, f"{path.name} has no '{heading}' section"
    assert re.search(r"Time to learn: \d+ minutes", text), f"{path.name}: no 'Time to learn'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_every_import_is_in_one_cell(path):
    import_cells = []
    for index, cell in enumerate(load(path).cells):
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree)):
            import_cells.append(index)
    assert len(import_cells) <= 1, f"{path.name}: imports in cells {import_cells}"


def test_navigation_contents_and_slide_metadata_are_up_to_date():
    assert notebook_structure.main(["--check"]) == 0


def test_contents_in_start_here_lists_every_lesson_in_order():
    start = load(ROOT / "notebooks" / "00_start_here.ipynb")
    contents = next(c.source for c in start.cells
                    if notebook_structure.generated_kind(c) == "contents")
    linked = re.findall(r"\]\((\d\d_[a-z0-9_]+\.ipynb)\)", contents)
    assert linked == NAMES


def test_structure_check_detects_a_stale_navigation_link(tmp_path, monkeypatch):
    for path in NOTEBOOKS[:2]:
        (tmp_path / path.name).write_text(path.read_text())
    first = tmp_path / NAMES[0]
    notebook = load(first)
    notebook.cells[0].source = "[Contents](somewhere_else.ipynb)"
    nbformat.write(notebook, first)
    monkeypatch.setattr(notebook_structure, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(notebook_structure, "lessons",
                        lambda folder=tmp_path: sorted(tmp_path.glob("*.ipynb")))
    assert notebook_structure.main(["--check"]) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_every_nbval_marker_gives_its_reason_on_the_same_line(path):
    for index, cell in enumerate(load(path).cells):
        for line in cell.source.splitlines() if cell.cell_type == "code" else []:
            if "NBVAL_IGNORE_OUTPUT" in line or "NBVAL_RAISES_EXCEPTION" in line:
                assert re.search(r"NBVAL_\w+\s+-\s+\S.{5,}", line), (
                    f"{path.name} cell {index}: '{line.strip()}' needs ' - <reason>' on the same line")
            assert "NBVAL_SKIP" not in line, f"{path.name} cell {index}: NBVAL_SKIP hides a cell from CI"


LESSONS_AFTER_00 = [path for path in NOTEBOOKS if not path.name.startswith("00_")]


def kernel_guard(path: Path) -> str:
    """The lines a lesson's first code cell opens with, up to the guard's raise."""
    first = next(cell for cell in load(path).cells if cell.cell_type == "code").source
    end = first.find(") from None")
    assert first.startswith("# Any Python but the suite's own stops here") and end > 0, (
        f"{path.name}: the first code cell does not open with the kernel guard")
    return first[:end + len(") from None")]


@pytest.mark.parametrize("path", LESSONS_AFTER_00, ids=[p.name for p in LESSONS_AFTER_00])
def test_in_another_python_the_first_cell_stops_with_the_fix(path):
    import subprocess
    import sys

    # -I -S: no site-packages and no lab_utils on the path, as in a Jupyter from another Python.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", kernel_guard(path)],
                            capture_output=True, text=True, cwd=ROOT / "notebooks")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "This kernel is not the suite's Python (it has no ipympl). "
        "Fix: quit this Jupyter, then run `make lab` in the repository folder."), result.stderr


@pytest.mark.parametrize("path", LESSONS_AFTER_00, ids=[p.name for p in LESSONS_AFTER_00])
def test_in_the_suites_python_the_guard_passes(path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", kernel_guard(path)],
                            capture_output=True, text=True, cwd=ROOT / "notebooks")
    assert result.returncode == 0 and not result.stderr, result.stderr


def test_the_tool_puts_the_guard_first_and_replaces_an_older_guard():
    imports = "import numpy as np\n"
    guarded = notebook_structure.with_kernel_guard(imports)
    assert guarded == notebook_structure.KERNEL_GUARD + imports
    older = guarded.replace("run `make lab`", "run make lab")
    assert notebook_structure.with_kernel_guard(older) == guarded
    assert notebook_structure.with_kernel_guard(guarded) == guarded
