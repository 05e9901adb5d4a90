"""The feedback page of one submission: a self-contained HTML file with no script.

Everything on the page is either the release's own text or escaped: the
student's markdown is rendered with raw HTML escaped and harmful links removed,
their outputs are shown as text (and PNG images), and nothing they wrote can
add markup. The release's equations are turned into SVG here, by MathJax under
node (grading/mathjax_svg.js, installed from grading/package-lock.json), so the
page shows its math offline, in any browser, with no script and no font files.
Without node or MathJax the equations stay as TeX source, and make says so once.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import mistune
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from grading.grader import Exercise, Result

HERE = Path(__file__).resolve().parent
MATHJAX_SCRIPT = HERE / "mathjax_svg.js"
MATHJAX = HERE / "node_modules" / "mathjax" / "es5" / "node-main.js"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# $$...$$ first, then $...$ (not \$, not across a blank line), outside `code`.
MATH = re.compile(r"(`+)(?:.|\n)*?\1|\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$", re.S)
PNG = b"\x89PNG\r\n\x1a\n"

_markdown = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def math_problem() -> str | None:
    """None when equations can be rendered; otherwise why not, in one sentence."""
    if shutil.which("node") is None:
        return "node is not installed, so the feedback shows equations as TeX source"
    if not MATHJAX.exists():
        return ("MathJax is not installed (make autograde installs it with npm), so the feedback "
                "shows equations as TeX source")
    return None


class MathRenderer:
    """TeX to SVG, every equation once per run, in one node process per batch."""

    def __init__(self):
        self.cache: dict[tuple[str, bool], str | None] = {}
        self.problem = math_problem()

    def render(self, items: list[tuple[str, bool]]) -> None:
        missing = [item for item in dict.fromkeys(items) if item not in self.cache]
        if not missing:
            return
        svgs = [None] * len(missing)
        if self.problem is None:
            run = subprocess.run(["node", str(MATHJAX_SCRIPT)], capture_output=True, text=True,
                                 timeout=120, input=json.dumps(
                                     [{"tex": tex, "display": display} for tex, display in missing]))
            if run.returncode == 0:
                svgs = json.loads(run.stdout)
            else:
                self.problem = "MathJax failed (" + (run.stderr.strip().splitlines() or ["?"])[-1][:120] + ")"
        self.cache.update(zip(missing, svgs))

    def html(self, tex: str, display: bool) -> str:
        svg = self.cache.get((tex, display))
        if svg:
            return svg
        text = html.escape(("$$%s$$" if display else "$%s$") % tex)
        return f'<code class="tex">{text}</code>'


def equations(source: str) -> list[tuple[str, bool]]:
    return [(m.group(2), True) if m.group(2) is not None else (m.group(3), False)
            for m in MATH.finditer(source) if m.group(2) is not None or m.group(3) is not None]


def markdown(source: str, math: MathRenderer | None) -> str:
    """Markdown as HTML with raw HTML escaped; with ``math``, equations as SVG."""
    if math is None:
        return _markdown(source)
    found = []

    def protect(match):
        if match.group(2) is None and match.group(3) is None:
            return match.group(0)  # code: left as it is
        found.append((match.group(2), True) if match.group(2) is not None else (match.group(3), False))
        return f"MATHPLACEHOLDER{len(found) - 1}X"

    rendered = _markdown(MATH.sub(protect, source))
    return re.sub(r"MATHPLACEHOLDER(\d+)X", lambda m: math.html(*found[int(m.group(1))]), rendered)


# ------------------------------------------------------------------ cells


def _code(source: str) -> str:
    return highlight(source, PythonLexer(), HtmlFormatter(nowrap=True))


def _text(text: str, css: str = "output") -> str:
    return f'<pre class="{css}">{html.escape(ANSI.sub("", str(text)))}</pre>'


def _image(data) -> str:
    try:
        raw = base64.b64decode(str(data), validate=True)
    except ValueError:
        return ""
    if not raw.startswith(PNG):
        return ""
    return f'<img alt="a figure your code drew" src="data:image/png;base64,{base64.b64encode(raw).decode()}">'


def _outputs(outputs: list) -> str:
    parts = []
    for output in outputs if isinstance(outputs, list) else []:
        if not isinstance(output, dict):
            continue
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(_text(output.get("text", ""), "output stderr" if output.get("name") == "stderr"
                               else "output"))
        elif kind in ("display_data", "execute_result"):
            data = output.get("data") if isinstance(output.get("data"), dict) else {}
            if "image/png" in data:
                parts.append(_image(data["image/png"]))
            elif "text/plain" in data:
                parts.append(_text(data["text/plain"]))
        elif kind == "error":
            lines = [ANSI.sub("", str(line)) for line in output.get("traceback", [])
                     if "/grader/runner.py" not in str(line)]
            parts.append(_text("\n".join(lines[-30:]) or f"{output.get('ename')}: {output.get('evalue')}",
                               "output error"))
    return "".join(parts)


def _sentence(text: str) -> str:
    """A verdict sentence as HTML: escaped, with its `quoted code` as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _exercise(exercise: Exercise) -> str:
    graded = exercise.cell
    earned = f"{exercise.earned:g} of {graded.points:g} points"
    if exercise.sentence:
        body = f'<div class="verdict failed"><b>{_sentence(exercise.sentence)}</b></div>'
    else:
        body = exercise.report_html  # built by lab_utils_checks from escaped text
    return f'{body}<p class="points"><b>{earned}</b></p>'


def _summary_rows(result: Result) -> str:
    rows = []
    for exercise in result.exercises:
        what = exercise.sentence or (exercise.report_text.splitlines() or [""])[0]
        rows.append(f"<tr><td>{html.escape(exercise.cell.label)}</td>"
                    f"<td>{exercise.earned:g} of {exercise.cell.points:g}</td>"
                    f"<td>{_sentence(what)}</td></tr>")
    return "".join(rows)


STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1a1a1a; }
h1.page { font-size: 1.6rem; }
table { border-collapse: collapse; margin: 0.8rem 0; }
td, th { border: 1px solid #bbb; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
.cell { margin: 1rem 0; }
pre { margin: 0; padding: 0.5rem 0.7rem; overflow-x: auto; white-space: pre-wrap; }
pre.source { background: #f5f5f5; border-left: 4px solid #9ab; }
.graded pre.source { border-left-color: #c60; }
.graded .label { font-size: 0.85rem; color: #a40; font-weight: bold; }
pre.output { border-left: 4px solid #ddd; }
pre.stderr { background: #fff6e5; }
pre.error { background: #fdf0f0; }
pre.student-markdown { background: #fafafa; border-left: 4px dotted #bbb; }
.note, .verdict.failed { border-left: 6px solid #c00000; background: #fdf0f0; padding: 0.5rem 0.9rem;
       margin: 0.3rem 0; }
.points { margin: 0.2rem 0; }
code.tex { color: #333; }
mjx-container[display="true"] { display: block; text-align: center; margin: 1em 0; }
mjx-container svg { overflow: visible; }
"""


def page(title: str, heading: str, body: str) -> str:
    css = STYLE + re.sub(r"\s*/\*.*?\*/", "", HtmlFormatter().get_style_defs("pre.source"))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{css}</style></head>"
            f'<body><h1 class="page">{html.escape(heading)}</h1>{body}</body></html>\n')


def feedback_page(student: str, notebook_name: str, result: Result, max_score: float,
                  math: MathRenderer) -> str:
    """The whole page: the score, one line per exercise, then the notebook as graded."""
    math.render([item for cell in result.cells if cell.kind == "markdown" and cell.trusted
                 for item in equations(cell.source)])
    parts = [f"<p>{html.escape(student)}: <b>{result.score:g} of {max_score:g} points</b>. "
             f"Each exercise was graded by running its checks on your function, as in the notebook."
             f"</p><table><tr><th>Exercise</th><th>Points</th><th>What the checks found</th></tr>"
             f"{_summary_rows(result)}</table><hr>"]
    for cell in result.cells:
        if cell.kind == "markdown":
            if cell.trusted:
                parts.append(f'<div class="cell markdown">{markdown(cell.source, math)}</div>')
            else:
                parts.append(f'<div class="cell"><pre class="student-markdown">'
                             f'{html.escape(cell.source)}</pre></div>')
        elif cell.kind == "graded":
            parts.append(f'<div class="cell graded"><div class="label">Graded cell, as the instructor '
                         f'wrote it: the grader ran its checks on your function</div>'
                         f'<pre class="source">{_code(cell.source)}</pre>'
                         f'{_exercise(cell.exercise)}</div>')
        elif cell.kind == "code":
            note = f'<div class="note"><b>{html.escape(cell.note)}</b></div>' if cell.note else ""
            parts.append(f'<div class="cell code"><pre class="source">{_code(cell.source)}</pre>'
                         f"{_outputs(cell.outputs)}{note}</div>")
    return page(f"Feedback: {notebook_name}", f"Feedback on {notebook_name}", "".join(parts))


def problem_page(student: str, notebook_name: str, why: str, max_score: float) -> str:
    """The page for a submission that could not be graded at all."""
    body = (f"<p>{html.escape(student)}: <b>0 of {max_score:g} points</b>.</p>"
            f'<div class="note"><b>{html.escape(why)}</b></div>'
            f"<p>Hand in the notebook {html.escape(notebook_name)} as JupyterLab saves it "
            f"(File &gt; Download), then ask your instructor to grade it again.</p>")
    return page(f"Feedback: {notebook_name}", f"Feedback on {notebook_name}", body)
