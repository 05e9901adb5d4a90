"""What the checkers show and score: notebook 07's stored reports, points, placeholders, odd callables."""

from __future__ import annotations

import ast
import functools
import sys

import nbformat
import numpy as np
import pytest

import lab_utils_checks as checks
from lab_utils_checks import HINTS

from test_lab_utils_checks import EXERCISES, RUNNERS, still_the_placeholder


# --- notebook 07: every stored checker output is what the checker shows today


def run_cell(source, namespace):
    """Run a cell like a kernel: the value of a last bare expression is returned."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)  # noqa: S102 - the course's own notebook
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None


def bundle(value):
    return value._repr_mimebundle_() if hasattr(value, "_repr_mimebundle_") else {"text/plain": repr(value)}


def test_every_checker_output_stored_in_notebook_07_is_what_the_checker_shows(monkeypatch, capsys):
    shown = []
    monkeypatch.setattr(checks, "_in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda data, raw: shown.append(data))
    namespace = {"np": np, **{name: getattr(checks, name) for name in checks.__all__}}
    compared = 0
    for cell in nbformat.read(EXERCISES, as_version=4).cells:
        stored = [o for o in cell.get("outputs", []) if o.output_type in ("display_data", "execute_result")]
        if cell.cell_type != "code" or "import" in cell.source:
            continue
        shown.clear()
        value = run_cell(cell.source, namespace)
        if not stored:
            continue
        produced = shown + ([bundle(value)] if value is not None else [])
        assert produced == [dict(o.data) for o in stored], cell.source
        compared += len(stored)
    assert compared == 11  # two worked examples, `passed`, four graded checks with their points


# --- points for graded cells


@pytest.mark.parametrize("passed, out_of, plain, shown", [
    (True, 2, "2", "<b>2 of 2 points</b>"),
    (True, 2.5, "2.5", "<b>2.5 of 2.5 points</b>"),
    (False, 3, "0", "<b>0 of 3 points</b>"),
    # a report passed instead of report.passed: truthy, but not a pass
    (checks.run_softmax_checks(lambda z: z), 2, "0", "<b>0 of 2 points</b>"),
])
def test_points_are_out_of_only_for_a_true_from_the_checker(passed, out_of, plain, shown):
    earned = checks.points(passed, out_of)
    assert repr(earned) == plain
    assert earned._repr_mimebundle_() == {"text/plain": plain, "text/html": shown}


def test_a_correct_function_earns_the_cells_points_and_the_placeholder_none():
    assert repr(checks.points(checks.check_softmax(lambda z: np.exp(z) / np.sum(np.exp(z))), 2)) == "2"
    assert repr(checks.points(checks.check_softmax(still_the_placeholder), 2)) == "0"


# --- the placeholder report


@pytest.mark.parametrize("checker", RUNNERS)
def test_the_placeholder_report_fails_at_the_first_check_of_the_whole_battery(checker):
    report = RUNNERS[checker](still_the_placeholder)
    total = RUNNERS[checker](lambda *arguments: None).total
    assert (report.function_name, report.passed, report.total, report.failed_check) == (
        "still_the_placeholder", False, total, 1)
    assert report.hint == "" and report.details == ()


def softmax(z):  # the tests' own reference, not the checker's
    exponentials = np.exp(np.asarray(z, dtype=float) - np.max(z, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


# --- callables that are not plain functions


def softmax_with_a_temperature(z, temperature):
    raise ValueError("temperature must be positive")


def test_a_partial_function_is_called_your_function_and_its_error_reported():
    report = checks.run_softmax_checks(functools.partial(softmax_with_a_temperature, temperature=-1))
    assert report.mistake == "raised"
    assert report.headline == "Check 1 of 7 failed: your function on four different logits."
    assert "  got:      ValueError: temperature must be positive" in report.message


def made_by_a_factory():
    def softmax_with_an_axis(z, axis):  # Python names it made_by_a_factory.<locals>.softmax_with_an_axis
        return z
    return softmax_with_an_axis


def test_a_function_made_inside_another_with_a_wrong_def_line_is_told_about_arguments():
    report = checks.run_softmax_checks(made_by_a_factory())
    assert report.mistake == "raised_arguments", report.message
    assert report.headline == "Check 1 of 7 failed: softmax_with_an_axis on four different logits."


def indexes_into_the_sum(z):
    exponentials = np.exp(z)
    total = float(np.sum(exponentials))
    return exponentials / total[0]


def test_a_softmax_that_indexes_into_a_number_is_not_told_about_argument_order():
    report = checks.run_softmax_checks(indexes_into_the_sum)
    assert report.mistake == "raised", report.message
    assert "object is not subscriptable" in report.message


# --- where the report goes


def test_without_ipython_the_checker_prints_text(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "IPython", None)  # `from IPython import ...` raises ImportError
    assert checks.check_softmax(indexes_into_the_sum) is False
    assert capsys.readouterr().out.startswith("Check 1 of 7 failed: indexes_into_the_sum")


def test_in_a_shell_without_a_kernel_attribute_the_checker_prints_text(monkeypatch, capsys):
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    assert checks.check_softmax(indexes_into_the_sum) is False
    assert capsys.readouterr().out.startswith("Check 1 of 7 failed: indexes_into_the_sum")


# --- lesson 01's diagnosis of one output


def diagnose_cases():
    z = np.array([1.0, 2.0, 3.0, 4.0])
    batch = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]])
    far_apart = np.array([[1000.0, 1001.0, 1002.0, 1003.0], [0.0, 1.0, 2.0, 3.0], [-1000.0, -999.0, -998.0, -997.0]])
    large = np.array([1000.0, 1001.0, 1002.0])
    exponentials = np.exp(z)
    with np.errstate(over="ignore", invalid="ignore"):
        float32_overflow = np.exp(np.float32([89.0, 0.0])) / np.sum(np.exp(np.float32([89.0, 0.0])))
    return [
        ("correct", softmax(z), z, None),
        ("a list of the right numbers", list(softmax(z)), z, "returned_list"),
        ("None", None, z, "returned_none"),
        ("text", "0.25 0.25 0.25 0.25", z, "not_numbers"),
        ("the sum", float(np.sum(exponentials)), z, "single_number"),
        ("a row", softmax(z)[np.newaxis], z, "wrong_shape"),
        ("exponentials", exponentials, z, "no_division"),
        ("divided by the largest", exponentials / exponentials.max(), z, "other_divisor"),
        ("uniform", np.full(4, 0.25), z, "probabilities_not_softmax"),
        ("logits", z, z, "wrong_values"),
        ("nan for small logits", np.full(4, np.nan), z, "wrong_values"),
        ("no exponential: 0 / 0 for logits adding up to 0", np.full(2, np.nan), np.zeros(2),
         "no_exponential"),
        ("off by 5e-7, within the tolerance", softmax(z) + 5e-7, z, None),
        ("off by 5e-6", softmax(z) + np.array([5e-6, -5e-6, 5e-6, -5e-6]), z,
         "probabilities_not_softmax"),
        ("float32 overflow above 88", float32_overflow, np.array([89.0, 0.0]), "overflow"),
        ("nan at 88, where float32 e^z is still finite (3.4e38 is its largest)", np.full(2, np.nan),
         np.array([88.0, 0.0]), "wrong_values"),
        ("batch summed down the columns",
         np.exp(batch) / np.sum(np.exp(batch), axis=0), batch, "wrong_axis"),
        ("batch, one sum", np.exp(batch) / np.sum(np.exp(batch)), batch, "batch_sum"),
        ("batch as one row", softmax(batch).ravel(), batch, "wrong_shape"),
        # "other divisor" means e^z over one constant per example, and nothing else
        ("far-apart batch, twice the softmax", 2 * softmax(far_apart), far_apart, "other_divisor"),
        ("large logits, a half for each class", np.full(3, 0.5), large, "wrong_values"),
        ("tiny outputs, not e^z over a constant", np.array([1e-10, 3e-10, 1e-10, 2e-10]), z,
         "wrong_values"),
        # the batch look-alikes, on rows 2000 apart where e^(z + max) would overflow
        # NumPy turns complex scalars into their real parts with only a warning: caught first
        ("a list of complex numbers", list(softmax(z) + 0j), z, "not_numbers"),
        ("far-apart batch, one max and one sum", np.exp(far_apart - far_apart.max())
         / np.sum(np.exp(far_apart - far_apart.max())), far_apart, "batch_sum"),
        ("far-apart batch, column max and column sums", np.exp(far_apart - far_apart.max(axis=0))
         / np.sum(np.exp(far_apart - far_apart.max(axis=0)), axis=0), far_apart, "wrong_axis"),
    ]


@pytest.mark.parametrize("output, z, mistake", [case[1:] for case in diagnose_cases()],
                         ids=[case[0] for case in diagnose_cases()])
def test_lesson_01_diagnosis_names_the_same_mistakes_as_the_checkers(output, z, mistake):
    assert checks.diagnose_softmax_output(output, z) == mistake
    if mistake is not None:
        assert mistake in HINTS


def test_lesson_01_diagnosis_reports_a_changed_input_only_when_the_output_is_right():
    z = np.array([1.0, 2.0, 3.0, 4.0])
    assert checks.diagnose_softmax_output(softmax(z), z, changed_input=True) == "modified_input"
    assert checks.diagnose_softmax_output(np.exp(z), z, changed_input=True) == "no_division"


# --- the rest of a report


@pytest.mark.parametrize("checker", RUNNERS)
def test_a_value_instead_of_a_function_gets_a_report_with_no_check_number(checker):
    report = RUNNERS[checker](np.array([0.1, 0.9]))
    total = RUNNERS[checker](lambda *arguments: None).total
    assert report == checks.CheckReport(
        function_name="your function", passed=False, total=total, failed_check=None,
        mistake="not_a_function",
        headline=f"{checker} needs a function to call, but it was given a value of type ndarray.",
        hint=HINTS["not_a_function"])


def subtracts_the_max_in_place(z):
    z -= np.max(z)
    exponentials = np.exp(z)
    return exponentials / np.sum(exponentials)


def test_a_function_that_changes_its_input_is_shown_the_array_before_and_after_the_call():
    report = checks.run_softmax_checks(subtracts_the_max_in_place)
    assert report.details == ("  z before the call: [1. 2. 3. 4.]",
                              "  z after the call:  [-3. -2. -1.  0.]",
                              "  (the result itself was right)")


def overflows_then_fails(z):
    np.exp(np.array([1000.0]))
    raise RuntimeError("gave up")


def test_an_error_after_a_numpy_warning_shows_both():
    report = checks.run_softmax_checks(overflows_then_fails)
    assert report.details[2:] == ("  got:      RuntimeError: gave up", "  NumPy warned: overflow encountered in exp")


def warns_in_its_own_words(z):
    import warnings

    warnings.warn("this softmax is slow", UserWarning)
    return np.exp(z)


def test_only_numpys_runtime_warnings_are_reported():
    report = checks.run_softmax_checks(warns_in_its_own_words)
    assert report.mistake == "no_division"
    assert not any("warned" in line for line in report.details)


def test_a_passing_report_is_a_green_box_with_a_tick_and_nothing_else():
    report = checks.run_softmax_checks(softmax)
    assert report.to_html() == (
        '<div style="border-left: 6px solid #1E6B24; background: #EEF7EE; color: #1A1A1A; '
        'padding: 0.5em 0.9em; margin: 0.3em 0;"><div style="color: #1E6B24; font-weight: bold;">'
        '&#10004; All 7 checks passed for softmax.</div></div>')


@pytest.mark.parametrize("function, passed", [(softmax, True), (lambda z: z, False)])
def test_the_report_names_the_function_whether_it_passed_or_not(function, passed):
    def my_softmax(z):
        return function(z)

    report = checks.run_softmax_checks(my_softmax)
    assert (report.function_name, report.passed) == ("my_softmax", passed)


def test_a_softmax_that_clips_large_logits_is_told_it_is_not_the_softmax_at_check_2():
    def clipped_softmax(z):  # right until the logits pass 500
        exponentials = np.exp(np.clip(z, -500, 500))
        return exponentials / np.sum(exponentials, axis=-1, keepdims=True)

    report = checks.run_stable_softmax_checks(clipped_softmax)
    assert (report.failed_check, report.mistake) == (2, "probabilities_not_softmax"), report.message
