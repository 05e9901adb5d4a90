"""Data, model and plots for the four-class lessons.

What is here
------------
BLOB_CENTERS, make_blobs_dataset()
    The course's four-cluster data set in the plane (2000 points, 4 classes).
CLASS_COLORS, CLASS_MARKERS
    One color and one marker per class; color and shape together keep the
    classes apart for every reader, including readers with a color-vision
    deficiency.
plot_classes(ax, X, y)
    Scatter the points, colored and shaped by class, with a legend.
predicted_classes(model, points)
    The class a model picks for each point (argmax of its outputs).
plot_decision_regions(ax, model, X, y)
    Shade the plane by the class a trained model picks, data on top.
plot_loss_curves(ax, losses)
    Training loss per epoch for one or more models on one set of axes.
build_four_class_model(output_activation)
    The lessons' network: 2 inputs -> Dense(25, relu) -> Dense(15, relu) ->
    Dense(4, output_activation), not yet compiled.

Used by ``03_softmax_output_model`` and ``04_preferred_logits_model``; 05 uses
``make_blobs_dataset()``. Importing this module changes nothing and imports
neither scikit-learn nor TensorFlow; the functions that need them import them
when called.
"""

from __future__ import annotations

import numpy as np

from lab_utils_common import HelperTypeError, HelperValueError, dlc

#: The centers of the four clusters, one ``[x0, x1]`` row per class.
BLOB_CENTERS = ((-5.0, 2.0), (-2.0, -2.0), (1.0, 2.0), (5.0, -2.0))


def make_blobs_dataset(
    n_samples: int = 2000,
    centers=BLOB_CENTERS,
    cluster_std: float = 1.0,
    random_state: int = 30,
):
    """The course's four-class data set: Gaussian clusters in the plane.

    With the defaults this is exactly the course's
    ``make_blobs(n_samples=2000, centers=[[-5, 2], [-2, -2], [1, 2], [5, -2]],
    cluster_std=1.0, random_state=30)``.

    Parameters
    ----------
    n_samples : int
        Number of points, shared out among the clusters.
    centers : (n_classes, 2) array-like
        One cluster center per class.
    cluster_std : float
        Standard deviation of every cluster.
    random_state : int
        Seed, so the same points come back every time.

    Returns
    -------
    X_train : (n_samples, 2) float array
        The points: one row ``[x0, x1]`` per example.
    y_train : (n_samples,) int array
        The class of each point, ``0 .. n_classes - 1``.
    """
    from sklearn.datasets import make_blobs

    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise HelperValueError(f"n_samples must be a positive whole number, got {n_samples!r}.")
    centers = np.asarray(centers, dtype=float)
    if centers.ndim != 2 or centers.shape[1] != 2 or centers.shape[0] < 2:
        raise HelperValueError(
            "centers must be a list of at least two [x0, x1] pairs, one per class; "
            f"got an array of shape {centers.shape}."
        )
    if not cluster_std > 0:
        raise HelperValueError(f"cluster_std must be a positive number, got {cluster_std!r}.")
    X_train, y_train = make_blobs(
        n_samples=n_samples, centers=centers, cluster_std=cluster_std, random_state=random_state
    )
    return X_train, y_train


# Four colors from the course palette: of every four-color choice from dlc
# these stay furthest apart when protanopia, deuteranopia and tritanopia are
# simulated (the test file checks it); a different marker per class backs the
# color up.
CLASS_COLORS = tuple(dlc[name] for name in ("dlblue", "dlorange", "dldarkred", "dlpurple"))
"""One color per class, class 0 first."""

CLASS_MARKERS = ("o", "s", "^", "D")
"""One marker per class, so classes differ in shape as well as color."""


# Points per call when a helper asks a Keras model for its predictions.
PREDICT_BATCH_SIZE = 8192


def _check_points(X, name: str = "X"):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise HelperValueError(
            f"{name} must hold one [x0, x1] row per example, an array of shape (m, 2); "
            f"got shape {X.shape}."
        )
    return X


def _check_classes(y, m: int, n_classes: int):
    y = np.asarray(y)
    if y.shape != (m,):
        raise HelperValueError(
            f"y must hold one class number per example, shape ({m},); got shape {y.shape}."
        )
    if y.size and (not np.all(np.equal(np.mod(y, 1), 0)) or y.min() < 0 or y.max() >= n_classes):
        raise HelperValueError(
            f"y must hold class numbers 0 to {n_classes - 1}; found values from "
            f"{y.min()} to {y.max()}."
        )
    return y.astype(int)


def plot_classes(ax, X, y, *, size: float = 12, alpha: float = 0.7, legend: bool = True):
    """Scatter points in the plane, one color and marker per class.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    X : (m, 2) array
        The points.
    y : (m,) int array
        The class of each point, 0 to 3.
    size, alpha : float
        Marker area and opacity.
    legend : bool
        Add a legend naming the classes.

    Returns
    -------
    list of matplotlib.collections.PathCollection
        One scatter per class, class 0 first.
    """
    X = _check_points(X)
    y = _check_classes(y, len(X), len(CLASS_COLORS))
    artists = []
    for target_class, (color, marker) in enumerate(zip(CLASS_COLORS, CLASS_MARKERS)):
        in_class = y == target_class
        artists.append(
            ax.scatter(
                X[in_class, 0],
                X[in_class, 1],
                s=size,
                c=color,
                marker=marker,
                alpha=alpha,
                edgecolors="none",
                label=f"class {target_class}",
            )
        )
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), markerscale=2)
    return artists


def predicted_classes(model, points):
    """The class a model picks for each point: the index of its largest output.

    Works the same for a model that outputs probabilities and one that outputs
    logits, because softmax keeps the order of its inputs.

    Parameters
    ----------
    model : Keras model, or a function
        Anything with ``predict(points, verbose=0, batch_size=...)``, or a
        function mapping an (N, 2) array to an (N, n_classes) array of scores.
    points : (N, 2) array

    Returns
    -------
    (N,) int array
    """
    points = _check_points(points, "points")
    if hasattr(model, "predict"):
        # predict's default of 32 points per call made a 200 x 200 grid take
        # 1250 calls (over 2 s); the whole grid fits in a few large batches.
        scores = model.predict(points, verbose=0, batch_size=PREDICT_BATCH_SIZE)
    elif callable(model):
        scores = model(points)
    else:
        raise HelperTypeError("model must be a Keras model or a function that returns class scores.")
    scores = np.asarray(scores)
    if scores.ndim != 2 or scores.shape[0] != len(points):
        raise HelperValueError(
            f"The model should return one row of class scores per point, shape ({len(points)}, "
            f"n_classes); it returned shape {scores.shape}."
        )
    return np.argmax(scores, axis=1)


def plot_decision_regions(ax, model, X, y, *, resolution: int = 200, margin: float = 1.0):
    """Shade the plane by the class the model picks there, with the data on top.

    The plane is sampled on a ``resolution x resolution`` grid covering the
    data plus ``margin`` on every side; each grid point gets the color of its
    predicted class (light), the borders between classes are drawn as dark
    lines, and the training points are scattered over it.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    model : Keras model, or a function
        See ``predicted_classes``.
    X : (m, 2) array
    y : (m,) int array
    resolution : int
        Grid points along each axis.
    margin : float
        How far beyond the data the grid reaches.

    Returns
    -------
    (resolution, resolution) int array
        The predicted class at each grid point (rows follow ``x1``).
    """
    from matplotlib.colors import ListedColormap, to_rgba

    X = _check_points(X)
    y = _check_classes(y, len(X), len(CLASS_COLORS))
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise HelperValueError(f"resolution must be a whole number of at least 2, got {resolution!r}.")
    x0 = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    x1 = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    grid0, grid1 = np.meshgrid(x0, x1)
    grid_classes = predicted_classes(model, np.column_stack([grid0.ravel(), grid1.ravel()]))
    grid_classes = grid_classes.reshape(grid0.shape)
    n_classes = len(CLASS_COLORS)
    light = ListedColormap([to_rgba(color, 0.25) for color in CLASS_COLORS])
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(grid0, grid1, grid_classes, levels=levels, cmap=light, zorder=0)
    for target_class in range(n_classes):  # each class's outline; shared borders coincide
        in_class = (grid_classes == target_class).astype(float)
        if 0 < in_class.sum() < in_class.size:
            ax.contour(grid0, grid1, in_class, levels=[0.5], colors="#333333", linewidths=1, zorder=0.5)
    plot_classes(ax, X, y)
    ax.set_xlim(x0[0], x0[-1])
    ax.set_ylim(x1[0], x1[-1])
    return grid_classes


def plot_loss_curves(ax, losses: dict, *, title: str = "Training loss per epoch"):
    """Draw the training loss per epoch for one or more models.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    losses : dict
        ``{label: per-epoch losses}``, for example
        ``{"softmax output": history.history["loss"]}``.
    title : str

    Returns
    -------
    list of matplotlib.lines.Line2D
        One line per model, in the order given.
    """
    if not isinstance(losses, dict) or not losses:
        raise HelperValueError(
            'losses must be a dict such as {"my model": history.history["loss"]}, '
            "with at least one entry."
        )
    styles = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")]
    lines = []
    for index, (label, values) in enumerate(losses.items()):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size == 0:
            raise HelperValueError(f"The losses for {label!r} must be a list with one number per epoch.")
        linestyle, marker = styles[index % len(styles)]
        (line,) = ax.plot(
            np.arange(1, values.size + 1),
            values,
            linestyle=linestyle,
            marker=marker,
            markersize=8 - 2 * (index % 3),
            color=CLASS_COLORS[index % len(CLASS_COLORS)],
            label=label,
        )
        lines.append(line)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (mean cross-entropy)")
    ax.set_title(title)
    ax.set_xticks(np.arange(1, max(len(v) for v in losses.values()) + 1))
    ax.legend()
    return lines


def build_four_class_model(output_activation: str = "linear"):
    """The lessons' network, not yet compiled.

    ``Input(shape=(2,)) -> Dense(25, relu) -> Dense(15, relu) ->
    Dense(4, activation=output_activation)``: 75 + 390 + 64 = 529 parameters.

    Parameters
    ----------
    output_activation : {"linear", "softmax"}
        ``"softmax"`` gives notebook 03's model (outputs are probabilities);
        ``"linear"`` gives notebook 04's preferred model (outputs are logits).

    Returns
    -------
    keras.Sequential
    """
    if output_activation not in ("linear", "softmax"):
        raise HelperValueError(
            'output_activation must be "linear" (the model outputs logits) or "softmax" '
            f"(the model outputs probabilities); got {output_activation!r}."
        )
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(25, activation="relu"),
            keras.layers.Dense(15, activation="relu"),
            keras.layers.Dense(4, activation=output_activation),
        ]
    )
