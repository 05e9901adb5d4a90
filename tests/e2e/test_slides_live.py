"""`make present NB=01`: the live slideshow, driven in Chromium with outside requests blocked.

The slideshow is started exactly as `make present` starts it (tools/slides.py),
and the test opens the one URL it prints. Every slide's fit is checked by
test_slides_fit.py; this file checks what only a live slideshow does: the
address answers at once, the explorers move, a scripted scenario is a step the
presenter takes, and a tab that reloads or closes gives its kernel back.

Voilà runs the lesson for every page it serves, so the tests share one: the
browser's first request is the one the instructor makes, the explorer is moved
on that page, and then that page is reloaded twice and closed.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import nbformat
import psutil
import pytest

from slides_support import ROOT, offline_page, start_slideshow, stop_slideshow, wait_until_shown

LESSON_01 = ROOT / "notebooks" / "01_softmax_function.ipynb"
SHOWN = ".reveal .slides section.present > .softmax-page"  # the slide shown (not its stack)
EXPLORER = f"{SHOWN} .softmax-explorer"
READOUT = f"{EXPLORER} .softmax-readout"
HANDLE = f"{EXPLORER} .softmax-z-slider .noUi-handle"
STEP_BUTTON = f"{SHOWN} .softmax-step-button"


@pytest.fixture(scope="module")
def slideshow(browser):
    """`make present 01`, and the page the browser opened at once on the URL it printed."""
    if not (ROOT / "slides" / "node_modules" / "reveal.js" / "package.json").exists():
        pytest.fail("slides/node_modules/ is missing: run `make present NB=01` or `make slides` once.")
    process, urls = start_slideshow(["01"])
    page = None
    try:
        assert len(urls) == 1, f"make present must print one URL, printed {urls}"
        # The first request, at once: an instructor who clicks the address must get the slides.
        shown = SimpleNamespace(kernels_before=len(kernels(process)), kernels_shown=None)
        page = offline_page(browser)
        try:
            response = page.goto(urls[0], wait_until="commit", timeout=120_000)
            process.first_answer = (response.status, response.text())  # the whole page, as Voilà sent it
        except Exception as error:
            process.first_answer = (error, "")
        process.first_answer_after = time.monotonic() - process.printed_at
        yield process, urls[0], page, shown
    finally:
        if page is not None and not page.is_closed():
            page.context.close()
        stop_slideshow(process)


def kernels(process) -> list[psutil.Process]:
    """The kernels the slideshow's Voilà runs now (a kernel that has exited, even one not yet
    reaped by its parent, is not running: a zombie's command line cannot be read)."""
    running = []
    for child in psutil.Process(process.pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel_launcher" in " ".join(child.cmdline()):
                running.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return running


def until(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def stored_readout(n_classes: int = 4) -> str:
    """The readout lesson 01's first explorer has when the lesson has run (from the stored output)."""
    for cell in nbformat.read(LESSON_01, as_version=4).cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain", "")
            if text.startswith(f"softmax explorer (n={n_classes})"):
                return text
    raise AssertionError("lesson 01 stores no explorer output")


def probabilities(text: str) -> list[str]:
    return re.findall(r"a\S* = (\d\.\d{4})", text)


def go_to(page, selector: str, limit: int = 80) -> None:
    """Press → until the slide shown holds ``selector`` (nothing focused: the keys go to the slides)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        if page.locator(selector).count():
            return
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(80)
    raise AssertionError(f"no slide shows {selector}")


def test_the_printed_address_answers_its_first_request(slideshow):
    process, url, _, _ = slideshow
    status, body = process.first_answer
    assert status == 200, f"the first request to {url} got {status}"
    assert "softmax-slides.js" in body and "reveal" in body
    assert url.startswith("http://127.0.0.1:") and "?token=" in url


def test_slideshow_server_listens_on_loopback_and_wants_the_token(slideshow):
    _, url, _, _ = slideshow
    bare = url.split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bare + "voila/files/slides/package.json", timeout=10)
    assert refused.value.code in (403, 404)
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                              {"redirect_request": lambda *args: None}))
    with pytest.raises(urllib.error.HTTPError) as login:
        opener.open(bare, timeout=30)
    assert login.value.code in (302, 403), "the slideshow opened without its token"


def test_explorer_starts_where_its_slide_says_and_moves_with_a_drag_the_keys_and_the_step(slideshow):
    process, _, page, shown = slideshow
    wait_until_shown(page)
    if shown.kernels_shown is None:
        shown.kernels_shown = len(kernels(process))
    page.evaluate("() => Reveal.configure({transition: 'none'})")
    go_to(page, EXPLORER)
    # The explorer starts as the lesson's own run leaves it, not where the scenario after it ends.
    start = page.locator(READOUT).first.inner_text()
    assert probabilities(start) == probabilities(stored_readout()), start

    # Drag z0's handle: the kernel answers with a new readout and a new figure.
    canvas = page.locator(f"{EXPLORER} canvas").first
    picture = lambda: canvas.evaluate("c => c.toDataURL()")  # noqa: E731
    picture_before = picture()
    box = page.locator(HANDLE).first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=5)
    page.mouse.up()
    page.wait_for_function(f"(before) => document.querySelector('{READOUT}').innerText !== before",
                           arg=start, timeout=30_000)
    assert until(lambda: picture() != picture_before, 30), "the figure did not redraw after the drag"

    # Arrow keys on the focused slider move the slider, not the slides.
    slide = page.evaluate("() => Reveal.getIndices()")
    handle = page.locator(HANDLE).first
    value = handle.get_attribute("aria-valuenow")
    handle.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"""(before) => {{
      const handle = document.querySelector('{HANDLE}');
      return !handle || handle.getAttribute('aria-valuenow') !== before;
    }}""", arg=value, timeout=10_000)
    page.wait_for_timeout(300)
    assert page.evaluate("() => Reveal.getIndices()") == slide, "the arrow key on the slider changed the slide"

    # The scripted scenario is the presenter's step: its slide shows the explorer live and a button.
    go_to(page, STEP_BUTTON)
    assert page.locator(EXPLORER).count(), "the step's slide does not show the explorer it drives"
    before_step = page.locator(READOUT).first.inner_text()
    page.locator(STEP_BUTTON).first.click()
    # The step prints line by line: wait for its last line, then read all it printed.
    try:
        page.wait_for_function(f"""() => {{
          const printed = document.querySelector('{SHOWN} .softmax-outputs pre');
          return printed && printed.innerText.includes('lead of 8');
        }}""", timeout=30_000)
    except Exception:
        pass  # the assertion below shows what it printed instead
    printed = page.locator(f"{SHOWN} .softmax-outputs pre").first.inner_text()
    assert "lead of 8" in printed, printed
    page.wait_for_function(f"(before) => document.querySelector('{READOUT}').innerText !== before",
                           arg=before_step, timeout=30_000)
    assert probabilities(page.locator(READOUT).first.inner_text()) == ["0.0003", "0.0003", "0.0003", "0.9990"]
    # After the click, → goes on to the next slide (the button gave the keys back).
    here = page.evaluate("() => Reveal.getIndices()")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(here) => JSON.stringify(Reveal.getIndices()) !== JSON.stringify(here)", arg=here)
    assert page.blocked == [], f"the slideshow asked the network for {page.blocked}"


def test_reloading_or_closing_the_slideshow_gives_its_kernel_back(slideshow):
    process, _, page, shown = slideshow
    # The page the browser opened first (the explorer test moved it): it started one kernel.
    wait_until_shown(page)
    if shown.kernels_shown is None:
        shown.kernels_shown = len(kernels(process))
    before = shown.kernels_before
    assert shown.kernels_shown == before + 1, f"opening the slideshow started {shown.kernels_shown - before} kernels"
    for _ in range(2):
        page.reload(wait_until="commit")
        wait_until_shown(page)
        # The old page's kernel stops once the new one runs (voila-dashboards/voila#1458 fixed).
        assert until(lambda: len(kernels(process)) == before + 1), (
            f"{len(kernels(process)) - before} kernels after a reload: the old page's was not given back")
    context = page.context
    page.close(run_before_unload=True)  # as closing the tab does (context.close() skips it)
    try:
        assert until(lambda: len(kernels(process)) == before), "closing the tab left its kernel running"
    finally:
        context.close()
