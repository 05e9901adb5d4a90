"""Fixtures for the browser tests: the suite's own JupyterLab, and Debian's Chromium
driven through pytest-playwright's fixtures (``page``, ``context``, ``browser``).

The server runs from this environment on 127.0.0.1, at a free port, with a
random token (auth and XSRF stay on). It serves a copy of the notebooks in
build/e2e/, so JupyterLab's autosave can never touch the committed ones, and
reads throwaway user settings and workspaces, so a developer's own
JupyterLab settings cannot change what the test sees. Everything it starts is
stopped at the end, even when a test fails.

Shared names (paths, Chromium's flags) live in ``e2e_settings.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from e2e_settings import (  # noqa: F401  (SCREENSHOTS: older tests import it from here)
    ACTION_TIMEOUT_MS,
    CHROMIUM_ARGS,
    ROOT,
    SCREENSHOTS,
    VIEWPORT,
    WORK,
    block_outside,
    find_chromium,
)


#: `make e2e` runs two pytest-xdist workers: these files on one, every other file on the
#: other. JupyterLab's lessons (about half the suite's time) get a worker, a server and
#: a browser to themselves; the slides and the website share the other worker.
OWN_WORKER = {"test_jupyterlab_e2e.py"}


def pytest_xdist_make_scheduler(config, log):
    """Whole files per worker (as --dist loadfile), grouped as OWN_WORKER says.

    pytest-xdist's own ``xdist_group`` marks do nothing with pytest 9.2 (every
    test went to either worker, and two JupyterLab servers shared build/e2e).
    """
    if config.getvalue("dist") not in ("loadfile", "loadgroup", "loadscope"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class TwoGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
            return file if file in OWN_WORKER else "the slides and the website"

    return TwoGroups(config, log)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """A JupyterLab server process and what a test needs to talk to it."""

    def __init__(self):
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = WORK / "jupyterlab.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if WORK.exists():
            shutil.rmtree(WORK)
        (WORK / "root").mkdir(parents=True)
        shutil.copytree(ROOT / "notebooks", WORK / "root" / "notebooks",
                        ignore=shutil.ignore_patterns("my_copies", ".ipynb_checkpoints"))
        settings = WORK / "user-settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True)
        # Keep every cell in the page, so the test sees all outputs.
        (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        dialogs = WORK / "user-settings" / "@jupyterlab" / "apputils-extension"
        dialogs.mkdir(parents=True)
        (dialogs / "sessionDialogs.jupyterlab-settings").write_text(
            json.dumps({"skipKernelRestartDialog": True}))
        command = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={WORK / 'root'}",
            f"--LabApp.user_settings_dir={WORK / 'user-settings'}",
            f"--LabApp.workspaces_dir={WORK / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                        cwd=WORK, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early; see {self.log_path}")
            try:
                self.api("GET", "/api/status")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer within 90 s; see {self.log_path}")

    def api(self, method: str, path: str):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        for session in self.api("GET", "/api/sessions") or []:
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            import psutil

            family = psutil.Process(self.process.pid).children(recursive=True)
        except Exception:
            family = []
        try:
            self.shut_down_kernels()
        except OSError:
            pass
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        for child in family:  # kernels live in sessions of their own
            try:
                child.kill()
            except Exception:
                pass


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, with Debian's Chromium and its flags."""
    path = find_chromium()
    if path is None:
        pytest.skip("Debian's chromium is not installed (run `make chromium` as root, or "
                    "`apt-get install chromium`): the browser tests cannot run here.")
    return {**browser_type_launch_args, "executable_path": path, "headless": True,
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT}


@pytest.fixture(scope="session")
def lab_server(browser_type_launch_args):
    server = LabServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def lab_page(browser, browser_context_args, pytestconfig):
    """One browser page for every JupyterLab test: JupyterLab loads once, not once per test.

    Offline, as in a classroom with no network: every request to anything but the
    server on 127.0.0.1 is blocked and recorded. Traced when pytest-playwright's
    --tracing asks, one chunk per test (see ``lab``): every action with its call
    log, the console and the network, but neither the screenshots' film (on two
    shared cores it starved JupyterLab: a notebook not loaded in 180 s) nor a DOM
    snapshot per action (30 of the JupyterLab tests' 139 CPU-s). A failed test
    leaves the page's picture and DOM as they were when it failed instead.
    """
    context = browser.new_context(**browser_context_args)
    blocked = block_outside(context)
    tracing = pytestconfig.getoption("--tracing") != "off"
    if tracing:
        context.tracing.start(screenshots=False, snapshots=False, sources=True)
    page = context.new_page()
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    page.blocked = blocked
    page.traced = tracing
    yield page
    context.close()


@pytest.fixture
def lab(lab_page, lab_server, request, output_path):
    """The JupyterLab page for one test, left as a new test should find it.

    The test fails if the page asked the network for anything. Afterwards the
    kernels the test started are shut down and its documents closed, even when it
    fails; after a failure JupyterLab is loaded again from scratch for the next
    test, and the test's trace is kept in --output (pytest-playwright's
    retain-on-failure).
    """
    page = lab_page
    page.blocked.clear()
    if page.traced:
        page.context.tracing.start_chunk(title=request.node.nodeid)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield page
        assert page.blocked == [], f"JupyterLab asked the network for {page.blocked}"
    finally:
        try:
            lab_server.shut_down_kernels()
        except OSError:
            pass
        report = getattr(request.node, "rep_call", None)
        failed = report is None or report.failed
        if failed:
            Path(output_path).mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(Path(output_path) / "failed.png"), timeout=10_000)
                (Path(output_path) / "failed.html").write_text(page.content())
            except Exception:
                pass  # the page itself may be what broke; the trace still says what happened
        if page.traced:
            keep = failed and request.config.getoption("--tracing") == "retain-on-failure"
            if keep or request.config.getoption("--tracing") == "on":
                Path(output_path).mkdir(parents=True, exist_ok=True)
                page.context.tracing.stop_chunk(path=str(Path(output_path) / "trace.zip"))
            else:
                page.context.tracing.stop_chunk()
        if failed:
            page.goto("about:blank")
        else:
            page.evaluate("() => { for (const widget of [...window.jupyterapp.shell.widgets('main')]) "
                          "if (widget.context) widget.dispose(); }")
