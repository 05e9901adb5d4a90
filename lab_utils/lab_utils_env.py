"""Environment checks for Softmax Lab: is everything a lesson needs in place?

Used by ``notebooks/00_start_here.ipynb`` (inside the kernel) and by
``make doctor`` (``python -m lab_utils_env``, from a terminal). Each check
gives one line: what it found, and for a failure, the one-line fix.

What is here
------------
Check
    One check's result: ``name``, ``ok``, ``detail``, ``fix``.
run_checks(in_kernel)
    Every check, in order, as a list of Check.
report(checks)
    Print the checks as lines a student can read; return True if all passed.
main()
    The ``make doctor`` entry point: exit status 1 if any check failed.

Importing this module imports nothing heavy and changes nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

#: The repository this module belongs to (lab_utils/ sits at its top level).
REPO = Path(__file__).resolve().parent.parent
#: The environment ``make venv`` builds.
VENV = REPO / ".venv"
#: The kernel configuration that keeps TensorFlow's C-level lines out of notebooks.
KERNEL_CONFIG = Path("etc") / "ipython" / "ipython_kernel_config.py"
#: ipympl's JupyterLab extension, relative to an environment's prefix.
IPYMPL_LABEXTENSION = Path("share") / "jupyter" / "labextensions" / "jupyter-matplotlib"
#: The packages whose versions the lessons' stored outputs depend on.
LIBRARIES = ("tensorflow", "keras", "matplotlib", "ipympl", "ipywidgets", "numpy")

RUN_MAKE_LAB = "quit this Jupyter and start it with `make lab` from the repository folder"


@dataclass
class Check:
    """The result of one environment check."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "PASS" if self.ok else "FAIL"
        text = f"[{mark}] {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f"\n       fix: {self.fix}"
        return text


def _relative(path: Path) -> str:
    """A path as the student knows it: relative to the repository if inside it."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return "a folder outside this repository"


def _same_place(a: Path, b: Path) -> bool:
    # Both callers pass absolute paths, which resolve() in its non-strict mode
    # never fails on (a symlink loop raises RuntimeError on 3.11-3.12 and
    # nothing on 3.13, never OSError).
    return Path(a).resolve() == Path(b).resolve()


def check_python(prefix: str | None = None, version: tuple = None) -> Check:
    """The Python running this code is a supported one, from the suite's environment."""
    prefix = Path(prefix or sys.prefix)
    version = version or sys.version_info[:3]
    shown = ".".join(map(str, version[:2]))
    if not (3, 11) <= tuple(version[:2]) <= (3, 13):
        return Check("Python", False, f"Python {shown} is not supported (3.11-3.13 are)",
                     "run `PYTHON=python3.12 make lab` with a supported Python installed")
    if _same_place(prefix, VENV):
        return Check("Python", True, f"Python {shown} from the suite's environment (.venv)")
    if (prefix / KERNEL_CONFIG).is_file() and _installed("softmax-lab"):
        return Check("Python", True, f"Python {shown} from an environment with Softmax Lab "
                                     "installed (conda or JupyterHub)")
    return Check("Python", False, f"Python {shown} from {_relative(prefix)}, not the suite's "
                                  "environment", RUN_MAKE_LAB)


def _installed(distribution: str) -> bool:
    from importlib import metadata

    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def _pinned_versions() -> dict[str, str]:
    """Exact pins from requirements.txt that apply to this Python."""
    pins: dict[str, str] = {}
    lock = REPO / "requirements.txt"
    if not lock.is_file():
        return pins
    try:
        from packaging.requirements import Requirement
    except ImportError:
        return pins
    for raw in lock.read_text().splitlines():
        raw = raw.strip()
        if not raw or raw.startswith("#"):
            continue
        requirement = Requirement(raw)
        if requirement.marker is None or requirement.marker.evaluate():
            pins[requirement.name.lower().replace("_", "-")] = str(requirement.specifier).lstrip("=")
    return pins


@contextlib.contextmanager
def _c_level_stderr_silenced():
    """Send file descriptor 2 to /dev/null for a moment (TensorFlow's import lines)."""
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def check_library(name: str, pins: dict[str, str] | None = None) -> Check:
    """A library imports, and its version is the pinned one."""
    try:
        with _c_level_stderr_silenced():
            module = importlib.import_module(name)
    except Exception as error:  # a broken install can raise anything
        return Check(name, False, f"{name} cannot be imported: {type(error).__name__}: {error}",
                     "run `make venv` to reinstall the pinned packages")
    version = str(getattr(module, "__version__", "unknown"))
    pins = _pinned_versions() if pins is None else pins
    wanted = pins.get(name) or (pins.get("tensorflow-cpu") if name == "tensorflow" else None)
    if wanted and version != wanted:
        return Check(name, False, f"{name} {version} is installed, the lessons were made with {wanted}",
                     "run `make venv` to install the pinned versions")
    return Check(name, True, f"{name} {version}")


def check_ipympl_extension(prefix: str | None = None) -> Check:
    """ipympl's JupyterLab extension is installed beside it, in a matching version."""
    try:
        from ipympl._version import __version__ as python_version
        from ipympl._version import js_semver
    except Exception as error:
        return Check("ipympl extension", False,
                     f"ipympl cannot be imported: {type(error).__name__}: {error}",
                     "run `make venv` to reinstall the pinned packages")
    package_json = Path(prefix or sys.prefix) / IPYMPL_LABEXTENSION / "package.json"
    if not package_json.is_file():
        return Check("ipympl extension", False,
                     "ipympl's JupyterLab extension is missing from this environment, so its "
                     "figures show 'Error displaying widget'",
                     "run `make venv`, then " + RUN_MAKE_LAB)
    js_version = json.loads(package_json.read_text())["version"]
    wanted = js_semver.lstrip("^~")
    if not js_version.startswith(wanted):
        return Check("ipympl extension", False,
                     f"JupyterLab has ipympl's extension {js_version}, the kernel's ipympl "
                     f"{python_version} needs {js_semver}", "run `make venv`, then " + RUN_MAKE_LAB)
    return Check("ipympl extension", True,
                 f"JupyterLab extension {js_version} matches ipympl {python_version}")


def check_jupyter_server(parent_pid: int | None = None) -> Check:
    """The Jupyter server that started this kernel runs from the same environment.

    A JupyterLab started from another Python serves another set of
    extensions: that is what makes widgets say "model not found".
    """
    try:
        import psutil

        parent = psutil.Process(parent_pid or os.getppid())
        command = parent.cmdline()[:2]
        folder = parent.cwd()
    except Exception as error:
        return Check("Jupyter server", False, f"could not inspect the process that started "
                                              f"this kernel ({type(error).__name__})", RUN_MAKE_LAB)
    # A venv's python is a link to the base interpreter, so compare the paths
    # the server was started with (not where they link to) with our prefix.
    prefix = os.path.abspath(sys.prefix)
    started_with = [os.path.abspath(os.path.join(folder, part)) for part in command]
    same = any(path.startswith(prefix + os.sep) for path in started_with)
    if not same:
        # A process may rename itself (pytest-xdist's workers do, with
        # setproctitle): then the libraries it loaded from this environment tell.
        try:
            same = any(region.path.startswith(prefix + os.sep) for region in parent.memory_maps())
        except Exception:
            pass
    if same:
        return Check("Jupyter server", True, "started from the same environment as this kernel")
    return Check("Jupyter server", False, "this kernel was started by a Jupyter from another "
                                          "Python environment, whose widget extensions may not "
                                          "match", RUN_MAKE_LAB)


def check_quiet_kernels(prefix: str | None = None, in_kernel: bool = False) -> Check:
    """Kernels from this environment keep TensorFlow's C-level log lines out of notebooks."""
    config = Path(prefix or sys.prefix) / KERNEL_CONFIG
    if not config.is_file():
        return Check("quiet TensorFlow", False, "the kernel configuration that keeps TensorFlow's "
                                                "log lines out of notebooks is not installed",
                     "run `make venv` (conda: `pip install -e .` in the environment)")
    if in_kernel:
        try:
            from ipykernel.kernelapp import IPKernelApp

            if IPKernelApp.initialized() and IPKernelApp.instance().capture_fd_output:
                return Check("quiet TensorFlow", False, "this kernel forwards C-level output into "
                                                        "the notebook", "restart the kernel")
        except ImportError:
            pass
    return Check("quiet TensorFlow", True, "TensorFlow's C-level log lines stay out of notebooks")


def check_style() -> Check:
    """The suite's matplotlib style file is where the helpers look for it."""
    from lab_utils_common import STYLE_PATH

    if STYLE_PATH.is_file():
        return Check("figure style", True, f"{_relative(STYLE_PATH)} found")
    return Check("figure style", False, "deeplearning.mplstyle is missing",
                 "restore it with `git checkout -- deeplearning.mplstyle`")


def run_checks(in_kernel: bool = False) -> list[Check]:
    """Run every check in order and return the results."""
    pins = _pinned_versions()
    checks = [check_python()]
    checks += [check_library(name, pins) for name in LIBRARIES]
    checks.append(check_ipympl_extension())
    if in_kernel:
        checks.append(check_jupyter_server())
    checks.append(check_quiet_kernels(in_kernel=in_kernel))
    checks.append(check_style())
    return checks


def report(checks: list[Check]) -> bool:
    """Print one line per check (and its fix when it failed); True if all passed."""
    for check in checks:
        print(check.line())
    failed = [check.name for check in checks if not check.ok]
    if failed:
        print(f"\n{len(failed)} of {len(checks)} checks failed: {', '.join(failed)}.")
    else:
        print(f"\nAll {len(checks)} checks passed.")
    return not failed


def main() -> int:
    """``make doctor``: run the checks from a terminal; 1 if any failed."""
    print(f"Softmax Lab environment check ({REPO}):")
    return 0 if report(run_checks()) else 1


if __name__ == "__main__":
    sys.exit(main())
