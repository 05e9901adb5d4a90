"""A mistake made only in the batch branch of a function gets the same hint as in one example.

Students often write `if z.ndim == 1: ... else: ...`; each row is a function
that is right for one example and makes the mistake in the table for a
batch. The checker must stop at the first batch case and name that mistake.
"""

from __future__ import annotations

import numpy as np
import pytest

import lab_utils_checks as checks


def softmax(z):
    exponentials = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def pick(values, target_class):
    values = np.asarray(values)
    return values[target_class] if values.ndim == 1 else values[np.arange(len(values)), target_class]


def cross_entropy(probabilities, target_class):
    return -np.log(pick(probabilities, target_class))


def one_hot(probabilities, target_class):
    encoded = np.zeros_like(probabilities)
    encoded[np.arange(len(probabilities)), target_class] = 1
    return encoded


def right_for_one_example(right, wrong_for_a_batch):
    def function(first, *rest):
        return (right if np.ndim(first) == 1 else wrong_for_a_batch)(first, *rest)
    return function


SOFTMAX_BATCH_MISTAKES = [
    ("no_division", lambda z: np.exp(z)),
    ("no_exponential", lambda z: z / np.sum(z, axis=-1, keepdims=True)),
    ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
    ("softmin", lambda z: softmax(-z)),
    # e^(z - max) over the sum of the unshifted e^z: the max subtracted on top only (issue 23)
    ("max_in_one_place",
     lambda z: np.exp(z - np.max(z, axis=-1, keepdims=True)) / np.sum(np.exp(z), axis=-1, keepdims=True)),
    # max and sum both down the columns, across examples
    ("wrong_axis", lambda z: np.exp(z - np.max(z, axis=0)) / np.sum(np.exp(z - np.max(z, axis=0)), axis=0)),
    # every row adds up to 1, but is not the softmax of its logits
    ("probabilities_not_softmax", lambda z: np.full(z.shape, 1 / z.shape[-1])),
    # one-hot of the largest logit: adds up to 1 but has zeros
    ("wrong_values", lambda z: (z == np.max(z, axis=-1, keepdims=True)).astype(float)),
]

LOSS_BATCH_MISTAKES = [
    ("all_classes", lambda p, y: -np.sum(np.log(p), axis=-1)),
    ("entropy", lambda p, y: -np.sum(p * np.log(p), axis=-1)),
    ("one_number_per_class", lambda p, y: -one_hot(p, y) * np.log(p)),
    ("missing_minus", lambda p, y: np.log(pick(p, y))),
    ("wrong_class_index", lambda p, y: -np.log(pick(p, np.asarray(y) - 1))),
    ("log_base", lambda p, y: -np.log2(pick(p, y))),
    ("no_log", lambda p, y: 1 - pick(p, y)),
    ("cost_not_losses", lambda p, y: np.mean(cross_entropy(p, y))),
]


@pytest.mark.parametrize("mistake, wrong_for_a_batch", SOFTMAX_BATCH_MISTAKES,
                         ids=[row[0] for row in SOFTMAX_BATCH_MISTAKES])
def test_a_softmax_wrong_only_for_a_batch_is_told_its_mistake_at_the_first_batch(mistake, wrong_for_a_batch):
    report = checks.run_stable_softmax_checks(right_for_one_example(softmax, wrong_for_a_batch))
    assert (report.failed_check, report.mistake) == (5, mistake), report.message


@pytest.mark.parametrize("mistake, wrong_for_a_batch", LOSS_BATCH_MISTAKES,
                         ids=[row[0] for row in LOSS_BATCH_MISTAKES])
def test_a_loss_wrong_only_for_a_batch_is_told_its_mistake_at_the_first_batch(mistake, wrong_for_a_batch):
    report = checks.run_cross_entropy_checks(right_for_one_example(cross_entropy, wrong_for_a_batch))
    assert (report.failed_check, report.mistake) == (4, mistake), report.message


def hardmax(z):
    return (z == np.max(z, axis=-1, keepdims=True)).astype(float)


def test_a_one_hot_of_the_largest_logit_is_not_called_probabilities():
    report = checks.run_softmax_checks(hardmax)
    assert report.mistake == "wrong_values"
    assert "  (your outputs add up to 1)" in report.details
