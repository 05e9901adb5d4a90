"""Every lesson exports to a Reveal.js deck with one slide per top-level section."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbconvert import SlidesExporter

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_deck_has_a_slide_for_each_section_and_skips_navigation(path):
    notebook = nbformat.read(path, as_version=4)
    headings = [c for c in notebook.cells if c.cell_type == "markdown"
                and re.match(r"#{1,2} ", c.source.lstrip())]
    deck, _ = SlidesExporter().from_notebook_node(notebook)
    # Reveal.js: one outer <section> per slide, holding inner ones for sub-slides.
    slides = re.findall(r"<section>\s*<section>", deck)
    assert len(slides) == len(headings)
    assert "00_start_here.ipynb#Contents" not in deck, "navigation links must not become slides"
