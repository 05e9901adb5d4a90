"""What `make doctor` and notebook 00 tell a student: every check's line and the summary."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

import lab_utils_env as env

ROOT = Path(__file__).resolve().parent.parent
CHECK_NAMES = ["Python", *env.LIBRARIES, "ipympl extension", "quiet TensorFlow", "figure style"]


def test_doctor_in_this_environment_passes_every_check_and_says_so(capsys):
    assert env.main() == 0
    out = capsys.readouterr().out
    assert out.startswith("Softmax Lab environment check (")
    assert out.count("[PASS] ") == len(CHECK_NAMES) and "[FAIL]" not in out
    assert out.rstrip().endswith(f"All {len(CHECK_NAMES)} checks passed.")


def test_doctor_checks_in_order_and_a_kernel_adds_the_server_check(monkeypatch):
    assert [check.name for check in env.run_checks()] == CHECK_NAMES
    monkeypatch.setattr(env, "check_jupyter_server",
                        lambda: env.Check("Jupyter server", True, "checked"))
    in_kernel = [check.name for check in env.run_checks(in_kernel=True)]
    assert in_kernel == CHECK_NAMES[:-2] + ["Jupyter server"] + CHECK_NAMES[-2:]


def test_doctor_with_ipympl_broken_names_it_in_the_summary_without_a_traceback(tmp_path):
    # ipympl made unimportable for the doctor's own Python, as a broken install would.
    package = tmp_path / "ipympl"
    package.mkdir()
    (package / "__init__.py").write_text('raise ImportError("simulated broken install")\n')
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = subprocess.run([sys.executable, "-m", "lab_utils_env"], capture_output=True,
                            text=True, env=environment, cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr == "", "a failed check is a line in the report, never a traceback"
    assert "[FAIL] ipympl extension: ipympl cannot be imported: ImportError" in result.stdout
    total = len(CHECK_NAMES)
    assert result.stdout.rstrip().endswith(
        f"2 of {total} checks failed: ipympl, ipympl extension."), result.stdout


def test_doctor_in_process_reports_a_broken_ipympl_extension_check(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipympl._version", None)  # import raises ImportError
    assert env.main() == 1
    out = capsys.readouterr().out
    assert "[FAIL] ipympl extension: ipympl cannot be imported: ModuleNotFoundError" in out
    assert "       fix: run `make venv` to reinstall the pinned packages" in out
    assert out.rstrip().endswith(f"1 of {len(CHECK_NAMES)} checks failed: ipympl extension.")


def test_matching_ipympl_extension_names_both_versions():
    from ipympl._version import __version__

    check = env.check_ipympl_extension()
    assert check.ok and check.name == "ipympl extension"
    assert check.detail.startswith("JupyterLab extension ") and check.detail.endswith(
        f"matches ipympl {__version__}")


def test_a_passing_check_shows_no_fix_and_a_failing_one_without_a_fix_shows_one_line():
    assert env.Check("a", True, "fine", "never shown").line() == "[PASS] a: fine"
    assert env.Check("b", False, "broken").line() == "[FAIL] b: broken"


# ------------------------------------------------------------ pins
def test_tensorflow_is_compared_with_the_tensorflow_cpu_pin_when_that_is_the_one_pinned():
    import tensorflow as tf

    assert env.check_library("tensorflow", pins={"tensorflow-cpu": "0.0.1"}).detail == (
        f"tensorflow {tf.__version__} is installed, the lessons were made with 0.0.1")
    assert env.check_library("tensorflow", pins={"tensorflow-cpu": tf.__version__}).ok
    # Only tensorflow falls back to the tensorflow-cpu pin.
    assert env.check_library("numpy", pins={"tensorflow-cpu": "0.0.1"}).ok


def test_library_at_the_pinned_version_passes_with_its_version():
    import numpy

    check = env.check_library("numpy", pins={"numpy": numpy.__version__})
    assert check.ok and check.line() == f"[PASS] numpy: numpy {numpy.__version__}"
    failing = env.check_library("numpy", pins={"numpy": "0.0.1"})
    assert failing.fix == "run `make venv` to install the pinned versions"


def test_pins_are_read_from_the_lock_file_for_this_machine():
    from importlib import metadata

    pins = env._pinned_versions()
    for name in ("numpy", "keras", "matplotlib", "scikit-learn", "ipympl"):
        assert pins[name] == metadata.version(name), name
    tensorflow = {name: version for name, version in pins.items() if name.startswith("tensorflow")}
    assert len({"tensorflow", "tensorflow-cpu"} & set(tensorflow)) == 1, "one pin applies here"


def test_a_library_that_writes_to_the_terminal_while_importing_is_kept_quiet(tmp_path, monkeypatch,
                                                                            capfd):
    (tmp_path / "noisy_library.py").write_text(
        "import os\nos.write(2, b'C-level start-up noise\\n')\n__version__ = '1.0'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    check = env.check_library("noisy_library", pins={})
    assert check.ok and check.detail == "noisy_library 1.0"
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n", "silenced while importing, restored afterwards"


def test_a_library_that_fails_to_import_says_how_and_what_to_run(tmp_path, monkeypatch):
    (tmp_path / "broken_library.py").write_text("raise OSError('libfoo.so missing')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    check = env.check_library("broken_library", pins={})
    assert not check.ok
    assert check.detail == "broken_library cannot be imported: OSError: libfoo.so missing"
    assert check.fix == "run `make venv` to reinstall the pinned packages"


# ------------------------------------------------------------ the Jupyter server
def child(command: list[str], cwd) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL)
    time.sleep(0.3)  # let exec finish, so cmdline is the new program's
    return process


def test_a_server_started_from_this_environment_is_accepted():
    # A process this test starts (so it can be read on any machine), run by
    # this environment's python through a path relative to its working folder.
    prefix = Path(sys.prefix)
    relative = os.path.relpath(sys.executable, prefix)
    process = child([relative, "-c", "import time; time.sleep(30)"], cwd=prefix)
    try:
        check = env.check_jupyter_server(parent_pid=process.pid)
    finally:
        process.kill()
        process.wait()
    assert check.ok, check.detail
    assert check.line() == "[PASS] Jupyter server: started from the same environment as this kernel"


def test_a_server_from_this_environment_that_renamed_itself_is_accepted(tmp_path):
    # pytest-xdist's workers (which start nbval's kernels) retitle themselves
    # with setproctitle, so their command line no longer names this Python.
    pytest.importorskip("setproctitle")
    script = "import setproctitle, time; setproctitle.setproctitle('renamed worker'); time.sleep(30)"
    process = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 10
        while psutil.Process(process.pid).cmdline()[:1] != ["renamed worker"]:
            assert time.monotonic() < deadline, "the child never renamed itself"
            time.sleep(0.05)
        check = env.check_jupyter_server(parent_pid=process.pid)
    finally:
        process.kill()
        process.wait()
    assert check.ok, check.detail


def test_a_server_started_from_another_python_is_reported_with_the_make_lab_fix(tmp_path):
    process = child(["sleep", "30"], cwd=tmp_path)
    try:
        check = env.check_jupyter_server(parent_pid=process.pid)
    finally:
        process.kill()
        process.wait()
    assert not check.ok
    assert check.detail.startswith("this kernel was started by a Jupyter from another Python")
    assert check.fix == env.RUN_MAKE_LAB


def test_a_server_that_cannot_be_inspected_is_reported_not_raised():
    process = subprocess.Popen(["true"])
    process.wait()  # gone: psutil cannot read it
    check = env.check_jupyter_server(parent_pid=process.pid)
    assert not check.ok and check.fix == env.RUN_MAKE_LAB
    assert check.detail == "could not inspect the process that started this kernel (NoSuchProcess)"


# ------------------------------------------------------------ kernels and style
def test_a_kernel_that_forwards_c_level_output_is_told_to_restart(monkeypatch):
    from ipykernel.kernelapp import IPKernelApp

    class Forwarding:
        capture_fd_output = True

    monkeypatch.setattr(IPKernelApp, "initialized", classmethod(lambda cls: True))
    monkeypatch.setattr(IPKernelApp, "instance", classmethod(lambda cls, *a, **k: Forwarding()))
    check = env.check_quiet_kernels(in_kernel=True)
    assert not check.ok and check.fix == "restart the kernel"
    assert env.check_quiet_kernels(in_kernel=False).ok, "outside a kernel there is nothing to forward"
    Forwarding.capture_fd_output = False
    assert env.check_quiet_kernels(in_kernel=True).ok


def test_a_missing_style_file_is_reported_with_the_git_command(monkeypatch, tmp_path):
    import lab_utils_common

    assert env.check_style().line() == "[PASS] figure style: deeplearning.mplstyle found"
    monkeypatch.setattr(lab_utils_common, "STYLE_PATH", tmp_path / "deeplearning.mplstyle")
    check = env.check_style()
    assert not check.ok and "git checkout -- deeplearning.mplstyle" in check.fix


def test_python_from_an_environment_with_the_suite_installed_is_accepted(tmp_path):
    (tmp_path / env.KERNEL_CONFIG).parent.mkdir(parents=True)
    (tmp_path / env.KERNEL_CONFIG).write_text("")
    check = env.check_python(prefix=str(tmp_path), version=(3, 12, 1))
    assert check.ok and check.detail.startswith("Python 3.12 from an environment with Softmax Lab")
    assert env.check_python(version=(3, 13, 0)).detail == (
        "Python 3.13 from the suite's environment (.venv)")
    assert not env.check_python(prefix=str(tmp_path), version=(3, 10, 0)).ok
    assert env.check_python(prefix=str(tmp_path), version=(3, 11, 0)).ok


@pytest.mark.parametrize("path, shown", [(ROOT / "notebooks", "notebooks"),
                                         (Path("/"), "a folder outside this repository")])
def test_paths_are_shown_relative_to_the_repository(path, shown):
    assert env._relative(path) == shown
