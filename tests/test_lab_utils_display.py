"""The live display: ipympl canvases, their saved pictures, and what a notebook shows."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import io
import re
import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import lab_utils_display as display
import lab_utils_softmax as ls


def good_softmax(z):
    exp_z = np.exp(z)
    return exp_z / np.sum(exp_z)


def frame(canvas) -> np.ndarray:
    return np.asarray(canvas.buffer_rgba()).copy()


def test_live_figure_bundle_has_widget_picture_and_text():
    import ipywidgets as widgets

    fig = plt.figure()
    slider = widgets.FloatSlider()
    bundle = display.live_figure_bundle(widgets.VBox([slider]), fig, "A figure with a slider.")
    plt.close(fig)
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert 'alt="A figure with a slider."' in bundle["text/html"]
    assert bundle["text/plain"] == "[interactive figure] A figure with a slider."


def test_widget_canvas_is_a_bare_ipympl_canvas():
    fig = Figure(figsize=(3, 2))
    canvas = display.widget_canvas(fig)
    assert fig.canvas is canvas and hasattr(canvas, "_data_url")
    assert not (canvas.header_visible or canvas.footer_visible or canvas.toolbar_visible)


@pytest.mark.parametrize("version", ["0.10.0", "0.10.3"])
def test_the_ipympl_these_workarounds_were_written_for_needs_no_note(version):
    assert display.ipympl_version_note(version) == ""


@pytest.mark.parametrize("version", ["0.11.0", "1.0.0", "0.9.7"])
def test_another_ipympl_gets_a_note_naming_the_upstream_issues(version):
    note = display.ipympl_version_note(version)
    assert f"ipympl {version} is installed" in note
    assert all(issue in note for issue in ("#472", "#359", "#584")) and "make e2e" in note


def test_the_installed_ipympl_is_the_one_the_workarounds_were_written_for():
    import ipympl

    assert display.ipympl_version_note(ipympl.__version__) == ""


def test_saving_the_live_explorers_picture_leaves_no_old_bars_in_later_frames():
    # Displaying the explorer saves the figure as a picture (_repr_mimebundle_).
    # The frames after that must be the frames of an explorer never displayed:
    # the new bars only, not also those of the moment the picture was taken.
    def frames(displayed: bool) -> list[np.ndarray]:
        e = ls.plt_softmax(good_softmax, interactive=True)
        shown = []
        for z in ([9.0, -9.0, 9.0, -9.0], [-9.0, 9.0, -9.0, 9.0], [0.0, 0.0, 0.0, 5.0]):
            if displayed:
                e._repr_mimebundle_()
            e.set_z(z)
            shown.append(frame(e.fig.canvas))
        return shown

    for step, (displayed, never) in enumerate(zip(frames(True), frames(False))):
        changed = np.any(displayed != never, axis=2).sum()
        assert changed == 0, f"move {step}: {changed} pixels differ from the undisplayed explorer"


# ------------------------------------------------------------ is this a kernel with live figures?
class Shell:
    """Enough of an IPython shell for the 'am I in a kernel?' question."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


KERNEL = Shell(kernel=object())
WHERE_FIGURES_ARE_DRAWN = {
    # name: (matplotlib backend, IPython shell or "no IPython", live figures?)
    "%matplotlib widget in JupyterLab": ("module://ipympl.backend_nbagg", KERNEL, True),
    "backend named widget": ("widget", KERNEL, True),
    "backend named ipympl": ("ipympl", KERNEL, True),
    "%matplotlib inline": ("module://matplotlib_inline.backend_inline", KERNEL, False),
    "plain Agg in a kernel": ("agg", KERNEL, False),
    "plain Python": ("module://ipympl.backend_nbagg", None, False),
    "terminal IPython (a shell without a kernel)": ("module://ipympl.backend_nbagg", Shell(), False),
    "IPython not installed": ("module://ipympl.backend_nbagg", "no IPython", False),
}


@pytest.mark.parametrize("where", WHERE_FIGURES_ARE_DRAWN)
def test_live_figures_only_in_a_kernel_whose_figures_ipympl_draws(where, monkeypatch):
    backend, shell, live = WHERE_FIGURES_ARE_DRAWN[where]
    monkeypatch.setattr("matplotlib.get_backend", lambda: backend)
    if shell == "no IPython":
        monkeypatch.setitem(sys.modules, "IPython", None)  # import IPython raises ImportError
    else:
        monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    assert display.in_widget_kernel() is live


# ------------------------------------------------------------ the note about another ipympl
def test_the_note_about_another_ipympl_is_one_sentence_saying_what_to_run():
    assert display.ipympl_version_note("0.11.2") == (
        "lab_utils_display was written for ipympl 0.10, and ipympl 0.11.2 is installed: run "
        "`make e2e` to see whether its saved pictures still need the workarounds for "
        "ipympl #472, ipympl #359, ipympl #584.")


@pytest.mark.parametrize("version", ["dev", "0.x", "", "0.10rc1"])
def test_a_version_that_is_not_numbers_gets_the_note(version):
    assert f"ipympl {version} is installed" in display.ipympl_version_note(version)


# ------------------------------------------------------------ pictures
def test_png_data_url_holds_the_exact_pixels():
    rgba = np.zeros((3, 5, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[0, 0, :3] = (255, 0, 0)
    rgba[2, 4, :3] = (0, 128, 255)
    url = display.png_data_url(rgba)
    prefix, _, payload = url.partition(",")
    assert prefix == "data:image/png;base64"
    assert np.array_equal(decode_png(payload), rgba)


def decode_png(payload: str) -> np.ndarray:
    from PIL import Image

    png = base64.b64decode(payload, validate=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(png)))


def test_a_widget_canvas_has_a_fixed_size_and_makes_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ipympl's toolbar would trip a traitlets deprecation
        canvas = display.widget_canvas(Figure(figsize=(3, 2)))
    assert canvas.resizable is False


def test_live_figure_bundle_gives_the_canvas_its_size_and_saved_picture():
    import ipywidgets as widgets

    fig = Figure(figsize=(2, 1), dpi=50)
    canvas = display.widget_canvas(fig)
    display.live_figure_bundle(widgets.VBox([canvas]), fig, "A small figure.")
    state = canvas.get_state()  # what the notebook saves and the browser gets
    assert tuple(state["_size"]) == (100, 50)
    assert decode_png(state["_data_url"].partition(",")[2]).shape == (50, 100, 4)


# ------------------------------------------------------------ a new kernel's first live canvas
@pytest.fixture
def new_kernel_display():
    """lab_utils_display as a new kernel imports it: no live canvas made yet."""
    spec = importlib.util.spec_from_file_location(display.__name__, display.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_another_ipympl_gets_the_note_once_pointing_at_the_code_that_made_the_figure(
        new_kernel_display, monkeypatch):
    monkeypatch.setattr("ipympl.__version__", "0.11.0")
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        new_kernel_display.widget_canvas(Figure())
        new_kernel_display.widget_canvas(Figure())
    assert [str(w.message) for w in shown] == [display.ipympl_version_note("0.11.0")]
    assert shown[0].category is UserWarning
    assert Path(shown[0].filename).name != "lab_utils_display.py", "it points at the caller's code"


def test_the_ipympl_written_for_gets_no_note(new_kernel_display, monkeypatch):
    monkeypatch.setattr("ipympl.__version__", "0.10.0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new_kernel_display.widget_canvas(Figure())


def test_without_a_browser_each_frame_is_saved_as_a_complete_data_url(new_kernel_display):
    fig = Figure(figsize=(2, 1), dpi=50)
    canvas = new_kernel_display.widget_canvas(fig)
    for colour in ("red", "blue"):
        fig.patch.set_facecolor(colour)
        canvas.draw()
        prefix, _, payload = canvas._data_url.partition(",")
        assert prefix == "data:image/png;base64"
        assert np.array_equal(decode_png(payload), frame(canvas))


class ManualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock moves only when the test says so."""

    now = 0.0

    def time(self):
        return self.now


def run_in_a_kernel(scenario):
    """Run ``scenario(wait)`` in a running event loop, as a kernel runs a cell's callbacks."""
    loop = ManualClockLoop()

    async def wait(seconds):
        loop.now += seconds
        for _ in range(3):
            await asyncio.sleep(0)  # let the loop run what is due

    try:
        return loop.run_until_complete(scenario(wait))
    finally:
        loop.close()


class Browser:
    """A browser attached to a widget: the comm end that records the saved pictures it is sent."""

    comm_id = "a-browser"
    kernel = "a kernel"  # ipywidgets sends nothing over a comm without a kernel

    def __init__(self):
        self.pictures = []
        self.frames = 0

    def send(self, data=None, metadata=None, buffers=None):
        if data.get("method") == "custom":  # a live frame (a PNG of what changed)
            assert bytes(buffers[0])[:8] == b"\x89PNG\r\n\x1a\n"
            self.frames += 1
        if data.get("method") == "update" and "_data_url" in data.get("state", {}):
            prefix, _, payload = data["state"]["_data_url"].partition(",")
            assert prefix == "data:image/png;base64"
            self.pictures.append(decode_png(payload))

    def on_msg(self, callback):
        pass

    def close(self, *args, **kwargs):
        pass


def attach_a_browser(canvas) -> Browser:
    browser = Browser()
    canvas.comm = browser
    canvas.syncing_data_url = False  # what ipympl does when a browser attaches
    return browser


def test_with_a_browser_the_saved_picture_is_the_last_frame_once_the_figure_is_still(
        new_kernel_display):
    fig = Figure(figsize=(2, 1), dpi=50)
    canvas = new_kernel_display.widget_canvas(fig)
    browser = attach_a_browser(canvas)
    sent = browser.pictures
    still = new_kernel_display.PICTURE_DELAY

    async def drag_then_stop(wait):
        frames = []
        for colour in ("red", "green", "blue"):  # a student drags a slider
            fig.patch.set_facecolor(colour)
            canvas.draw()
            frames.append(frame(canvas))
            await wait(still * 0.7)
        assert sent == [], "no picture while the figure keeps changing"
        await wait(still * 0.5)
        assert len(sent) == 1 and np.array_equal(sent[0], frames[-1])
        fig.patch.set_facecolor("white")  # and once more, later
        canvas.draw()
        await wait(still * 1.2)
        assert len(sent) == 2 and np.array_equal(sent[1], frame(canvas))
        canvas.draw()  # the widget's own state (what ipywidgets.embed saves) stays one data URL
        assert canvas.get_state()["_data_url"].count("data:") == 1

    run_in_a_kernel(drag_then_stop)
    assert browser.frames >= 5, "every frame went to the browser as a PNG"


def test_a_closed_live_figure_sends_no_picture(new_kernel_display):
    fig = Figure(figsize=(2, 1), dpi=50)
    canvas = new_kernel_display.widget_canvas(fig)
    sent = attach_a_browser(canvas).pictures

    async def draw_then_close(wait):
        canvas.draw()
        canvas.close()
        await wait(new_kernel_display.PICTURE_DELAY * 2)

    run_in_a_kernel(draw_then_close)
    assert sent == [] and canvas._data_url is None


# --- issue 23: a saved lesson keeps pictures, with the line saying how to make them live


def test_the_saved_picture_carries_the_line_saying_to_run_the_cell():
    import ipywidgets as widgets

    fig = Figure(figsize=(3, 2))
    bundle = display.live_figure_bundle(widgets.VBox([]), fig, "A figure.")
    html = bundle["text/html"]
    assert html.startswith(f'<div class="{display.SAVED_FIGURE_CLASS}"><img src="data:image/png;base64,')
    assert html.endswith(f"{display.SAVED_FIGURE_NOTE}</p></div>")
    assert display.SAVED_FIGURE_NOTE == ("A picture saved with the notebook: run this cell for the live "
                                         "figure and its sliders.")


def picture_url(colour) -> str:
    rgba = np.zeros((4, 6, 4), dtype=np.uint8)
    rgba[...] = colour
    return display.png_data_url(rgba)


def saved_lesson():
    """A notebook as JupyterLab saves it: one live figure, one slider of the student's, one orphan."""
    shown_at_first = picture_url((255, 0, 0, 255))
    last_frame = picture_url((0, 0, 255, 255))

    def model(name, **state):
        return {"model_name": name, "model_module": "m", "model_module_version": "1", "state": state}

    state = {
        "box": model("VBoxModel", children=["IPY_MODEL_slider", "IPY_MODEL_canvas"], layout="IPY_MODEL_lay"),
        "slider": model("FloatSliderModel", layout="IPY_MODEL_lay2"),
        "canvas": model("MPLCanvasModel", _data_url=last_frame, toolbar="IPY_MODEL_bar"),
        "bar": model("ToolbarModel"), "lay": model("LayoutModel"), "lay2": model("LayoutModel"),
        "theirs": model("IntSliderModel", layout="IPY_MODEL_their_layout"),
        "their_layout": model("LayoutModel"),
        "orphan": model("MPLCanvasModel", _data_url=shown_at_first),
    }
    figure_html = display.saved_figure_html(f'<img src="{shown_at_first}" alt="A figure."/>')
    cells = [
        {"cell_type": "markdown", "source": "text", "metadata": {}},
        {"cell_type": "code", "source": "explorer", "metadata": {}, "outputs": [
            {"output_type": "display_data", "metadata": {},
             "data": {display.WIDGET_VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0},
                      "text/html": [figure_html[:40], figure_html[40:]], "text/plain": "[figure]"}}]},
        {"cell_type": "code", "source": "theirs", "metadata": {}, "outputs": [
            {"output_type": "display_data", "metadata": {},
             "data": {display.WIDGET_VIEW: {"model_id": "theirs"}, "text/plain": "IntSlider()"}}]},
    ]
    notebook = {"cells": cells, "metadata": {"widgets": {display.WIDGET_STATE: {"state": state}}}}
    return notebook, shown_at_first, last_frame


def test_saving_keeps_the_last_frame_as_the_picture_and_only_the_widget_state_others_need():
    notebook, shown_at_first, last_frame = saved_lesson()
    assert display.keep_saved_pictures(notebook) is notebook
    data = notebook["cells"][1]["outputs"][0]["data"]
    assert display.WIDGET_VIEW not in data, "a reopened lesson shows the picture, trusted or not"
    assert f'src="{last_frame}"' in data["text/html"] and shown_at_first not in data["text/html"]
    assert display.SAVED_FIGURE_NOTE in data["text/html"]
    state = notebook["metadata"]["widgets"][display.WIDGET_STATE]["state"]
    assert set(state) == {"theirs", "their_layout"}
    assert notebook["cells"][2]["outputs"][0]["data"][display.WIDGET_VIEW] == {"model_id": "theirs"}


def test_without_other_widgets_no_widget_state_is_left_and_make_execute_keeps_the_views():
    notebook, _, last_frame = saved_lesson()
    del notebook["cells"][2]
    display.keep_saved_pictures(notebook, live_views=True)
    assert "widgets" not in notebook["metadata"]
    data = notebook["cells"][1]["outputs"][0]["data"]
    assert data[display.WIDGET_VIEW]["model_id"] == "box" and last_frame in data["text/html"]


def test_a_figure_whose_state_holds_no_picture_keeps_the_one_it_was_displayed_with():
    notebook, shown_at_first, _ = saved_lesson()
    del notebook["metadata"]["widgets"]
    display.keep_saved_pictures(notebook)
    assert shown_at_first in "".join(notebook["cells"][1]["outputs"][0]["data"]["text/html"])
    assert notebook["metadata"] == {}


def test_the_save_hook_changes_notebooks_and_nothing_else():
    notebook, _, last_frame = saved_lesson()
    display.save_hook({"type": "notebook", "content": notebook}, path="x.ipynb", contents_manager=None)
    assert last_frame in notebook["cells"][1]["outputs"][0]["data"]["text/html"]
    text = {"type": "file", "content": "<div class=\"softmax-saved-figure\">"}
    display.save_hook(dict(text))
    assert text == {"type": "file", "content": "<div class=\"softmax-saved-figure\">"}
    display.save_hook({"type": "notebook", "content": None})  # a rename: no content


def test_jupyter_runs_the_save_hook_and_importing_it_loads_nothing_heavy():
    import json
    import subprocess

    root = Path(__file__).resolve().parent.parent
    config = json.loads((root / "jupyter_config" / "jupyter_server_config.json").read_text())
    assert config["ContentsManager"]["pre_save_hook"] == "lab_utils_display.save_hook"
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, lab_utils_display; "
         "print(sorted(m for m in ('numpy', 'matplotlib', 'ipympl', 'ipywidgets') if m in sys.modules))"],
        capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


LESSONS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_a_stored_lesson_opens_unmodified_and_its_live_figures_say_how_to_go_live(path):
    import json

    notebook = json.loads(path.read_text())
    assert "widgets" not in notebook["metadata"], "restoring widget state marks the lesson modified"
    assert "version" not in notebook["metadata"]["language_info"], "the Python version differs by student"
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if display.WIDGET_VIEW in output.get("data", {}):
                html = "".join(output["data"]["text/html"])
                assert display.SAVED_FIGURE_NOTE in html
                # The picture is the canvas's last frame (as wide as the figure), not the
                # picture taken when the cell displayed it (cropped to its contents).
                width = int(re.search(r'width="(\d+)"', html).group(1))
                frame = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
                assert decode_png(frame).shape[1] == width, "the picture is not the figure's last frame"


def test_lesson_01s_saved_explorer_picture_is_the_state_its_next_cell_reports():
    import json

    import lab_utils_common

    notebook = json.loads((LESSONS[0].parent / "01_softmax_function.ipynb").read_text())
    html = next("".join(output["data"]["text/html"]) for cell in notebook["cells"]
                for output in cell.get("outputs", []) if display.WIDGET_VIEW in output.get("data", {}))
    saved = decode_png(re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)).astype(int)

    def my_softmax(z):  # lesson 01's
        exponentials = np.exp(z)
        return exponentials / np.sum(exponentials)

    differences = {}
    with plt.rc_context():
        lab_utils_common.use_style()
        for z in ([0.0, 0.0, 0.0, 8.0], [1.0, 2.0, 0.5, 3.0]):  # where the scenario ends; the start
            explorer = ls.plt_softmax(my_softmax, interactive=False).set_z(z)
            explorer.fig.canvas.draw()
            drawn = np.asarray(explorer.fig.canvas.buffer_rgba()).astype(int)
            differences[z[-1]] = np.abs(drawn - saved).mean() if drawn.shape == saved.shape else np.inf
    assert differences[8.0] < 0.5 < differences[3.0], differences
