"""Shared by the slide tests: Chromium's launch flags and a browser context that stays offline.

Importing ``browser_type_launch_args`` into a test module makes pytest-playwright
launch Debian's Chromium with the flags the suite uses everywhere.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
LOCAL = ("http://127.0.0.1:", "ws://127.0.0.1:", "file://", "data:", "blob:")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = next((c for c in ("/usr/bin/chromium", shutil.which("chromium"))
                 if c and os.access(c, os.X_OK)), None)
    if path is None:
        pytest.skip("Debian's chromium is not installed (`make chromium` as root): "
                    "the slide tests cannot run here.")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS}


def offline_page(browser):
    """A page whose every request to anything but 127.0.0.1 or file:// is blocked and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def only_local(route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.blocked = blocked
    return page
