"""Shared by the slide tests: a browser context that stays offline.

Chromium's path and flags come from conftest.py's ``browser_type_launch_args``,
as for every browser test.
"""

from __future__ import annotations

LOCAL = ("http://127.0.0.1:", "ws://127.0.0.1:", "file://", "data:", "blob:")


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
