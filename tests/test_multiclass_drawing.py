"""What students read off the four-class plots: epochs on the axis, region borders, visible markers."""

from __future__ import annotations

from pathlib import Path

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


# --- where each class's points, regions and borders are drawn -----------------


def _class_points(ax):
    """plot_classes's four scatters on the axes, class 0 first."""
    return [c for c in ax.collections if c.get_label().startswith("class ")]


def test_plot_classes_draws_each_point_where_it_is_in_its_marker_without_an_outline(ax):
    from matplotlib.markers import MarkerStyle

    X, y = mc.make_blobs_dataset(n_samples=40)
    artists = mc.plot_classes(ax, X, y)
    for target_class, (artist, marker) in enumerate(zip(artists, mc.CLASS_MARKERS)):
        np.testing.assert_array_equal(artist.get_offsets(), X[y == target_class])
        expected = MarkerStyle(marker)
        np.testing.assert_allclose(artist.get_paths()[0].vertices,
                                   expected.get_path().transformed(expected.get_transform()).vertices)
        assert len(artist.get_edgecolor()) == 0          # no outline around the markers
        assert artist.get_sizes().tolist() == [12] and artist.get_alpha() == 0.7


def test_plot_classes_legend_sits_outside_the_plot_to_the_right_at_the_top(ax):
    X, y = mc.make_blobs_dataset(n_samples=40)
    mc.plot_classes(ax, X, y)
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    frame = ax.get_window_extent()
    assert frame.x1 < legend.x0 < frame.x1 + 0.05 * frame.width
    assert frame.y1 - 0.05 * frame.height < legend.y1 <= frame.y1


def test_each_class_region_is_shaded_in_its_light_colour_around_its_center(ax):
    from matplotlib.colors import to_rgba

    X, y = mc.make_blobs_dataset(n_samples=200)
    mc.plot_decision_regions(ax, nearest_center_scores, X, y, resolution=40)
    (regions,) = [c for c in ax.collections if getattr(c, "filled", False)]
    for target_class, center in enumerate(mc.BLOB_CENTERS):
        assert regions.get_paths()[target_class].contains_point(center)
        np.testing.assert_allclose(regions.get_facecolor()[target_class],
                                   to_rgba(mc.CLASS_COLORS[target_class], 0.25))


def test_region_borders_are_thin_dark_lines_where_the_models_choice_changes(ax):
    X, y = mc.make_blobs_dataset(n_samples=200)
    mc.plot_decision_regions(ax, nearest_center_scores, X, y, resolution=40)
    borders = [c for c in ax.collections if hasattr(c, "levels") and not c.filled]
    spacing = (ax.get_xlim()[1] - ax.get_xlim()[0]) / 39
    centers = np.asarray(mc.BLOB_CENTERS)
    for border in borders:
        assert to_hex(border.get_edgecolor()[0]) == "#333333"
        assert border.get_linewidth()[0] == 1
        vertices = np.concatenate([path.vertices for path in border.get_paths()])
        assert len(vertices) > 10
        nearest_two = np.sort(np.linalg.norm(vertices[:, None, :] - centers[None], axis=2), axis=1)[:, :2]
        assert np.all(nearest_two[:, 1] - nearest_two[:, 0] < 2 * spacing)   # on the line between two centers


def test_regions_lie_under_their_borders_under_the_points_and_under_what_was_drawn_before(ax):
    earlier = ax.scatter([0.0], [0.0])
    X, y = mc.make_blobs_dataset(n_samples=200)
    mc.plot_decision_regions(ax, nearest_center_scores, X, y, resolution=20)
    (regions,) = [c for c in ax.collections if getattr(c, "filled", False)]
    borders = [c for c in ax.collections if hasattr(c, "levels") and not c.filled]
    points = _class_points(ax)
    assert regions.get_zorder() < earlier.get_zorder()
    assert all(regions.get_zorder() < b.get_zorder() < p.get_zorder() for b in borders for p in points)


def test_a_class_picked_at_a_single_grid_point_still_gets_its_border(ax):
    def one_point_of_class_1(points):
        middle = np.all(np.isclose(points, 1.0), axis=1)[:, None]
        return np.where(middle, [0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0])

    grid = mc.plot_decision_regions(ax, one_point_of_class_1, [[0.0, 0.0], [2.0, 2.0]], [0, 0],
                                    resolution=3, margin=0.0)
    assert grid.sum() == 1
    assert len([c for c in ax.collections if hasattr(c, "levels") and not c.filled]) == 2


def test_decision_regions_fill_the_plot_even_over_something_wider_drawn_before(ax):
    ax.plot([-50.0, 50.0], [-40.0, 40.0])
    X, y = mc.make_blobs_dataset(n_samples=200)
    grid = mc.plot_decision_regions(ax, nearest_center_scores, X, y)
    assert grid.shape == (200, 200)
    assert ax.get_xlim() == pytest.approx((X[:, 0].min() - 1, X[:, 0].max() + 1))
    assert ax.get_ylim() == pytest.approx((X[:, 1].min() - 1, X[:, 1].max() + 1))


# --- the confidence map -----------------------------------------------------------


class _ProbabilityModel:
    """A Keras-like model whose outputs are the softmax of the nearest-center scores."""

    def __init__(self, dtype=float):
        self.dtype = dtype

    def predict(self, points, verbose=0, batch_size=None):
        scores = nearest_center_scores(np.asarray(points))
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        return (shifted / shifted.sum(axis=1, keepdims=True)).astype(self.dtype)


def test_confidence_map_by_default_shows_the_data_plus_one_with_small_points_and_no_legend(ax):
    X, y = mc.make_blobs_dataset(n_samples=200)
    confidence = mc.plot_confidence_map(ax, _ProbabilityModel(), X, y)
    assert confidence.shape == (150, 150)
    assert ax.get_xlim() == pytest.approx((X[:, 0].min() - 1, X[:, 0].max() + 1))
    assert ax.get_ylim() == pytest.approx((X[:, 1].min() - 1, X[:, 1].max() + 1))
    points = _class_points(ax)
    assert len(points) == 4 and sum(len(p.get_offsets()) for p in points) == len(X)
    assert all(p.get_sizes().tolist() == [6] and p.get_alpha() == 0.8 for p in points)
    assert ax.get_legend() is None


def test_confidence_map_holds_the_largest_probability_at_each_grid_point(ax):
    X, y = mc.make_blobs_dataset(n_samples=40)
    confidence = mc.plot_confidence_map(ax, _ProbabilityModel(), X, y, limits=(-8, 8, -4, 6), resolution=9)
    grid0, grid1 = np.meshgrid(np.linspace(-8, 8, 9), np.linspace(-4, 6, 9))
    expected = _ProbabilityModel().predict(np.column_stack([grid0.ravel(), grid1.ravel()])).max(axis=1)
    np.testing.assert_allclose(confidence, expected.reshape(9, 9), rtol=1e-12)


def test_confidence_map_image_covers_the_limits_bottom_up_on_a_fixed_viridis_scale(ax):
    X, y = mc.make_blobs_dataset(n_samples=40)
    with plt.rc_context({"image.cmap": "gray", "image.origin": "upper", "image.aspect": "equal"}):
        mc.plot_confidence_map(ax, _ProbabilityModel(), X, y, limits=(-8, 8, -4, 6), resolution=9)
    (image,) = ax.images
    assert image.get_extent() == [-8, 8, -4, 6]
    assert image.origin == "lower" and ax.get_aspect() == "auto"     # row 0 is x1 = -4, at the bottom
    assert image.get_cmap().name == "viridis"
    # the colour scale runs from "no preference" among 4 classes to certain
    assert (image.norm.vmin, image.norm.vmax) == (0.25, 1.0)
    assert image.colorbar.ax.get_ylabel() == "largest probability"


def test_confidence_map_of_a_two_class_model_starts_its_scale_at_one_half(ax):
    class TwoClasses:
        def predict(self, points, verbose=0, batch_size=None):
            return np.column_stack([np.full(len(points), 0.9), np.full(len(points), 0.1)])

    X, y = mc.make_blobs_dataset(n_samples=40)
    mc.plot_confidence_map(ax, TwoClasses(), X, y, resolution=5)
    assert (ax.images[0].norm.vmin, ax.images[0].norm.vmax) == (0.5, 1.0)


def test_confidence_map_colorbar_belongs_to_its_own_plot_when_another_is_current():
    fig, (left, right) = plt.subplots(1, 2)
    try:
        plt.sca(right)
        X, y = mc.make_blobs_dataset(n_samples=40)
        mc.plot_confidence_map(left, _ProbabilityModel(), X, y, resolution=5)
        assert left.images[0].colorbar is not None
        assert left.images[0].colorbar.ax.get_ylabel() == "largest probability"
    finally:
        plt.close(fig)


def test_confidence_map_zoomed_in_shows_only_the_limits_under_what_was_drawn_before(ax):
    earlier = ax.scatter([0.0], [0.0])
    X, y = mc.make_blobs_dataset(n_samples=200)
    mc.plot_confidence_map(ax, _ProbabilityModel(), X, y, limits=(-1, 3, 0, 1), resolution=5)
    assert ax.get_xlim() == (-1, 3) and ax.get_ylim() == (0, 1)
    assert ax.images[0].get_zorder() < earlier.get_zorder()


def test_confidence_map_keeps_the_small_doubt_float32_would_round_away(ax):
    class Float32Logits:
        def predict(self, points, verbose=0, batch_size=None):
            return np.tile(np.float32([0.0, -20.0, -20.0, -20.0]), (len(points), 1))

    X, y = mc.make_blobs_dataset(n_samples=40)
    confidence = mc.plot_confidence_map(ax, Float32Logits(), X, y, outputs="logits", resolution=3)
    np.testing.assert_allclose(1 - confidence, 3 * np.exp(-20.0), rtol=1e-6)


# --- the training-history figure of lesson 05 -------------------------------------------

_THREE_HISTORIES = {
    "logits": {"loss": [300.0, 20.0, 5.0], "accuracy": [0.2, 0.9, 0.96]},
    "softmax": {"loss": [300.0, 20.0, 5.0], "accuracy": [0.2, 0.9, 0.96]},
    "no recovery": {"loss": [12.09, 12.09, 12.09], "accuracy": [0.25, 0.25, 0.25]},
    "normalised": {"loss": [1.4, 1.0, 0.5], "accuracy": [0.3, 0.8, 0.97]},
}


@pytest.fixture
def two_panels():
    fig, axes = plt.subplots(1, 2)
    yield fig, axes
    plt.close(fig)


def test_training_histories_draw_each_network_alike_in_both_panels_and_tell_coinciding_lines_apart(two_panels):
    fig, (accuracy_ax, loss_ax) = two_panels
    lines = mc.plot_training_histories(accuracy_ax, loss_ax, _THREE_HISTORIES)
    loss_lines = loss_ax.get_lines()
    assert len(loss_lines) == 4
    for index, (line, loss_line) in enumerate(zip(lines, loss_lines)):
        for artist in (line, loss_line):
            assert artist.get_marker() == ["o", "s", "^", "D"][index]
            assert artist.get_linestyle() == ["-", "--", ":", "-."][index]
            assert artist.get_markersize() == [8, 6, 4, 8][index]
            assert to_hex(artist.get_color()) == mc.CLASS_COLORS[index].lower()
            assert artist.get_label() == list(_THREE_HISTORIES)[index]
            assert list(artist.get_xdata()) == [1, 2, 3]
    assert list(loss_lines[3].get_ydata()) == [1.4, 1.0, 0.5]


def test_training_histories_label_both_panels_and_mark_chance_quietly_under_the_lines(two_panels):
    fig, (accuracy_ax, loss_ax) = two_panels
    lines = mc.plot_training_histories(accuracy_ax, loss_ax, _THREE_HISTORIES)
    assert (accuracy_ax.get_title(), loss_ax.get_title()) == ("Accuracy", "Loss")
    assert accuracy_ax.get_xlabel() == loss_ax.get_xlabel() == "epoch"
    assert accuracy_ax.get_ylabel() == "training accuracy (%)"
    assert loss_ax.get_ylabel() == "training loss (log scale)"
    (chance,) = [line for line in accuracy_ax.get_lines() if line not in lines]
    assert (chance.get_linestyle(), chance.get_linewidth(), chance.get_color(), chance.get_zorder()) == (":", 1, "gray", 0)
    (label,) = accuracy_ax.texts
    assert label.get_text() == "chance (25 %)" and label.xy == (3, 25.0)
    assert label.get_anncoords() == "offset points" and tuple(label.xyann) == (0, -14)
    assert (label.get_horizontalalignment(), label.get_color(), label.get_fontsize()) == ("right", "gray", 10)


def test_the_chance_label_stays_smaller_than_the_axis_labels_in_the_course_style():
    # Lesson 05 draws with deeplearning.mplstyle, whose text is 12 pt: the chance
    # line's label is set to 10 pt so that it reads as a note, not as a result.
    style = Path(mc.__file__).resolve().parent.parent / "deeplearning.mplstyle"
    with plt.style.context(str(style)):
        fig, (accuracy_ax, loss_ax) = plt.subplots(1, 2)
        try:
            mc.plot_training_histories(accuracy_ax, loss_ax, _THREE_HISTORIES)
            (label,) = accuracy_ax.texts
            assert label.get_fontsize() == 10
            assert accuracy_ax.xaxis.label.get_fontsize() == 12
        finally:
            plt.close(fig)


def test_training_histories_legend_sits_under_the_two_panels_in_two_columns(two_panels):
    fig, (accuracy_ax, loss_ax) = two_panels
    lines = mc.plot_training_histories(accuracy_ax, loss_ax, _THREE_HISTORIES)
    (legend,) = fig.legends
    assert [handle.get_label() for handle in legend.legend_handles] == list(_THREE_HISTORIES)
    assert legend._loc == 9                      # "upper center": its top edge at the anchor
    anchor = legend.get_bbox_to_anchor().transformed(fig.transFigure.inverted())
    assert (round(anchor.x0, 6), round(anchor.y0, 6)) == (0.5, 0.0)
    assert legend._ncols == 2 and legend.markerscale == 1.2
    assert len(lines) == 4
