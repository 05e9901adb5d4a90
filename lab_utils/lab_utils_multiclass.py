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
build_four_class_model(output_activation, seed=None)
    The lessons' network: 2 inputs -> Dense(25, relu) -> Dense(15, relu) ->
    Dense(4, output_activation), not yet compiled; with a seed, networks
    start from the same weights.
plain_softmax(z), plain_softmax_layer()
    A softmax from ordinary operations, which Keras's loss cannot trace back
    to its logits: the probability path with no recovery, on any backend.
train_side_by_side(networks, y, epochs=10)
    Train several networks on the same batches in one fit, each with its own
    loss and Adam; per-epoch loss and accuracy of each.
plot_training_histories(accuracy_ax, loss_ax, histories), describe_training_histories(histories)
    Accuracy and loss per epoch of several networks, and the figure's alt text.
plot_confidence_map(ax, model, X, y, outputs=...)
    Shade the plane by the model's largest probability, data on top.
loss_and_logit_gradient(logits, labels, to_outputs=None, traced=False)
    Keras's sparse cross-entropy per example and its gradient with respect
    to the logits, for logits sent to the loss directly or through a softmax.
onednn_enabled()
    Whether TensorFlow runs its oneDNN CPU kernels in this process.
backend_nn_source(backend), crossentropy_source(backend),
run_backend_crossentropy(backend, labels, probabilities)
    One backend's nn.py and its sparse cross-entropy, as text, and that loss
    run on NumPy arrays (the JAX and NumPy backends, without installing JAX).

Used by ``03_softmax_output_model`` and ``05_why_logits_are_exact``; 04 and
06 use ``make_blobs_dataset()``. Importing this module changes nothing and
imports neither scikit-learn nor TensorFlow; the functions that need them
import them when called.
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


#: Line style and marker of the first, second, ... line in a plot of several models.
LINE_STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))

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


def _check_data(X, y):
    """``X`` as checked (m, 2) points and ``y`` as one class per point."""
    X = _check_points(X)
    return X, _check_classes(y, len(X), len(CLASS_COLORS))


def _check_resolution(resolution):
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise HelperValueError(f"resolution must be a whole number of at least 2, got {resolution!r}.")


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
    X, y = _check_data(X, y)
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

    X, y = _check_data(X, y)
    _check_resolution(resolution)
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
    lines = []
    for index, (label, values) in enumerate(losses.items()):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size == 0:
            raise HelperValueError(f"The losses for {label!r} must be a list with one number per epoch.")
        linestyle, marker = LINE_STYLES[index % len(LINE_STYLES)]
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


def build_four_class_model(output_activation: str = "linear", *, seed=None):
    """The lessons' network, not yet compiled.

    ``Input(shape=(2,)) -> Dense(25, relu) -> Dense(15, relu) ->
    Dense(4, activation=output_activation)``: 75 + 390 + 64 = 529 parameters.

    Parameters
    ----------
    output_activation : {"linear", "softmax"}
        ``"softmax"`` gives notebook 03's model (outputs are probabilities);
        ``"linear"`` gives notebook 04's preferred model (outputs are logits).
    seed : int, optional
        Start from weights drawn with this seed, so that networks built with
        the same seed start from the same weights whatever ran before (the
        kernel initializers get seeds ``seed``, ``seed + 1``, ``seed + 2``).
        Without it Keras draws them from its global random state, as the
        course does.

    Returns
    -------
    keras.Sequential
    """
    if output_activation not in ("linear", "softmax"):
        raise HelperValueError(
            'output_activation must be "linear" (the model outputs logits) or "softmax" '
            f"(the model outputs probabilities); got {output_activation!r}."
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise HelperValueError(f"seed must be a whole number of at least 0, or None; got {seed!r}.")
    import keras

    def kernel_initializer(layer_number):
        if seed is None:
            return "glorot_uniform"
        return keras.initializers.GlorotUniform(seed=int(seed) + layer_number)

    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(25, activation="relu", kernel_initializer=kernel_initializer(0)),
            keras.layers.Dense(15, activation="relu", kernel_initializer=kernel_initializer(1)),
            keras.layers.Dense(4, activation=output_activation, kernel_initializer=kernel_initializer(2)),
        ]
    )


def plain_softmax(z):
    """Softmax written out with ordinary operations: ``exp(z - max) / sum``.

    The same numbers as ``keras.activations.softmax``, but built from
    ``exp``, ``max``, ``sum`` and a division, so nothing in it tells Keras's
    TensorFlow backend that a softmax produced them: a loss given its output
    sees bare probabilities and cannot recover the logits. That is what every
    softmax looks like to the loss on the JAX, PyTorch and OpenVINO backends.

    Parameters
    ----------
    z : (m, N) tensor or array
        Logits, one row per example.

    Returns
    -------
    (m, N) tensor
        Probabilities, each row summing to 1.
    """
    import keras

    shifted = keras.ops.exp(z - keras.ops.max(z, axis=-1, keepdims=True))
    return shifted / keras.ops.sum(shifted, axis=-1, keepdims=True)


def plain_softmax_layer():
    """A Keras layer that applies ``plain_softmax``: a softmax the loss cannot see through.

    Put it after a network that outputs logits,
    ``keras.Sequential([build_four_class_model("linear"), plain_softmax_layer()])``,
    to train on the probability path with no logits recovery, on any backend.

    Returns
    -------
    keras.layers.Lambda
    """
    import keras

    return keras.layers.Lambda(plain_softmax)


def train_side_by_side(networks: dict, y, *, epochs: int = 10, batch_size: int = 32,
                       learning_rate: float = 0.001, seed: int = 0):
    """Train several networks on the same batches, each with its own loss and its own Adam.

    The networks are trained together by one ``fit`` of a Keras model that
    holds them side by side: each gets its own inputs, its own loss and its
    own Adam state, and no weight is shared, so each network takes exactly
    the steps it would take if it were trained alone by ``fit`` with the same
    batches (the tests compare the two weight for weight). One ``fit``
    builds one training graph instead of one per network, which is what
    makes it faster.

    Parameters
    ----------
    networks : dict
        ``{name: (model, loss, X)}``: a Keras model, the loss to train it
        with (e.g. ``keras.losses.SparseCategoricalCrossentropy()``), and its
        inputs, an (m, 2) array. Every network is trained on the labels ``y``.
    y : (m,) int array
        The class of each example, 0 to 3.
    epochs, batch_size : int
        As in ``fit``.
    learning_rate : float
        Adam's learning rate.
    seed : int
        Seeds Keras before training, so the batches come in the same order
        whatever ran before.

    Returns
    -------
    dict
        ``{name: {"loss": [...], "accuracy": [...]}}``, one value per epoch:
        the mean loss each network's own loss function reported, and its
        accuracy on the batches of that epoch.
    """
    if not isinstance(networks, dict) or not networks:
        raise HelperValueError(
            "networks must be a dict such as {\"logits\": (model, loss, X)}, with at least one entry."
        )
    prepared = []
    for name, entry in networks.items():
        if not isinstance(entry, tuple) or len(entry) != 3:
            raise HelperValueError(
                f"networks[{name!r}] must be a tuple (model, loss, X): the network, its loss and its inputs."
            )
        model, loss, X = entry
        if not callable(model) or not hasattr(model, "trainable_variables"):
            raise HelperTypeError(f"networks[{name!r}]: the first item must be a Keras model.")
        if not callable(loss):
            raise HelperTypeError(
                f"networks[{name!r}]: the second item must be a loss, "
                "e.g. keras.losses.SparseCategoricalCrossentropy()."
            )
        prepared.append((name, model, loss, _check_points(X, f"the inputs of {name!r}")))
    m = len(prepared[0][3])
    y = _check_classes(y, m, len(CLASS_COLORS))
    for name, _, _, X in prepared:
        if len(X) != m:
            raise HelperValueError(
                f"Every network needs one row of inputs per label: {len(y)} labels, "
                f"but the inputs of {name!r} have {len(X)} rows."
            )
    for value, what in ((epochs, "epochs"), (batch_size, "batch_size")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise HelperValueError(f"{what} must be a whole number of at least 1, got {value!r}.")
    import keras

    keys = [f"network_{number}" for number in range(len(prepared))]
    inputs = [keras.Input(shape=(2,), name=f"inputs_{key}") for key in keys]
    outputs = {key: model(given) for key, given, (_, model, _, _) in zip(keys, inputs, prepared)}
    side_by_side = keras.Model(inputs, outputs)
    side_by_side.compile(
        loss={key: loss for key, (_, _, loss, _) in zip(keys, prepared)},
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        metrics={key: ["accuracy"] for key in keys},
    )
    data = ([X for _, _, _, X in prepared], {key: y for key in keys})
    # Workaround (Keras 3.15, TensorFlow backend): without a distribution
    # strategy, fit creates Adam's variables and the loss and metric trackers
    # while it traces its training step, and TensorFlow then traces that step
    # a second time. Creating them first, on two examples, halves the tracing;
    # fit resets the trackers before its first epoch, and the steps it takes
    # are bit for bit the same (tests/test_lab_utils_multiclass.py checks it).
    first_two = [X[:2] for X in data[0]], {key: y[:2] for key in keys}
    predictions = side_by_side(first_two[0])
    side_by_side.compute_loss(*first_two, predictions)
    side_by_side.compute_metrics(*first_two, predictions, sample_weight=None)
    side_by_side.optimizer.build(side_by_side.trainable_variables)
    keras.utils.set_random_seed(seed)
    history = side_by_side.fit(*data, epochs=epochs, batch_size=batch_size, verbose=0).history
    if len(keys) == 1:
        history = {f"{keys[0]}_{metric}": values for metric, values in history.items()}
    return {name: {"loss": [float(v) for v in history[f"{key}_loss"]],
                   "accuracy": [float(v) for v in history[f"{key}_accuracy"]]}
            for key, (name, _, _, _) in zip(keys, prepared)}


def _check_histories(histories):
    if not isinstance(histories, dict) or not histories:
        raise HelperValueError(
            'histories must be a dict such as {"logits": {"loss": [...], "accuracy": [...]}}, '
            "as train_side_by_side returns it, with at least one entry."
        )
    checked = {}
    for name, history in histories.items():
        if not isinstance(history, dict) or not {"loss", "accuracy"} <= set(history):
            raise HelperValueError(f"histories[{name!r}] must be a dict with a \"loss\" and an \"accuracy\" list.")
        loss = np.asarray(history["loss"], dtype=float)
        accuracy = np.asarray(history["accuracy"], dtype=float)
        if loss.ndim != 1 or loss.size == 0 or loss.shape != accuracy.shape:
            raise HelperValueError(
                f"histories[{name!r}] needs one loss and one accuracy per epoch, as many of each."
            )
        checked[name] = (loss, accuracy)
    return checked


def plot_training_histories(accuracy_ax, loss_ax, histories: dict):
    """Accuracy and loss per epoch of several networks, in two panels, with a legend below them.

    Parameters
    ----------
    accuracy_ax, loss_ax : matplotlib.axes.Axes
        The two panels (same figure).
    histories : dict
        ``{name: {"loss": [...], "accuracy": [...]}}``, as ``train_side_by_side``
        returns it. The loss is drawn on a log scale, so that losses in the
        hundreds and below 1 fit on one panel.

    Returns
    -------
    list of matplotlib.lines.Line2D
        The accuracy lines, one per network, in the order given.
    """
    checked = _check_histories(histories)
    lines = []
    for index, (name, (loss, accuracy)) in enumerate(checked.items()):
        linestyle, marker = LINE_STYLES[index % len(LINE_STYLES)]
        style = dict(linestyle=linestyle, marker=marker, markersize=8 - 2 * (index % 3),
                     color=CLASS_COLORS[index % len(CLASS_COLORS)], label=name)
        epochs = np.arange(1, loss.size + 1)
        (line,) = accuracy_ax.plot(epochs, 100 * accuracy, **style)
        loss_ax.plot(epochs, loss, **style)
        lines.append(line)
    longest = max(loss.size for loss, _ in checked.values())
    chance = 100 / len(CLASS_COLORS)
    accuracy_ax.axhline(chance, color="gray", linestyle=":", linewidth=1, zorder=0)
    accuracy_ax.annotate(f"chance ({chance:.0f} %)", (longest, chance), xytext=(0, -14),
                         textcoords="offset points", ha="right", color="gray", fontsize=10)
    for ax in (accuracy_ax, loss_ax):
        ax.set_xlabel("epoch")
        ax.set_xticks(np.arange(1, longest + 1))
    accuracy_ax.set(ylabel="training accuracy (%)", ylim=(0, 102), title="Accuracy")
    loss_ax.set_yscale("log")
    loss_ax.set(ylabel="training loss (log scale)", title="Loss")
    accuracy_ax.figure.legend(handles=lines, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                              ncol=2, markerscale=1.2)
    return lines


def describe_training_histories(histories: dict) -> str:
    """Alt text for ``plot_training_histories``: where each line starts and ends.

    Parameters
    ----------
    histories : dict
        As for ``plot_training_histories``.

    Returns
    -------
    str
    """
    checked = _check_histories(histories)
    epochs = max(loss.size for loss, _ in checked.values())
    parts = [
        f"{name}: accuracy {100 * accuracy[0]:.1f} % after epoch 1 and {100 * accuracy[-1]:.1f} % after "
        f"epoch {accuracy.size}, loss from {loss[0]:.3g} to {loss[-1]:.3g}"
        for name, (loss, accuracy) in checked.items()
    ]
    return (f"Two panels over epochs 1 to {epochs}, training accuracy on the left and training loss "
            "(log scale) on the right, one line per network. " + "; ".join(parts) + ".")


def plot_confidence_map(ax, model, X, y, *, outputs: str = "probabilities", limits=None,
                        resolution: int = 150):
    """Shade the plane by the model's largest probability, with the data on top.

    Each grid point gets the color of ``max_j a_j``, the probability of the
    class the model would pick there: 0.25 (four classes, no preference) to
    1.0 (certain). Far from the data a ReLU network's logits grow, so the
    color goes to 1.0 there although no training point is near.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    model : Keras model
        Anything with ``predict(points, verbose=0, batch_size=...)``.
    X : (m, 2) array
    y : (m,) int array
    outputs : {"probabilities", "logits"}
        What the model returns; logits go through a softmax first.
    limits : (x0_min, x0_max, x1_min, x1_max), optional
        The part of the plane to show; default: the data plus 1 on every side.
    resolution : int
        Grid points along each axis.

    Returns
    -------
    (resolution, resolution) float array
        The largest probability at each grid point (rows follow ``x1``).
    """
    X, y = _check_data(X, y)
    if outputs not in ("probabilities", "logits"):
        raise HelperValueError(
            f'outputs must be "probabilities" or "logits" (what the model returns); got {outputs!r}.'
        )
    if not hasattr(model, "predict"):
        raise HelperTypeError("model must be a Keras model (something with a predict method).")
    _check_resolution(resolution)
    if limits is None:
        limits = (X[:, 0].min() - 1, X[:, 0].max() + 1, X[:, 1].min() - 1, X[:, 1].max() + 1)
    limits = np.asarray(limits, dtype=float)
    if limits.shape != (4,) or not (limits[0] < limits[1] and limits[2] < limits[3]):
        raise HelperValueError(
            "limits must be (x0_min, x0_max, x1_min, x1_max) with each minimum below its maximum; "
            f"got {limits.tolist()}."
        )
    x0 = np.linspace(limits[0], limits[1], resolution)
    x1 = np.linspace(limits[2], limits[3], resolution)
    grid0, grid1 = np.meshgrid(x0, x1)
    scores = np.asarray(model.predict(np.column_stack([grid0.ravel(), grid1.ravel()]),
                                      verbose=0, batch_size=PREDICT_BATCH_SIZE), dtype=float)
    if outputs == "logits":
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores = shifted / shifted.sum(axis=1, keepdims=True)
    confidence = scores.max(axis=1).reshape(grid0.shape)
    image = ax.imshow(confidence, origin="lower", extent=tuple(limits), aspect="auto",
                      cmap="viridis", vmin=1 / scores.shape[1], vmax=1.0, zorder=0)
    ax.figure.colorbar(image, ax=ax, label="largest probability")
    plot_classes(ax, X, y, size=6, alpha=0.8, legend=False)
    ax.set_xlim(limits[0], limits[1])
    ax.set_ylim(limits[2], limits[3])
    return confidence


def loss_and_logit_gradient(logits, labels, to_outputs=None, *, traced: bool = False):
    """Keras's sparse cross-entropy of each example and its gradient with respect to the logits.

    With ``to_outputs=None`` the logits go to
    ``SparseCategoricalCrossentropy(from_logits=True)``: the logits path.
    Otherwise ``to_outputs(logits)`` turns them into probabilities first and
    the default loss (``from_logits=False``) gets those: the probability path.
    ``tf.GradientTape`` follows the computation back to the logits.

    Parameters
    ----------
    logits : (m, N) array
        One row of logits per example.
    labels : (m,) int array
        The true class of each example.
    to_outputs : callable, optional
        Maps the (m, N) logits tensor to (m, N) probabilities, for example
        ``tf.nn.softmax`` or ``keras.layers.Softmax()``.
    traced : bool
        Run the computation inside ``tf.function``, as ``fit`` and
        ``evaluate`` run a model, instead of eagerly.

    Returns
    -------
    losses : (m,) float array
        The loss of each example.
    gradients : (m, N) float array, or None
        dL/dz for each example (None when the outputs have no link back to
        the logits, e.g. numbers copied into a new tensor). A gradient that
        is -0.0 in floating point is returned as 0.0, so it prints as 0.
    """
    import keras
    import tensorflow as tf

    logits = np.asarray(logits, dtype=np.float32)
    if logits.ndim != 2:
        raise HelperValueError(f"logits must be an (m, N) array, one row per example; got shape {logits.shape}.")
    labels = _check_classes(labels, len(logits), logits.shape[1])
    if to_outputs is not None and not callable(to_outputs):
        raise HelperTypeError("to_outputs must be a function such as tf.nn.softmax, or None for the logits path.")
    loss_function = keras.losses.SparseCategoricalCrossentropy(from_logits=to_outputs is None, reduction=None)

    def compute(z):
        with tf.GradientTape() as tape:
            tape.watch(z)
            losses = loss_function(labels, z if to_outputs is None else to_outputs(z))
        return losses, tape.gradient(losses, z)

    if traced:
        compute = tf.function(compute)
    losses, gradients = compute(tf.constant(logits))
    losses = np.asarray(losses, dtype=float).reshape(len(logits))
    if gradients is None:
        return losses, None
    return losses, np.asarray(gradients, dtype=float) + 0.0


def onednn_enabled() -> bool:
    """Whether this process's TensorFlow uses its oneDNN CPU kernels.

    oneDNN is Intel's library of fast CPU routines; TensorFlow uses it by
    default on x86 Linux, and ``TF_ENABLE_ONEDNN_OPTS=0`` (set before
    TensorFlow is imported) turns it off. It changes a few results in their
    last bits, and where TensorFlow's softmax flushes tiny results to 0.

    Returns
    -------
    bool
        What TensorFlow itself reports (``IsMklEnabled``), which follows the
        environment variable.
    """
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())


#: Keras backends whose loss code ``crossentropy_source`` reads.
KERAS_BACKENDS = ("tensorflow", "jax", "torch", "openvino", "numpy")


def _backend_nn_file(backend: str):
    from pathlib import Path

    import keras

    if backend not in KERAS_BACKENDS:
        raise HelperValueError(f"backend must be one of {', '.join(KERAS_BACKENDS)}; got {backend!r}.")
    return Path(keras.__file__).parent / "src" / "backend" / backend / "nn.py"


def backend_nn_source(backend: str) -> str:
    """The whole text of ``keras/src/backend/<backend>/nn.py`` in the installed Keras.

    Parameters
    ----------
    backend : {"tensorflow", "jax", "torch", "openvino", "numpy"}

    Returns
    -------
    str
    """
    return _backend_nn_file(backend).read_text(encoding="utf-8")


def crossentropy_source(backend: str, name: str = "sparse_categorical_crossentropy") -> str:
    """The text of one Keras backend's loss function, read from the installed Keras.

    Parameters
    ----------
    backend : {"tensorflow", "jax", "torch", "openvino", "numpy"}
    name : str
        The function in ``keras/src/backend/<backend>/nn.py``.

    Returns
    -------
    str
        The function's source, exactly as installed.
    """
    path = _backend_nn_file(backend)
    lines = backend_nn_source(backend).splitlines()
    # Found by its lines rather than by parsing the file: ast.parse of a whole
    # nn.py took 0.07 s per file in a kernel holding TensorFlow (its garbage
    # collector walks every object), and lesson 05 reads six of them. The
    # function runs from its "def" line to the next line that starts in the
    # first column (a closing ")" of its own signature aside); the tests check
    # the result against ast for every backend.
    starts = [number for number, line in enumerate(lines) if line.startswith(f"def {name}(")]
    if not starts:
        raise HelperValueError(f"{path.name} of the {backend} backend has no function {name!r}.")
    end = starts[0] + 1
    while end < len(lines) and (not lines[end] or lines[end][0].isspace() or lines[end].startswith(")")):
        end += 1
    while not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[starts[0]:end])


def run_backend_crossentropy(backend: str, labels, probabilities):
    """Run the JAX or NumPy backend's own sparse cross-entropy on NumPy arrays.

    The function's text is read from the installed Keras
    (``crossentropy_source``) and executed with NumPy standing in for the
    array library: ``jnp`` is NumPy and ``jnn.one_hot`` / ``one_hot`` build
    one-hot rows. Every line of the backend's code runs as written, so the
    result shows what that backend computes for bare probabilities
    (``from_logits=False``) without installing JAX.

    Parameters
    ----------
    backend : {"jax", "numpy"}
    labels : (m,) int array
    probabilities : (m, N) array
        Rows of probabilities, e.g. the output of a softmax.

    Returns
    -------
    (m,) float32 array
        The loss of each example.
    """
    from types import SimpleNamespace

    import keras

    if backend not in ("jax", "numpy"):
        raise HelperValueError(
            f'backend must be "jax" or "numpy" (their loss code runs on NumPy arrays); got {backend!r}.'
        )
    probabilities = np.asarray(probabilities, dtype=np.float32)
    if probabilities.ndim != 2:
        raise HelperValueError(
            f"probabilities must be an (m, N) array, one row per example; got shape {probabilities.shape}."
        )
    labels = _check_classes(labels, len(probabilities), probabilities.shape[1])

    def one_hot(target, num_classes, axis=-1):
        return np.moveaxis(np.eye(num_classes, dtype=np.float32)[target], -1, axis)

    namespace = {
        "np": np,
        "jnp": np,
        "jnn": SimpleNamespace(one_hot=one_hot),
        "one_hot": one_hot,
        "backend": SimpleNamespace(epsilon=keras.config.epsilon),
    }
    exec(crossentropy_source(backend), namespace)  # defines sparse_categorical_crossentropy
    losses = namespace["sparse_categorical_crossentropy"](labels, probabilities, from_logits=False)
    return np.asarray(losses)
