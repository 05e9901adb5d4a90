"""lab_utils_common: palette, style, presenter mode, figures with alt text, seeding."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest

import lab_utils_common as common

ROOT = Path(__file__).resolve().parent.parent


def test_style_color_cycle_is_the_palette():
    with mpl.rc_context():
        common.use_style()
        cycle = [c.lower().lstrip("#") for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
        assert cycle == [c.lower().lstrip("#") for c in common.PALETTE]
        assert mpl.rcParams["figure.facecolor"] == "white"


def test_use_style_works_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with mpl.rc_context():
        assert common.use_style() == ROOT / "deeplearning.mplstyle"


@pytest.mark.parametrize("folder", ["", "notebooks"], ids=["repository root", "notebooks"])
def test_course_style_line_works_where_kernels_start(monkeypatch, folder):
    # Lesson kernels start in notebooks/, where a link points at the one style file.
    monkeypatch.chdir(ROOT / folder)
    with mpl.rc_context():
        plt.style.use("./deeplearning.mplstyle")
        assert mpl.rcParams["axes.spines.top"] is False
    assert (ROOT / folder / "deeplearning.mplstyle").resolve() == ROOT / "deeplearning.mplstyle"


def test_importing_changes_no_global_state():
    code = (
        "import matplotlib as mpl, numpy as np\n"
        "before = (dict(mpl.rcParams), np.get_printoptions())\n"
        "import lab_utils_common, lab_utils_env\n"
        "assert (dict(mpl.rcParams), np.get_printoptions()) == before\n"
        "print('unchanged')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "unchanged", result.stderr


def test_presenter_mode_enlarges_once_and_student_mode_restores():
    with mpl.rc_context():
        mpl.rcParams["font.size"] = 10
        mpl.rcParams["lines.linewidth"] = 2
        first = common.presenter_mode()
        assert first["font.size"] == 13.5 and first["lines.linewidth"] == 3.5
        assert common.presenter_mode()["font.size"] == 13.5, "calling twice must not grow twice"
        assert common.presenter_mode(scale=1.5)["font.size"] == 20.25
        restored = common.student_mode()
        assert restored["font.size"] == 10 and restored["lines.linewidth"] == 2


def test_presenter_mode_converts_named_font_sizes():
    with mpl.rc_context():
        mpl.rcParams["font.size"] = 10
        mpl.rcParams["axes.titlesize"] = "large"
        sizes = common.presenter_mode()
        assert sizes["axes.titlesize"] == pytest.approx(12 * 1.35)
        common.student_mode()
        assert mpl.rcParams["axes.titlesize"] == "large"


def test_presenter_mode_rejects_a_nonpositive_scale():
    with pytest.raises(ValueError, match="positive"):
        common.presenter_mode(scale=0)
    common.student_mode()


def test_figure_html_carries_escaped_alt_text():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    tag = common.figure_html(fig, 'A line from "0" to 1 & back')
    plt.close(fig)
    assert tag.startswith('<img src="data:image/png;base64,')
    assert 'alt="A line from &quot;0&quot; to 1 &amp; back"' in tag


@pytest.mark.parametrize("alt", ["", "   ", None])
def test_figures_without_alt_text_are_refused(alt):
    fig = plt.figure()
    with pytest.raises(ValueError, match="alt text"):
        common.figure_html(fig, alt)
    plt.close(fig)


def test_show_figure_displays_html_and_plain_alt_and_closes_the_figure(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig = plt.figure()
    number = fig.number
    assert common.show_figure(fig, "An empty figure.") is None, "None: shown once as a last line"
    bundle = shown[0]._repr_mimebundle_()
    assert bundle["text/plain"] == "[figure] An empty figure."
    assert 'alt="An empty figure."' in bundle["text/html"]
    assert shown[0].alt == "An empty figure."
    assert not plt.fignum_exists(number)


#: Run in a fresh Python, as a lesson's first cells run in a fresh kernel: seeded, the
#: numbers drawn and TensorFlow's threads; then, TensorFlow started, seeded again.
REPRODUCIBLE = """\
import lab_utils_common, numpy as np, keras, tensorflow as tf, sys
lab_utils_common.make_reproducible(7, single_thread=sys.argv[1] == 'one')
print(np.random.rand(), float(keras.random.uniform((1,))[0]))
print(tf.config.threading.get_intra_op_parallelism_threads(),
      tf.config.threading.get_inter_op_parallelism_threads())
tf.constant(1.0) + 1
try:
    lab_utils_common.make_reproducible(0)
except RuntimeError as error:
    print(error)
"""


@pytest.fixture(scope="module")
def reproducible_runs():
    """Two fresh processes: one seeded on one thread (the default), one told to use every core."""
    runs = {mode: subprocess.run([sys.executable, "-c", REPRODUCIBLE, mode], capture_output=True, text=True,
                                 env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}) for mode in ("one", "all")}
    for run in runs.values():
        assert run.returncode == 0, run.stderr[-2000:]
    return {mode: run.stdout.splitlines() for mode, run in runs.items()}


def test_make_reproducible_gives_the_same_numbers_in_two_processes(reproducible_runs):
    numbers = [lines[0] for lines in reproducible_runs.values()]
    assert numbers[0] == numbers[1] and numbers[0].strip()


def test_make_reproducible_runs_tensorflow_on_one_thread_unless_told_otherwise(reproducible_runs):
    assert reproducible_runs["one"][1] == "1 1"
    assert reproducible_runs["all"][1] == "0 0"


def test_make_reproducible_after_tensorflow_started_says_what_to_do(reproducible_runs):
    # The process told to use every core, asked for one thread once TensorFlow has started.
    lines = reproducible_runs["all"]
    assert "Restart the kernel" in "\n".join(lines[2:]), lines


def test_every_helper_raises_the_one_line_errors_for_bad_arguments():
    import ast

    plain = []
    for module in sorted(common.STYLE_PATH.parent.joinpath("lab_utils").glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and getattr(node.exc.func, "id", "") in ("ValueError", "TypeError"):
                plain.append(f"{module.name}:{node.lineno}")
    assert not plain, f"raise HelperValueError or HelperTypeError instead, at {plain}"
