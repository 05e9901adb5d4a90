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
        raise ValueError(f"n_samples must be a positive whole number, got {n_samples!r}.")
    centers = np.asarray(centers, dtype=float)
    if centers.ndim != 2 or centers.shape[1] != 2 or centers.shape[0] < 2:
        raise ValueError(
            "centers must be a list of at least two [x0, x1] pairs, one per class; "
            f"got an array of shape {centers.shape}."
        )
    if not cluster_std > 0:
        raise ValueError(f"cluster_std must be a positive number, got {cluster_std!r}.")
    X_train, y_train = make_blobs(
        n_samples=n_samples, centers=centers, cluster_std=cluster_std, random_state=random_state
    )
    return X_train, y_train
