"""The softmax explorer: its contract, bad student functions, and its static fallback."""

from __future__ import annotations

import warnings

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


