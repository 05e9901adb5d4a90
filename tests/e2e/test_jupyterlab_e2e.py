"""Every notebook in a real JupyterLab in a real browser, offline, as a student meets it.

nbval runs kernels with no frontend; these tests are what see a widget that
fails to render, a red stderr block, an equation that does not typeset, a
slider that moves and changes nothing, or a lesson that asks "Save your work?"
when nothing was changed. One test per lesson follows a student through it,
each phase named in its assertions:

* fresh: the lesson as cloned (untrusted), before anything runs: every live
  figure shows its saved picture and the line saying to run the cell, and once
  the kernel is up the lesson is not modified (closing it would ask nothing);
* Run All: in the same tab, Run All on the kernel that started with it, then
  every output (the explorer's test takes Restart Kernel and Run All);
* saved and reopened: the run lesson saved, its kernel shut down, and opened
  again shows clean pictures with that line, no greyed widgets or red icons,
  opens unmodified, and closing it asks nothing and stops its kernel. A lesson
  with no live figure is saved after Run All and closed, with the same checks.

JupyterLab is loaded once for all these tests (again after a failed one), the
first time with a lesson's address; then each lesson, and the reopened phase,
is opened from the same JupyterLab as File > Open would (the file is read from
the server again, as saved).

Then the explorer in lesson 01 in JupyterLab's Presentation Mode, by keyboard
and mouse, at the ends of its range and with all logits equal; and the
exercises in 07 (a click beside "Show solution" opens nothing; a loop that
never ends and the stop button each get one line).
"""

from __future__ import annotations

import ast
import json
import re
import statistics
import time
from pathlib import Path

import nbformat
import pytest

from e2e_settings import CURRENT, KERNEL_START_MS, LESSON_01, NOTEBOOKS, ROOT, SCREENSHOTS
from lab_utils_display import SAVED_FIGURE_CLASS, SAVED_FIGURE_NOTE

LESSON_07 = ROOT / "notebooks" / "07_exercises.ipynb"

APP_READY = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.context || !panel.context.isReady || !panel.sessionContext) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""

KERNEL_IDLE = """() => {
  const session = window.jupyterapp.shell.currentWidget.sessionContext.session;
  return !!(session && session.kernel && session.kernel.status === 'idle');
}"""

CELL_REPORT = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.filter(cell => cell.model.type === 'code').map(cell => {
    const source = cell.model.sharedModel.getSource();
    const tags = cell.model.getMetadata('tags') || [];
    const outputs = cell.model.outputs.toJSON();
    return {
      count: cell.model.executionCount,
      marked: source.includes('NBVAL_RAISES_EXCEPTION') || tags.includes('raises-exception'),
      errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
      source: source.slice(0, 80),
    };
  });
}"""

PAGE_REPORT = """() => {
  // Only the notebook on screen: other tabs stay in the page, hidden.
  const panel = window.jupyterapp.shell.currentWidget;
  const root = panel.node;
  const text = root.innerText;
  const raising = panel.content.widgets.filter(cell => cell.model.type === 'code' && (
      cell.model.sharedModel.getSource().includes('NBVAL_RAISES_EXCEPTION')
      || (cell.model.getMetadata('tags') || []).includes('raises-exception'))).map(cell => cell.node);
  const outputs = [...root.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText).join(' ');
  // JupyterLab shows error outputs with the stderr renderer too; a cell that
  // raises on purpose is allowed its error.
  const stderr = [...root.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .filter(output => !raising.some(cell => cell.contains(output)));
  const rawTex = [];
  for (const node of root.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')) {
    const copy = node.cloneNode(true);
    copy.querySelectorAll('code, pre, mjx-container, .MathJax').forEach(el => el.remove());
    const left = copy.innerText.match(/\\$[^$\\n]+\\$|\\\\(frac|begin|sum|mathbf)/);
    if (left) rawTex.push(left[0]);
  }
  // ipympl draws each figure on a canvas inside a .jupyter-matplotlib-canvas-div
  // (a second canvas on top of it is for the zoom rectangle).
  const canvases = [...root.querySelectorAll('.jp-OutputArea-output .jupyter-matplotlib-canvas-div')]
    .map(div => div.querySelector('canvas')).filter(c => c);
  return {
    widgetErrors: (outputs.match(/Error displaying widget/g) || []).length,
    stderr: stderr.length,
    stderrText: stderr.map(o => o.innerText.slice(0, 300)),
    equations: root.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
    rawTex: rawTex,
    figures: canvases.length,
    pictures: root.querySelectorAll('.jp-OutputArea-output img[alt]').length,
    drawnFigures: canvases.filter(c => c.width > 0 && c.height > 0
                                   && c.getBoundingClientRect().width > 0).length,
    news: /Jupyter news/i.test(document.body.innerText),
  };
}"""


SAVED_FIGURES = """(note) => {
  // What a student sees of the live figures when they are not live: the saved
  // picture, drawn, with the line under it; and no greyed widget or red icon.
  const panel = window.jupyterapp.shell.currentWidget;
  const root = panel.node;
  const figures = [...root.querySelectorAll('.jp-OutputArea-output .softmax-saved-figure')];
  return {
    dirty: panel.context.model.dirty,
    saved: figures.length,
    withNote: figures.filter(f => f.textContent.includes(note)).length,
    drawn: figures.filter(f => { const img = f.querySelector('img[alt]');
                                 return img && img.complete && img.naturalWidth > 100; }).length,
    liveWidgets: root.querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length,
    disconnected: root.querySelectorAll('.jupyter-widgets-disconnected').length,
    widgetErrors: [...root.querySelectorAll('.jp-OutputArea-output')]
      .filter(o => o.textContent.includes('Error displaying widget')).length,
  };
}"""


PAINTED_FIGURES = """() => {
  // ipympl canvases with a picture on them: more than 2 % of their pixels
  // neither transparent nor white (bars, axes and text).
  const root = window.jupyterapp.shell.currentWidget.node;
  return [...root.querySelectorAll('.jp-OutputArea-output .jupyter-matplotlib-canvas-div')]
    .map(div => div.querySelector('canvas')).filter(c => c && c.width > 0 && c.height > 0)
    .filter(canvas => {
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] > 0 && (pixels[i] < 230 || pixels[i + 1] < 230 || pixels[i + 2] < 230)) inked++;
      }
      return inked > 0.02 * canvas.width * canvas.height;
    }).length;
}"""


def live_figures(path: Path) -> int:
    """Outputs of the lesson that are live figures (lab_utils_display.live_figure_bundle)."""
    notebook = nbformat.read(path, as_version=4)
    return sum(SAVED_FIGURE_CLASS in output.get("data", {}).get("text/html", "")
               for cell in notebook.cells for output in cell.get("outputs", []))


def saved_figure_pictures(model: dict) -> list[str]:
    """The picture (a data URL) saved in each live figure's output of a notebook as saved."""
    found = []
    for cell in model["content"]["cells"]:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            if SAVED_FIGURE_CLASS in html:
                found.append(re.search(r'src="(data:image/png;base64,[^"]+)"', html).group(1))
    return found


def has_math(path: Path) -> bool:
    notebook = nbformat.read(path, as_version=4)
    return any(cell.cell_type == "markdown" and re.search(r"\$[^$]+\$", cell.source)
               for cell in notebook.cells)


#: Documents open in JupyterLab's main area (the Launcher, shown when none is, is not one).
DOCUMENTS_OPEN = "[...window.jupyterapp.shell.widgets('main')].filter(widget => widget.context).length"


def open_notebook(page, lab_server, name: str) -> None:
    """Open notebooks/<name> alone in a fresh workspace; wait for its idle kernel too.

    The first time (in the session, or after a failed test), JupyterLab is loaded
    with the lesson's address, as `make lab` opens it; after that, the page's
    JupyterLab opens the lesson as File > Open does, when nothing else is open,
    without loading JupyterLab again (about 3 s of two busy cores).
    """
    if page.evaluate("() => !!window.jupyterapp"):
        assert page.evaluate(f"() => {DOCUMENTS_OPEN}") == 0, (
            "a phase left a document open")
        page.evaluate("(path) => { window.jupyterapp.commands.execute('docmanager:open', "
                      "{path: path, factory: 'Notebook'}); }", f"notebooks/{name}")
    else:
        page.goto(f"{lab_server.url}/lab/tree/notebooks/{name}?reset&token={lab_server.token}")
    page.wait_for_function(APP_READY, timeout=KERNEL_START_MS)
    opened = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path")
    assert opened == f"notebooks/{name}", f"expected notebooks/{name} on screen, found {opened}"
    wait_for_widgets(page)


def close_discarding(page) -> None:
    """Close the lesson on screen as a reload of the page would: no question, nothing saved."""
    page.evaluate("() => window.jupyterapp.shell.currentWidget.dispose()")
    page.wait_for_function(f"() => {DOCUMENTS_OPEN} === 0", timeout=10_000)


def wait_for_widgets(page) -> None:
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.node"
                           ".innerText.includes('Loading widget...')", timeout=30_000)


def wait_for_typesetting(page, expect_math: bool) -> dict:
    deadline = time.monotonic() + 20
    report = page.evaluate(PAGE_REPORT)
    while time.monotonic() < deadline and (report["rawTex"] or (expect_math and not report["equations"])):
        page.wait_for_timeout(250)
        report = page.evaluate(PAGE_REPORT)
    return report


RUN_ALL_FINISHED = """async ({idleLimitMs, limitMs}) => {
  // Waits in the page, so the test makes one call (one entry in a trace), not one every 200 ms.
  const started = performance.now();
  let idleSince = null;
  for (;;) {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const idle = !!kernel && kernel.status === 'idle';
    const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
    if (idle && cells.every(cell => cell.model.executionCount !== null)) return 'done';
    idleSince = idle ? (idleSince === null ? performance.now() : idleSince) : null;
    if (idleSince !== null && performance.now() - idleSince > idleLimitMs) return 'stalled';
    if (performance.now() - started > limitMs) return 'timeout';
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}"""


def run_all(page, restart: bool) -> float:
    """Run > Run All Cells, or Kernel > Restart Kernel and Run All Cells; the seconds it took."""
    start = time.monotonic()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    if restart:
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:restart-run-all'); }")
        accept = page.locator(".jp-Dialog .jp-mod-accept")
        try:  # the restart dialog is switched off in the test's settings; accept it if shown
            accept.click(timeout=1500)
        except Exception:
            pass
    else:
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    finished = page.evaluate(RUN_ALL_FINISHED, {"idleLimitMs": 5000, "limitMs": 120_000})
    if finished == "stalled":
        stuck = [c for c in page.evaluate(CELL_REPORT) if c["count"] is None]
        page.screenshot(path=str(SCREENSHOTS / "stalled.png"))
        pytest.fail(f"Run All stopped with {len(stuck)} code cells not run "
                    f"(kernel idle for 5 s; screenshot build/screenshots/stalled.png); "
                    f"first: {stuck[0]['source']!r}; errors: "
                    f"{[c['errors'] for c in page.evaluate(CELL_REPORT) if c['errors']]}")
    if finished != "done":
        pytest.fail("Run All did not finish within 120 s")
    return time.monotonic() - start


IDS = [p.name for p in NOTEBOOKS]


def assert_clean_pictures(page, path: Path, phase: str) -> None:
    """Every live figure is its saved picture with the line under it; nothing greyed or red."""
    expected = live_figures(path)
    try:
        page.wait_for_function(f"(note) => ({SAVED_FIGURES})(note).drawn >= {expected}",
                               arg=SAVED_FIGURE_NOTE, timeout=20_000)
    except Exception:
        pass  # the assertions below say what is missing
    seen = page.evaluate(SAVED_FIGURES, SAVED_FIGURE_NOTE)
    assert (seen["saved"], seen["withNote"], seen["drawn"]) == (expected,) * 3, (phase, seen)
    assert (seen["liveWidgets"], seen["disconnected"], seen["widgetErrors"]) == (0, 0, 0), (phase, seen)


def assert_unmodified(page, phase: str) -> None:
    """With its kernel up, the lesson is not modified (closing it would ask to save)."""
    page.wait_for_timeout(2000)  # the kernel's language_info, the widget manager: all in
    assert not page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty"), (
        f"{phase}: the lesson opened modified, so closing it would ask to save")


def assert_closes_without_asking_and_stops_its_kernel(page, lab_server, phase: str) -> None:
    """Closing the lesson's tab asks nothing, and its kernel stops (overrides.json's kernelShutdown)."""
    page.evaluate("() => { window.jupyterapp.commands.execute('application:close'); }")
    # Closed, or a question asked: whichever comes first.
    page.wait_for_function("() => document.querySelector('.jp-Dialog') !== null "
                           f"|| {DOCUMENTS_OPEN} === 0", timeout=10_000)
    assert page.locator(".jp-Dialog").count() == 0, f"{phase}: closing the unchanged lesson asked something"
    deadline = time.monotonic() + 20
    while lab_server.api("GET", "/api/sessions") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert lab_server.api("GET", "/api/sessions") == [], f"{phase}: closing the lesson left its kernel running"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_a_lesson_shows_what_it_says_runs_all_and_reopens_clean(lab, lab_server, path):
    # Fresh, as cloned: untrusted, so JupyterLab shows each live figure's saved picture.
    open_notebook(lab, lab_server, path.name)
    fresh = wait_for_typesetting(lab, has_math(path))
    assert fresh["widgetErrors"] == 0, "fresh: 'Error displaying widget'"
    assert not fresh["rawTex"], f"fresh: equations not typeset before running: {fresh['rawTex']}"
    assert_clean_pictures(lab, path, "fresh")
    if live_figures(path):
        lab.locator(f"{CURRENT} .softmax-saved-figure").first.scroll_into_view_if_needed()
        lab.screenshot(path=str(SCREENSHOTS / f"{path.stem}_fresh.png"))
    if path.name.startswith("00_"):  # 00's text says, in the same words, what a live figure shows
        text = lab.evaluate("() => [...window.jupyterapp.shell.currentWidget.node.querySelectorAll("
                            "'.jp-MarkdownCell .jp-RenderedMarkdown')].map(m => m.textContent).join(' ')")
        assert SAVED_FIGURE_NOTE in " ".join(text.split()), "00 does not quote the line under a saved picture"
    if path == LESSON_07:
        solutions_open_only_on_their_button(lab)
    assert_unmodified(lab, "fresh")

    # Run All, in the same tab, on the kernel that started with it (the explorer's test
    # below takes Restart Kernel and Run All).
    seconds = run_all(lab, restart=False)
    wait_for_widgets(lab)
    cells = lab.evaluate(CELL_REPORT)
    for number, cell in enumerate(cells):
        if cell["marked"]:
            assert cell["errors"], f"code cell {number} is marked to raise but did not"
        else:
            assert not cell["errors"], f"code cell {number} ({cell['source']!r}): {cell['errors']}"
    report = wait_for_typesetting(lab, has_math(path))
    assert report["widgetErrors"] == 0, "'Error displaying widget' after Run All"
    assert report["stderr"] == 0, f"stderr after Run All: {report['stderrText']}"
    assert not report["rawTex"], f"equations not typeset: {report['rawTex']}"
    if has_math(path):
        assert report["equations"] > 0
    expected = live_figures(path)
    assert report["drawnFigures"] >= expected, (
        f"{report['drawnFigures']} of {expected} interactive figures rendered")
    assert not report["news"], "JupyterLab's news prompt appeared"
    if path.name.startswith("00_"):
        checks = lab.locator(f"{CURRENT} .jp-OutputArea-output", has_text="[PASS] Python").inner_text()
        assert "[FAIL]" not in checks and "checks passed." in checks, checks
        # The live sine figure keeps its x label inside the figure.
        assert kernel_value(lab, "(lambda box: bool(box.y0 >= 0))(ax.xaxis.label.get_window_extent("
                                 "fig.canvas.get_renderer()))") == "True"
    if path == LESSON_01:  # the softmax/sigmoid legend sits above the bars, on none of them
        assert kernel_value(lab, LEGEND_OVER_BARS) == "[]"
    if path == LESSON_07:
        a_loop_and_the_stop_button_each_get_one_line(lab)
    first_widget = lab.locator(f"{CURRENT} .jp-OutputArea-output .jupyter-widgets").first
    if first_widget.count():
        first_widget.scroll_into_view_if_needed()
    lab.screenshot(path=str(SCREENSHOTS / f"{path.stem}.png"))
    print(f"\n{path.name}: Run All in JupyterLab took {seconds:.1f} s; "
          f"{report['equations']} equations typeset, {report['drawnFigures']} live figures")
    if not expected:
        # Saved: closing asks nothing, and the kernel stops.
        lab.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        lab.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
                              timeout=30_000)
        assert_closes_without_asking_and_stops_its_kernel(lab, lab_server, "saved after Run All")
        return

    # Saved and reopened another day: pictures of the last frames, nothing greyed.
    # Each figure sends its last frame once it has been still for a moment; the
    # save puts that frame in place of the picture shown when the cell ran. Save
    # until every picture is a frame (10 s at most), as autosave would.
    shown = saved_figure_pictures({"content": lab.evaluate(
        "() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")})
    deadline = time.monotonic() + 10
    while True:
        lab.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        lab.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
                              timeout=30_000)
        model = lab_server.api("GET", f"/api/contents/notebooks/{path.name}")
        pictures = saved_figure_pictures(model)
        if all(url != first for url, first in zip(pictures, shown)) or time.monotonic() > deadline:
            break
        lab.wait_for_timeout(500)
    assert len(pictures) == len(shown) == expected, "saved: a live figure's picture is missing"
    assert all(url != first for url, first in zip(pictures, shown)), (
        "saved: a live figure kept the picture of when its cell ran, not its last frame")
    assert "widgets" not in model["content"]["metadata"], "saved: widget state left in the file"
    assert not any("application/vnd.jupyter.widget-view+json" in output.get("data", {})
                   for cell in model["content"]["cells"] for output in cell.get("outputs", [])), (
        "saved: widget views left in the file show 'model not found' when it is reopened trusted")
    lab_server.shut_down_kernels()
    close_discarding(lab)
    open_notebook(lab, lab_server, path.name)
    assert_clean_pictures(lab, path, "reopened")
    lab.locator(f"{CURRENT} .softmax-saved-figure").first.scroll_into_view_if_needed()
    lab.screenshot(path=str(SCREENSHOTS / f"{path.stem}_reopened.png"))
    assert_unmodified(lab, "reopened")
    assert_closes_without_asking_and_stops_its_kernel(lab, lab_server, "reopened")


# The legend of 01's softmax/sigmoid figure (above the panels) against every bar.
LEGEND_OVER_BARS = """(lambda figure: (figure.canvas.draw(), [
    str(bar.get_window_extent()) for ax in figure.axes for bar in ax.patches
    if figure.legends and figure.legends[0].get_window_extent().overlaps(bar.get_window_extent())
])[1])(axes[0].figure)"""


def kernel_value(page, expression: str, setup: str = "") -> str:
    """``repr``-like text of ``expression`` evaluated in the lesson's kernel (after ``setup``, silently)."""
    reply = page.evaluate("""async ([expression, setup]) => {
      const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      const future = kernel.requestExecute({code: setup, silent: true,
                                            user_expressions: {value: expression}});
      const reply = await future.done;
      return reply.content.user_expressions.value;
    }""", [expression, setup])
    assert reply["status"] == "ok", reply
    return reply["data"]["text/plain"]


# ---------------------------------------------------------------- lesson 07's exercises
def solutions_open_only_on_their_button(page) -> None:
    """A click 500 px beside "Show solution" leaves the solution folded; a click on it opens it."""
    summaries = page.locator(f"{CURRENT} .jp-MarkdownCell details > summary")
    assert summaries.count() == 4
    for number in range(summaries.count()):
        summary = summaries.nth(number)
        summary.scroll_into_view_if_needed()
        box = summary.bounding_box()
        assert box["width"] < 200, f"the Show solution button is {box['width']:.0f} px wide"
        page.mouse.click(box["x"] + box["width"] + 500, box["y"] + box["height"] / 2)
        page.wait_for_timeout(200)
        assert not summary.evaluate("s => s.parentElement.open"), "a click on blank space opened a solution"
        summary.click()
        assert summary.evaluate("s => s.parentElement.open"), "clicking Show solution did not open it"
        summary.click()  # folded again


def run_new_cell(page, code: str) -> None:
    page.evaluate("""async (code) => {
      const app = window.jupyterapp;
      const notebook = app.shell.currentWidget.content;
      notebook.activeCellIndex = notebook.widgets.length - 1;
      await app.commands.execute('notebook:insert-cell-below');
      notebook.activeCell.model.sharedModel.setSource(code);
      app.commands.execute('notebook:run-cell');  // not awaited: it resolves when the cell is done
    }""", code)


LAST_CELL_OUTPUT = """() => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  const cell = notebook.widgets[notebook.widgets.length - 1];
  return {outputs: cell.model.outputs.toJSON(), shown: cell.node.querySelector('.jp-OutputArea') ?
          cell.node.querySelector('.jp-OutputArea').innerText : ''};
}"""


def a_loop_and_the_stop_button_each_get_one_line(page) -> None:
    # A function that never returns: the checker answers by itself, in one sentence.
    started = time.monotonic()
    run_new_cell(page, "def my_softmax(z):\n    while True:\n        pass\n\n\n"
                       "passed = check_softmax(my_softmax)")
    page.wait_for_function(f"() => ({LAST_CELL_OUTPUT})().shown.includes('did not finish')", timeout=30_000)
    waited = time.monotonic() - started
    shown = page.evaluate(LAST_CELL_OUTPUT)["shown"].strip()
    assert shown == ("\u2718 Check 1 of 7 stopped: my_softmax did not finish in 5 s: is there a loop "
                     "that never ends?"), shown
    print(f"\na looping function: the checker answered after {waited:.1f} s (the limit is 5 s)")
    # The same function stopped with the toolbar's stop button: one line, no traceback.
    run_new_cell(page, "passed = check_softmax(my_softmax)")
    page.wait_for_timeout(1500)
    page.locator(f"{CURRENT} jp-button[data-command='notebook:interrupt-kernel']").first.click()
    page.wait_for_function(f"() => ({LAST_CELL_OUTPUT})().outputs.length > 0", timeout=20_000)
    last = page.evaluate(LAST_CELL_OUTPUT)
    [error] = last["outputs"]
    assert error["output_type"] == "error" and error["ename"] == "KeyboardInterrupt", error
    assert error["traceback"] == ["check_softmax was interrupted (the stop button, or Ctrl+C): run "
                                  "the cell again to check your function."], error
    assert last["shown"].strip().count("\n") == 0, last["shown"]
    page.wait_for_function(KERNEL_IDLE, timeout=20_000)


# ---------------------------------------------------------------- lesson 01's explorer
def readout_text(page) -> str:
    return page.locator(f"{CURRENT} .softmax-explorer").first.locator(".softmax-readout").inner_text()


def probabilities(text: str) -> tuple[list[float], float]:
    values = [float(v) for v in re.findall(r"a\S* = (-?\d+\.\d+)", text)]
    total = float(re.search(r"sum = (-?\d+\.\d+)", text).group(1))
    return values, total


def wait_for_change(page, before: str) -> str:
    page.wait_for_function(
        "([before]) => window.jupyterapp.shell.currentWidget.node"
        ".querySelector('.softmax-explorer .softmax-readout').innerText !== before",
        arg=[before], timeout=10_000)
    return readout_text(page)


def run_cell_containing(page, fragment: str) -> None:
    page.evaluate("""(fragment) => {
      const panel = window.jupyterapp.shell.currentWidget;
      const index = panel.content.widgets.findIndex(
        cell => cell.model.sharedModel.getSource().includes(fragment));
      panel.content.activeCellIndex = index;
      return window.jupyterapp.commands.execute('notebook:run-cell');
    }""", fragment)


def run_in_kernel(page, code: str) -> None:
    page.evaluate("""async (code) => {
      const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      await kernel.requestExecute({code: code}).done;
    }""", code)


def run_lesson_01(page, lab_server):
    """Lesson 01 opened, Restart Kernel and Run All; its first explorer, scrolled into view."""
    open_notebook(page, lab_server, LESSON_01.name)
    run_all(page, restart=True)
    assert "_control_lock" not in lab_server.log_path.read_text(), (
        "Restart Kernel printed ipykernel's TraitError traceback in the terminal")
    explorer = page.locator(f"{CURRENT} .softmax-explorer").first
    explorer.scroll_into_view_if_needed()
    return explorer


# Run in lesson 01's kernel: where the explorer's labels are, read from matplotlib.
EXPLORER_LAYOUT = """
import json
from matplotlib.colors import to_hex as _to_hex


def _e2e_layout(explorer):
    fig = explorer.fig
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    panels = [ax.get_window_extent(renderer) for ax in fig.axes]
    texts = [(number, text in ax.texts, text.get_text(), text.get_window_extent(renderer))
             for number, ax in enumerate(fig.axes)
             for text in ax.get_xticklabels() + ax.get_yticklabels() + ax.texts
             if text.get_visible() and text.get_text()]
    bars = [_to_hex(bar.get_facecolor()) for bar in fig.axes[1].patches]
    return {
        "z": [float(value) for value in explorer.z],
        "overlaps": [(a[2], b[2]) for i, a in enumerate(texts) for b in texts[i + 1:] if a[3].overlaps(b[3])],
        "outside": [t[2] for t in texts if t[1] and not panels[t[0]].x0 <= t[3].x0 <= t[3].x1 <= panels[t[0]].x1],
        "largest": explorer.largest_class(),
        "colours": sorted(set(bars)),
    }
"""


@pytest.mark.skipif(not LESSON_01.exists(), reason="lesson 01 is not in this checkout")
def test_explorer_answers_keyboard_and_mouse_in_presentation_mode_too_and_survives_a_broken_function(
        lab, lab_server):
    page = lab
    explorer = run_lesson_01(page, lab_server)
    handle = explorer.locator(".softmax-z-slider .noUi-handle").first

    # Presenting from JupyterLab (View > Presentation Mode): the explorer stays live.
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-presentation-mode')")
    page.wait_for_function("() => window.jupyterapp.shell.presentationMode === true", timeout=10_000)
    try:
        before = readout_text(page)
        handle.focus()
        page.keyboard.press("ArrowRight")
        wait_for_change(page, before)
        page.screenshot(path=str(SCREENSHOTS / "01_presentation_mode.png"))
    finally:
        page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-presentation-mode')")
    page.wait_for_function("() => window.jupyterapp.shell.presentationMode === false", timeout=10_000)
    explorer.scroll_into_view_if_needed()

    # Keyboard: focus z0's handle and press the right arrow.
    before = readout_text(page)
    handle.focus()
    page.keyboard.press("ArrowRight")
    after = wait_for_change(page, before)
    values, total = probabilities(after)
    assert len(values) == 4 and total == pytest.approx(1.0, abs=1e-4)
    assert sum(values) == pytest.approx(1.0, abs=1e-3)

    # Mouse: drag z0's handle to the right.
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    dragged = wait_for_change(page, after)
    assert probabilities(dragged)[1] == pytest.approx(1.0, abs=1e-4)

    # Key press to readout change, measured in the page (median of 10).
    page.evaluate("""() => {
      window.__latency = {start: null, end: null};
      document.addEventListener('keydown', () => {
        if (window.__latency.start === null) window.__latency.start = performance.now();
      }, true);
      const readout = window.jupyterapp.shell.currentWidget.node
        .querySelector('.softmax-explorer .softmax-readout');
      new MutationObserver(() => {
        if (window.__latency.start !== null && window.__latency.end === null)
          window.__latency.end = performance.now();
      }).observe(readout, {subtree: true, childList: true, characterData: true});
    }""")
    latencies = []
    handle.focus()
    for press in range(10):
        page.evaluate("() => { window.__latency = {start: null, end: null}; }")
        page.keyboard.press("ArrowLeft" if press % 2 else "ArrowRight")
        page.wait_for_function("() => window.__latency.end !== null", timeout=10_000)
        latencies.append(page.evaluate("() => window.__latency.end - window.__latency.start"))
    print(f"\nkey press to readout change: median {statistics.median(latencies):.0f} ms "
          f"over {len(latencies)} presses (min {min(latencies):.0f}, max {max(latencies):.0f})")

    # The ends of the range, as a student reaches them with Home and End on every
    # slider, and all logits equal in the middle: no label on another or out of its
    # panel, and no class marked "largest" (a tie). Screenshots to look at.
    handles = explorer.locator(".softmax-z-slider .noUi-handle")
    for scene, z in (("all -10", [-10.0] * 4), ("all +10", [10.0] * 4), ("all equal", [2.0] * 4)):
        if scene == "all equal":
            run_in_kernel(page, "explorer.set_z([2.0, 2.0, 2.0, 2.0])")
        else:
            for number in range(handles.count()):
                handles.nth(number).focus()
                page.keyboard.press("Home" if scene == "all -10" else "End")
        deadline = time.monotonic() + 10  # the readout reads the same at -10 and +10: ask the kernel
        while kernel_value(page, "[float(v) for v in explorer.z]") != repr(z) and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        page.wait_for_timeout(1000)  # the frame reaches the browser
        layout = json.loads(ast.literal_eval(kernel_value(page, "json.dumps(_e2e_layout(explorer))",
                                                          EXPLORER_LAYOUT)))
        assert layout["z"] == z, (scene, layout)
        assert layout["overlaps"] == [] and layout["outside"] == [], (scene, layout)
        assert layout["largest"] == -1 and len(layout["colours"]) == 1, (scene, layout)
        bold = explorer.locator(".softmax-readout div").evaluate_all(
            "rows => rows.filter(row => getComputedStyle(row).fontWeight >= 600).length")
        assert bold == 0, f"{scene}: a readout row is bold, as if it were the largest"
        explorer.screenshot(path=str(SCREENSHOTS / f"01_explorer_{scene.replace(' ', '_')}.png"))

    # A broken my_softmax: the explorer explains, and its sliders keep working.
    run_in_kernel(page, "def my_softmax(z):\n    return np.exp(z)\n")
    run_cell_containing(page, "explorer = plt_softmax(my_softmax)")
    message = page.locator(f"{CURRENT} .softmax-explorer").first.locator(".softmax-message")
    message.filter(has_text="not yet probabilities").wait_for(timeout=20_000)
    before = readout_text(page)
    explorer = page.locator(f"{CURRENT} .softmax-explorer").first
    explorer.locator(".softmax-z-slider .noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    wait_for_change(page, before)
    assert "Divide every exponential by the sum" in message.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "01_explorer_broken_function.png"))
