"""Live figures in JupyterLab: every ipympl workaround of the suite, in one place.

Used by ``lab_utils_softmax`` (the explorers of notebooks 01 and 02) and by
``notebooks/00_start_here.ipynb`` (the slider demo). Every widget figure in
the suite is made with ``widget_canvas`` and shown with ``live_figure_bundle``.

Written for ipympl 0.10 (``IPYMPL_WRITTEN_FOR``). ``widget_canvas`` warns once
when another ipympl is installed: then re-run ``make e2e`` (it saves,
reopens and checks the pictures) and delete what the new ipympl fixed.
The upstream issues worked around here:

* ipympl #472: until a browser attaches, ipympl stores each frame in
  ``_data_url`` as bare base64; JupyterLab cannot load that ("drawImage ...
  broken") and leaves the saved figure empty. ``WidgetCanvas`` adds the
  ``data:image/png;base64,`` prefix.
* ipympl #359 and #584: once a browser is attached, the picture saved with the
  notebook is the browser's copy, taken as each frame arrives and before it is
  drawn: one frame behind, blank after the first. ``WidgetCanvas`` sends the
  kernel's current frame as ``_data_url`` once the figure has been still for
  ``PICTURE_DELAY`` seconds, so the value saved is the last frame.

What is here
------------
in_widget_kernel()
    True when figures are drawn by ipympl inside a Jupyter kernel.
widget_canvas(fig)
    Give a Figure a live ipympl canvas (a ``WidgetCanvas``) with no toolbar.
live_figure_bundle(widget, fig, alt)
    The display data for a widget around a figure: the live widget where
    widgets work, the picture with alt text everywhere else.
png_data_url(rgba)
    An RGBA array as a ``data:image/png;base64,...`` URL.

Importing this module imports neither ipympl nor ipywidgets and changes nothing.
"""

from __future__ import annotations

import base64
import io
import warnings

import matplotlib
import numpy as np

from lab_utils_common import figure_html

#: The ipympl version (major, minor) these workarounds were written and tested for.
IPYMPL_WRITTEN_FOR = (0, 10)
#: Seconds without a new frame before the current frame is sent as the saved picture.
PICTURE_DELAY = 0.3
#: The upstream issues this module works around.
UPSTREAM_ISSUES = ("ipympl #472", "ipympl #359", "ipympl #584")

_WidgetCanvas = None


def in_widget_kernel() -> bool:
    """True when figures are drawn by ipympl inside a Jupyter kernel."""
    backend = matplotlib.get_backend().lower()
    if "ipympl" not in backend and "widget" not in backend:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        return False
    return shell is not None and hasattr(shell, "kernel")


def ipympl_version_note(version: str) -> str:
    """'' when ``version`` is the ipympl these workarounds were written for, else what to do."""
    try:
        installed = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        installed = None
    if installed == IPYMPL_WRITTEN_FOR:
        return ""
    written = ".".join(map(str, IPYMPL_WRITTEN_FOR))
    return (f"lab_utils_display was written for ipympl {written}, and ipympl {version} is "
            f"installed: run `make e2e` to see whether its saved pictures still need the "
            f"workarounds for {', '.join(UPSTREAM_ISSUES)}.")


def png_data_url(rgba) -> str:
    """An (h, w, 4) uint8 RGBA array as a ``data:image/png;base64,...`` URL."""
    from PIL import Image

    with io.BytesIO() as png:
        Image.fromarray(rgba).save(png, format="png")
        return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()


def _widget_canvas_class():
    """ipympl's Canvas, keeping the saved picture (``_data_url``) current (see the module)."""
    global _WidgetCanvas
    if _WidgetCanvas is not None:
        return _WidgetCanvas
    import ipympl
    from ipympl.backend_nbagg import Canvas
    from ipywidgets import DOMWidget

    class WidgetCanvas(Canvas):
        _picture_timer = None

        def send_binary(self, data):
            with self.hold_trait_notifications():
                super().send_binary(data)
                url = self._data_url
                if isinstance(url, str) and url and not url.startswith("data:"):  # ipympl #472
                    self._data_url = "data:image/png;base64," + url
            if not self.syncing_data_url:  # ipympl #359, #584
                self._send_picture_when_still()

        def _send_picture_when_still(self):
            import asyncio

            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not inside a running kernel
                return
            if self._picture_timer is not None:
                self._picture_timer.cancel()
            self._picture_timer = loop.call_later(PICTURE_DELAY, self._send_picture)

        def _send_picture(self):
            self._picture_timer = None
            buffer = self._last_buff  # the frame send_binary was called for (or a later one)
            if self.comm is None or not buffer.size:  # closed, or a figure of no pixels
                return
            self._data_url = png_data_url(buffer.view(dtype=np.uint8).reshape((*buffer.shape, 4)))
            # ipympl's own send_state leaves _data_url out once a browser is attached.
            DOMWidget.send_state(self, key=["_data_url"])

    _WidgetCanvas = WidgetCanvas
    # Checked once, when the class is made (the first live figure of a kernel).
    note = ipympl_version_note(ipympl.__version__)
    if note:
        warnings.warn(note, stacklevel=3)
    return _WidgetCanvas


def widget_canvas(fig):
    """Give ``fig`` a live ipympl canvas of its own, whatever backend pyplot uses.

    The canvas has no header, footer or toolbar and a fixed size; put it in a
    widget box beside its controls and show the box with ``live_figure_bundle``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure made with ``Figure(...)``, not with pyplot.

    Returns
    -------
    WidgetCanvas
        ``fig.canvas``, an ipympl Canvas widget.
    """
    from ipympl.backend_nbagg import FigureManager

    with warnings.catch_warnings():  # ipympl's toolbar trips a traitlets deprecation
        warnings.simplefilter("ignore", DeprecationWarning)
        FigureManager(_widget_canvas_class()(fig), 0)
    canvas = fig.canvas
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    return canvas


def live_figure_bundle(widget, fig, alt: str) -> dict:
    """Display data for a live widget that shows ``fig``.

    JupyterLab renders the live widget; GitHub, nbviewer and other readers
    without a widget frontend render the picture (``text/html`` with alt
    text); a terminal gets the alt text. An ipympl canvas inside the widget
    also keeps the picture in its saved state, so a saved notebook opened in
    JupyterLab shows it before anything is run.

    Parameters
    ----------
    widget : ipywidgets.DOMWidget
        The widget to display (for example a VBox holding ``fig.canvas``).
    fig : matplotlib.figure.Figure
    alt : str
        What the figure shows, in a sentence.
    """
    picture = figure_html(fig, alt)
    if hasattr(fig.canvas, "_data_url"):
        # ipympl: its own display step sets the canvas size and the saved
        # picture; without it a canvas inside another widget stays 0 x 0.
        fig.canvas._repr_mimebundle_()
    bundle = dict(widget._repr_mimebundle_())  # ipywidgets 8: a dict
    bundle["text/plain"] = f"[interactive figure] {alt}"
    bundle["text/html"] = picture
    return bundle
