"""The live display: ipympl canvases, their saved pictures, and what a notebook shows."""

from __future__ import annotations

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
