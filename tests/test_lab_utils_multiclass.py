"""Tests for lab_utils_multiclass: the four-class data, plots and model."""

import itertools
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402

import lab_utils_multiclass as mc  # noqa: E402
from lab_utils_common import dlc  # noqa: E402


@pytest.fixture
def ax():
    fig, axes = plt.subplots()
    yield axes
    plt.close(fig)


def nearest_center_scores(points):
    """A stand-in 'model': minus the squared distance to each course center."""
    centers = np.asarray(mc.BLOB_CENTERS)
    return -((points[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)


# --- the data -----------------------------------------------------------------


def test_make_blobs_dataset_is_exactly_the_course_make_blobs_call():
    from sklearn.datasets import make_blobs

    expected_X, expected_y = make_blobs(
        n_samples=2000,
        centers=[[-5, 2], [-2, -2], [1, 2], [5, -2]],
        cluster_std=1.0,
        random_state=30,
    )
    X_train, y_train = mc.make_blobs_dataset()
    np.testing.assert_array_equal(X_train, expected_X)
    np.testing.assert_array_equal(y_train, expected_y)


def test_make_blobs_dataset_gives_500_points_of_each_class_in_the_plane():
    X_train, y_train = mc.make_blobs_dataset()
    assert X_train.shape == (2000, 2)
    assert y_train.shape == (2000,)
    assert np.bincount(y_train).tolist() == [500, 500, 500, 500]


def test_make_blobs_dataset_clusters_sit_on_the_course_centers():
    X_train, y_train = mc.make_blobs_dataset()
    for target_class, center in enumerate(mc.BLOB_CENTERS):
        np.testing.assert_allclose(X_train[y_train == target_class].mean(axis=0), center, atol=0.15)


@pytest.mark.parametrize(
    "bad, phrase",
    [
        ({"centers": [1, 2, 3]}, "[x0, x1] pairs"),
        ({"centers": [[0, 0, 0], [1, 1, 1]]}, "[x0, x1] pairs"),
        ({"n_samples": 0}, "positive whole number"),
        ({"n_samples": 10.5}, "positive whole number"),
        ({"cluster_std": -1.0}, "positive number"),
    ],
)
def test_make_blobs_dataset_explains_bad_arguments(bad, phrase):
    with pytest.raises(ValueError, match=phrase.replace("[", r"\[").replace("]", r"\]")):
        mc.make_blobs_dataset(**bad)


def test_importing_the_module_loads_neither_tensorflow_nor_sklearn():
    code = (
        "import sys, lab_utils_multiclass; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'sklearn') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- the colors ---------------------------------------------------------------

# Machado, Oliveira & Fernandes (2009) matrices, severity 1.0, on linear RGB.
_SIMULATIONS = {
    "normal vision": np.eye(3),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}


def _lab(color, matrix):
    srgb = np.array(to_rgb(color))
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(matrix @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest_pair_distance(colors):
    """Smallest CIELAB distance between two of the colors, over all simulations."""
    return min(
        np.linalg.norm(_lab(first, matrix) - _lab(second, matrix))
        for matrix in _SIMULATIONS.values()
        for first, second in itertools.combinations(colors, 2)
    )


def test_class_colors_stay_apart_under_simulated_color_blindness():
    # 20 CIELAB units is a clearly visible difference between small markers.
    assert _closest_pair_distance(mc.CLASS_COLORS) > 20


def test_class_colors_are_the_most_separable_four_of_the_course_palette():
    best = max(
        _closest_pair_distance(choice) for choice in itertools.combinations(dlc.values(), 4)
    )
    assert _closest_pair_distance(mc.CLASS_COLORS) == pytest.approx(best)


def test_every_class_has_its_own_marker():
    assert len(set(mc.CLASS_MARKERS)) == len(mc.CLASS_COLORS)


# --- the plots ----------------------------------------------------------------


def test_plot_classes_draws_one_scatter_per_class_in_its_color(ax):
    X_train, y_train = mc.make_blobs_dataset()
    artists = mc.plot_classes(ax, X_train, y_train)
    assert len(artists) == 4
    for target_class, artist in enumerate(artists):
        assert len(artist.get_offsets()) == np.sum(y_train == target_class)
        assert to_hex(artist.get_facecolor()[0]) == to_hex(mc.CLASS_COLORS[target_class])
        assert artist.get_label() == f"class {target_class}"
    assert ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_legend() is not None


@pytest.mark.parametrize(
    "y, phrase",
    [
        (np.array([0, 1, 4]), "class numbers 0 to 3"),
        (np.array([0, 1, -1]), "class numbers 0 to 3"),
        (np.array([0, 1]), "one class number per example"),
    ],
)
def test_plot_classes_explains_labels_it_cannot_color(ax, y, phrase):
    with pytest.raises(ValueError, match=phrase):
        mc.plot_classes(ax, np.zeros((3, 2)), y)


def test_plot_classes_explains_points_that_are_not_in_the_plane(ax):
    with pytest.raises(ValueError, match=r"shape \(m, 2\)"):
        mc.plot_classes(ax, np.zeros((3, 3)), np.array([0, 1, 2]))


def test_predicted_classes_are_the_same_from_logits_and_from_probabilities():
    points = np.random.default_rng(0).normal(scale=4, size=(500, 2))
    logits = nearest_center_scores(points)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    from_logits = mc.predicted_classes(lambda p: nearest_center_scores(p), points)
    from_probabilities = mc.predicted_classes(lambda p: probabilities, points)
    np.testing.assert_array_equal(from_logits, from_probabilities)
    np.testing.assert_array_equal(from_logits, np.argmax(logits, axis=1))


def test_plot_decision_regions_gives_each_center_its_own_class(ax):
    X_train, y_train = mc.make_blobs_dataset()
    grid_classes = mc.plot_decision_regions(ax, nearest_center_scores, X_train, y_train, resolution=101)
    assert grid_classes.shape == (101, 101)
    x0_min, x0_max = ax.get_xlim()
    x1_min, x1_max = ax.get_ylim()
    for target_class, (x0, x1) in enumerate(mc.BLOB_CENTERS):
        column = round((x0 - x0_min) / (x0_max - x0_min) * 100)
        row = round((x1 - x1_min) / (x1_max - x1_min) * 100)
        assert grid_classes[row, column] == target_class
    assert set(np.unique(grid_classes)) == {0, 1, 2, 3}
    assert ax.get_xlim() == pytest.approx((X_train[:, 0].min() - 1, X_train[:, 0].max() + 1))


def test_plot_decision_regions_puts_the_data_on_top_of_the_regions(ax):
    X_train, y_train = mc.make_blobs_dataset()
    mc.plot_decision_regions(ax, nearest_center_scores, X_train, y_train, resolution=20)
    assert len(ax.collections) >= 4
    top_four = sorted(ax.collections, key=lambda artist: artist.get_zorder())[-4:]
    assert sum(len(artist.get_offsets()) for artist in top_four) == len(X_train)


def test_plot_decision_regions_explains_a_model_that_returns_the_wrong_shape(ax):
    X_train, y_train = mc.make_blobs_dataset(n_samples=20)
    with pytest.raises(ValueError, match="one row of class scores per point"):
        mc.plot_decision_regions(ax, lambda points: np.zeros(len(points)), X_train, y_train, resolution=5)


def test_plot_loss_curves_draws_one_labelled_line_per_model(ax):
    losses = {"softmax output": [1.0, 0.5, 0.25], "logits output": [1.0, 0.5, 0.2]}
    lines = mc.plot_loss_curves(ax, losses)
    assert [line.get_label() for line in lines] == list(losses)
    assert lines[0].get_xdata().tolist() == [1, 2, 3]
    assert lines[1].get_ydata().tolist() == [1.0, 0.5, 0.2]
    # Two curves that coincide must both stay visible: different line styles.
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize("bad", [{}, [1.0, 0.5], {"model": []}])
def test_plot_loss_curves_explains_what_it_needs(ax, bad):
    with pytest.raises(ValueError, match="loss"):
        mc.plot_loss_curves(ax, bad)


# --- the model ----------------------------------------------------------------


@pytest.mark.parametrize("output_activation", ["softmax", "linear"])
def test_build_four_class_model_has_the_lessons_layers(output_activation):
    model = mc.build_four_class_model(output_activation)
    dense = model.layers
    assert [layer.units for layer in dense] == [25, 15, 4]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", output_activation]
    assert model.input_shape == (None, 2)
    assert model.count_params() == 529


def test_build_four_class_model_explains_an_unknown_output_activation():
    with pytest.raises(ValueError, match='"linear".*"softmax"'):
        mc.build_four_class_model("sigmoid")


# --- the notebooks that use the module ------------------------------------------


def _stored_epoch_losses(notebook_name, first_line):
    """The per-epoch loss lines a notebook's stored outputs hold, from one code cell."""
    import re
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parent.parent / "notebooks" / notebook_name
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and c.source.startswith(first_line))
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return re.findall(r"^\s*(\d+)\s*\|\s*([\d.]+)|^epoch\s+(\d+): loss ([\d.]+)", text, flags=re.M)


def test_notebook_04_prints_digit_for_digit_the_losses_notebook_03_printed():
    # 04 says its logits model's ten losses are lesson 03's softmax model's, digit for
    # digit (same seed, same batches, and TensorFlow recovers 03's logits); the stored
    # numbers must agree.
    lesson_03 = [(m[2], m[3]) for m in _stored_epoch_losses("03_softmax_output_model.ipynb", "history = model.fit")]
    lesson_04 = [(m[2], m[3]) for m in _stored_epoch_losses("04_preferred_logits_model.ipynb",
                                                            "preferred_model.compile")]
    assert len(lesson_03) == 10
    assert lesson_04 == lesson_03


# --- confidence map, loss paths, backends ---------------------------------------


class _NearestCenterModel:
    """Anything with predict(points, verbose=..., batch_size=...): nearest-center scores."""

    def predict(self, points, verbose=0, batch_size=None):
        return nearest_center_scores(np.asarray(points))


def test_plot_confidence_map_is_a_softmax_maximum_between_one_quarter_and_one(ax):
    X, y = mc.make_blobs_dataset(n_samples=200)
    confidence = mc.plot_confidence_map(ax, _NearestCenterModel(), X, y, outputs="logits",
                                        limits=(-30, 30, -20, 20), resolution=21)
    assert confidence.shape == (21, 21)
    assert np.all(confidence >= 0.25) and np.all(confidence <= 1.0)
    assert confidence.max() > 0.999       # far out, one squared distance is much the smallest
    assert confidence.min() < 0.6         # on the borders between classes, undecided


def test_plot_confidence_map_explains_bad_arguments(ax):
    X, y = mc.make_blobs_dataset(n_samples=40)
    with pytest.raises(ValueError, match="logits"):
        mc.plot_confidence_map(ax, _NearestCenterModel(), X, y, outputs="scores")
    with pytest.raises(TypeError, match="predict"):
        mc.plot_confidence_map(ax, nearest_center_scores, X, y)
    with pytest.raises(ValueError, match="minimum below its maximum"):
        mc.plot_confidence_map(ax, _NearestCenterModel(), X, y, limits=(5, -5, 0, 1))


def test_loss_and_logit_gradient_is_exact_from_logits_and_capped_from_bare_probabilities():
    import tensorflow as tf

    logits = np.array([[40.0, 0.0, 0.0, -40.0], [1.0, 2.0, 0.5, 3.0]])
    labels = np.array([3, 3])
    losses, gradients = mc.loss_and_logit_gradient(logits, labels)
    assert losses[0] == pytest.approx(80.0, abs=1e-3)
    assert gradients[0, 3] == pytest.approx(-1.0, abs=1e-6)
    expected = np.exp(logits[1]) / np.exp(logits[1]).sum()
    np.testing.assert_allclose(gradients[1], expected - np.eye(4)[3], atol=1e-6)
    capped, capped_gradients = mc.loss_and_logit_gradient(logits, labels, tf.nn.softmax)
    assert capped[0] == pytest.approx(-np.log(1e-7), abs=1e-3)
    assert np.all(capped_gradients[0] == 0.0) and not np.any(np.signbit(capped_gradients[0]))
    traced, _ = mc.loss_and_logit_gradient(logits, labels, tf.nn.softmax, traced=True)
    assert traced[0] == pytest.approx(80.0, abs=1e-3)


def test_loss_and_logit_gradient_explains_bad_arguments():
    with pytest.raises(ValueError, match=r"\(m, N\)"):
        mc.loss_and_logit_gradient([1.0, 2.0], [0])
    with pytest.raises(ValueError, match="class numbers"):
        mc.loss_and_logit_gradient([[1.0, 2.0]], [5])
    with pytest.raises(TypeError, match=r"^to_outputs must be a function such as tf\.nn\.softmax, "
                                        r"or None for the logits path\.$"):
        mc.loss_and_logit_gradient([[1.0, 2.0]], [0], to_outputs="softmax")


def test_a_zero_gradient_prints_as_0_never_as_minus_0():
    # oneDNN's softmax kernel (TensorFlow's default on x86) hands back -0.0 for a
    # clipped probability; a softmax of -z gives -0.0 with any kernel, which is how
    # this test gets one where oneDNN is off.
    import tensorflow as tf

    _, gradients = mc.loss_and_logit_gradient([[-40.0, 0.0, 0.0, 40.0]], [3], lambda z: tf.nn.softmax(-z))
    assert np.array2string(gradients) == "[[0. 0. 0. 0.]]"


def test_a_huge_loss_still_says_how_small_the_probability_was():
    # Returned as float64: exp(-loss) gives back the target's probability, e^-120 / 3,
    # where float32 arithmetic would round it to 0.
    losses, gradients = mc.loss_and_logit_gradient([[0.0, 0.0, 0.0, -120.0]], [3])
    assert np.exp(-losses[0]) == pytest.approx(np.exp(-120.0) / 3, rel=1e-4)
    assert "dtype" not in repr(losses) and "dtype" not in repr(gradients)  # plain float arrays


def test_only_the_tensorflow_backend_source_holds_the_logits_recovery():
    counts = {b: mc.backend_nn_source(b).count("_keras_logits") for b in mc.KERAS_BACKENDS}
    assert counts["tensorflow"] > 0
    assert counts["jax"] == counts["torch"] == counts["openvino"] == counts["numpy"] == 0
    assert "def sparse_categorical_crossentropy" in mc.crossentropy_source("jax")


@pytest.mark.parametrize("backend", ["jax", "numpy"])
def test_backend_crossentropy_caps_bare_probabilities_and_renormalises_rows(backend):
    probabilities = np.array([[1.0, 4e-18, 4e-18, 1.8e-35], [0.1, 0.1, 0.1, 0.1]], dtype=np.float32)
    losses = mc.run_backend_crossentropy(backend, [3, 0], probabilities)
    assert losses[0] == pytest.approx(-np.log(1e-7), abs=1e-3)
    assert losses[1] == pytest.approx(np.log(4.0), abs=1e-5)


def test_backend_crossentropy_explains_bad_arguments():
    with pytest.raises(ValueError, match="jax"):
        mc.run_backend_crossentropy("tensorflow", [0], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="one of"):
        mc.crossentropy_source("mxnet")
    with pytest.raises(ValueError, match=r"\(m, N\)"):
        mc.run_backend_crossentropy("jax", [0], [1.0, 0.0])


# --- the exact sentences a student reads, and the inputs just inside the limits ---

_BLOBS_40 = mc.make_blobs_dataset(n_samples=40)


@pytest.mark.parametrize(
    "call, error, sentence",
    [
        (lambda ax: mc.make_blobs_dataset(n_samples=True), ValueError,
         "n_samples must be a positive whole number, got True."),
        (lambda ax: mc.make_blobs_dataset(centers=[[1.0, 2.0]]), ValueError,
         "centers must be a list of at least two [x0, x1] pairs, one per class; got an array of shape (1, 2)."),
        (lambda ax: mc.make_blobs_dataset(cluster_std=0), ValueError,
         "cluster_std must be a positive number, got 0."),
        (lambda ax: mc.plot_classes(ax, np.zeros((3, 3)), [0, 1, 2]), ValueError,
         "X must hold one [x0, x1] row per example, an array of shape (m, 2); got shape (3, 3)."),
        (lambda ax: mc.predicted_classes(nearest_center_scores, [1.0, 2.0]), ValueError,
         "points must hold one [x0, x1] row per example, an array of shape (m, 2); got shape (2,)."),
        (lambda ax: mc.predicted_classes(42, [[0.0, 0.0]]), TypeError,
         "model must be a Keras model or a function that returns class scores."),
        *[(lambda ax, r=r: mc.plot_decision_regions(ax, nearest_center_scores, *_BLOBS_40, resolution=r),
           ValueError, f"resolution must be a whole number of at least 2, got {r!r}.") for r in (1, 2.5, True)],
        (lambda ax: mc.plot_loss_curves(ax, {}), ValueError,
         'losses must be a dict such as {"my model": history.history["loss"]}, with at least one entry.'),
        (lambda ax: mc.build_four_class_model("sigmoid"), ValueError,
         'output_activation must be "linear" (the model outputs logits) or "softmax" '
         "(the model outputs probabilities); got 'sigmoid'."),
        (lambda ax: mc.plot_confidence_map(ax, nearest_center_scores, *_BLOBS_40), TypeError,
         "model must be a Keras model (something with a predict method)."),
        *[(lambda ax, lim=lim: mc.plot_confidence_map(ax, _NearestCenterModel(), *_BLOBS_40, limits=lim),
           ValueError, "limits must be (x0_min, x0_max, x1_min, x1_max) with each minimum below its maximum; "
           f"got {[float(v) for v in lim]}.") for lim in [(5, -5, 0, 1), (0, 0, 0, 1), (0, 1, 2, 2), (0, 1, 2)]],
        (lambda ax: mc.crossentropy_source("mxnet"), ValueError,
         "backend must be one of tensorflow, jax, torch, openvino, numpy; got 'mxnet'."),
        (lambda ax: mc.crossentropy_source("jax", "no_such_loss"), ValueError,
         "nn.py of the jax backend has no function 'no_such_loss'."),
    ],
)
def test_bad_input_gets_the_exact_sentence(ax, call, error, sentence):
    with pytest.raises(error) as raised:
        call(ax)
    assert str(raised.value) == sentence


@pytest.mark.parametrize(
    "call, shape",
    [
        (lambda ax: mc.make_blobs_dataset(n_samples=1)[0], (1, 2)),
        (lambda ax: mc.make_blobs_dataset(n_samples=10, centers=[[-5, 2], [5, -2]])[0], (10, 2)),
        (lambda ax: mc.plot_decision_regions(ax, nearest_center_scores, *_BLOBS_40, resolution=2), (2, 2)),
        (lambda ax: mc.plot_confidence_map(ax, _NearestCenterModel(), *_BLOBS_40, limits=(5, 10, 0, 1),
                                           resolution=2), (2, 2)),
    ],
    ids=["one point", "two centers", "a 2 x 2 region grid", "limits with x0 above x1"],
)
def test_the_smallest_allowed_inputs_work(ax, call, shape):
    assert call(ax).shape == shape


def test_make_blobs_dataset_spreads_each_cluster_by_cluster_std():
    X_train, y_train = mc.make_blobs_dataset(cluster_std=0.5)
    for target_class, center in enumerate(mc.BLOB_CENTERS):
        np.testing.assert_allclose(X_train[y_train == target_class].std(axis=0), [0.5, 0.5], atol=0.05)


def test_numbers_read_as_text_are_used_as_numbers(ax):
    # csv.reader and a pasted log give strings; the helpers read them as numbers.
    text_points = [["-5.0", "2.0"], ["5.0", "-2.0"]]
    artists = mc.plot_classes(ax, text_points, [0, 3])
    assert artists[0].get_offsets().tolist() == [[-5.0, 2.0]]
    assert artists[3].get_offsets().tolist() == [[5.0, -2.0]]
    X_text, _ = mc.make_blobs_dataset(n_samples=10, centers=text_points)
    np.testing.assert_array_equal(X_text, mc.make_blobs_dataset(n_samples=10, centers=[[-5, 2], [5, -2]])[0])
    (line,) = mc.plot_loss_curves(ax, {"from the log": ["1.5", "0.25"]})
    assert line.get_ydata().tolist() == [1.5, 0.25]
    assert ax.get_ylabel() == "training loss (mean cross-entropy)"


@pytest.mark.parametrize("call, result", [
    (lambda model, ax: mc.predicted_classes(model, np.array(mc.BLOB_CENTERS)).tolist(), [0, 1, 2, 3]),
    (lambda model, ax: mc.plot_confidence_map(ax, model, *_BLOBS_40, resolution=200).shape, (200, 200)),
], ids=["predicted_classes", "plot_confidence_map"])
def test_helpers_call_predict_quietly_and_in_large_batches(ax, call, result):
    class RecordingModel:
        def predict(self, points, verbose="auto", batch_size=None):
            self.verbose, self.batch_size = verbose, batch_size
            return nearest_center_scores(points)

    model = RecordingModel()
    assert call(model, ax) == result
    assert model.verbose == 0
    # a 200 x 200 grid in at most 5 calls, not predict's default 1250
    assert model.batch_size >= 200 * 200 / 5


def test_build_four_class_model_outputs_logits_by_default():
    assert mc.build_four_class_model().layers[-1].activation.__name__ == "linear"


def test_backend_crossentropy_returns_float32_like_the_backends():
    losses = mc.run_backend_crossentropy("numpy", [0, 1], [[0.5, 0.5], [0.25, 0.75]])
    assert losses.dtype == np.float32
    np.testing.assert_allclose(losses, [np.log(2.0), -np.log(0.75)], rtol=1e-6)


def test_backend_source_is_read_as_utf8_whatever_the_locale():
    # jax's nn.py holds non-ASCII characters; a C locale (or Windows' code page) is not UTF-8.
    # keras is stood in for by its path only, so the child needs no TensorFlow.
    import importlib.util
    import os
    from pathlib import Path

    origin = importlib.util.find_spec("keras").origin
    code = (
        "import sys, types; keras = types.ModuleType('keras'); keras.__file__ = sys.argv[1]; "
        "sys.modules['keras'] = keras; import lab_utils_multiclass as mc; "
        "sys.stdout.buffer.write(mc.backend_nn_source('jax').encode('utf-8'))"
    )
    environment = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    result = subprocess.run([sys.executable, "-c", code, origin], env=environment, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()[-500:]
    jax_source = Path(origin).parent / "src" / "backend" / "jax" / "nn.py"
    assert result.stdout == jax_source.read_bytes()
    # the same text here (and this call ties the test to the function for make mutate)
    assert mc.backend_nn_source("jax").encode("utf-8") == result.stdout


# --- the training payoff: seeded networks, a softmax Keras cannot see through, side by side ---

_SCCE_FROM_LOGITS = {"from_logits": True}


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def test_networks_built_with_the_same_seed_start_from_the_same_weights():
    first = mc.build_four_class_model("linear", seed=3)
    second = mc.build_four_class_model("softmax", seed=3)
    other = mc.build_four_class_model("linear", seed=4)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])
    # the three kernels get different seeds, so no two layers share their numbers
    kernels = first.get_weights()[0::2]
    assert not np.array_equal(kernels[0][:, :2].ravel(), kernels[1][:2, :2].ravel())


@pytest.mark.parametrize("seed", [-1, 1.5, True, "1"])
def test_build_four_class_model_explains_a_bad_seed(seed):
    with pytest.raises(ValueError) as raised:
        mc.build_four_class_model("linear", seed=seed)
    assert str(raised.value) == f"seed must be a whole number of at least 0, or None; got {seed!r}."


def test_plain_softmax_gives_softmax_numbers_that_keras_cannot_trace_back_to_logits():
    import keras
    import tensorflow as tf

    logits = np.array([[1.0, 2.0, 0.5, 3.0], [40.0, 0.0, 0.0, -40.0]], dtype=np.float32)
    np.testing.assert_allclose(np.asarray(mc.plain_softmax(logits)), tf.nn.softmax(logits).numpy(), rtol=1e-6)
    loss = keras.losses.SparseCategoricalCrossentropy()
    labels = np.array([3, 3])
    layer = mc.plain_softmax_layer()
    assert float(loss(labels[1:], layer(logits[1:]))) == pytest.approx(-np.log(1e-7), abs=1e-3)
    # a Keras Softmax layer, by contrast, hands the loss its logits (exact loss 80)
    assert float(loss(labels[1:], keras.layers.Softmax()(logits[1:]))) == pytest.approx(80.0, abs=1e-3)
    # traced, as in fit: still no recovery
    traced = tf.function(lambda z: loss(labels[1:], layer(z)))
    assert float(traced(tf.constant(logits[1:]))) == pytest.approx(-np.log(1e-7), abs=1e-3)


def _small_problem(n=64):
    X, y = mc.make_blobs_dataset(n_samples=n)
    return 100 * X, X, y


def _network_makers():
    """name -> (make the network, make its loss, its inputs): each call builds it afresh, same start."""
    import keras

    X_big, X_small, y = _small_problem()
    loss = keras.losses.SparseCategoricalCrossentropy
    return y, {
        "logits": (lambda: mc.build_four_class_model("linear", seed=2), lambda: loss(from_logits=True), X_big),
        "softmax": (lambda: mc.build_four_class_model("softmax", seed=2), loss, X_big),
        "no recovery": (lambda: keras.Sequential([mc.build_four_class_model("linear", seed=2),
                                                  mc.plain_softmax_layer()]), loss, X_small),
    }


def _three_networks():
    y, makers = _network_makers()
    return y, {name: (make(), make_loss(), X) for name, (make, make_loss, X) in makers.items()}


def test_side_by_side_training_takes_exactly_the_steps_of_separate_fits():
    import keras

    y, makers = _network_makers()
    networks = {name: (make(), make_loss(), X) for name, (make, make_loss, X) in makers.items()}
    starts = {name: _weights(model) for name, (model, _, _) in networks.items()}
    histories = mc.train_side_by_side(networks, y, epochs=2, batch_size=16, learning_rate=0.01, seed=5)
    for name, (make, make_loss, X) in makers.items():
        alone = make()
        for start, fresh in zip(starts[name], alone.get_weights()):
            np.testing.assert_array_equal(start, fresh)
        alone.compile(loss=make_loss(), optimizer=keras.optimizers.Adam(learning_rate=0.01), metrics=["accuracy"])
        keras.utils.set_random_seed(5)
        history = alone.fit(X, y, epochs=2, batch_size=16, verbose=0).history
        assert histories[name]["loss"] == history["loss"], name
        assert histories[name]["accuracy"] == history["accuracy"], name
        model = networks[name][0]
        for trained, separately in zip(model.get_weights(), alone.get_weights()):
            np.testing.assert_array_equal(trained, separately)
        assert not np.array_equal(model.get_weights()[0], starts[name][0])   # it did train


def test_by_default_it_trains_as_a_plain_fit_does_for_ten_epochs_seeded_with_0():
    # What lesson 05 leaves out (batch size, learning rate, seed) must be what a
    # student's own compile(optimizer=Adam()) and fit(X, y, epochs=10) would use.
    import keras

    y, makers = _network_makers()
    make, make_loss, X = makers["softmax"]
    histories = mc.train_side_by_side({"softmax": (make(), make_loss(), X)}, y)
    alone = make()
    alone.compile(loss=make_loss(), optimizer=keras.optimizers.Adam(), metrics=["accuracy"])
    keras.utils.set_random_seed(0)
    history = alone.fit(X, y, epochs=10, verbose=0).history
    assert histories == {"softmax": {"loss": history["loss"], "accuracy": history["accuracy"]}}


def test_a_network_trains_the_same_alone_or_beside_others():
    y, networks = _three_networks()
    _, more = _three_networks()
    together = mc.train_side_by_side(networks, y, epochs=2)
    alone = mc.train_side_by_side({"softmax": more["softmax"]}, y, epochs=2)
    assert alone == {"softmax": together["softmax"]}
    for a, b in zip(networks["softmax"][0].get_weights(), more["softmax"][0].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_side_by_side_histories_hold_one_loss_and_accuracy_per_epoch_and_the_recovery_shows():
    y, networks = _three_networks()
    histories = mc.train_side_by_side(networks, y, epochs=3)
    assert list(histories) == ["logits", "softmax", "no recovery"]
    for history in histories.values():
        assert len(history["loss"]) == len(history["accuracy"]) == 3
        assert all(0.0 <= value <= 1.0 for value in history["accuracy"])
    # TensorFlow recovers the logits behind Dense(4, activation="softmax"): the same steps exactly
    assert histories["logits"] == histories["softmax"]


def test_train_side_by_side_explains_what_it_needs():
    import keras

    y, networks = _three_networks()
    model, loss, X = networks["logits"]
    cases = [
        ({}, y, {}, "networks must be a dict such as"),
        ({"a": (model, loss)}, y, {}, "must be a tuple (model, loss, X)"),
        ({"a": ("model", loss, X)}, y, {}, "the first item must be a Keras model"),
        ({"a": (model, "loss", X)}, y, {}, "the second item must be a loss"),
        ({"a": (model, loss, X[:10])}, y[:10], {"epochs": 0}, "epochs must be a whole number of at least 1"),
        ({"a": (model, loss, X)}, y[:10], {}, "one class number per example"),
        ({"a": (model, loss, X), "b": (keras.Sequential([model]), loss, X[:10])}, y, {},
         "but the inputs of 'b' have 10 rows"),
        ({"a": (model, loss, X[:, :1])}, y, {}, "shape (m, 2)"),
    ]
    for networks_in, y_in, options, phrase in cases:
        with pytest.raises((TypeError, ValueError)) as raised:
            mc.train_side_by_side(networks_in, y_in, **options)
        assert phrase in str(raised.value), (phrase, str(raised.value))


_HISTORIES = {
    "logits": {"loss": [300.0, 20.0, 5.0], "accuracy": [0.2, 0.9, 0.96]},
    "no recovery": {"loss": [12.09, 12.09, 12.09], "accuracy": [0.25, 0.25, 0.25]},
}


def test_training_histories_draw_accuracy_in_percent_and_loss_on_a_log_scale():
    fig, (accuracy_ax, loss_ax) = plt.subplots(1, 2)
    try:
        lines = mc.plot_training_histories(accuracy_ax, loss_ax, _HISTORIES)
        assert [line.get_label() for line in lines] == list(_HISTORIES)
        assert lines[0].get_ydata().tolist() == pytest.approx([20.0, 90.0, 96.0])
        assert lines[1].get_xdata().tolist() == [1, 2, 3]
        assert loss_ax.get_yscale() == "log"
        assert [line.get_ydata().tolist() for line in loss_ax.get_lines()] == [[300.0, 20.0, 5.0], [12.09] * 3]
        assert accuracy_ax.get_xticks().tolist() == [1, 2, 3] and loss_ax.get_xticks().tolist() == [1, 2, 3]
        assert [line.get_linestyle() for line in lines] == ["-", "--"]
        chance = [line for line in accuracy_ax.get_lines() if line not in lines]
        assert len(chance) == 1 and list(chance[0].get_ydata()) == [25.0, 25.0]
        assert [t.get_text() for t in accuracy_ax.texts] == ["chance (25 %)"]
        (legend,) = fig.legends
        assert [t.get_text() for t in legend.get_texts()] == list(_HISTORIES)
        assert accuracy_ax.get_ylim() == (0, 102)
    finally:
        plt.close(fig)


def test_training_histories_are_described_with_their_first_and_last_numbers():
    assert mc.describe_training_histories(_HISTORIES) == (
        "Two panels over epochs 1 to 3, training accuracy on the left and training loss (log scale) on the "
        "right, one line per network. logits: accuracy 20.0 % after epoch 1 and 96.0 % after epoch 3, loss "
        "from 300 to 5; no recovery: accuracy 25.0 % after epoch 1 and 25.0 % after epoch 3, loss from 12.1 "
        "to 12.1.")


def test_training_histories_read_as_text_are_used_as_numbers():
    from_a_log = {"a": {"loss": ["2.5", "0.5"], "accuracy": ["0.5", "0.75"]}}
    assert mc.describe_training_histories(from_a_log).endswith(
        "a: accuracy 50.0 % after epoch 1 and 75.0 % after epoch 2, loss from 2.5 to 0.5.")
    fig, (accuracy_ax, loss_ax) = plt.subplots(1, 2)
    try:
        (line,) = mc.plot_training_histories(accuracy_ax, loss_ax, from_a_log)
        assert list(line.get_ydata()) == [50.0, 75.0]
        assert list(loss_ax.get_lines()[0].get_ydata()) == [2.5, 0.5]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("bad, sentence", [
    ({}, 'histories must be a dict such as {"logits": {"loss": [...], "accuracy": [...]}}, as '
         "train_side_by_side returns it, with at least one entry."),
    ({"a": {"loss": [1.0]}}, 'histories[\'a\'] must be a dict with a "loss" and an "accuracy" list.'),
    ({"a": [1.0]}, 'histories[\'a\'] must be a dict with a "loss" and an "accuracy" list.'),
    ({"a": {"loss": [1.0, 2.0], "accuracy": [0.5]}},
     "histories['a'] needs one loss and one accuracy per epoch, as many of each."),
])
def test_training_history_helpers_say_exactly_what_they_need(bad, sentence):
    with pytest.raises(ValueError) as raised:
        mc.describe_training_histories(bad)
    assert str(raised.value) == sentence


@pytest.mark.parametrize("bad, phrase", [
    ({}, "histories must be a dict"),
    ({"a": [1.0]}, "must be a dict with a \"loss\""),
    ({"a": {"loss": [1.0, 2.0], "accuracy": [0.5]}}, "as many of each"),
    ({"a": {"loss": [], "accuracy": []}}, "one loss and one accuracy per epoch"),
])
def test_training_history_helpers_explain_what_they_need(bad, phrase):
    with pytest.raises(ValueError, match=phrase):
        mc.describe_training_histories(bad)


def test_crossentropy_source_finds_exactly_the_function_ast_finds():
    import ast

    for backend in mc.KERAS_BACKENDS:
        text = mc.backend_nn_source(backend)
        functions = [node for node in ast.parse(text).body if isinstance(node, ast.FunctionDef)]
        assert len(functions) > 20
        for node in functions:
            assert mc.crossentropy_source(backend, node.name) == ast.get_source_segment(text, node), (backend, node.name)


def test_crossentropy_source_stops_at_the_next_top_level_line_and_drops_trailing_blank_lines(monkeypatch):
    text = "import x\n\ndef f(\n    a,\n):\n    return a\n\n\n# a comment\ndef g():\n    pass\n"
    monkeypatch.setattr(mc, "backend_nn_source", lambda backend: text)
    assert mc.crossentropy_source("jax", "f") == "def f(\n    a,\n):\n    return a"
    assert mc.crossentropy_source("jax", "g") == "def g():\n    pass"
    # a one-line function right above a statement, and one blank line before the next
    text = "def h(): return 1\nx = 2\ndef k():\n    return 3\n\nclass C:\n    pass\n"
    assert mc.crossentropy_source("jax", "h") == "def h(): return 1"
    assert mc.crossentropy_source("jax", "k") == "def k():\n    return 3"
    with pytest.raises(ValueError, match="has no function 'missing'"):
        mc.crossentropy_source("jax", "missing")


def test_onednn_enabled_follows_tf_enable_onednn_opts():
    import os
    import platform

    # This process: TensorFlow's default on x86-64 Linux is oneDNN on.
    if sys.platform == "linux" and platform.machine() == "x86_64":
        assert mc.onednn_enabled() is (os.environ.get("TF_ENABLE_ONEDNN_OPTS") != "0")
    # A process started with oneDNN off (one TensorFlow import, about 4 s).
    off = "1" if os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0" else "0"
    environment = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": off, "TF_CPP_MIN_LOG_LEVEL": "3"}
    code = "import lab_utils_multiclass as mc; print(mc.onednn_enabled())"
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout.strip() == str(off == "1")
