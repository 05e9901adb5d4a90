"""What students read off the four-class plots: epochs on the axis, region borders, visible markers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

import lab_utils_multiclass as mc  # noqa: E402
from test_lab_utils_multiclass import ax, nearest_center_scores  # noqa: E402,F401 - a fixture and the stand-in model


def test_loss_curves_have_one_tick_per_epoch_of_the_longest_run(ax):
    mc.plot_loss_curves(ax, {"short": [1.0, 0.5], "long": [1.0, 0.6, 0.4, 0.3, 0.2]})
    assert ax.get_xticks().tolist() == [1, 2, 3, 4, 5]


def test_overlapping_loss_curves_differ_in_marker_size_colour_and_style(ax):
    same = [1.0, 0.5, 0.25]
    lines = mc.plot_loss_curves(ax, {name: same for name in "abcde"})
    assert [line.get_markersize() for line in lines] == [8, 6, 4, 8, 6]
    assert [line.get_marker() for line in lines] == ["o", "s", "^", "D", "o"]
    assert [line.get_linestyle() for line in lines] == ["-", "--", ":", "-.", "-"]
    assert [to_hex(line.get_color()) for line in lines] == [
        c.lower() for c in mc.CLASS_COLORS + mc.CLASS_COLORS[:1]]
    assert ax.get_legend() is not None
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list("abcde")
    assert ax.get_xlabel() == "epoch" and ax.get_title() == "Training loss per epoch"


def test_decision_regions_shade_each_class_between_half_integer_levels(ax):
    X, y = mc.make_blobs_dataset(n_samples=200)
    mc.plot_decision_regions(ax, nearest_center_scores, X, y, resolution=40)
    filled = [c for c in ax.collections if getattr(c, "filled", False)]
    assert len(filled) == 1
    assert filled[0].levels.tolist() == [-0.5, 0.5, 1.5, 2.5, 3.5]
    borders = [c for c in ax.collections if hasattr(c, "levels") and not c.filled]
    assert len(borders) == 4 and all(b.levels.tolist() == [0.5] for b in borders)


def test_decision_regions_of_a_model_that_picks_one_class_draw_no_border(ax):
    X, y = mc.make_blobs_dataset(n_samples=200)
    mc.plot_decision_regions(ax, lambda p: np.tile([0.0, 0.0, 1.0, 0.0], (len(p), 1)), X, y,
                             resolution=10)
    borders = [c for c in ax.collections if hasattr(c, "levels") and not c.filled]
    assert borders == []


def test_decision_regions_reach_the_margin_beyond_the_data(ax):
    X = np.array([[0.0, 0.0], [2.0, 4.0]])
    grid = mc.plot_decision_regions(ax, nearest_center_scores, X, [0, 1], resolution=5,
                                    margin=0.5)
    assert ax.get_xlim() == (-0.5, 2.5) and ax.get_ylim() == (-0.5, 4.5)
    assert grid.shape == (5, 5)


def test_class_points_are_drawn_at_the_given_size_and_the_legend_markers_twice_as_large(ax):
    X, y = mc.make_blobs_dataset(n_samples=40)
    artists = mc.plot_classes(ax, X, y, size=30, alpha=0.5)
    assert all(a.get_sizes().tolist() == [30] and a.get_alpha() == 0.5 for a in artists)
    legend = ax.get_legend()
    assert legend is not None and legend.markerscale == 2
    assert [t.get_text() for t in legend.get_texts()] == [f"class {k}" for k in range(4)]
    assert ax.get_xlabel() == "$x_0$" and ax.get_ylabel() == "$x_1$"


def test_plot_classes_without_a_legend_draws_none(ax):
    X, y = mc.make_blobs_dataset(n_samples=40)
    mc.plot_classes(ax, X, y, legend=False)
    assert ax.get_legend() is None
