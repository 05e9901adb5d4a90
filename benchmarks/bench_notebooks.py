"""Benchmark: how long each lesson takes to run from a fresh kernel.

    python benchmarks/bench_notebooks.py [--runs 3] [notebooks ...]

Each run starts a new kernel and executes the notebook top to bottom, as
Restart Kernel and Run All does (nbclient, no browser). The baseline, run in
the same session and interleaved with the lessons, is a one-cell notebook
that only imports TensorFlow and Keras: the part of every model lesson that
no lesson can make faster. Machines differ several-fold (and a shared
machine differs from one minute to the next), so the ratio to that baseline
is the number that carries over; the 15 s budget holds on a machine where
``15 / ratio`` seconds is at least the baseline.

A second reference, the one-fit floor, is the least that lessons 03 and 04
must do: the same imports, the data, and one 10-epoch training of the course
model (batches of 32, Adam 0.001), and nothing else. Neither lesson can be
faster than it; the report says how far beyond it each one is.
"""

from __future__ import annotations

import argparse
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
            "model.fit(X_train, y_train, epochs=10, verbose=0)"
        ),
    ]
    return notebook


def seconds_to_run(notebook: nbformat.NotebookNode) -> float:
    """Wall time from starting a kernel to the last cell's reply (shut-down excluded)."""
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    # The kernel's own stderr (TensorFlow's C++ lines) is not part of the report.
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        elapsed = time.perf_counter() - start
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each notebook (default 3)")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to time (default: every lesson)")
    options = parser.parse_args()
    paths = options.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))

    times: dict[str, list[float]] = {"baseline": [], "floor": []}
    for path in paths:
        times[path.name] = []
    for run in range(1, options.runs + 1):
        times["baseline"].append(seconds_to_run(baseline_notebook()))
        times["floor"].append(seconds_to_run(one_fit_floor_notebook()))
        for path in paths:
            times[path.name].append(seconds_to_run(nbformat.read(path, as_version=4)))
        print(f"run {run} of {options.runs} done", flush=True)

    baseline = statistics.median(times["baseline"])
    floor = statistics.median(times["floor"])
    print(f"\nA fresh kernel, then every cell; median of {options.runs} runs, interleaved.")
    print(f"Baseline (new kernel, import keras and tensorflow): {baseline:.1f} s "
          f"(range {min(times['baseline']):.1f}-{max(times['baseline']):.1f} s)\n")
    print(f"{'notebook':34} {'median':>8} {'range':>13} {'x baseline':>11}  "
          f"within {BUDGET_SECONDS:.0f} s where the baseline is at most")
    rows = [(path.name, times[path.name]) for path in paths]
    rows.append(("one-fit floor (reference)", times["floor"]))
    for name, runs in rows:
        median = statistics.median(runs)
        print(f"{name:34} {median:6.1f} s {min(runs):5.1f}-{max(runs):4.1f} s {median / baseline:10.2f}x  "
              f"{BUDGET_SECONDS * baseline / median:5.1f} s"
              f"{'' if median <= BUDGET_SECONDS else f'  (over {BUDGET_SECONDS:.0f} s here)'}")
    print()
    for path in paths:
        if path.name[:2] in ("03", "04"):
            beyond = statistics.median(times[path.name]) - floor
            print(f"{path.name}: {beyond:.1f} s beyond the one-fit floor (everything else the lesson shows)")
    over = [path.name for path in paths if statistics.median(times[path.name]) > LIMIT_RATIO * baseline]
    print(f"\nEvery lesson at most {LIMIT_RATIO:.1f}x the baseline: "
          + ("yes" if not over else "no, over: " + ", ".join(over)))


if __name__ == "__main__":
    main()
