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

And one of JupyterLab's widget manager (@jupyter-widgets/jupyterlab-manager 5,
with ``saveState`` on): a notebook that holds widget state is marked modified
the moment it opens, because restoring each saved model calls ``setDirty``;
a reopened notebook whose kernel is gone shows its widgets greyed out with a red
"disconnected" icon on each; and without saved state a trusted notebook shows
"Error displaying widget: model not found". So a saved lesson keeps pictures, not
widgets: ``keep_saved_pictures`` puts each live figure's last frame into the
picture saved beside it (``live_figure_bundle``'s ``text/html``, which carries one
line saying to run the cell for the live figure) and drops the widget state the
figure needs. JupyterLab runs it on every save (``save_hook``, set as the Jupyter
server's ``ContentsManager.pre_save_hook`` in jupyter_config/), and ``make
execute`` on every lesson it stores.

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
keep_saved_pictures(notebook, live_views=False)
    A notebook's live figures as their last pictures, without widget state.
save_hook(model, **kwargs)
    The Jupyter server's pre-save hook that applies it to every notebook saved.

Importing this module imports neither ipympl, ipywidgets, NumPy nor matplotlib
(the Jupyter server imports it for ``save_hook``) and changes nothing.
"""

from __future__ import annotations

import base64
import io
import json
import re
import warnings

#: The ipympl version (major, minor) these workarounds were written and tested for.
IPYMPL_WRITTEN_FOR = (0, 10)
#: Seconds without a new frame before the current frame is sent as the saved picture.
PICTURE_DELAY = 0.3
#: The upstream issues this module works around.
UPSTREAM_ISSUES = ("ipympl #472", "ipympl #359", "ipympl #584")
#: The class of the element around a live figure's saved picture and its note.
SAVED_FIGURE_CLASS = "softmax-saved-figure"
#: The line under a live figure's saved picture (shown wherever the widget is not live).
SAVED_FIGURE_NOTE = "A picture saved with the notebook: run this cell for the live figure and its sliders."
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_PICTURE_SOURCE = re.compile(r'src="data:image/png;base64,[A-Za-z0-9+/=]*"')
_MODEL_REFERENCE = re.compile(r"IPY_MODEL_([0-9a-zA-Z_-]+)")

_WidgetCanvas = None


def in_widget_kernel() -> bool:
    """True when figures are drawn by ipympl inside a Jupyter kernel."""
    import matplotlib

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
    import numpy as np
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
    text, and a line saying to run the cell for the live figure); a terminal
    gets the alt text. The picture is the figure as displayed, until
    ``keep_saved_pictures`` puts its last frame there when the notebook is
    saved. A lesson opened in JupyterLab before it is run is untrusted, and
    shows this picture too.

    Parameters
    ----------
    widget : ipywidgets.DOMWidget
        The widget to display (for example a VBox holding ``fig.canvas``).
    fig : matplotlib.figure.Figure
    alt : str
        What the figure shows, in a sentence.
    """
    from lab_utils_common import figure_html

    picture = saved_figure_html(figure_html(fig, alt))
    if hasattr(fig.canvas, "_data_url"):
        # ipympl: its own display step sets the canvas size and the saved
        # picture; without it a canvas inside another widget stays 0 x 0.
        fig.canvas._repr_mimebundle_()
    bundle = dict(widget._repr_mimebundle_())  # ipywidgets 8: a dict
    bundle["text/plain"] = f"[interactive figure] {alt}"
    bundle["text/html"] = picture
    return bundle


def saved_figure_html(picture_html: str) -> str:
    """A live figure's saved picture with the line saying how to make it live again."""
    return (f'<div class="{SAVED_FIGURE_CLASS}">{picture_html}'
            f'<p style="font-style: italic; margin: 0.2em 0 0 0;">{SAVED_FIGURE_NOTE}</p></div>')


def _reachable(model_id, state: dict) -> set:
    """The widget models ``model_id`` is built from: itself, its children, layouts, styles."""
    found, waiting = set(), [model_id]
    while waiting:
        current = waiting.pop()
        if current in found or current not in state:
            continue
        found.add(current)
        waiting.extend(_MODEL_REFERENCE.findall(json.dumps(state[current].get("state", {}))))
    return found


def keep_saved_pictures(notebook: dict, live_views: bool = False) -> dict:
    """Keep a notebook's live figures as their last pictures, and drop their widget state.

    For each output made by ``live_figure_bundle`` (its ``text/html`` holds
    ``SAVED_FIGURE_CLASS``), the picture becomes the last frame its ipympl canvas
    left in the widget state (``_data_url``), when there is one. Then the widget
    state keeps only the models other widget outputs need (none in the lessons:
    then the notebook keeps no widget state at all), so opening the notebook
    restores nothing and marks nothing modified.

    Parameters
    ----------
    notebook : dict
        The notebook as JSON (a ``nbformat`` node or a contents model's content);
        changed in place.
    live_views : bool
        Keep each output's widget view (``make execute``: the offline slide decks
        show a saved widget's picture with a note of their own). JupyterLab's
        saves drop it, so that a reopened notebook shows the picture whether it is
        trusted or not, never "Error displaying widget".

    Returns
    -------
    dict
        The same notebook.
    """
    metadata = notebook.get("metadata", {})
    widgets = metadata.get("widgets", {})
    state = widgets.get(WIDGET_STATE, {}).get("state", {}) if isinstance(widgets, dict) else {}
    others = set()  # models that widgets other than live figures need
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            view = data.get(WIDGET_VIEW)
            if not isinstance(view, dict):
                continue
            reachable = _reachable(view.get("model_id"), state)
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            if SAVED_FIGURE_CLASS not in html:
                others |= reachable
                continue
            pictures = [state[m]["state"].get("_data_url") for m in sorted(reachable)
                        if state[m].get("model_name") == "MPLCanvasModel"]
            pictures = [url for url in pictures if isinstance(url, str)
                        and url.startswith("data:image/png;base64,")]
            if len(pictures) == 1:
                data["text/html"] = _PICTURE_SOURCE.sub(f'src="{pictures[0]}"', html, count=1)
            if not live_views:
                del data[WIDGET_VIEW]
    for model_id in set(state) - others:  # ours, and models no output shows
        del state[model_id]
    if "widgets" in metadata and not state:
        del metadata["widgets"]
    return notebook


def save_hook(model: dict, **kwargs) -> None:
    """The Jupyter server's ``ContentsManager.pre_save_hook``: ``keep_saved_pictures`` on each notebook saved."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        keep_saved_pictures(model["content"])
