"""The conda environment, the pip pins and the Makefile agree with each other."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.11", "3.12", "3.13")


def environment_yml() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "environment.yml").read_text())


def pinned() -> list[Requirement]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def test_conda_python_is_one_the_lock_was_resolved_for():
    conda = [d for d in environment_yml()["dependencies"] if isinstance(d, str)]
    python = next(d for d in conda if d.startswith("python"))
    version = python.split("=")[1]
    assert version in SUPPORTED
    header = (ROOT / "requirements.txt").read_text().splitlines()[1]
    assert version in header, f"requirements.txt was not resolved for Python {version}: {header}"


def test_conda_installs_exactly_the_pip_pins_and_the_project():
    dependencies = environment_yml()["dependencies"]
    pip_section = next(d["pip"] for d in dependencies if isinstance(d, dict))
    assert pip_section == ["-r requirements.txt", "-e ."]
    conda_names = {re.split(r"[=<>]", d)[0] for d in dependencies if isinstance(d, str)}
    assert conda_names == {"python", "pip"}, "conda must not install a second copy of a pinned package"


def test_every_pin_is_exact_and_every_direct_dependency_is_pinned():
    requirements = pinned()
    assert all(str(r.specifier).startswith("==") for r in requirements)
    names = {r.name.lower().replace("_", "-") for r in requirements}
    direct = [Requirement(line) for line in (ROOT / "requirements.in").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    missing = {r.name for r in direct} - names
    assert not missing, f"requirements.in names packages with no pin: {missing}"
    for package in ("jupyterlab", "ipywidgets", "ipympl", "matplotlib", "numpy",
                    "scikit-learn", "keras", "tensorflow", "nbval", "pytest", "pytest-xdist"):
        assert package in names, package


def test_tensorflow_is_the_cpu_build_on_linux_and_tensorflow_elsewhere():
    by_name = {}
    for requirement in pinned():
        by_name.setdefault(requirement.name, []).append(requirement)
    linux = {"sys_platform": "linux", "platform_machine": "x86_64", "python_version": "3.11"}
    mac = {"sys_platform": "darwin", "platform_machine": "arm64", "python_version": "3.11"}
    assert any(r.marker.evaluate(linux) for r in by_name["tensorflow-cpu"])
    assert not any(r.marker.evaluate(linux) for r in by_name["tensorflow"])
    assert any(r.marker.evaluate(mac) for r in by_name["tensorflow"])
    assert not any(r.marker.evaluate(mac) for r in by_name["tensorflow-cpu"])
    assert {str(r.specifier) for r in by_name["tensorflow"] + by_name["tensorflow-cpu"]} == {"==2.21.0"}


@pytest.mark.parametrize("version", SUPPORTED)
def test_each_supported_python_gets_exactly_one_pin_per_package(version):
    environment = {"sys_platform": "linux", "platform_machine": "x86_64", "python_version": version,
                   "python_full_version": f"{version}.9"}
    seen: dict[str, str] = {}
    for requirement in pinned():
        if requirement.marker is None or requirement.marker.evaluate(environment):
            assert requirement.name not in seen, f"two pins for {requirement.name} on {version}"
            seen[requirement.name] = str(requirement.specifier)
    assert "keras" in seen and "jupyterlab" in seen


def test_installed_versions_match_the_pins():
    from importlib import metadata

    wrong = []
    for requirement in pinned():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{requirement.name} missing")
            continue
        if installed not in requirement.specifier:
            wrong.append(f"{requirement.name} {installed} (pinned {requirement.specifier})")
    assert not wrong, "run `make venv`: " + ", ".join(wrong)


def test_makefile_refuses_an_unsupported_python_with_one_clear_line(tmp_path):
    old = tmp_path / "python3.10"
    old.write_text("#!/bin/sh\nexec %s -c 'import sys; sys.version_info = (3, 10, 0); "
                   "exec(sys.argv[2])' \"$@\"\n" % sys.executable)
    old.chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "venv", f"PYTHON={old}", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode != 0
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines == [line for line in lines if "not supported" in line] and len(lines) == 1, result.stdout
    assert "PYTHON=python3.12 make" in lines[0]
    assert not (tmp_path / "venv").exists()


def test_a_venv_made_in_another_folder_is_made_again(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "pip").write_text("#!/old/place/softmax-lab/.venv/bin/python3.11\n")
    (venv / ".softmax-lab-installed").touch()  # newer than every input: "up to date"
    result = subprocess.run(["make", "-n", "--no-print-directory", "venv", f"VENV={venv}"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.splitlines()[0] == (
        f"{venv} was made in /old/place/softmax-lab/.venv, not here: making it again (about 2 minutes).")
    assert "pip install" in result.stdout and "rm -rf" in result.stdout


def test_a_venv_made_here_is_left_alone(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "pip").write_text(f"#!{venv}/bin/python3.11\n")
    (venv / ".softmax-lab-installed").touch()
    result = subprocess.run(["make", "-n", "--no-print-directory", "venv", f"VENV={venv}"],
                            cwd=ROOT, capture_output=True, text=True)
    assert "Nothing to be done" in result.stdout + result.stderr, result.stdout


@pytest.mark.parametrize("source, installed", [
    ("ipython_kernel_config.py", "etc/ipython/ipython_kernel_config.py"),
    ("jupyter_lab_config.json", "etc/jupyter/jupyter_lab_config.json"),
    ("overrides.json", "share/jupyter/lab/settings/overrides.json"),
    ("jupyter_server_config.json", "etc/jupyter/jupyter_server_config.json"),
    ("page_config.json", "etc/jupyter/labconfig/page_config.json"),
])
def test_jupyter_configuration_is_installed_in_this_environment(source, installed):
    assert (Path(sys.prefix) / installed).read_text() == (ROOT / "jupyter_config" / source).read_text()


def test_jupyterlab_fetches_no_news_updates_or_extension_listings():
    import json

    lab = json.loads((ROOT / "jupyter_config" / "jupyter_lab_config.json").read_text())["LabApp"]
    assert lab["news_url"] is None and lab["extension_manager"] == "readonly"
    assert lab["check_for_updates_class"] == "jupyterlab.NeverCheckForUpdate"
    settings = json.loads((ROOT / "jupyter_config" / "overrides.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_closing_a_lesson_gives_its_kernel_back_and_a_locked_solution_never_opens_as_source():
    # A lesson closed and opened again must not come back marked modified: with its kernel still
    # running, the widget manager restores every live figure and marks the notebook changed.
    # A worked solution's cell is locked (editable: false): double-click or Enter keeps it rendered.
    import json

    settings = json.loads((ROOT / "jupyter_config" / "overrides.json").read_text())
    tracker = settings["@jupyterlab/notebook-extension:tracker"]
    assert tracker["kernelShutdown"] is True and tracker["showEditorForReadOnlyMarkdown"] is False
    for path in (ROOT / "notebooks" / "07_exercises.ipynb",
                 ROOT / "instructor" / "source" / "exercises" / "07_exercises.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        solutions = [c for c in cells if "<details" in "".join(c["source"])]
        assert len(solutions) == 4 and all(c["metadata"].get("editable") is False for c in solutions), path


def test_jupyterlab_saves_widget_state_so_a_saved_notebook_shows_its_widgets():
    import json

    settings = json.loads((ROOT / "jupyter_config" / "overrides.json").read_text())
    assert settings["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True


def test_make_lab_starts_without_nbgraders_server_and_lab_extensions():
    # Outside a hub's exchange they only show errors, and the Formgrader would
    # write a gradebook.db into the repository.
    jupyter = Path(sys.executable).parent / "jupyter"
    servers = subprocess.run([str(jupyter), "server", "extension", "list"],
                             capture_output=True, text=True, cwd=ROOT)
    lines = [line for line in (servers.stdout + servers.stderr).splitlines()
             if line.strip().startswith("nbgrader.server_extensions.") and "Validating" not in line
             and "OK" not in line]
    assert len(lines) == 4 and all("disabled" in line for line in lines), lines
    labs = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True, text=True, cwd=ROOT)
    line = next(x for x in (labs.stdout + labs.stderr).splitlines() if "@jupyter/nbgrader v" in x)
    assert "disabled" in line


def test_kernels_from_this_environment_do_not_forward_c_level_output():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("ipython_kernel_config.py", str(ROOT / "jupyter_config")).load_config()
    assert config.IPKernelApp.capture_fd_output is False


def test_ci_runs_exactly_make_test():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[-1] == "exec make test"


def test_make_lab_binds_to_loopback_with_auth_and_xsrf_left_on():
    result = subprocess.run(["make", "-n", "--no-print-directory", "lab"], cwd=ROOT,
                            capture_output=True, text=True)
    command = next(line for line in result.stdout.splitlines() if "jupyter lab" in line)
    assert "--ServerApp.ip=127.0.0.1" in command
    assert "notebooks/00_start_here.ipynb" in command
    # The address printed in the terminal opens lesson 00 too, not the Launcher.
    assert "--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb" in command
    for weakening in ("token=''", 'token=""', "token= ", "disable_check_xsrf", "password=", "--ip=0.0.0.0"):
        assert weakening not in command
