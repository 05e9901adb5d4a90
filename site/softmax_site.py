"""Sphinx extension for the lessons' website (site/conf.py).

- The "Run it on your hub" link of each lesson: site/conf.py sets
  ``softmax_hub`` (hub address, repository, branch, folder on the hub); every
  page under notebooks/ gets ``softmax_hub_link`` in its template context, which
  _templates/hub-link.html shows at the top of the page.
- A guide's link to a file or folder of the repository that is not a page of
  the site (``[the Makefile](../Makefile)``, which works on GitHub) becomes a
  link to it in the repository, so the same Markdown works in both places.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import quote, urlencode

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.transforms.post_transforms import SphinxPostTransform

#: The repository, whose layout build/site-src/ keeps for the pages it holds.
REPOSITORY = Path(__file__).resolve().parent.parent

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


def repository_file(docname: str, target: str) -> str | None:
    """The repository path a guide's relative link points to, if it is a file or folder there."""
    if not target or target.startswith(("#", "/")) or ":" in target.split("/")[0]:
        return None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(docname), target.split("#")[0]))
    if path.startswith("..") or path == "." or not (REPOSITORY / path).exists():
        return None
    return path


class RepositoryFileLinks(SphinxPostTransform):
    """Turn MyST links to repository files that are not pages into links to the repository.

    Runs before MyST's resolver (priority 9), which would otherwise report
    "cross-reference target not found".
    """

    default_priority = 8

    def run(self, **kwargs) -> None:
        source = self.config.softmax_source
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst" or node.get("refdomain") == "doc":
                continue
            path = repository_file(node.get("refdoc", self.env.docname), node["reftarget"])
            if path is None:
                continue
            fragment = node["reftarget"].partition("#")[2]
            kind = "tree" if (REPOSITORY / path).is_dir() else "blob"
            url = f"{source['repo_url'].rstrip('/')}/{kind}/{quote(source['branch'])}/{quote(path)}"
            url += f"#{fragment}" if fragment else ""
            link = nodes.reference("", "", internal=False, refuri=url)
            link += node.children or [nodes.literal(path, path)]
            node.replace_self(link)


def setup(app: Sphinx) -> dict:
    app.add_config_value("softmax_hub", {}, "html", types=frozenset({dict}))
    app.add_config_value("softmax_source", {}, "html", types=frozenset({dict}))
    app.connect("html-page-context", add_hub_link)
    app.add_post_transform(RepositoryFileLinks)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
