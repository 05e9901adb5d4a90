"""The lessons' website (`make site`, site/build_site.py): what it shows and that its links hold.

The module builds the site the way `make site` does (about 5 CPU-seconds),
then reads build/site/ as files:
every internal link and anchor resolves, every lesson is a page with its
pictures and its hub link, and no worked solution is anywhere in it. The
browser test (tests/e2e/test_site_e2e.py) opens the same pages in Chromium.
"""

from __future__ import annotations

import copy
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "site"))
import build_site  # noqa: E402 - site/build_site.py
import softmax_site  # noqa: E402 - site/softmax_site.py

SOLUTION_SOURCE = ROOT / "instructor" / "source" / "exercises" / "07_exercises.ipynb"
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = build_site.WIDGET_VIEW


class Page(HTMLParser):
    """One HTML file: its ids, its links (href and src) and its visible text."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (attribute, value)
        self.pictures: list[dict] = []
        self.text_parts: list[str] = []
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attributes.get(name):
                self.ids.add(attributes[name])
        for name in ("href", "src"):
            if attributes.get(name) is not None:
                self.links.append((name, attributes[name]))
        if tag == "img":
            self.pictures.append(attributes)

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)


@pytest.fixture(scope="module")
def site() -> Path:
    """build/site/, built from the current notebooks and guides."""
    try:
        return build_site.build(quiet=True).parent
    except build_site.SiteError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def pages(site) -> dict[Path, Page]:
    return {path: Page(path) for path in sorted(site.rglob("*.html"))}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def solution_lines() -> list[str]:
    """The lines between ### BEGIN SOLUTION and ### END SOLUTION in the instructor's 07
    that say something (``else:`` alone does not)."""
    notebook = build_site.read_notebook(SOLUTION_SOURCE)
    lines = []
    for cell in notebook["cells"]:
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell["source"], re.S):
            lines += [line.strip() for line in region.splitlines() if len(line.strip()) >= 12]
    return lines


# ---------------------------------------------------------------- what the build makes of a lesson

def lesson(*cells, metadata=None) -> dict:
    return {"cells": list(cells), "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}


def markdown(source: str, tags=()) -> dict:
    return {"cell_type": "markdown", "metadata": {"tags": list(tags)}, "source": source}


def widget_output(picture: str) -> dict:
    data = {WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0},
            "text/plain": "[interactive figure]"}
    if picture:
        data["text/html"] = picture
    return {"cell_type": "code", "metadata": {}, "source": "explorer", "execution_count": 1,
            "outputs": [{"output_type": "display_data", "data": data, "metadata": {}}]}


def test_student_version_leaves_out_worked_solutions_and_keeps_the_exercise():
    notebook = lesson(markdown("# Exercises"), markdown("<details>answer</details>", tags=["worked-solution"]),
                      markdown("## Exercise 2"))
    shown = build_site.student_version(notebook, {"07_x.ipynb": notebook}, "07_x.ipynb")
    assert [cell["source"] for cell in shown["cells"]] == ["# Exercises", "## Exercise 2"]
    assert len(notebook["cells"]) == 3, "the lesson itself was changed"


def test_student_version_shows_an_explorer_as_its_saved_picture_without_widget_state():
    picture = '<img src="data:image/png;base64,AAAA" alt="Two bar charts of z and a."/>'
    notebook = lesson(widget_output(picture), metadata={"widgets": {"state": {}}})
    original = copy.deepcopy(notebook)
    shown = build_site.student_version(notebook, {"01_x.ipynb": notebook}, "01_x.ipynb")
    data = shown["cells"][0]["outputs"][0]["data"]
    assert WIDGET_VIEW not in data and "widgets" not in shown["metadata"]
    assert data["text/html"].startswith(picture) and "softmax-live-note" in data["text/html"]
    assert notebook == original


@pytest.mark.parametrize("picture", ["", '<img src="data:image/png;base64,AAAA"/>'])
def test_an_explorer_without_a_saved_picture_with_alt_text_stops_the_build(picture):
    notebook = lesson(widget_output(picture))
    with pytest.raises(build_site.SiteError, match="01_x.ipynb: an explorer output has no saved picture") as error:
        build_site.student_version(notebook, {"01_x.ipynb": notebook}, "01_x.ipynb")
    assert "make execute NB=notebooks/01_x.ipynb" in str(error.value)


def test_jupyterlab_anchors_become_the_sites_and_a_missing_one_stops_the_build():
    contents = lesson(markdown("# Start\n\n## Contents of the course\n"))
    linking = lesson(markdown("[Contents](00_a.ipynb#Contents-of-the-course) and [top](#Start)\n\n# Start"))
    lessons = {"00_a.ipynb": contents, "01_b.ipynb": linking}
    shown = build_site.student_version(linking, lessons, "01_b.ipynb")
    assert shown["cells"][0]["source"].startswith("[Contents](00_a.ipynb#contents-of-the-course) and [top](#start)")
    broken = lesson(markdown("[Contents](00_a.ipynb#Contnets)"))
    with pytest.raises(build_site.SiteError, match="00_a.ipynb#Contnets"):
        build_site.student_version(broken, {**lessons, "02_c.ipynb": broken}, "02_c.ipynb")


def test_the_hub_link_pulls_the_repository_and_opens_the_lesson():
    hub = {"hub_url": "https://hub.example.edu/", "repo_url": "https://github.com/someone/softmax-lab",
           "branch": "spring", "folder": "softmax-lab"}
    link = urlparse(softmax_site.nbgitpuller_link(hub, "notebooks/01_softmax_function.ipynb"))
    assert (link.scheme, link.netloc, link.path) == ("https", "hub.example.edu", "/hub/user-redirect/git-pull")
    assert parse_qs(link.query) == {
        "repo": ["https://github.com/someone/softmax-lab"], "branch": ["spring"],
        "targetpath": ["softmax-lab"], "urlpath": ["lab/tree/softmax-lab/notebooks/01_softmax_function.ipynb"]}
    with pytest.raises(Exception, match="softmax_hub in site/conf.py has no branch"):
        softmax_site.nbgitpuller_link({**hub, "branch": ""}, "notebooks/01_softmax_function.ipynb")


def test_a_guides_link_to_a_repository_file_that_is_no_page_points_into_the_repository():
    assert softmax_site.repository_file("docs/hub", "../Makefile") == "Makefile"
    assert softmax_site.repository_file("docs/hub", "../hub/run_hub.py#L3") == "hub/run_hub.py"
    assert softmax_site.repository_file("CONTRIBUTING", "tools/slides.py") == "tools/slides.py"
    assert softmax_site.repository_file("docs/hub", "../hub") == "hub"
    for target in ("../nope.py", "../../etc/passwd", "https://example.org/x.py", "#top", ".."):
        assert softmax_site.repository_file("docs/hub", target) is None, target


# ---------------------------------------------------------------- the built site

def test_every_internal_link_and_anchor_on_the_site_resolves(site, pages):
    broken = []
    checked = 0
    for path, page in pages.items():
        for attribute, value in page.links:
            url = urlparse(value)
            if url.scheme or value.startswith("//"):
                continue  # http(s), mailto, data: not part of the site (the browser test blocks any request)
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            where = f"{path.relative_to(site)}: {attribute}={value!r}"
            if not target.is_relative_to(site):
                broken.append(f"{where} leaves the site")
            elif not target.is_file():
                broken.append(f"{where}: no file {target.relative_to(site)}")
            elif url.fragment and target.suffix == ".html" and unquote(url.fragment) not in pages[target].ids:
                broken.append(f"{where}: no anchor #{url.fragment} in {target.relative_to(site)}")
            checked += 1
    assert not broken, "\n".join(broken)
    assert checked > 500, f"only {checked} internal links checked"


def test_every_page_is_reachable_and_no_link_leaves_for_a_local_path(site, pages):
    linked = {site / "index.html"}
    for path, page in pages.items():
        for _, value in page.links:
            url = urlparse(value)
            assert url.scheme != "file", f"{path.relative_to(site)} links to a local file {value}"
            if not url.scheme and url.path.endswith(".html"):
                linked.add((path.parent / unquote(url.path)).resolve())
    orphans = [path.relative_to(site).as_posix() for path in pages if path not in linked]
    assert not orphans, f"pages no link reaches: {orphans}"


def test_every_lesson_is_a_page_with_its_pictures_and_its_hub_link(site, pages):
    from conf import softmax_hub  # site/conf.py: the one place the hub link's values are set

    for notebook in LESSONS:
        page = pages.get(site / "notebooks" / f"{notebook.stem}.html")
        assert page is not None, f"{notebook.name} has no page"
        expected_pictures = notebook.read_text(encoding="utf-8").count("<img ")
        assert len(page.pictures) == expected_pictures, notebook.name
        assert all(picture.get("alt") for picture in page.pictures), notebook.name
        hub_links = [value for _, value in page.links if "/hub/user-redirect/git-pull?" in value]
        assert hub_links == [softmax_site.nbgitpuller_link(softmax_hub, f"notebooks/{notebook.name}")]


def test_explorers_are_their_saved_pictures_and_no_widget_state_or_cdn_is_on_the_site(site, pages):
    explorers = sum(notebook.read_text(encoding="utf-8").count(WIDGET_VIEW) for notebook in LESSONS)
    notes = sum(page.text.count("A picture saved with the lesson") for page in pages.values())
    assert explorers >= 4 and notes == explorers
    for path, page in pages.items():
        html = path.read_text(encoding="utf-8")
        assert "widget-state+json" not in html and "embed-amd.js" not in html, path
        assert not [value for _, value in page.links
                    if urlparse(value).scheme in {"http", "https"} and value.rsplit(".", 1)[-1] in {"js", "css"}]


def test_no_worked_solution_reaches_the_site(site, pages):
    lines = solution_lines()
    assert len(lines) >= 10, f"only {len(lines)} solution lines found in {SOLUTION_SOURCE}"
    exercises = squeeze(pages[site / "notebooks" / "07_exercises.html"].text)
    assert "def my_softmax_stable(z):" in exercises and "raise NotImplementedError()" in exercises
    texts = {path: squeeze(page.text) for path, page in pages.items()}
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in {".js", ".json", ".txt", ".ipynb", ".md"}:
            texts[path] = squeeze(path.read_text(encoding="utf-8", errors="replace"))
    found = [f"{path.relative_to(site)}: {line}" for path, text in texts.items()
             for line in lines if squeeze(line) in text]
    assert not found, "\n".join(found)
