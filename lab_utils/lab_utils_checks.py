"""Checkers for the exercises in notebook 07: instant, mistake-specific feedback.

What is here
------------
check_softmax(fn)
    ``fn(z)`` for a 1-D array of logits ``z`` of shape (N,) returns the
    softmax, shape (N,).
check_stable_softmax(fn)
    The same, but it must also survive logits near +-1000 and accept a batch
    ``z`` of shape (m, N), one example per row, softmax along the last axis.
check_cross_entropy(fn)
    ``fn(probabilities, target_class)``: the loss -log(a_y). One example:
    ``probabilities`` (N,) and an ``int`` class -> one number. A batch:
    ``probabilities`` (m, N) and ``target_class`` (m,) -> one loss per
    example, shape (m,) (not their mean: that is the cost).
check_cross_entropy_from_logits(fn)
    ``fn(logits, target_class)``: the same loss computed from the logits,
    finite and accurate even when the target's probability underflows.

Each checker runs a battery of cases on the student's function, shows either
"All N checks passed" or the first failing case in plain language with a hint
naming the likely mistake, and returns True or False. In a notebook the
result is a colored box (with a plain-text fallback equal to the plain
message); anywhere else it is printed as plain text. A function that raises,
returns None or returns text is reported, never propagated, and warnings it
triggers (such as NumPy's overflow warning) are caught, not shown as stderr.

The checker shows its report itself and returns a plain ``bool``, so it also
works in ``if``/``assert`` and outside Jupyter. The notebook keeps the result
in a variable, ``passed = check_softmax(my_softmax)``, so that the report is
the only output under the cell (a bare last-line call would echo the bool as
an ``Out`` line too).

Mistakes are recognised by behaviour: the student's output is compared with
the output of known wrong implementations on the same input. The source code
is never read.

run_softmax_checks(fn), run_stable_softmax_checks(fn),
run_cross_entropy_checks(fn), run_cross_entropy_from_logits_checks(fn)
    The same batteries without displaying anything: they return a
    ``CheckReport`` (``passed``, ``mistake``, ``message``, ...), for tests and
    for instructors who grade.
HINTS
    Every hint a checker can give, by mistake name.
diagnose_softmax_output(output, z)
    The same diagnosis for one softmax output already computed: the key of
    the mistake in HINTS, or None. Lesson 01's explorer names mistakes with it.
points(passed, out_of)
    The last line of a graded checker cell: ``out_of`` points when the checks
    passed, else 0 (nbgrader's autograde scores the cell by this number).

A function that still holds nbgrader's placeholder, ``raise
NotImplementedError()``, gets one line, "Not done yet: ... starting with ...",
and no hint or traceback.

Used by ``notebooks/07_exercises.ipynb`` and the graded cells of its nbgrader source
(``instructor/source/exercises/07_exercises.ipynb``). Importing this module changes
nothing and loads neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

import contextlib
import html
import re
import warnings
from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np

__all__ = [
    "HINTS",
    "CheckReport",
    "check_softmax",
    "check_stable_softmax",
    "check_cross_entropy",
    "check_cross_entropy_from_logits",
    "run_softmax_checks",
    "run_stable_softmax_checks",
    "run_cross_entropy_checks",
    "run_cross_entropy_from_logits_checks",
    "diagnose_softmax_output",
    "points",
]

# Two answers agree when they differ by less than this. Loose enough for a
# float32 (for example TensorFlow-based) answer, tight enough that every wrong
# implementation below is far outside it.
RTOL = 1e-5
ATOL = 1e-6

HINTS: dict[str, str] = {
    # --- the exercise has not been started
    "not_done": (
        "Replace the line raise NotImplementedError() with your own code, then run "
        "that cell and this one again."
    ),
    # --- the function could not be run, or returned something unusable
    "not_a_function": (
        "Pass the function itself, without calling it: write "
        "check_softmax(my_softmax), not check_softmax(my_softmax(z)) (the same "
        "for every checker)."
    ),
    "raised": (
        "Your function stopped with an error instead of returning a result. "
        "Read the error above, fix that line, run the cell that defines the "
        "function again, then run the check."
    ),
    "raised_arguments": (
        "The checker calls your function with the arguments the exercise names: "
        "fn(z) for a softmax, fn(probabilities, target_class) or "
        "fn(logits, target_class) for a loss. Make the def line take exactly those."
    ),
    "raised_broadcast": (
        "A shape mismatch: an array of shape (m, N) cannot be combined with one of "
        "shape (m,). np.sum(..., axis=-1) and np.max(..., axis=-1) drop the last "
        "axis; add keepdims=True so that each row is combined with its own sum or max."
    ),
    "raised_axis": (
        "A 1-D array has no axis 1. Use axis=-1, the last axis: it is the class "
        "axis both for one example of shape (N,) and for a batch of shape (m, N)."
    ),
    "raised_index": (
        "An index was out of range. Classes are numbered 0 to N - 1, and the "
        "target's probability is probabilities[target_class] for one example, "
        "probabilities[np.arange(m), target_class] for a batch."
    ),
    "raised_argument_order": (
        "Your function indexed into a number, or used an array of probabilities "
        "as an index. The checker passes the array first and the class number "
        "second: fn(probabilities, target_class), or fn(logits, target_class) for "
        "the loss from logits. Check the order of the names in your def line."
    ),
    "raised_integer": (
        "Your function works on floats but not on integer logits such as "
        "np.array([3, 1, 2]). Convert the input first, for example "
        "z = np.asarray(z, dtype=float)."
    ),
    "returned_none": (
        "Your function returned None. Does every name it returns get a value from "
        "your code (not None), and does the function still end with its return line?"
    ),
    "raised_name": (
        "Your function uses a name that has no value: a typo, or a name your code "
        "never assigned. The function's last line returns a name the exercise gives "
        "(probabilities or loss): your code must assign it, spelled the same."
    ),
    "not_numbers": (
        "Return numbers: a NumPy array (or, for the loss of one example, a "
        "single number), not text or another kind of object."
    ),
    # --- softmax
    "wrong_shape": (
        "A softmax returns one probability per logit, so the result must have "
        "exactly the shape of z: (N,) for one example, (m, N) for a batch. Look "
        "for a sum without keepdims=True, a reshape, a flatten or a transpose."
    ),
    "single_number": (
        "A softmax returns one probability per logit, but your function returned "
        "a single number. If that number is the sum of the exponentials, it is "
        "the divisor: divide each e^z_j by it and return the whole array."
    ),
    "no_division": (
        "These are the exponentials e^z, not yet probabilities: they do not add "
        "up to 1. Divide every exponential by the sum of all of them."
    ),
    "other_divisor": (
        "The exponential is right (your outputs are proportional to e^z), but "
        "they do not add up to 1: you divided by something other than the sum "
        "of the exponentials, such as the largest one, the number of classes or "
        "the sum of z. Divide each e^z_j by the sum of all the exponentials."
    ),
    "batch_sum": (
        "Each row is one example and must add up to 1, but your rows add up to 1 "
        "only all together: np.sum(e) without an axis adds up the whole batch. Give "
        "each row its own sum: np.sum(e, axis=-1, keepdims=True)."
    ),
    "softmin": (
        "Your outputs are the softmax of -z: the largest logit gets the smallest "
        "probability. Use np.exp(z), not np.exp(-z) (subtracting max(z) is right; "
        "changing the sign of z is not)."
    ),
    "probabilities_not_softmax": (
        "Your outputs are positive and add up to 1, but they are not the softmax of "
        "the logits you were given. Use z exactly as it comes (no clipping, rounding "
        "or scaling): a_j = e^z_j / (e^z_0 + ... + e^z_(N-1))."
    ),
    "no_exponential": (
        "Your outputs are z divided by the sum of z: the exponential is missing. "
        "Apply np.exp to z first, then divide by the sum of the exponentials "
        "(without it, a negative logit gives a negative 'probability')."
    ),
    "sigmoid": (
        "Your result matches a sigmoid, 1 / (1 + e^-z), applied to each logit on "
        "its own. That is the two-class activation. A softmax divides each e^z_j "
        "by the sum over all classes, so every output depends on every logit."
    ),
    "overflow": (
        "np.exp overflows to inf above about 709 and underflows to 0 below about "
        "-745, and inf / inf or 0 / 0 is nan. Subtract the largest logit before "
        "exponentiating: softmax(z - max(z)) equals softmax(z), and the largest "
        "exponential becomes e^0 = 1 (for a loss, log of the sum of e^z equals "
        "max(z) + log of the sum of e^(z - max(z)))."
    ),
    "wrong_axis": (
        "For a batch, each row is one example and each row must add up to 1. "
        "You summed down the columns, across examples. Sum along the last axis, "
        "the classes: np.sum(e, axis=-1, keepdims=True)."
    ),
    "max_wrong_axis": (
        "Subtract each row's own largest logit: np.max(z, axis=-1, keepdims=True). "
        "The max of a column changes the answer, and the max of the whole batch "
        "makes every row far below it underflow to 0 (giving 0 / 0 = nan, or log(0))."
    ),
    "modified_input": (
        "Your function changed the array it was given (for example with z -= ..., "
        "z[...] = ... or np.exp(z, out=z)), so the caller's data are gone. Make a "
        "new array instead: z = z - ..."
    ),
    "wrong_values": (
        "This is not the softmax of z. Compare your code with "
        "a_j = e^z_j / (e^z_0 + ... + e^z_(N-1)): every output is positive and, "
        "for each example, the outputs add up to 1."
    ),
    # --- cross-entropy
    "wrong_shape_loss": (
        "The loss is one number per example: a single number for probabilities "
        "of shape (N,), an array of shape (m,) for a batch of shape (m, N)."
    ),
    "one_number_per_class": (
        "You returned one number per class. The loss of an example is a single "
        "number, -log(probabilities[target_class]): only the target's term "
        "counts (with a one-hot vector you would have to add the terms up)."
    ),
    "cost_not_losses": (
        "For a batch, return one loss per example, shape (m,). You returned a "
        "single number, the mean (the cost) or the sum of the losses."
    ),
    "all_pairs": (
        "probabilities[:, target_class] picks every target for every row, shape "
        "(m, m). Pair row i with its own target: "
        "probabilities[np.arange(m), target_class]."
    ),
    "missing_minus": (
        "Your loss is negative: it is log(a_y). The loss is -log(a_y): 0 when the "
        "target gets probability 1, and growing as that probability falls."
    ),
    "no_log": (
        "The loss needs a logarithm: L = -log(a_y). Your result is the target's "
        "probability a_y (or 1 - a_y) itself."
    ),
    "log_base": (
        "Use the natural logarithm, np.log. Your result matches log base 10 or "
        "base 2, which scales the loss (and its gradient) by a constant."
    ),
    "wrong_class_index": (
        "Your loss uses the probability of the class just before the target. "
        "Classes are numbered from 0, so the target's probability is "
        "probabilities[target_class], with no - 1."
    ),
    "largest_probability": (
        "Your loss uses the largest probability, the class the model predicts. "
        "The loss uses the probability of the target class, whatever the model "
        "predicted."
    ),
    "all_classes": (
        "Your loss adds -log(a_j) over every class. Only the target class counts: "
        "L = -log(a_y)."
    ),
    "entropy": (
        "Your result is the entropy -sum(a_j * log(a_j)) of the prediction, which "
        "never looks at the target. The loss is -log(a_y)."
    ),
    "zero_times_log": (
        "A probability of exactly 0 in a class that is not the target gave nan: "
        "0 * log(0) is 0 * (-inf) = nan in NumPy. Pick the target's probability "
        "by indexing instead of multiplying every log by a one-hot vector."
    ),
    "logits_as_probabilities": (
        "You took -log of the logit itself, but logits are not probabilities. Use "
        "log(a_y) = z_y - log(e^z_0 + ... + e^z_(N-1)), with the largest logit "
        "subtracted first."
    ),
    "unshifted_target_logit": (
        "Your loss is off by max(z): you subtracted the largest logit inside the "
        "log of the sum but not from z_y. Shift both the same way: "
        "log(a_y) = (z_y - max(z)) - log(sum(e^(z - max(z))))."
    ),
    "batch_logsumexp": (
        "Your log of the sum of e^z adds up the whole batch, so every example is "
        "divided by the same total. Take one sum per row: "
        "np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))."
    ),
    "loss_overflow": (
        "np.exp(1000) is inf, so the log of the sum of e^z became inf (and inf - inf "
        "is nan). Subtract the largest logit first: log(sum(e^z)) = max(z) + "
        "log(sum(e^(z - max(z)))), and the largest term is then e^0 = 1."
    ),
    "array_not_number": (
        "For one example, return one number, not an array of shape (1,): index "
        "with the class itself, log_probabilities[target_class], not with a list "
        "or a slice around it."
    ),
    "underflow": (
        "The target's probability underflowed to 0 (e^-800 is below the smallest "
        "float64), so the log gave -inf; clipping the probability hides the inf "
        "but still gives a loss far too small. Do not compute the probability "
        "first: log(a_y) = (z_y - max(z)) - log(sum(e^(z - max(z)))) stays finite. "
        "This is what from_logits=True does in Keras."
    ),
    "wrong_values_loss": (
        "This is not the cross-entropy loss. For each example it is "
        "-log(a_y): minus the natural log of the probability of the target class."
    ),
}


@dataclass(frozen=True)
class CheckReport:
    """What one checker found.

    Attributes
    ----------
    function_name : str
        The name of the student's function (``"your function"`` for a lambda).
    passed : bool
        True when every case passed.
    total : int
        How many checks the battery has.
    failed_check : int or None
        The number (1-based) of the first failing check; None when all passed.
    mistake : str or None
        The key in ``HINTS`` of the likely mistake; None when all passed.
    headline : str
        The first line: "All N checks passed ..." or which check failed.
    details : tuple of str
        The failing case: input, expected and actual output, warnings.
    hint : str
        ``HINTS[mistake]``, or "" when all passed.
    """

    function_name: str
    passed: bool
    total: int
    failed_check: int | None = None
    mistake: str | None = None
    headline: str = ""
    details: tuple[str, ...] = ()
    hint: str = ""

    @property
    def message(self) -> str:
        """The whole report as plain text."""
        lines = [self.headline, *self.details]
        if self.hint:
            lines.append("Hint: " + self.hint)
        return "\n".join(lines)

    def to_html(self) -> str:
        """The report as a colored box: green when passed, red otherwise."""
        color, background, mark = (
            ("#1E6B24", "#EEF7EE", "&#10004;") if self.passed
            else ("#C00000", "#FDF0F0", "&#10008;")
        )
        parts = [
            f'<div style="border-left: 6px solid {color}; background: {background}; '
            f'color: #1A1A1A; padding: 0.5em 0.9em; margin: 0.3em 0;">',
            f'<div style="color: {color}; font-weight: bold;">{mark} '
            f"{html.escape(self.headline)}</div>",
        ]
        if self.details:
            parts.append(
                '<pre style="margin: 0.4em 0; background: transparent; color: #1A1A1A;">'
                + html.escape("\n".join(self.details)) + "</pre>"
            )
        if self.hint:
            parts.append(f"<div><b>Hint:</b> {html.escape(self.hint)}</div>")
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self.message, "text/html": self.to_html()}

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------
# Reference implementations (what a correct answer returns)


def _softmax(z):
    z = np.asarray(z, dtype=float)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def _log_softmax(z):  # z: a float array (the battery's logits, already converted)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _pick(values, target_class):
    """values[target_class] for one example, values[i, target_class[i]] for a batch."""
    values = np.asarray(values)
    target_class = np.asarray(target_class)
    if values.ndim == 1:
        return values[int(target_class)]
    return values[np.arange(values.shape[0]), target_class]


def _cross_entropy(probabilities, target_class):
    return -np.log(_pick(probabilities, target_class))


def _cross_entropy_from_logits(logits, target_class):
    return -_pick(_log_softmax(logits), target_class)


# --------------------------------------------------------------------------
# How a case is run and a failure diagnosed

Matcher = Callable[[np.ndarray, tuple], bool]


@dataclass(frozen=True)
class _Case:
    description: str
    arguments: tuple
    argument_names: tuple[str, ...]
    expected: np.ndarray
    # (mistake, matcher) pairs, tried in order on a wrong result
    look_alikes: tuple[tuple[str, Matcher], ...] = ()
    # mistake named when the result holds nan or inf (checked before look_alikes)
    if_not_finite: str | None = None
    # mistake named when the function raises an error no pattern recognises
    if_raises: str = "raised"
    # mistake named for a result of the wrong shape that no look-alike explains
    wrong_shape: str = "wrong_shape"
    # mistake named for wrong values that no look-alike explains
    wrong_values: str = "wrong_values"


@contextlib.contextmanager
def _quiet():
    """Run NumPy and student code with every warning recorded, none shown."""
    # NumPy's default error handling, whatever the student's session has set.
    with warnings.catch_warnings(record=True) as caught, np.errstate(
        over="warn", divide="warn", invalid="warn", under="ignore"
    ):
        warnings.simplefilter("always")
        yield caught


def _copies(arguments: tuple) -> tuple:
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in arguments)


def _looks_like(wrong: Callable) -> Matcher:
    """A matcher: does the result equal what ``wrong`` returns on the same input?"""

    def matcher(got, arguments):
        with _quiet():
            try:
                alternative = np.asarray(wrong(*_copies(arguments)), dtype=float)
            except Exception:
                return False
            return alternative.shape == got.shape and bool(
                np.allclose(got, alternative, rtol=RTOL, atol=ATOL, equal_nan=True)
            )

    return matcher


def _look_alikes(*entries) -> list[tuple[str, Matcher]]:
    """Matchers from ``(mistake, wrong function, ...)`` entries, in the order they are tried."""
    return [(entry[0], _looks_like(wrong)) for entry in entries for wrong in entry[1:]]


def _proportional_to_exp(got, arguments):
    """Each example's outputs are e^z times one constant (not 1 / sum)."""
    z = np.asarray(arguments[0], dtype=float)
    if got.shape != z.shape or not np.all(np.isfinite(got)) or np.any(got <= 0):
        return False
    with _quiet():
        ratio = got / np.exp(z - np.max(z, axis=-1, keepdims=True))
        scale = np.mean(ratio, axis=-1, keepdims=True)
        return bool(np.all(np.isfinite(ratio)) and np.allclose(ratio, scale, rtol=1e-4, atol=0))


def _are_probabilities(got) -> bool:
    """Every entry positive and each example's entries adding up to 1."""
    return bool(got.size and np.all(np.isfinite(got)) and np.all(got > 0)
                and np.allclose(np.sum(got, axis=-1), 1.0, rtol=0, atol=ATOL))


def _function_name(fn) -> str:
    name = getattr(fn, "__name__", "")
    return name if name and name.isidentifier() else "your function"


def _format(value, prefix: str) -> str:
    """``prefix`` followed by ``value``, continuation lines aligned under it."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        text = np.array2string(value, precision=4, suppress_small=True, prefix=prefix,
                               max_line_width=88)
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.4f}"
    else:
        text = repr(value)
        if len(text) > 120:
            text = text[:117] + "..."
    return prefix + text


def _describe_arguments(case: _Case) -> str:
    lines = []
    for name, value in zip(case.argument_names, case.arguments):
        lines.append(_format(value, f"  {'input:' if not lines else '':<10}{name} = "))
    return "\n".join(lines)


# What NumPy and Python say when a class number is indexed into, or an array of
# probabilities is used as an index: the arguments came in the wrong order.
_INDEXED_WRONG = re.compile(
    r"'(int|float|numpy\.\w+)' object is not subscriptable"
    r"|invalid index to scalar variable"
    r"|arrays used as indices must be of integer"
    r"|only integers, slices")


def _error_mistake(error: Exception, case: _Case, fn) -> str:
    text = str(error)
    if isinstance(error, NotImplementedError):
        return "not_done"  # the release's placeholder is still there
    if isinstance(error, NameError):
        return "raised_name"
    own_names = tuple(f"{getattr(fn, attribute, '?')}()" for attribute in ("__name__", "__qualname__"))
    if isinstance(error, TypeError) and text.startswith(own_names) and "argument" in text:
        return "raised_arguments"  # the call itself failed, not a line inside the function
    if isinstance(error, ValueError) and "broadcast" in text:
        return "raised_broadcast"
    if isinstance(error, np.exceptions.AxisError):
        return "raised_axis"
    if len(case.arguments) > 1 and _INDEXED_WRONG.search(text):
        return "raised_argument_order"
    if isinstance(error, IndexError):
        return "raised_index"
    return case.if_raises


def _as_numbers(result):
    """The result as a float array, or None if it is not numbers."""
    if isinstance(result, (str, bytes, dict, set)):
        return None
    try:
        if np.iscomplexobj(result):
            return None
        if hasattr(result, "numpy") and callable(result.numpy):  # a TensorFlow tensor
            result = result.numpy()
        if isinstance(result, np.ndarray) and result.dtype.kind not in "biuf":
            return None
        with _quiet():
            return np.asarray(result, dtype=float)
    except Exception:  # ragged lists, generators, objects NumPy cannot convert
        return None


def _extra_details(mistake: str, got: np.ndarray, case: _Case) -> list[str]:
    z = case.arguments[0]  # an array: _softmax_case and _loss_case convert it
    if mistake == "other_divisor" and z.ndim == 1:
        with _quiet():
            divisor = float(np.exp(z[0]) / got[0])
            total = float(np.sum(np.exp(z)))
        return [f"  (your outputs are e^z divided by {divisor:.4g}; the sum of e^z is {total:.4g})"]
    if mistake == "wrong_values" and got.shape == z.shape:
        sums = np.sum(got, axis=-1)
        if z.ndim == 1:
            return [f"  (your outputs add up to {float(sums):.4g})"]
        return [_format(sums, "  (your rows add up to ") + ")"]
    return []


def _warning_details(caught) -> list[str]:
    messages = []
    for record in caught:
        if issubclass(record.category, RuntimeWarning):
            text = str(record.message)
            if text not in messages:
                messages.append(text)
    return ["  NumPy warned: " + "; ".join(messages)] if messages else []


def _run_case(fn, case: _Case) -> tuple[str, list[str]] | None:
    """None when ``fn`` passes ``case``; otherwise (mistake, detail lines)."""
    arguments = _copies(case.arguments)
    expected_line = _format(case.expected, "  expected: ")
    with _quiet() as caught:
        try:
            result = fn(*arguments)
        except Exception as error:  # the student's error is the report, never raised
            first_line = (str(error).strip().splitlines() or [""])[0]
            if len(first_line) > 160:
                first_line = first_line[:157] + "..."
            got_line = f"  got:      {type(error).__name__}: {first_line}".rstrip(": ")
            return _error_mistake(error, case, fn), [
                _describe_arguments(case), expected_line, got_line, *_warning_details(caught)
            ]
    warned = _warning_details(caught)
    head = [_describe_arguments(case), expected_line]

    if result is None:
        return "returned_none", [*head, "  got:      None"]
    got = _as_numbers(result)
    if got is None:
        return "not_numbers", [*head, _format(result, f"  got:      a {type(result).__name__}: ")]
    got_line = _format(got, "  got:      ")

    if got.shape != case.expected.shape:
        mistake = next((key for key, matches in case.look_alikes if matches(got, case.arguments)),
                       case.wrong_shape)
        if mistake == "wrong_shape" and got.ndim == 0:
            mistake = "single_number"
        shape_line = f"  got shape {got.shape}, expected shape {case.expected.shape}"
        return mistake, [*head, got_line, shape_line, *warned]
    close = np.allclose(got, case.expected, rtol=RTOL, atol=ATOL)
    if not close:
        if case.if_not_finite and not np.all(np.isfinite(got)):
            mistake = case.if_not_finite
        else:
            mistake = next((key for key, matches in case.look_alikes if matches(got, case.arguments)),
                           case.wrong_values)
            if mistake == "wrong_values" and _are_probabilities(got):
                mistake = "probabilities_not_softmax"
        return mistake, [*head, got_line, *_extra_details(mistake, got, case), *warned]
    for name, before, after in zip(case.argument_names, case.arguments, arguments):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
            return "modified_input", [
                _format(before, f"  {name} before the call: "),
                _format(np.asarray(after), f"  {name} after the call:  "),
                "  (the result itself was right)",
            ]
    return None


# What to write first in each exercise, for the "not done yet" line.
FIRST_STEPS: dict[str, str] = {
    "check_softmax": "the exponentials e^z of every entry of z",
    "check_stable_softmax": "z minus each row's largest logit, as a new array",
    "check_cross_entropy": "the target's probability, one per example",
    "check_cross_entropy_from_logits": "the log of every class's probability, equation (3)",
}


def _run(fn, make_cases: Callable[[], list[_Case]], checker_name: str) -> CheckReport:
    # Everything, including building the expected answers, runs with NumPy's
    # default error handling, whatever the session has set.
    with _quiet():
        return _run_quietly(fn, make_cases(), checker_name)


def _not_done(name: str, checker_name: str, total: int, number: int) -> CheckReport:
    """The one-line report for a function that still holds the placeholder."""
    return CheckReport(
        function_name=name, passed=False, total=total, failed_check=number,
        mistake="not_done",
        headline=(f"Not done yet: {name} still raises NotImplementedError. Replace that "
                  f"line with your code, starting with {FIRST_STEPS[checker_name]}."),
    )


def _run_quietly(fn, cases: list[_Case], checker_name: str) -> CheckReport:
    name = _function_name(fn)
    total = len(cases)
    if not callable(fn):
        return CheckReport(
            function_name=name, passed=False, total=total, failed_check=None,
            mistake="not_a_function",
            headline=(f"{checker_name} needs a function to call, but it was given a value "
                      f"of type {type(fn).__name__}."),
            hint=HINTS["not_a_function"],
        )
    for number, case in enumerate(cases, start=1):
        failure = _run_case(fn, case)
        if failure is not None:
            mistake, details = failure
            if mistake == "not_done":
                return _not_done(name, checker_name, total, number)
            return CheckReport(
                function_name=name, passed=False, total=total, failed_check=number,
                mistake=mistake,
                headline=f"Check {number} of {total} failed: {name} on {case.description}.",
                details=tuple(details), hint=HINTS[mistake],
            )
    return CheckReport(
        function_name=name, passed=True, total=total,
        headline=f"All {total} checks passed for {name}.",
    )


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where HTML can be shown)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _show(report: CheckReport) -> bool:
    if _in_notebook():
        from IPython.display import display

        display(report._repr_mimebundle_(), raw=True)
    else:
        print(report.message)
    return report.passed


# --------------------------------------------------------------------------
# The batteries


def _softmax_case(description, z, look_alikes, **options) -> _Case:
    z = np.asarray(z)
    return _Case(description, (z,), ("z",), _softmax(z), look_alikes, **options)


def _basic_softmax_look_alikes() -> list[tuple[str, Matcher]]:
    def exponentials_only(z):
        return np.exp(z)

    def without_exponential(z):
        return z / np.sum(z, axis=-1, keepdims=True)

    def sigmoid(z):
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))

    def softmin(z):
        return _softmax(-np.asarray(z, dtype=float))

    return [
        *_look_alikes(("no_division", exponentials_only), ("no_exponential", without_exponential),
                      ("sigmoid", sigmoid), ("softmin", softmin)),
        ("other_divisor", _proportional_to_exp),
    ]


def _batch_softmax_look_alikes() -> list[tuple[str, Matcher]]:
    def sum_down_columns(z):
        exponentials = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return exponentials / np.sum(exponentials, axis=0)

    def sum_over_batch(z):
        exponentials = np.exp(z - np.max(z))
        return exponentials / np.sum(exponentials)

    def row_max_batch_sum(z):
        exponentials = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return exponentials / np.sum(exponentials)

    def max_of_columns(z):
        exponentials = np.exp(z - np.max(z, axis=0))
        return exponentials / np.sum(exponentials, axis=-1, keepdims=True)

    def max_of_columns_sum_down_columns(z):
        exponentials = np.exp(z - np.max(z, axis=0))
        return exponentials / np.sum(exponentials, axis=0)

    return [
        *_look_alikes(("wrong_axis", sum_down_columns), ("batch_sum", row_max_batch_sum, sum_over_batch),
                      ("wrong_axis", max_of_columns_sum_down_columns), ("max_wrong_axis", max_of_columns)),
        *_basic_softmax_look_alikes(),
    ]


def _softmax_cases() -> list[_Case]:
    basic = tuple(_basic_softmax_look_alikes())
    return [
        _softmax_case("four different logits", [1.0, 2.0, 3.0, 4.0], basic),
        _softmax_case("negative and positive logits", [-2.0, 0.5, -1.0, 3.0], basic),
        _softmax_case("two logits", [0.3, -1.2], basic),
        _softmax_case("three equal logits", [5.0, 5.0, 5.0], basic),
        _softmax_case("a single logit", [2.5], basic),
        _softmax_case("ten logits", np.linspace(-3.0, 3.0, 10), basic),
        _softmax_case("integer logits", np.array([3, 1, 2]), basic, if_raises="raised_integer"),
    ]


def _stable_softmax_cases() -> list[_Case]:
    basic = tuple(_basic_softmax_look_alikes())
    batch = tuple(_batch_softmax_look_alikes())
    return [
        _softmax_case("four different logits", [1.0, 2.0, 3.0, 4.0], basic),
        _softmax_case("large logits (near +1000)", [1000.0, 1001.0, 1002.0], basic,
                      if_not_finite="overflow"),
        _softmax_case("very negative logits (near -1000)", [-1000.0, -1001.0, -1002.0], basic,
                      if_not_finite="overflow"),
        _softmax_case("logits spread far apart", [-1000.0, 0.0, 1000.0], basic,
                      if_not_finite="overflow"),
        _softmax_case("a batch of three examples, shape (3, 4)",
                      [[1.0, 2.0, 3.0, 4.0], [2.0, -1.0, 0.5, 0.0], [-3.0, 3.0, 0.0, 1.0]], batch),
        _softmax_case("a batch whose rows are far apart, shape (3, 4)",
                      [[1000.0, 1001.0, 1002.0, 1003.0], [0.0, 1.0, 2.0, 3.0],
                       [-1000.0, -999.0, -998.0, -997.0]], batch,
                      if_not_finite="max_wrong_axis"),
        _softmax_case("a batch of one example, shape (1, 3)", [[0.5, -0.5, 2.0]], batch),
        _softmax_case("integer logits", np.array([3, 1, 2]), basic, if_raises="raised_integer"),
    ]


def _loss_look_alikes(log_probabilities: Callable) -> list[tuple[str, Matcher]]:
    """Wrong losses, built on ``log_probabilities(x)`` = log a for input x."""

    def log_without_minus(x, y):
        return _pick(log_probabilities(x), y)

    def probability_itself(x, y):
        return np.exp(_pick(log_probabilities(x), y))

    def one_minus_probability(x, y):
        return 1 - np.exp(_pick(log_probabilities(x), y))

    def log10_loss(x, y):
        return -_pick(log_probabilities(x), y) / np.log(10)

    def log2_loss(x, y):
        return -_pick(log_probabilities(x), y) / np.log(2)

    def class_before_target(x, y):
        return -_pick(log_probabilities(x), np.asarray(y) - 1)

    def largest_probability(x, y):
        return -np.max(log_probabilities(x), axis=-1)

    def every_class(x, y):
        return -np.sum(log_probabilities(x), axis=-1)

    def entropy(x, y):
        logs = log_probabilities(x)
        return -np.sum(np.exp(logs) * logs, axis=-1)

    def per_class(x, y):
        return -log_probabilities(x)

    def one_hot_without_sum(x, y):
        logs = log_probabilities(x)
        one_hot = np.zeros_like(logs)
        if logs.ndim == 1:
            one_hot[int(y)] = 1
        else:
            one_hot[np.arange(logs.shape[0]), y] = 1
        return -one_hot * logs

    def mean_loss(x, y):
        return np.mean(-_pick(log_probabilities(x), y))

    def summed_loss(x, y):
        return np.sum(-_pick(log_probabilities(x), y))

    def every_target_for_every_row(x, y):
        return -log_probabilities(x)[:, y]

    def one_element_array(got, arguments):  # one example's loss, shape (1,)
        x, y = arguments
        if got.shape != (1,) or np.ndim(y) != 0 or np.ndim(x) != 1:
            return False
        with _quiet():
            return bool(np.allclose(got[0], -_pick(log_probabilities(x), y), rtol=RTOL, atol=ATOL))

    return [
        *_look_alikes(
            ("missing_minus", log_without_minus),
            ("no_log", probability_itself, one_minus_probability),
            ("log_base", log10_loss, log2_loss),
            ("wrong_class_index", class_before_target),
            ("largest_probability", largest_probability),
            ("all_classes", every_class),
            ("entropy", entropy),
            ("one_number_per_class", per_class, one_hot_without_sum),
            ("cost_not_losses", mean_loss, summed_loss),
            ("all_pairs", every_target_for_every_row),
        ),
        ("array_not_number", one_element_array),
    ]


def _loss_case(description, first, target_class, look_alikes, names, reference, **options):
    first = np.asarray(first, dtype=float)
    if isinstance(target_class, list):
        target_class = np.asarray(target_class)
    expected = np.asarray(reference(first, target_class), dtype=float) + 0.0  # no -0.
    return _Case(description, (first, target_class), names, expected, tuple(look_alikes),
                 wrong_shape="wrong_shape_loss", wrong_values="wrong_values_loss", **options)


def _cross_entropy_cases() -> list[_Case]:
    names = ("probabilities", "target_class")
    wrong = _loss_look_alikes(np.log)

    def case(description, probabilities, target_class, **options):
        return _loss_case(description, probabilities, target_class, wrong, names,
                          _cross_entropy, **options)

    return [
        case("one example", [0.15, 0.6, 0.05, 0.2], 3),
        case("one example whose target is class 0", [0.7, 0.2, 0.1], 0),
        case("a certain, correct prediction with zeros elsewhere", [0.0, 1.0, 0.0], 1,
             if_not_finite="zero_times_log"),
        case("a batch of three examples, shape (3, 4)",
             [[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.4, 0.1]], [3, 0, 1]),
        case("a batch of one example, shape (1, 3)", [[0.2, 0.5, 0.3]], [2]),
        case("one example with the target as a NumPy integer", [0.3, 0.3, 0.4], np.int64(1)),
    ]


def _cross_entropy_from_logits_cases() -> list[_Case]:
    names = ("logits", "target_class")

    def logits_as_probabilities(z, y):
        return -np.log(_pick(z, y))

    def sigmoid_loss(z, y):
        return np.log1p(np.exp(-_pick(z, y)))

    def unshifted_target_logit(z, y):  # z_y where z_y - max(z) belongs
        shifted = z - np.max(z, axis=-1, keepdims=True)
        return -(_pick(z, y) - np.log(np.sum(np.exp(shifted), axis=-1)))

    def batch_logsumexp(z, y):  # row max, but one sum over the whole batch
        shifted = z - np.max(z, axis=-1, keepdims=True)
        return -_pick(shifted - np.log(np.sum(np.exp(shifted))), y)

    def batch_max_and_logsumexp(z, y):
        shifted = z - np.max(z)
        return -_pick(shifted - np.log(np.sum(np.exp(shifted))), y)

    wrong = [
        *_look_alikes(("logits_as_probabilities", logits_as_probabilities), ("sigmoid", sigmoid_loss),
                      ("unshifted_target_logit", unshifted_target_logit)),
        *_loss_look_alikes(_log_softmax),
        *_look_alikes(("batch_logsumexp", batch_logsumexp, batch_max_and_logsumexp)),
    ]

    def case(description, logits, target_class, **options):
        options.setdefault("if_not_finite", "loss_overflow")
        return _loss_case(description, logits, target_class, wrong, names,
                          _cross_entropy_from_logits, **options)

    def too_small(got, arguments):  # a clipped probability: finite, far below the loss
        expected = _cross_entropy_from_logits(*arguments)
        return bool(np.all(np.isfinite(got)) and np.any(got < expected - 1))

    return [
        case("one example", [0.5, 2.0, -1.0, 1.5], 3),
        case("one example with large logits (near +1000)", [1000.0, 1002.0, 999.0, 1001.0], 1),
        _loss_case("a target whose logit is 800 below the others", [0.0, -800.0, 5.0, 1.0], 1,
                   [*wrong, ("underflow", too_small)], names, _cross_entropy_from_logits,
                   if_not_finite="underflow"),
        case("a batch of three examples, shape (3, 4)",
             [[0.5, 2.0, -1.0, 1.5], [1000.0, 1002.0, 999.0, 1001.0], [0.0, -800.0, 5.0, 1.0]],
             [0, 1, 1], if_not_finite="max_wrong_axis"),
        case("a batch of one example, shape (1, 3)", [[1.0, -2.0, 0.5]], [2]),
    ]


# --------------------------------------------------------------------------
# One diagnosis for every lesson


def diagnose_softmax_output(output, z, changed_input: bool = False) -> str | None:
    """Which mistake a softmax's ``output`` for the logits ``z`` shows.

    The same look-alikes, tolerances and hints as ``check_softmax`` and
    ``check_stable_softmax``, for one output already computed (lesson 01's
    explorer calls this, through ``lab_utils_softmax.check_softmax_output``).

    Parameters
    ----------
    output : object
        What a softmax function returned for ``z``.
    z : (N,) or (m, N) array_like
        The logits it was given.
    changed_input : bool
        Whether the function changed the array it was given.

    Returns
    -------
    str or None
        A key of ``HINTS``, or None when ``output`` is the softmax of ``z``.
    """
    z = np.asarray(z, dtype=float)
    look_alikes = _batch_softmax_look_alikes() if z.ndim == 2 else _basic_softmax_look_alikes()
    with _quiet():
        case = _softmax_case("the logits given", z, tuple(look_alikes),
                             if_not_finite="overflow" if np.max(np.abs(z)) > 88 else None)
        if output is None:
            return "returned_none"
        got = _as_numbers(output)
        if got is None:
            return "not_numbers"
        if got.shape != case.expected.shape:
            mistake = next((key for key, matches in case.look_alikes if matches(got, case.arguments)),
                           "wrong_shape")
            return "single_number" if mistake == "wrong_shape" and got.ndim == 0 else mistake
        if not np.allclose(got, case.expected, rtol=RTOL, atol=ATOL):
            if case.if_not_finite and not np.all(np.isfinite(got)):
                return case.if_not_finite
            mistake = next((key for key, matches in case.look_alikes if matches(got, case.arguments)),
                           "wrong_values")
            return "probabilities_not_softmax" if (mistake == "wrong_values"
                                                   and _are_probabilities(got)) else mistake
    return "modified_input" if changed_input else None


# --------------------------------------------------------------------------
# What students call


_BATTERIES = {
    "check_softmax": lambda: _softmax_cases,
    "check_stable_softmax": lambda: _stable_softmax_cases,
    "check_cross_entropy": lambda: _cross_entropy_cases,
    "check_cross_entropy_from_logits": lambda: _cross_entropy_from_logits_cases,
}


def run_checks(checker: str, fn) -> CheckReport:
    """Run the checker named ``checker`` on ``fn``; return its report without displaying it.

    ``fn`` takes what that checker's docstring says: ``fn(z)`` for the softmax
    checkers, ``fn(probabilities or logits, target_class)`` for the losses.
    """
    return _run(fn, _BATTERIES[checker](), checker)


run_softmax_checks = partial(run_checks, "check_softmax")
run_stable_softmax_checks = partial(run_checks, "check_stable_softmax")
run_cross_entropy_checks = partial(run_checks, "check_cross_entropy")
run_cross_entropy_from_logits_checks = partial(run_checks, "check_cross_entropy_from_logits")


@dataclass(frozen=True)
class Points:
    """The points a graded checker cell earns, shown as its last line.

    nbgrader's autograde reads a grade cell's result as its score when the
    plain-text form is a number, so ``text/plain`` is just the number; the
    notebook shows "2 of 2 points".
    """

    earned: float
    out_of: float

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": f"{self.earned:g}",
                "text/html": f"<b>{self.earned:g} of {self.out_of:g} points</b>"}

    def __repr__(self) -> str:
        return f"{self.earned:g}"


def points(passed: bool, out_of: float) -> Points:
    """``out_of`` points when a checker passed, else 0, for a graded cell.

    Parameters
    ----------
    passed : bool
        What the checker returned.
    out_of : float
        The cell's points (the same number as in its nbgrader metadata).

    Returns
    -------
    Points
    """
    return Points(float(out_of) if passed is True else 0.0, float(out_of))


def check_softmax(fn) -> bool:
    """Check a softmax for one example: ``fn(z)``, ``z`` of shape (N,).

    Shows "All N checks passed" or the first failing case with a hint.

    ``fn`` is the function itself, not its result. Returns True when every
    check passed.
    """
    return _show(run_softmax_checks(fn))


def check_stable_softmax(fn) -> bool:
    """Check a stable, batch-capable softmax: ``fn(z)``, ``z`` of shape (N,) or (m, N).

    Shows "All N checks passed" or the first failing case with a hint.

    ``fn`` is the function itself, not its result. Returns True when every
    check passed.
    """
    return _show(run_stable_softmax_checks(fn))


def check_cross_entropy(fn) -> bool:
    """Check ``fn(probabilities, target_class)``, the loss -log(a_y).

    One example: (N,) and an int -> one number. A batch: (m, N) and (m,) ->
    (m,) losses. Shows "All N checks passed" or the first failing case.

    ``fn`` is the function itself, not its result. Returns True when every
    check passed.
    """
    return _show(run_cross_entropy_checks(fn))


def check_cross_entropy_from_logits(fn) -> bool:
    """Check ``fn(logits, target_class)``, the loss -log(softmax(z)_y) from logits.

    The shapes are ``check_cross_entropy``'s, with logits in place of
    probabilities; shows "All N checks passed" or the first failing case.

    ``fn`` is the function itself, not its result. Returns True when every
    check passed.
    """
    return _show(run_cross_entropy_from_logits_checks(fn))
