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
    assert "ipympl cannot be imported: ImportError: simulated broken install" in result.stdout
    assert "fix: run `make venv`" in result.stdout
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


@pytest.mark.parametrize("names_this_environment", [False, True],
                         ids=["another program", "another program reading a file of this environment"])
def test_a_server_started_by_another_program_is_reported_with_the_make_lab_fix(
        tmp_path, names_this_environment):
    # What the server runs (its program and script, the first two words of its
    # command) tells where it comes from; a later argument inside this
    # environment does not make it this environment's.
    (tmp_path / "log").write_text("")
    named = Path(sys.prefix) / env.KERNEL_CONFIG if names_this_environment else tmp_path / "log"
    # `tail -f` on two files writes a header line at once: read, it has started.
    process = subprocess.Popen(["tail", "-f", str(named), str(tmp_path / "log")], cwd=tmp_path,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().startswith("==> ")
        check = env.check_jupyter_server(parent_pid=process.pid)
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    assert (check.ok, check.line()) == (False, (
        "[FAIL] Jupyter server: this kernel was started by a Jupyter from another Python "
        "environment, whose widget extensions may not match\n"
        "       fix: quit this Jupyter and start it with `make lab` from the repository folder"))


def test_a_server_that_cannot_be_inspected_is_reported_not_raised():
    process = subprocess.Popen(["true"])
    process.wait()  # gone: psutil cannot read it
    check = env.check_jupyter_server(parent_pid=process.pid)
    assert (check.ok, check.line()) == (False, (
        "[FAIL] Jupyter server: could not inspect the process that started this kernel "
        "(NoSuchProcess)\n"
        "       fix: quit this Jupyter and start it with `make lab` from the repository folder"))


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


# ------------------------------------------------------------ every situation, as printed
# Each situation a student can be in, and the exact line (with its fix) that
# `make doctor` and notebook 00 print for it. `ok` is compared too: run_checks
# returns these Checks, and a failure must be ok=False, not merely falsy.
MAKE_LAB = "quit this Jupyter and start it with `make lab` from the repository folder"
REINSTALL = "run `make venv` to reinstall the pinned packages"
INSTALL_PINNED = "run `make venv` to install the pinned versions"
SITUATIONS = {}


def situation(ok: bool, line: str):
    """Register a situation (named after the function) and what the doctor prints for it."""
    def register(make_check):
        SITUATIONS[make_check.__name__] = (make_check, ok, line)
        return make_check
    return register


def a_module(tmp_path, monkeypatch, name: str, source: str) -> str:
    """A module `name` in tmp_path, imported afresh (any earlier import is forgotten)."""
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name


def a_prefix_with_kernel_config(tmp_path) -> str:
    """An environment (conda, JupyterHub) whose kernels read the suite's kernel configuration."""
    (tmp_path / env.KERNEL_CONFIG).parent.mkdir(parents=True)
    (tmp_path / env.KERNEL_CONFIG).write_text("")
    return str(tmp_path)


def a_lock_file(tmp_path, monkeypatch, text: str) -> None:
    """requirements.txt as `text`, where the doctor reads it."""
    (tmp_path / "requirements.txt").write_text(text)
    monkeypatch.setattr(env, "REPO", tmp_path)


def a_kernel_that_forwards_c_level_output(monkeypatch) -> None:
    from ipykernel.kernelapp import IPKernelApp

    class Forwarding:
        capture_fd_output = True

    monkeypatch.setattr(IPKernelApp, "initialized", classmethod(lambda cls: True))
    monkeypatch.setattr(IPKernelApp, "instance", classmethod(lambda cls, *a, **k: Forwarding()))


@situation(False, "[FAIL] Python: Python 3.10 is not supported (3.11-3.13 are)\n"
                  "       fix: run `PYTHON=python3.12 make lab` with a supported Python installed")
def unsupported_python(tmp_path, monkeypatch):
    return env.check_python(prefix=str(env.VENV), version=(3, 10, 4))


@situation(False, "[FAIL] Python: Python 3.12 from old-env, not the suite's environment\n"
                  f"       fix: {MAKE_LAB}")
def python_from_another_folder_of_the_repository(tmp_path, monkeypatch):
    return env.check_python(prefix=str(env.REPO / "old-env"), version=(3, 12, 1))


@situation(False, "[FAIL] Python: Python 3.12 from a folder outside this repository, not the "
                  f"suite's environment\n       fix: {MAKE_LAB}")
def conda_environment_with_the_kernel_configuration_but_not_softmax_lab(tmp_path, monkeypatch):
    from importlib import metadata

    def distribution(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", distribution)
    return env.check_python(prefix=a_prefix_with_kernel_config(tmp_path), version=(3, 12, 1))


@situation(True, "[PASS] Python: Python 3.12 from an environment with Softmax Lab installed "
                 "(conda or JupyterHub)")
def conda_environment_with_softmax_lab_installed(tmp_path, monkeypatch):
    return env.check_python(prefix=a_prefix_with_kernel_config(tmp_path), version=(3, 12, 1))


@situation(False, "[FAIL] broken_library: broken_library cannot be imported: OSError: libfoo.so "
                  f"missing\n       fix: {REINSTALL}")
def library_that_fails_to_import(tmp_path, monkeypatch):
    source = "raise OSError('libfoo.so missing')\n"
    return env.check_library(a_module(tmp_path, monkeypatch, "broken_library", source), pins={})


@situation(False, "[FAIL] numpy: numpy {numpy} is installed, the lessons were made with 0.0.1\n"
                  f"       fix: {INSTALL_PINNED}")
def library_at_another_version_than_its_pin(tmp_path, monkeypatch):
    return env.check_library("numpy", pins={"numpy": "0.0.1"})


@situation(False, "[FAIL] versionless_library: versionless_library unknown is installed, the "
                  f"lessons were made with 1.0\n       fix: {INSTALL_PINNED}")
def pinned_library_without_a_version(tmp_path, monkeypatch):
    name = a_module(tmp_path, monkeypatch, "versionless_library", "")
    return env.check_library(name, pins={name: "1.0"})


@situation(True, "[PASS] versionless_library: versionless_library unknown")
def unpinned_library_without_a_version(tmp_path, monkeypatch):
    return env.check_library(a_module(tmp_path, monkeypatch, "versionless_library", ""), pins={})


@situation(False, "[FAIL] tensorflow: tensorflow {tensorflow} is installed, the lessons were made "
                  f"with 0.0.1\n       fix: {INSTALL_PINNED}")
def lock_file_spelling_tensorflow_cpu_with_an_underscore(tmp_path, monkeypatch):
    a_lock_file(tmp_path, monkeypatch,
                "# pinned by make lock\n\nTensorflow_CPU==0.0.1 ; python_version >= '3'\n")
    return env.check_library("tensorflow")


@situation(True, "[PASS] numpy: numpy {numpy}")
def lock_file_whose_pin_is_for_another_python(tmp_path, monkeypatch):
    a_lock_file(tmp_path, monkeypatch, "numpy==0.0.1 ; python_version < '3'\n")
    return env.check_library("numpy")


@situation(False, "[FAIL] ipympl extension: ipympl cannot be imported: ImportError: simulated "
                  f"broken install\n       fix: {REINSTALL}")
def ipympl_that_cannot_be_imported(tmp_path, monkeypatch):
    import types

    def __getattr__(name):
        raise ImportError("simulated broken install")

    broken = types.ModuleType("ipympl._version")
    broken.__getattr__ = __getattr__
    monkeypatch.setitem(sys.modules, "ipympl._version", broken)
    return env.check_ipympl_extension()


@situation(False, "[FAIL] ipympl extension: ipympl's JupyterLab extension is missing from this "
                  "environment, so its figures show 'Error displaying widget'\n"
                  f"       fix: run `make venv`, then {MAKE_LAB}")
def ipympl_labextension_missing(tmp_path, monkeypatch):
    return env.check_ipympl_extension(prefix=str(tmp_path))


@situation(False, "[FAIL] ipympl extension: JupyterLab has ipympl's extension 0.5.0, the kernel's "
                  "ipympl {ipympl} needs {js_semver}\n"
                  f"       fix: run `make venv`, then {MAKE_LAB}")
def ipympl_labextension_at_another_version(tmp_path, monkeypatch):
    folder = tmp_path / env.IPYMPL_LABEXTENSION
    folder.mkdir(parents=True)
    (folder / "package.json").write_text('{"version": "0.5.0"}')
    return env.check_ipympl_extension(prefix=str(tmp_path))


@situation(False, "[FAIL] quiet TensorFlow: the kernel configuration that keeps TensorFlow's log "
                  "lines out of notebooks is not installed\n"
                  "       fix: run `make venv` (conda: `pip install -e .` in the environment)")
def kernel_configuration_missing(tmp_path, monkeypatch):
    return env.check_quiet_kernels(prefix=str(tmp_path))


@situation(False, "[FAIL] quiet TensorFlow: this kernel forwards C-level output into the notebook\n"
                  "       fix: restart the kernel")
def kernel_that_forwards_c_level_output(tmp_path, monkeypatch):
    a_kernel_that_forwards_c_level_output(monkeypatch)
    return env.check_quiet_kernels(in_kernel=True)


@situation(True, "[PASS] quiet TensorFlow: TensorFlow's C-level log lines stay out of notebooks")
def make_doctor_outside_a_kernel_where_kernels_would_forward(tmp_path, monkeypatch):
    a_kernel_that_forwards_c_level_output(monkeypatch)
    return env.check_quiet_kernels()


@situation(False, "[FAIL] figure style: deeplearning.mplstyle is missing\n"
                  "       fix: restore it with `git checkout -- deeplearning.mplstyle`")
def style_file_missing(tmp_path, monkeypatch):
    import lab_utils_common

    monkeypatch.setattr(lab_utils_common, "STYLE_PATH", tmp_path / "deeplearning.mplstyle")
    return env.check_style()


@pytest.mark.parametrize("name", SITUATIONS)
def test_each_situation_prints_its_line_and_fix(name, tmp_path, monkeypatch):
    import ipympl._version
    import numpy
    import tensorflow as tf

    make_check, ok, line = SITUATIONS[name]
    check = make_check(tmp_path, monkeypatch)
    assert (check.ok, check.line()) == (ok, line.format(
        numpy=numpy.__version__, tensorflow=tf.__version__, ipympl=ipympl._version.__version__,
        js_semver=ipympl._version.js_semver))


def test_a_summary_names_every_failed_check_in_order(capsys):
    checks = [env.Check("a", False, "broken"), env.Check("b", True, "fine"),
              env.Check("c", False, "broken too")]
    assert env.report(checks) is False
    assert capsys.readouterr().out.endswith("\n2 of 3 checks failed: a, c.\n")


def test_notebook_00_in_a_kernel_that_forwards_c_level_output_says_restart(monkeypatch):
    a_kernel_that_forwards_c_level_output(monkeypatch)
    monkeypatch.setattr(env, "check_jupyter_server",
                        lambda: env.Check("Jupyter server", True, "checked"))
    failed = [check.line() for check in env.run_checks(in_kernel=True) if not check.ok]
    assert failed == [SITUATIONS["kernel_that_forwards_c_level_output"][2]]
