"""Every slide of every lesson fits a 720p and a 1080p screen, in both modes, and → and space visit all.

`make present` (Voilà, live) and `make slides` (offline decks) are walked slide by
slide in Chromium with every outside request blocked: at 1280 x 720 with →, at
1920 x 1080 with space. On every slide, nothing may lie outside the visible
slide or be cut off, nothing may scroll, text must be at least 28 px and figure
text at least 16 px on the 720p screen (slides_measure.js). The walk must visit
as many slides as the lesson has.

Both modes are walked for every lesson: they share the slide metadata, the
templates' rules and the stylesheet, but not the renderer (Voilà draws outputs
and math in the browser, with MathJax 3; a deck has nbconvert's HTML and
MathJax 2), and a slide has fitted in one mode and not in the other. To keep the
time down, one Voilà server presents every lesson, the next lesson's page loads
(and its kernel runs the lesson) while the current one is walked, and the decks
are built in the background meanwhile. The phases' times are printed at the end.
"""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from slides_support import (ROOT, SCREENS, offline_page, start_slideshow, stop_slideshow, wait_until_shown,
                            walk)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NAMES = [path.name for path in NOTEBOOKS]
DECKS = ROOT / "build" / "e2e-slides"
PHASES: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def phase_times():
    yield PHASES
    if PHASES:
        print("\nslide test phases: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in PHASES.items()))


@pytest.fixture(scope="module")
def deck_build():
    """`make slides` into build/e2e-slides/, started at once and run while the live lessons are walked."""
    if not (ROOT / "slides" / "node_modules" / "reveal.js" / "package.json").exists():
        pytest.fail("slides/node_modules/ is missing: run `make slides` (npm ci from slides/package-lock.json).")
    started = time.monotonic()
    DECKS.mkdir(parents=True, exist_ok=True)
    log = open(DECKS.parent / "e2e-slides.log", "w")  # a file: the kernels write to it too
    # One lesson at a time: the other core runs the live lessons' kernels.
    process = subprocess.Popen([sys.executable, "tools/slides.py", "decks", "--out", str(DECKS), "--jobs", "1"],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.started, process.log = started, log
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    log.close()


@pytest.fixture(scope="module")
def decks(deck_build):
    deck_build.wait(timeout=900)
    output = Path(deck_build.log.name).read_text()
    assert deck_build.returncode == 0, output[-3000:]
    PHASES["decks built (in the background)"] = time.monotonic() - deck_build.started
    return {path.name: DECKS / f"{path.stem}.slides.html" for path in NOTEBOOKS}


class LivePages:
    """The lessons' live pages, each opened while the one before it is walked."""

    def __init__(self, browser, urls: dict[str, str]):
        self.browser, self.urls, self.pages = browser, urls, {}

    def open(self, name: str):
        if name not in self.pages and name in self.urls:
            page = offline_page(self.browser)
            page.goto(self.urls[name], wait_until="commit")  # Voilà runs the lesson as it sends it
            self.pages[name] = page
        return self.pages.get(name)

    def take(self, name: str):
        page = self.open(name)
        following = NAMES.index(name) + 1
        if following < len(NAMES):
            self.open(NAMES[following])
        return self.pages.pop(name)


@pytest.fixture(scope="module")
def live(browser, deck_build):
    started = time.monotonic()
    process, urls = start_slideshow(["--all"])
    try:
        by_lesson = {name: url for name in NAMES for url in urls if f"/{name}?" in url}
        assert sorted(by_lesson) == NAMES, urls
        yield LivePages(browser, by_lesson)
    finally:
        stop_slideshow(process)
        PHASES["live lessons"] = time.monotonic() - started


def walk_both_screens(page, label: str) -> list[str]:
    problems = []
    for screen, key in SCREENS:
        result = walk(page, screen, key, label)
        problems += result.problems
        assert len(result.visited) == result.total == len(set(result.visited)), (
            f"{label}: {key} visited {len(result.visited)} slides ({len(set(result.visited))} different) "
            f"of {result.total}, at {screen}")
    return problems


@pytest.mark.parametrize("name", NAMES)
def test_live_lesson_fits_720p_and_1080p_and_arrow_and_space_visit_every_slide(live, name):
    page = live.take(name)
    try:
        wait_until_shown(page)
        check_what_the_audience_sees(page, f"make present {name}")
        problems = walk_both_screens(page, f"make present {name}")
        assert not problems, "\n".join(problems)
        assert page.blocked == [], f"the slideshow asked the network for {page.blocked}"
    finally:
        page.context.close()


@pytest.mark.parametrize("name", NAMES)
def test_deck_fits_720p_and_1080p_and_arrow_and_space_visit_every_slide(browser, decks, name):
    started = time.monotonic()
    page = offline_page(browser)
    try:
        page.goto(decks[name].as_uri())
        wait_until_shown(page)
        check_what_the_audience_sees(page, f"deck {decks[name].name}")
        problems = walk_both_screens(page, f"deck {decks[name].name}")
        assert not problems, "\n".join(problems)
        assert page.blocked == [], f"the deck asked the network for {page.blocked}"
    finally:
        page.context.close()
        PHASES["decks walked"] = PHASES.get("decks walked", 0.0) + time.monotonic() - started


def worked_solutions() -> list[str]:
    """The lines of code inside every cell tagged worked-solution, in every lesson."""
    lines = []
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if "worked-solution" in cell.metadata.get("tags", []):
                lines += [line.strip() for line in cell.source.splitlines()
                          if line.strip() and not line.startswith(("<", "```")) and "(" in line]
    return lines


def exercise_skeletons() -> list[str]:
    """The names of the functions lesson 07's students fill in (nbgrader's solution cells)."""
    exercises = nbformat.read(ROOT / "notebooks" / "07_exercises.ipynb", as_version=4)
    cells = [cell for cell in exercises.cells if cell.metadata.get("nbgrader", {}).get("solution")]
    assert len(cells) >= 4 and all("raise NotImplementedError()" in cell.source for cell in cells), (
        "lesson 07's exercises must ship with the placeholder, not solved")
    return [cell.source.split("def ", 1)[1].split("(", 1)[0] for cell in cells]


def check_what_the_audience_sees(page, label: str) -> None:
    """No worked solution anywhere on the page; lesson 07 shows every exercise's skeleton in code."""
    html = page.content()
    solutions = worked_solutions()
    assert solutions, "lesson 07 has cells tagged worked-solution: this test reads their code"
    shown = [line for line in solutions if line in html or line.replace('"', "&quot;") in html]
    assert not shown and "<summary>Show solution" not in html, f"{label} shows a worked solution: {shown[:3]}"
    if "07_exercises" in label:
        code = page.evaluate("() => [...document.querySelectorAll('.softmax-page .jp-InputArea-editor')]"
                             ".map(editor => editor.textContent).join('\\n')")
        for name in exercise_skeletons():
            assert f"def {name}(" in code and "raise NotImplementedError()" in code, (
                f"{label} does not show the skeleton of {name}")


def saved_explorer_pictures(path: Path) -> list[str]:
    """Alt text of the picture stored beside each widget output of a notebook."""
    alts = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                found = re.search(r'<img[^>]*\balt="([^"]+)"', data.get("text/html", ""))
                assert found, "an explorer output stores no picture with alt text"
                alts.append(html.unescape(found.group(1)))  # as the browser reads it
    return alts


def test_offline_deck_typesets_math_and_shows_every_explorer_picture(browser, decks):
    lesson = ROOT / "notebooks" / "01_softmax_function.ipynb"
    expected = saved_explorer_pictures(lesson)
    assert expected, "lesson 01 stores no explorer output"
    page = offline_page(browser)
    page.goto(decks[lesson.name].as_uri())
    wait_until_shown(page)
    report = page.evaluate("""() => {
      const markdown = [...document.querySelectorAll('.jp-RenderedMarkdown')].map(cell => {
        const copy = cell.cloneNode(true);
        copy.querySelectorAll('script, .MathJax_CHTML, .MJX_Assistive_MathML').forEach(e => e.remove());
        return copy.textContent;
      });
      return {
        shownSlides: document.querySelectorAll('.reveal .slides section.present > .softmax-page').length,
        typeset: document.querySelectorAll('.MathJax_CHTML').length,
        mathErrors: document.querySelectorAll('.MathJax_Error, merror').length,
        dollarsLeft: markdown.filter(text => text.includes('$')).length,
        pictures: [...document.querySelectorAll('.softmax-saved-picture img')].map(img => img.alt),
        notes: [...document.querySelectorAll('.softmax-live-note')].map(note => note.textContent),
      };
    }""")
    assert report["shownSlides"] == 1, report
    # MathJax typeset every formula: none left as $...$ source, none in error.
    assert report["typeset"] > 0 and report["mathErrors"] == 0 and report["dollarsLeft"] == 0, report
    # The alt text is the one of the run that made the deck, which starts where the stored one does.
    assert [alt[:40] for alt in report["pictures"]] == [alt[:40] for alt in expected], report["pictures"]
    assert len(report["notes"]) == len(expected)
    assert all("make present NB=01" in note and "JupyterLab" in note for note in report["notes"])
    assert page.blocked == [], f"the deck asked the network for {page.blocked}"
    page.context.close()
