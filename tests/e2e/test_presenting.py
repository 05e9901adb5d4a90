"""Presenting a lesson as a RISE slideshow: what the room sees.

* The RISE slideshow (``jupyterlab-rise``) is a page of its own. With the
  ipywidgets 8 this suite needs, that page cannot load the widget manager
  (upstream: jupyterlab-contrib/rise issue 119), so each explorer shows the
  picture saved with the notebook. The test checks that the pictures are there
  and that no "Error displaying widget" is shown instead.
* JupyterLab's own Presentation Mode (View menu) keeps the notebook in
  JupyterLab, so the explorers stay live: the explorer test in
  test_jupyterlab_e2e.py moves a slider in that mode.
"""

from __future__ import annotations

import re

import nbformat

from conftest import SCREENSHOTS
from test_jupyterlab_e2e import LESSON_01


def saved_explorer_pictures(path) -> list[str]:
    """Alt text of the picture stored beside each widget output of a notebook."""
    notebook = nbformat.read(path, as_version=4)
    alts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data and "text/html" in data:
                found = re.search(r'<img[^>]*\balt="([^"]+)"', data["text/html"])
                assert found, "a widget output has no picture with alt text to fall back on"
                alts.append(found.group(1))
    return alts


def test_rise_slideshow_shows_every_explorer_as_its_saved_picture(page, lab_server):
    expected = saved_explorer_pictures(LESSON_01)
    assert expected, "lesson 01 stores no explorer output"
    page.goto(f"{lab_server.url}/rise/notebooks/{LESSON_01.name}?token={lab_server.token}")
    page.locator(".reveal .slides section").first.wait_for(timeout=60_000)
    page.wait_for_function("(n) => document.querySelectorAll("
                           "'.jp-OutputArea-output img[alt]').length >= n",
                           arg=len(expected), timeout=30_000)
    report = page.evaluate("""() => ({
      slides: document.querySelectorAll('.reveal .slides section').length,
      alts: [...document.querySelectorAll('.jp-OutputArea-output img[alt]')].map(img => img.alt),
      widgetErrors: (document.body.innerText.match(/Error displaying widget/g) || []).length,
    })""")
    assert report["slides"] > 5, report["slides"]
    assert report["widgetErrors"] == 0
    for alt in expected:
        assert alt in report["alts"], f"slideshow lacks the explorer picture {alt[:60]!r}"
    page.screenshot(path=str(SCREENSHOTS / "01_rise_slideshow.png"))
    lab_server.shut_down_kernels()
