"""Every notebook in a real JupyterLab in a real browser, one test per phase.

nbval runs kernels with no frontend; these tests are what see a widget that
fails to render, a red stderr block, an equation that does not typeset or a
slider that moves and changes nothing. The phases, each its own test (so a
failure names its phase, and ``make e2e`` keeps its trace in build/traces/):

* saved render: each notebook as saved, before anything runs;
* Run All: Restart Kernel and Run All, then every output;
* save and reopen: a run notebook saved and opened again keeps its pictures;
* the explorer by keyboard and mouse, in lesson 01;
* presenting: JupyterLab's Presentation Mode keeps the explorer live.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

import nbformat
import pytest

from e2e_settings import CURRENT, KERNEL_START_MS, LESSON_01, NOTEBOOKS, SCREENSHOTS

DOCUMENT_READY = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  return !!(panel && panel.context && panel.context.isReady);
}"""

APP_READY = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.context || !panel.context.isReady || !panel.sessionContext) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""

ALL_EXECUTED = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
  return cells.every(cell => cell.model.executionCount !== null);
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


def saved_pictures(model: dict) -> int:
    """ipympl canvases whose saved picture (_data_url) has something drawn on it."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    state = model["content"]["metadata"].get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    painted = 0
    for widget in state.values():
        url = widget.get("state", {}).get("_data_url") or ""
        if widget.get("model_name") != "MPLCanvasModel" or not url.startswith("data:image/png;base64,"):
            continue
        pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA"))
        inked = (pixels[..., 3] > 0) & (pixels[..., :3].min(axis=2) < 230)
        painted += bool(inked.mean() > 0.02)
    return painted


def expected_figures(path: Path) -> int:
    """ipympl canvases the notebook's outputs display (from its saved widget state).

    Follows each displayed widget through its children, so a figure that was
    created but never shown does not count.
    """
    notebook = nbformat.read(path, as_version=4)
    state = notebook.metadata.get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    shown = [output["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
             for cell in notebook.cells for output in cell.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in output.get("data", {})]
    canvases, seen = set(), set()
    while shown:
        model_id = shown.pop()
        if model_id in seen or model_id not in state:
            continue
        seen.add(model_id)
        model = state[model_id]
        if model.get("model_name") == "MPLCanvasModel":
            canvases.add(model_id)
        shown.extend(re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(model.get("state", {}))))
    return len(canvases)


def has_math(path: Path) -> bool:
    notebook = nbformat.read(path, as_version=4)
    return any(cell.cell_type == "markdown" and re.search(r"\$[^$]+\$", cell.source)
               for cell in notebook.cells)


def open_notebook(page, lab_server, name: str, kernel: bool = True) -> None:
    """Open notebooks/<name> alone in a fresh workspace; wait for its idle kernel too."""
    page.goto(f"{lab_server.url}/lab/tree/notebooks/{name}?reset&token={lab_server.token}")
    page.wait_for_function(APP_READY if kernel else DOCUMENT_READY, timeout=KERNEL_START_MS)
    opened = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path")
    assert opened == f"notebooks/{name}", f"expected notebooks/{name} on screen, found {opened}"
    wait_for_widgets(page)


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


def restart_and_run_all(page) -> float:
    start = time.monotonic()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:restart-run-all'); }")
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    try:  # the restart dialog is switched off in the test's settings; accept it if shown
        accept.click(timeout=1500)
    except Exception:
        pass
    idle_since = None
    while not page.evaluate(ALL_EXECUTED):
        idle = page.evaluate(KERNEL_IDLE)
        idle_since = (idle_since or time.monotonic()) if idle else None
        if idle_since and time.monotonic() - idle_since > 5:
            stuck = [c for c in page.evaluate(CELL_REPORT) if c["count"] is None]
            page.screenshot(path=str(SCREENSHOTS / "stalled.png"))
            pytest.fail(f"Run All stopped with {len(stuck)} code cells not run "
                        f"(kernel idle for 5 s; screenshot build/screenshots/stalled.png); "
                        f"first: {stuck[0]['source']!r}; errors: "
                        f"{[c['errors'] for c in page.evaluate(CELL_REPORT) if c['errors']]}")
        if time.monotonic() - start > 120:
            pytest.fail("Run All did not finish within 120 s")
        page.wait_for_timeout(200)
    return time.monotonic() - start


IDS = [p.name for p in NOTEBOOKS]
WITH_FIGURES = [p for p in NOTEBOOKS if expected_figures(p)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_saved_render_shows_pictures_and_equations_before_running(lab, lab_server, path):
    open_notebook(lab, lab_server, path.name, kernel=False)
    saved = wait_for_typesetting(lab, has_math(path))
    assert saved["widgetErrors"] == 0, "saved outputs show 'Error displaying widget'"
    assert not saved["rawTex"], f"equations not typeset before running: {saved['rawTex']}"
    assert saved["pictures"] >= expected_figures(path), (
        "a saved interactive figure does not display as a picture before running")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_run_all_runs_every_cell_without_errors(lab, lab_server, path):
    open_notebook(lab, lab_server, path.name)
    seconds = restart_and_run_all(lab)
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
    expected = expected_figures(path)
    assert report["drawnFigures"] >= expected, (
        f"{report['drawnFigures']} of {expected} interactive figures rendered")
    assert not report["news"], "JupyterLab's news prompt appeared"
    if path.name.startswith("00_"):
        checks = lab.locator(f"{CURRENT} .jp-OutputArea-output", has_text="[PASS] Python").inner_text()
        assert "[FAIL]" not in checks and "checks passed." in checks, checks
    first_widget = lab.locator(f"{CURRENT} .jp-OutputArea-output .jupyter-widgets").first
    if first_widget.count():
        first_widget.scroll_into_view_if_needed()
    lab.screenshot(path=str(SCREENSHOTS / f"{path.stem}.png"))
    print(f"\n{path.name}: Restart & Run All in JupyterLab took {seconds:.1f} s; "
          f"{report['equations']} equations typeset, {report['drawnFigures']} live figures")


@pytest.mark.parametrize("path", WITH_FIGURES, ids=[p.name for p in WITH_FIGURES])
def test_save_and_reopen_keeps_every_figures_picture(lab, lab_server, path):
    # A student saves the run notebook and opens it again another day: the
    # figures must come back as pictures, not "Error displaying widget".
    # Each explorer sends its picture once its figure has been still for a
    # moment; a save before that keeps the browser's copy, so save until
    # the file holds every picture (10 s at most), as autosave would.
    expected = expected_figures(path)
    open_notebook(lab, lab_server, path.name)
    restart_and_run_all(lab)
    wait_for_widgets(lab)
    deadline = time.monotonic() + 10
    while True:
        lab.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        lab.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
                              timeout=30_000)
        painted_in_file = saved_pictures(lab_server.api("GET", f"/api/contents/notebooks/{path.name}"))
        if painted_in_file >= expected or time.monotonic() > deadline:
            break
        lab.wait_for_timeout(500)
    assert painted_in_file >= expected, (
        f"the saved file holds {painted_in_file} of {expected} figure pictures")
    lab_server.shut_down_kernels()
    open_notebook(lab, lab_server, path.name)
    reopened = lab.evaluate(PAGE_REPORT)
    assert reopened["widgetErrors"] == 0, (
        "after saving the run notebook and opening it again: 'Error displaying widget'")
    try:
        lab.wait_for_function(f"() => ({PAINTED_FIGURES})() >= {expected}", timeout=10_000)
    except Exception:
        lab.screenshot(path=str(SCREENSHOTS / f"{path.stem}_reopened.png"))
    painted = lab.evaluate(PAINTED_FIGURES)
    assert painted >= expected, (
        f"after saving the run notebook and opening it again, {painted} of {expected} "
        f"figures show their picture (screenshot build/screenshots/{path.stem}_reopened.png)")


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
    """Lesson 01 opened and run; its first explorer, scrolled into view."""
    open_notebook(page, lab_server, LESSON_01.name)
    restart_and_run_all(page)
    explorer = page.locator(f"{CURRENT} .softmax-explorer").first
    explorer.scroll_into_view_if_needed()
    return explorer


@pytest.mark.skipif(not LESSON_01.exists(), reason="lesson 01 is not in this checkout")
def test_explorer_answers_keyboard_and_mouse_and_survives_a_broken_function(lab, lab_server):
    page = lab
    explorer = run_lesson_01(page, lab_server)
    handle = explorer.locator(".softmax-z-slider .noUi-handle").first

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



@pytest.mark.skipif(not LESSON_01.exists(), reason="lesson 01 is not in this checkout")
def test_presenting_in_presentation_mode_keeps_the_explorer_live(lab, lab_server):
    page = lab
    explorer = run_lesson_01(page, lab_server)
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-presentation-mode')")
    page.wait_for_function("() => window.jupyterapp.shell.presentationMode === true", timeout=10_000)
    try:
        before = readout_text(page)
        explorer.locator(".softmax-z-slider .noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        wait_for_change(page, before)
        page.screenshot(path=str(SCREENSHOTS / "01_presentation_mode.png"))
    finally:
        page.evaluate("() => window.jupyterapp.commands.execute("
                      "'application:toggle-presentation-mode')")
