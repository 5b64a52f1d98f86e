"""The HTML the preview serves: the last good page, an error banner, a reload script."""

from __future__ import annotations

import html
import re

EVENTS = "/_preview/events"

RELOAD = """<script>
(function () {
  var seen = "%(version)s";
  var key = "preview-scroll:" + location.pathname;
  var saved = sessionStorage.getItem(key);
  if (saved !== null) { window.scrollTo(0, +saved); sessionStorage.removeItem(key); }
  var source = new EventSource("%(events)s?page=%(page)s");
  source.onmessage = function (e) {
    if (e.data !== seen) {
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
    }
  };
})();
</script>
"""
BANNER = (
    '<div id="preview-error" style="position:sticky;top:0;z-index:10000;margin:0;'
    "padding:0.75em 1em;background:#fdecea;color:#611a15;border-bottom:3px solid #d32f2f;"
    'font-family:sans-serif">'
    "<strong>Build error</strong> (the page below is the last one that built)"
    '<pre style="white-space:pre-wrap;margin:0.5em 0 0">%s</pre></div>\n'
)


def shell(title: str, body: str) -> str:
    """Return a minimal HTML page (before a session's first good render)."""
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head>\n<body>\n{body}\n</body></html>\n"
    )


def inject(page: str, error: str, version: int, name: str) -> str:
    """Add the error banner after ``<body>`` and the reload script before ``</body>``."""
    script = RELOAD % {"version": version, "events": EVENTS, "page": html.escape(name)}
    if error:
        banner = BANNER % html.escape(error)
        match = re.search(r"<body[^>]*>", page, re.IGNORECASE)
        at = match.end() if match else 0
        page = page[:at] + "\n" + banner + page[at:]
    end = page.lower().rfind("</body>")
    return page + script if end < 0 else page[:end] + script + page[end:]
