"""What a student sees in the softmax explorer's figure: colours, bold labels, legend, saved picture.

Read through the public figure (``explorer.fig``) and the canvas's saved picture,
so these tests do not depend on where the drawing code lives.
"""

from __future__ import annotations

import base64

import numpy as np
from matplotlib.colors import to_hex

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
