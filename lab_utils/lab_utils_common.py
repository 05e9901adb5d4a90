"""Shared pieces for every Softmax Lab notebook.

What is here
------------
dlc
    The course palette, a dict of name -> hex color.
STYLE_PATH, use_style()
    The suite's matplotlib style, found wherever the notebook runs from.
presenter_mode(), student_mode()
    Bigger fonts, lines and figures for a projector, and the way back. The
    slideshows (`make present`, `make slides`) set SOFTMAX_LAB_PRESENTER=1, and
    then use_style() applies presenter_mode() itself.
make_reproducible(seed)
    Seeds Python, NumPy and TensorFlow and makes TensorFlow deterministic.
show_figure(fig, alt), figure_html(fig, alt)
    Show a finished matplotlib figure as a picture with alt text, so screen
    readers, GitHub and nbviewer all get a description of it.
HelperTypeError, HelperValueError
    Raised when a helper is called with the wrong arguments; a notebook shows
    the sentence alone, without a traceback.

Live widget figures (ipympl) are in ``lab_utils_display``.

Importing this module changes nothing: no style is applied and no print
options are set until you call one of the functions above. Used by every
notebook in ``notebooks/``.
"""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

dlc = {
    "dlblue": "#0096ff",
    "dlorange": "#FF9300",
    "dldarkred": "#C00000",
    "dlmagenta": "#FF40FF",
    "dlpurple": "#7030A0",
    "dldarkblue": "#0D5BDC",
    "dlmedblue": "#4285F4",
}
"""The course palette: name -> hex color string."""

#: Colors in the order the style's color cycle uses them.
PALETTE = list(dlc.values())

#: The style file at the repository root (lab_utils/ sits beside it).
STYLE_PATH = Path(__file__).resolve().parent.parent / "deeplearning.mplstyle"

# Changes presenter_mode() makes; student_mode() restores what they replaced.
# Text grows 1.35 x against the figure (more would crowd a two-panel figure's
# titles) and the figure 1.2 x in pixels (figure.dpi below): 11-point tick labels
# are then 24.75 px, so a figure scaled down to 65 % on a slide still shows
# 16-px text (tests/e2e/test_slides_fit.py checks every picture).
_PRESENTER_SCALE = {
    "font.size": 1.35,
    "axes.titlesize": 1.35,
    "axes.labelsize": 1.35,
    "xtick.labelsize": 1.35,
    "ytick.labelsize": 1.35,
    "legend.fontsize": 1.35,
    "figure.titlesize": 1.35,
    "lines.linewidth": 1.75,
    "lines.markersize": 1.75,
    "axes.linewidth": 1.5,
    # Live figures (ipympl) are as many pixels wide as figsize x dpi, and their
    # text grows with them: 10-point text is 16.7 px at 120 dpi.
    "figure.dpi": 1.2,
}
#: Set (to "1") by tools/slides.py for the lessons it presents or turns into decks.
PRESENTER_ENV = "SOFTMAX_LAB_PRESENTER"
_saved_before_presenter: dict | None = None


class HelperTypeError(TypeError):
    """A helper was given the wrong kind of argument.

    IPython calls ``_render_traceback_`` instead of printing a traceback, so
    the notebook shows one line saying what to change, not the helper's
    internals. Outside IPython it is an ordinary ``TypeError``.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"TypeError: {self}"]


class HelperValueError(ValueError):
    """A helper was given an argument of the right kind but a wrong value.

    Shown in a notebook as one line, like ``HelperTypeError``.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"ValueError: {self}"]


def use_style() -> Path:
    """Apply the suite's matplotlib style, whatever the working directory.

    In a slideshow (``SOFTMAX_LAB_PRESENTER=1``, set by ``make present`` and
    ``make slides``) it then applies ``presenter_mode()``, so every figure a
    lesson draws after it is sized for a projector.

    Returns
    -------
    pathlib.Path
        The style file that was applied.
    """
    if not STYLE_PATH.is_file():
        raise FileNotFoundError(
            f"The style file {STYLE_PATH} is missing. Run `make venv` from the "
            "repository root so the helpers are installed from the repository."
        )
    plt.style.use(str(STYLE_PATH))
    if os.environ.get(PRESENTER_ENV) == "1":
        global _saved_before_presenter
        _saved_before_presenter = None  # the style just put the student sizes back
        presenter_mode()
    return STYLE_PATH


def presenter_mode(scale: float = 1.0) -> dict:
    """Enlarge fonts, lines and markers for a projector.

    Affects figures created after the call. Calling it twice does not grow
    sizes twice; ``student_mode()`` restores the previous sizes.

    Parameters
    ----------
    scale : float, optional
        Extra factor on top of the presenter sizes (1.0 = the default
        presenter sizes; 1.2 = 20 % larger again).

    Returns
    -------
    dict
        The rcParams now in force for the keys presenter mode changes.
    """
    global _saved_before_presenter
    if not scale > 0:
        raise HelperValueError(f"scale must be a positive number, got {scale!r}.")
    if _saved_before_presenter is None:
        _saved_before_presenter = {key: mpl.rcParams[key] for key in _PRESENTER_SCALE}
    # Convert every size to points first: 'large' is relative to font.size,
    # which this loop is about to change.
    with mpl.rc_context(_saved_before_presenter):
        base = {key: _as_points(mpl.rcParams[key]) for key in _PRESENTER_SCALE}
    for key, factor in _PRESENTER_SCALE.items():
        mpl.rcParams[key] = round(base[key] * factor * scale, 2)
    return {key: mpl.rcParams[key] for key in _PRESENTER_SCALE}


def student_mode() -> dict:
    """Undo ``presenter_mode()``: restore the sizes in force before it.

    Returns
    -------
    dict
        The rcParams now in force for the keys presenter mode changes.
    """
    global _saved_before_presenter
    if _saved_before_presenter is not None:
        mpl.rcParams.update(_saved_before_presenter)
        _saved_before_presenter = None
    return {key: mpl.rcParams[key] for key in _PRESENTER_SCALE}


def _as_points(value) -> float:
    """A font size such as 'medium' or 'large' as a number of points."""
    if isinstance(value, str):
        from matplotlib.font_manager import FontProperties

        return FontProperties(size=value).get_size_in_points()
    return float(value)


def make_reproducible(seed: int = 0, single_thread: bool = True) -> int:
    """Seed every random generator the lessons use and make TensorFlow deterministic.

    Call it once, right after the imports and before any TensorFlow operation
    runs. With ``single_thread=True`` TensorFlow uses one thread, so results do
    not depend on how many cores the machine has.

    Parameters
    ----------
    seed : int
        Seed for Python's ``random``, NumPy and TensorFlow/Keras.
    single_thread : bool
        Pin TensorFlow to one intra-op and one inter-op thread.

    Returns
    -------
    int
        The seed used.
    """
    import keras
    import tensorflow as tf

    if single_thread:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError as error:  # TensorFlow already started its runtime
            raise RuntimeError(
                "make_reproducible() must run before any TensorFlow operation. "
                "Restart the kernel and call it right after the imports."
            ) from error
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return seed


def figure_png(fig, dpi: float | None = None) -> bytes:
    """Render a matplotlib figure to PNG bytes (Agg, no display needed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi, bbox_inches="tight")
    return buffer.getvalue()


def smallest_text_px(fig, dpi: float | None = None) -> float:
    """Height in pixels of the smallest text a figure shows, drawn at ``dpi``.

    The slide tests multiply it by the scale a picture is shown at, to check
    that figure text stays readable (at least 16 px) on a projector.
    """
    from matplotlib.text import Text

    sizes = [text.get_fontsize() for text in fig.findobj(Text)
             if text.get_visible() and text.get_text().strip()]
    return round(min(sizes, default=0.0) * (dpi or fig.dpi) / 72, 2)


def figure_html(fig, alt: str, dpi: float | None = None) -> str:
    """An ``<img>`` tag holding the figure as an inline PNG, with alt text.

    Drawn for a slideshow (``SOFTMAX_LAB_PRESENTER=1``), it also carries the
    class ``softmax-text-px-N``: N is the height of its smallest text in the
    picture's pixels (``smallest_text_px``) times 100, which the slide tests check.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    alt : str
        What the figure shows, in a sentence, for readers who cannot see it.
    dpi : float, optional
        Resolution; defaults to the figure's own.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise HelperValueError("Every figure needs alt text: a sentence saying what it shows.")
    encoded = base64.b64encode(figure_png(fig, dpi)).decode("ascii")
    width = int(round(fig.get_figwidth() * fig.dpi))
    # As a class: JupyterLab's HTML sanitizer (in make present) keeps classes, not data-*.
    text_size = (f'class="softmax-text-px-{round(smallest_text_px(fig, dpi) * 100)}" '
                 if os.environ.get(PRESENTER_ENV) == "1" else "")
    return (
        f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}" '  # escapes quotes too
        f'width="{width}" {text_size}style="max-width: 100%; height: auto;"/>'
    )


class FigureImage:
    """A finished figure as a picture with alt text (what show_figure displays).

    In a notebook it renders as an HTML ``<img>`` with ``alt``; as plain text
    (a terminal, or a reader that cannot show images) it is the alt text.
    """

    def __init__(self, fig, alt: str):
        self.alt = alt
        self._html = figure_html(fig, alt)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._html, "text/plain": f"[figure] {self.alt}"}

    def __repr__(self) -> str:
        return f"[figure] {self.alt}"


def show_figure(fig, alt: str, close: bool = True) -> None:
    """Display a finished figure as a picture with alt text.

    Use it instead of ``plt.show()`` for static figures, whatever the
    matplotlib backend: every image in the suite carries a description.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    alt : str
        What the figure shows, in a sentence.
    close : bool
        Close the figure afterwards so the backend does not show it twice.

    Returns None, so a call as a cell's last line shows the picture once.
    """
    from IPython.display import display

    image = FigureImage(fig, alt)
    if close:
        plt.close(fig)
    display(image)
