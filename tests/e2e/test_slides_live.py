"""`make present NB=01`: the live slideshow, driven in Chromium with outside requests blocked.

The slideshow is started exactly as `make present` starts it (tools/slides.py),
and the test opens the one URL it prints.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from slides_support import offline_page

ROOT = Path(__file__).resolve().parents[2]
EXPLORER = ".softmax-explorer"
# The explorer on the slide shown now (lesson 01 has more than one).
READOUT = f".reveal .slides section.present {EXPLORER} .softmax-readout"
HANDLE = f".reveal .slides section.present {EXPLORER} .softmax-z-slider .noUi-handle"
# Reveal.js keeps the slides next to the shown one laid out (off to the side),
# so "visible" is not enough: the explorer must be in the slide shown now.
EXPLORER_SHOWN = f"""() => {{
  const shown = [...document.querySelectorAll('.reveal .slides section.present')].pop();
  return Boolean(shown && shown.querySelector('{EXPLORER}'));
}}"""
# Which slide is shown: its position among all sections (sub-slides included).
CURRENT_SLIDE = """() => [...document.querySelectorAll('.reveal .slides section')]
  .findIndex(s => s.classList.contains('present') && !s.querySelector('section.present'))"""


@pytest.fixture(scope="module")
def slideshow_url():
    if not (ROOT / "slides" / "node_modules" / "reveal.js" / "package.json").exists():
        pytest.fail("slides/node_modules/ is missing: run `make present NB=01` or `make slides` once.")
    process = subprocess.Popen([sys.executable, "tools/slides.py", "present", "01"], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        urls = []
        for line in process.stdout:
            urls += re.findall(r"https?://\S+", line)
            if urls:
                break
        assert len(urls) == 1, "make present must print one URL"
        url = urls[0]
        port = int(re.search(r":(\d+)/", url).group(1))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers (and wants the token)
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)  # the script stops Voilà and its kernel
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_slideshow_server_listens_on_loopback_and_wants_the_token(slideshow_url):
    assert slideshow_url.startswith("http://127.0.0.1:") and "?token=" in slideshow_url
    bare = slideshow_url.split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bare + "voila/files/slides/package.json", timeout=10)
    assert refused.value.code in (403, 404)
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                              {"redirect_request": lambda *args: None}))
    with pytest.raises(urllib.error.HTTPError) as login:
        opener.open(bare, timeout=30)
    assert login.value.code in (302, 403), "the slideshow opened without its token"


def test_live_slideshow_redraws_the_explorer_and_keeps_arrow_keys_on_its_slider(browser, slideshow_url):
    page = offline_page(browser)
    # Voilà runs the lesson while it streams the page: give it time on a busy machine.
    page.goto(slideshow_url, wait_until="commit")
    page.wait_for_selector(f"{EXPLORER} .noUi-handle", state="attached", timeout=240_000)
    page.wait_for_selector(".reveal.ready", state="attached", timeout=60_000)
    slides = page.evaluate("() => document.querySelectorAll('.reveal .slides > section').length")
    assert slides > 5, slides

    # Walk forward ("n" visits sub-slides too) to the explorer's slide.
    page.locator(".reveal").click(position={"x": 5, "y": 5})
    page.keyboard.press("Home")
    for _ in range(60):
        if page.evaluate(EXPLORER_SHOWN):
            break
        page.keyboard.press("n")
        page.wait_for_timeout(150)
    assert page.evaluate(EXPLORER_SHOWN), "no slide shows the explorer"
    explorer = page.locator(f".reveal .slides section.present {EXPLORER}").first
    canvas = explorer.locator("canvas").first
    picture = lambda: canvas.evaluate("c => c.toDataURL()")  # noqa: E731
    page.wait_for_function(f"() => document.querySelector('{READOUT}').innerText.trim() !== ''")
    readout_before, picture_before = page.locator(READOUT).first.inner_text(), picture()

    # Drag z0's handle to the right: the kernel answers with a new readout and a new figure.
    box = page.locator(HANDLE).first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y, steps=5)
    page.mouse.up()
    page.wait_for_function(f"(before) => document.querySelector('{READOUT}').innerText !== before",
                           arg=readout_before, timeout=30_000)
    deadline = time.monotonic() + 30
    while picture() == picture_before and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert picture() != picture_before, "the figure did not redraw after the drag"

    # Arrow keys on the focused slider move the slider, not the slides.
    slide = page.evaluate(CURRENT_SLIDE)
    handle = page.locator(HANDLE).first
    value = handle.get_attribute("aria-valuenow")
    handle.focus()
    page.keyboard.press("ArrowLeft")
    # Wait until the slider moved or the slide changed (then no handle is on the shown slide).
    page.wait_for_function(f"""(before) => {{
      const handle = document.querySelector('{HANDLE}');
      return !handle || handle.getAttribute('aria-valuenow') !== before;
    }}""", arg=value, timeout=10_000)
    page.wait_for_timeout(500)  # a slide change would have started by now
    assert page.evaluate(CURRENT_SLIDE) == slide, "the arrow key on the slider changed the slide"
    assert page.blocked == [], f"the slideshow asked the network for {page.blocked}"
    page.context.close()
