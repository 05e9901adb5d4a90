"""Sphinx configuration of the lessons' website. Build it with `make site` (site/build_site.py).

The one place to set the "Run it on your hub" link of every lesson page is
``softmax_hub`` below; `make site HUB_URL=... REPO_URL=... BRANCH=...` overrides it
for one build.
"""

import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent
sys.path.insert(0, str(SITE))  # softmax_site.py, the extension below

project = "Softmax Lab"
author = "the Softmax Lab authors"
copyright = "the Softmax Lab authors"  # noqa: A001 - Sphinx's name for it

# "Run it on your hub": an nbgitpuller link that copies the students' repository
# (made with `make student-repo`: no solutions, no instructor/) into ~/<folder> on
# the hub (or updates it there), then opens the lesson in JupyterLab. Put your
# hub's address and the address you pushed the students' repository to here.
softmax_hub = {
    "hub_url": "https://YOUR-HUB",
    "repo_url": "https://github.com/OWNER/softmax-lab-students",
    "branch": "main",
    "folder": "softmax-lab",
}

# Where a guide's link to a repository file (../Makefile) points: this repository.
softmax_source = {
    "repo_url": "https://github.com/OWNER/softmax-lab",
    "branch": "main",
}

extensions = ["myst_nb", "softmax_site"]

# The stored outputs are the page: nothing runs while the site is built.
nb_execution_mode = "off"
# Nothing from a CDN: build_site.py replaces each explorer with its saved picture.
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "amsmath"]
# GitHub-style heading anchors, so the guides' links work on GitHub and here.
myst_heading_anchors = 3
myst_heading_slug_func = "github"

# MathJax 3 from npm (site/package-lock.json), copied beside the pages by build_site.py.
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {
    "options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"},
}

html_theme = "sphinx_book_theme"
html_title = "Softmax Lab"
html_static_path = ["_static", str(SITE.parent / "build" / "site-vendor")]
html_css_files = ["softmax.css"]
templates_path = ["_templates"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_show_copyright = False  # the footer says "By the Softmax Lab authors" once
# Search works from file://, but a summary under each result would fetch() the
# page, which a browser refuses for file:// ("Failed to fetch"): titles only.
html_show_search_summary = False
html_theme_options = {
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 2,
    "article_header_end": ["hub-link.html", "article-header-buttons.html"],
    # One search field, in the sidebar (the theme would add a second one in a top bar).
    "navbar_persistent": [],
}

# README.md is there for its table of lessons, which index.md includes.
exclude_patterns = ["**.ipynb_checkpoints", "README.md"]
suppress_warnings = []
