"""The slide metadata of every lesson, generated from its structure (never typed by hand).

tools/notebook_structure.py calls ``apply(notebook)`` for every lesson, and
``make present`` (Voilà) and ``make slides`` (decks) both read what it writes,
so the two modes show the same slides. Per cell it sets the standard
``"slideshow": {"slide_type": ...}`` and, when a rule below applies,
``"softmax_slides": {...}`` (read by slides/jupyter/.../softmax_cells.j2; a key of its
own: ``"softmax_lab"`` marks the cells notebook_structure generates).

Where a slide starts
- ``#`` and ``##`` headings start a slide, ``###`` a sub-slide (→ and space
  visit both: navigation is linear). A heading inside a markdown cell starts
  one too (slides/softmax-slides.js splits the cell there).
- A cell that would not fit on the slide so far starts a new sub-slide, which
  carries the title of the one before (``fits``, below). A figure shrinks to
  the room left on its slide, down to a floor that keeps its text readable.

What is left out (``skip``)
- the navigation links, the Imports section (the kernel guard, the imports
  and the lines that seed and style: a slide would only talk about code it
  hides), every worked solution (cells tagged ``worked-solution``) and every
  graded check of an exercise (nbgrader's ``grade`` cells: they only say
  "not done yet" to an audience).

Which code a slide shows (``"code": true``; all other code is hidden, its
outputs shown)
- code that defines a function or a class: the lesson is about that code;
- an exercise's skeleton (nbgrader's ``solution`` cells), the code students fill in;
- a scripted scenario (below);
- code the prose just before it talks about: a name it puts in backticks that
  the code uses, or "the cell".

Scripted scenarios (``"step": <cell id>``)
- A code cell that drives a widget an earlier cell showed (assigns to one of
  that cell's names, ``frequency.value = 2``, or calls a ``set_...`` method on
  it, ``explorer.set_z(...)``) is a step the presenter takes. Its outputs go on
  a slide of their own after its code; in ``make present`` that slide shows the
  widget live and a button that runs the step (tools/slides.py), so the widget
  starts where its own slide says.
"""

from __future__ import annotations

import ast
import base64
import re
from html.parser import HTMLParser

#: Cells tagged so are worked solutions: never on a slide, whatever else says.
WORKED_SOLUTION_TAG = "worked-solution"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IMPORTS_HEADING = "## Imports"
_BACKTICKED = re.compile(r"`([^`]+)`")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
#: Characters of code or printed output a slide line holds (28 px monospace, 1192 px wide).
MONO_COLUMNS = 70
#: Longer code is never shown: it cannot be read on a slide (lines after wrapping).
CODE_LINES_MAX = 16
_MENTIONS_A_CELL = re.compile(r"\b(?:the|this|next|previous) cell\b", re.IGNORECASE)


# ---------------------------------------------------------------- reading cells
def first_line(cell) -> str:
    return cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""


def heading_level(cell) -> int:
    """1, 2 or 3 for a markdown cell that opens with such a heading, else 0."""
    if cell.cell_type != "markdown":
        return 0
    found = re.match(r"(#{1,3}) ", first_line(cell))
    return len(found.group(1)) if found else 0


def is_navigation(cell) -> bool:
    return cell.get("metadata", {}).get("softmax_lab", {}).get("generated") in ("nav-top", "nav-bottom")


def is_worked_solution(cell) -> bool:
    return WORKED_SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def is_graded_check(cell) -> bool:
    grading = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(grading.get("grade")) and not grading.get("solution")


def is_exercise_skeleton(cell) -> bool:
    return cell.cell_type == "code" and bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def python_of(cell) -> ast.Module | None:
    """The cell's code as a syntax tree (IPython's % and ! lines left out), or None."""
    lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def shows_widget(cell) -> bool:
    return any(WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", []))


def shows_picture(cell) -> bool:
    """The cell's output is a picture (a figure, or a widget saved with its picture)."""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if WIDGET_VIEW in data or "image/png" in data or "<img" in str(data.get("text/html", "")):
            return True
    return False


def code_lines(text: str) -> int:
    """Lines a piece of code or printed text takes on a slide.

    A long line wraps at a space and goes on indented by its own indentation and
    two more characters (softmax-slides.js); a word is never cut, so a wrapped
    line holds a few characters less than the full width.
    """
    total = 0
    for line in text.rstrip("\n").splitlines():
        body = line.rstrip()
        indent = len(body) - len(body.lstrip(" "))
        first = MONO_COLUMNS - indent
        rest = max(MONO_COLUMNS - indent - 2 - 6, 10)  # 6: a word that does not fit moves down
        length = len(body) - indent
        total += 1 if length <= first else 1 + -(-(length - first + 6) // rest)
    return total


def defines_code(tree: ast.Module | None) -> bool:
    return tree is not None and any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.ClassDef)) for node in tree.body)


def bound_names(tree: ast.Module | None) -> set[str]:
    """Names a cell binds at its top level (assignments, loops, definitions, imports)."""
    names: set[str] = set()
    for node in ast.walk(tree) if tree is not None else []:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def driven_names(tree: ast.Module | None) -> set[str]:
    """Names whose object the cell changes: ``name.attr = ...`` or ``name.set_...(...)``."""
    names: set[str] = set()
    for node in ast.walk(tree) if tree is not None else []:
        if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)):
            names.add(node.value.id)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr.startswith("set_") and isinstance(node.func.value, ast.Name)):
            names.add(node.func.value.id)
    return names


def code_mentioned(markdown: str, source: str, cell_counts: bool = True) -> bool:
    """Does the prose talk about this code: a backticked name it uses, or "the cell"?"""
    if cell_counts and _MENTIONS_A_CELL.search(markdown):
        return True
    for span in _BACKTICKED.findall(markdown):
        for name in _NAME.findall(span):
            if len(name) >= 3 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", source):
                return True
    return False


# ---------------------------------------------------------------- how tall a cell is on a slide
# Slide pixels, for slides/softmax-slides.css (a 1280 x 720 page, 30 px text, 28 px
# monospace). Measured on the lessons' decks (tests/e2e/test_slides_fit.py prints
# the real heights when a slide overflows); the estimates err on the tall side.
PAGE_HEIGHT = 720 - 18 - 14     # the page's padding
GAP = 12                        # between two cells
CONTINUED = 36 + GAP            # the title a continuing slide repeats
BODY_LINE = 41.0                # 30 px x 1.32, and a little for inline math
BODY_COLUMNS = 78               # characters of prose on a line (about 82 fit)
PARAGRAPH_GAP = 13.5
HEADINGS = {1: (60 + 13, 46), 2: (51 + 11, 54), 3: (44 + 9.5, 62)}  # level: (line, characters)
MONO_LINE = 33.6                # 28 px x 1.2
CODE_PADDING = 30
TABLE_ROW = 49.0
MARKDOWN_PADDING = 10.0
HTML_LINE = 40.0
#: A figure may shrink to this share of its size: its 24.75-px text is then 17 px.
FIGURE_MIN_SCALE = 0.7
#: Presenter pictures are drawn at 120 dpi, stored ones at 100 (lab_utils_common.presenter_mode).
PRESENTER_GROWTH = 1.2
#: ... and their larger text makes them a little taller again.
PRESENTER_TALLER = 1.1
#: A live explorer in `make present`: its controls beside a figure this much taller.
WIDGET_EXTRA = 24
#: The button under a step's live widget in `make present`.
STEP_BUTTON = 56


def prose_width(text: str) -> float:
    """Characters a line of markdown takes, roughly, as rendered (math and markup shrink)."""
    text = re.sub(r"\$\$.*?\$\$", "", text)
    text = re.sub(r"\$([^$]*)\$", lambda m: "x" * max(1, len(re.sub(r"\\[A-Za-z]+|[{}^_\\]", "", m.group(1))) // 2 + 1), text)
    text = re.sub(r"`([^`]*)`", lambda m: "x" * int(len(m.group(1)) * 1.2 + 1), text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_]{1,2}", "", text)
    return len(text)


def wrapped(text: str, columns: int) -> int:
    return max(1, -(-int(prose_width(text)) // columns))


def display_math_height(tex: str) -> float:
    rows = tex.count("\\\\") + 1
    tall = 2.4 if ("\\frac" in tex or "\\sum" in tex or rows > 1) else 1.5
    return BODY_LINE * max(tall, rows * 1.35 + 0.9) + 18


class Element:
    """A top-level element of a rendered markdown cell: its tag, its text, and its items or rows."""

    def __init__(self, tag: str):
        self.tag, self.text, self.items, self.rows = tag, "", [], []

    @property
    def heading(self) -> int:
        return int(self.tag[1]) if re.fullmatch(r"h[1-6]", self.tag) else 0


class _TopLevel(HTMLParser):
    """Splits rendered markdown HTML into its top-level elements, as they sit in a slide's DOM."""

    VOID = {"br", "img", "hr", "input", "meta", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.depth = 0
        self.path: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.depth == 0:
            self.elements.append(Element(tag))
        element = self.elements[-1] if self.elements else None
        if element is not None:
            if tag == "li" and self.path.count("li") == 0:
                element.items.append("")
            if tag == "tr":
                element.rows.append([])
            if tag in ("td", "th") and element.rows:
                element.rows[-1].append("")
        self.path.append(tag)
        self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.path:
            return
        self.path.pop()
        self.depth -= 1

    def handle_data(self, data):
        if self.depth == 0 or not self.elements:
            return
        element = self.elements[-1]
        if "a" in self.path and data.strip() == "\u00b6":  # the heading's anchor link
            return
        element.text += data
        if element.items and "li" in self.path:
            element.items[-1] += data
        if element.rows and element.rows[-1] and ("td" in self.path or "th" in self.path):
            element.rows[-1][-1] += data


def markdown_elements(source: str) -> list[Element]:
    """The top-level elements nbconvert renders a markdown cell into (both modes use its HTML)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    parser = _TopLevel()
    parser.feed(markdown2html_mistune(source))
    parser.close()
    return parser.elements


def element_height(element: Element) -> float:
    """Estimated height of one top-level markdown element on a slide."""
    flat = " ".join(element.text.split())
    if element.heading:
        line, columns = HEADINGS.get(element.heading, HEADINGS[3])
        return line * wrapped(flat, columns)
    if element.tag in ("ul", "ol"):
        return sum(item_height(item) for item in element.items or [flat]) + PARAGRAPH_GAP
    if element.tag == "table":
        columns = max((len(row) for row in element.rows), default=1)
        width = int(BODY_COLUMNS / columns * 1.15)  # columns take the room their text needs
        return sum(TABLE_ROW + BODY_LINE * (max((wrapped(" ".join(cell.split()), width) for cell in row),
                                                default=1) - 1)
                   for row in element.rows) + PARAGRAPH_GAP
    if element.tag == "pre":
        return MONO_LINE * code_lines(element.text) + CODE_PADDING
    if element.tag == "details":
        return BODY_LINE + PARAGRAPH_GAP
    height = 0.0
    for part in re.split(r"(\$\$.*?\$\$)", element.text, flags=re.DOTALL):
        if part.startswith("$$"):
            height += display_math_height(part)
        elif part.strip():
            height += BODY_LINE * wrapped(" ".join(part.split()), BODY_COLUMNS)
    return height + PARAGRAPH_GAP


def item_height(text: str) -> float:
    """Estimated height of one item of a list."""
    return BODY_LINE * wrapped(" ".join(text.split()), BODY_COLUMNS - 4) + 6


def markdown_height(source: str) -> float:
    """Estimated height of a markdown cell on one slide."""
    return MARKDOWN_PADDING + sum(element_height(element) for element in markdown_elements(source))


def picture_size(output) -> tuple[float, float] | None:
    """(width, height) in pixels of the picture an output holds, as stored, or None."""
    data = output.get("data", {})
    encoded = data.get("image/png")
    html_text = str(data.get("text/html", ""))
    if not encoded:
        found = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]{32})', html_text)
        encoded = found.group(1) if found else None
    if not encoded:
        return None
    header = base64.b64decode(str(encoded).strip()[:32])
    return float(int.from_bytes(header[16:20], "big")), float(int.from_bytes(header[20:24], "big"))


def output_heights(cell) -> tuple[float, float]:
    """(smallest, natural) height of a code cell's outputs on a slide."""
    smallest = natural = 0.0
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        data = output.get("data", {})
        size = picture_size(output)
        if size is not None:
            width, height = size[0] * PRESENTER_GROWTH, size[1] * PRESENTER_GROWTH * PRESENTER_TALLER
            if width > 1192:
                height *= 1192 / width
            if WIDGET_VIEW in data:
                live = height + WIDGET_EXTRA
                smallest, natural = smallest + live + GAP, natural + live + GAP
            else:
                smallest += height * FIGURE_MIN_SCALE + GAP
                natural += height + GAP
            continue
        if kind == "stream":
            text = output.get("text", "")
        elif kind == "error":
            text = "\n".join(output.get("traceback", [])[-2:])
            text = re.sub(r"\x1b\[[0-9;]*m", "", text)
        else:
            text = data.get("text/plain", "")
            if "text/html" in data and WIDGET_VIEW not in data:
                # Rich text (a checker's report): its lines as printed, a little taller.
                height = HTML_LINE * code_lines(str(text)) + 2 * CODE_PADDING + GAP
                smallest, natural = smallest + height, natural + height
                continue
        height = MONO_LINE * code_lines(str(text)) + GAP
        smallest, natural = smallest + height, natural + height
    return smallest, natural


def code_height(cell, settings: dict) -> tuple[float, float]:
    """(input, outputs' smallest) height of a code cell on a slide."""
    shown = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("# NBVAL_"))
    code = MONO_LINE * code_lines(shown) + CODE_PADDING + GAP if settings.get("code") else 0.0
    return code, output_heights(cell)[0]


# ---------------------------------------------------------------- the rules
def skipped(cells) -> list[bool]:
    """Which cells never reach a slide."""
    result = []
    in_imports = False
    for cell in cells:
        level = heading_level(cell)
        if level in (1, 2):
            in_imports = first_line(cell).strip() == IMPORTS_HEADING
        result.append(in_imports or is_navigation(cell) or is_worked_solution(cell)
                      or is_graded_check(cell))
    return result


def steps(cells, skip: list[bool]) -> dict[int, str]:
    """Scripted scenarios: {index of the step's cell: id of the widget cell it drives}."""
    widget_names: dict[str, str] = {}  # name -> id of the latest widget cell that bound it
    found = {}
    for index, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        tree = python_of(cell)
        if shows_widget(cell):
            for name in bound_names(tree):
                widget_names[name] = cell.get("id", "")
        elif not skip[index]:
            driven = [widget_names[name] for name in sorted(driven_names(tree)) if name in widget_names]
            if driven and driven[0]:
                found[index] = driven[0]
    return found


def slide_settings(cells) -> list[tuple[str, dict]]:
    """(slide_type, softmax_slides settings) for every cell, in order."""
    skip = skipped(cells)
    scenario = steps(cells, skip)
    result = []
    prose = ""  # the markdown before the code cells that follow it
    for index, cell in enumerate(cells):
        settings: dict = {}
        if skip[index]:
            result.append(["skip", settings])
            continue
        slide_type = {1: "slide", 2: "slide", 3: "subslide"}.get(heading_level(cell), "-")
        if cell.cell_type == "markdown":
            prose = cell.source
        elif cell.cell_type == "code":
            if index in scenario:
                settings["step"] = scenario[index]
            if shows_code(cell, prose, index in scenario):
                settings["code"] = True
            if shows_picture(cell):
                settings["figure"] = True
        result.append([slide_type, settings])
    paginate(cells, result)
    return [(slide_type, settings) for slide_type, settings in result]


def live_widget_height(cells, cell_id: str) -> float:
    """Height of the live view a step shows: the widget of the cell with ``cell_id``."""
    for cell in cells:
        if cell.get("id") == cell_id:
            return output_heights(cell)[0]
    return 0.0


def paginate(cells, result: list[list]) -> None:
    """Start a new slide wherever the slide so far is full (in place on ``result``).

    The units laid out one after another are the top-level elements of markdown
    cells and the code cells (code and outputs). A unit that does not fit starts
    a new slide, which repeats the title of the one before: at a cell, its
    slide_type becomes "subslide"; inside a markdown cell, the element's index
    goes into the cell's "breaks" (softmax-slides.js splits the cell there).
    A heading never ends a slide: it moves on with what follows it. A heading
    inside a markdown cell starts a slide, unless it follows another heading.

    A code cell that does not fit, in order of preference: moves to a new slide
    with the one-paragraph cell that introduces it; keeps its code here and puts
    its outputs on the next slide ("apart"); moves alone; moves with its
    introduction, apart; moves alone, apart. A step (a scripted scenario) always
    puts its outputs apart: its slide also holds the live widget it drives and,
    in `make present`, the button that runs it.
    """
    elements = {index: markdown_elements(cell.source)
                for index, cell in enumerate(cells) if cell.cell_type == "markdown"}

    def is_heading(unit) -> bool:
        return unit.position is not None and elements[unit.cell][unit.position].heading > 0

    def introduces(unit) -> bool:
        """A markdown cell of one paragraph, which leads into the code cell after it."""
        return unit.position == 0 and len(elements[unit.cell]) == 1 and not is_heading(unit)

    units = []
    for index, cell in enumerate(cells):
        slide_type = result[index][0]
        if slide_type == "skip":
            continue
        starts = slide_type in ("slide", "subslide")
        if cell.cell_type == "markdown":
            for position, element in enumerate(elements[index]):
                inner = position > 0 and element.heading and not elements[index][position - 1].heading
                forced = (starts and position == 0) or bool(inner)
                if element.tag in ("ul", "ol") and len(element.items) > 1:
                    # A long list may go on on the next slide: its items are units of their own.
                    for item, text in enumerate(element.items):
                        height = item_height(text) + (PARAGRAPH_GAP if item == len(element.items) - 1 else 0)
                        units.append(_Unit(index, position, height, forced and item == 0, item))
                else:
                    units.append(_Unit(index, position, element_height(element), forced))
        else:
            units.append(_Unit(index, None, 0.0, starts))

    def break_before(unit) -> None:
        if unit.position or unit.item:
            breaks = result[unit.cell][1].setdefault("breaks", [])
            where = f"{unit.position}.{unit.item}" if unit.item else str(unit.position)
            if where not in breaks:
                breaks.append(where)
        elif result[unit.cell][0] == "-":
            result[unit.cell][0] = "subslide"

    def top_of(first) -> float:
        """Room a new slide starting with ``first`` has used before it."""
        return 0.0 if is_heading(first) else CONTINUED

    used, page = 0.0, []

    def new_page(moved: list, first) -> None:
        nonlocal used, page
        break_before(moved[0] if moved else first)
        used = top_of(moved[0] if moved else first) + sum(unit.height + GAP for unit in moved)
        page = list(moved)

    def place(unit, height: float) -> None:
        nonlocal used
        unit.height = height
        used += height + GAP
        page.append(unit)

    def outputs_apart(unit, outputs: float, step: bool) -> None:
        nonlocal used, page
        if not step:
            result[unit.cell][1]["apart"] = True
        unit.height = outputs
        used, page = CONTINUED + outputs + GAP, [unit]

    for unit in units:
        if unit.forced:
            if unit.position or unit.item:
                break_before(unit)
            used, page = 0.0, []
        heading_last = len(page) > 1 and is_heading(page[-1])
        if unit.position is not None:  # a markdown element
            if page and used + unit.height > PAGE_HEIGHT:
                new_page(page[-1:] if heading_last else [], unit)
            place(unit, unit.height)
            continue
        settings = result[unit.cell][1]
        code, outputs = code_height(cells[unit.cell], settings)
        step = bool(settings.get("step"))
        if step:
            outputs += live_widget_height(cells, settings["step"]) + STEP_BUTTON
            if page and used + code > PAGE_HEIGHT:
                new_page(page[-1:] if heading_last or introduces(page[-1]) and len(page) > 1 else [], unit)
            if code:
                place(unit, code)
            outputs_apart(unit, outputs, step=True)
            continue
        whole = code + outputs
        if not page or used + whole <= PAGE_HEIGHT:
            place(unit, whole)
            continue
        lead = page[-1:] if len(page) > 1 and (heading_last or introduces(page[-1])) else []
        lead_height = top_of(lead[0]) + lead[0].height + GAP if lead else 0.0
        if lead and lead_height + whole <= PAGE_HEIGHT:                 # with its introduction
            new_page(lead, unit)
            place(unit, whole)
        elif code and not heading_last and used + code <= PAGE_HEIGHT:  # code here, outputs next
            place(unit, code)
            outputs_apart(unit, outputs, step=False)
        elif not heading_last and CONTINUED + whole <= PAGE_HEIGHT:     # alone
            new_page([], unit)
            place(unit, whole)
        elif code and lead and lead_height + code <= PAGE_HEIGHT:       # with its introduction, apart
            new_page(lead, unit)
            place(unit, code)
            outputs_apart(unit, outputs, step=False)
        else:                                                           # alone, apart if it helps
            new_page(lead if heading_last else [], unit)
            if code and used + whole > PAGE_HEIGHT:
                place(unit, code)
                outputs_apart(unit, outputs, step=False)
            else:
                place(unit, whole)
    for _, settings in result:
        if "breaks" in settings:
            settings["breaks"].sort(key=lambda where: tuple(map(int, where.split("."))))


class _Unit:
    """What paginate lays out: a markdown cell's element (position; item, for a list's
    item), or a code cell (position None)."""

    def __init__(self, cell: int, position: int | None, height: float, forced: bool, item: int = 0):
        self.cell, self.position, self.height, self.forced, self.item = cell, position, height, forced, item


def shows_code(cell, prose: str, is_step: bool) -> bool:
    """Whether a slide shows this code cell's source (see the module's docstring)."""
    if is_step or is_exercise_skeleton(cell):
        return True
    if code_lines(cell.source) > CODE_LINES_MAX:
        return False
    if defines_code(python_of(cell)):
        return True
    # Drawing code is not what a figure's slide is about, unless the prose names it.
    return code_mentioned(prose, cell.source, cell_counts=not shows_picture(cell))


def apply(notebook):
    """Write the slide metadata of every cell of ``notebook`` (in place); return it."""
    for cell, (slide_type, settings) in zip(notebook.cells, slide_settings(notebook.cells)):
        cell.metadata.setdefault("slideshow", {})["slide_type"] = slide_type
        if settings:
            cell.metadata["softmax_slides"] = settings
        else:
            cell.metadata.pop("softmax_slides", None)
    return notebook
