"""Mutation testing of lab_utils/ with mutmut: the score per module and what survived.

Run it as ``make mutate`` (every module) or ``make mutate MODULE=lab_utils_env``.

Why a staging folder: mutmut names a mutant after its file's path and only
strips a leading ``src/``; the tests import the helpers as top-level modules
(``import lab_utils_env``). So the helpers are copied to build/mutation/src/
and mutmut runs there; its own copy (build/mutation/mutants/) gets the files
the tests read (notebooks, requirements.txt, the style file) and a link to
this .venv. Subprocesses the tests start get the mutated modules first on
PYTHONPATH, and they inherit the variable naming the active mutant.

Mutants that change nothing a student, instructor or test could observe are
listed with a reason in tools/mutation_equivalents.toml, each with the line
the mutant writes, so a listing that no longer matches its mutant is reported
as stale rather than trusted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "build" / "mutation"
MUTANTS = STAGE / "mutants"
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.toml"
MODULES = ("lab_utils_env", "lab_utils_common", "lab_utils_display", "lab_utils_multiclass",
           "lab_utils_softmax", "lab_utils_checks")
TARGET = 0.90
# What the tests read besides the helpers (copied into mutmut's copy).
ALSO_COPY = ["notebooks", "instructor", "tools", "jupyter_config", "requirements.txt", "requirements.in",
             "environment.yml", "deeplearning.mplstyle", "Makefile", "README.md"]
# Test files that check the repository, not the helpers: left out of mutation runs.
NOT_HELPER_TESTS = ["tests/e2e", "tests/hub", "tests/test_environment.py",
                    "tests/test_notebook_structure.py", "tests/test_slides.py",
                    "tests/test_fresh_copy.py", "tests/test_grading.py", "tests/test_hub_config.py",
                    # the grader's parts (grading/), the site builder (site/) and the student
                    # repository (a git repository of the whole tree): none of them is copied
                    "tests/test_grading_parts.py", "tests/test_site.py", "tests/test_student_repo.py"]
# Checks the repository's style-file link, which mutmut's copy of the tree does not keep.
NOT_HELPER_TEST_CASES = ["tests/test_lab_utils_common.py::test_course_style_line_works_where_kernels_start"]

KILLED = {"killed", "timeout", "segfault", "caught by type check", "killed by an alarm"}


def stage(modules: list[str], timeout_multiplier: float | None = None) -> None:
    """Make build/mutation: the helpers under src/, links to what the tests read."""
    (STAGE / "src").mkdir(parents=True, exist_ok=True)
    for source in sorted((ROOT / "lab_utils").glob("*.py")):
        target = STAGE / "src" / source.name
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copy2(source, target)
    for name in ["tests", *ALSO_COPY]:
        link = STAGE / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name)
    config = {
        "source_paths": ["src"],
        "only_mutate": [f"src/{module}.py" for module in modules],
        "also_copy": ALSO_COPY,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q"],
        "pytest_add_cli_args_test_selection": ["tests", *(f"--ignore={p}" for p in NOT_HELPER_TESTS),
                                               *(f"--deselect={p}" for p in NOT_HELPER_TEST_CASES)],
        "use_git_change_detection": False,
    }
    if timeout_multiplier is not None:
        config["timeout_multiplier"] = timeout_multiplier
    lines = ["[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    lines += ["", "[tool.pytest.ini_options]", 'addopts = "-p no:cacheprovider"',
              'norecursedirs = [".*", "build", "my_copies", "node_modules", "mutants"]']
    (STAGE / "pyproject.toml").write_text("\n".join(lines) + "\n")
    # mutmut's own copy of the sources, made here (as mutmut makes it: same
    # mtime) so that the folder exists when Python starts: a PYTHONPATH folder
    # created later is not searched, and the editable install's unmutated
    # lab_utils/ would be imported instead.
    # A module left out of an earlier run in this folder was copied there plainly,
    # with a newer mtime, which mutmut reads as "already mutated": it then made no
    # mutants for it (no results), or ran the kept results' mutants against the
    # plain copy, where every one survives. Such a copy is put back with the
    # source's mtime, so mutmut mutates it again (keeping the results it has).
    (MUTANTS / "src").mkdir(parents=True, exist_ok=True)
    for source in (STAGE / "src").glob("*.py"):
        target = MUTANTS / "src" / source.name
        if not target.exists() or (source.stem in modules and target.read_bytes() == source.read_bytes()):
            shutil.copy2(source, target)
    venv = MUTANTS / ".venv"
    if not venv.is_symlink():
        venv.symlink_to(ROOT / ".venv")


def run_mutmut(module: str, children: int, again: bool = False, only: list[str] | None = None) -> float:
    """Run mutmut on one module; return the seconds it took.

    ``again``: keep the last run's verdicts and run only what may have changed:
    mutants never run or whose function changed (mutmut resets those itself
    when it is given no names), then the last run's survivors and timeouts by name.
    """
    # oneDNN's thread pool does not survive mutmut's fork: a worker that reaches a
    # test calling TensorFlow (a student's tf.nn.softmax, say) waited forever on it
    # and was recorded as a timeout. TensorFlow's own kernels run in the worker.
    environment = {**os.environ, "PYTHONPATH": str(MUTANTS / "src"), "TF_ENABLE_ONEDNN_OPTS": "0",
                   "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
    mutmut = [str(Path(sys.executable).with_name("mutmut")), "run", "--max-children", str(children)]
    # mutmut records which tests reach which function once, for the modules mutated
    # then, and later only looks at new tests: a module first mutated after another
    # one's run in this folder would have no tests at all ("could not find any test
    # case"). Then the record is made afresh.
    stats = MUTANTS / "mutmut-stats.json"
    if stats.is_file() and not any(name.startswith(f"{module}.") for name in
                                   json.loads(stats.read_text()).get("tests_by_mangled_function_name", {})):
        stats.unlink()
    start = time.monotonic()
    runs = [only or [f"{module}.*"]]
    if again:
        runs = [[], None]
    for names in runs:
        if names is None:  # the survivors and timeouts of what ran so far
            names = sorted(name for name, status in results(module).items()
                           if status not in KILLED or status == "timeout")
            if not names:
                break
        result = subprocess.run(mutmut + names, cwd=STAGE, env=environment, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            print(result.stdout[-20000:])
            raise SystemExit(f"mutmut failed on {module} (exit {result.returncode})")
    return time.monotonic() - start


def results(module: str) -> dict[str, str]:
    sys.path.insert(0, str(STAGE))
    from mutmut.stats import status_by_exit_code

    meta = MUTANTS / "src" / f"{module}.py.meta"
    data = json.loads(meta.read_text())
    # A worker that SIGALRM ended (exit -14) ran a mutant that left the checkers' alarm
    # armed after a check: the tests' process died ("Alarm clock"), as a kernel would.
    # mutmut calls that "suspicious".
    return {name: "killed by an alarm" if code == -14 else status_by_exit_code[code]
            for name, code in data["exit_code_by_key"].items()}


def diff(name: str) -> str:
    """The mutant's change as mutmut shows it (only the changed lines)."""
    result = subprocess.run([str(Path(sys.executable).with_name("mutmut")), "show", name],
                            cwd=STAGE, capture_output=True, text=True)
    return "\n".join(line for line in result.stdout.splitlines()
                     if line[:1] in "+-" and not line.startswith(("+++", "---")))


def load_equivalents() -> dict[str, dict]:
    if not EQUIVALENTS.is_file():
        return {}
    listed = tomllib.loads(EQUIVALENTS.read_text()).get("equivalent", [])
    for entry in listed:
        if not entry.get("reason", "").strip():
            raise SystemExit(f"{EQUIVALENTS.name}: {entry.get('mutant')} has no reason")
    return {entry["mutant"]: entry for entry in listed}


def report(module: str, equivalents: dict[str, dict], seconds: float | None) -> tuple[bool, str]:
    statuses = results(module)
    survived, equivalent, stale = [], [], []
    # Mutants a stopped run (or a run of --only) never reached: left out of the score.
    not_run = [name for name, status in statuses.items() if status == "not checked"]
    for name, status in sorted(statuses.items()):
        if status in KILLED or status == "not checked":
            continue
        if name in equivalents:
            change = diff(name)
            if equivalents[name]["change"].strip() in change:
                equivalent.append(name)
                continue
            stale.append(name)
        survived.append((name, status))
    counted = len(statuses) - len(equivalent) - len(not_run)
    killed = counted - len(survived)
    score = killed / counted if counted else 1.0
    # Before oneDNN was turned off in the workers (run_mutmut), a worker reaching a
    # TensorFlow test hung and was recorded as a timeout; results from such a run
    # still hold them, so the score without timeouts is shown too.
    timeouts = sum(1 for name, status in statuses.items() if status == "timeout" and name not in equivalent)
    strict = (killed - timeouts) / counted if counted else 1.0
    timing = f", {seconds:.0f} s" if seconds is not None else ""
    line = (f"{module}: {killed} of {counted} non-equivalent mutants killed = {score:.1%} "
            f"({len(equivalent)} equivalent, {len(survived)} left, {timeouts} of the kills by timeout: "
            f"{strict:.1%} without them{timing})")
    if not_run:
        line += f"; {len(not_run)} of the {len(statuses)} mutants not run, so this is no measurement of the module"
    print(line)
    for name, status in survived:
        print(f"  {status}: {name}" + ("  [listed as equivalent, but the mutant changed: recheck]"
                                        if name in stale else ""))
        for change in diff(name).splitlines():
            print(f"      {change}")
    return score >= TARGET and not not_run, line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    parser.add_argument("--children", type=int, default=1, help="mutmut worker processes")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the last run's results (default: start afresh)")
    parser.add_argument("--report-only", action="store_true", help="only print the last results")
    parser.add_argument("--again", action="store_true",
                        help="after a change to the tests or helpers: keep the last run's kills, run the "
                             "survivors, the timeouts and any new or changed mutant "
                             "(a full run is the measurement)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="run only these mutants of one module (names or globs such as "
                             "'lab_utils_checks.x__run_case__mutmut_*'); the others count as not run")
    parser.add_argument("--timeout-multiplier", type=float, default=None,
                        help="mutmut's wall-clock limit per mutant is (the tests' time + 1 s) times this "
                             "(mutmut's default 15); raise it on a loaded machine, where a starved "
                             "worker is otherwise killed and its mutant counted as killed")
    options = parser.parse_args()
    if options.only and len(options.modules) != 1:
        raise SystemExit("--only takes the mutants of one module: name that module")
    unknown = set(options.modules) - set(MODULES)
    if unknown:
        raise SystemExit(f"unknown module(s) {sorted(unknown)}; choose from {', '.join(MODULES)}")
    if not (options.keep or options.again or options.report_only) and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    stage(list(options.modules), options.timeout_multiplier)
    equivalents = load_equivalents()
    seconds = {}
    total = time.monotonic()
    if not options.report_only:
        for module in options.modules:
            print(f"mutating {module} ...", flush=True)
            seconds[module] = run_mutmut(module, options.children, options.again, options.only)
    print()
    passed, lines = True, []
    for module in options.modules:
        ok, line = report(module, equivalents, seconds.get(module))
        passed &= ok
        lines.append(line)
    if not options.report_only:
        print(f"\nmake mutate took {time.monotonic() - total:.0f} s in all.")
    print("\nSummary (target: at least 90% of non-equivalent mutants killed in every module):")
    print("\n".join("  " + line for line in lines))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
