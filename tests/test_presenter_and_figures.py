"""What an instructor and a student see from lab_utils_common: projector sizes, pictures, seeding."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest

import lab_utils_common as common


def test_presenter_mode_enlarges_every_size_a_projector_needs():
    with mpl.rc_context():
        for key in ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
                    "ytick.labelsize", "legend.fontsize", "figure.titlesize"):
            mpl.rcParams[key] = 10
        mpl.rcParams["lines.linewidth"] = 2
        mpl.rcParams["lines.markersize"] = 6
        mpl.rcParams["axes.linewidth"] = 1
        mpl.rcParams["figure.dpi"] = 100
        sizes = common.presenter_mode()
        common.student_mode()
    assert sizes == {
        "font.size": 13.5, "axes.titlesize": 13.5, "axes.labelsize": 13.5, "xtick.labelsize": 13.5,
        "ytick.labelsize": 13.5, "legend.fontsize": 13.5, "figure.titlesize": 13.5,
        "lines.linewidth": 3.5, "lines.markersize": 10.5, "axes.linewidth": 1.5,
        "figure.dpi": 120,
    }


def test_a_figure_made_in_presenter_mode_has_thicker_markers_and_axes():
    with mpl.rc_context():
        mpl.rcParams["lines.markersize"] = 6
        mpl.rcParams["axes.linewidth"] = 1
        common.presenter_mode()
        fig, ax = plt.subplots()
        (line,) = ax.plot([0, 1], [0, 1], "o")
        marker, spine = line.get_markersize(), ax.spines["left"].get_linewidth()
        plt.close(fig)
        common.student_mode()
    assert (marker, spine) == (10.5, 1.5)


def test_student_mode_without_presenter_mode_changes_nothing():
    with mpl.rc_context():
        mpl.rcParams["font.size"] = 11
        assert common.student_mode()["font.size"] == 11


def test_a_figure_image_prints_as_its_alt_text():
    fig = plt.figure()
    image = common.FigureImage(fig, "Two bars of equal height.")
    plt.close(fig)
    assert repr(image) == "[figure] Two bars of equal height."
    assert str(image) == "[figure] Two bars of equal height."


def test_figure_html_is_as_wide_as_the_figure_and_shrinks_to_fit():
    fig = plt.figure(figsize=(4, 2), dpi=50)
    tag = common.figure_html(fig, "An empty figure.")
    plt.close(fig)
    assert 'width="200"' in tag and 'style="max-width: 100%; height: auto;"' in tag


def test_use_style_without_the_style_file_says_to_run_make_venv(monkeypatch, tmp_path):
    monkeypatch.setattr(common, "STYLE_PATH", tmp_path / "deeplearning.mplstyle")
    with pytest.raises(FileNotFoundError, match="Run `make venv` from the repository root"):
        common.use_style()


def test_make_reproducible_asks_tensorflow_for_one_thread_a_seed_and_determinism(monkeypatch):
    # In this process, with TensorFlow's settings recorded instead of applied
    # (they cannot be undone); tests/test_lab_utils_common.py checks the real thing in fresh processes.
    import keras
    import tensorflow as tf

    calls = []
    for module, name in [(tf.config.threading, "set_intra_op_parallelism_threads"),
                         (tf.config.threading, "set_inter_op_parallelism_threads"),
                         (keras.utils, "set_random_seed"),
                         (tf.config.experimental, "enable_op_determinism")]:
        monkeypatch.setattr(module, name, lambda *args, name=name: calls.append((name, *args)))
    assert common.make_reproducible(7) == 7
    assert calls == [("set_intra_op_parallelism_threads", 1),
                     ("set_inter_op_parallelism_threads", 1),
                     ("set_random_seed", 7), ("enable_op_determinism",)]
    calls.clear()
    common.make_reproducible(3, single_thread=False)
    assert calls == [("set_random_seed", 3), ("enable_op_determinism",)]
    # Without a seed, the same numbers as the lessons' make_reproducible(0).
    calls.clear()
    common.make_reproducible()
    without_a_seed = calls[:]
    calls.clear()
    common.make_reproducible(0)
    assert without_a_seed == calls

    def too_late(threads):
        raise RuntimeError("Intra op parallelism cannot be modified after initialization.")

    monkeypatch.setattr(tf.config.threading, "set_intra_op_parallelism_threads", too_late)
    with pytest.raises(RuntimeError, match="must run before any TensorFlow operation. Restart the "
                                           "kernel and call it right after the imports."):
        common.make_reproducible(0)


def test_presenter_sizes_are_rounded_to_hundredths_of_a_point():
    with mpl.rc_context():
        mpl.rcParams["font.size"] = 10
        sizes = common.presenter_mode(scale=1.234)
        common.student_mode()
    assert sizes["font.size"] == 16.66


# ------------------------------------------------------------ the picture inside figure_html
def picture(tag: str) -> bytes:
    """The PNG an <img> tag from figure_html holds (after exactly one data: prefix)."""
    import base64
    import re

    payload = re.fullmatch(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" .*', tag).group(1)
    png = base64.b64decode(payload, validate=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "a PNG"
    return png


def pixels(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def a_drawing(width: float = 2, height: float = 1):
    """A figure at 50 dpi whose drawing fills it, so the picture is the figure plus margins."""
    fig = plt.figure(figsize=(width, height), dpi=50)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.plot([0, 1], [0, 1])
    ax.set_axis_off()
    return fig


# An instructor's matplotlibrc may save figures as SVG, at 300 dpi, uncropped:
# the pictures in notebooks stay PNGs at the figure's own resolution, cropped.
@pytest.mark.parametrize("saving", [{}, {"savefig.format": "svg", "savefig.dpi": 300,
                                          "savefig.bbox": "standard"}],
                         ids=["matplotlib's defaults", "an instructor's matplotlibrc"])
def test_a_figure_becomes_a_png_at_its_own_resolution_with_a_tenth_of_an_inch_margin(saving):
    with mpl.rc_context(saving):
        fig = a_drawing()
        png = picture(common.figure_html(fig, "A rising line."))
        plt.close(fig)
    assert pixels(png) == (100 + 10, 50 + 10)


def test_a_label_outside_the_figure_is_in_the_picture_and_empty_space_is_not():
    fig = plt.figure(figsize=(2, 1), dpi=50)  # 100 x 50 pixels
    fig.text(0.9, 0.5, "a label that sticks out of the figure")
    width, height = pixels(picture(common.figure_html(fig, "A label.")))
    plt.close(fig)
    assert width > 100 and height < 50


def test_a_sharper_picture_for_slides_is_shown_at_the_same_size():
    fig = a_drawing()
    normal, sharp = (common.figure_html(fig, "A rising line.", dpi=dpi) for dpi in (None, 100))
    plt.close(fig)
    assert pixels(picture(sharp)) == tuple(2 * n for n in pixels(picture(normal)))
    assert 'width="100"' in normal and 'width="100"' in sharp


def test_a_figure_without_alt_text_is_refused_in_one_line_saying_what_to_add():
    fig = plt.figure()
    with pytest.raises(common.HelperValueError) as refused:
        common.figure_html(fig, " ")
    plt.close(fig)
    assert refused.value._render_traceback_() == [
        "ValueError: Every figure needs alt text: a sentence saying what it shows."]


def test_show_figure_closes_the_figure_it_shows_and_not_the_one_being_drawn(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj: None)
    shown, next_one = plt.figure(), plt.figure()  # the next one is matplotlib's current figure
    common.show_figure(shown, "An empty figure.")
    assert not plt.fignum_exists(shown.number) and plt.fignum_exists(next_one.number)
    plt.close(next_one)


# ------------------------------------------------------------ presenting: sizes with nobody calling anything
def test_in_a_slideshow_use_style_draws_at_presenter_sizes_and_otherwise_at_student_sizes(monkeypatch):
    with mpl.rc_context():
        monkeypatch.delenv(common.PRESENTER_ENV, raising=False)
        common.use_style()
        student = (mpl.rcParams["font.size"], mpl.rcParams["figure.dpi"])
        monkeypatch.setenv(common.PRESENTER_ENV, "1")
        common.use_style()
        common.use_style()  # twice, as a lesson re-run from the top does: sizes do not grow twice
        presenter = (mpl.rcParams["font.size"], mpl.rcParams["figure.dpi"])
        common.student_mode()
    assert student == (12.0, 100.0)
    assert presenter == (16.2, 120.0)


def test_a_picture_drawn_for_slides_says_how_small_its_text_is(monkeypatch):
    fig, ax = plt.subplots(figsize=(4, 2), dpi=100)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("a title", fontsize=18)
    ax.text(0.5, 0.5, "small", fontsize=9)
    ax.text(0.5, 0.2, "", fontsize=4)  # empty text draws nothing
    assert common.smallest_text_px(fig) == 12.5  # 9 points at 100 dpi
    assert common.smallest_text_px(fig, dpi=200) == 25.0
    monkeypatch.delenv(common.PRESENTER_ENV, raising=False)
    assert "softmax-text-px" not in common.figure_html(fig, "A figure.")
    monkeypatch.setenv(common.PRESENTER_ENV, "1")
    assert 'class="softmax-text-px-1250"' in common.figure_html(fig, "A figure.")
    plt.close(fig)
