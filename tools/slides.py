"""Slides from the lessons: live with Voilà (`make present`), offline decks (`make slides`).

    python tools/slides.py present 01     # live slideshow of lesson 01, prints one URL
    python tools/slides.py decks          # build/slides/NN_*.slides.html, work from file://

Both use the front-end files that `npm ci` put in slides/node_modules/ from
slides/package-lock.json; nothing is fetched while presenting or reading a deck.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLIDES = ROOT / "slides"
NODE_MODULES = SLIDES / "node_modules"
TEMPLATES = SLIDES / "jupyter"  # added to JUPYTER_PATH: voila/ and nbconvert/ templates
NOTEBOOKS = ROOT / "notebooks"
DECKS = ROOT / "build" / "slides"

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


def voila_command(notebook: Path, port: int, token: str) -> list[str]:
    """Voilà on 127.0.0.1 with a token, serving only the vendored CSS and fonts besides the lesson."""
    node = NODE_MODULES.relative_to(ROOT).as_posix()
    resources = {
        "reveal": {"url_prefix": f"voila/files/{node}/reveal.js", "theme": "white"},
        "fontawesome_url": f"voila/files/{node}/@fortawesome/fontawesome-free",
    }
    allowlist = [rf"{node}/reveal\.js/dist/.*\.(css|woff2?|ttf|eot)",
                 rf"{node}/@fortawesome/fontawesome-free/(css|webfonts)/.*"]
    command = [
        sys.executable, "-m", "voila", str(notebook.relative_to(ROOT)),
        "--template=softmax_reveal", "--no-browser",
        "--Voila.ip=127.0.0.1", f"--Voila.port={port}", "--Voila.port_retries=0",
        f"--Voila.token={token}", f"--Voila.root_dir={ROOT}",
        f"--VoilaConfiguration.resources={resources!r}",
        f"--VoilaConfiguration.file_allowlist={allowlist!r}",
    ]
    return command


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(TEMPLATES), env.get("JUPYTER_PATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def present(number: str, port: int | None) -> None:
    check_node_modules()
    notebook = lesson(number)
    port = port or free_port()
    token = secrets.token_urlsafe(24)
    print(f"Presenting {notebook.name}. Open this address in a browser on this computer "
          f"(Ctrl+C stops the slideshow and its kernel):\n\n    "
          f"http://127.0.0.1:{port}/?token={token}\n", flush=True)
    # Voilà's own log would print a second, tokenless address; it goes to a file.
    log_path = ROOT / "build" / "present.log"
    log_path.parent.mkdir(exist_ok=True)
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    with open(log_path, "w") as log:
        # A session of its own: Ctrl+C reaches only this script, which stops
        # Voilà with SIGTERM (Jupyter would ask "Shutdown this server? (y/[n])"
        # on a terminal it does not print to).
        process = subprocess.Popen(voila_command(notebook, port, token), cwd=ROOT, env=environment(),
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = process.wait()
        except KeyboardInterrupt:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            print("Slideshow stopped.")
            return
    if code:
        fail(f"Voilà stopped with exit code {code}; its log is {log_path}.")


def vendor(target: Path) -> None:
    """Copy the files the decks load from slides/node_modules/ into target/."""
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


def decks(notebooks: list[Path], out: Path = DECKS) -> list[Path]:
    """Write one deck per notebook into out/, with the files they load in out/vendor/."""
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
    config.SlidesExporter.template_name = "softmax_deck"
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATES / "nbconvert" / "templates")]
    exporter = SlidesExporter(config=config)
    written = []
    for notebook in notebooks:
        number = notebook.name[:2]
        body, _ = exporter.from_filename(str(notebook), resources={"lesson_number": number})
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
    live.add_argument("--port", type=int, default=None)
    static = sub.add_parser("decks", help="offline decks")
    static.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.command == "present":
        present(args.number, args.port)
    else:
        decks(args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")))


if __name__ == "__main__":
    main()
