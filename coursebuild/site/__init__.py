"""Render the site's pages with Quarto's own render code.

Every page (home, setup, instructors, each session) goes through the two
halves of a Quarto render that are not TypeScript, taken from a Quarto
installation's resources (its *share* path, `share`):

1. the engine step (`metadata.engine_of`, chosen the way Quarto chooses it:
   the page's own ``engine:`` key, else knitr for a page with an ``{r}``
   chunk, else the markdown engine, which passes the text through). knitr
   runs through Quarto's own ``rmd/rmd.R`` (`knitr`), sent the request
   Quarto sends, with the page's ``execute:`` and ``knitr:`` options merged
   over `_quarto.yml`'s;
2. pandoc 3 with Quarto's ``filters/qmd-reader.lua`` and
   ``filters/main.lua`` (`lua`), the project's filters at the stage
   `_quarto.yml` gives them (those listed before ``quarto`` run at
   ``pre-quarto``), and the metadata Quarto would merge (`metadata`):
   `_quarto.yml`, ``_metadata.yml`` files, the page's front matter, then
   ``format: html:`` options.

Quarto's resources: the installed Quarto's share path when ``quarto`` is on
PATH, else ``$QUARTO_SHARE_PATH``, else ``../shared/quarto/share`` beside
the checkout. What this is not: Quarto's TypeScript half (website navbar
and sidebar, search, the Bootstrap/SASS theme, HTML post-processing). The
page (`page.render_page`) is standalone HTML with Quarto's ``tabsets.js``
(grouped tabs, the choice kept in localStorage) and Bootstrap's CSS and tab
JavaScript from ``node_modules/bootstrap`` (pinned in package.json), copied
beside it (`assets`).

Command line (writes test-output/site/)::

    python -m coursebuild.site [--out DIR] [PAGE.qmd ...]
"""

from .knitr import knit
from .lua import filter_params, lua_step
from .metadata import engine_of, merge, page_metadata
from .page import main, output_path, render_page, sessions_with_notebooks, site_pages
from .share import SHARE_ENV, SiteError, share_path

__all__ = [
    "SHARE_ENV",
    "SiteError",
    "engine_of",
    "filter_params",
    "knit",
    "lua_step",
    "main",
    "merge",
    "output_path",
    "page_metadata",
    "render_page",
    "sessions_with_notebooks",
    "share_path",
    "site_pages",
]
