"""Give a student a fresh copy of a lesson without losing their own edits.

    python tools/fresh_copy.py 01        (or: make fresh-copy NB=01)

The student's current notebook is first copied aside to
``notebooks/my_copies/<name>-<date>-<time>.ipynb`` (an existing copy is never
overwritten), then the lesson is restored from the repository's last commit.
Nothing is touched if the last commit's version cannot be read (no git history)
or the copy aside could not be made.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ASIDE = NOTEBOOKS / "my_copies"


def find_lesson(number: str) -> Path:
    matches = sorted(NOTEBOOKS.glob(f"{int(number):02d}_*.ipynb"))
    if len(matches) != 1:
        raise SystemExit(f"No lesson numbered {number!r}: choose one of "
                         + ", ".join(p.name[:2] for p in sorted(NOTEBOOKS.glob('[0-9][0-9]_*.ipynb'))))
    return matches[0]


def copy_aside(lesson: Path, now: datetime | None = None) -> Path:
    """Copy the student's notebook into my_copies/ under a name not yet taken."""
    ASIDE.mkdir(exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y-%m-%d-%H%M%S")
    target = ASIDE / f"{lesson.stem}-{stamp}.ipynb"
    suffix = 1
    while target.exists():
        suffix += 1
        target = ASIDE / f"{lesson.stem}-{stamp}-{suffix}.ipynb"
    shutil.copy2(lesson, target)
    return target


def original_of(lesson: Path) -> bytes:
    """The lesson as of the repository's last commit, or SystemExit saying why not."""
    relative = lesson.relative_to(ROOT).as_posix()
    try:
        return subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=ROOT,
                              capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        raise SystemExit(
            f"No fresh copy of {relative}: it comes from the repository's git history, and "
            "here there is none (no git, or a folder downloaded as a ZIP). Nothing was changed. "
            "Clone the repository with git, or download the lesson again.") from None


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("Usage: make fresh-copy NB=01   (the lesson's number)")
        return 2
    lesson = find_lesson(argv[0])
    original = original_of(lesson)  # before anything is touched
    saved = copy_aside(lesson)
    lesson.write_bytes(original)
    print(f"Your copy is saved as {os.path.relpath(saved, ROOT)}; "
          f"{os.path.relpath(lesson, ROOT)} is the original again.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
