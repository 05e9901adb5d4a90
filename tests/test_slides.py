"""The slide rules (tools/slide_rules.py) and what `make present` and `make slides` do with them.

The browser tests (tests/e2e/test_slides_*.py) check that the slides fit and work;
these check, fast and without a browser, what reaches a slide and what never does.
"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
import notebook_structure  # noqa: E402
import slide_rules  # noqa: E402
import slides  # noqa: E402

WIDGET = "application/vnd.jupyter.widget-view+json"


def settings_of(cell) -> dict:
    return cell.metadata.get("softmax_slides", {})


def slide_type(cell) -> str:
    return cell.metadata["slideshow"]["slide_type"]


def picture_output(width: int, height: int, widget: bool = False):
    """An output holding a PNG of the given size (only its header matters here)."""
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big")
    encoded = base64.b64encode(header + b"\x08\x06\x00\x00\x00").decode()
    data = {"text/html": f'<img src="data:image/png;base64,{encoded}" alt="a picture"/>', "text/plain": "[figure]"}
    if widget:
        data[WIDGET] = {"model_id": "m", "version_major": 2, "version_minor": 0}
    return new_output("display_data", data=data)


def made_up_lesson():
    """A small lesson with each kind of cell the rules tell apart."""
    cells = [
        new_markdown_cell("# A lesson\n\nWhat it is about."),
        new_markdown_cell("## Imports\n\nThe next cell imports everything."),
        new_code_cell(notebook_structure.KERNEL_GUARD + "import numpy as np"),
        new_code_cell("make_reproducible(0)"),
        new_markdown_cell("## Writing it\n\nEquation (1) in two lines:"),
        new_code_cell("def twice(x):\n    return 2 * x", outputs=[]),
        new_markdown_cell("Printing is not the lesson here:"),
        new_code_cell("print(twice(3))", outputs=[new_output("stream", name="stdout", text="6\n")]),
        new_markdown_cell("`np.argmax` of the result picks the class:"),
        new_code_cell("print(np.argmax([1, 3]))", outputs=[new_output("stream", name="stdout", text="1\n")]),
        new_markdown_cell("The same as a picture:"),
        new_code_cell("fig, ax = plt.subplots()\nshow_figure(fig, alt='x')", outputs=[picture_output(800, 400)]),
        new_markdown_cell("## The explorer"),
        new_code_cell("explorer = plt_softmax(my_softmax)\nexplorer", outputs=[picture_output(800, 288, widget=True)]),
        new_markdown_cell("### A scripted scenario\n\nThe presenter runs it:"),
        new_code_cell("explorer.set_z([0, 0, 0, 8])\nprint(explorer.a)",
                      outputs=[new_output("stream", name="stdout", text="[0. 0. 0. 1.]\n")]),
        new_markdown_cell("## Summary\n\n" + "\n".join(f"- Point number {k}, said at some length so that "
                                                       "it takes two lines on a slide of its own."
                                                       for k in range(12))),
        new_markdown_cell("<details><summary>Show solution</summary>\n\n```python\nreturn 42\n```\n\n</details>"),
    ]
    cells[-1].metadata["tags"] = ["worked-solution"]
    notebook = new_notebook(cells=cells)
    for position, cell in enumerate(notebook.cells):
        cell.id = f"c{position}"
    return slide_rules.apply(notebook)


def test_imports_section_navigation_worked_solutions_and_graded_checks_are_skipped():
    cells = made_up_lesson().cells
    assert [slide_type(cells[k]) for k in (1, 2, 3)] == ["skip"] * 3, "the Imports section reached a slide"
    assert slide_type(cells[17]) == "skip", "a worked solution reached a slide"
    graded = new_code_cell("check(my_softmax)")
    graded.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 2}
    skeleton = new_code_cell("def my_softmax(z):\n    # YOUR CODE HERE\n    raise NotImplementedError()")
    skeleton.metadata["nbgrader"] = {"grade": False, "solution": True}
    exercise = slide_rules.apply(new_notebook(cells=[new_markdown_cell("## Exercise"), skeleton, graded]))
    assert slide_type(exercise.cells[2]) == "skip"
    assert settings_of(exercise.cells[1]) == {"code": True}, "students must see the skeleton they fill in"


def test_code_is_shown_where_the_lesson_is_about_it_and_hidden_elsewhere():
    cells = made_up_lesson().cells
    assert settings_of(cells[5]).get("code"), "a function the lesson writes"
    assert not settings_of(cells[7]).get("code"), "a print the prose does not talk about"
    assert settings_of(cells[9]).get("code"), "the prose names np.argmax, which the code uses"
    assert settings_of(cells[11]) == {"figure": True}, "drawing code is not the lesson"
    long_code = new_code_cell("\n".join(f"value_{k} = {k}" for k in range(slide_rules.CODE_LINES_MAX + 1)))
    prose = new_markdown_cell("The cell below sets `value_0`:")
    assert not settings_of(slide_rules.apply(new_notebook(cells=[prose, long_code])).cells[1]).get("code")


def test_a_cell_that_drives_an_earlier_widget_is_a_step_whose_outputs_start_a_slide():
    cells = made_up_lesson().cells
    assert settings_of(cells[15]) == {"code": True, "step": "c13"}
    assert settings_of(cells[13]) == {"figure": True}, "the prose does not name its code"
    # The explorer's own cell is not a step, and neither is a cell that only reads a name.
    reader = new_code_cell("print(explorer.a)")
    lesson = made_up_lesson()
    lesson.cells.insert(14, reader)
    assert "step" not in settings_of(slide_rules.apply(lesson).cells[14])


def test_a_long_list_goes_on_on_the_next_slide_between_two_items():
    summary = made_up_lesson().cells[16]
    breaks = settings_of(summary)["breaks"]
    assert breaks and all(re.fullmatch(r"1\.\d+", where) for where in breaks), breaks
    # Each slide's share of the list fits a slide.
    items = [slide_rules.item_height(text) for text in slide_rules.markdown_elements(summary.source)[1].items]
    cuts = [0, *(int(where.split(".")[1]) for where in breaks), len(items)]
    for start, end in zip(cuts, cuts[1:]):
        assert sum(items[start:end]) <= slide_rules.PAGE_HEIGHT


def test_a_heading_inside_a_markdown_cell_starts_a_slide_unless_it_follows_a_heading():
    cell = new_markdown_cell("## Summary\n\nShort.\n\n### Check your understanding\n\n1. A question?\n\n"
                             "## What's next?\n### Right after a heading\n\nLesson 02.")
    breaks = settings_of(slide_rules.apply(new_notebook(cells=[cell])).cells[0])["breaks"]
    assert breaks == ["2", "4"]


def test_a_code_cell_too_tall_with_its_outputs_puts_them_on_the_next_slide():
    code = "\n".join(f"row_{k} = {k}" for k in range(12))
    printed = "".join(f"line {k}\n" for k in range(12))
    cells = [new_markdown_cell("## Rows\n\nThe cell defines `row_0`:"),
             new_code_cell(code, outputs=[new_output("stream", name="stdout", text=printed)])]
    cell = slide_rules.apply(new_notebook(cells=cells)).cells[1]
    assert settings_of(cell) == {"code": True, "apart": True}


def test_code_lines_wrap_with_a_hanging_indent_never_inside_a_word():
    columns = slide_rules.MONO_COLUMNS
    assert slide_rules.code_lines("x" * columns) == 1
    assert slide_rules.code_lines("x = " + "y " * columns) == 3
    assert slide_rules.code_lines("a\n\nb\n") == 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_lesson_hides_boilerplate_and_solutions_and_shows_its_title(path):
    notebook = nbformat.read(path, as_version=4)
    shown = [cell for cell in notebook.cells if slide_type(cell) != "skip"]
    assert shown and shown[0].source.startswith("# "), "the first slide is the lesson's title"
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith(notebook_structure.KERNEL_GUARD):
            assert slide_type(cell) == "skip", "the kernel guard reached a slide"
        if "worked-solution" in cell.metadata.get("tags", []):
            assert slide_type(cell) == "skip"
        if "## Imports" in cell.source.splitlines()[:1]:
            assert slide_type(cell) == "skip", "a slide would talk about code it hides"


# ---------------------------------------------------------------- what the two modes do with the rules
def deck_html(path: Path) -> str:
    """The deck `make slides` writes, from the stored outputs (no kernel) and the same template."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.SlidesExporter.template_name = slides.TEMPLATE
    config.SlidesExporter.extra_template_basedirs = [str(slides.TEMPLATES / "nbconvert" / "templates")]
    body, _ = SlidesExporter(config=config).from_filename(str(path), resources={"lesson_number": path.name[:2]})
    return body


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_deck_shows_the_kernel_guard_a_worked_solution_or_a_test_marker(path):
    html = deck_html(path)
    assert "Any Python but the suite" not in html and "NBVAL_" not in html
    assert "<summary>Show solution" not in html
    assert 'data-cell-id="' in html and "softmax-cell" in html


def test_the_exercise_deck_shows_each_skeleton_and_no_graded_check():
    path = ROOT / "notebooks" / "07_exercises.ipynb"
    html = deck_html(path)
    for cell in nbformat.read(path, as_version=4).cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution"):
            assert "raise NotImplementedError()" in cell.source, "an exercise ships solved"
            assert f'data-cell-id="{cell.id}"' in html
        if grading.get("grade") and not grading.get("solution"):
            assert f'data-cell-id="{cell.id}"' not in html, "a graded check reached a slide"


class Handler:
    """Enough of Voilà's request handler for the prelaunch hook: it reads xsrf_token."""

    def __init__(self):
        self.asked = 0

    @property
    def xsrf_token(self):
        self.asked += 1
        return b"token"


def test_prelaunch_sets_the_xsrf_cookie_and_turns_each_step_into_a_button():
    lesson = made_up_lesson()
    original = lesson.cells[15].source
    handler = Handler()
    slides.prelaunch(handler, lesson, str(ROOT / "notebooks"))
    assert handler.asked == 1, "without the _xsrf cookie every reload leaks a kernel (voila#1458)"
    step = lesson.cells[15]
    assert settings_of(step)["shown_source"] == original
    assert repr(original) in step.source and "ipywidgets.Button" in step.source
    compile(step.source, "<step>", "exec")
    assert lesson.cells[13].source.startswith("explorer = plt_softmax"), "only steps change"


def test_voila_listens_on_loopback_with_a_token_and_serves_only_the_slides_front_end():
    command = slides.voila_command(NOTEBOOKS[1], 8123, "secret")
    joined = " ".join(command)
    assert "--Voila.ip=127.0.0.1" in command and "--Voila.token=secret" in command
    assert "xsrf" not in joined.lower() and "disable_check" not in joined
    allowed = next(arg for arg in command if arg.startswith("--VoilaConfiguration.file_allowlist="))
    assert ".ipynb" not in allowed and ".py" not in allowed
    assert str(NOTEBOOKS[1].relative_to(ROOT)) in command
    assert not any(arg.endswith(".ipynb") for arg in slides.voila_command(ROOT / "notebooks", 8123, "s"))


def test_a_deck_runs_the_lessons_that_draw_figures_and_shows_the_others_as_stored(tmp_path, monkeypatch):
    printed = new_output("stream", name="stdout", text="loss 0.25\n")
    figures = {
        "png": new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
        "img": new_output("display_data", data={"text/html": '<img alt="a figure" src="data:image/png;base64,AA">'}),
        "widget": new_output("display_data", data={"application/vnd.jupyter.widget-view+json":
                                                   {"model_id": "1", "version_major": 2, "version_minor": 0},
                                                   "text/plain": "Canvas()"}),
    }
    text_only = new_notebook(cells=[new_markdown_cell("# Text"), new_code_cell("print(...)", outputs=[printed])])
    assert not slides.draws_figures(text_only)
    for kind, output in figures.items():
        assert slides.draws_figures(new_notebook(cells=[new_code_cell("draw()", outputs=[printed, output])])), kind

    runs = []
    monkeypatch.setattr(slides, "executed", lambda path: runs.append(path.name) or "run at presenter sizes")
    stored = tmp_path / "04_text.ipynb"
    stored.write_text(nbformat.writes(text_only))
    drawn = tmp_path / "01_drawn.ipynb"
    drawn.write_text(nbformat.writes(new_notebook(cells=[new_code_cell("draw()", outputs=[figures["png"]])])))
    assert slides.presented(stored) == stored.read_text()
    assert slides.presented(drawn) == "run at presenter sizes"
    assert runs == ["01_drawn.ipynb"]
