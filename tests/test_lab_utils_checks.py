"""lab_utils_checks: every hint is reachable by the mistake it names, correct answers pass.

The tables below are wrong implementations a student might write. For each
one the checker must name exactly the mistake in the table (and show its
hint and no other), and every hint in HINTS must be reached by some row.
At the end: notebook 07 ships unsolved (nbgrader's placeholder in every
exercise), each graded check says "not done yet" in one line, and a collapsed
solution equal to the instructor source's solution follows each check.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest
import scipy.special

import lab_utils_checks as checks
from lab_utils_checks import HINTS

RUNNERS = {
    "check_softmax": checks.run_softmax_checks,
    "check_stable_softmax": checks.run_stable_softmax_checks,
    "check_cross_entropy": checks.run_cross_entropy_checks,
    "check_cross_entropy_from_logits": checks.run_cross_entropy_from_logits_checks,
}


# --- correct implementations, several styles ----------------------------------


def softmax_as_in_the_course(z):
    exponentials = np.exp(z)
    return exponentials / np.sum(exponentials)


def softmax_with_a_loop(z):
    exponentials = [float(np.exp(value)) for value in z]
    total = sum(exponentials)
    return np.array([value / total for value in exponentials])  # made from a list: an array


def softmax_as_a_list(z):
    exponentials = [float(np.exp(value)) for value in z]
    total = sum(exponentials)
    return [value / total for value in exponentials]  # issue 23: a list where an array is asked


def softmax_in_float32(z):
    exponentials = np.exp(np.asarray(z, dtype=np.float32))
    return exponentials / exponentials.sum()


def stable_softmax_with_keepdims(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def stable_softmax_with_newaxis(z):
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1)[..., np.newaxis]
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=-1)[..., np.newaxis]


def stable_softmax_through_transpose(z):
    exponentials = np.exp((z.T - z.T.max(axis=0)))
    return (exponentials / exponentials.sum(axis=0)).T


def stable_softmax_row_by_row(z):
    z = np.asarray(z, dtype=float)
    if z.ndim == 2:
        return np.array([stable_softmax_row_by_row(row) for row in z])
    exponentials = np.exp(z - z.max())
    return exponentials / exponentials.sum()


def stable_softmax_with_tensorflow(z):
    import tensorflow as tf

    return tf.nn.softmax(tf.cast(z, tf.float64), axis=-1)  # a tensor is fine


def stable_softmax_with_tensorflow_as_numpy(z):
    import tensorflow as tf

    return tf.nn.softmax(np.asarray(z, dtype=np.float32), axis=-1).numpy()  # float32 answers


def stable_softmax_in_float32(z):
    z = np.asarray(z, dtype=np.float32)
    exponentials = np.exp(z - z.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def stable_softmax_with_scipy(z):
    return scipy.special.softmax(z, axis=-1)


def cross_entropy_by_indexing(probabilities, target_class):
    probabilities = np.asarray(probabilities)
    if probabilities.ndim == 1:
        return -np.log(probabilities[target_class])
    return -np.log(probabilities[np.arange(len(probabilities)), target_class])


def cross_entropy_with_take_along_axis(probabilities, target_class):
    target = np.asarray(target_class)[..., np.newaxis]
    picked = np.take_along_axis(probabilities, target, axis=-1)[..., 0]
    return -np.log(picked)


def cross_entropy_with_one_hot_where(probabilities, target_class):
    n_classes = probabilities.shape[-1]
    one_hot = np.arange(n_classes) == np.asarray(target_class)[..., np.newaxis]
    return -np.log(np.sum(np.where(one_hot, probabilities, 0.0), axis=-1))


def cross_entropy_with_keras(probabilities, target_class):
    import keras

    probabilities = np.atleast_2d(probabilities)
    losses = keras.losses.sparse_categorical_crossentropy(np.atleast_1d(target_class), probabilities)
    losses = np.asarray(losses)
    return losses if np.ndim(target_class) else float(losses[0])


def cross_entropy_from_logits_with_log_sum_exp(logits, target_class):
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    log_probabilities = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    return -cross_entropy_by_indexing_logs(log_probabilities, target_class)


def cross_entropy_by_indexing_logs(log_probabilities, target_class):
    if log_probabilities.ndim == 1:
        return log_probabilities[target_class]
    return log_probabilities[np.arange(len(log_probabilities)), target_class]


def cross_entropy_from_logits_with_scipy(logits, target_class):
    logits = np.asarray(logits)
    if logits.ndim == 1:
        return scipy.special.logsumexp(logits) - logits[target_class]
    rows = np.arange(len(logits))
    return scipy.special.logsumexp(logits, axis=-1) - logits[rows, target_class]


def cross_entropy_from_logits_with_tensorflow(logits, target_class):
    import tensorflow as tf

    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.constant(target_class), logits=tf.constant(logits, dtype=tf.float32))


CORRECT = [
    ("check_softmax", softmax_as_in_the_course),
    ("check_softmax", softmax_with_a_loop),
    ("check_softmax", softmax_in_float32),
    ("check_softmax", stable_softmax_with_keepdims),
    ("check_softmax", stable_softmax_with_scipy),
    ("check_stable_softmax", stable_softmax_with_keepdims),
    ("check_stable_softmax", stable_softmax_with_newaxis),
    ("check_stable_softmax", stable_softmax_through_transpose),
    ("check_stable_softmax", stable_softmax_row_by_row),
    ("check_stable_softmax", stable_softmax_with_tensorflow),
    ("check_stable_softmax", stable_softmax_with_tensorflow_as_numpy),
    ("check_stable_softmax", stable_softmax_in_float32),
    ("check_stable_softmax", stable_softmax_with_scipy),
    ("check_cross_entropy", cross_entropy_by_indexing),
    ("check_cross_entropy", cross_entropy_with_take_along_axis),
    ("check_cross_entropy", cross_entropy_with_one_hot_where),
    ("check_cross_entropy_from_logits", cross_entropy_from_logits_with_log_sum_exp),
    ("check_cross_entropy_from_logits", cross_entropy_from_logits_with_scipy),
    ("check_cross_entropy_from_logits", cross_entropy_from_logits_with_tensorflow),
]


@pytest.fixture(scope="module", autouse=True)
def tensorflow_already_imported():
    """In a notebook TensorFlow is loaded before a check runs. Its first import takes
    seconds, which must not count against a checker's 5 s limit for one call."""
    import keras  # noqa: F401
    import tensorflow  # noqa: F401


# One plain NumPy correct implementation per checker (the first listed).
CORRECT_BY_CHECKER = {checker: implementation for checker, implementation in reversed(CORRECT)}


@pytest.mark.parametrize("checker, implementation", CORRECT,
                         ids=[f"{c}-{f.__name__}" for c, f in CORRECT])
def test_correct_implementations_pass_every_check(checker, implementation):
    report = RUNNERS[checker](implementation)
    assert report.passed, report.message
    assert report.mistake is None and report.hint == ""
    assert report.message == f"All {report.total} checks passed for {implementation.__name__}."


# --- wrong implementations, and the mistake each must be told -------------------
# Each row: checker, the mistake it must name, a wrong implementation.


def exponentials_only(z):
    return np.exp(z)


def divided_by_largest(z):
    exponentials = np.exp(z)
    return exponentials / np.max(exponentials)


def divided_by_number_of_classes(z):
    return np.exp(z) / len(z)


def divided_by_sum_of_logits(z):
    return np.exp(z) / np.sum(z)


def without_exponential(z):
    return z / np.sum(z)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def subtracts_max_in_place(z):
    z -= np.max(z, axis=-1, keepdims=True)
    exponentials = np.exp(z)
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def exponentiates_in_place(z):
    np.exp(z, out=z)
    return z / np.sum(z)


def returns_a_row(z):
    return softmax_as_in_the_course(z)[np.newaxis, :]


def returns_the_sum(z):
    return np.sum(softmax_as_in_the_course(z))


def forgets_to_return(z):
    exponentials = np.exp(z)
    probabilities = exponentials / np.sum(exponentials)  # noqa: F841


def returns_text(z):
    return str(softmax_as_in_the_course(z))


def returns_a_dict(z):
    return {"probabilities": softmax_as_in_the_course(z)}


def has_a_typo(z):
    exponentials = np.exp(z)
    return exponentials / np.sum(exponentails)  # noqa: F821


def takes_two_arguments(z, axis):
    return stable_softmax_with_keepdims(z)


def helper_of_one_argument(z):
    return z


def calls_its_helper_wrongly(z):
    return helper_of_one_argument(z, 1)


def tensorflow_without_a_cast(z):
    import tensorflow as tf

    return tf.nn.softmax(z)


def returns_the_logits(z):
    return z


def uniform(z):
    return np.full(np.shape(z), 1 / np.shape(z)[-1])


def sums_over_the_whole_batch_after_the_row_max(z):
    exponentials = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials)


def softmin(z):
    exponentials = np.exp(-(z - np.min(z, axis=-1, keepdims=True)))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def clipped_logits(z):
    clipped = np.clip(z, -2.0, 2.0)
    exponentials = np.exp(clipped - np.max(clipped, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def raises_its_own_error(z):
    raise ValueError("I am not finished")


def softmax_minus_a_tenth(z):
    exponentials = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True) - 0.1


def still_the_placeholder(*arguments):
    raise NotImplementedError()


def stable_softmax_for_one_example_only(z):
    exponentials = np.exp(z - np.max(z))
    return exponentials / np.sum(exponentials)


def subtracts_the_minimum(z):
    exponentials = np.exp(z - np.min(z, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def sums_down_columns(z):
    exponentials = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=0)


def subtracts_max_of_the_batch(z):
    exponentials = np.exp(z - np.max(z))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def subtracts_max_of_each_column(z):
    exponentials = np.exp(z - np.max(z, axis=0))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def forgets_keepdims(z):
    exponentials = np.exp(z - np.max(z, axis=-1))
    return exponentials / np.sum(exponentials, axis=-1)


def uses_axis_1(z):
    exponentials = np.exp(z - np.max(z, axis=1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=1, keepdims=True)


def squeezes_the_result(z):
    return np.squeeze(stable_softmax_with_keepdims(z))


def flattens_the_result(z):
    return stable_softmax_with_keepdims(z).ravel()


def stable_softmax_that_keeps_the_input_dtype(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    exponentials = np.exp(shifted, dtype=z.dtype)
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


SOFTMAX_MISTAKES = [
    ("returned_list", softmax_as_a_list),
    ("no_division", exponentials_only),
    ("other_divisor", divided_by_largest),
    ("other_divisor", divided_by_number_of_classes),
    ("other_divisor", divided_by_sum_of_logits),
    ("no_exponential", without_exponential),
    ("sigmoid", sigmoid),
    ("softmin", softmin),
    ("probabilities_not_softmax", clipped_logits),
    ("raised", raises_its_own_error),
    ("wrong_values", softmax_minus_a_tenth),
    ("modified_input", subtracts_max_in_place),
    ("modified_input", exponentiates_in_place),
    ("wrong_shape", returns_a_row),
    ("single_number", returns_the_sum),
    ("returned_none", forgets_to_return),
    ("not_numbers", returns_text),
    ("not_numbers", returns_a_dict),
    ("raised_name", has_a_typo),
    ("raised_arguments", takes_two_arguments),
    ("raised", calls_its_helper_wrongly),
    ("raised_integer", tensorflow_without_a_cast),
    ("wrong_values", returns_the_logits),
    ("probabilities_not_softmax", uniform),
]

STABLE_SOFTMAX_MISTAKES = [
    *SOFTMAX_MISTAKES,
    ("overflow", softmax_as_in_the_course),
    ("overflow", subtracts_the_minimum),
    ("wrong_axis", sums_down_columns),
    ("batch_sum", stable_softmax_for_one_example_only),
    ("batch_sum", sums_over_the_whole_batch_after_the_row_max),
    ("max_wrong_axis", subtracts_max_of_the_batch),
    ("max_wrong_axis", subtracts_max_of_each_column),
    ("raised_broadcast", forgets_keepdims),
    ("raised_axis", uses_axis_1),
    ("wrong_shape", squeezes_the_result),
    ("wrong_shape", flattens_the_result),
    ("raised_integer", stable_softmax_that_keeps_the_input_dtype),
]


def pick(values, target_class):
    values = np.asarray(values)
    if values.ndim == 1:
        return values[target_class]
    return values[np.arange(len(values)), target_class]


def log_without_minus(probabilities, target_class):
    return np.log(pick(probabilities, target_class))


def probability_without_log(probabilities, target_class):
    return pick(probabilities, target_class)


def one_minus_probability(probabilities, target_class):
    return 1 - pick(probabilities, target_class)


def log10_loss(probabilities, target_class):
    return -np.log10(pick(probabilities, target_class))


def log2_loss(probabilities, target_class):
    return -np.log2(pick(probabilities, target_class))


def class_before_target(probabilities, target_class):
    return -np.log(pick(probabilities, np.asarray(target_class) - 1))


def class_after_target(probabilities, target_class):
    return -np.log(pick(probabilities, np.asarray(target_class) + 1))


def largest_probability(probabilities, target_class):
    return -np.log(np.max(probabilities, axis=-1))


def every_class(probabilities, target_class):
    return -np.sum(np.log(probabilities), axis=-1)


def entropy(probabilities, target_class):
    return -np.sum(probabilities * np.log(probabilities), axis=-1)


def log_of_every_class(probabilities, target_class):
    return -np.log(probabilities)


def one_hot(probabilities, target_class):
    encoded = np.zeros_like(probabilities)
    if encoded.ndim == 1:
        encoded[target_class] = 1
    else:
        encoded[np.arange(len(encoded)), target_class] = 1
    return encoded


def one_hot_without_sum(probabilities, target_class):
    return -one_hot(probabilities, target_class) * np.log(probabilities)


def one_hot_times_log(probabilities, target_class):
    return -np.sum(one_hot(probabilities, target_class) * np.log(probabilities), axis=-1)


def mean_of_the_batch(probabilities, target_class):
    return np.mean(cross_entropy_by_indexing(probabilities, target_class))


def sum_of_the_batch(probabilities, target_class):
    return np.sum(cross_entropy_by_indexing(probabilities, target_class))


def every_target_for_every_row(probabilities, target_class):
    probabilities = np.asarray(probabilities)
    if probabilities.ndim == 1:
        return -np.log(probabilities[target_class])
    return -np.log(probabilities[:, target_class])


def one_example_only(probabilities, target_class):
    return -np.log(probabilities[target_class])


def wrapped_in_a_list(probabilities, target_class):
    return np.atleast_1d(cross_entropy_by_indexing(probabilities, target_class))


def replaces_zeros_in_place(probabilities, target_class):
    probabilities[probabilities == 0] = 1e-12
    return cross_entropy_by_indexing(probabilities, target_class)


def loss_forgets_to_return(probabilities, target_class):
    cross_entropy_by_indexing(probabilities, target_class)


def loss_as_text(probabilities, target_class):
    return f"{cross_entropy_by_indexing(probabilities, target_class)}"


def loss_with_a_typo(probabilities, target_class):
    return -np.log(probabilites[target_class])  # noqa: F821


def loss_of_one_argument(probabilities):
    return -np.log(np.max(probabilities))


def doubled_loss(probabilities, target_class):
    return 2 * cross_entropy_by_indexing(probabilities, target_class)


def arguments_swapped(target_class, probabilities):
    return -np.log(probabilities[target_class])


def arguments_swapped_for_a_batch(target_class, probabilities):
    probabilities = np.asarray(probabilities)
    return -np.log(probabilities[..., target_class])


CROSS_ENTROPY_MISTAKES = [
    ("missing_minus", log_without_minus),
    ("no_log", probability_without_log),
    ("no_log", one_minus_probability),
    ("log_base", log10_loss),
    ("log_base", log2_loss),
    ("wrong_class_index", class_before_target),
    ("raised_index", class_after_target),
    ("raised_index", one_example_only),
    ("largest_probability", largest_probability),
    ("all_classes", every_class),
    ("entropy", entropy),
    ("one_number_per_class", log_of_every_class),
    ("one_number_per_class", one_hot_without_sum),
    ("zero_times_log", one_hot_times_log),
    ("cost_not_losses", mean_of_the_batch),
    ("cost_not_losses", sum_of_the_batch),
    ("all_pairs", every_target_for_every_row),
    ("array_not_number", wrapped_in_a_list),
    ("clipped_probability", cross_entropy_with_keras),  # Keras clips to [1e-7, 1 - 1e-7]
    ("modified_input", replaces_zeros_in_place),
    ("returned_none", loss_forgets_to_return),
    ("not_numbers", loss_as_text),
    ("raised_name", loss_with_a_typo),
    ("raised_arguments", loss_of_one_argument),
    ("wrong_values_loss", doubled_loss),
    ("raised_argument_order", arguments_swapped),
    ("raised_argument_order", arguments_swapped_for_a_batch),
]


def from_logits_arguments_swapped(target_class, logits):
    return -np.log(stable_softmax_with_keepdims(logits)[target_class])


def through_stable_softmax(wrong_loss):
    """A loss from logits: stable softmax first, then ``wrong_loss`` on the probabilities."""

    def from_logits(logits, target_class):
        return wrong_loss(stable_softmax_with_keepdims(logits), target_class)

    from_logits.__name__ = f"{wrong_loss.__name__}_from_logits"
    return from_logits


def logits_as_probabilities(logits, target_class):
    return -np.log(pick(logits, target_class))


def sigmoid_loss(logits, target_class):
    return -np.log(1 / (1 + np.exp(-pick(logits, target_class))))


def log_of_naive_softmax(logits, target_class):
    return cross_entropy_by_indexing(softmax_rows_naive(logits), target_class)


def softmax_rows_naive(logits):
    exponentials = np.exp(logits)
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def log_sum_exp_without_max(logits, target_class):
    log_sum = np.log(np.sum(np.exp(logits), axis=-1))
    return log_sum - pick(logits, target_class)


def log_of_stable_softmax(logits, target_class):
    return cross_entropy_by_indexing(stable_softmax_with_keepdims(logits), target_class)


def log_of_clipped_softmax(logits, target_class):
    probabilities = np.clip(stable_softmax_with_keepdims(logits), 1e-7, 1 - 1e-7)
    return cross_entropy_by_indexing(probabilities, target_class)


def log_sum_exp_with_max_of_the_batch(logits, target_class):
    largest = np.max(logits)
    log_sum = largest + np.log(np.sum(np.exp(logits - largest), axis=-1))
    return log_sum - pick(logits, target_class)


def log_sum_exp_without_keepdims(logits, target_class):
    shifted = logits - np.max(logits, axis=-1)
    return np.log(np.sum(np.exp(shifted), axis=-1)) - pick(shifted, target_class)


def log_sum_exp_in_place(logits, target_class):
    logits -= np.max(logits, axis=-1, keepdims=True)
    return np.log(np.sum(np.exp(logits), axis=-1)) - pick(logits, target_class)


def log_softmax(logits):
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def mean_loss_from_logits(logits, target_class):
    return np.mean(-pick(log_softmax(logits), target_class))


def every_target_for_every_row_from_logits(logits, target_class):
    log_probabilities = log_softmax(logits)
    if log_probabilities.ndim == 1:
        return -log_probabilities[target_class]
    return -log_probabilities[:, target_class]


def target_logit_not_shifted(logits, target_class):
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return -(pick(logits, target_class) - np.log(np.sum(np.exp(shifted), axis=-1)))


def log_sum_exp_over_the_whole_batch(logits, target_class):
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return -pick(shifted - np.log(np.sum(np.exp(shifted))), target_class)


def losses_as_a_column(logits, target_class):
    losses = -pick(log_softmax(logits), target_class)
    return losses[:, np.newaxis] if np.ndim(losses) == 1 else losses


def loss_from_logits_wrapped_in_a_list(logits, target_class):
    return [-pick(log_softmax(logits), target_class)]


FROM_LOGITS_MISTAKES = [
    ("logits_as_probabilities", logits_as_probabilities),
    ("sigmoid", sigmoid_loss),
    ("loss_overflow", log_of_naive_softmax),
    ("loss_overflow", log_sum_exp_without_max),
    ("underflow", log_of_stable_softmax),
    ("underflow", log_of_clipped_softmax),
    ("max_wrong_axis", log_sum_exp_with_max_of_the_batch),
    ("raised_broadcast", log_sum_exp_without_keepdims),
    ("modified_input", log_sum_exp_in_place),
    ("wrong_values_loss", doubled_loss),
    ("returned_none", loss_forgets_to_return),
    *[(mistake, through_stable_softmax(wrong)) for mistake, wrong in [
        ("missing_minus", log_without_minus),
        ("no_log", probability_without_log),
        ("log_base", log10_loss),
        ("wrong_class_index", class_before_target),
        ("largest_probability", largest_probability),
        ("all_classes", every_class),
        ("entropy", entropy),
        ("one_number_per_class", log_of_every_class),
    ]],
    ("cost_not_losses", mean_loss_from_logits),
    ("unshifted_target_logit", target_logit_not_shifted),
    ("batch_logsumexp", log_sum_exp_over_the_whole_batch),
    ("wrong_shape_loss", losses_as_a_column),
    ("all_pairs", every_target_for_every_row_from_logits),
    ("array_not_number", loss_from_logits_wrapped_in_a_list),
    ("raised_argument_order", from_logits_arguments_swapped),
]

MISTAKES = [
    *[("check_softmax", m, f) for m, f in SOFTMAX_MISTAKES],
    *[("check_stable_softmax", m, f) for m, f in STABLE_SOFTMAX_MISTAKES],
    *[("check_cross_entropy", m, f) for m, f in CROSS_ENTROPY_MISTAKES],
    *[("check_cross_entropy_from_logits", m, f) for m, f in FROM_LOGITS_MISTAKES],
]


def hint_sentences_other_than(mistake):
    return [text for key, text in HINTS.items() if key != mistake]


@pytest.mark.parametrize("checker, mistake, implementation", MISTAKES,
                         ids=[f"{c}-{m}-{f.__name__}" for c, m, f in MISTAKES])
def test_each_mistake_gets_exactly_its_own_hint(checker, mistake, implementation):
    report = RUNNERS[checker](implementation)
    assert not report.passed
    assert report.mistake == mistake, report.message
    assert report.hint == HINTS[mistake]
    assert report.message.endswith("Hint: " + HINTS[mistake])
    for other in hint_sentences_other_than(mistake):
        assert other not in report.message


@pytest.mark.parametrize("checker", RUNNERS)
def test_an_untouched_placeholder_gets_one_line_saying_what_to_write_first(checker):
    report = RUNNERS[checker](still_the_placeholder)
    assert not report.passed and report.mistake == "not_done"
    assert report.message == report.headline and "\n" not in report.message
    assert report.message.startswith("Not done yet: still_the_placeholder still raises NotImplementedError.")
    assert checks.FIRST_STEPS[checker] in report.message
    assert "Traceback" not in report.message and "passed" not in report.message


def test_every_hint_is_reached_by_some_wrong_implementation():
    from test_checker_slips import ISSUE_SLIPS, OUR_SLIPS  # issue 23's slips, and the time limit

    reached = ({mistake for _, mistake, _ in MISTAKES} | {m for _, _, m, _ in ISSUE_SLIPS + OUR_SLIPS}
               | {"not_a_function", "not_done", "timed_out"})
    assert reached == set(HINTS)


@pytest.mark.parametrize("checker", RUNNERS)
def test_passing_a_result_instead_of_a_function_is_explained(checker):
    report = RUNNERS[checker](np.array([0.1, 0.9]))
    assert not report.passed and report.mistake == "not_a_function"
    assert report.headline.startswith(f"{checker} needs a function to call")


# --- what the report says ------------------------------------------------------


def test_the_first_failing_case_is_reported_with_input_expected_and_actual_output():
    report = checks.run_stable_softmax_checks(softmax_as_in_the_course)
    assert report.failed_check == 2  # passes the small 1-D case, fails at z near 1000
    assert report.message.splitlines()[:5] == [
        f"Check 2 of {report.total} failed: softmax_as_in_the_course on large logits (near +1000).",
        "  input:    z = [1000. 1001. 1002.]",
        "  expected: [0.09   0.2447 0.6652]",
        "  got:      [nan nan nan]",
        "  NumPy warned: overflow encountered in exp; invalid value encountered in divide",
    ]


def test_a_batch_only_mistake_is_reported_at_the_first_batch_case():
    report = checks.run_stable_softmax_checks(forgets_keepdims)
    assert report.failed_check == 5
    assert "(3, 4)" in report.headline
    assert "ValueError: operands could not be broadcast together" in report.message


def test_other_divisor_report_names_the_divisor_and_the_sum():
    report = checks.run_softmax_checks(divided_by_number_of_classes)
    assert "(your outputs are e^z divided by 4; the sum of e^z is 84.79)" in report.message


def test_wrong_values_report_says_what_the_outputs_add_up_to():
    report = checks.run_softmax_checks(returns_the_logits)
    assert "(your outputs add up to 10)" in report.message


def test_modified_input_report_shows_the_array_before_and_after():
    report = checks.run_softmax_checks(subtracts_max_in_place)
    assert "  z before the call: [1. 2. 3. 4.]" in report.message
    assert "  z after the call:  [-3. -2. -1.  0.]" in report.message


def test_a_lambda_is_called_your_function():
    report = checks.run_softmax_checks(lambda z: z)
    assert "failed: your function on" in report.headline


def test_a_function_that_returns_none_is_asked_about_its_return_line_not_about_markers():
    report = checks.run_softmax_checks(forgets_to_return)
    assert "got:      None" in report.message
    assert "return line" in report.hint and "CODE HERE" not in report.hint


# --- safety: nothing escapes the checker ------------------------------------------


@pytest.mark.parametrize("checker", RUNNERS)
def test_an_error_in_the_students_function_is_reported_not_raised(checker, capsys):
    def raises(*arguments):
        raise RuntimeError("something broke")

    assert getattr(checks, checker)(raises) is False
    assert "RuntimeError: something broke" in capsys.readouterr().out


def test_numpy_warnings_from_the_students_function_do_not_leak(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert checks.check_stable_softmax(softmax_as_in_the_course) is False
        assert checks.check_cross_entropy(one_hot_times_log) is False
    assert caught == []
    assert capsys.readouterr().err == ""


def test_checker_ignores_a_session_that_turned_numpy_warnings_into_errors():
    with np.errstate(all="raise"):
        report = checks.run_stable_softmax_checks(softmax_as_in_the_course)
    assert report.mistake == "overflow"


def test_checker_leaves_numpy_error_settings_and_warning_filters_as_they_were():
    settings, filters = np.geterr(), list(warnings.filters)
    checks.run_stable_softmax_checks(softmax_as_in_the_course)
    checks.run_cross_entropy_from_logits_checks(log_of_stable_softmax)
    assert np.geterr() == settings
    assert list(warnings.filters) == filters


@pytest.mark.parametrize("checker", RUNNERS)
def test_the_students_function_cannot_change_the_battery(checker):
    # A wrong answer, then zeros written over the inputs: the diagnosis and the
    # report must still use the inputs as they were (each run builds its cases
    # afresh, so only the same run could show a change).
    def doubled(*arguments):
        return 2 * np.asarray(CORRECT_BY_CHECKER[checker](*arguments))

    def doubled_then_scribbles_on_every_input(*arguments):
        answer = doubled(*arguments)
        for argument in arguments:
            if isinstance(argument, np.ndarray):
                argument[...] = 0
        return answer

    untouched = RUNNERS[checker](doubled)
    scribbled = RUNNERS[checker](doubled_then_scribbles_on_every_input)
    assert (scribbled.mistake, scribbled.details, scribbled.hint) == (
        untouched.mistake, untouched.details, untouched.hint)



# --- where the report goes ---------------------------------------------------------


@pytest.mark.parametrize("checker", RUNNERS)
def test_checker_prints_plain_text_outside_a_notebook_and_returns_a_bool(checker, capsys):
    correct = CORRECT_BY_CHECKER[checker]
    assert getattr(checks, checker)(correct) is True
    assert capsys.readouterr().out == RUNNERS[checker](correct).message + "\n"
    assert getattr(checks, checker)(returns_text) is False
    assert "Hint: " in capsys.readouterr().out


@pytest.mark.parametrize("implementation, color", [(softmax_as_in_the_course, "#1E6B24"),
                                                   (exponentials_only, "#C00000")])
def test_in_a_notebook_the_report_is_colored_html_with_the_plain_message_as_fallback(
        monkeypatch, capsys, implementation, color):
    shown = []
    monkeypatch.setattr(checks, "_in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda data, raw: shown.append((data, raw)))
    checks.check_softmax(implementation)
    assert capsys.readouterr().out == ""
    [(bundle, raw)] = shown
    assert raw is True
    assert bundle["text/plain"] == checks.run_softmax_checks(implementation).message
    assert f"border-left: 6px solid {color}" in bundle["text/html"]


def test_html_report_escapes_what_the_student_returned():
    report = checks.run_softmax_checks(lambda z: "<b>probabilities</b>")
    assert "&lt;b&gt;probabilities&lt;/b&gt;" in report.to_html()
    assert "<b>probabilities" not in report.to_html()


def test_outside_ipython_the_checker_knows_it_is_not_in_a_notebook():
    assert checks._in_notebook() is False


# --- the expected answers themselves --------------------------------------------------


def test_expected_softmax_answers_agree_with_tensorflow():
    import tensorflow as tf

    for case in checks._softmax_cases() + checks._stable_softmax_cases():
        z = np.asarray(case.arguments[0], dtype=np.float64)
        np.testing.assert_allclose(case.expected, tf.nn.softmax(z, axis=-1).numpy(), rtol=1e-12)
        np.testing.assert_allclose(np.sum(case.expected, axis=-1), 1.0, rtol=1e-12)


def test_expected_losses_agree_with_tensorflow():
    import tensorflow as tf

    for case in checks._cross_entropy_from_logits_cases():
        logits, target_class = case.arguments
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=np.atleast_1d(target_class), logits=np.atleast_2d(logits))
        np.testing.assert_allclose(np.atleast_1d(case.expected), loss.numpy(), rtol=1e-12)
    for case in checks._cross_entropy_cases():
        probabilities, target_class = case.arguments
        np.testing.assert_allclose(case.expected, -np.log(pick(probabilities, target_class)))


def test_the_from_logits_battery_includes_a_loss_that_float64_probabilities_cannot_reach():
    hardest = max(np.max(case.expected) for case in checks._cross_entropy_from_logits_cases())
    assert hardest > -np.log(np.finfo(np.float64).tiny)  # about 708


def test_importing_loads_neither_tensorflow_nor_matplotlib_and_changes_no_settings():
    code = (
        "import sys, numpy as np\n"
        "before = (np.geterr(), np.get_printoptions())\n"
        "import lab_utils_checks\n"
        "assert (np.geterr(), np.get_printoptions()) == before\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


# --- notebook 07 ------------------------------------------------------------------
# The student notebook ships unsolved: each exercise cell holds nbgrader's
# placeholder, then a graded cell `passed = check_x(fn)` / `points(passed, out_of=N)`,
# then a collapsed "Show solution" block with the instructor source's solution.

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EXERCISES = NOTEBOOKS / "07_exercises.ipynb"
SOURCE = ROOT / "instructor" / "source" / "exercises" / "07_exercises.ipynb"
PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()\n"
CHECK_CALL = r"^# Graded: (\d+) points when every check passes\.\npassed = (check_\w+)\((\w+)\)\npoints\(passed, out_of=(\d+)\)$"
EXPECTED_EXERCISES = {"my_softmax": "check_softmax",
                      "my_softmax_stable": "check_stable_softmax",
                      "cross_entropy": "check_cross_entropy",
                      "cross_entropy_from_logits": "check_cross_entropy_from_logits"}


def lesson_cells():
    """Cells the author wrote: no generated navigation."""
    return [cell for cell in nbformat.read(EXERCISES, as_version=4).cells
            if "softmax_lab" not in cell.metadata]


def exercises():
    """(exercise cell, the cell after it, the cell after that) for every exercise."""
    cells = lesson_cells()
    return [(cell, cells[index + 1], cells[index + 2]) for index, cell in enumerate(cells)
            if cell.cell_type == "code" and "def " in cell.source
            and cell.metadata.get("nbgrader", {}).get("solution")]


def source_solutions():
    """function name -> the source cell with its solution region, ready to run."""
    found = {}
    for cell in nbformat.read(SOURCE, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            found[defined_function(cell)] = cell.source
    return found


def solution_lines(source):
    lines = source.splitlines()
    return lines[lines.index("    ### BEGIN SOLUTION") + 1:lines.index("    ### END SOLUTION")]


def defined_function(cell):
    return re.search(r"^def (\w+)\(", cell.source if hasattr(cell, "source") else cell, re.M).group(1)


def test_the_notebook_has_the_four_exercises_of_the_issue_each_graded_by_its_checker():
    found = {defined_function(cell): (re.fullmatch(CHECK_CALL, check.source.strip()), check)
             for cell, check, _ in exercises()}
    assert list(found) == list(EXPECTED_EXERCISES)
    for function, (match, check) in found.items():
        assert match, f"no graded check after {function}"
        assert (match.group(2), match.group(3)) == (EXPECTED_EXERCISES[function], function)
        assert match.group(1) == match.group(4) == str(check.metadata["nbgrader"]["points"])
        assert check.metadata["nbgrader"]["grade"] and check.metadata["nbgrader"]["locked"]


def test_every_exercise_ships_unsolved_with_the_placeholder():
    for cell, _, _ in exercises():
        assert cell.source.count(PLACEHOLDER) == 1, cell.source
        assert "### BEGIN SOLUTION" not in cell.source and "START CODE HERE" not in cell.source


def test_every_check_is_followed_by_a_collapsed_solution_with_the_source_solution():
    solutions = source_solutions()
    for cell, _, solution in exercises():
        assert solution.cell_type == "markdown"
        # A summary only as wide as its words: a click beside them opens nothing (issue 23).
        assert re.match(r'<details><summary style="display: inline-block;[^"]*">&#9656; Show solution'
                        r'</summary>', solution.source), solution.source[:120]
        assert solution.source.rstrip().endswith("</details>")
        shown = re.search(r"```python\n(.*?)\n```", solution.source, re.S).group(1)
        expected = solution_lines(solutions[defined_function(cell)])
        assert shown.splitlines() == [line[4:] for line in expected]


@pytest.mark.parametrize("function", EXPECTED_EXERCISES)
def test_the_source_solution_passes_its_checker(function):
    namespace = {"np": np}
    for source in source_solutions().values():
        exec(source, namespace)  # noqa: S102 - our own instructor source
    assert RUNNERS[EXPECTED_EXERCISES[function]](namespace[function]).passed


def test_every_stored_check_says_not_done_yet_in_one_line_and_scores_0():
    for cell, check, _ in exercises():
        function = defined_function(cell)
        assert [o.output_type for o in check.outputs] == ["display_data", "execute_result"]
        report = check.outputs[0].data["text/plain"]
        assert report.startswith(f"Not done yet: {function} still raises NotImplementedError.")
        assert "\n" not in report and "Traceback" not in report
        assert check.outputs[1].data["text/plain"] == "0"


def test_no_output_in_the_student_notebook_says_that_checks_passed():
    for cell in lesson_cells():
        for output in getattr(cell, "outputs", []):
            text = json.dumps(output)
            assert "checks passed" not in text and "&#10004;" not in text, text


def test_the_notebook_shows_the_report_of_a_deliberately_broken_softmax():
    reports = [o.data["text/plain"] for cell in lesson_cells() if cell.cell_type == "code"
               for o in cell.outputs if o.output_type == "display_data"
               and "failed" in o.data.get("text/plain", "")]
    assert any("Hint: " + HINTS["other_divisor"] in report for report in reports), reports


def test_the_exercise_notebook_does_not_import_tensorflow():
    for cell in lesson_cells():
        if cell.cell_type == "code":
            assert "tensorflow" not in cell.source and "keras" not in cell.source


@pytest.mark.parametrize("exit_call", ["sys.exit(0)", "raise SystemExit"])
def test_a_function_that_calls_sys_exit_gets_a_report_not_the_end_of_the_check(exit_call):
    namespace = {}
    exec(f"import sys\ndef my_softmax(z):\n    {exit_call}\n", namespace)
    report = checks.run_checks("check_softmax", namespace["my_softmax"])
    assert (report.passed, report.mistake) == (False, "raised")
    assert "  got:      SystemExit" in report.message
