"""What every browser test shares: where things are, and how Chromium is started.

The browser tests (``tests/e2e/test_*.py``) import these names; the
pytest-playwright fixtures in ``conftest.py`` use them to launch Debian's
Chromium. ``make e2e`` runs them with ``--tracing retain-on-failure
--output build/traces``: a failing test leaves a Playwright trace in a folder
named after the test (and so after its phase), which
``.venv/bin/playwright show-trace build/traces/<test>/trace.zip`` replays.
A failing JupyterLab test also leaves ``failed.png`` and ``failed.html`` there:
the page as it was when the test failed.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
#: The JupyterLab server's copy of the notebooks, settings and log.
WORK = BUILD / "e2e"
SCREENSHOTS = BUILD / "screenshots"
#: pytest-playwright's --output: traces of failed tests (emptied at each run).
TRACES = BUILD / "traces"

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSON_01 = ROOT / "notebooks" / "01_softmax_function.ipynb"

#: Where Debian installs Chromium; found on PATH otherwise.
CHROMIUM = "/usr/bin/chromium"
#: Headless Chromium as root in a container, with nothing fetched from the network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
#: Milliseconds a page action may wait (JupyterLab is slow on a 2-core machine).
ACTION_TIMEOUT_MS = 60_000
#: Milliseconds JupyterLab may take to load a notebook and start its kernel
#: (a kernel took over 90 s while other test suites shared the two cores).
KERNEL_START_MS = 180_000

#: What a page may load offline: the suite's own servers on 127.0.0.1, files, data: and blob: URLs.
LOCAL = ("http://127.0.0.1:", "ws://127.0.0.1:", "file://", "data:", "blob:")


def outside(local: tuple[str, ...] = LOCAL) -> re.Pattern:
    """Every address but ``local``, as a pattern Playwright matches inside the browser.

    A route for it sees only the requests that would leave the machine; the
    pages' own requests (136 for one JupyterLab load) are not stopped and handed
    to Python one by one, which cost about 1 CPU-s per JupyterLab load.
    """
    return re.compile("^(?!" + "|".join(re.escape(prefix) for prefix in local) + ")")


def block_outside(context, local: tuple[str, ...] = LOCAL) -> list[str]:
    """Abort every request of ``context`` to anything but ``local``; return the list they are recorded in."""
    blocked: list[str] = []

    def record_and_abort(route):
        blocked.append(route.request.url)
        route.abort()

    context.route(outside(local), record_and_abort)
    return blocked


#: The notebook on screen (other tabs stay in the page, hidden).
CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def find_chromium() -> str | None:
    """The Chromium executable to drive, or None if none is installed."""
    for candidate in (CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None
