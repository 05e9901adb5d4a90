"""The grader's parts on their own, without a sandbox: layouts, the tampering finder,
what crosses the channel, and what a feedback page lets through."""

from __future__ import annotations

import base64
import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from grading import collect, feedback, grader, sandbox, tamper  # noqa: E402

NOTEBOOK = "07_exercises.ipynb"


def touch(path: Path, when: int = 1_700_000_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    os.utime(path, (when, when))
    return path


# ------------------------------------------------------------------ layouts


def test_moodle_canvas_and_per_student_folders_are_found_with_ids_and_names(tmp_path):
    touch(tmp_path / "Jane Doe_12345_assignsubmission_file_" / NOTEBOOK)
    touch(tmp_path / "Ana María_222_assignsubmission_file" / "sub" / "07_exercises (2).ipynb")
    touch(tmp_path / "Li Lei_333_assignsubmission_file_07_exercises.ipynb")
    touch(tmp_path / "doejohn_444_90001_07_exercises.ipynb", 1_700_000_000)
    touch(tmp_path / "doejohn_444_90002_07_exercises-1.ipynb", 1_700_000_100)
    touch(tmp_path / "smithann_LATE_555_90003_07_exercises.ipynb")
    touch(tmp_path / "Doe, Jim" / "exercises" / NOTEBOOK)
    touch(tmp_path / "__MACOSX" / "Doe, Jim" / NOTEBOOK)
    touch(tmp_path / "Doe, Jim" / ".ipynb_checkpoints" / "07_exercises-checkpoint.ipynb", 1_800_000_000)
    found = {s.student_id: s for s in collect.collect(tmp_path, NOTEBOOK)}
    assert set(found) == {"12345", "222", "333", "444", "555", "Doe, Jim"}
    assert (found["12345"].name, found["12345"].layout) == ("Jane Doe", "moodle")
    assert found["222"].notebook.name == "07_exercises (2).ipynb" and found["222"].note == ""
    assert (found["333"].name, found["333"].layout) == ("Li Lei", "moodle")
    assert (found["444"].name, found["444"].layout) == ("doejohn", "canvas")
    assert found["444"].notebook.name == "doejohn_444_90002_07_exercises-1.ipynb"
    assert found["444"].note == "2 notebooks handed in: graded 07_exercises-1.ipynb, the newest named like the exercise"
    assert found["555"].name == "smithann"
    assert found["Doe, Jim"].notebook == tmp_path / "Doe, Jim" / "exercises" / NOTEBOOK
    assert found["Doe, Jim"].label == "Doe, Jim" and found["12345"].label == "Jane Doe (12345)"


def test_a_newer_copy_wins_a_tie_and_an_other_notebook_only_if_nothing_is_named_like_it(tmp_path):
    touch(tmp_path / "a" / NOTEBOOK)
    touch(tmp_path / "a" / "07_exercises (1).ipynb")
    touch(tmp_path / "a" / "01_softmax_function.ipynb", 1_900_000_000)
    touch(tmp_path / "b" / "my answers.ipynb")
    touch(tmp_path / "c" / "answers.pdf")
    (tmp_path / "d").mkdir()
    found = {s.student_id: s for s in collect.collect(tmp_path, NOTEBOOK)}
    assert found["a"].notebook.name == "07_exercises (1).ipynb"
    assert found["b"].notebook.name == "my answers.ipynb" and "named differently" in found["b"].note
    assert (found["c"].notebook, found["c"].problem) == (None, "no notebook was handed in, only answers.pdf")
    assert found["d"].problem == "the submission is empty"


# ------------------------------------------------------------------ tampering


GRADED = {"check_softmax", "check_stable_softmax", "points"}


@pytest.mark.parametrize("source, what", [
    ("check_softmax = lambda fn: True", "redefines check_softmax"),
    ("def points(passed, out_of):\n    return out_of", "defines points"),
    ("np.allclose = lambda *a, **k: True", "changes np.allclose"),
    ("import numpy\nnumpy.testing.assert_allclose = print", "changes numpy.testing.assert_allclose"),
    ("import builtins as b\nb.print = len", "changes b.print"),
    ("__builtins__.print = len", "changes __builtins__.print"),
    ("print = lambda *a: None", "redefines print"),
    ("import lab_utils_checks as L\nL._run_case = None", "changes L._run_case"),
    ("from lab_utils_checks import points as check_softmax", "imports something as check_softmax"),
    ("globals()['points'] = lambda *a, **k: 2", "changes globals()['points']"),
    ("globals().update(points=1)", "changes the notebook's names with globals().update"),
    ("setattr(np, 'isclose', None)", "changes np with setattr"),
    ("import sys\nsys.modules['numpy'] = None", "changes sys.modules['numpy']"),
    ("from numpy import allclose\nallclose.__code__ = None", "changes allclose.__code__"),
    ("def f():\n    global points\n    points = max", "redefines points"),
    ("from unittest import mock\nmock.patch('numpy.allclose', print).start()", "patches numpy.allclose"),
    ("%time check_softmax = len", "redefines check_softmax"),
    ("points = functools.partial(max, 2)", "redefines points"),
    ("points, other = (lambda p, out_of: out_of), 1", "redefines points"),
    ("points = np.vectorize(lambda p, out_of: out_of)", "redefines points"),
    ("from IPython.display import display as points", "imports something as points"),
    ("from mymodule import display", "imports something as display"),
    ("import lab_utils_checks\ndef my_softmax(z):\n    return lab_utils_checks._softmax(z)",
     "uses lab_utils_checks._softmax"),
    ("from lab_utils_checks import _cross_entropy_from_logits", "uses lab_utils_checks._cross_entropy_from_logits"),
    ("import lab_utils_checks as c\nf = getattr(c, '_log' + '_softmax')", "uses getattr(c, ...)"),
])
def test_lines_that_change_how_a_notebook_is_graded_are_found(source, what):
    found = tamper.find([(7, source)], GRADED)
    assert [t.what for t in found] == [what] and found[0].cell == 7


@pytest.mark.parametrize("source", [
    "import numpy as np\nfrom lab_utils_checks import check_softmax, points",
    "def my_softmax(z):\n    max = np.max(z)\n    points = z - max\n    return np.exp(points)",
    "np.random.seed(0)\nnp.seterr(all='ignore')\nz = np.zeros(3)\nz[0] = 1",
    "passed = check_softmax(my_softmax)\npoints(passed, out_of=2)",
    "class Helper:\n    points = 3",
    "this is not python (",
    # a student's own data under a graded name, and the genuine display: no verdict can change
    "from IPython.display import display, Markdown\ndisplay(Markdown('**done**'))",
    "points = np.array([[1.0, 2.0], [3.0, 4.0]])",
    "points = [1, 2, 3]\npoints += [4]",
    "points, labels = np.zeros((4, 2)), np.arange(4)",
    "check_softmax_result: float = 0.5 * 2",
    "import lab_utils_checks\nprint(lab_utils_checks.__file__, lab_utils_checks.RTOL)",
])
def test_an_honest_cell_is_not_called_tampering(source):
    assert tamper.find([(1, source)], GRADED) == []


# ------------------------------------------------------------------ the channel


def npy(array, allow_pickle=False) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return base64.b64encode(buffer.getvalue()).decode()


def test_values_from_a_sandbox_are_rebuilt_as_data_and_never_unpickled():
    assert np.array_equal(sandbox.decode_value({"t": "nd", "npy": npy(np.arange(3.0))}), [0.0, 1.0, 2.0])
    assert sandbox.decode_value({"t": "np", "npy": npy(np.float32(2.5))}) == np.float32(2.5)
    assert repr(sandbox.decode_value({"t": "other", "type": "dict", "repr": "{1: 2}"})) == "{1: 2}"
    with pytest.raises(ValueError):  # an object array needs pickle: refused
        sandbox.decode_value({"t": "nd", "npy": npy(np.array([{}], dtype=object), allow_pickle=True)})
    for bad in ({"t": "nd", "npy": npy(np.array(["text"]))}, {"t": "int", "v": "7"}, {"t": "code"}, [1]):
        with pytest.raises(sandbox.SandboxBroken):
            sandbox.decode_value(bad)


def test_a_students_exception_comes_back_as_its_kind_with_its_message():
    error = grader._exception({"type": "AxisError", "kind": "AxisError", "message": "axis 1 is out of bounds"})
    assert isinstance(error, np.exceptions.AxisError) and str(error) == "axis 1 is out of bounds"
    own = grader._exception({"type": "MyError", "kind": "ValueError", "message": "broadcast"})
    assert isinstance(own, ValueError) and type(own).__name__ == "MyError"
    assert type(grader._exception({"type": "x; import os", "kind": "nonsense"})) is Exception


# ------------------------------------------------------------------ feedback pages


def test_a_students_markdown_and_outputs_cannot_add_markup():
    page = feedback.feedback_page("Jane", NOTEBOOK, grader.Result([], [
        grader.FeedbackCell("markdown", "<script>alert(1)</script> ![t](http://example.org/t.png)"),
        grader.FeedbackCell("code", "print(1)", outputs=[
            {"output_type": "display_data", "data": {"text/html": "<b>fake</b>", "text/plain": "<b>fake</b>"}},
            {"output_type": "stream", "name": "stdout", "text": "\x1b[31m<img src=x onerror=alert(1)>"},
            {"output_type": "display_data", "data": {"image/png": base64.b64encode(b"not a png").decode()}},
            "not even an output"]),
    ], []), 10, feedback.MathRenderer())
    assert "<script" not in page and "<b>fake" not in page and "<img" not in page and "\x1b" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;fake&lt;/b&gt;" in page
    # the release's own markdown is rendered, with harmful links defused
    assert feedback.markdown("[x](javascript:alert%281%29)", None) == '<p><a href="#harmful-link">x</a></p>\n'


@pytest.mark.skipif(feedback.math_problem() is not None, reason=f"{feedback.math_problem()}")
def test_equations_become_svg_and_code_spans_are_left_alone():
    math = feedback.MathRenderer()
    source = "The loss $-\\log a_y$, and `cost = $5`:\n\n$$a_j = \\frac{e^{z_j}}{\\sum_k e^{z_k}} \\tag{1}$$"
    math.render(feedback.equations(source))
    rendered = feedback.markdown(source, math)
    assert rendered.count("<mjx-container") == 2 and 'display="true"' in rendered
    assert "<code>cost = $5</code>" in rendered


def test_a_release_graded_cell_must_call_one_checker_on_one_function(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("points(check_softmax(f) and check_softmax(g), out_of=2)")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "ex1_checks", "points": 2}
    notebook.cells = [cell]
    nbformat.write(notebook, tmp_path / "release.ipynb")
    with pytest.raises(ValueError, match="does not call one checker on one function"):
        grader.read_release(tmp_path / "release.ipynb")
