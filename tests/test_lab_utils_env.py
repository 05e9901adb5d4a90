"""lab_utils_env: the checks behind `make doctor` and notebook 00."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import lab_utils_env as env

ROOT = Path(__file__).resolve().parent.parent


def test_doctor_passes_and_keeps_tensorflow_start_up_lines_off_the_terminal():
    # As from a student's terminal, where TensorFlow's log level is not raised
    # (conftest raises it for the tests, which alone hid the lines: this test
    # could not fail). A broken ipympl: tests/test_doctor_report.py.
    import os

    terminal = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-m", "lab_utils_env"], capture_output=True,
                            text=True, env=terminal, cwd=ROOT)
    assert result.returncode == 0, result.stdout
    assert "All" in result.stdout and "FAIL" not in result.stdout
    assert result.stderr == "", "no oneDNN or cpu_feature_guard lines, nothing but the report"


def test_python_from_another_environment_fails_with_the_make_lab_fix(tmp_path):
    check = env.check_python(prefix=str(tmp_path), version=(3, 11, 7))
    assert not check.ok
    assert "not the suite's environment" in check.detail
    assert "make lab" in check.fix
    assert str(tmp_path) not in check.line(), "no absolute paths in what a student sees"


def test_unsupported_python_names_a_supported_one():
    check = env.check_python(prefix=str(env.VENV), version=(3, 14, 0))
    assert not check.ok and "PYTHON=python3.12" in check.fix


def test_library_at_another_version_than_the_pin_fails():
    check = env.check_library("numpy", pins={"numpy": "0.0.1"})
    assert not check.ok and "0.0.1" in check.detail


def test_missing_ipympl_labextension_is_reported(tmp_path):
    check = env.check_ipympl_extension(prefix=str(tmp_path))
    assert not check.ok and "Error displaying widget" in check.detail


def test_mismatched_ipympl_labextension_is_reported(tmp_path):
    folder = tmp_path / env.IPYMPL_LABEXTENSION
    folder.mkdir(parents=True)
    (folder / "package.json").write_text('{"version": "0.5.0"}')
    check = env.check_ipympl_extension(prefix=str(tmp_path))
    assert not check.ok and "0.5.0" in check.detail


def test_environment_without_kernel_configuration_fails(tmp_path):
    check = env.check_quiet_kernels(prefix=str(tmp_path))
    assert not check.ok and "make venv" in check.fix


def test_jupyter_server_from_another_python_is_reported(tmp_path):
    # A process this test starts, so it can be read on every machine (PID 1
    # often cannot, and then only the error branch ran).
    other = subprocess.Popen(["sleep", "30"], cwd=tmp_path)
    try:
        import time

        time.sleep(0.3)  # until `sleep` has replaced the forked Python
        check = env.check_jupyter_server(parent_pid=other.pid)
    finally:
        other.kill()
        other.wait()
    assert not check.ok and "another Python environment" in check.detail
    assert "make lab" in check.fix


def test_report_counts_failures(capsys):
    checks = [env.Check("a", True, "fine"), env.Check("b", False, "broken", "do this")]
    assert env.report(checks) is False
    out = capsys.readouterr().out
    assert "[FAIL] b: broken\n       fix: do this" in out
    assert "1 of 2 checks failed: b." in out
