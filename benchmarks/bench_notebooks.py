"""Benchmark: how long each lesson takes to run from a fresh kernel.

    python benchmarks/bench_notebooks.py [--runs 3] [notebooks ...]

Each run starts a new kernel and executes the notebook top to bottom, as
Restart Kernel and Run All does (nbclient, no browser). The baseline is a
one-cell notebook that only imports TensorFlow and Keras: the part of every
model lesson that no lesson can make faster. Machines differ several-fold,
and a shared machine differs from one minute to the next, so the ratio to
that baseline is the number that carries over, and each notebook is timed
right after a baseline of its own: its ratio is the median over the runs of
those paired ratios, which a burst of load on the machine moves less than a
ratio of two medians taken minutes apart. A second column gives the same
ratio for the CPU time the kernel used, which waiting does not inflate. The
15 s budget holds on a machine where ``15 / ratio`` seconds is at least the
baseline.

A second reference, the one-fit floor, is the least that lessons 03 and 04
must do: the same imports, the data, and one 10-epoch training of the course
model (batches of 32, Adam 0.001, its variables built before fit as the
lessons do), and nothing else. Neither lesson can be
faster than it; the report says how far beyond it each one is.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import subprocess
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUDGET_SECONDS = 15.0
#: Every lesson should take at most this many times the baseline (issue 22).
LIMIT_RATIO = 2.0


def baseline_notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import keras\nimport tensorflow as tf")]
    return notebook


def one_fit_floor_notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import keras\nimport tensorflow as tf\n"
            "from lab_utils_common import make_reproducible\n"
            "from lab_utils_multiclass import build_four_class_model, make_blobs_dataset"
        ),
        nbformat.v4.new_code_cell(
            "make_reproducible(0)\n"
            "X_train, y_train = make_blobs_dataset()\n"
            "model = build_four_class_model('linear')\n"
            "model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
            "              optimizer=keras.optimizers.Adam(learning_rate=0.001))\n"
            "model.optimizer.build(model.trainable_variables)  # as 03 and 04 do\n"
            "model.fit(X_train, y_train, epochs=10, verbose=0)"
        ),
    ]
    return notebook


def seconds_to_run(notebook: nbformat.NotebookNode) -> tuple[float, float]:
    """Wall time from starting a kernel to the last cell's reply (shut-down excluded),
    and the CPU seconds the kernel process used by then (its start-up included)."""
    notebook = copy.deepcopy(notebook)
    timed = len(notebook.cells)
    notebook.cells.append(nbformat.v4.new_code_cell(CPU_PROBE))
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    # The kernel's own stderr (TensorFlow's C++ lines) is not part of the report.
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        for index, cell in enumerate(notebook.cells[:timed]):
            client.execute_cell(cell, index)
        elapsed = time.perf_counter() - start
        probe = client.execute_cell(notebook.cells[timed], timed)
    cpu = float("".join(output.get("text", "") for output in probe.outputs).split()[-1])
    return elapsed, cpu


#: Run in the kernel after the timed cells: the CPU seconds its process has used.
CPU_PROBE = ("import resource as _resource\n"
             "_usage = _resource.getrusage(_resource.RUSAGE_SELF)\n"
             "print(_usage.ru_utime + _usage.ru_stime)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each notebook (default 3)")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to time (default: every lesson)")
    options = parser.parse_args()
    paths = options.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    notebooks = {path.name: nbformat.read(path, as_version=4) for path in paths}
    notebooks["one-fit floor (reference)"] = one_fit_floor_notebook()

    load_before = os.getloadavg()
    seconds: dict[str, list[float]] = {name: [] for name in [*notebooks, "baseline"]}
    wall_ratios: dict[str, list[float]] = {name: [] for name in notebooks}
    cpu_ratios: dict[str, list[float]] = {name: [] for name in notebooks}
    for run in range(1, options.runs + 1):
        for name, notebook in notebooks.items():
            base_wall, base_cpu = seconds_to_run(baseline_notebook())
            wall, cpu = seconds_to_run(notebook)
            seconds["baseline"].append(base_wall)
            seconds[name].append(wall)
            wall_ratios[name].append(wall / base_wall)
            cpu_ratios[name].append(cpu / base_cpu)
        print(f"run {run} of {options.runs} done", flush=True)
    load_after = os.getloadavg()

    baseline = statistics.median(seconds["baseline"])
    print(f"\nA fresh kernel, then every cell; median of {options.runs} runs, each notebook right after "
          "a baseline of its own.")
    print(f"Load average (1, 5, 15 min) before: {', '.join(f'{v:.2f}' for v in load_before)}; "
          f"after: {', '.join(f'{v:.2f}' for v in load_after)}")
    print(f"Baseline (new kernel, import keras and tensorflow): {baseline:.1f} s "
          f"(range {min(seconds['baseline']):.1f}-{max(seconds['baseline']):.1f} s)\n")
    print(f"{'notebook':34} {'median':>8} {'range':>13} {'x baseline':>11} {'CPU x':>6}  "
          f"within {BUDGET_SECONDS:.0f} s where the baseline is at most")
    for name in notebooks:
        median = statistics.median(seconds[name])
        ratio = statistics.median(wall_ratios[name])
        print(f"{name:34} {median:6.1f} s {min(seconds[name]):5.1f}-{max(seconds[name]):4.1f} s {ratio:10.2f}x "
              f"{statistics.median(cpu_ratios[name]):5.2f}x  {BUDGET_SECONDS / ratio:5.1f} s"
              f"{'' if median <= BUDGET_SECONDS else f'  (over {BUDGET_SECONDS:.0f} s here)'}")
    print()
    floor = statistics.median(seconds["one-fit floor (reference)"])
    for path in paths:
        if path.name[:2] in ("03", "04"):
            beyond = statistics.median(seconds[path.name]) - floor
            print(f"{path.name}: {beyond:.1f} s beyond the one-fit floor (everything else the lesson shows)")
    over = [path.name for path in paths if statistics.median(wall_ratios[path.name]) > LIMIT_RATIO]
    print(f"\nEvery lesson at most {LIMIT_RATIO:.1f}x the baseline: "
          + ("yes" if not over else "no, over: " + ", ".join(over)))


if __name__ == "__main__":
    main()
