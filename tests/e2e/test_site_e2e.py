"""`make site`: the lessons' website works from file:// with every outside request blocked.

Every page of build/site/ is opened in Chromium: its pictures are decoded and
drawn, its formulas typeset by the MathJax copied into the site, no widget
error shows, and axe-core (from site/node_modules/, injected by the test)
finds no WCAG 2.1 A or AA violation; on lesson pages, none of contrast in the
theme's dark colours either. Then a reader searches, and walks from
the home page through every lesson with the theme's "Next" links.

The site is built the way `make site` builds it (about 5 CPU-seconds).
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site"))
import build_site as site_build  # noqa: E402 - site/build_site.py

sys.path.insert(0, str(ROOT / "tools"))
import slides  # noqa: E402 - tools/slides.py
from e2e_settings import block_outside  # noqa: E402

AXE = site_build.NODE_MODULES / "axe-core" / "axe.min.js"
#: Everything the site may load: its own files, and pictures stored in the pages.
LOCAL = ("file://", "data:", "blob:")
#: The rules of the WCAG 2.1 levels A and AA (axe-core's tags).
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def site() -> Path:
    """build/site/, built from the current notebooks and guides."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make site` (npm ci from site/package-lock.json).")
    try:
        return site_build.build(quiet=True).parent
    except site_build.SiteError as error:
        pytest.fail(str(error))


@pytest.fixture
def offline(browser):
    """A page whose every request to anything but file:// is blocked and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme="light")
    blocked = block_outside(context, LOCAL)
    errors: list[str] = []
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.blocked = blocked
    page.errors = errors
    yield page
    context.close()


def pages(site: Path) -> list[Path]:
    """Every page of the site (_static/ holds the theme's and MathJax's files)."""
    return sorted(path for path in site.rglob("*.html") if path.relative_to(site).parts[0] != "_static")


def check_page(page) -> dict:
    """What a reader would see go wrong on the open page, once its pictures and formulas are in."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => [...document.images].every(img => img.complete)")
    try:  # MathJax typesets after the load event, on pages with formulas
        page.wait_for_function("""() => !document.querySelector('.math')
            || (window.MathJax && MathJax.startup && MathJax.startup.document
                && document.querySelectorAll('mjx-container').length > 0)""", timeout=20_000)
        page.evaluate("async () => { await MathJax.startup.promise; await document.fonts.ready; }"
                      if page.evaluate("!!(window.MathJax && MathJax.startup)") else "document.fonts.ready")
    except PlaywrightTimeoutError:
        pass  # reported below as formulas left untypeset
    return page.evaluate("""() => {
      const article = document.querySelector('article') || document.body;
      const mathSource = [...article.querySelectorAll('.math')]
        .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60));
      return {
        pictures: [...article.querySelectorAll('img')].map(img => ({
          alt: img.getAttribute('alt'), width: img.naturalWidth, shown: img.getBoundingClientRect().width})),
        brokenPictures: [...document.images].filter(img => img.naturalWidth === 0).map(img => img.src.slice(0, 80)),
        formulas: article.querySelectorAll('.math').length,
        untypeset: mathSource,
        mathErrors: document.querySelectorAll('mjx-merror, merror').length,
        mathFontsFailed: [...document.fonts].filter(f => f.status === 'error').map(f => f.family),
        mathFontLoaded: [...document.fonts].some(f => f.family === 'MJXTEX' && f.status === 'loaded'),
        widgetErrors: [...article.querySelectorAll('.cell_output')]
          .some(output => output.innerText.includes('Error displaying widget')),
        liveNotes: article.querySelectorAll('.softmax-live-note').length,
        hubLinks: [...document.querySelectorAll('a.softmax-hub-link')].map(a => a.href),
      };
    }""")


def axe_violations(page, within: str | None = None, only=("tag", WCAG_21_AA)) -> list[dict]:
    """axe-core's violations on the open page (or within one selector's elements).

    inArticle tells the page's own content (inside <article>) from the theme's
    frame around it (header, sidebars, footer).
    """
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async ([within, type, values]) => {
      const context = within ? {include: [[within]]} : document;
      const result = await axe.run(context, {runOnly: {type, values}, resultTypes: ['violations']});
      return result.violations.map(v => ({
        rule: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
        inArticle: v.nodes.map(n => !!document.querySelector(n.target[0])?.closest('article')),
      }));
    }""", [within, only[0], list(only[1])])


def dark_theme_contrast(page) -> list[str]:
    """A reader whose system is set to dark gets the theme's dark colours, and HTML outputs on
    a light grey: what a lesson writes there must stay readable (axe's color-contrast rule on
    the cells' outputs; the prose and code around them are the theme's colours)."""
    page.emulate_media(color_scheme="dark")
    try:
        page.wait_for_function("document.documentElement.dataset.theme === 'dark'")
        violations = axe_violations(page, within=".cell_output", only=("rule", ["color-contrast"]))
    finally:
        page.emulate_media(color_scheme="light")
    return [f"axe, dark theme: {violations}"] if violations else []


def stores_pictures(stem: str) -> bool:
    """Whether the lesson's stored outputs hold a figure (the test `make slides` uses, tools/slides.py)."""
    import json

    return slides.draws_figures(json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text()))


def test_every_page_offline_draws_its_figures_and_math_and_passes_axe(site, offline):
    report = {}
    formulas = 0
    for path in pages(site):
        offline.goto(path.as_uri())
        seen = check_page(offline)
        formulas += seen["formulas"]
        name = path.relative_to(site).as_posix()
        problems = []
        if seen["brokenPictures"]:
            problems.append(f"pictures not drawn: {seen['brokenPictures']}")
        if any(not p["alt"] for p in seen["pictures"]):
            problems.append("a picture without alt text")
        if seen["untypeset"] or seen["mathErrors"]:
            problems.append(f"math not typeset: {seen['untypeset'][:3]}, {seen['mathErrors']} errors")
        if seen["mathFontsFailed"] or (seen["formulas"] and not seen["mathFontLoaded"]):
            problems.append(f"MathJax's font not loaded; failed: {seen['mathFontsFailed']}")
        if seen["widgetErrors"]:
            problems.append("'Error displaying widget' on the page")
        if name.startswith("notebooks/"):
            if not seen["pictures"] and stores_pictures(Path(name).stem):
                problems.append("a lesson with figures shows none")
            expected = f"notebooks%2F{Path(name).stem}.ipynb"
            if len(seen["hubLinks"]) != 1 or expected not in seen["hubLinks"][0]:
                problems.append(f"hub link {seen['hubLinks']} does not open {expected}")
        violations = axe_violations(offline)
        if violations:
            problems.append(f"axe: {violations}")
        if name.startswith("notebooks/"):
            problems += dark_theme_contrast(offline)
        report[name] = problems
    failures = {name: problems for name, problems in report.items() if problems}
    assert len(report) >= 8 + 5, f"only {len(report)} pages in {site}"
    assert formulas > 100, f"only {formulas} formulas on the whole site"
    assert not failures, failures
    assert offline.blocked == [], f"the site asked the network for {offline.blocked[:5]}"
    assert offline.errors == [], offline.errors


def saved_explorer_pictures(notebook: Path) -> list[str]:
    """The alt text of the picture stored with each explorer (widget output) of a lesson."""
    lesson = site_build.read_notebook(notebook)
    return [html.unescape(re.search(r'<img\b[^>]*\balt="([^"]+)"', output["data"]["text/html"]).group(1))
            for cell in lesson["cells"] for output in cell.get("outputs", [])
            if site_build.WIDGET_VIEW in output.get("data", {})]


def test_explorers_show_their_saved_pictures_with_alt_text(site, offline):
    lessons = {notebook: saved_explorer_pictures(notebook)
               for notebook in sorted(site_build.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}
    assert sum(len(alts) for alts in lessons.values()) >= 4, lessons
    for notebook, expected in lessons.items():
        if not expected:
            continue
        offline.goto((site / "notebooks" / f"{notebook.stem}.html").as_uri())
        check_page(offline)
        shown = offline.evaluate("""() => [...document.querySelectorAll('.softmax-live-note')].map(note => {
          const img = note.parentElement.querySelector('img');
          return {alt: img && img.alt, width: img ? img.naturalWidth : 0};
        })""")
        assert [picture["alt"] for picture in shown] == expected, notebook.name
        assert all(picture["width"] > 0 for picture in shown), notebook.name
    assert offline.blocked == []


def test_search_finds_a_lesson_and_opens_it(site, offline):
    offline.goto((site / "index.html").as_uri())
    offline.locator(".bd-sidebar-primary").get_by_role("button", name="Search").click()
    offline.get_by_role("searchbox").fill("from_logits")
    offline.keyboard.press("Enter")
    offline.wait_for_url("**/search.html?q=from_logits*")
    results = offline.locator("#search-results ul.search li a")
    results.first.wait_for()
    found = [unquote(urlparse(href).path).rsplit("/", 1)[-1]
             for href in results.evaluate_all("links => links.map(a => a.href)")]
    assert "04_preferred_logits_model.html" in found, found
    results.filter(has_text="preferred model").first.click()
    offline.wait_for_url("**/04_preferred_logits_model.html*")
    assert "preferred model" in offline.title().lower()
    assert offline.blocked == [] and offline.errors == [], (offline.blocked, offline.errors)


def test_next_links_walk_from_the_home_page_through_every_lesson(site, offline):
    lessons = sorted(path.stem for path in (site / "notebooks").glob("*.html"))
    offline.goto((site / "index.html").as_uri())
    visited = []
    for _ in range(len(lessons)):
        with offline.expect_navigation(wait_until="load"):
            offline.locator("a.right-next").click()
        visited.append(Path(unquote(urlparse(offline.url).path)).stem)
    assert visited == lessons
    assert offline.blocked == [] and offline.errors == [], (offline.blocked, offline.errors)


def test_a_request_to_leave_the_machine_is_stopped_and_recorded(site, offline):
    """The offline pages of every browser test: an outside address fails, and the test sees which."""
    offline.goto((site / "index.html").as_uri())
    outcome = offline.evaluate("""async (address) => {
      try { await fetch(address); return 'fetched'; } catch (error) { return 'failed'; }
    }""", "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js")
    assert outcome == "failed"
    assert offline.blocked == ["https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"]
