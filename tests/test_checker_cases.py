"""Every case of every checker's battery is there to catch a mistake the earlier ones miss.

Each row is a wrong function that passes every earlier case and fails at the
case named: the report must stop there, name that case in its headline, show
the input under the exercise's argument names, the expected answer and what
came back, and give the hint in the table.
"""

from __future__ import annotations

import numpy as np
import pytest

import lab_utils_checks as checks

RUNNERS = {
    "check_softmax": checks.run_softmax_checks,
    "check_stable_softmax": checks.run_stable_softmax_checks,
    "check_cross_entropy": checks.run_cross_entropy_checks,
    "check_cross_entropy_from_logits": checks.run_cross_entropy_from_logits_checks,
}


def softmax(z):
    exponentials = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def log_softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def pick(values, target_class):
    values = np.asarray(values)
    return values[target_class] if values.ndim == 1 else values[np.arange(len(values)), target_class]


# --- softmax: wrong functions that only show on a later case


def relu_before_softmax(z):  # drops negative logits
    return softmax(np.maximum(z, 0))


def sigmoid_of_the_first_logit_for_two_classes(z):
    if len(z) == 2:
        first = 1 / (1 + np.exp(-z[0]))
        return np.array([first, 1 - first])
    return softmax(z)


def squeezes(z):
    return np.squeeze(softmax(z))


def divides_by_the_first_four_exponentials(z):  # written for the four-class example
    exponentials = np.exp(z)
    return exponentials / np.sum(exponentials[:4])


def fills_an_array_made_with_zeros_like(z):  # integer logits give an integer array
    probabilities = np.zeros_like(z)
    probabilities[:] = softmax(z)
    return probabilities


def subtracts_the_largest_magnitude(z):
    exponentials = np.exp(z - np.max(np.abs(z), axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def subtracts_the_minimum(z):
    exponentials = np.exp(z - np.min(z, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def subtracts_the_max_of_the_batch(z):
    exponentials = np.exp(z - np.max(z))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def leaves_the_batch_branch_unfinished(z):
    return z if z.ndim == 2 else softmax(z)


# --- losses


def counts_classes_from_one(probabilities, target_class):
    for j in range(1, len(probabilities)):
        if j == target_class:
            return -np.log(probabilities[j])


def one_hot_times_log(probabilities, target_class):
    one_hot = np.zeros_like(probabilities)
    one_hot[..., target_class] = 1
    return -np.sum(one_hot * np.log(probabilities), axis=-1)


def one_example_only(probabilities, target_class):
    return -np.log(probabilities[target_class])


def squeezes_the_losses(probabilities, target_class):
    return np.squeeze(-np.log(pick(probabilities, target_class)))


def one_example_only_for_a_python_int(probabilities, target_class):
    if isinstance(target_class, int):
        return -np.log(probabilities[target_class])
    return -np.log(probabilities[np.arange(len(probabilities)), target_class])


def log_of_naive_softmax(logits, target_class):
    exponentials = np.exp(logits)
    return -np.log(pick(exponentials / np.sum(exponentials, axis=-1, keepdims=True), target_class))


def log_of_clipped_softmax(logits, target_class):
    return -np.log(pick(np.clip(softmax(logits), 1e-7, 1.0), target_class))


def max_and_log_sum_exp_of_the_whole_batch(logits, target_class):
    shifted = logits - np.max(logits)
    return -pick(shifted - np.log(np.sum(np.exp(shifted))), target_class)


def batch_branch_forgets_to_shift_the_target(logits, target_class):
    if logits.ndim == 1:
        return -pick(log_softmax(logits), target_class)
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return -(pick(logits, target_class) - np.log(np.sum(np.exp(shifted), axis=-1)))


def squeezes_the_losses_from_logits(logits, target_class):
    return np.squeeze(-pick(log_softmax(logits), target_class))


def counts_the_largest_logit_once(z):  # its e^0 = 1, plus the smaller ones: misses ties
    shifted = z - np.max(z)
    return np.exp(shifted) / (1 + np.sum(np.exp(shifted[shifted < 0])))


def divides_by_the_largest_exponential(z):
    exponentials = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exponentials / np.max(exponentials, axis=-1, keepdims=True)


def log10_loss(probabilities, target_class):
    return -np.log10(pick(probabilities, target_class))


def log_probability_without_minus(logits, target_class):
    return pick(log_softmax(logits), target_class)


BATCH_OF_THREE = """\
  input:    logits = [[   0.5    2.    -1.     1.5]
                      [1000.  1002.   999.  1001. ]
                      [   0.  -800.     5.     1. ]]
            target_class = [0 1 1]
  expected: [  2.131    0.4402 805.0247]"""


def zeros_like_case(checker, checks):
    """The last case of both softmax batteries: integer logits, found by the same mistake."""
    return (checker, fills_an_array_made_with_zeros_like, "integer_buffer", f"""\
Check {checks} of {checks} failed: fills_an_array_made_with_zeros_like on integer logits.
  input:    z = [3 1 2]
  expected: [0.6652 0.09   0.2447]
  got:      [0. 0. 0.]""")


# checker, wrong function, the mistake, the report up to its hint
LATER_CASES = [
    ("check_softmax", relu_before_softmax, "probabilities_not_softmax", """\
Check 2 of 7 failed: relu_before_softmax on negative and positive logits.
  input:    z = [-2.   0.5 -1.   3. ]
  expected: [0.0061 0.0741 0.0165 0.9032]
  got:      [0.0421 0.0695 0.0421 0.8463]"""),
    ("check_softmax", sigmoid_of_the_first_logit_for_two_classes, "probabilities_not_softmax", """\
Check 3 of 7 failed: sigmoid_of_the_first_logit_for_two_classes on two logits.
  input:    z = [ 0.3 -1.2]
  expected: [0.8176 0.1824]
  got:      [0.5744 0.4256]"""),
    ("check_softmax", squeezes, "single_number", """\
Check 5 of 7 failed: squeezes on a single logit.
  input:    z = [2.5]
  expected: [1.]
  got:      1.
  got shape (), expected shape (1,)"""),
    ("check_softmax", divides_by_the_first_four_exponentials, "other_divisor", """\
Check 6 of 7 failed: divides_by_the_first_four_exponentials on ten logits.
  input:    z = [-3.     -2.3333 -1.6667 -1.     -0.3333  0.3333  1.      1.6667
                  2.3333  3.    ]
  expected: [0.0012 0.0024 0.0046 0.0089 0.0174 0.0339 0.0659 0.1284 0.2501 0.4872]
  got:      [ 0.0708  0.1378  0.2685  0.5229  1.0185  1.9838  3.8639  7.5258 14.6582
             28.5503]
  (your outputs are e^z divided by 0.7035; the sum of e^z is 41.23)"""),
    zeros_like_case("check_softmax", 7),
    ("check_stable_softmax", subtracts_the_largest_magnitude, "overflow", """\
Check 3 of 8 failed: subtracts_the_largest_magnitude on very negative logits (near -1000).
  input:    z = [-1000. -1001. -1002.]
  expected: [0.6652 0.2447 0.09  ]
  got:      [nan nan nan]
  NumPy warned: invalid value encountered in divide"""),
    ("check_stable_softmax", subtracts_the_minimum, "overflow", """\
Check 4 of 8 failed: subtracts_the_minimum on logits spread far apart.
  input:    z = [-1000.     0.  1000.]
  expected: [0. 0. 1.]
  got:      [ 0. nan nan]
  NumPy warned: overflow encountered in exp; invalid value encountered in divide"""),
    ("check_stable_softmax", leaves_the_batch_branch_unfinished, "wrong_values", """\
Check 5 of 8 failed: leaves_the_batch_branch_unfinished on a batch of three examples, shape (3, 4).
  input:    z = [[ 1.   2.   3.   4. ]
                 [ 2.  -1.   0.5  0. ]
                 [-3.   3.   0.   1. ]]
  expected: [[0.0321 0.0871 0.2369 0.6439]
             [0.7101 0.0354 0.1584 0.0961]
             [0.0021 0.842  0.0419 0.114 ]]
  got:      [[ 1.   2.   3.   4. ]
             [ 2.  -1.   0.5  0. ]
             [-3.   3.   0.   1. ]]
  (your rows add up to [10.   1.5  1. ])"""),
    ("check_stable_softmax", subtracts_the_max_of_the_batch, "max_wrong_axis", """\
Check 6 of 8 failed: subtracts_the_max_of_the_batch on a batch whose rows are far apart, shape (3, 4).
  input:    z = [[ 1000.  1001.  1002.  1003.]
                 [    0.     1.     2.     3.]
                 [-1000.  -999.  -998.  -997.]]
  expected: [[0.0321 0.0871 0.2369 0.6439]
             [0.0321 0.0871 0.2369 0.6439]
             [0.0321 0.0871 0.2369 0.6439]]
  got:      [[0.0321 0.0871 0.2369 0.6439]
             [   nan    nan    nan    nan]
             [   nan    nan    nan    nan]]
  NumPy warned: invalid value encountered in divide"""),
    ("check_stable_softmax", squeezes, "wrong_shape", """\
Check 7 of 8 failed: squeezes on a batch of one example, shape (1, 3).
  input:    z = [[ 0.5 -0.5  2. ]]
  expected: [[0.171  0.0629 0.7662]]
  got:      [0.171  0.0629 0.7662]
  got shape (3,), expected shape (1, 3)"""),
    zeros_like_case("check_stable_softmax", 8),
    ("check_cross_entropy", counts_classes_from_one, "returned_none", """\
Check 2 of 7 failed: counts_classes_from_one on one example whose target is class 0.
  input:    probabilities = [0.7 0.2 0.1]
            target_class = 0
  expected: 0.3567
  got:      None"""),
    ("check_cross_entropy", one_hot_times_log, "zero_times_log", """\
Check 3 of 7 failed: one_hot_times_log on a certain, correct prediction with zeros elsewhere.
  input:    probabilities = [0. 1. 0.]
            target_class = 1
  expected: 0.0000
  got:      nan
  NumPy warned: divide by zero encountered in log; invalid value encountered in multiply"""),
    ("check_cross_entropy", one_example_only, "raised_index", """\
Check 4 of 7 failed: one_example_only on a batch of three examples, shape (3, 4).
  input:    probabilities = [[0.1  0.2  0.3  0.4 ]
                             [0.7  0.1  0.1  0.1 ]
                             [0.25 0.25 0.4  0.1 ]]
            target_class = [3 0 1]
  expected: [0.9163 0.3567 1.3863]
  got:      IndexError: index 3 is out of bounds for axis 0 with size 3"""),
    ("check_cross_entropy", squeezes_the_losses, "cost_not_losses", """\
Check 5 of 7 failed: squeezes_the_losses on a batch of one example, shape (1, 3).
  input:    probabilities = [[0.2 0.5 0.3]]
            target_class = [2]
  expected: [1.204]
  got:      1.204
  got shape (), expected shape (1,)"""),
    ("check_cross_entropy", one_example_only_for_a_python_int, "raised_too_many_indices", """\
Check 6 of 7 failed: one_example_only_for_a_python_int on one example with the target as a NumPy integer.
  input:    probabilities = [0.3 0.3 0.4]
            target_class = np.int64(1)
  expected: 1.2040
  got:      IndexError: too many indices for array: array is 1-dimensional, but 2 were indexed"""),
    ("check_cross_entropy_from_logits", log_of_naive_softmax, "loss_overflow", """\
Check 2 of 5 failed: log_of_naive_softmax on one example with large logits (near +1000).
  input:    logits = [1000. 1002.  999. 1001.]
            target_class = 1
  expected: 0.4402
  got:      nan
  NumPy warned: overflow encountered in exp; invalid value encountered in divide"""),
    ("check_cross_entropy_from_logits", log_of_clipped_softmax, "underflow", """\
Check 3 of 5 failed: log_of_clipped_softmax on a target whose logit is 800 below the others.
  input:    logits = [   0. -800.    5.    1.]
            target_class = 1
  expected: 805.0247
  got:      16.1181"""),
    ("check_cross_entropy_from_logits", max_and_log_sum_exp_of_the_whole_batch, "batch_logsumexp", f"""\
Check 4 of 5 failed: max_and_log_sum_exp_of_the_whole_batch on a batch of three examples, shape (3, 4).
{BATCH_OF_THREE}
  got:      [1001.9402    0.4402 1802.4402]"""),
    ("check_cross_entropy_from_logits", batch_branch_forgets_to_shift_the_target,
     "unshifted_target_logit", f"""\
Check 4 of 5 failed: batch_branch_forgets_to_shift_the_target on a batch of three examples, shape (3, 4).
{BATCH_OF_THREE}
  got:      [    0.131  -1001.5598   800.0247]"""),
    ("check_cross_entropy_from_logits", squeezes_the_losses_from_logits, "cost_not_losses", """\
Check 5 of 5 failed: squeezes_the_losses_from_logits on a batch of one example, shape (1, 3).
  input:    logits = [[ 1.  -2.   0.5]]
            target_class = [2]
  expected: [1.0046]
  got:      1.0046
  got shape (), expected shape (1,)"""),
    ("check_softmax", counts_the_largest_logit_once, "other_divisor", """\
Check 4 of 7 failed: counts_the_largest_logit_once on three equal logits.
  input:    z = [5. 5. 5.]
  expected: [0.3333 0.3333 0.3333]
  got:      [1. 1. 1.]
  (your outputs are e^z divided by 148.4; the sum of e^z is 445.2)"""),
    ("check_stable_softmax", divides_by_the_largest_exponential, "other_divisor", """\
Check 1 of 8 failed: divides_by_the_largest_exponential on four different logits.
  input:    z = [1. 2. 3. 4.]
  expected: [0.0321 0.0871 0.2369 0.6439]
  got:      [0.0498 0.1353 0.3679 1.    ]
  (your outputs are e^z divided by 54.6; the sum of e^z is 84.79)"""),
    ("check_cross_entropy", log10_loss, "log_base", """\
Check 1 of 7 failed: log10_loss on one example.
  input:    probabilities = [0.15 0.6  0.05 0.2 ]
            target_class = 3
  expected: 1.6094
  got:      0.699"""),
    ("check_cross_entropy_from_logits", log_probability_without_minus, "missing_minus", """\
Check 1 of 5 failed: log_probability_without_minus on one example.
  input:    logits = [ 0.5  2.  -1.   1.5]
            target_class = 3
  expected: 1.1310
  got:      -1.131"""),
]


@pytest.mark.parametrize("checker, implementation, mistake, report_head", LATER_CASES,
                         ids=[f"{c}-{f.__name__}" for c, f, _, _ in LATER_CASES])
def test_each_case_of_the_battery_catches_a_mistake_the_earlier_cases_miss(
        checker, implementation, mistake, report_head):
    report = RUNNERS[checker](implementation)
    assert (report.passed, report.mistake) == (False, mistake), report.message
    assert report.message == report_head + "\nHint: " + checks.HINTS[mistake]
    assert report.failed_check == int(report_head.split()[1])


# --- tolerances: an answer off by a little passes, one off by a lot gets its hint


def scaled(implementation, factor):
    def scaled_implementation(*arguments):
        return np.asarray(implementation(*arguments)) * factor
    return scaled_implementation


def shifted(implementation, offset):
    def shifted_implementation(*arguments):
        return np.asarray(implementation(*arguments)) + offset
    return shifted_implementation


def cross_entropy(probabilities, target_class):
    return -np.log(pick(probabilities, target_class))


def uniform(z):
    return np.full(np.shape(z), 1 / np.shape(z)[-1])


def alternately_nudged(z):  # still adds up to 1 (four classes), off by 2e-5 each
    return softmax(z) + np.array([2e-5, -2e-5, 2e-5, -2e-5])


TOLERANCES = [
    ("check_softmax", scaled(softmax, 1 + 5e-6), None),  # a float32 answer is this close
    ("check_softmax", shifted(softmax, 5e-7), None),
    ("check_softmax", scaled(softmax, 1 + 5e-5), "other_divisor"),
    ("check_softmax", alternately_nudged, "probabilities_not_softmax"),
    ("check_softmax", shifted(uniform, 1e-7), "probabilities_not_softmax"),
    ("check_softmax", scaled(uniform, 1 + 5e-6), "wrong_values"),
    ("check_cross_entropy", scaled(cross_entropy, 1 + 5e-6), None),
    ("check_cross_entropy", shifted(cross_entropy, 5e-7), None),
    ("check_cross_entropy", scaled(cross_entropy, 1 + 5e-5), "wrong_values_loss"),
    ("check_cross_entropy", shifted(cross_entropy, 1e-3), "wrong_values_loss"),
]


@pytest.mark.parametrize("checker, implementation, mistake", TOLERANCES)
def test_an_answer_off_by_a_little_passes_and_one_off_by_more_is_told_why(checker, implementation, mistake):
    report = RUNNERS[checker](implementation)
    assert (report.passed, report.mistake) == (mistake is None, mistake), report.message
    assert report.failed_check == (None if mistake is None else 1)


# --- the underflow hint is for a loss far below the true one, where a clipped probability puts it


def cross_entropy_from_logits(logits, target_class):
    return -pick(log_softmax(logits), target_class)


def off_where_the_target_is_far_below(offset):
    def off(z, target_class):
        loss = cross_entropy_from_logits(z, target_class)
        return loss + offset if np.min(z) < -100 else loss
    off.__name__ = f"off_by_{offset:+g}_where_the_target_is_far_below"
    return off


@pytest.mark.parametrize("offset, mistake", [(0.5, "wrong_values_loss"), (-0.5, "wrong_values_loss"),
                                             (-1.5, "underflow"), (-700, "underflow")])
def test_only_a_loss_more_than_1_below_the_true_one_gets_the_underflow_hint(offset, mistake):
    report = checks.run_cross_entropy_from_logits_checks(off_where_the_target_is_far_below(offset))
    assert (report.passed, report.mistake, report.failed_check) == (False, mistake, 3), report.message
