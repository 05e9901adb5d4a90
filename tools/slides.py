"""Slides from the lessons: live with Voilà (`make present`), offline decks (`make slides`).

    python tools/slides.py present 01     # live slideshow of lesson 01, prints one URL
    python tools/slides.py present --all  # every lesson from one server (one URL per lesson)
    python tools/slides.py decks          # build/slides/NN_*.slides.html, work from file://

Both use the front-end files that `npm ci` put in slides/node_modules/ from
slides/package-lock.json, and the same stylesheet and start-up script
(slides/softmax-slides.css, .js); nothing is fetched while presenting or reading
a deck. Which cells appear, with or without their code, and where a slide
starts is written into each lesson's slide metadata by tools/slide_rules.py.

Both run the lessons with SOFTMAX_LAB_PRESENTER=1, so `use_style()` draws their
figures at presenter sizes (lab_utils_common.presenter_mode) with nobody calling it.
A deck of a lesson with text outputs only (no figure to draw bigger) shows the
outputs the lesson stores, without running it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLIDES = ROOT / "slides"
NODE_MODULES = SLIDES / "node_modules"
TEMPLATES = SLIDES / "jupyter"  # added to JUPYTER_PATH: voila/ and nbconvert/ templates
TEMPLATE = "softmax_slides"     # the same name in both, so Voilà finds softmax_cells.j2 too
NOTEBOOKS = ROOT / "notebooks"
DECKS = ROOT / "build" / "slides"
#: The stylesheet and script both modes load (copied into a deck's vendor/softmax/).
SHARED = ["softmax-slides.css", "softmax-slides.js"]
#: Read by lab_utils_common.use_style(): draw figures at presenter sizes.
PRESENTER_ENV = {"SOFTMAX_LAB_PRESENTER": "1"}
#: Seconds `make present` waits for its server to answer before giving up.
SERVER_START_TIMEOUT = 120

# What the decks load, copied next to them: (npm package, files or folders inside it).
VENDORED = {
    "reveal.js": ["dist", "plugin/notes"],
    "mathjax": ["MathJax.js", "config", "extensions", "jax", "fonts/HTML-CSS/TeX/woff", "localization"],
    "requirejs": ["require.js"],
    "jquery": ["dist/jquery.min.js"],
    "@jupyter-widgets/html-manager": ["dist"],
    "jupyter-matplotlib": ["dist"],
}


def fail(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(1)


def check_node_modules() -> None:
    missing = [name for name in [*VENDORED, "@fortawesome/fontawesome-free"]
               if not (NODE_MODULES / name / "package.json").exists()]
    if missing:
        fail(f"{', '.join(missing)} not in {NODE_MODULES}: run `make slides` or "
             "`npm ci --prefix slides` (needs the npm registry once).")


def lesson(number: str) -> Path:
    if not number:
        fail("Say which lesson: make present NB=01")
    found = sorted(NOTEBOOKS.glob(f"{int(number):02d}_*.ipynb")) if number.isdigit() else []
    if not found:
        fail(f"No lesson numbered {number!r} in notebooks/ (try NB=01).")
    return found[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- make present (Voilà)
def voila_command(target: Path, port: int, token: str) -> list[str]:
    """Voilà on 127.0.0.1 with a token, serving only the vendored front end besides the lessons.

    ``target`` is one lesson, or the notebooks/ folder for every lesson at
    /voila/render/notebooks/NN_x.ipynb. The source of every code cell reaches
    the template (strip_sources off): softmax_cells.j2 decides which code a slide
    shows, exactly as in the decks.
    """
    node = NODE_MODULES.relative_to(ROOT).as_posix()
    files = "/voila/files/"
    resources = {
        "reveal": {"url_prefix": f"{files}{node}/reveal.js", "theme": "white"},
        "fontawesome_url": f"{files}{node}/@fortawesome/fontawesome-free",
        "softmax_url": f"{files}{SLIDES.relative_to(ROOT).as_posix()}",
    }
    allowlist = [rf"{node}/reveal\.js/dist/.*\.(css|js|woff2?|ttf|eot)",
                 rf"{node}/reveal\.js/plugin/notes/notes\.js",
                 rf"{node}/@fortawesome/fontawesome-free/(css|webfonts)/.*",
                 r"slides/softmax-slides\.(css|js)"]
    # One lesson is Voilà's argument; for a folder, root_dir (the repository) is served,
    # so the lessons are at /voila/render/notebooks/... and slides/ stays reachable.
    lesson_argument = [] if target.is_dir() else [str(target.relative_to(ROOT))]
    return [
        sys.executable, "-m", "voila", *lesson_argument,
        f"--template={TEMPLATE}", "--no-browser",
        "--Voila.ip=127.0.0.1", f"--Voila.port={port}", "--Voila.port_retries=0",
        f"--Voila.token={token}", f"--Voila.root_dir={ROOT}",
        # slides/voila.py: the prelaunch hook below.
        f"--Voila.config_file_paths={[str(SLIDES)]!r}",
        "--VoilaConfiguration.strip_sources=False",
        f"--VoilaConfiguration.resources={resources!r}",
        f"--VoilaConfiguration.file_allowlist={allowlist!r}",
    ]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(TEMPLATES), env.get("JUPYTER_PATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(PRESENTER_ENV)
    return env


#: The code a scripted scenario's cell runs in `make present`: a button that runs it.
STEP_BUTTON = '''\
# make present: this scripted scenario runs when the presenter presses the button.
def _softmax_slides_step(source):
    import ipywidgets
    from IPython import get_ipython
    from IPython.display import display
    output = ipywidgets.Output()
    button = ipywidgets.Button(description="Run this step", icon="play", button_style="primary")
    button.add_class("softmax-step-button")
    def run(_):
        output.clear_output()
        with output:
            get_ipython().run_cell(source)
    button.on_click(run)
    display(ipywidgets.VBox([button, output]))
_softmax_slides_step({source!r})
del _softmax_slides_step
'''


def step_source(source: str) -> str:
    """A scripted scenario's cell as `make present` runs it: a button that runs ``source``."""
    return STEP_BUTTON.format(source=source)


def prelaunch(handler, notebook, cwd):
    """Voilà's prelaunch hook (slides/voila.py installs it): called before each page's kernel starts.

    - Sets Jupyter's ``_xsrf`` cookie on the page. Voilà 0.5.13 never does, so the
      shutdown request its page sends when the tab closes or reloads is refused
      (403 "'_xsrf' argument missing") and every reload leaks a kernel
      (voila-dashboards/voila#1458). Its widget manager already sends the
      cookie's value with that request; with the cookie set, the kernel stops.
      When upgrading Voilà: if reloading 5 times leaves one kernel without
      this line (tests/e2e/test_slides_live.py), delete it.
    - Turns each scripted scenario (a step) into a button that runs it, so the
      explorer it drives starts where its slide says and moves when the
      presenter takes the step.
    """
    handler.xsrf_token  # noqa: B018 - reading it sets the cookie (voila-dashboards/voila#1458)
    for cell in notebook.cells:
        settings = cell.metadata.get("softmax_slides", {})
        if cell.cell_type == "code" and settings.get("step"):
            settings["shown_source"] = cell.source  # what the slide shows (softmax_cells.j2)
            cell.source = step_source(cell.source)
    return notebook


def wait_until_answering(port: int, token: str, process: subprocess.Popen, log_path: Path) -> None:
    """Return once the server answers an authenticated request; fail if it stops or never does."""
    # A file the slides load, asked for with the token: the answer proves the server,
    # its login and its file serving all work (the lesson's page would start a kernel).
    request = urllib.request.Request(f"http://127.0.0.1:{port}/voila/files/slides/{SHARED[0]}",
                                     headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"Voilà stopped with exit code {process.returncode} before it answered; "
                 f"its log is {log_path}.")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read()
            return
        except OSError:
            time.sleep(0.2)
    process.terminate()
    fail(f"Voilà did not answer within {SERVER_START_TIMEOUT} s; its log is {log_path}.")


def addresses(target: Path, port: int, token: str) -> list[tuple[str, str]]:
    """(lesson file, URL) for each lesson the server presents."""
    base = f"http://127.0.0.1:{port}"
    if target.is_dir():
        return [(path.name, f"{base}/voila/render/{path.relative_to(ROOT).as_posix()}?token={token}")
                for path in sorted(target.glob("[0-9][0-9]_*.ipynb"))]
    return [(target.name, f"{base}/?token={token}")]


def present(number: str, port: int | None, every_lesson: bool = False) -> None:
    check_node_modules()
    target = NOTEBOOKS if every_lesson else lesson(number)
    port = port or free_port()
    token = secrets.token_urlsafe(24)
    # Voilà's own log would print a second, tokenless address; it goes to a file.
    log_path = ROOT / "build" / "present.log"
    log_path.parent.mkdir(exist_ok=True)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl+C, even if a shell ignored it
    with open(log_path, "w") as log:
        # A session of its own: Ctrl+C reaches only this script, which stops
        # Voilà with SIGTERM (Jupyter would ask "Shutdown this server? (y/[n])"
        # on a terminal it does not print to).
        process = subprocess.Popen(voila_command(target, port, token), cwd=ROOT, env=environment(),
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_answering(port, token, process, log_path)
            shown = addresses(target, port, token)
            if every_lesson:
                print("Presenting every lesson. Open one of these addresses in a browser on this "
                      "computer (Ctrl+C stops the slideshow and its kernels):\n")
                for name, url in shown:
                    print(f"    {name}: {url}")
                print(flush=True)
            else:
                print(f"Presenting {target.name}. Open this address in a browser on this computer "
                      f"(Ctrl+C stops the slideshow and its kernel):\n\n    {shown[0][1]}\n", flush=True)
            code = process.wait()
        except KeyboardInterrupt:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            print("Slideshow stopped.")
            return
        finally:
            if process.poll() is None:  # fail() while waiting: leave nothing running
                process.kill()
    if code:
        fail(f"Voilà stopped with exit code {code}; its log is {log_path}.")


# ---------------------------------------------------------------- make slides (decks)
def vendor(target: Path) -> None:
    """Copy the files the decks load from slides/node_modules/ and slides/ into target/."""
    if target.exists():
        shutil.rmtree(target)
    for package, parts in VENDORED.items():
        for part in parts:
            source = NODE_MODULES / package / part
            destination = target / package / part
            destination.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, destination)
            else:
                shutil.copy2(source, destination)
    (target / "softmax").mkdir()
    for name in SHARED:
        shutil.copy2(SLIDES / name, target / "softmax" / name)


def executed(path: Path) -> str:
    """The lesson at ``path`` run top to bottom with presenter sizes, as notebook JSON.

    Its figures are drawn for the slides; the committed notebook is not touched.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name=notebook.metadata["kernelspec"]["name"],
                            timeout=600, resources={"metadata": {"path": str(path.parent)}},
                            store_widget_state=True, record_timing=False)
    client.execute(env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **PRESENTER_ENV})
    return nbformat.writes(notebook)


#: Outputs drawn at presenter sizes: a picture (PNG, or an <img> a figure helper wrote) or a live figure.
DRAWN = ("image/png", "application/vnd.jupyter.widget-view+json")


def draws_figures(notebook: dict) -> bool:
    """Whether a lesson's stored outputs hold a figure, which a slideshow draws at presenter sizes.

    SOFTMAX_LAB_PRESENTER changes matplotlib's sizes and nothing a lesson prints,
    so a lesson with text outputs only shows in a deck what it stores (strict
    nbval holds those outputs to the code).
    """
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            html = data.get("text/html", "")
            if any(kind in data for kind in DRAWN) or "<img" in ("".join(html) if isinstance(html, list) else html):
                return True
    return False


def presented(path: Path) -> str:
    """The lesson as its deck shows it: run at presenter sizes if it draws figures, else as stored."""
    import json

    text = path.read_text(encoding="utf-8")
    return executed(path) if draws_figures(json.loads(text)) else text


def decks(notebooks: list[Path], out: Path = DECKS, jobs: int | None = None) -> list[Path]:
    """Write one deck per notebook into out/, with the files they load in out/vendor/.

    Each lesson that draws figures is executed first (``jobs`` at a time, default
    one per core, at most two), so the deck shows them at presenter sizes; a
    lesson with text outputs only is shown with the outputs it stores.
    """
    import nbformat
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    check_node_modules()
    out.mkdir(parents=True, exist_ok=True)
    vendor(out / "vendor")
    config = Config()
    config.SlidesExporter.reveal_url_prefix = "vendor/reveal.js"
    config.SlidesExporter.mathjax_url = "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    config.SlidesExporter.jquery_url = "vendor/jquery/dist/jquery.min.js"
    config.SlidesExporter.reveal_theme = "white"  # its fonts are in reveal.js; "simple" fetches Google's
    config.SlidesExporter.require_js_url = "vendor/requirejs/require.js"
    config.SlidesExporter.widget_renderer_url = "vendor/@jupyter-widgets/html-manager/dist/embed-amd.js"
    config.SlidesExporter.template_name = TEMPLATE
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATES / "nbconvert" / "templates")]
    exporter = SlidesExporter(config=config)
    jobs = jobs or max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(presented, [path.resolve() for path in notebooks]))
    written = []
    for notebook, run in zip(notebooks, runs):
        body, _ = exporter.from_notebook_node(
            nbformat.reads(run, as_version=4),
            resources={"lesson_number": notebook.name[:2], "metadata": {"name": notebook.stem}})
        deck = out / f"{notebook.stem}.slides.html"
        deck.write_text(body, encoding="utf-8")
        written.append(deck)
        print(f"wrote {deck}")
    print(f"Open them from {out}/ (file:// works, no network needed).")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    live = sub.add_parser("present", help="live slideshow of one lesson")
    live.add_argument("number", nargs="?", default="")
    live.add_argument("--all", action="store_true", help="every lesson from one server")
    live.add_argument("--port", type=int, default=None)
    static = sub.add_parser("decks", help="offline decks")
    static.add_argument("notebooks", nargs="*", type=Path)
    static.add_argument("--out", type=Path, default=DECKS, help="folder for the decks (build/slides)")
    static.add_argument("--jobs", type=int, default=None, help="lessons executed at once")
    args = parser.parse_args(argv)
    if args.command == "present":
        present(args.number, args.port, every_lesson=args.all)
    else:
        decks(args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), out=args.out, jobs=args.jobs)


if __name__ == "__main__":
    main()
