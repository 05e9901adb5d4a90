"""The checkers' hints for mistakes that only show on a batch, and where the report appears."""

from __future__ import annotations

import numpy as np

import lab_utils_checks as checks


def correct_softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def batch_rows_divided_by_a_constant(z):
    """Right for one example; on a batch each row's e^z is divided by 10, not its sum."""
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        return correct_softmax(z)
    return np.exp(z - np.max(z, axis=-1, keepdims=True)) / 10.0


def batch_loss_of_the_largest_probability(probabilities, target_class):
    """Right for one example; on a batch it takes each row's largest probability."""
    a = np.asarray(probabilities, dtype=float)
    if a.ndim == 1:
        return -np.log(a[target_class])
    return -np.log(np.max(a, axis=-1))


def test_a_batch_divided_by_a_constant_gets_the_divisor_hint_at_the_first_batch():
    report = checks.run_stable_softmax_checks(batch_rows_divided_by_a_constant)
    assert not report.passed
    assert report.hint == checks.HINTS["other_divisor"]
    assert "shape (" in report.headline


def test_a_batch_loss_of_the_largest_probability_gets_that_hint():
    report = checks.run_cross_entropy_checks(batch_loss_of_the_largest_probability)
    assert not report.passed
    assert "(3, 4)" in report.headline
    assert report.hint == checks.HINTS["largest_probability"]


class Shell:
    """Enough of an IPython shell for the checkers' 'where am I?' question."""

    def __init__(self, kernel):
        self.kernel = kernel


def test_inside_a_jupyter_kernel_the_checker_shows_html_not_text(monkeypatch, capsys):
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: Shell(kernel=object()))
    monkeypatch.setattr("IPython.display.display", lambda data, raw: shown.append(data))
    assert checks.check_softmax(correct_softmax) is True
    assert capsys.readouterr().out == ""
    assert "text/html" in shown[0]


def test_in_a_terminal_ipython_without_a_kernel_the_checker_prints_text(monkeypatch, capsys):
    monkeypatch.setattr("IPython.get_ipython", lambda: Shell(kernel=None))
    assert checks.check_softmax(correct_softmax) is True
    assert capsys.readouterr().out.startswith("All ")
