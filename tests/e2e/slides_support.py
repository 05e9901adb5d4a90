"""Shared by the slide tests: an offline browser page, and a walk through every slide.

Chromium's path and flags come from conftest.py's ``browser_type_launch_args``,
as for every browser test. ``walk`` presses → (or space) from the first slide to
the last and measures each slide as shown (slides_measure.js): the slides a
lesson has, the ones the key visited, and what is wrong on each.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from e2e_settings import block_outside

ROOT = Path(__file__).resolve().parents[2]
MEASURE = (Path(__file__).parent / "slides_measure.js").read_text()
#: The screens the lessons are shown on, and the key walked with on each.
SCREENS = [((1280, 720), "ArrowRight"), ((1920, 1080), "Space")]
#: Text readable from the back of a room, on a 720p screen (issue #24).
MIN_BODY_PX, MIN_FIGURE_PX = 28, 16


def offline_page(browser, viewport=None):
    """A page whose every request to anything but 127.0.0.1 or file:// is blocked and recorded."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 720})
    blocked = block_outside(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.blocked = blocked
    return page


def wait_until_shown(page, timeout_ms: int = 300_000) -> None:
    """Reveal started, every output drawn (Voilà draws them in the browser), math typeset."""
    page.wait_for_function("() => window.Reveal && Reveal.isReady && Reveal.isReady()", timeout=timeout_ms)
    page.wait_for_function("""() =>
        !document.querySelector('script[type="application/vnd.voila.cell-output+json"]')
        && [...document.images].every(image => image.complete)
        && (!window.MathJax || !MathJax.Hub || MathJax.Hub.queue.pending === 0)""", timeout=timeout_ms)
    # Live (Voilà): every widget has its view, where its outputs are now.
    page.wait_for_function("""() => !document.body.dataset.voila ||
        [...document.querySelectorAll('[data-widget-text-px]:not(.softmax-apart)')]
          .every(holder => holder.querySelector('.jupyter-widgets'))""", timeout=timeout_ms)
    page.evaluate("document.fonts.ready")


@dataclass
class Walk:
    """What one walk with one key on one screen found."""

    screen: tuple[int, int]
    key: str
    total: int = 0
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def report(self) -> str:
        return "\n".join(self.problems)


def walk(page, screen: tuple[int, int], key: str, label: str) -> Walk:
    """From the first slide, press ``key`` until the last; measure every slide on the way.

    One call into the page per slide: slides_measure.js waits there for the slide
    to change and be drawn, then measures it.
    """
    width, height = screen
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate("() => { Reveal.configure({transition: 'none', backgroundTransition: 'none'}); Reveal.layout(); "
                  "Reveal.slide(0, 0); }")
    page.locator(".reveal").focus()
    result = Walk(screen, key, total=page.evaluate("() => Reveal.getTotalSlides()"))
    before = None
    for _ in range(result.total + 1):
        shown = page.evaluate(MEASURE, {"minBody": MIN_BODY_PX, "minFigure": MIN_FIGURE_PX, "tolerance": 1,
                                        "before": before})
        if shown["stuck"]:
            result.problems.append(f"{label} at {width}x{height}: {key} did not leave slide {shown['index']}")
            break
        result.visited.append(shown["index"])
        where = f"{label} at {width}x{height}, slide {len(result.visited)} ({shown['index']} {shown['title']!r})"
        result.problems += [f"{where}: {problem}" for problem in shown["problems"]]
        if page.evaluate("() => Reveal.isLastSlide()"):
            break
        page.keyboard.press(key)
        before = shown["index"]
    return result


def start_slideshow(arguments: list[str]):
    """Start tools/slides.py present as `make present` does; return it and the addresses it printed.

    The addresses are read as the script prints them: a line per lesson with
    --all, one line otherwise. ``printed_at`` is when the last one came.
    """
    process = subprocess.Popen([sys.executable, "tools/slides.py", "present", *arguments], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    urls: list[str] = []
    for line in process.stdout:
        urls += re.findall(r"https?://\S+", line)
        if urls and not line.strip():  # the blank line after the addresses
            break
    process.printed_at = time.monotonic()
    return process, urls


def stop_slideshow(process) -> None:
    """Stop it as Ctrl+C would (the script then stops Voilà and its kernels)."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        import os

        os.killpg(process.pid, signal.SIGKILL)
