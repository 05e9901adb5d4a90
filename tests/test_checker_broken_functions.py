"""A broken function gets a clear sentence: what came back (or what it raised) and why that is not numbers.

Each row is what a student's softmax returned or raised, the mistake the
checker must name, and the report's "got" line (long text is cut short,
only the first line of an error is shown).
"""

from __future__ import annotations

import numpy as np
import pytest

import lab_utils_checks as checks


def softmax(z):
    exponentials = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def raising(message):
    def function(z):
        raise ValueError(message)
    return function


def returning(convert):
    def function(z):
        return convert(softmax(z))
    return function


LONG_TEXT = "probabilities: " + "0.25 " * 60

BROKEN = [
    ("complex numbers", returning(lambda p: p.astype(complex)), "not_numbers",
     "  got:      a ndarray: array([0.0320586 +0.j, 0.08714432+0.j, 0.23688282+0.j, 0.64391426+0.j])"),
    ("numbers as text in an array", returning(lambda p: p.astype(str)), "not_numbers",
     "  got:      a ndarray: array(['0.03205860328008499', '0.08714431874203257',\n"
     "       '0.23688281808991013', '0.6439142598879724'], dtype='<U32')"),
    ("an array holding None", returning(lambda p: np.array([*p[:-1], None], dtype=object)), "not_numbers",
     "  got:      a ndarray: array([np.float64(0.03205860328008499), np.float64(0.08714431874203257),\n"
     "       np.float64(0.23688281808991013), None..."),
    ("a ragged list", returning(lambda p: [p, [1.0]]), "not_numbers",
     "  got:      a list: [array([0.0320586 , 0.08714432, 0.23688282, 0.64391426]), [1.0]]"),
    ("bytes", returning(lambda p: b"0.25"), "not_numbers", "  got:      a bytes: b'0.25'"),
    ("a set", returning(lambda p: {0.25}), "not_numbers", "  got:      a set: {0.25}"),
    ("long text", returning(lambda p: LONG_TEXT), "not_numbers",
     "  got:      a str: " + repr(LONG_TEXT)[:117] + "..."),
    ("an object whose numpy is not a method", returning(lambda p: type("Result", (), {"numpy": 3})()),
     "not_numbers", None),
    ("a long error", raising("the logits " + "are wrong " * 30), "raised",
     "  got:      ValueError: " + ("the logits " + "are wrong " * 30)[:157] + "..."),
    ("an error over several lines", raising("\n\nfirst line\nsecond line"), "raised",
     "  got:      ValueError: first line"),
    ("an error without a message", raising(""), "raised", "  got:      ValueError"),
    ("an error of 160 characters, shown whole", raising("e" * 160), "raised", "  got:      ValueError: " + "e" * 160),
    ("text of 120 characters, shown whole", returning(lambda p: "t" * 118), "not_numbers",
     "  got:      a str: '" + "t" * 118 + "'"),
    ("booleans", returning(lambda p: p > 0), "wrong_values", "  got:      [1. 1. 1. 1.]"),
    ("nan everywhere", returning(lambda p: np.full(p.shape, np.nan)), "wrong_values",
     "  got:      [nan nan nan nan]"),
]


@pytest.mark.parametrize("implementation, mistake, got_line", [row[1:] for row in BROKEN],
                         ids=[row[0] for row in BROKEN])
def test_a_broken_softmax_is_told_what_came_back(implementation, mistake, got_line):
    report = checks.run_softmax_checks(implementation)
    assert (report.failed_check, report.mistake) == (1, mistake), report.message
    assert report.details[:2] == ("  input:    z = [1. 2. 3. 4.]", "  expected: [0.0321 0.0871 0.2369 0.6439]")
    if got_line is not None:
        assert report.details[2] == got_line


class TensorLike:
    """What TensorFlow returns: the numbers come out through .numpy()."""

    def __init__(self, values):
        self._values = values

    def numpy(self):
        return self._values


def test_a_tensor_like_result_is_read_through_its_numpy_method():
    assert checks.run_softmax_checks(returning(TensorLike)).passed


def warns_the_same_thing_twice(z):
    for _ in range(2):
        np.exp(np.array([1000.0]))
    np.log(np.array([0.0]))
    return softmax(z) * 2


def test_each_numpy_warning_is_named_once_in_the_order_it_came():
    report = checks.run_softmax_checks(warns_the_same_thing_twice)
    assert report.details[-1] == "  NumPy warned: overflow encountered in exp; divide by zero encountered in log"
