"""Re-run notebooks top to bottom and store their outputs in place.

This is the one supported way to refresh the stored outputs that nbval
compares against (``make execute`` runs it on every notebook).

    python tools/execute_notebooks.py                 # every notebook
    python tools/execute_notebooks.py notebooks/01_softmax_function.ipynb

Before executing, the generated parts of each notebook (navigation links,
the contents list in 00, slide metadata) are refreshed, so they never drift;
after, once more, since where a slide is full depends on the new outputs.
Each notebook runs in a fresh kernel (``notebook_structure.KERNELSPEC``) from this environment, with
``notebooks/`` as the working directory, exactly as nbval runs it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import notebook_structure  # noqa: E402  (tools/ is not a package)
from lab_utils_display import keep_saved_pictures  # noqa: E402


def execute(path: Path, timeout: int = 300) -> float:
    """Execute one notebook in place; return the wall-clock seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata["kernelspec"] = dict(notebook_structure.KERNELSPEC)
    client = NotebookClient(
        notebook,
        kernel_name=notebook_structure.KERNELSPEC["name"],
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    # Each live figure keeps its last frame as its saved picture, and the notebook
    # no widget state, which would mark it modified when it opens (lab_utils_display).
    keep_saved_pictures(notebook, live_views=True)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all)")
    args = parser.parse_args(argv)
    notebook_structure.main([])  # refresh links, contents and slide metadata first
    paths = args.paths or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        seconds = execute(path.resolve())
        print(f"{path.name}: executed in {seconds:.1f} s")
    notebook_structure.main([])  # slide metadata depends on the outputs' sizes: from the new ones
    return 0


if __name__ == "__main__":
    sys.exit(main())
