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

import _thread
import contextlib
import contextvars
import html
import io
import re
import signal
import threading
import time
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

#: Seconds one call of the student's function may take before the checker stops waiting.
CALL_SECONDS = 5.0
#: Seconds all the calls of one battery may take together, so a checker answers within 10 s.
BATTERY_SECONDS = 8.0

HINTS: dict[str, str] = {
    # --- the exercise has not been started
    "not_done": (
        "Replace the line raise NotImplementedError() with your own code, then run "
        "that cell and this one again."
    ),
    # --- the function ran too long, or returned something that is not its own result
    "timed_out": (
        "Your function did not finish within the time limit: a loop that never ends (a while "
        "whose condition never becomes false), or one over far more items than the array has. "
        "Fix the loop, run the cell that defines the function, then run the check again."
    ),
    "returned_outside_variable": (
        "Your function returned an array made outside it, not one computed from its "
        "arguments: usually a variable of the notebook (such as the probabilities of a cell "
        "above), because the name in the return line is never assigned inside the function. "
        "Assign that name in your own lines, from the function's arguments."
    ),
    "printed_not_returned": (
        "Your function printed its result instead of returning it: print only shows a value, "
        "return hands it back to whoever called the function. End the function with return "
        "and the name of your result."
    ),
    "returned_several": (
        "Your function returned several things separated by commas, which Python packs into "
        "one tuple. Return only the result the exercise asks for: return probabilities (or "
        "return loss)."
    ),
    "returned_list": (
        "Your numbers are right, but they came back as a Python list (or tuple), and the "
        "exercise asks for a NumPy array. Compute with NumPy on whole arrays (np.exp, np.sum, "
        "np.log and indexing work on every entry at once) instead of building a list entry by "
        "entry, or turn the list into an array with np.array(...) before returning it."
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
    "raised_too_many_indices": (
        "Your function indexed one example, of shape (N,), with two indices, as for a batch: "
        "probabilities[rows, target_class] needs a 2-D array (NumPy says 'too many indices'). "
        "For one example use probabilities[target_class]; probabilities.ndim == 1 tells the "
        "two cases apart."
    ),
    "math_function": (
        "math.exp and math.log take one number at a time, not an array (NumPy says 'only "
        "0-dimensional arrays can be converted'). Use np.exp and np.log: they work on every "
        "entry of an array at once."
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
    "max_in_one_place": (
        "You subtracted the largest logit in one place only: in the exponentials on top but not "
        "in the sum below (or the other way round), so the outputs no longer add up to 1. "
        "Shift once and use the result in both: shifted = z - np.max(z, axis=-1, "
        "keepdims=True), exponentials = np.exp(shifted), then divide exponentials by their sum."
    ),
    "argmax_not_max": (
        "np.argmax(z) is the position of the largest logit (a number from 0 to N - 1), not its "
        "value, so subtracting it does not keep the exponentials small. Subtract the largest "
        "value itself: np.max(z, axis=-1, keepdims=True)."
    ),
    "integer_buffer": (
        "An array made with np.zeros_like(z) (or np.empty_like(z), or a copy of z) has z's "
        "type: for integer logits such as np.array([3, 1, 2]) it holds whole numbers, and "
        "every probability stored in it is cut down to 0. Make a float array, "
        "np.zeros(z.shape), or convert z first: z = np.asarray(z, dtype=float)."
    ),
    "log_probabilities": (
        "Your outputs are the logarithms of the probabilities, z_j - log(sum of e^z): they are "
        "negative and do not add up to 1. The softmax is e^z_j divided by the sum of e^z; "
        "apply np.exp to what you have, or leave out the log."
    ),
    "softmax_twice": (
        "Your result is the softmax of the softmax of z: the outputs went through softmax a "
        "second time, which pulls them towards equal probabilities. Apply it once."
    ),
    "rounded": (
        "Your outputs are rounded. Return the full values and round only when you print them: "
        "the checker compares about six significant digits."
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
    "target_as_one_hot": (
        "target_class is the class number itself (an integer such as 3), not a one-hot vector, "
        "so multiplying by it scales the logs instead of picking one. Index with it: "
        "-np.log(probabilities[target_class])."
    ),
    "take_without_axis": (
        "np.take without axis= reads the batch as one flat list, so every target is looked up "
        "in the first row. Pair row i with its own target: probabilities[np.arange(m), "
        "target_class], or np.take_along_axis(probabilities, target_class[:, None], axis=-1)[:, 0]."
    ),
    "softmax_of_probabilities": (
        "Your loss applies a softmax to numbers that are already probabilities (the output of "
        "a softmax), which pulls them towards equal values. Take the log of the target's "
        "probability as it is: -np.log(probabilities[target_class])."
    ),
    "clipped_probability": (
        "A tiny probability for the target must give a large loss: -log(1e-12) is 27.63. Yours "
        "is smaller, as when the probability is clipped to at least a small epsilon (np.clip(p, "
        "1e-7, 1 - 1e-7) is what Keras does) or has a small number added before the log. "
        "Lesson 05 shows what that clip does to the loss and its gradient. Take -np.log of "
        "the probability itself."
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
    "no_log_sum_exp": (
        "Your loss is -z_y (or max(z) - z_y): the log of the sum of e^z is missing. "
        "log(a_y) = (z_y - c) - log(sum of e^(z_k - c)) with c = max(z), and the loss is minus that."
    ),
    "log_base_in_sum": (
        "The log of the sum of exponentials must be the natural log, np.log: "
        "log(e^x) = x holds only for base e, so np.log10 or np.log2 there gives a wrong loss."
    ),
    "log_sum_exp_without_exp": (
        "Inside the log, add up the exponentials e^(z_k - c), not the shifted logits z_k - c "
        "themselves: np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True)). A sum of shifted "
        "logits is 0 or negative, and its log is -inf or nan."
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
    # (mistake, matcher) pairs that explain a result holding nan or inf (tried before if_not_finite)
    explain_not_finite: tuple[tuple[str, Matcher], ...] = ()
    # refine(call) -> a better mistake than if_not_finite, or None; ``call(arguments)``
    # runs the student's function on other arguments (the argmax probe)
    refine_not_finite: Callable | None = None


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


def _format(value, prefix: str, precision: int = 4, suppress_small: bool = True) -> str:
    """``prefix`` followed by ``value``, continuation lines aligned under it."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        text = np.array2string(value, precision=precision, suppress_small=suppress_small,
                               prefix=prefix, max_line_width=88)
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.{precision}f}"
    else:
        text = repr(value)
        if len(text) > 120:
            text = text[:117] + "..."
    return prefix + text


def _distinguishing_precision(expected: np.ndarray, got: np.ndarray) -> int:
    """4 digits, or as many more as it takes for expected and got to print differently."""
    for precision in range(4, 18):
        if _format(expected, "", precision) != _format(got, "", precision):
            return precision
    return 17


def _describe_arguments(case: _Case) -> str:
    lines = []
    for name, value in zip(case.argument_names, case.arguments):
        # Inputs are shown as they are: a probability of 1e-12 must not print as 0.
        tiny = isinstance(value, np.ndarray) and bool(np.any((value != 0) & (np.abs(value) < 1e-4)))
        lines.append(_format(value, f"  {'input:' if not lines else '':<10}{name} = ",
                             suppress_small=not tiny))
    return "\n".join(lines)


# What NumPy and Python say when a class number is indexed into, or an array of
# probabilities is used as an index: the arguments came in the wrong order.
_INDEXED_WRONG = re.compile(
    r"'(int|float|numpy\.\w+)' object is not subscriptable"
    r"|invalid index to scalar variable"
    r"|arrays used as indices must be of integer"
    r"|only integers, slices")
# What NumPy says when math.exp or math.log is given an array (NumPy 1 and 2 wordings).
_MATH_ON_AN_ARRAY = re.compile(r"only (length-1|0-dimensional) arrays can be converted to Python scalars")


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
    if isinstance(error, TypeError) and _MATH_ON_AN_ARRAY.search(text):
        return "math_function"
    if len(case.arguments) > 1 and _INDEXED_WRONG.search(text):
        return "raised_argument_order"
    if isinstance(error, IndexError) and text.startswith("too many indices"):
        return "raised_too_many_indices"
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
        digits = next((d for d in range(4, 17) if f"{divisor:.{d}g}" != f"{total:.{d}g}"), 17)
        return [f"  (your outputs are e^z divided by {divisor:.{digits}g}; "
                f"the sum of e^z is {total:.{digits}g})"]
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



class _TimedOut(BaseException):
    """The student's function ran out of time.

    A BaseException, so that a student's ``except Exception`` cannot swallow it.
    ``still_running`` is True where the call could only be abandoned, not stopped
    (a checker called from a thread other than the main one).
    """

    def __init__(self, still_running: bool = False):
        super().__init__()
        self.still_running = still_running


def _call_with_alarm(fn, arguments, seconds):
    """The main thread where SIGALRM exists (Linux, macOS): the alarm stops the function.

    The alarm fires again every 0.1 s, so a loop whose bare ``except:`` swallows
    the first one meets the next on its way out. The handler and any timer that
    was set before are put back afterwards.
    """
    armed = [True]

    def time_is_up(signum, frame):
        if armed[0]:
            raise _TimedOut()

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, time_is_up)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
    try:
        try:
            return fn(*arguments)
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0] > 0:  # someone else's timer: give it back what is left of its time
            left = max(previous_timer[0] - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, previous_timer[1])


def _call_with_interrupt_main(fn, arguments, seconds):
    """The main thread without SIGALRM (Windows): a timer thread sends the main thread Ctrl+C.

    Python's own Ctrl+C handler is put in place for the call: a simulated Ctrl+C
    does nothing where SIGINT is ignored or handled otherwise (a test runner's).
    """
    fired = threading.Event()
    done = threading.Event()

    def time_is_up():
        if done.wait(seconds):
            return
        fired.set()
        while not done.is_set():  # again every 0.1 s, as the alarm: a bare except may swallow one
            _thread.interrupt_main()
            done.wait(0.1)

    previous_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Thread(target=time_is_up, name="softmax-lab timer", daemon=True)
    timer.start()
    try:
        return fn(*arguments)
    except KeyboardInterrupt:
        if fired.is_set():
            raise _TimedOut() from None
        raise
    finally:
        done.set()
        while timer.is_alive():
            try:
                timer.join()
            except KeyboardInterrupt:  # sent just before the timer saw `done`
                pass
        if fired.is_set():  # a Ctrl+C sent just as the function returned lands here
            try:
                time.sleep(0.01)
            except KeyboardInterrupt:
                pass
        signal.signal(signal.SIGINT, previous_handler)


def _call_in_a_thread(fn, arguments, seconds):
    """Any other thread: nothing can stop the function, so the checker stops waiting for it."""
    outcome = {}
    context = contextvars.copy_context()  # NumPy's error settings are per context

    def work():
        try:
            outcome["result"] = context.run(fn, *arguments)
        except BaseException as error:  # handed over to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=work, name="softmax-lab check", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TimedOut(still_running=True)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _time_limited_call(fn, arguments, seconds):
    """``fn(*arguments)``, or _TimedOut after ``seconds``, by the best means where it runs."""
    if threading.current_thread() is not threading.main_thread():
        return _call_in_a_thread(fn, arguments, seconds)
    if hasattr(signal, "setitimer"):
        return _call_with_alarm(fn, arguments, seconds)
    return _call_with_interrupt_main(fn, arguments, seconds)


class _Calls:
    """Every call of one battery to the student's function, within one time budget.

    ``printed`` holds what the last call printed (kept out of the notebook, shown
    in the report when the case fails).
    """

    def __init__(self, fn):
        self.fn = fn
        self.deadline = time.monotonic() + BATTERY_SECONDS
        self.printed = ""
        self.limit = CALL_SECONDS  # the limit of the last call

    def __call__(self, arguments: tuple):
        self.limit = min(CALL_SECONDS, self.deadline - time.monotonic())
        if self.limit <= 0:
            raise _TimedOut()
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            try:
                return _time_limited_call(self.fn, arguments, self.limit)
            finally:
                self.printed = printed.getvalue()


def _printed_details(printed: str) -> list[str]:
    lines = [line for line in printed.strip().splitlines() if line.strip()]
    if not lines:
        return []
    shown = lines[0] if len(lines[0]) <= 100 else lines[0][:97] + "..."
    more = f" (and {len(lines) - 1} more lines)" if len(lines) > 1 else ""
    return [f"  printed:  {shown}{more}"]


def _outside_name(fn, result) -> str | None:
    """The name of a module-level variable of ``fn`` that is ``result`` itself, if any."""
    namespace = getattr(fn, "__globals__", None)
    if not isinstance(namespace, dict) or result is None:
        return None
    for name, value in list(namespace.items()):
        if value is result and not name.startswith("_") and name not in ("In", "Out"):
            return name
    return None


def _returns_an_outside_object(calls: _Calls, case: _Case, result) -> bool:
    """Is ``result`` an array or list made outside the function, returned as it is?

    Either it is one of the function's module-level variables (a notebook's
    ``probabilities``), or a second call, on other numbers, returns the very
    same object: a result computed from the input is a new object each time.
    """
    if not isinstance(result, (np.ndarray, list)):
        return False
    if _outside_name(calls.fn, result) is not None:
        return True
    first = case.arguments[0]
    try:
        other = calls((first * 0.5 - 1.0, *_copies(case.arguments[1:])))
    except Exception:  # a function that computes from its input may well fail here
        return False
    return other is result


def _run_case(calls: _Calls, case: _Case) -> tuple[str, list[str]] | None:
    """None when the function passes ``case``; otherwise (mistake, detail lines).

    Raises _TimedOut when the function runs out of time.
    """
    arguments = _copies(case.arguments)
    with _quiet() as caught:
        try:
            result = calls(arguments)
        except (Exception, SystemExit) as error:  # the student's error is the report, never raised
            # (sys.exit() in the function too: it would otherwise end the check with no report)
            first_line = (str(error).strip().splitlines() or [""])[0]
            if len(first_line) > 160:
                first_line = first_line[:157] + "..."
            got_line = f"  got:      {type(error).__name__}: {first_line}".rstrip(": ")
            return _error_mistake(error, case, calls.fn), [
                _describe_arguments(case), _format(case.expected, "  expected: "), got_line,
                *_warning_details(caught)
            ]
    changed = [(name, before, after) for name, before, after
               in zip(case.argument_names, case.arguments, arguments)
               if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True)]
    return _diagnose(result, case, calls, _warning_details(caught), changed)


def _diagnose(result, case: _Case, calls: _Calls | None = None, warned=(), changed=()):
    """What is wrong with ``result`` for ``case``: None, or (mistake, detail lines).

    ``calls`` runs the student's function again for the probes (the checkers);
    without it (lesson 01's explorer, which has one output) they are skipped.
    ``changed`` lists (name, before, after) for each argument the function changed.
    """
    printed = _printed_details(calls.printed) if calls is not None else []
    head = [_describe_arguments(case), _format(case.expected, "  expected: ")]
    if result is None:
        return ("printed_not_returned" if printed else "returned_none"), [*head, "  got:      None",
                                                                         *printed]
    got = _as_numbers(result)
    if isinstance(result, tuple) and len(result) > 1 and (got is None or got.shape != case.expected.shape):
        return "returned_several", [*head, _format(result, f"  got:      a tuple of {len(result)}: ")]
    if got is None:
        return "not_numbers", [*head, _format(result, f"  got:      a {type(result).__name__}: ")]
    got_line = _format(got, "  got:      ")

    close = got.shape == case.expected.shape and np.allclose(got, case.expected, rtol=RTOL, atol=ATOL)
    if not close and calls is not None and _returns_an_outside_object(calls, case, result):
        outside = _outside_name(calls.fn, result)
        seen = (f"  (that is the variable {outside}, made outside the function)" if outside else
                "  (the very same array for other inputs: it was made outside the function)")
        return "returned_outside_variable", [*head, got_line, seen, *printed]
    if got.shape != case.expected.shape:
        mistake = next((key for key, matches in case.look_alikes if matches(got, case.arguments)),
                       case.wrong_shape)
        if mistake == "wrong_shape" and got.ndim == 0:
            mistake = "single_number"
        shape_line = f"  got shape {got.shape}, expected shape {case.expected.shape}"
        return mistake, [*head, got_line, shape_line, *warned, *printed]
    if not close:
        precision = _distinguishing_precision(case.expected, got)
        head[1] = _format(case.expected, "  expected: ", precision)
        got_line = _format(got, "  got:      ", precision)
        mistake = None
        if not np.all(np.isfinite(got)):
            mistake = next((key for key, matches in case.explain_not_finite
                            if matches(got, case.arguments)), None)
            if mistake is None and case.if_not_finite:
                mistake = case.if_not_finite
                if case.refine_not_finite is not None and calls is not None:
                    mistake = case.refine_not_finite(calls) or mistake
        if mistake is None:
            mistake = next((key for key, matches in case.look_alikes if matches(got, case.arguments)),
                           case.wrong_values)
            if mistake == "wrong_values" and _are_probabilities(got):
                mistake = "probabilities_not_softmax"
        return mistake, [*head, got_line, *_extra_details(mistake, got, case), *warned, *printed]
    for name, before, after in changed:
        return "modified_input", [
            _format(before, f"  {name} before the call: "),
            _format(np.asarray(after), f"  {name} after the call:  "),
            "  (the result itself was right)",
        ]
    if isinstance(result, (list, tuple)):
        try:  # the numbers as NumPy prints them, not a list of np.float64(...) reprs
            shown = np.asarray(result, dtype=float)
        except (TypeError, ValueError):
            shown = result
        return "returned_list", [*head, _format(shown, f"  got:      a {type(result).__name__}: "),
                                 "  (the numbers are right)"]
    return None


# What to write first in each exercise, for the "not done yet" line.
FIRST_STEPS: dict[str, str] = {
    "check_softmax": "the exponentials e^z of every entry of z",
    "check_stable_softmax": "z minus each row's largest logit, as a new array",
    "check_cross_entropy": "the target's probability, one per example",
    "check_cross_entropy_from_logits": "the log of every class's probability, with log-sum-exp",
}


def _interrupted(checker_name: str) -> KeyboardInterrupt:
    """A KeyboardInterrupt that IPython shows as one line, not a traceback."""
    line = (f"{checker_name} was interrupted (the stop button, or Ctrl+C): run the cell again "
            "to check your function.")
    stopped = KeyboardInterrupt(line)
    stopped._render_traceback_ = lambda: [line]  # IPython's hook for an exception's own display
    return stopped


def _run(fn, make_cases: Callable[[], list[_Case]], checker_name: str) -> CheckReport:
    # Everything, including building the expected answers, runs with NumPy's
    # default error handling, whatever the session has set.
    try:
        with _quiet():
            return _run_quietly(fn, make_cases(), checker_name)
    except KeyboardInterrupt:
        raise _interrupted(checker_name) from None


def _not_done(name: str, checker_name: str, total: int, number: int) -> CheckReport:
    """The one-line report for a function that still holds the placeholder."""
    return CheckReport(
        function_name=name, passed=False, total=total, failed_check=number,
        mistake="not_done",
        headline=(f"Not done yet: {name} still raises NotImplementedError. Replace that "
                  f"line with your code, starting with {FIRST_STEPS[checker_name]}."),
    )


def _timed_out(name: str, total: int, number: int, calls: _Calls, error: _TimedOut) -> CheckReport:
    """The one-line report for a function that did not finish in time."""
    if calls.limit >= CALL_SECONDS:
        what = f"{name} did not finish in {CALL_SECONDS:g} s: is there a loop that never ends?"
    else:
        what = (f"{name} took more than {BATTERY_SECONDS:g} s over {number} checks: is there a "
                "loop that runs far longer than it should?")
    if error.still_running:
        what += " It may still be running: restart the kernel to stop it."
    return CheckReport(function_name=name, passed=False, total=total, failed_check=number,
                       mistake="timed_out", headline=f"Check {number} of {total} stopped: {what}")


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
    calls = _Calls(fn)
    for number, case in enumerate(cases, start=1):
        try:
            failure = _run_case(calls, case)
        except _TimedOut as error:
            return _timed_out(name, total, number, calls, error)
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

    def max_on_top_only(z):
        return np.exp(z - np.max(z, axis=-1, keepdims=True)) / np.sum(np.exp(z), axis=-1, keepdims=True)

    def max_below_only(z):
        return np.exp(z) / np.sum(np.exp(z - np.max(z, axis=-1, keepdims=True)), axis=-1, keepdims=True)

    def log_of_softmax(z):
        return _log_softmax(np.asarray(z, dtype=float))

    def softmax_of_softmax(z):
        return _softmax(_softmax(z))

    return [
        *_look_alikes(("no_division", exponentials_only), ("no_exponential", without_exponential),
                      ("sigmoid", sigmoid), ("softmin", softmin),
                      ("max_in_one_place", max_on_top_only, max_below_only),
                      ("log_probabilities", log_of_softmax), ("softmax_twice", softmax_of_softmax)),
        ("rounded", _rounded),
        ("integer_buffer", _integer_buffer),
        ("other_divisor", _proportional_to_exp),
    ]


def _rounded(got, arguments) -> bool:
    """The softmax rounded to between 1 and 6 decimals (and so not the softmax itself)."""
    expected = _softmax(arguments[0])
    return got.shape == expected.shape and any(
        np.array_equal(got, np.round(expected, decimals)) for decimals in range(1, 7))


def _integer_buffer(got, arguments) -> bool:
    """Integer logits, and a result stored in an integer array made like z (np.zeros_like)."""
    z = arguments[0]
    if z.dtype.kind not in "iu" or got.shape != z.shape:
        return False
    candidates = [np.trunc(_softmax(z))]  # the probabilities stored in it
    for shift in (0, np.max(z, axis=-1, keepdims=True)):  # or the exponentials
        exponentials = np.trunc(np.exp(z - shift))
        candidates.append(exponentials / np.sum(exponentials, axis=-1, keepdims=True))
    return any(np.allclose(got, candidate, rtol=RTOL, atol=ATOL, equal_nan=True) for candidate in candidates)


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


# Logits that a softmax shifted by np.argmax(z) (a position, 0 to 3) gets right, and one
# shifted by nothing, by the minimum, by the mean or by the largest magnitude does not.
_ARGMAX_PROBES = ((-1000.0, -5.0, -5.0, -4.0), (-1000.0, -1000.0, -1000.0, 711.0))


def _shifted_by_argmax(arguments_for: Callable, reference: Callable) -> Callable:
    """refine_not_finite for an overflow: "argmax_not_max" when the function gets both probes right."""

    def refine(calls) -> str | None:
        for z in _ARGMAX_PROBES:
            arguments = arguments_for(np.array(z))
            try:
                got = _as_numbers(calls(arguments))
            except Exception:
                return None
            expected = reference(*arguments)
            if got is None or got.shape != np.shape(expected) or not np.allclose(
                    got, expected, rtol=RTOL, atol=ATOL):
                return None
        return "argmax_not_max"

    return refine


def _stable_softmax_cases() -> list[_Case]:
    basic = tuple(_basic_softmax_look_alikes())
    batch = tuple(_batch_softmax_look_alikes())
    overflow = {"if_not_finite": "overflow",
                "refine_not_finite": _shifted_by_argmax(lambda z: (z,), _softmax)}
    return [
        _softmax_case("four different logits", [1.0, 2.0, 3.0, 4.0], basic),
        _softmax_case("large logits (near +1000)", [1000.0, 1001.0, 1002.0], basic, **overflow),
        _softmax_case("very negative logits (near -1000)", [-1000.0, -1001.0, -1002.0], basic,
                      **overflow),
        _softmax_case("logits spread far apart", [-1000.0, 0.0, 1000.0], basic, **overflow),
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

    def taken_from_the_flat_batch(x, y):
        return -np.take(log_probabilities(x), y)

    def times_the_class_number(x, y):
        return -np.sum(y * log_probabilities(x), axis=-1)

    def softmax_of_the_probabilities(x, y):
        return -_pick(_log_softmax(np.exp(log_probabilities(x))), y)

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
            ("take_without_axis", taken_from_the_flat_batch),
            ("target_as_one_hot", times_the_class_number),
            ("softmax_of_probabilities", softmax_of_the_probabilities),
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

    def loss_too_small(got, arguments):  # a clipped probability, or one with an epsilon added
        return bool(np.all(np.isfinite(got)) and np.all(got < _cross_entropy(*arguments) - ATOL))

    return [
        case("one example", [0.15, 0.6, 0.05, 0.2], 3),
        case("one example whose target is class 0", [0.7, 0.2, 0.1], 0),
        case("a certain, correct prediction with zeros elsewhere", [0.0, 1.0, 0.0], 1,
             if_not_finite="zero_times_log"),
        case("a batch of three examples, shape (3, 4)",
             [[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.4, 0.1]], [3, 0, 1]),
        case("a batch of one example, shape (1, 3)", [[0.2, 0.5, 0.3]], [2]),
        case("one example with the target as a NumPy integer", [0.3, 0.3, 0.4], np.int64(1)),
        _loss_case("a target whose probability is tiny, 1e-12", [0.5, 1e-12, 0.5 - 1e-12], 1,
                   [*wrong, ("clipped_probability", loss_too_small)], names, _cross_entropy),
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

    def minus_target_logit(z, y):
        return -_pick(z, y)

    def max_minus_target_logit(z, y):
        return np.max(z, axis=-1) - _pick(z, y)

    def log_sum_exp_in_base(base):
        def log_sum_exp(z, y):
            shifted = z - np.max(z, axis=-1, keepdims=True)
            return -_pick(shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True)) / np.log(base), y)
        return log_sum_exp

    def log_of_the_shifted_logits(z, y):  # np.exp left out inside the log
        shifted = z - np.max(z, axis=-1, keepdims=True)
        return -_pick(shifted - np.log(np.sum(shifted, axis=-1, keepdims=True)), y)

    without_exp = tuple(_look_alikes(("log_sum_exp_without_exp", log_of_the_shifted_logits)))
    wrong = [
        *_look_alikes(("logits_as_probabilities", logits_as_probabilities), ("sigmoid", sigmoid_loss),
                      ("unshifted_target_logit", unshifted_target_logit),
                      ("no_log_sum_exp", minus_target_logit, max_minus_target_logit),
                      ("log_base_in_sum", log_sum_exp_in_base(10), log_sum_exp_in_base(2))),
        *without_exp,
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
        # Only here is nan told apart: an overflow gives nan on large logits, not on these.
        case("one example", [0.5, 2.0, -1.0, 1.5], 3, explain_not_finite=without_exp),
        case("one example with large logits (near +1000)", [1000.0, 1002.0, 999.0, 1001.0], 1,
             refine_not_finite=_shifted_by_argmax(lambda z: (z, 3), _cross_entropy_from_logits)),
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
        changed = [("z", z, z + 1)] if changed_input else []  # only its truth value is used here
        failure = _diagnose(output, case, changed=changed)
    return None if failure is None else failure[0]


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
