"""What a student sees in the softmax explorer's figure: colours, bold labels, legend, saved picture.

Read through the public figure (``explorer.fig``) and the canvas's saved picture,
so these tests do not depend on where the drawing code lives.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_hex, to_rgba

import lab_utils_softmax as ls
from lab_utils_common import dlc

BLUE, ORANGE, PURPLE, RED = (dlc[k].lower() for k in ("dlblue", "dlorange", "dlpurple", "dldarkred"))


def good_softmax(z):
    exp_z = np.exp(z - np.max(z))
    return exp_z / np.sum(exp_z)


def probability_axes(explorer):
    return explorer.fig.axes[1]


def bar_colours(explorer):
    return [to_hex(bar.get_facecolor()) for bar in probability_axes(explorer).patches]


def value_labels(explorer):
    """The number printed beside each probability bar, with its font weight."""
    texts = probability_axes(explorer).texts[:explorer.n]
    return [(t.get_text(), t.get_fontweight()) for t in texts]


def status_line(explorer):
    return probability_axes(explorer).texts[explorer.n]


def test_the_largest_probability_is_orange_and_bold_the_others_blue():
    e = ls.plt_softmax(good_softmax, interactive=False).set_z([1.0, 4.0, 0.5, 2.0])
    assert bar_colours(e) == [BLUE, ORANGE, BLUE, BLUE]
    assert [weight for _, weight in value_labels(e)] == ["normal", "bold", "normal", "normal"]
    assert value_labels(e)[1][0] == f"{e.a[1]:.3f}"
    assert [to_hex(bar.get_facecolor()) for bar in e.fig.axes[0].patches] == [BLUE] * 4


def test_while_a_message_shows_no_bar_is_highlighted_and_the_status_points_to_it():
    e = ls.plt_softmax(np.exp, interactive=False, z=[1.0, 4.0, 0.5, 2.0])
    assert e.message
    assert bar_colours(e) == [BLUE] * 4
    assert all(weight == "normal" for _, weight in value_labels(e))
    assert status_line(e).get_text() == "check the message above"
    assert to_hex(status_line(e).get_color()) == RED
    e = ls.plt_softmax(good_softmax, interactive=False, z=[1.0, 4.0, 0.5, 2.0])  # fixed
    assert bar_colours(e)[1] == ORANGE and status_line(e).get_text() == "sum = 1.0000"
    assert to_hex(status_line(e).get_color()) == "#222222"


def test_a_function_returning_nan_shows_question_marks_and_empty_bars():
    e = ls.plt_softmax(lambda z: np.full(4, np.nan), interactive=False)
    assert [text for text, _ in value_labels(e)] == ["?"] * 4
    assert [bar.get_width() for bar in probability_axes(e).patches] == [0.0] * 4


def test_the_stable_overlay_comes_with_its_legend_and_without_it_there_is_none():
    with_overlay = ls.plt_softmax(good_softmax, interactive=False, show_stable=True)
    legend = probability_axes(with_overlay).get_legend()
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == ["stable softmax"]
    without = ls.plt_softmax(good_softmax, interactive=False)
    assert probability_axes(without).get_legend() is None


def test_logit_labels_sit_outside_the_bar_end_on_either_side():
    e = ls.plt_softmax(good_softmax, interactive=False, z_range=(-10, 10)).set_z([-5, 0, 5, 1])
    labels = e.fig.axes[0].texts[:4]
    assert [t.get_text() for t in labels] == ["-5.0", "0.0", "5.0", "1.0"]
    assert [t.get_position()[0] for t in labels] == [-5.4, 0.4, 5.4, 1.4]
    assert [t.get_horizontalalignment() for t in labels] == ["right", "left", "left", "left"]


def test_cross_entropy_explorer_colours_the_target_purple_not_the_largest():
    e = ls.plt_cross_entropy(good_softmax, target_class=2, interactive=False)
    e.set_z([1.0, 4.0, 0.5, 2.0])
    assert bar_colours(e) == [BLUE, BLUE, PURPLE, BLUE]
    assert status_line(e).get_text() == f"loss = -log(a₂) = {e.loss:.4f}"


def test_saved_picture_has_exactly_one_data_prefix_and_holds_a_png():
    e = ls.plt_softmax(good_softmax, interactive=True)
    e._repr_mimebundle_()
    e.set_z([3.0, 1.0, 0.0, -2.0])
    sent = []
    e.fig.canvas.observe(lambda change: sent.append(change["new"]), names="_data_url")
    e.fig.canvas.draw()
    assert sent
    for url in sent:
        prefix, _, payload = url.partition(",")
        assert prefix == "data:image/png;base64"
        assert base64.b64decode(payload, validate=True)[:8] == b"\x89PNG\r\n\x1a\n"


class Shell:
    """Enough of an IPython shell for the explorer's 'am I in a kernel?' question."""

    def __init__(self, kernel):
        self.kernel = kernel


def test_sliders_appear_by_default_only_in_a_kernel_whose_figures_ipympl_draws(monkeypatch):
    import ipympl.backend_nbagg  # noqa: F401  (imported before the shell is faked)

    monkeypatch.setattr("matplotlib.get_backend", lambda: "module://ipympl.backend_nbagg")
    monkeypatch.setattr("IPython.get_ipython", lambda: Shell(kernel=object()))
    assert ls.plt_softmax(good_softmax).interactive is True
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    assert ls.plt_softmax(good_softmax).interactive is False, "plain Python: a picture"
    monkeypatch.setattr("IPython.get_ipython", lambda: Shell(kernel=object()))
    monkeypatch.setattr("matplotlib.get_backend", lambda: "inline")
    assert ls.plt_softmax(good_softmax).interactive is False, "%matplotlib inline: a picture"


def frame(explorer):
    return np.asarray(explorer.fig.canvas.buffer_rgba()).copy()


def test_titles_axis_labels_and_class_names_are_where_a_student_reads_them():
    e = ls.plt_softmax(good_softmax, interactive=False, z_range=(-4, 6))
    logits, probabilities = e.fig.axes
    assert (logits.get_title(), logits.get_xlabel()) == ("logits z", "z")
    assert (probabilities.get_title(), probabilities.get_xlabel()) == ("a = good_softmax(z)", "probability a")
    assert [t.get_text() for t in logits.get_yticklabels()] == [f"class {j}" for j in range(4)]
    assert not any(t.label1.get_visible() for t in probabilities.yaxis.get_major_ticks()), \
        "the class names are printed once, on the left"
    assert logits.get_xlim() == (-6, 8), "the sliders' range and 20 % more each side for the labels"
    assert list(logits.get_xticks()) == [-2.5, 0, 2.5, 5], "ticks only in the range"
    assert probabilities.get_xlim()[0] == 0 and 1 < probabilities.get_xlim()[1] < 1.3
    assert [line.get_xdata()[0] for line in logits.lines] == [0], "a line marks z = 0"


def test_bars_of_both_charts_share_rows_and_do_not_touch():
    e = ls.plt_softmax(good_softmax, interactive=False, n=6)
    logits, probabilities = e.fig.axes
    assert probabilities.get_ylim() == logits.get_ylim()
    top, bottom = sorted(logits.get_ylim())
    status_y = status_line(e).get_position()[1]
    for axes in (logits, probabilities):
        rows = [(bar.get_y(), bar.get_y() + bar.get_height()) for bar in axes.patches]
        assert [round((y0 + y1) / 2, 6) for y0, y1 in rows] == list(range(6)), "class 0 on row 0"
        assert len({round(y1 - y0, 6) for y0, y1 in rows}) == 1 and rows[0][1] - rows[0][0] < 1
        assert top < rows[0][0] and rows[-1][1] < status_y < bottom, "the status line below the bars"
        assert rows[0][0] - top < 0.5 and bottom - status_y < 0.5, "no empty row at the top or bottom"


def test_a_function_returning_numbers_outside_0_to_1_draws_clipped_bars_and_the_numbers():
    e = ls.plt_softmax(lambda z: z * 10, interactive=False, z=[-1.0, 0.05, 2.0, 0.0])
    assert [bar.get_width() for bar in probability_axes(e).patches] == [0.0, 0.5, 1.15, 0.0]
    assert [text for text, _ in value_labels(e)] == ["-10.000", "0.500", "20.000", "0.000"]
    assert [t.get_position()[0] for t in probability_axes(e).texts[:4]] == [0.02, 0.52, 1.17, 0.02]


def saved_picture(explorer) -> np.ndarray:
    """The picture in the explorer's display data (what a saved notebook shows), as RGB pixels."""
    import io
    import re

    from PIL import Image

    html = explorer._repr_mimebundle_()["text/html"]
    payload = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGB"))


def pixels_of(colour: str, picture: np.ndarray) -> int:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int(np.all(np.abs(picture.astype(int) - rgb) <= 8, axis=2).sum())


@pytest.mark.parametrize("interactive", [False, True])
def test_the_saved_picture_shows_the_bars_and_the_highlight(interactive):
    e = ls.plt_softmax(good_softmax, interactive=interactive, z=[1.0, 4.0, 0.5, 2.0])
    picture = saved_picture(e)
    assert pixels_of(ORANGE, picture) > 500 and pixels_of(BLUE, picture) > 2000
    e.set_z([4.0, 1.0, 0.5, 2.0])  # the picture follows the sliders
    assert np.any(saved_picture(e) != picture)


def test_a_figure_row_per_class_in_the_saved_picture():
    sizes = {}
    for n in (2, 4, 10):
        height, width, _ = saved_picture(ls.plt_softmax(good_softmax, interactive=False, n=n)).shape
        sizes[n] = (width, height)
    assert len({width for width, _ in sizes.values()}) == 1
    assert sizes[2][1] < sizes[4][1] < sizes[10][1]
    per_class = (sizes[10][1] - sizes[4][1]) / 6
    assert per_class == pytest.approx((sizes[4][1] - sizes[2][1]) / 2, abs=1)
    assert 30 <= per_class <= 50 and sizes[2][1] > 1.5 * per_class * 2, "room for titles and labels"


MOVES = {
    # name: (how the explorer is made, what the student does; then how one made there is made)
    "sliders": (dict(), lambda e: e.set_z([3.0, -2.0, 0.0, 1.0]), dict(z=[3.0, -2.0, 0.0, 1.0])),
    "temperature": (dict(temperature=True, show_stable=True),
                    lambda e: e.set_z([3.0, -2.0, 0.0, 1.0]).set_temperature(2.0),
                    dict(temperature=True, show_stable=True, z=[3.0, -2.0, 0.0, 1.0])),
    "target": (dict(target_class=0), lambda e: e.set_z([3.0, -2.0, 0.0, 1.0]).set_target(2),
               dict(target_class=2, z=[3.0, -2.0, 0.0, 1.0])),
    "a slider dragged": (dict(), lambda e: setattr(e.sliders[1], "value", 4.0), dict(z=[1.0, 4.0, 0.5, 3.0])),
}


@pytest.mark.parametrize("move", MOVES)
def test_the_live_figure_after_a_move_is_the_figure_of_an_explorer_made_there(move):
    # Each move redraws only the bars and numbers over a kept background; what
    # the student sees must be what a full drawing of the new state shows.
    made_with, do, made_there_with = MOVES[move]
    make = ls.plt_cross_entropy if "target_class" in made_with else ls.plt_softmax
    moved = make(good_softmax, interactive=True, **made_with)
    moved._repr_mimebundle_()
    do(moved)
    there = make(good_softmax, interactive=True, **made_there_with)
    if move == "temperature":
        there.set_temperature(2.0)
    there._repr_mimebundle_()
    changed = np.any(frame(moved) != frame(there), axis=2).sum()
    assert changed == 0, f"{changed} pixels differ"
    assert moved.summary() == there.summary()


def test_the_two_charts_sit_side_by_side_with_bars_of_one_thickness():
    e = ls.plt_softmax(good_softmax, interactive=False)
    e.fig.canvas.draw()
    logits, probabilities = (axes.get_window_extent() for axes in e.fig.axes)
    assert logits.x1 < probabilities.x0, "z on the left, a on the right"
    assert (logits.y0, logits.y1) == pytest.approx((probabilities.y0, probabilities.y1))
    heights = {round(bar.get_height(), 6) for axes in e.fig.axes for bar in axes.patches}
    assert len(heights) == 1, f"a class's two bars differ in thickness: {heights}"


@pytest.mark.parametrize("style", ["default", "../deeplearning.mplstyle"])
def test_labels_and_the_zero_line_look_the_same_whatever_style_the_notebook_chose(style):
    import matplotlib.pyplot as plt

    if style != "default":
        style = str(Path(__file__).parent / style)
    with plt.style.context("default"):
        reference = ls.plt_softmax(good_softmax, interactive=False, show_stable=True)
    with plt.style.context(style):
        e = ls.plt_softmax(good_softmax, interactive=False, show_stable=True)
        data_line = plt.rcParams["lines.linewidth"]

    def text_sizes(explorer):  # the numbers, the status line and the legend
        legend = probability_axes(explorer).get_legend().get_texts()
        return [t.get_fontsize() for t in [*explorer.fig.axes[0].texts, *explorer.fig.axes[1].texts, *legend]]

    assert text_sizes(e) == text_sizes(reference) and len(text_sizes(e)) == 2 * e.n + 2
    zero_line, = e.fig.axes[0].lines
    assert zero_line.get_linewidth() == reference.fig.axes[0].lines[0].get_linewidth()
    assert zero_line.get_linewidth() < data_line, "a guide, thinner than a plotted line"
    r, g, b, _ = to_rgba(zero_line.get_color())
    assert r == g == b and 0.3 < r < 0.8, "grey, not a class colour"


def test_the_numbers_beside_the_bars_are_centred_on_them():
    e = ls.plt_softmax(good_softmax, interactive=False, z=[1.0, 2.0, -0.5, 3.0])
    e.fig.canvas.draw()
    renderer = e.fig.canvas.get_renderer()
    for axes in e.fig.axes:
        for bar, label in zip(axes.patches, axes.texts):
            bar_box, text_box = bar.get_window_extent(renderer), label.get_window_extent(renderer)
            middle = (text_box.y0 + text_box.y1) / 2
            assert abs(middle - (bar_box.y0 + bar_box.y1) / 2) < 0.05 * bar_box.height, label.get_text()


def dark_pixels(explorer, colour=(0x22, 0x22, 0x22)):
    """Which pixels of the drawn figure have the stable overlay's colour (rows from the top)."""
    explorer.fig.canvas.draw()
    image = np.asarray(explorer.fig.canvas.buffer_rgba())[..., :3].astype(int)
    return np.all(np.abs(image - np.array(colour)) < 40, axis=-1)


def test_the_stable_softmax_is_a_thick_dark_tick_as_tall_as_each_bar_and_nothing_joins_them():
    e = ls.plt_softmax(ls.softmax, interactive=False, show_stable=True, z=[1.0, 2.0, -0.5, 3.0])
    dark = dark_pixels(e)
    axes, height = probability_axes(e), dark.shape[0]
    ticks = []
    for j, bar in enumerate(axes.patches):
        x, y = axes.transData.transform((e.a[j], j))
        column, row = int(round(x)), height - int(round(y))
        run = dark[:, column - 1:column + 2].any(axis=1)
        top, bottom = row, row
        while run[top - 1]:
            top -= 1
        while run[bottom + 1]:
            bottom += 1
        assert bottom - top >= 0.8 * bar.get_window_extent().height, f"class {j}: a tick as tall as its bar"
        assert dark[row, column - 4:column + 5].sum() >= 3, f"class {j}: a tick thick enough to see"
        ticks.append((column, row))
    for (x0, y0), (x1, y1) in zip(ticks, ticks[1:]):
        between = dark[(y0 + y1) // 2, min(x0, x1) + 4:max(x0, x1) - 4]
        assert not between.any(), "no line joins one class's tick to the next"
    colours = {to_hex(bar.get_facecolor()) for bar in axes.patches}
    assert to_hex(axes.lines[0].get_color()) not in colours | {BLUE, ORANGE, PURPLE}


def test_the_legend_sits_above_the_probability_chart_clear_of_its_title():
    e = ls.plt_softmax(good_softmax, interactive=False, show_stable=True)
    e.fig.canvas.draw()
    axes = probability_axes(e)
    legend, title, chart = (artist.get_window_extent() for artist in (axes.get_legend(), axes.title, axes))
    assert legend.y0 >= chart.y1 and legend.y0 >= title.y1 - 1, "above the bars and the title"
    assert abs(legend.x1 - chart.x1) < 10, "right-aligned with the chart"
    assert e.fig.bbox.contains(legend.x0, legend.y0) and e.fig.bbox.contains(legend.x1, legend.y1)


def test_the_status_line_is_inside_the_chart_below_the_last_bar():
    for e in (ls.plt_softmax(good_softmax, interactive=False, n=n) for n in (2, 4, 10)):
        e.fig.canvas.draw()
        axes = probability_axes(e)
        status, chart = status_line(e).get_window_extent(), axes.get_window_extent()
        last_bar = axes.patches[-1].get_window_extent()
        assert chart.y0 <= status.y0 and status.y1 <= last_bar.y0, f"n={e.n}"
        assert chart.x0 <= status.x0 < chart.x0 + 0.05 * chart.width


# --- issue 23: the ends of the range, ties, and a range of thousands ----------------


def text_boxes(explorer):
    """Window extents of every visible text in the figure: tick labels, titles, values."""
    fig = explorer.fig
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = {}
    for number, ax in enumerate(fig.axes):
        for kind, texts in (("tick", ax.get_xticklabels() + ax.get_yticklabels()), ("text", ax.texts)):
            for text in texts:
                if text.get_visible() and text.get_text():
                    boxes[(number, kind, text.get_text(), len(boxes))] = text.get_window_extent(renderer)
    return boxes


def overlapping(boxes):
    keys = list(boxes)
    return [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:] if boxes[a].overlaps(boxes[b])]


SCENES = [
    ("all -10", (-10.0, 10.0), [-10.0] * 4),
    ("all +10", (-10.0, 10.0), [10.0] * 4),
    ("all equal", (-10.0, 10.0), [2.0] * 4),
    ("both ends", (-10.0, 10.0), [-10.0, 10.0, 0.5, -3.0]),
    ("07's range of thousands", (-2000.0, 2000.0), [1000.0, 1001.0, 1002.0, 0.0]),
    ("07's range at its ends", (-2000.0, 2000.0), [-2000.0, 2000.0, -1999.9, 0.0]),
]


@pytest.mark.parametrize("z_range, z", [scene[1:] for scene in SCENES], ids=[s[0] for s in SCENES])
@pytest.mark.parametrize("style", ["course", "matplotlib's default"])
def test_no_label_of_the_explorer_overlaps_another_or_leaves_its_panel(z_range, z, style):
    import matplotlib

    from lab_utils_common import use_style

    with matplotlib.rc_context():
        if style == "course":
            use_style()
        e = ls.plt_softmax(good_softmax, interactive=False, z_range=z_range).set_z(z)
        boxes = text_boxes(e)
    assert overlapping(boxes) == []
    panels = [ax.get_window_extent() for ax in e.fig.axes]
    for (number, kind, label, _), box in boxes.items():
        if kind == "text":  # a value beside a bar, or the status line: inside its own panel
            assert panels[number].x0 <= box.x0 and box.x1 <= panels[number].x1, label


def test_ticks_of_the_logits_stay_in_the_sliders_range_five_at_most():
    for z_range in [(-10.0, 10.0), (-2000.0, 2000.0), (0.0, 3.0)]:
        ticks = ls.plt_softmax(good_softmax, interactive=False, z_range=z_range).fig.axes[0].get_xticks()
        assert 3 <= len(ticks) <= 5 and z_range[0] <= min(ticks) and max(ticks) <= z_range[1], ticks


@pytest.mark.parametrize("z", [[2.0] * 4, [5.0, 5.0, 1.0, 0.0], [-10.0] * 4])
def test_no_class_is_marked_largest_when_the_largest_probability_is_shared(z):
    e = ls.plt_softmax(good_softmax, interactive=False).set_z(z)
    assert e.largest_class() == -1
    assert bar_colours(e) == [BLUE] * 4
    assert all(weight == "normal" for _, weight in value_labels(e))
    assert ls.plt_softmax(good_softmax, interactive=False).set_z([5.0, 5.1, 1.0, 0.0]).largest_class() == 1
