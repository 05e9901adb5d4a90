"""Issue 23: the slips students still made in 07, each rejected with a hint that names it.

The first table holds the slips the issue lists; the second, slips of our own
that students make just as often. Each row is a wrong function as a student
writes it, the checker it goes to, the mistake that must be named and the check
it must fail. Below them: a function that never returns, Ctrl+C during a check,
and the digits shown when expected and got agree to four decimals.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import lab_utils_checks as checks
from lab_utils_checks import HINTS

RUNNERS = {
    "check_softmax": checks.run_softmax_checks,
    "check_stable_softmax": checks.run_stable_softmax_checks,
    "check_cross_entropy": checks.run_cross_entropy_checks,
    "check_cross_entropy_from_logits": checks.run_cross_entropy_from_logits_checks,
}
ROOT = Path(__file__).resolve().parent.parent


def softmax(z):
    exponentials = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def log_softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def pick(values, target_class):
    if values.ndim == 1:
        return values[target_class]
    return values[np.arange(values.shape[0]), target_class]


def in_a_notebook(cells: str, name: str):
    """The function ``name`` defined by ``cells`` run in one namespace, as a notebook's cells are."""
    namespace = {"np": np}
    exec(textwrap.dedent(cells), namespace)  # noqa: S102 - the test's own code
    return namespace[name]


# ---------------------------------------------------------------- the slips of the issue

# After Run All, 07's demo cell has left a (2, 3) array named probabilities behind.
RETURNS_THE_NOTEBOOKS_PROBABILITIES = in_a_notebook("""
    probabilities = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])

    def my_softmax(z):
        exponentials = np.exp(z)
        result = exponentials / np.sum(exponentials)
        return probabilities
""", "my_softmax")


def returns_a_list(z):
    exponentials = np.exp(z - np.max(z))
    return [value / np.sum(exponentials) for value in exponentials]


def stable_returns_a_list(z):
    return softmax(z).tolist()


def batch_loss_as_a_list(probabilities, target_class):
    if probabilities.ndim == 1:
        return -np.log(probabilities[target_class])
    return [-np.log(row[target]) for row, target in zip(probabilities, target_class)]


def clips_like_keras(probabilities, target_class):
    return -np.log(pick(np.clip(probabilities, 1e-7, 1 - 1e-7), target_class))


def adds_an_epsilon(probabilities, target_class):
    return -np.log(pick(probabilities, target_class) + 1e-9)


def max_subtracted_on_top_only(z):
    return np.exp(z - np.max(z, axis=-1, keepdims=True)) / np.sum(np.exp(z), axis=-1, keepdims=True)


def max_subtracted_below_only(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return np.exp(z) / np.sum(np.exp(shifted), axis=-1, keepdims=True)


def subtracts_the_argmax(z):
    shifted = z - np.argmax(z, axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def loss_subtracts_the_argmax(logits, target_class):
    shifted = logits - np.argmax(logits, axis=-1, keepdims=True)
    return -pick(shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True)), target_class)


def fills_zeros_like(z):
    probabilities = np.zeros_like(z)
    total = np.sum(np.exp(z))
    for j in range(len(z)):
        probabilities[j] = np.exp(z[j]) / total
    return probabilities


def stable_fills_zeros_like(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    exponentials = np.zeros_like(z)
    exponentials[...] = np.exp(shifted)
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def log10_in_the_log_sum_exp(logits, target_class):
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return -pick(shifted - np.log10(np.sum(np.exp(shifted), axis=-1, keepdims=True)), target_class)


def minus_the_target_logit(logits, target_class):
    return -pick(logits, target_class)


def max_minus_the_target_logit(logits, target_class):
    return np.max(logits, axis=-1) - pick(logits, target_class)


def take_without_axis(probabilities, target_class):
    return -np.log(np.take(probabilities, target_class))


def take_without_axis_from_logits(logits, target_class):
    return -np.take(log_softmax(logits), target_class)


def softmax_of_the_probabilities(probabilities, target_class):
    return -np.log(pick(softmax(probabilities), target_class))


def batch_indexing_always(probabilities, target_class):
    rows = np.arange(probabilities.shape[0])
    return -np.log(probabilities[rows, target_class])


# checker, wrong function, the mistake, the check it fails at
ISSUE_SLIPS = [
    ("check_softmax", RETURNS_THE_NOTEBOOKS_PROBABILITIES, "returned_outside_variable", 1),
    ("check_softmax", returns_a_list, "returned_list", 1),
    ("check_stable_softmax", stable_returns_a_list, "returned_list", 1),
    ("check_cross_entropy", batch_loss_as_a_list, "returned_list", 4),
    ("check_cross_entropy", clips_like_keras, "clipped_probability", 7),
    ("check_cross_entropy", adds_an_epsilon, "clipped_probability", 7),
    ("check_stable_softmax", max_subtracted_on_top_only, "max_in_one_place", 1),
    ("check_stable_softmax", max_subtracted_below_only, "max_in_one_place", 1),
    ("check_softmax", max_subtracted_on_top_only, "max_in_one_place", 1),
    ("check_stable_softmax", subtracts_the_argmax, "argmax_not_max", 2),
    ("check_cross_entropy_from_logits", loss_subtracts_the_argmax, "argmax_not_max", 2),
    ("check_softmax", fills_zeros_like, "integer_buffer", 7),
    ("check_stable_softmax", stable_fills_zeros_like, "integer_buffer", 8),
    ("check_cross_entropy_from_logits", log10_in_the_log_sum_exp, "log_base_in_sum", 1),
    ("check_cross_entropy_from_logits", minus_the_target_logit, "no_log_sum_exp", 1),
    ("check_cross_entropy_from_logits", max_minus_the_target_logit, "no_log_sum_exp", 1),
    ("check_cross_entropy", take_without_axis, "take_without_axis", 4),
    ("check_cross_entropy_from_logits", take_without_axis_from_logits, "take_without_axis", 4),
    ("check_cross_entropy", softmax_of_the_probabilities, "softmax_of_probabilities", 1),
    ("check_cross_entropy", batch_indexing_always, "raised_too_many_indices", 1),
]


# ---------------------------------------------------------------- slips of our own


def returns_the_log_probabilities(z):
    return z - np.log(np.sum(np.exp(z)))


def rounds_to_three_decimals(z):
    exponentials = np.exp(z)
    return np.round(exponentials / np.sum(exponentials), 3)


def uses_math_exp(z):
    exponentials = math.exp(z)
    return exponentials / sum(exponentials)


def prints_instead_of_returning(z):
    exponentials = np.exp(z)
    print(exponentials / np.sum(exponentials))


def returns_two_things(z):
    exponentials = np.exp(z)
    total = np.sum(exponentials)
    return exponentials / total, total


def target_as_a_one_hot_vector(probabilities, target_class):
    return -np.sum(target_class * np.log(probabilities), axis=-1)


def log_sum_exp_without_exp(logits, target_class):
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return -pick(shifted - np.log(np.sum(shifted, axis=-1, keepdims=True)), target_class)


def softmax_twice(z):
    return softmax(softmax(z))


OUR_SLIPS = [
    ("check_softmax", returns_the_log_probabilities, "log_probabilities", 1),
    ("check_softmax", rounds_to_three_decimals, "rounded", 1),
    ("check_softmax", uses_math_exp, "math_function", 1),
    ("check_softmax", prints_instead_of_returning, "printed_not_returned", 1),
    ("check_softmax", returns_two_things, "returned_several", 1),
    ("check_cross_entropy", target_as_a_one_hot_vector, "target_as_one_hot", 1),
    ("check_cross_entropy_from_logits", log_sum_exp_without_exp, "log_sum_exp_without_exp", 1),
    ("check_stable_softmax", softmax_twice, "softmax_twice", 1),
]


@pytest.mark.parametrize("checker, implementation, mistake, check", ISSUE_SLIPS + OUR_SLIPS,
                         ids=[f"{c}-{f.__name__}" for c, f, _, _ in ISSUE_SLIPS + OUR_SLIPS])
def test_each_slip_gets_the_hint_that_names_it(checker, implementation, mistake, check):
    report = RUNNERS[checker](implementation)
    assert (report.passed, report.mistake, report.failed_check) == (False, mistake, check), report.message
    assert report.message.endswith("Hint: " + HINTS[mistake])
    for other in (text for key, text in HINTS.items() if key != mistake):
        assert other not in report.message


def test_the_notebooks_own_variable_is_named_in_the_report():
    report = checks.run_softmax_checks(RETURNS_THE_NOTEBOOKS_PROBABILITIES)
    assert "  (that is the variable probabilities, made outside the function)" in report.details


def test_an_array_returned_from_outside_is_found_without_its_name_too():
    made_once = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])

    def returns_a_closure_variable(z):
        return made_once

    report = checks.run_softmax_checks(returns_a_closure_variable)
    assert report.mistake == "returned_outside_variable"
    assert "  (the very same array for other inputs: it was made outside the function)" in report.details


def test_a_constant_result_computed_afresh_is_not_called_a_variable_from_outside():
    report = checks.run_softmax_checks(lambda z: np.full(3, 1 / 3))
    assert report.mistake == "wrong_shape"


def test_what_a_function_printed_is_shown_and_kept_out_of_the_output(capsys):
    report = checks.run_softmax_checks(prints_instead_of_returning)
    assert report.details[-1] == "  printed:  [0.0320586  0.08714432 0.23688282 0.64391426]"
    assert capsys.readouterr().out == ""


def test_several_printed_lines_are_counted_not_all_shown():
    def chatty(z):
        for value in z:
            print("value", value)

    report = checks.run_softmax_checks(chatty)
    assert report.details[-1] == "  printed:  value 1.0 (and 3 more lines)"


def test_the_clip_is_caught_by_a_target_probability_of_1e_minus_12_shown_as_it_is():
    report = checks.run_cross_entropy_checks(clips_like_keras)
    assert report.details[:3] == ("  input:    probabilities = [5.e-01 1.e-12 5.e-01]\n"
                                  "            target_class = 1",
                                  "  expected: 27.6310",
                                  "  got:      16.1181")


def test_the_argmax_hint_needs_both_probes_right():
    def subtracts_the_minimum(z):  # also overflows on large logits, but not because of argmax
        exponentials = np.exp(z - np.min(z, axis=-1, keepdims=True))
        return exponentials / np.sum(exponentials, axis=-1, keepdims=True)

    def subtracts_the_largest_magnitude(z):
        exponentials = np.exp(z - np.max(np.abs(z)))
        return exponentials / np.sum(exponentials, axis=-1, keepdims=True)

    for implementation in (subtracts_the_minimum, subtracts_the_largest_magnitude):
        assert checks.run_stable_softmax_checks(implementation).mistake == "overflow"


# ---------------------------------------------------------------- digits


def test_expected_and_got_that_agree_to_four_decimals_are_shown_with_enough_digits():
    def nearly(z):
        return softmax(z) * (1 + 3e-5)

    report = checks.run_softmax_checks(nearly)
    expected, got = report.details[1], report.details[2]
    assert expected.startswith("  expected: ") and got.startswith("  got:      ")
    assert expected[12:] != got[12:]
    assert expected == "  expected: [0.03206 0.08714 0.23688 0.64391]"
    assert got == "  got:      [0.03206 0.08715 0.23689 0.64393]"
    assert report.details[3] == "  (your outputs are e^z divided by 84.788; the sum of e^z is 84.791)"


def test_a_loss_that_differs_only_in_the_fifth_decimal_shows_it():
    report = checks.run_cross_entropy_checks(lambda p, y: -np.log(pick(p, y)) - 2e-5)
    assert report.details[-2:] == ("  expected: 1.60944", "  got:      1.60942")


# ---------------------------------------------------------------- a function that never returns


def loops_forever(*arguments):
    while True:
        pass


def swallows_the_first_interruption(*arguments):
    try:
        while True:
            pass
    except BaseException:  # noqa: BLE001 - what a student might write
        pass
    while True:  # and loops again: the alarm, firing again, stops this one
        pass


@pytest.fixture
def short_limits(monkeypatch):
    monkeypatch.setattr(checks, "CALL_SECONDS", 0.3)
    monkeypatch.setattr(checks, "BATTERY_SECONDS", 0.5)


def test_a_function_that_never_returns_gets_one_sentence_as_soon_as_its_time_is_up(monkeypatch):
    # The browser test runs the real 5 s in lesson 07; here the same path with 0.5 s.
    assert (checks.CALL_SECONDS, checks.BATTERY_SECONDS) == (5.0, 8.0)  # 8 s and a little: within 10
    monkeypatch.setattr(checks, "CALL_SECONDS", 0.5)
    started = time.monotonic()
    report = checks.run_softmax_checks(loops_forever)
    seconds = time.monotonic() - started
    assert report.message == ("Check 1 of 7 stopped: loops_forever did not finish in 0.5 s: "
                              "is there a loop that never ends?")
    assert (report.passed, report.mistake, report.failed_check) == (False, "timed_out", 1)
    assert 0.5 <= seconds < 2


@pytest.mark.parametrize("checker", RUNNERS)
def test_every_checker_stops_waiting_for_a_loop(checker, short_limits):
    report = RUNNERS[checker](loops_forever)
    assert report.mistake == "timed_out" and "did not finish in 0.3 s" in report.headline


def test_a_slow_function_is_stopped_by_the_batterys_budget(short_limits):
    def slow(z):
        time.sleep(0.2)
        return softmax(z)

    report = checks.run_softmax_checks(slow)
    assert report.headline == ("Check 3 of 7 stopped: slow took more than 0.5 s over 3 checks: "
                               "is there a loop that runs far longer than it should?")


def test_a_loop_that_swallows_the_first_alarm_meets_the_next(short_limits):
    report = checks.run_softmax_checks(swallows_the_first_interruption)
    assert report.mistake == "timed_out" and report.failed_check == 1


def test_the_alarm_leaves_signal_handlers_and_timers_as_they_were(short_limits):
    previous = signal.getsignal(signal.SIGALRM)
    checks.run_softmax_checks(loops_forever)
    checks.run_softmax_checks(softmax)
    assert signal.getsignal(signal.SIGALRM) is previous
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_someone_elses_timer_keeps_running(short_limits):
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 2.0)
        checks.run_softmax_checks(softmax)
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0 < left <= 2.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _with_someone_elses_timer(seconds, interval, function):
    """Run check_softmax's battery on ``function`` while a timer of the notebook's own runs.

    Returns (report, fired, seconds left, interval, seconds the battery took)."""
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds, interval)
        started = time.monotonic()
        report = checks.run_softmax_checks(function)
        left, kept_interval = signal.getitimer(signal.ITIMER_REAL)
        took = time.monotonic() - started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return report, fired, left, kept_interval, took


def test_someone_elses_timer_gets_back_what_is_left_of_its_time_and_its_interval():
    # A notebook's own repeating timer (a progress display, say) must go on as if no
    # check had run: 3 s minus the time the checks took, then every 0.7 s.
    def slow_softmax(z):
        time.sleep(0.05)
        return softmax(z)

    report, fired, left, interval, took = _with_someone_elses_timer(3.0, 0.7, slow_softmax)
    assert report.passed and not fired
    assert left == pytest.approx(3.0 - took, abs=0.2)
    assert interval == pytest.approx(0.7)


def test_someone_elses_timer_with_less_than_a_second_left_is_given_back_too():
    report, fired, left, _, _ = _with_someone_elses_timer(0.8, 0.0, softmax)
    assert report.passed
    assert fired or 0 < left <= 0.8  # still running, or it went off (a slow machine): never lost


@pytest.mark.parametrize("sigint", [signal.default_int_handler, signal.SIG_IGN],
                         ids=["Python's Ctrl+C handler", "Ctrl+C ignored, as under some test runners"])
def test_without_sigalrm_a_timer_thread_interrupts_the_main_thread(short_limits, monkeypatch, sigint):
    monkeypatch.delattr(checks.signal, "setitimer")
    previous = signal.signal(signal.SIGINT, sigint)
    try:
        report = checks.run_softmax_checks(loops_forever)
        assert report.mistake == "timed_out" and "did not finish in 0.3 s" in report.headline
        assert checks.run_softmax_checks(softmax).passed
        time.sleep(0.4)  # no stray Ctrl+C arrives afterwards
        assert signal.getsignal(signal.SIGINT) == sigint
    finally:
        signal.signal(signal.SIGINT, previous)


def test_without_sigalrm_a_loop_that_swallows_the_first_ctrl_c_meets_the_next(short_limits, monkeypatch):
    # Windows has no SIGALRM: the timer thread's Ctrl+C must come again, as the alarm does.
    monkeypatch.delattr(checks.signal, "setitimer")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        report = checks.run_softmax_checks(swallows_the_first_interruption)
        assert report.mistake == "timed_out" and report.failed_check == 1
        time.sleep(0.3)  # no stray Ctrl+C arrives afterwards
    finally:
        signal.signal(signal.SIGINT, previous)


def test_outside_the_main_thread_the_check_stops_waiting_and_says_so(short_limits):
    released = threading.Event()

    def loops_until_released(z):  # the checker cannot stop it: the test does, afterwards
        while not released.is_set():
            pass
        return softmax(z)

    reports = []
    worker = threading.Thread(target=lambda: reports.append(checks.run_softmax_checks(loops_until_released)),
                              daemon=True)
    worker.start()
    worker.join(5)
    released.set()  # else the abandoned loop would hold the GIL for the rest of the session
    [report] = reports
    assert report.mistake == "timed_out"
    assert report.headline.endswith("It may still be running: restart the kernel to stop it.")
    passing = []
    worker = threading.Thread(target=lambda: passing.append(checks.run_softmax_checks(softmax)))
    worker.start()
    worker.join(5)
    assert passing[0].passed


def _report_from_a_thread(function, daemon=True):
    reports = []
    worker = threading.Thread(target=lambda: reports.append(checks.run_softmax_checks(function)), daemon=daemon)
    worker.start()
    worker.join(5)
    return reports[0]


@pytest.mark.parametrize("error", [NotImplementedError(), ValueError("z must not be empty")],
                         ids=["not started", "a ValueError"])
def test_outside_the_main_thread_a_function_that_raises_gets_the_same_report(short_limits, error):
    def raises(z):
        raise error

    in_the_main_thread = checks.run_softmax_checks(raises)
    from_a_thread = _report_from_a_thread(raises)
    assert (from_a_thread.mistake, from_a_thread.message) == (in_the_main_thread.mistake, in_the_main_thread.message)
    assert from_a_thread.mistake == ("not_done" if isinstance(error, NotImplementedError) else "raised")


def test_a_loop_abandoned_outside_the_main_thread_is_a_named_daemon_thread(short_limits):
    # Called from an ordinary (non-daemon) thread, as a script's worker might: the
    # abandoned loop must not keep Python from exiting, and an instructor listing
    # the threads of a stuck kernel can tell it by its name.
    released = threading.Event()

    def loops_until_released(z):
        while not released.is_set():
            time.sleep(0.01)
        return softmax(z)

    try:
        report = _report_from_a_thread(loops_until_released, daemon=False)
        assert report.headline == ("Check 1 of 7 stopped: loops_until_released did not finish in 0.3 s: is there "
                                   "a loop that never ends? It may still be running: restart the kernel to stop it.")
        # the documented attributes, as an instructor's script reads them
        assert (report.function_name, report.total, report.failed_check) == ("loops_until_released", 7, 1)
        abandoned = [thread for thread in threading.enumerate() if thread.name == "softmax-lab check"]
        assert abandoned and all(thread.daemon for thread in abandoned)
    finally:
        released.set()


# ---------------------------------------------------------------- Ctrl+C during a check


def test_ctrl_c_during_a_check_raises_keyboardinterrupt_shown_as_one_line():
    def interrupted(z):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        checks.check_softmax(interrupted)
    line = ("check_softmax was interrupted (the stop button, or Ctrl+C): run the cell again "
            "to check your function.")
    assert caught.value._render_traceback_() == [line]
    assert str(caught.value) == line  # what plain Python prints after "KeyboardInterrupt: "
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


IPYTHON_SESSION = """
import signal
from IPython.core.interactiveshell import InteractiveShell
signal.signal(signal.SIGINT, signal.default_int_handler)  # a kernel's Ctrl+C, whatever was inherited
shell = InteractiveShell.instance()
shell.run_cell("from lab_utils_checks import check_softmax")
shell.run_cell("import sys\\n"
               "def my_softmax(z):\\n"
               "    sys.__stdout__.write('looping\\\\n'); sys.__stdout__.flush()\\n"
               "    while True:\\n"
               "        pass")
shell.run_cell("passed = check_softmax(my_softmax)")
print("after", flush=True)
"""


def test_ctrl_c_in_ipython_prints_one_line_not_a_traceback():
    child = subprocess.Popen([sys.executable, "-c", IPYTHON_SESSION], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                             env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert child.stdout.readline().strip() == "looping"  # the check is in my_softmax's loop
    child.send_signal(signal.SIGINT)
    output, _ = child.communicate(timeout=30)
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines == ["check_softmax was interrupted (the stop button, or Ctrl+C): run the cell "
                     "again to check your function.", "after"], output
