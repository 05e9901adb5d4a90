"""The softmax explorer: sliders for the logits z, bars for z and for a = softmax(z).

Used by ``notebooks/01_softmax_function.ipynb`` (``plt_softmax``) and
``notebooks/02_cross_entropy_loss.ipynb`` (``plt_cross_entropy``).

What is here
------------
softmax(z, temperature=1.0)
    A numerically stable reference softmax along the last axis.
check_softmax_output(a, z, name)
    The plain-language sentence describing what is wrong with a student's
    softmax output, or '' when it is right.
plt_softmax(my_softmax, n=4, ...)
    An explorer for a student's softmax function.
plt_cross_entropy(my_softmax, n=4, target_class=0, ...)
    The same explorer with a target class and the cross-entropy loss.
SoftmaxExplorer, CrossEntropyExplorer
    The classes behind them (``.fig``, ``.z``, ``.a``, ``.set_z``, ``.message``;
    read-outs ``.bar_widths()``, ``.readout_rows()``, ``.readout_text()``;
    live parts ``.widget`` and ``.sliders``).

Importing this module changes nothing global.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from lab_utils_checks import HINTS, diagnose_softmax_output
from lab_utils_common import HelperTypeError, HelperValueError, dlc, figure_html
from lab_utils_display import in_widget_kernel, live_figure_bundle, widget_canvas

#: Colors: bars, the largest probability, the target class, the stable reference.
BAR_COLOR = dlc["dlblue"]
ARGMAX_COLOR = dlc["dlorange"]
TARGET_COLOR = dlc["dlpurple"]
REFERENCE_COLOR = "#222222"
ERROR_COLOR = dlc["dldarkred"]

#: Room added beyond each end of the sliders' range, as a fraction of it, for the value labels.
LABEL_ROOM = 0.2

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
INTERACTIVE_HINT = (
    "This is a static picture. For sliders, run `%matplotlib widget` in JupyterLab "
    "(started with `make lab`), then run this cell again."
)


def softmax(z, temperature: float = 1.0) -> np.ndarray:
    """Numerically stable softmax along the last axis.

    Parameters
    ----------
    z : (N,) or (m, N) array_like
        Logits; for a 2-D array, one example per row.
    temperature : float
        Divides z before the softmax; must be positive.

    Returns
    -------
    (N,) or (m, N) ndarray
        Probabilities: each in [0, 1], summing to 1 along the last axis.
    """
    z = np.asarray(z, dtype=float) / temperature
    shifted = z - np.max(z, axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / np.sum(exp, axis=-1, keepdims=True)


def _subscript(j: int) -> str:
    return str(j).translate(SUBSCRIPTS)


def _fmt(values) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in np.asarray(values, dtype=float)) + "]"


def check_softmax_output(output, z, name: str = "my_softmax", changed_input: bool = False) -> str:
    """Describe what is wrong with a softmax function's output, in one sentence.

    The mistake is named by ``lab_utils_checks.diagnose_softmax_output``, the
    diagnosis behind the exercises' checkers, so a mistake gets the same hint,
    with the same tolerances, in every lesson. This adds what was seen first.

    Parameters
    ----------
    output : object
        What the student's function returned for ``z``.
    z : (N,) ndarray
        The logits it was given.
    name : str
        The function's name, for the message.
    changed_input : bool
        Whether the function changed the array it was given.

    Returns
    -------
    str
        '' when the output is the softmax of z; otherwise the message.
    """
    z = np.asarray(z, dtype=float)
    mistake = diagnose_softmax_output(output, z, changed_input=changed_input)
    if mistake is None:
        return ""
    return f"{_what_was_seen(output, z, name, mistake)}: {HINTS[mistake]}"


def _what_was_seen(output, z, name: str, mistake: str) -> str:
    """The fact that shows the mistake, for the start of the explorer's message."""
    if mistake == "returned_none":
        return f"{name} returned None"
    if mistake == "modified_input":
        return f"{name} changed its input z in place"
    if mistake == "not_numbers":
        if isinstance(output, (str, bytes)):
            return f"{name} returned text ({output!r:.40})"
        try:
            array = np.asarray(output)
        except (TypeError, ValueError):  # rows of different lengths, for one
            return f"{name} returned something that is not one array of numbers ({type(output).__name__})"
        if array.dtype.kind == "c":
            return f"{name} returned complex numbers"
        if array.dtype.kind == "O" and any(v is None for v in array.ravel()):
            return f"{name} returned an array with None in it"
        return f"{name} returned something that is not numbers ({type(output).__name__})"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = np.asarray(output, dtype=float)
    if values.ndim == 0:
        return f"{name} returned a single number ({float(values):.4g}), expected {len(z)} values"
    if values.shape != z.shape:
        return f"{name} returned shape {values.shape}, expected {z.shape}"
    if not np.all(np.isfinite(values)):
        bad = "nan" if np.any(np.isnan(values)) else "inf"
        return f"{name} returned {bad} for z = {_fmt(z)}"
    if np.any(values < 0):
        return f"{name} returned a negative value ({values.min():.4g})"
    total = float(values.sum())
    if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-6):
        return f"the outputs sum to {total:.6g}, not 1"
    return f"the outputs of {name} sum to 1 but are not softmax(z)"


class SoftmaxExplorer:
    """Sliders for z, bars for z and a = my_softmax(z), and a live readout.

    Use ``plt_softmax`` to make one. Attributes: ``fig`` (the Figure),
    ``z`` and ``a`` (NumPy arrays), ``message`` ('' when all is well),
    ``interactive`` (whether sliders are shown). ``set_z(values)`` moves the
    sliders and updates everything, as a student dragging them would.
    """

    kind = "softmax explorer"
    _maker = "plt_softmax"

    def __init__(self, my_softmax, n=4, z_range=(-10.0, 10.0), z=None,
                 temperature=False, show_stable=False, interactive=None):
        if not callable(my_softmax):
            raise HelperTypeError(f"{self._maker} needs your softmax function itself, for example "
                                  f"{self._maker}(my_softmax); got {type(my_softmax).__name__}.")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= 10:
            raise HelperValueError(
                f"n is the number of classes: a whole number from 2 to 10, got {n!r}.")
        try:
            low, high = (float(v) for v in z_range)
        except (TypeError, ValueError):
            low = high = float("nan")
        if not low < high:
            raise HelperValueError(f"z_range must be (low, high) with low < high, got {z_range!r}.")
        self.n = int(n)
        self.z_range = (low, high)
        self._function = my_softmax
        self._name = getattr(my_softmax, "__name__", "my_softmax")
        self._with_temperature = bool(temperature)
        self._show_stable = bool(show_stable)
        self.temperature = 1.0
        if z is None:  # the default start, kept inside whatever range was chosen
            start = np.clip(self._default_z(), low, high)
        else:
            start = np.asarray(z, dtype=float)
            if start.shape != (self.n,):
                raise HelperValueError(f"z must hold {self.n} values, got shape {start.shape}.")
            self._check_in_range(start, "z")
        self.z = start.copy()
        self.interactive = in_widget_kernel() if interactive is None else bool(interactive)
        self._background = None
        self._widgets_ready = False
        self._build_figure()
        if self.interactive:
            self._build_widgets()
        self._update()  # sets self.a and self.message (and a variant's results, such as loss)

    # ------------------------------------------------------------ set-up
    def _default_z(self) -> np.ndarray:
        if self.n == 4:
            return np.array([1.0, 2.0, 0.5, 3.0])
        return np.round(np.linspace(-1.0, 3.0, self.n), 1)

    def _build_figure(self) -> None:
        height = 1.2 + 0.42 * self.n
        self.fig = Figure(figsize=(8, height))
        if self.interactive:
            # An ipympl canvas of our own: shown by this explorer, not by pyplot,
            # whatever backend the notebook chose.
            widget_canvas(self.fig)
        else:
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(self.fig)
        self.fig.set_layout_engine("constrained")
        self._ax_z, self._ax_a = self.fig.subplots(1, 2, sharey=True)
        rows = np.arange(self.n)
        labels = [f"class {j}" for j in rows]
        low, high = self.z_range
        self._bars_z = self._ax_z.barh(rows, np.zeros(self.n), color=BAR_COLOR, height=0.6)
        # Room beyond the sliders' range on both sides, so a value label beside a bar
        # at either end stays inside the panel: clear of the class names on the left
        # and of the probabilities panel on the right.
        room = LABEL_ROOM * (high - low)
        self._ax_z.set(xlim=(low - room, high + room), title="logits z", xlabel="z",
                       yticks=rows, yticklabels=labels)
        # At most five ticks, all within the sliders' range, whatever its size.
        self._ax_z.set_xticks([t for t in MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
                               if low <= t <= high])
        self._ax_z.axvline(0, color="#888888", linewidth=1)
        self._bars_a = self._ax_a.barh(rows, np.zeros(self.n), color=BAR_COLOR, height=0.6)
        self._ax_a.set(xlim=(0, 1.18), title=f"a = {self._name}(z)", xlabel="probability a")
        self._text_z = [self._ax_z.text(0, j, "", va="center", fontsize=10) for j in rows]
        self._text_a = [self._ax_a.text(0, j, "", va="center", fontsize=10) for j in rows]
        self._label_color = self._text_z[0].get_color()  # the style's; white inside a bar
        # A row below the last class holds the sum (or the loss) under the bars.
        self._ax_z.set_ylim(self.n + 0.1, -0.6)
        status_row = blended_transform_factory(self._ax_a.transAxes, self._ax_a.transData)
        self._status = self._ax_a.text(0.02, self.n - 0.25, "", transform=status_row,
                                       ha="left", va="center", fontsize=10)
        self._reference, = self._ax_a.plot(
            np.zeros(self.n), rows, linestyle="none", marker="|", markersize=18,
            markeredgewidth=2.5, color=REFERENCE_COLOR, label="stable softmax",
            visible=self._show_stable)
        if self._show_stable:
            self._ax_a.legend(loc="lower right", bbox_to_anchor=(1.0, 1.08), fontsize=10)
        self._animated = [*self._bars_z, *self._bars_a, *self._text_z, *self._text_a,
                          self._status, self._reference]
        for artist in self._animated:
            artist.set_animated(True)
        self.fig.canvas.mpl_connect("draw_event", self._on_full_draw)

    def _build_widgets(self) -> None:
        import ipywidgets as widgets

        low, high = self.z_range
        self._sliders = []
        for j in range(self.n):
            slider = widgets.FloatSlider(
                value=float(self.z[j]), min=low, max=high, step=0.1,
                description=f"z{_subscript(j)}", continuous_update=True, readout=True,
                readout_format=".1f", layout=widgets.Layout(width="320px"))
            slider.add_class("softmax-z-slider")
            slider.observe(self._on_slider, names="value")
            self._sliders.append(slider)
        controls = list(self._sliders)
        if self._with_temperature:
            self._temperature_slider = widgets.FloatLogSlider(
                value=1.0, base=10, min=-1.3, max=1.3, step=0.05, description="T",
                readout_format=".2f", layout=widgets.Layout(width="320px"))
            self._temperature_slider.add_class("softmax-temperature")
            self._temperature_slider.observe(self._on_temperature, names="value")
            controls.append(self._temperature_slider)
        controls.extend(self._extra_controls(widgets))
        self._readout = widgets.HTML(layout=widgets.Layout(min_width="260px"))
        self._readout.add_class("softmax-readout")
        self._message_widget = widgets.HTML()
        self._message_widget.add_class("softmax-message")
        self._root = widgets.VBox([
            widgets.HBox([widgets.VBox(controls), self._readout]),
            self._message_widget,
            self.fig.canvas,
        ])
        self._root.add_class("softmax-explorer")
        self._widgets_ready = True

    def _extra_controls(self, widgets) -> list:
        """Controls a variant adds below the sliders (none here)."""
        return []

    def _check_in_range(self, values, what: str) -> None:
        if not np.all(np.isfinite(values)):
            raise HelperValueError(
                f"{what}: every value must be a finite number, got {_fmt(values)}.")
        low, high = self.z_range
        outside = [v for v in values if not low <= v <= high]
        if outside:
            limit = max(abs(low), abs(high), *(abs(v) for v in outside))
            step = 10 ** math.floor(math.log10(limit))
            wider = math.ceil(limit / step) * step
            raise HelperValueError(
                f"{what}: {_fmt(outside)} {'is' if len(outside) == 1 else 'are'} outside the "
                f"sliders' range, {low:g} to {high:g}. Make the explorer with a wider range, "
                f"for example {self._maker}(my_softmax, z_range=(-{wider:g}, {wider:g})).")

    # ------------------------------------------------------------ updates
    def set_z(self, values) -> "SoftmaxExplorer":
        """Move the sliders to ``values`` and update everything.

        Parameters
        ----------
        values : (n,) array_like
            One logit per class, each within ``z_range`` (the sliders'
            range); a value outside it raises ``HelperValueError`` saying how
            to make an explorer with a wider range.
        """
        values = np.asarray(values, dtype=float)
        if values.shape != (self.n,):
            raise HelperValueError(
                f"set_z needs {self.n} values, one per class; got shape {values.shape}.")
        self._check_in_range(values, "set_z")
        if self.interactive:
            self._quiet = True
            try:
                for slider, value in zip(self._sliders, values):
                    slider.value = float(value)
            finally:
                self._quiet = False
        self.z = values.copy()
        self._update()
        return self

    def set_temperature(self, temperature: float) -> "SoftmaxExplorer":
        """Set the temperature T (the softmax is applied to z / T)."""
        if not temperature > 0:
            raise HelperValueError(f"The temperature must be a positive number, got {temperature!r}.")
        self.temperature = float(temperature)
        if self.interactive and self._with_temperature:
            self._quiet = True
            try:
                self._temperature_slider.value = self.temperature
            finally:
                self._quiet = False
        self._update()
        return self

    _quiet = False

    def _on_slider(self, change) -> None:
        if self._quiet:
            return
        self.z = np.array([s.value for s in self._sliders], dtype=float)
        self._update()

    def _on_temperature(self, change) -> None:
        if self._quiet:
            return
        self.temperature = float(change["new"])
        self._update()

    def _call_student_function(self) -> None:
        """Run the student's function on z / T; set self.a and self.message."""
        given = self.z / self.temperature
        passed = given.copy()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # overflow shows up as nan/inf below
                output = self._function(passed)
        except Exception as error:  # a student's function may raise anything
            self.a = np.full(self.n, np.nan)
            self.message = (f"{self._name} raised {type(error).__name__}: {error}. "
                            "Fix the function, run its cell, then run this cell again.")
            return
        changed = not np.array_equal(passed, given)
        self.message = check_softmax_output(output, given, self._name, changed_input=changed)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. complex output, already in the message
                values = np.asarray(output, dtype=float)
        except (TypeError, ValueError):
            values = np.full(self.n, np.nan)
        self.a = values.copy() if values.shape == (self.n,) else np.full(self.n, np.nan)

    def _update(self) -> None:
        self._call_student_function()
        self._update_artists()
        self._update_extra()
        if self._widgets_ready:
            self._readout.value = self._readout_html()
            self._message_widget.value = self._message_html()
        self._render()

    def _update_extra(self) -> None:
        """What a variant recomputes after a (none here)."""

    def _update_artists(self) -> None:
        low, high = self.z_range
        shown_a = np.where(np.isfinite(self.a), np.clip(self.a, 0, 1.15), 0.0)
        best = self.largest_class()
        span = high - low
        for j in range(self.n):
            self._bars_z[j].set_width(self.z[j])
            self._place_z_label(j, span)
            self._bars_a[j].set_width(shown_a[j])
            self._bars_a[j].set_color(self._bar_color(j, best))
            self._text_a[j].set_text(f"{self.a[j]:.3f}" if np.isfinite(self.a[j]) else "?")
            self._text_a[j].set_x(shown_a[j] + 0.02)
            self._text_a[j].set_fontweight("bold" if j == best else "normal")
        self._reference.set_xdata(softmax(self.z, self.temperature))
        if self.message:
            self._status.set_text("check the message above")
            self._status.set_color(ERROR_COLOR)
        else:
            self._status.set_text(self._status_text())
            self._status.set_color("#222222")

    def _place_z_label(self, j: int, span: float) -> None:
        """z_j's value beside its bar's end; inside the bar, in white, where it would leave the panel."""
        text, value = self._text_z[j], self.z[j]
        outward = 1.0 if value >= 0 else -1.0
        text.set_text(f"{value:.1f}")
        text.set_x(value + outward * 0.02 * span)
        text.set_horizontalalignment("left" if outward > 0 else "right")
        text.set_color(self._label_color)
        renderer = self.fig.canvas.get_renderer()
        box, panel = text.get_window_extent(renderer), self._ax_z.get_window_extent(renderer)
        if box.x0 < panel.x0 or box.x1 > panel.x1:
            text.set_x(value - outward * 0.02 * span)
            text.set_horizontalalignment("right" if outward > 0 else "left")
            text.set_color("white")

    def largest_class(self) -> int:
        """The class with the largest probability, or -1 when there is none.

        None when the message reports a mistake (then a is not a softmax), and none
        when two or more classes share the largest probability (all logits equal,
        for one): no class is marked as "largest" then.
        """
        if self.message or not np.all(np.isfinite(self.a)):
            return -1
        largest = np.flatnonzero(self.a == np.max(self.a))
        return int(largest[0]) if len(largest) == 1 else -1

    def _bar_color(self, j: int, best: int) -> str:
        return ARGMAX_COLOR if j == best else BAR_COLOR

    def _status_text(self) -> str:
        text = f"sum = {np.sum(self.a):.4f}"
        if self._with_temperature:
            text = f"T = {self.temperature:.2f}   " + text
        return text

    # ------------------------------------------------------------ drawing
    def _on_full_draw(self, event) -> None:
        """After a full draw: keep the background, then draw the moving parts."""
        self._background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        # The layout may have moved the panels since the labels were placed.
        low, high = self.z_range
        for j in range(self.n):
            self._place_z_label(j, high - low)
        self._draw_moving_parts()

    def _draw_moving_parts(self) -> None:
        for artist in self._animated:
            if artist.get_visible():
                self.fig.draw_artist(artist)

    def _render(self) -> None:
        """Redraw only what changes: restore the background, draw bars and text, blit."""
        canvas = self.fig.canvas  # Agg or ipympl's (Agg-based): both can blit
        if self._background is None:
            canvas.draw()  # first time: full draw, which keeps the background (and sends the frame)
            return
        canvas.restore_region(self._background)
        self._draw_moving_parts()
        canvas.blit()  # ipympl sends the whole frame whatever the box

    # ------------------------------------------------------------ reading out
    @property
    def widget(self):
        """The live widget (sliders, readout, message, figure), or None when static."""
        return self._root if self._widgets_ready else None

    @property
    def sliders(self) -> tuple:
        """The z sliders, class 0 first (empty when static); moving one updates everything."""
        return tuple(self._sliders) if self._widgets_ready else ()

    def bar_widths(self) -> dict[str, list[float] | None]:
        """The bars as drawn, class 0 first: ``{"z": [...], "a": [...], "stable": ...}``.

        ``"stable"`` holds where the stable softmax's black ticks are drawn, or
        None when they are hidden (``show_stable=False``).
        """
        stable = list(self._reference.get_xdata()) if self._reference.get_visible() else None
        return {"z": [bar.get_width() for bar in self._bars_z],
                "a": [bar.get_width() for bar in self._bars_a], "stable": stable}

    def readout_text(self) -> str:
        """What the live readout and message show, as plain text ('' when static)."""
        if not self._widgets_ready:
            return ""
        import html
        import re

        shown = self._readout.value.replace("</div>", "\n") + self._message_widget.value
        return html.unescape(re.sub(r"<[^>]+>", "", shown)).strip()

    def readout_rows(self) -> list[tuple[str, str]]:
        """The readout as (label, value) rows: each a_j, the sum (and the loss)."""
        rows = []
        for j in range(self.n):
            value = f"{self.a[j]:.4f}" if np.isfinite(self.a[j]) else "?"
            rows.append((f"a{_subscript(j)}", value))
        total = np.sum(self.a) if np.all(np.isfinite(self.a)) else float("nan")
        rows.append(("sum", f"{total:.4f}" if np.isfinite(total) else "?"))
        return rows

    def _readout_html(self) -> str:
        best = self.largest_class()
        cells = []
        for j, (label, value) in enumerate(self.readout_rows()):
            weight = "bold" if j == best else "normal"
            cells.append(f'<div style="font-family: monospace; font-weight: {weight}">'
                         f"{label} = {value}</div>")
        return "".join(cells)

    def _message_html(self) -> str:
        if not self.message:
            return ""
        import html

        return (f'<div style="color: {ERROR_COLOR}; font-weight: bold; margin: 4px 0">'
                f"{html.escape(self.message)}</div>")

    def summary(self) -> str:
        """One line of plain text: z, a, the sum and any message."""
        text = ", ".join(f"{label} = {value}" for label, value in self.readout_rows())
        line = f"{self.kind} (n={self.n}): z = {_fmt(np.round(self.z, 2))}; {text}"
        if self._with_temperature:
            line += f"; T = {self.temperature:.2f}"
        if self.message:
            line += f"\nmessage: {self.message}"
        return line

    def _live_alt(self) -> str:
        return (f"The {self.kind}'s two bar charts: the logits z of {self.n} classes and "
                f"their probabilities a from {self._name}.")

    def _alt(self) -> str:
        return (f"Two bar charts: the logits z of {self.n} classes and their probabilities "
                f"a from {self._name}. {self.summary()}")

    def _picture_html(self) -> str:
        # Saving the picture is a full draw: it ends in _on_full_draw, which draws
        # the bars and numbers into the picture too and keeps the picture's
        # background, bars included. The next frame starts from a clean one.
        try:
            return figure_html(self.fig, self._alt())
        finally:
            self._background = None

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.interactive:
            # The saved picture becomes the explorer's last frame when the notebook is
            # saved (lab_utils_display.keep_saved_pictures): its alt text says what the
            # figure is, the state it was displayed in is in text/plain.
            bundle = live_figure_bundle(self.widget, self.fig, self._live_alt())
            bundle["text/plain"] = self.summary()
            # Saving the picture drew the figure, bars included, and that draw
            # kept its background: take a clean one with a full draw.
            self._background = None
            self._render()
            return bundle
        picture = self._picture_html()
        note = f'<p style="font-style: italic">{INTERACTIVE_HINT}</p>'
        message = self._message_html()
        return {"text/html": message + picture + note,
                "text/plain": self.summary() + "\n" + INTERACTIVE_HINT}

    def __repr__(self) -> str:
        return self.summary()


class CrossEntropyExplorer(SoftmaxExplorer):
    """The softmax explorer plus a target class and the loss -log(a_target).

    Extra attributes: ``target_class`` and ``loss`` (``inf`` when the
    target's probability is 0). ``set_target(k)`` chooses the target class.
    """

    kind = "cross-entropy explorer"
    _maker = "plt_cross_entropy"

    def __init__(self, my_softmax, n=4, target_class=0, **options):
        self.target_class = self._valid_target(target_class, n)
        self.loss = float("nan")  # read by the first status line, before _update_extra
        super().__init__(my_softmax, n=n, **options)
        self._ax_a.set_title(f"a = {self._name}(z); target class {self.target_class}")

    @staticmethod
    def _valid_target(target_class, n) -> int:
        if isinstance(target_class, bool) or not isinstance(target_class, (int, np.integer)) \
                or not 0 <= target_class < n:
            raise HelperValueError(f"target_class must be a class number from 0 to {n - 1}, "
                                   f"got {target_class!r}.")
        return int(target_class)

    def _extra_controls(self, widgets) -> list:
        self._target_widget = widgets.ToggleButtons(
            options=[(str(j), j) for j in range(self.n)], value=self.target_class,
            description="target y", style={"button_width": "36px"})
        self._target_widget.add_class("softmax-target")
        self._target_widget.observe(self._on_target, names="value")
        return [self._target_widget]

    @property
    def target_buttons(self):
        """The row of target-class buttons (None when static); choosing one updates the loss."""
        return self._target_widget if self._widgets_ready else None

    def set_target(self, target_class: int) -> "CrossEntropyExplorer":
        """Choose the target class y and update the loss."""
        self.target_class = self._valid_target(target_class, self.n)
        if self.interactive:
            self._quiet = True
            try:
                self._target_widget.value = self.target_class
            finally:
                self._quiet = False
        self._ax_a.set_title(f"a = {self._name}(z); target class {self.target_class}")
        self._background = None  # the title is part of the background
        self._update()
        return self

    def _on_target(self, change) -> None:
        if self._quiet:
            return
        self.set_target(change["new"])

    def _update_extra(self) -> None:
        probability = self.a[self.target_class]
        if self.message:  # without one, a is a softmax: finite
            self.loss = float("nan")
        elif probability <= 0:
            self.loss = float("inf")
        else:
            self.loss = float(-np.log(probability))
        if not self.message:
            self._status.set_text(self._status_text())

    def _bar_color(self, j: int, best: int) -> str:
        return TARGET_COLOR if j == self.target_class else BAR_COLOR

    def _loss_text(self) -> str:
        if math.isinf(self.loss):
            return "inf (a of the target is 0)"
        if math.isnan(self.loss):
            return "?"
        return f"{self.loss:.4f}"

    def _status_text(self) -> str:
        return f"loss = -log(a{_subscript(self.target_class)}) = {self._loss_text()}"

    def readout_rows(self) -> list[tuple[str, str]]:
        rows = super().readout_rows()
        rows.append((f"loss = -log(a{_subscript(self.target_class)})", self._loss_text()))
        return rows

    def summary(self) -> str:
        return super().summary().replace(f"(n={self.n})",
                                         f"(n={self.n}, target class {self.target_class})")


def plt_softmax(my_softmax, n=4, z_range=(-10.0, 10.0), z=None, temperature=False,
                show_stable=False, interactive=None) -> SoftmaxExplorer:
    """Explore a softmax function with one slider per logit.

    Parameters
    ----------
    my_softmax : callable
        Your softmax: takes a (n,) array z, returns a (n,) array a.
    n : int
        Number of classes, 2 to 10.
    z_range : (float, float)
        The range of every slider.
    z : (n,) array_like, optional
        Starting logits.
    temperature : bool
        Add a temperature slider T; your function is called with z / T.
    show_stable : bool
        Overlay the numerically stable softmax for comparison (black ticks).
    interactive : bool, optional
        Force sliders on or off; by default they are on where ipympl draws
        the figures (``%matplotlib widget`` in JupyterLab).

    Returns
    -------
    SoftmaxExplorer
        Displays itself as a cell's last line. ``.fig``, ``.z``, ``.a``,
        ``.message`` and ``.set_z(values)`` are yours to use.

    Examples
    --------
    >>> explorer = plt_softmax(my_softmax)        # doctest: +SKIP
    >>> explorer.set_z([0, 0, 0, 5]).a.round(3)   # doctest: +SKIP
    """
    return SoftmaxExplorer(my_softmax, n=n, z_range=z_range, z=z, temperature=temperature,
                           show_stable=show_stable, interactive=interactive)


def plt_cross_entropy(my_softmax, n=4, target_class=0, z_range=(-10.0, 10.0), z=None,
                      interactive=None) -> CrossEntropyExplorer:
    """Explore the cross-entropy loss -log(a_target) with sliders for z.

    Parameters
    ----------
    my_softmax : callable
        A softmax function: (n,) array in, (n,) array out.
    n : int
        Number of classes, 2 to 10.
    target_class : int
        The true class y, 0 to n - 1 (a row of buttons changes it).
    z_range, z, interactive
        As for ``plt_softmax``.

    Returns
    -------
    CrossEntropyExplorer
        As ``plt_softmax``'s explorer, plus ``.target_class``, ``.loss`` and
        ``.set_target(k)``.

    Examples
    --------
    >>> explorer = plt_cross_entropy(my_softmax, target_class=2)   # doctest: +SKIP
    >>> explorer.set_z([0, 0, -5, 0]).loss                          # doctest: +SKIP
    """
    return CrossEntropyExplorer(my_softmax, n=n, target_class=target_class, z_range=z_range,
                                z=z, interactive=interactive)
