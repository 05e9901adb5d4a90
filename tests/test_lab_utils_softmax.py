"""The softmax explorer: its contract, bad student functions, and its static fallback."""

from __future__ import annotations

import functools
import re
import warnings
from fractions import Fraction

import numpy as np
import pytest

import lab_utils_softmax as ls
from lab_utils_checks import HINTS


def good_softmax(z):
    exp_z = np.exp(z)
    return exp_z / np.sum(exp_z)


def explorer(function=good_softmax, **options):
    options.setdefault("interactive", False)
    return ls.plt_softmax(function, **options)


# ------------------------------------------------------------ the reference softmax
def test_reference_softmax_sums_to_one_and_survives_large_logits():
    a = ls.softmax([1000.0, 1001.0, 1002.0])
    assert np.isclose(a.sum(), 1.0) and np.all(np.isfinite(a))
    assert np.allclose(a, ls.softmax([0.0, 1.0, 2.0]))


def test_reference_softmax_works_row_by_row_on_a_batch():
    batch = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    a = ls.softmax(batch)
    assert np.allclose(a.sum(axis=1), 1.0)
    assert np.allclose(a[1], 1 / 3)


# ------------------------------------------------------------ the contract
def test_explorer_exposes_z_a_fig_and_an_empty_message_for_a_correct_function():
    e = explorer()
    assert e.z.shape == (4,) and e.a.shape == (4,)
    assert np.allclose(e.a, ls.softmax(e.z))
    assert e.message == ""
    assert e.fig.axes, "the figure has its axes"


def test_set_z_updates_outputs_bars_and_readout():
    e = explorer()
    e.set_z([0.0, 0.0, 0.0, 5.0])
    assert np.allclose(e.z, [0, 0, 0, 5])
    assert np.allclose(e.a, ls.softmax([0, 0, 0, 5]))
    assert e.bar_widths()["a"] == pytest.approx(list(e.a))
    assert e.bar_widths()["z"] == pytest.approx([0, 0, 0, 5])
    assert e.readout_rows()[-1] == ("sum", "1.0000")


def test_set_z_outside_the_slider_range_says_how_to_widen_it_and_changes_nothing():
    e = explorer(z_range=(-2, 2))
    e.set_z([-1, 0, 1, 2])
    with pytest.raises(ValueError, match=r"\[-5, 9\] are outside the sliders' range, -2 to 2\. "
                                         r".*plt_softmax\(my_softmax, z_range=\(-9, 9\)\)"):
        e.set_z([-5, 0, 1, 9])
    assert list(e.z) == [-1, 0, 1, 2]
    with pytest.raises(ValueError, match=r"\[1000, 1001, 1002\] are outside .*z_range=\(-2000, 2000\)"):
        e.set_z([1000, 1001, 1002, 0])
    with pytest.raises(ValueError, match="finite number"):
        e.set_z([0, 0, np.nan, 0])
    e.set_z([0, 0, 0, 2])  # the explorer keeps working
    assert e.message == "" and e.a[3] == pytest.approx(np.max(e.a))


def test_a_start_outside_the_range_is_refused_but_the_default_start_fits_any_range():
    with pytest.raises(ValueError, match="outside the sliders' range"):
        explorer(z_range=(-2, 2), z=[0, 0, 0, 5])
    assert np.all(np.abs(explorer(z_range=(-0.5, 0.5)).z) <= 0.5)


def test_helper_errors_show_one_line_in_a_notebook_instead_of_a_traceback():
    with pytest.raises(ValueError) as caught:
        explorer().set_z([1, 2, 3])
    assert caught.value._render_traceback_() == [f"ValueError: {caught.value}"]
    with pytest.raises(TypeError) as caught:
        ls.plt_cross_entropy(np.zeros(4), interactive=False)
    assert caught.value._render_traceback_() == [
        "TypeError: plt_cross_entropy needs your softmax function itself, for example "
        "plt_cross_entropy(my_softmax); got ndarray."]


def test_set_z_with_the_wrong_number_of_values_says_how_many():
    with pytest.raises(ValueError, match="needs 4 values"):
        explorer().set_z([1, 2, 3])


@pytest.mark.parametrize("n", [2, 3, 7, 10])
def test_n_sets_the_number_of_classes(n):
    e = explorer(n=n)
    assert e.z.shape == (n,) and e.a.shape == (n,) and len(e.bar_widths()["a"]) == n


@pytest.mark.parametrize("n", [1, 11, 2.5, "4", True])
def test_n_outside_two_to_ten_is_refused_with_a_sentence(n):
    with pytest.raises(ValueError, match="number of classes"):
        explorer(n=n)


def test_passing_something_that_is_not_a_function_is_explained():
    with pytest.raises(TypeError, match="plt_softmax\\(my_softmax\\)"):
        ls.plt_softmax(good_softmax([1.0, 2.0]))


def test_temperature_divides_z_before_the_softmax():
    e = explorer(temperature=True)
    e.set_z([1.0, 2.0, 0.5, 3.0])
    e.set_temperature(0.05)
    assert e.a[3] > 0.999, "low temperature: close to one-hot at the argmax"
    e.set_temperature(20.0)
    assert np.allclose(e.a, 0.25, atol=0.02), "high temperature: close to uniform"
    assert "T = 20.00" in e.summary()
    with pytest.raises(ValueError, match="positive"):
        e.set_temperature(0)


def test_stable_overlay_marks_the_reference_probabilities():
    e = explorer(show_stable=True, z_range=(-10, 10))
    e.set_z([10.0, -10.0, 0.0, 5.0])
    assert np.allclose(e.bar_widths()["stable"], ls.softmax(e.z))


# ------------------------------------------------------------ bad student functions
def raises(z):
    raise ValueError("I am broken")


BAD_FUNCTIONS = {
    "raises": (raises, "raised ValueError: I am broken"),
    "returns None": (lambda z: None, "returned None: Your function returned None."),
    "returns a scalar": (lambda z: float(np.sum(np.exp(z))), "returned a single number"),
    "returns a string": (lambda z: "probabilities", "returned text"),
    "returns a list of strings": (lambda z: ["a", "b", "c", "d"], "not numbers"),
    "wrong length": (lambda z: good_softmax(z)[:3], "returned shape (3,), expected (4,)"),
    "2-D row": (lambda z: good_softmax(z)[np.newaxis, :], "returned shape (1, 4), expected (4,)"),
    "2-D column": (lambda z: good_softmax(z)[:, np.newaxis], "returned shape (4, 1), expected (4,)"),
    "nan": (lambda z: np.full(4, np.nan), "returned nan"),
    "inf": (lambda z: np.full(4, np.inf), "returned inf"),
    "no division": (np.exp, "These are the exponentials e^z, not yet probabilities"),
    "forgot the exponential": (lambda z: z / np.sum(z), "the exponential is missing"),
    "negative values": (lambda z: z - np.mean(z), "returned a negative value"),
    "complex output": (lambda z: good_softmax(z) + 0j, "returned complex numbers"),
    "None in the array": (lambda z: np.array([0.5, 0.5, None, 0.0]), "array with None in it"),
}


@pytest.mark.parametrize("name", BAD_FUNCTIONS)
def test_bad_function_gives_a_message_and_never_an_exception(name):
    function, expected = BAD_FUNCTIONS[name]
    e = explorer(function)
    assert expected in e.message
    assert "Traceback" not in e.message
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may print a red warning in the notebook
        e.set_z([1.0, -1.0, 0.5, 2.0])  # the sliders keep working
    assert e.message and np.allclose(e.z, [1.0, -1.0, 0.5, 2.0])
    assert "message:" in e.summary()


def test_no_division_message_names_the_sum():
    e = explorer(np.exp, z=[1.0, 2.0, 0.5, 3.0])
    assert e.message == "the outputs sum to 31.8416, not 1: " + HINTS["no_division"]


def test_overflow_message_names_subtracting_the_max():
    e = explorer(good_softmax, z_range=(-1000, 1010))
    e.set_z([1000.0, 1001.0, 1002.0, 0.0])
    assert e.message.endswith(HINTS["overflow"]) and "Subtract the largest logit" in e.message


def test_function_changing_its_input_in_place_is_named():
    def in_place(z):
        z -= np.max(z)
        np.exp(z, out=z)
        z /= np.sum(z)
        return z

    assert "changed its input z in place" in explorer(in_place).message


def test_message_clears_when_a_correct_function_is_used_again():
    broken = explorer(np.exp)
    assert broken.message
    broken._function = good_softmax  # the student fixed the function
    broken.set_z([1.0, 2.0, 3.0, 4.0])
    assert broken.message == ""


def test_check_softmax_output_accepts_a_correct_output():
    z = np.array([1.0, 2.0, 3.0])
    assert ls.check_softmax_output(ls.softmax(z), z) == ""


# ------------------------------------------------------------ display
def test_static_display_is_a_picture_with_alt_text_and_a_hint():
    e = explorer()
    assert e.widget is None and e.sliders == () and e.readout_text() == ""
    bundle = e._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert 'alt="Two bar charts' in bundle["text/html"]
    assert "%matplotlib widget" in bundle["text/plain"]


def test_static_picture_includes_the_bars(tmp_path):
    e = explorer()
    before = e._repr_mimebundle_()["text/html"]
    e.set_z([9.0, -9.0, 9.0, -9.0])
    assert e._repr_mimebundle_()["text/html"] != before, "the picture follows the bars"


def test_plain_python_process_gets_the_static_version():
    import subprocess
    import sys

    code = ("import numpy as np, lab_utils_softmax as ls\n"
            "e = ls.plt_softmax(lambda z: np.exp(z) / np.exp(z).sum())\n"
            "print(e.interactive, repr(e))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False softmax explorer (n=4)")


def test_interactive_explorer_has_the_widgets_the_browser_test_looks_for():
    import ipywidgets  # noqa: F401

    e = ls.plt_softmax(good_softmax, interactive=True, temperature=True)
    classes, widgets = set(), [e.widget]
    while widgets:
        widget = widgets.pop()
        classes.update(widget._dom_classes)
        widgets.extend(w for w in getattr(widget, "children", ()) if hasattr(w, "_dom_classes"))
    assert {"softmax-z-slider", "softmax-readout", "softmax-message", "softmax-explorer"} <= classes
    e.sliders[3].value = 5.0  # a student drags z3
    assert e.z[3] == 5.0 and np.allclose(e.a, ls.softmax(e.z))
    assert "sum = 1.0000" in e.readout_text()
    e.set_z([0.0, 0.0, 0.0, 0.0])
    assert [s.value for s in e.sliders] == [0.0] * 4
    assert "a₀ = 0.2500" in e.readout_text()
    bundle = e._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("softmax explorer (n=4)")


def test_interactive_explorer_shows_the_message_in_the_widget():
    e = ls.plt_softmax(np.exp, interactive=True)
    assert "not yet probabilities" in e.readout_text()
    e.sliders[0].value = 1.5
    assert "not yet probabilities" in e.readout_text()


# ------------------------------------------------------------ cross-entropy variant
def test_cross_entropy_explorer_reports_minus_log_of_the_target():
    e = ls.plt_cross_entropy(good_softmax, target_class=2, interactive=False)
    e.set_z([1.0, 2.0, 0.5, 3.0])
    assert e.loss == pytest.approx(-np.log(ls.softmax(e.z)[2]))
    e.set_target(3)
    assert e.target_class == 3
    assert e.loss == pytest.approx(-np.log(ls.softmax(e.z)[3]))
    assert "loss = -log(a₃)" in e.summary()


def test_cross_entropy_loss_is_inf_when_the_target_probability_underflows():
    e = ls.plt_cross_entropy(ls.softmax, target_class=0, z_range=(-1000, 1000),
                             interactive=False)
    e.set_z([-1000.0, 1000.0, 0.0, 0.0])
    assert e.loss == float("inf")
    assert "inf (a of the target is 0)" in e.summary()


def test_cross_entropy_target_outside_the_classes_is_refused():
    with pytest.raises(ValueError, match="from 0 to 3"):
        ls.plt_cross_entropy(good_softmax, target_class=4)


def test_cross_entropy_with_a_broken_function_has_no_loss_but_a_message():
    e = ls.plt_cross_entropy(lambda z: None, interactive=False)
    assert np.isnan(e.loss) and "returned None" in e.message


def test_cross_entropy_target_buttons_change_the_loss():
    e = ls.plt_cross_entropy(good_softmax, interactive=True)
    assert "softmax-target" in e.target_buttons._dom_classes
    e.target_buttons.value = 3
    assert e.target_class == 3 and e.loss == pytest.approx(-np.log(e.a[3]))


# ------------------------------------------------------------ exact sentences and starting points
Z = np.array([1.0, 2.0, 0.5, 3.0])
SEEN = {
    # what the student's function returned for Z -> how the message starts
    "None": (None, "f returned None"),
    "text": ("probabilities", "f returned text ('probabilities')"),
    "bytes": (b"abc", "f returned text (b'abc')"),
    "a list of strings": (["a", "b", "c", "d"], "f returned something that is not numbers (list)"),
    "an object": (object(), "f returned something that is not numbers (object)"),
    "complex numbers": (ls.softmax(Z) + 0j, "f returned complex numbers"),
    "None in the array": (np.array([0.5, 0.5, None, 0.0]), "f returned an array with None in it"),
    "a single number": (31.84, "f returned a single number (31.84), expected 4 values"),
    "too few values": (ls.softmax(Z)[:3], "f returned shape (3,), expected (4,)"),
    "nan and inf": (np.array([np.nan, np.inf, 0, 0]), "f returned nan for z = [1, 2, 0.5, 3]"),
    "inf": (np.array([np.inf, 0, 0, 0]), "f returned inf for z = [1, 2, 0.5, 3]"),
    "a negative value": (Z - Z.mean(), "f returned a negative value (-1.125)"),
    "three times softmax": (3 * ls.softmax(Z), "the outputs sum to 3, not 1"),
    "sums to 1, no exponential": (Z / Z.sum(), "the outputs of f sum to 1 but are not softmax(z)"),
    "rows of different lengths": ([[0.1, 0.2], [0.3]],
                                  "f returned something that is not one array of numbers (list)"),
    # an exact 0 is not negative: a one-hot guess sums to 1 and is just not softmax
    "one-hot": ([0.0, 0.0, 0.0, 1.0], "the outputs of f sum to 1 but are not softmax(z)"),
    # float32 rounding leaves the sum 1.5e-8 from 1: still "sum to 1"
    "float32, sums to 1": (np.float32([0.1, 0.2, 0.3, 0.4]), "the outputs of f sum to 1 but are not softmax(z)"),
    "sums to 1.5": (np.array([0.5, 0.5, 0.25, 0.25]), "the outputs sum to 1.5, not 1"),
    "exact fractions": ([Fraction(1, 2)] * 4, "the outputs sum to 2, not 1"),
}


@pytest.mark.parametrize("returned", SEEN)
def test_check_softmax_output_starts_with_what_was_seen(returned):
    output, seen = SEEN[returned]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may print a red warning in the notebook
        message = ls.check_softmax_output(output, Z, "f")
    assert message.startswith(seen + ": ") and len(message) > len(seen) + 10


def test_check_softmax_output_names_my_softmax_by_default_and_notices_a_changed_input():
    assert ls.check_softmax_output(None, Z).startswith("my_softmax returned None: ")
    assert ls.check_softmax_output(ls.softmax(Z), Z, "f", changed_input=True).startswith(
        "f changed its input z in place: ")


def refused(**options):
    """The sentence a student sees for a bad argument, or '' when it is accepted."""
    make = options.pop("make", ls.plt_softmax)
    action = options.pop("then", lambda e: e)
    try:
        action(make(good_softmax, interactive=False, **options))
    except (ValueError, TypeError) as error:
        return str(error)
    return ""


REFUSED = {
    "one class": (dict(n=1), "n is the number of classes: a whole number from 2 to 10, got 1."),
    "a range of width 0": (dict(z_range=(5, 5)), "z_range must be (low, high) with low < high, got (5, 5)."),
    "a reversed range": (dict(z_range=(5, 1)), "z_range must be (low, high) with low < high, got (5, 1)."),
    "a range of text": (dict(z_range="ab"), "z_range must be (low, high) with low < high, got 'ab'."),
    "a range of three": (dict(z_range=(1, 2, 3)),
                         "z_range must be (low, high) with low < high, got (1, 2, 3)."),
    "a start of 3 values": (dict(z=[0, 0, 0]), "z must hold 4 values, got shape (3,)."),
    "a start with nan": (dict(z=[0, 0, np.nan, 0]),
                         "z: every value must be a finite number, got [0, 0, nan, 0]."),
    "a start above the range": (
        dict(z=[0, 0, 0, 12]), "z: [12] is outside the sliders' range, -10 to 10. Make the explorer "
                               "with a wider range, for example plt_softmax(my_softmax, z_range=(-20, 20))."),
    "a start at both ends of a small range": (
        dict(z=[-0.04, 0.05, 0, 0], z_range=(-0.03, 0.03)),
        "z: [-0.04, 0.05] are outside the sliders' range, -0.03 to 0.03. Make the explorer with a "
        "wider range, for example plt_softmax(my_softmax, z_range=(-0.05, 0.05))."),
    "cross-entropy start outside": (
        dict(make=ls.plt_cross_entropy, z=[0, 0, 0, 12]),
        "z: [12] is outside the sliders' range, -10 to 10. Make the explorer with a wider range, "
        "for example plt_cross_entropy(my_softmax, z_range=(-20, 20))."),
    "target class 4 of 4": (dict(make=ls.plt_cross_entropy, target_class=4),
                            "target_class must be a class number from 0 to 3, got 4."),
    "target class -1": (dict(make=ls.plt_cross_entropy, target_class=-1),
                        "target_class must be a class number from 0 to 3, got -1."),
    "target class True": (dict(make=ls.plt_cross_entropy, target_class=True),
                          "target_class must be a class number from 0 to 3, got True."),
    "target class 2.0": (dict(make=ls.plt_cross_entropy, target_class=2.0),
                         "target_class must be a class number from 0 to 3, got 2.0."),
    "set_target(4)": (dict(make=ls.plt_cross_entropy, then=lambda e: e.set_target(4)),
                      "target_class must be a class number from 0 to 3, got 4."),
    "temperature 0": (dict(then=lambda e: e.set_temperature(0)),
                      "The temperature must be a positive number, got 0."),
    "temperature -1.5": (dict(then=lambda e: e.set_temperature(-1.5)),
                         "The temperature must be a positive number, got -1.5."),
    "set_z with 5 values": (dict(then=lambda e: e.set_z([0] * 5)),
                            "set_z needs 4 values, one per class; got shape (5,)."),
    # accepted
    "NumPy whole numbers": (dict(make=ls.plt_cross_entropy, n=np.int64(3), target_class=np.int64(2)), ""),
    "the last target class": (dict(make=ls.plt_cross_entropy, target_class=3), ""),
    "a start at the range's ends": (dict(z=[-10, 10, 0, 0]), ""),
    "a tiny positive temperature": (dict(then=lambda e: e.set_temperature(0.01)), ""),
}


@pytest.mark.parametrize("case", REFUSED)
def test_bad_arguments_get_one_exact_sentence(case):
    options, sentence = REFUSED[case]
    assert refused(**options) == sentence


@pytest.mark.parametrize("n, z_range, start", [
    (4, (-10, 10), [1.0, 2.0, 0.5, 3.0]),
    (3, (-10, 10), [-1.0, 1.0, 3.0]),
    (6, (-10, 10), [-1.0, -0.2, 0.6, 1.4, 2.2, 3.0]),
    (4, (-0.5, 0.5), [0.5, 0.5, 0.5, 0.5]),
    (3, (0, 2), [0.0, 1.0, 2.0]),
])
def test_sliders_start_spread_out_and_inside_the_range(n, z_range, start):
    e = explorer(n=n, z_range=z_range)
    assert list(e.z) == pytest.approx(start)
    assert e.bar_widths()["z"] == pytest.approx(start)


def test_a_function_that_raises_gets_the_error_and_what_to_do():
    e = explorer(raises)
    assert e.message == ("raises raised ValueError: I am broken. "
                         "Fix the function, run its cell, then run this cell again.")
    assert e.readout_rows() == [("a₀", "?"), ("a₁", "?"), ("a₂", "?"), ("a₃", "?"), ("sum", "?")]


def test_one_nan_shows_a_question_mark_for_it_and_for_the_sum():
    e = explorer(lambda z: np.array([np.nan, 0.5, 0.5, 0.0]))
    assert e.readout_rows() == [("a₀", "?"), ("a₁", "0.5000"), ("a₂", "0.5000"), ("a₃", "0.0000"),
                                ("sum", "?")]


@pytest.mark.parametrize("interactive", [False, True])
def test_each_move_calls_the_students_function_once_with_z_over_t(interactive):
    calls = []

    def counted(z):
        calls.append(np.array(z))
        return good_softmax(z)

    e = explorer(counted, interactive=interactive, temperature=True)
    calls.clear()
    e.set_z([2.0, 4.0, 0.0, -2.0])
    e.set_temperature(2.0)
    assert [list(z) for z in calls] == [[2.0, 4.0, 0.0, -2.0], [1.0, 2.0, 0.0, -1.0]]


def test_reference_softmax_keeps_each_row_of_a_batch_stable_on_its_own():
    a = ls.softmax([[1000.0, 1001.0], [-1000.0, -999.0]])
    assert np.allclose(a, [[0.26894142, 0.73105858]] * 2)


def test_reference_softmax_divides_by_the_temperature():
    assert np.allclose(ls.softmax([0.0, 2.0], temperature=2.0), ls.softmax([0.0, 1.0]))


def test_stable_overlay_follows_the_temperature():
    e = explorer(temperature=True, show_stable=True, z=[1.0, 2.0, 0.5, 3.0]).set_temperature(4.0)
    assert e.bar_widths()["stable"] == pytest.approx(list(ls.softmax(e.z / 4.0)))
    assert explorer().bar_widths()["stable"] is None


def test_summary_and_readout_of_the_cross_entropy_explorer():
    e = ls.plt_cross_entropy(good_softmax, target_class=2, interactive=True, z=[1, 2, 0.5, 3])
    rows = "a₀ = 0.0854, a₁ = 0.2321, a₂ = 0.0518, a₃ = 0.6308, sum = 1.0000, loss = -log(a₂) = 2.9608"
    assert e.summary() == f"cross-entropy explorer (n=4, target class 2): z = [1, 2, 0.5, 3]; {rows}"
    assert e.readout_text() == rows.replace(", ", "\n")
    assert repr(e) == e.summary() == e._repr_mimebundle_()["text/plain"]
    broken = ls.plt_cross_entropy(lambda z: None, interactive=False)
    assert broken.readout_rows()[-1] == ("loss = -log(a₀)", "?")


def test_static_display_shows_the_message_above_the_picture_and_the_hint_in_text():
    e = explorer(np.exp, z=[1.0, 2.0, 0.5, 3.0])
    bundle = e._repr_mimebundle_()
    assert bundle["text/plain"] == e.summary() + "\n" + ls.INTERACTIVE_HINT
    assert e.summary().endswith("\nmessage: " + e.message)
    assert bundle["text/html"].startswith(
        '<div style="color: #C00000; font-weight: bold; margin: 4px 0">the outputs sum to 31.8416')
    assert bundle["text/html"].endswith(f'<p style="font-style: italic">{ls.INTERACTIVE_HINT}</p>')
    assert ('alt="Two bar charts: the logits z of 4 classes and their probabilities a from exp. '
            'softmax explorer (n=4): z = [1, 2, 0.5, 3]; a₀ = 2.7183') in bundle["text/html"]
    assert explorer()._repr_mimebundle_()["text/html"].startswith("<img ")


def widget_with_class(e, name):
    widgets = [e.widget]
    while widgets:
        widget = widgets.pop()
        if name in widget._dom_classes:
            return widget
        widgets.extend(w for w in getattr(widget, "children", ()) if hasattr(w, "_dom_classes"))
    raise AssertionError(f"no widget with class {name}")


def test_the_temperature_slider_and_set_temperature_move_together():
    e = ls.plt_softmax(good_softmax, interactive=True, temperature=True, z=[1.0, 2.0, 0.5, 3.0])
    slider = widget_with_class(e, "softmax-temperature")
    e.set_temperature(2.0)
    assert slider.value == pytest.approx(2.0)
    slider.value = 0.5  # a student drags T
    assert e.temperature == pytest.approx(0.5) and np.allclose(e.a, ls.softmax(e.z / 0.5))
    assert e.fig.axes[1].texts[4].get_text() == "T = 0.50   sum = 1.0000"


def test_the_readout_puts_the_largest_probability_in_bold_unless_there_is_a_message():
    e = ls.plt_softmax(good_softmax, interactive=True, z=[1.0, 4.0, 0.5, 2.0])
    readout = widget_with_class(e, "softmax-readout").value
    assert readout.count("font-weight: bold") == 1 and "font-weight: bold\">a₁ = " in readout
    assert widget_with_class(e, "softmax-message").value == ""
    broken = ls.plt_softmax(np.exp, interactive=True)
    assert "font-weight: bold" not in widget_with_class(broken, "softmax-readout").value


def test_a_target_probability_of_zero_gives_an_infinite_loss_without_a_warning():
    e = ls.plt_cross_entropy(ls.softmax, z_range=(-1000, 1000), interactive=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # np.log(0) would print a red warning in the notebook
        e.set_z([-1000.0, 1000.0, 0.0, 0.0])
    assert e.loss == float("inf") and e.readout_rows()[-1] == ("loss = -log(a₀)", "inf (a of the target is 0)")


def test_the_live_explorer_shows_controls_and_readout_then_the_message_then_the_figure():
    e = ls.plt_cross_entropy(good_softmax, interactive=True, z_range=(-5, 8), target_class=1)
    (top, message, figure) = e.widget.children
    controls, readout = top.children
    assert figure is e.fig.canvas and message is widget_with_class(e, "softmax-message")
    assert readout is widget_with_class(e, "softmax-readout")
    assert list(controls.children) == [*e.sliders, e.target_buttons]
    sliders = [(s.description, s.min, s.max, s.value, s.step, s.readout_format, s.continuous_update)
               for s in e.sliders]
    assert sliders == [(f"z{sub}", -5, 8, start, 0.1, ".1f", True)
                       for sub, start in zip("₀₁₂₃", [1.0, 2.0, 0.5, 3.0])]
    buttons = e.target_buttons
    assert (buttons.options, buttons.value, buttons.description) == (
        (("0", 0), ("1", 1), ("2", 2), ("3", 3)), 1, "target y")


def test_the_temperature_slider_goes_from_about_0_05_to_20_starting_at_1():
    e = ls.plt_softmax(good_softmax, interactive=True, temperature=True)
    slider = widget_with_class(e, "softmax-temperature")
    assert (slider.description, slider.value, slider.readout_format) == ("T", 1.0, ".2f")
    assert slider.base ** slider.min == pytest.approx(0.05, abs=0.002)
    assert slider.base ** slider.max == pytest.approx(20, abs=0.1)
    assert slider.base ** slider.step == pytest.approx(1.122, abs=0.001), "12 % a step"


def test_set_target_moves_the_buttons_and_the_buttons_keep_working():
    e = ls.plt_cross_entropy(good_softmax, n=3, interactive=True, z=[1.0, 2.0, 0.5])
    assert len(e.sliders) == 3 and e.target_buttons.options == (("0", 0), ("1", 1), ("2", 2))
    e.set_target(2)
    assert e.target_buttons.value == 2 and e.loss == pytest.approx(-np.log(e.a[2]))
    e.target_buttons.value = 1  # then a student clicks a button
    assert e.target_class == 1 and e.loss == pytest.approx(-np.log(e.a[1]))


# ------------------------------------------------------------ the controls, as the browser drives them
def counting(calls):
    def counted(z):
        calls.append(np.array(z))
        return good_softmax(z)
    return counted


def test_a_move_sent_by_the_browser_calls_the_students_function_once():
    calls = []
    e = ls.plt_cross_entropy(counting(calls), interactive=True)
    # the front end's message: the kernel locks the property, sets it, unlocks it
    for widget, state in [(e.sliders[2], {"value": 4.0}), (e.target_buttons, {"index": 3})]:
        calls.clear()
        widget.set_state(state)
        assert len(calls) == 1, f"{widget.description}: {len(calls)} calls"
    assert e.z[2] == 4.0 and e.target_class == 3
    t = ls.plt_softmax(counting(calls), interactive=True, temperature=True)
    calls.clear()
    widget_with_class(t, "softmax-temperature").set_state({"value": 2.0})
    assert len(calls) == 1 and t.temperature == pytest.approx(2.0)


def test_set_target_calls_the_students_function_once():
    calls = []
    e = ls.plt_cross_entropy(counting(calls), interactive=True)
    calls.clear()
    e.set_target(2)
    assert len(calls) == 1 and e.target_buttons.value == 2


@pytest.mark.parametrize("interactive", [False, True])
def test_an_explorer_made_from_its_class_is_the_one_plt_makes(interactive):
    made = [(ls.SoftmaxExplorer(good_softmax, interactive=interactive),
             ls.plt_softmax(good_softmax, interactive=interactive)),
            (ls.CrossEntropyExplorer(good_softmax, interactive=interactive),
             ls.plt_cross_entropy(good_softmax, interactive=interactive))]
    for direct, plt_made in made:
        assert direct.summary() == plt_made.summary()
        assert direct.readout_rows() == plt_made.readout_rows()
        assert list(direct.z) == list(plt_made.z) and direct.z_range == plt_made.z_range
        assert direct.bar_widths()["stable"] == plt_made.bar_widths()["stable"]  # no overlay by default


def pixels(width):
    match = re.fullmatch(r"(\d+)px", width or "", re.IGNORECASE)  # CSS units ignore case
    assert match, f"{width!r} is not a width in pixels"
    return int(match[1])


@pytest.mark.parametrize("n", [2, 4, 8])
def test_the_controls_form_one_column_and_the_target_buttons_fit_in_it(n):
    e = ls.plt_cross_entropy(good_softmax, n=n, interactive=True)
    t = ls.plt_softmax(good_softmax, n=n, interactive=True, temperature=True)
    sliders = [*e.sliders, *t.sliders, widget_with_class(t, "softmax-temperature")]
    widths = {pixels(s.layout.width) for s in sliders}
    assert len(widths) == 1, f"the sliders' tracks do not line up: {widths}"
    column = widths.pop()
    button = pixels(e.target_buttons.style.button_width)
    assert 24 <= button and n * button <= column, "a row of target buttons as wide as a slider at most"
    assert all(s.readout for s in sliders), "each slider shows its number"
    widest_row = max(len(f"{label} = {value}") for label, value in t.readout_rows())
    readout = widget_with_class(t, "softmax-readout")
    assert pixels(readout.layout.min_width) >= 8 * widest_row, "the readout keeps its width as digits change"


def test_the_sliders_keep_working_after_set_z_and_z_stays_the_sliders_floats():
    assert repr(explorer(z=[1, 2, 0, 3]).z) == "array([1., 2., 0., 3.])"
    e = ls.plt_softmax(good_softmax, interactive=True)
    e.set_z([0, 0, 0, 5])  # whole numbers, as a student types them
    assert e.z.dtype == float and repr(e.z) == "array([0., 0., 0., 5.])"
    e.sliders[0].value = 2.5  # then the student drags a slider
    assert list(e.z) == [2.5, 0.0, 0.0, 5.0] and np.allclose(e.a, ls.softmax(e.z))


def test_a_refused_set_z_says_it_was_set_z():
    with pytest.raises(ValueError, match=r"^set_z: \[12\] is outside the sliders' range"):
        explorer().set_z([0, 0, 0, 12])


def test_the_summary_shows_z_to_two_decimals():
    e = explorer().set_z([1.234, 0.5, -2.346, 3.0])
    assert e.summary().startswith("softmax explorer (n=4): z = [1.23, 0.5, -2.35, 3]; a₀ = ")


@pytest.mark.parametrize("z_range, values", [((-50, 2), [-40, 0, 0, 5]), ((-2, 50), [-5, 0, 0, 40]),
                                             ((-10, 10), [0, 0, 0, 12.5])])
def test_the_wider_range_a_refused_set_z_suggests_takes_those_values(z_range, values):
    with pytest.raises(ValueError) as refused_move:
        explorer(z_range=z_range, z=[0, 0, 0, 0]).set_z(values)
    suggested = re.search(r"z_range=\((-?[\d.]+), (-?[\d.]+)\)", str(refused_move.value))
    wider = explorer(z_range=(float(suggested[1]), float(suggested[2])), z=[0, 0, 0, 0])
    assert list(wider.set_z(values).z) == values  # following the advice works


def test_an_output_with_inf_and_minus_inf_reads_question_marks_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # inf - inf would print a red warning in the notebook
        rows = explorer(lambda z: np.array([np.inf, -np.inf, 0.5, 0.5])).readout_rows()
    assert rows[0] == ("a₀", "?") and rows[-1] == ("sum", "?")


@pytest.mark.parametrize("n", range(2, 11))
def test_the_sliders_start_on_their_own_steps_of_0_1(n):
    e = ls.plt_softmax(good_softmax, n=n, interactive=True)
    tenths = np.array([s.value for s in e.sliders]) * 10
    assert np.allclose(tenths, np.round(tenths), rtol=0, atol=1e-9), tenths
    assert e.sliders[0].step == pytest.approx(0.1)


def test_messages_and_the_title_name_the_students_function_or_my_softmax_if_it_has_no_name():
    def f(z):
        return None

    named = explorer(f)
    assert named.message.startswith("f returned None") and named.fig.axes[1].get_title() == "a = f(z)"
    nameless = explorer(functools.partial(f))  # a callable without __name__
    assert nameless.message.startswith("my_softmax returned None")
    assert nameless.fig.axes[1].get_title() == "a = my_softmax(z)"


@pytest.mark.parametrize("interactive", [False, True])
def test_after_the_first_picture_a_move_redraws_only_the_moving_parts(interactive):
    e = explorer(interactive=interactive)
    full_draws = []
    e.fig.canvas.mpl_connect("draw_event", full_draws.append)
    e.fig.canvas.draw()
    e.set_z([0.0, 1.0, 2.0, 3.0])
    e.set_z([3.0, 2.0, 1.0, 0.0])
    assert len(full_draws) == 1, "each move blits the bars over the kept background"
    assert e.bar_widths()["a"] == pytest.approx(list(ls.softmax([3.0, 2.0, 1.0, 0.0])))


def test_the_reference_softmax_of_float32_logits_has_float64_digits():
    z = np.float32([0.1, 2.3, -1.7, 30.0])
    assert ls.softmax(z).dtype == np.float64
    assert np.array_equal(ls.softmax(z), ls.softmax(z.astype(np.float64)))
