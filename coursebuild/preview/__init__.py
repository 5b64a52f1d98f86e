"""Live preview of session pages (``./course preview [SESSION]``).

Serves the pages on 127.0.0.1 only and keeps them current while you write:

1. ``watchfiles`` watches ``sessions/``, the extensions, the filters, the
   helpers, ``assets/`` and ``_quarto.yml`` (`state.Preview.watch`);
2. on a save, the course is read once (`coursebuild.course.Course`),
   ``coursebuild.build.build`` rebuilds what is stale (its own staleness
   rules: a session's notebooks re-execute only when their inputs changed)
   and reports each session's problems, then
   ``coursebuild.site.render_page`` renders the page from the same reading,
   the same renderer the site tests use;
3. each open page listens on a server-sent-events stream and reloads itself
   when its page changes (`pages`, `server`).

A build or render error goes to the terminal and to the top of the page with
its ``file:line``; the last good page stays underneath. Pages are written to
``test-output/preview/`` through a staging folder, so a failed render never
leaves half a page. Ctrl-C also stops a build in progress (`processes`).
"""

from .pages import EVENTS, inject
from .processes import descendants
from .server import DEFAULT_PORT, bind, main, make_app, serve
from .state import Page, Preview

__all__ = [
    "DEFAULT_PORT",
    "EVENTS",
    "Page",
    "Preview",
    "bind",
    "descendants",
    "inject",
    "main",
    "make_app",
    "serve",
]
