"""Generate the parts of every lesson that must never be typed by hand.

    python tools/notebook_structure.py          # rewrite what drifted
    python tools/notebook_structure.py --check  # exit 1 and name what drifted

- Navigation: the first and last cell of every notebook are
  ``< Previous | Contents | Next >`` links, built from the numbered file names
  and each notebook's ``# Title``; the last one also tells a student who is done
  how to give back the memory the lesson's kernel holds.
- Contents: ``00_start_here.ipynb`` holds a list of every lesson, in order,
  in the cell marked ``"softmax_lab": {"generated": "contents"}``.
- Kernel guard: the first code cell of every lesson after 00 opens with
  ``KERNEL_GUARD``, which stops a kernel from another Python with one sentence
  naming the fix (the rest of the cell is the lesson's own imports).
- Kernel: every notebook's kernelspec is ``KERNELSPEC``.
- Slides: every cell gets Reveal.js slide metadata (make present, make slides),
  from the rules in ``tools/slide_rules.py``.

Generated cells carry ``"softmax_lab": {"generated": ...}`` in their metadata,
so this script finds and replaces them on every run.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import slide_rules  # noqa: E402  (tools/ is not a package)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
START_HERE = "00_start_here.ipynb"
LESSON_NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
#: The kernel every notebook runs in (tools/execute_notebooks.py and nbval use it too).
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
#: The opening lines of every lesson's first code cell, after 00.
KERNEL_GUARD = """\
# Any Python but the suite's own stops here, with the fix.
try:
    import ipympl, lab_utils_common  # noqa: E401, F401
except ModuleNotFoundError as missing:
    raise SystemExit(f"This kernel is not the suite's Python (it has no {missing.name}). "
                     "Fix: quit this Jupyter, then run `make lab` in the repository folder.") from None
"""
_GUARD_END = ") from None\n"


def lessons(folder: Path = NOTEBOOKS) -> list[Path]:
    """The numbered lesson notebooks, in order."""
    return sorted(p for p in folder.glob("*.ipynb") if LESSON_NAME.match(p.name))


def generated_kind(cell) -> str | None:
    return cell.get("metadata", {}).get("softmax_lab", {}).get("generated")


def title_of(notebook) -> str:
    """The text of the notebook's only level-1 heading."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and not generated_kind(cell):
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def nav_markdown(index: int, paths: list[Path], titles: list[str]) -> str:
    parts = []
    if index > 0:
        parts.append(f"[< {titles[index - 1]}]({paths[index - 1].name})")
    parts.append(f"[Contents]({START_HERE}#Contents)")
    if index + 1 < len(paths):
        parts.append(f"[{titles[index + 1]} >]({paths[index + 1].name})")
    return " | ".join(parts)


# Under the bottom links: every open lesson keeps a kernel, and its memory, until
# the kernel stops (measured in docs/classroom.md).
FINISHED_NOTE = (
    "**Done with this lesson?** Choose *Kernel → Shut Down Kernel* to give back the memory "
    "its kernel holds: a lesson that imports TensorFlow keeps several hundred MB until then. "
    "On the class hub, closing the lesson's tab does the same."
)


def contents_markdown(paths: list[Path], titles: list[str]) -> str:
    lines = ["## Contents", ""]
    for number, (path, title) in enumerate(zip(paths, titles)):
        lines.append(f"{number}. [{title}]({path.name})")
    return "\n".join(lines)


def generated_cell(kind: str, source: str):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = kind
    cell.metadata = {"softmax_lab": {"generated": kind}, "slideshow": {"slide_type": "skip"}}
    return cell


def with_kernel_guard(source: str) -> str:
    """A first code cell's source, opening with KERNEL_GUARD (an older guard replaced)."""
    if source.startswith("# Any Python but the suite's own") and _GUARD_END in source:
        source = source[source.index(_GUARD_END) + len(_GUARD_END):]
    return KERNEL_GUARD + source


def restructure(notebook, index: int, paths: list[Path], titles: list[str]):
    """Return the notebook with its generated parts rebuilt (in place)."""
    nav = nav_markdown(index, paths, titles)
    body = [c for c in notebook.cells if generated_kind(c) not in ("nav-top", "nav-bottom")]
    for position, cell in enumerate(body):
        if generated_kind(cell) == "contents":
            body[position] = generated_cell("contents", contents_markdown(paths, titles))
    notebook.cells = [generated_cell("nav-top", nav), *body,
                      generated_cell("nav-bottom", f"{nav}\n\n{FINISHED_NOTE}")]
    if index > 0:
        first_code = next((c for c in notebook.cells if c.cell_type == "code"), None)
        if first_code is not None:
            first_code.source = with_kernel_guard(first_code.source)
    slide_rules.apply(notebook)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 on drift")
    args = parser.parse_args(argv)
    paths = lessons()
    books = [nbformat.read(path, as_version=4) for path in paths]
    titles = [title_of(book) or path.stem for path, book in zip(paths, books)]
    drifted = []
    for index, (path, book) in enumerate(zip(paths, books)):
        before = nbformat.writes(book)
        after = nbformat.writes(restructure(book, index, paths, titles))
        if before != after:
            drifted.append(path.name)
            if not args.check:
                path.write_text(after)
    if args.check and drifted:
        print("Generated parts are out of date in: " + ", ".join(drifted)
              + "\nRun `python tools/notebook_structure.py` (or `make execute`).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
