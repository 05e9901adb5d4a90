"""Sphinx extension for the lessons' website: the "Run it on your hub" link of each lesson.

site/conf.py sets ``softmax_hub`` (hub address, repository, branch, folder on
the hub); every page under notebooks/ gets ``softmax_hub_link`` in its template
context, which _templates/hub-link.html shows at the top of the page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sphinx.application import Sphinx
from sphinx.errors import ConfigError

HUB_KEYS = ("hub_url", "repo_url", "branch", "folder")


def nbgitpuller_link(hub: dict, notebook: str) -> str:
    """The nbgitpuller link that pulls the repository into ~/<folder> and opens notebook in JupyterLab.

    notebook is the lesson's path inside the repository, e.g. notebooks/01_softmax_function.ipynb.
    """
    missing = [key for key in HUB_KEYS if not str(hub.get(key, "")).strip()]
    if missing:
        raise ConfigError(f"softmax_hub in site/conf.py has no {', '.join(missing)}.")
    query = urlencode({
        "repo": hub["repo_url"],
        "branch": hub["branch"],
        "targetpath": hub["folder"],
        "urlpath": f"lab/tree/{hub['folder']}/{notebook}",
    })
    return f"{hub['hub_url'].rstrip('/')}/hub/user-redirect/git-pull?{query}"


def add_hub_link(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if pagename.startswith("notebooks/"):
        context["softmax_hub_link"] = nbgitpuller_link(app.config.softmax_hub, pagename + ".ipynb")


def setup(app: Sphinx) -> dict:
    app.add_config_value("softmax_hub", {}, "html", types=frozenset({dict}))
    app.connect("html-page-context", add_hub_link)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
