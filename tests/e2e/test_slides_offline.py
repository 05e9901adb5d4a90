"""`make slides`: lesson 01's deck works from file:// with every outside request blocked.

The deck is built here the way `make slides` builds it (tools/slides.py, from the
npm packages in slides/node_modules/), into build/e2e-slides/.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

from slides_support import offline_page

ROOT = Path(__file__).resolve().parents[2]
LESSON_01 = ROOT / "notebooks" / "01_softmax_function.ipynb"
OUT = ROOT / "build" / "e2e-slides"
sys.path.insert(0, str(ROOT / "tools"))
import slides  # noqa: E402 - tools/slides.py


def saved_explorer_pictures(path: Path) -> list[str]:
    """Alt text of the picture stored beside each widget output of a notebook."""
    alts = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                found = re.search(r'<img[^>]*\balt="([^"]+)"', data.get("text/html", ""))
                assert found, "an explorer output stores no picture with alt text"
                alts.append(found.group(1))
    return alts


@pytest.fixture(scope="module")
def deck() -> Path:
    if not (slides.NODE_MODULES / "reveal.js" / "package.json").exists():
        pytest.fail("slides/node_modules/ is missing: run `make slides` (npm ci from slides/package-lock.json).")
    [built] = slides.decks([LESSON_01], out=OUT)
    return built


def test_offline_deck_becomes_slides_typesets_math_and_shows_every_explorer_picture(browser, deck):
    expected = saved_explorer_pictures(LESSON_01)
    assert expected, "lesson 01 stores no explorer output"
    page = offline_page(browser)
    page.goto(deck.as_uri())
    page.wait_for_selector(".reveal.ready", state="attached")
    page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
                           " && document.querySelectorAll('.MathJax_CHTML').length > 0")
    report = page.evaluate("""() => {
      const markdown = [...document.querySelectorAll('.jp-RenderedMarkdown')].map(cell => {
        const copy = cell.cloneNode(true);
        copy.querySelectorAll('script, .MathJax_CHTML, .MJX_Assistive_MathML').forEach(e => e.remove());
        return copy.textContent;
      });
      return {
        slides: document.querySelectorAll('.reveal .slides > section').length,
        slidesPosition: getComputedStyle(document.querySelector('.reveal .slides')).position,
        shownSlides: document.querySelectorAll('.reveal .slides > section.present').length,
        typeset: document.querySelectorAll('.MathJax_CHTML').length,
        mathErrors: document.querySelectorAll('.MathJax_Error, merror').length,
        dollarsLeft: markdown.filter(text => text.includes('$')).length,
        pictures: [...document.querySelectorAll('.softmax-saved-picture img')]
          .map(img => ({alt: img.alt, width: img.naturalWidth})),
        notes: [...document.querySelectorAll('.softmax-live-note')].map(note => note.textContent),
      };
    }""")
    # Reveal.js took over: more than 5 slides, one shown at a time, laid out by reveal.css.
    assert report["slides"] > 5, report
    assert report["shownSlides"] == 1 and report["slidesPosition"] == "absolute", report
    # MathJax typeset every formula: none left as $...$ source, none in error.
    assert report["typeset"] > 0 and report["mathErrors"] == 0 and report["dollarsLeft"] == 0, report
    shown = {picture["alt"]: picture["width"] for picture in report["pictures"]}
    for alt in expected:
        assert shown.get(alt, 0) > 0, f"the deck does not show the explorer picture {alt[:60]!r}"
    assert len(report["notes"]) == len(expected)
    assert all("make present NB=01" in note and "JupyterLab" in note for note in report["notes"])
    assert page.blocked == [], f"the deck asked the network for {page.blocked}"
    page.context.close()
