"""The lessons' website, built offline from the stored outputs: `make site`.

    python site/build_site.py                  # build/site/index.html (open it from file://)
    python site/build_site.py -D softmax_hub.hub_url=https://hub.example.edu

Nothing is executed and nothing is fetched. The build copies what the site
shows into build/site-src/, as students receive it:

- the lessons, with every cell tagged ``worked-solution`` left out (so 07
  shows its exercises with their placeholders and no answer), and each
  explorer replaced by the picture saved with it and its alt text (the
  sliders need a kernel, so a static page shows the saved state);
- the guides (docs/*.md and CONTRIBUTING.md) and the home page (site/index.md),
  which shows the README's table of lessons.

Then Sphinx with MyST-NB (site/conf.py) writes build/site/, with MathJax
copied in from site/node_modules/ (npm, site/package-lock.json). Warnings are
errors, so a broken cross-reference stops the build.
Extra arguments go to sphinx-build (``-D name=value`` sets a site/conf.py value).
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
NODE_MODULES = SITE / "node_modules"
NOTEBOOKS = ROOT / "notebooks"
DOCS = ROOT / "docs"
BUILD = ROOT / "build"
SOURCE = BUILD / "site-src"
VENDOR = BUILD / "site-vendor"  # site/conf.py adds it to html_static_path
DOCTREES = BUILD / "site-doctrees"
OUT = BUILD / "site"

WORKED_SOLUTION_TAG = "worked-solution"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: The MathJax files the pages load (TeX in, HTML-CSS out), and their fonts.
MATHJAX = ["tex-chtml.js", "output/chtml/fonts/woff-v2"]
#: Under each explorer's saved picture.
LIVE_NOTE = ('<p class="softmax-live-note">A picture saved with the lesson. The sliders '
             "are live when you run the lesson: <em>Run it on your hub</em> at the top "
             "of the page, or <code>make lab</code> on your computer.</p>")
#: A link to a heading of a lesson, as JupyterLab writes it: 00_start_here.ipynb#Contents.
NOTEBOOK_ANCHOR = re.compile(r"\]\((?P<file>[0-9]{2}_[\w-]+\.ipynb)?#(?P<anchor>[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.M)


class SiteError(Exception):
    """Something the site cannot be built from, in one sentence."""


def github_slug(title: str) -> str:
    """The anchor MyST gives a heading (site/conf.py sets the GitHub style)."""
    from myst_parser.slugs import github_slugify

    return github_slugify(title)


def jupyterlab_anchor(title: str) -> str:
    """The anchor JupyterLab gives a heading: its text, spaces turned into hyphens."""
    return title.replace(" ", "-")


def headings(notebook: dict) -> list[str]:
    return [match.group(1) for cell in notebook["cells"] if cell["cell_type"] == "markdown"
            for match in HEADING.finditer(cell["source"])]


def read_notebook(path: Path) -> dict:
    """A notebook as a dict, each cell's source and each text output joined into one string.

    (json rather than nbformat: MyST-NB validates it later, and importing nbformat
    took seconds on a loaded machine.)
    """
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        cell["source"] = joined(cell.get("source", ""))
        for output in cell.get("outputs", []):
            for mime, value in output.get("data", {}).items():
                output["data"][mime] = joined(value)
    return notebook


def joined(value):
    return "".join(value) if isinstance(value, list) else value


def student_version(notebook: dict, lessons: dict[str, dict], name: str) -> dict:
    """The lesson as the site shows it (a copy; the argument is left alone).

    lessons maps each lesson's file name to its notebook, to turn JupyterLab's
    anchors (``#Contents``) into the site's (``#contents``).
    """
    notebook = copy.deepcopy(notebook)
    notebook["cells"] = [cell for cell in notebook["cells"]
                         if WORKED_SOLUTION_TAG not in cell.get("metadata", {}).get("tags", [])]
    # The widget state is only needed to draw live widgets, which a static page cannot run.
    notebook.get("metadata", {}).pop("widgets", None)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = NOTEBOOK_ANCHOR.sub(
                lambda match: site_anchor(match, lessons, name), cell["source"])
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                picture = data.get("text/html", "")
                if not re.search(r'<img\b[^>]*\balt="[^"]+"', picture):
                    raise SiteError(f"{name}: an explorer output has no saved picture with alt text "
                                    f"(text/html); run `make execute NB=notebooks/{name}` to store one.")
                del data[WIDGET_VIEW]
                data["text/html"] = picture + LIVE_NOTE
    return notebook


def site_anchor(match: re.Match, lessons: dict[str, dict], name: str) -> str:
    target = match.group("file") or name
    if target not in lessons:
        raise SiteError(f"{name} links to {target}, which is not a lesson in notebooks/.")
    anchor = match.group("anchor")
    for title in headings(lessons[target]):
        if anchor in (jupyterlab_anchor(title), github_slug(title)):
            return f"]({match.group('file') or ''}#{github_slug(title)})"
    raise SiteError(f"{name} links to {target}#{anchor}, but {target} has no heading with that anchor.")


def stage() -> list[Path]:
    """Lay out build/site-src/ as the site shows it; returns the files written there."""
    lessons = {path.name: read_notebook(path) for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}
    if not lessons:
        raise SiteError(f"No lessons (NN_*.ipynb) in {NOTEBOOKS}.")
    wanted: dict[Path, bytes] = {}
    for name, notebook in lessons.items():
        shown = student_version(notebook, lessons, name)
        wanted[SOURCE / "notebooks" / name] = (json.dumps(shown, indent=1, ensure_ascii=False) + "\n").encode()
    for path in sorted(DOCS.iterdir()):
        if path.is_file() and path.suffix in {".md", ".png", ".svg", ".jpg"}:
            wanted[SOURCE / "docs" / path.name] = path.read_bytes()
    wanted[SOURCE / "CONTRIBUTING.md"] = (ROOT / "CONTRIBUTING.md").read_bytes()
    wanted[SOURCE / "README.md"] = (ROOT / "README.md").read_bytes()  # its lessons table, on the home page
    wanted[SOURCE / "index.md"] = (SITE / "index.md").read_bytes()
    shutil.rmtree(SOURCE, ignore_errors=True)
    for path, content in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return sorted(wanted)


def vendor() -> None:
    """Copy the MathJax files the pages load into build/site-vendor/mathjax/."""
    source = NODE_MODULES / "mathjax" / "es5"
    if not (NODE_MODULES / "mathjax" / "package.json").exists():
        raise SiteError(f"MathJax is not in {NODE_MODULES}: run `make site`, which runs "
                        "`npm ci --prefix site` (the npm registry is needed once).")
    for part in MATHJAX:
        origin, copied = source / part, VENDOR / "mathjax" / part
        copied.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, copied, dirs_exist_ok=True)
        elif not copied.exists() or copied.read_bytes() != origin.read_bytes():
            shutil.copy2(origin, copied)


def build(sphinx_args: list[str] | None = None, quiet: bool = False) -> Path:
    """Stage, then run Sphinx from nothing; returns build/site/index.html.

    Always a whole build (about 5 CPU-seconds): Sphinx's incremental build keeps
    the page of a removed guide, and the "Next" link to it on its neighbour.
    """
    stage()
    vendor()
    for previous in (OUT, DOCTREES):
        shutil.rmtree(previous, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(SITE), "-d", str(DOCTREES),
               "-W", "--keep-going", "-q", *(sphinx_args or []), str(SOURCE), str(OUT)]
    result = subprocess.run(command, cwd=ROOT, capture_output=quiet, text=True)
    if result.returncode:
        details = (result.stdout + result.stderr) if quiet else ""
        raise SiteError(f"sphinx-build stopped (exit {result.returncode}); its messages are above.{details}")
    prune(OUT / "_static")
    return OUT / "index.html"


def prune(static: Path) -> None:
    """Remove what the theme copies into _static/ but no page loads: the Jinja macros it was
    built with, its translation catalogues (used while building) and its source maps (read
    only by a browser's developer tools). A third of the site's bytes."""
    for path in [*static.glob("*webpack-macros.html"), *static.rglob("*.map")]:
        path.unlink()
    shutil.rmtree(static / "locales", ignore_errors=True)


def size_of(folder: Path) -> tuple[int, int]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files)


def main(argv: list[str] | None = None) -> None:
    start = time.monotonic()
    try:
        index = build(sys.argv[1:] if argv is None else argv)
    except SiteError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    count, total = size_of(OUT)
    print(f"The site is in {OUT}/ ({count} files, {total / 1e6:.1f} MB, built in "
          f"{time.monotonic() - start:.0f} s). Open {index.as_uri()} (works with no network).")


if __name__ == "__main__":
    main()
