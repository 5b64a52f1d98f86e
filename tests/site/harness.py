"""Helpers for the site tests: page checks, headless Chromium over a loopback server.

Not a test module. The page checks take the rendered HTML, the session source
and its notebooks, and return a list of problems (empty when the page is
right), so one failing assertion lists every problem at once.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from htmltree import Node, parse_html

# Source facts --------------------------------------------------------------

DIV_OPEN = re.compile(r"^ {0,3}:{3,}\s*(?P<attr>\S.*?)\s*$")


def source_divs(qmd_text: str, cls: str) -> int:
    """How many fenced divs of class `cls` the source opens (outside code)."""
    count, fence = 0, None
    for line in qmd_text.splitlines():
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = None
            continue
        m = re.match(r"^(`{3,}|~{3,})", stripped)
        if m:
            fence = m.group(1)
            continue
        opener = DIV_OPEN.match(line)
        if opener:
            attr = opener.group("attr")
            if attr == cls or re.search(r"\{[^}]*\." + re.escape(cls) + r"\b", attr):
                count += 1
    return count


def visible_outputs(cell: dict) -> list[dict]:
    """Return the outputs of a notebook cell that the page shows (one div each)."""
    shown = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind in ("stream", "error"):
            shown.append(out)
        elif kind in ("display_data", "execute_result"):
            mimes = {"image/png", "image/jpeg", "image/svg+xml", "text/html", "text/markdown"}
            if mimes & set(out.get("data", {})) or "text/plain" in out.get("data", {}):
                shown.append(out)
    return shown


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else (value or "")


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[\d;]*[A-Za-z]", "", text)


# Page checks ---------------------------------------------------------------


def check_page(
    html_path: Path, qmd: Path, notebooks: dict[str, list[dict]], config: dict
) -> list[str]:
    """Problems with a rendered session page (empty list: the page is right).

    `notebooks` maps each language to its notebooks: the download, then the
    answers variant (every qna answer in) when the session has one.
    """
    problems: list[str] = []
    doc = parse_html(html_path.read_text(encoding="utf-8"))
    source = qmd.read_text(encoding="utf-8")
    mc = config.get("multicode") or {}
    languages = [str(x).lower() for x in mc.get("languages", [])]
    group = mc.get("group")

    # 1. every multicode div is one quarto.Tabset: tabs = the declared labels, one group
    labels = [str((mc.get("labels") or {}).get(lang, lang)) for lang in languages]
    tabsets = [n for n in doc.find_all("div", "multicode") if "panel-tabset" in n.classes]
    expected = source_divs(source, "multicode")
    if len(tabsets) != expected:
        problems.append(
            f"{expected} multicode divs in the source, {len(tabsets)} tabsets on the page"
        )
    for k, ts in enumerate(tabsets, 1):
        name = f"multicode tabset {k}"
        if group and ts.attrs.get("data-group") != group:
            found = ts.attrs.get("data-group")
            problems.append(f"{name}: data-group {found!r} != {group!r}")
        titles = [t.words() for t in tabs_of(ts)]
        if titles != labels:
            problems.append(f"{name}: tabs {titles} != declared languages {labels}")
        panes = panes_of(ts)
        if len(panes) != len(languages):
            problems.append(f"{name}: {len(panes)} panels for {len(languages)} languages")

    # 2. every code cell shows its stored outputs; no include: false cell shows
    page_cells = {}
    for div in doc.find_all("div", "cell"):
        cid = div.attrs.get("data-cell-id")
        if cid:
            page_cells.setdefault((div.attrs.get("data-lang"), cid), div)
    cells, seen = [], set()
    for lang, nbs in notebooks.items():
        for nb in nbs:  # the answers variant adds only the cells the download leaves out
            cells += [(lang, c) for c in nb["cells"] if (lang, c["id"]) not in seen]
            seen.update((lang, c["id"]) for c in nb["cells"])
    for lang, cell in cells:
        if cell["cell_type"] == "code":
            div = page_cells.get((lang, cell["id"]))
            tags = cell.get("metadata", {}).get("tags", [])
            if {"setup", "exercise"} & set(tags):  # include: false; an exercise's own cells
                if div is not None:
                    problems.append(f"{lang} cell {cell['id']} is notebook-only but on the page")
                continue
            if div is None:
                problems.append(f"{lang} cell {cell['id']} is not on the page")
                continue
            problems += _check_outputs(div, cell, lang)

    # 3. qna blocks: where the html target says
    target = ((config.get("qna") or {}).get("targets") or {}).get("html", "both")
    # Quarto's tabset repeats the classes on its tab-content div: count the outer ones
    qnas = [q for q in doc.find_all("div", "qna") if "tab-content" not in q.classes]
    in_source = source_divs(source, "qna")
    if len(qnas) != in_source:
        problems.append(f"{in_source} qna divs in the source, {len(qnas)} on the page")
    want = {"both": ["question", "answer"], "question": ["question"], "answer": ["answer"]}[target]
    for q in qnas:
        keys = [t.words().lower() for t in tabs_of(q)] if "panel-tabset" in q.classes else []
        name = q.attrs.get("id") or "qna"
        if target == "both" and keys != want:
            problems.append(f"{name}: tabs {keys}, targets.html=both wants {want}")
        if target != "both" and keys:
            problems.append(f"{name}: tabs {keys}, targets.html={target} wants none")

    # 4. download and Colab links
    problems += _check_links(doc, qmd.stem, config, languages)

    # 5. every image resolves
    problems += check_images(doc, html_path.parent)
    return problems


def _owner(node: Node) -> Node | None:
    """Return the nearest enclosing tabset of a tab or pane."""
    for anc in node.ancestors():
        if "panel-tabset" in anc.classes:
            return anc
    return None


def tabs_of(tabset: Node) -> list[Node]:
    """Return the tab links of a Quarto tabset (not those of tabsets nested in its panels)."""
    return [a for a in tabset.find_all("a", role="tab") if _owner(a) is tabset]


def panes_of(tabset: Node) -> list[Node]:
    """Return the panels of a Quarto tabset (not those of nested tabsets)."""
    return [p for p in tabset.find_all("div", "tab-pane") if _owner(p) is tabset]


def _check_outputs(div: Node, cell: dict, lang: str) -> list[str]:
    problems = []
    where = f"{lang} cell {cell['id']}"
    shown = [d for d in div.find_all("div", "cell-output") if d.parent is div]
    outputs = visible_outputs(cell)
    if len(shown) != len(outputs):
        return [f"{where}: {len(outputs)} stored outputs, {len(shown)} on the page"]
    for out, node in zip(outputs, shown, strict=True):
        kind = out["output_type"]
        if kind == "stream":
            want = _strip_ansi(_joined(out["text"])).strip()
            if f"cell-output-{out['name']}" not in node.classes or node.text().strip() != want:
                problems.append(f"{where}: {out['name']} text {want!r} not shown")
        elif kind == "error":
            if "cell-output-error" not in node.classes or out["ename"] not in node.text():
                problems.append(f"{where}: error {out['ename']} not shown")
        else:
            data = out["data"]
            imgs = node.find_all("img")
            if "image/png" in data:
                src = "data:image/png;base64," + re.sub(r"\s", "", _joined(data["image/png"]))
                if not imgs or imgs[0].attrs.get("src") != src or not imgs[0].attrs.get("alt"):
                    problems.append(f"{where}: stored PNG not shown (or no alt text)")
            elif (
                "text/html" in data
                and "<table" in _joined(data["text/html"])
                and not node.find_all("table")
            ):
                problems.append(f"{where}: stored HTML table not shown")
    return problems


def _check_links(doc: Node, session: str, config: dict, languages: list[str]) -> list[str]:
    course = config.get("course") or {}
    repo = str(course.get("repo-url", "")).rstrip("/")
    branch = str(course.get("branch", "main"))
    labels = (config.get("multicode") or {}).get("labels") or {}
    boxes = doc.find_all("div", "notebook-links")
    if len(boxes) != 1:
        return [f"{len(boxes)} notebook-links boxes on the page (want 1)"]
    links = [(a.text().strip(), a.attrs.get("href")) for a in boxes[0].find_all("a")]
    owner_repo = repo.split("github.com/", 1)[-1]
    want = []
    for lang in languages:
        file = f"notebooks/{lang}/{session}.ipynb"
        want.append((f"{labels.get(lang, lang)} notebook", f"{repo}/raw/{branch}/{file}"))
        want.append(
            (
                "Open in Colab",
                f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{file}",
            )
        )
    return [] if links == want else [f"notebook links {links} != {want}"]


def check_images(doc: Node, base: Path) -> list[str]:
    problems = []
    for img in doc.find_all("img"):
        src = img.attrs.get("src", "")
        if src.startswith("data:"):
            head, _, payload = src.partition(",")
            try:
                raw = base64.b64decode(payload, validate=True) if ";base64" in head else b"x"
            except ValueError:
                problems.append(f"image data URI is not valid base64: {src[:60]}")
                continue
            if "image/png" in head and not raw.startswith(b"\x89PNG\r\n\x1a\n"):
                problems.append(f"image data URI is not a PNG: {src[:60]}")
        elif re.match(r"^[a-z]+://", src):
            continue  # external: not ours to check offline
        elif not (base / src.split("#")[0].split("?")[0]).exists():
            problems.append(f"image {src} does not exist")
    return problems


# Headless Chromium ----------------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]

# Injected first in <head> of a served copy of the page: records script
# errors, failed resources and console.error calls. After load (and Quarto's
# tabsets.js, which starts on "pageshow"), if the URL has ?choose=<label> it
# clicks that tab in the first grouped tabset, once, like a reader. Then it
# records every image, which tab every grouped tabset shows (and whether its
# panel is visible), and, when axe-core is on the page, axe's violations.
# The result goes into <pre id="__probe">.
PROBE = r"""<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    if (e.target && e.target !== window && (e.target.src || e.target.href)) {
      errors.push("failed to load " + (e.target.src || e.target.href));
    } else {
      errors.push(String(e.message || e));
    }
  }, true);
  var original = console.error;
  console.error = function () {
    errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
  function title(a) { return a.textContent.trim(); }
  function groups() {
    var found = [];
    document.querySelectorAll(".panel-tabset[data-group]").forEach(function (ts) {
      var tabs = Array.prototype.filter.call(ts.querySelectorAll("a[role=tab]"),
        function (a) { return a.closest(".panel-tabset") === ts; });
      var active = tabs.filter(function (a) { return a.classList.contains("active"); });
      var pane = active.length === 1 &&
        document.getElementById(active[0].getAttribute("aria-controls"));
      found.push({ group: ts.getAttribute("data-group"),
                   shown: active.map(title),
                   visible: !!(pane && getComputedStyle(pane).display !== "none") });
    });
    return found;
  }
  function finish(axeResult) {
    var images = Array.prototype.map.call(document.images, function (img) {
      return { src: (img.getAttribute("src") || "").slice(0, 80),
               ok: img.complete && img.naturalWidth > 0 };
    });
    var pre = document.createElement("pre");
    pre.id = "__probe";
    pre.textContent = JSON.stringify({ errors: errors, images: images, groups: groups(),
                                       axe: axeResult, url: location.href });
    document.body.appendChild(pre);
  }
  window.addEventListener("load", function () {
    setTimeout(function () {
      var choose = new URLSearchParams(location.search).get("choose");
      var first = document.querySelector(".panel-tabset[data-group]");
      if (choose && first) {
        first.querySelectorAll("a[role=tab]").forEach(function (a) {
          if (a.closest(".panel-tabset") === first && title(a) === choose) { a.click(); }
        });
      }
      setTimeout(function () {
        if (!window.axe) { finish(null); return; }
        window.axe.run(document, { resultTypes: ["violations"] }).then(function (r) {
          finish(r.violations.map(function (v) {
            return { id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); }) };
          }));
        }, function (e) { errors.push("axe failed: " + e); finish(null); });
      }, 50);
    }, 50);
  });
})();
</script>"""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run_chromium(args: list[str], profile: Path, timeout: int = 90) -> subprocess.CompletedProcess:
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    env = dict(os.environ, HOME=str(profile))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def with_probe(html_path: Path, axe_js: Path | None = None) -> Path:
    """Write `<page>.probe.html` beside the page: the page with the probe (and axe-core)."""
    text = html_path.read_text(encoding="utf-8")
    extra = PROBE
    if axe_js is not None:
        extra += "<script>" + axe_js.read_text(encoding="utf-8") + "</script>"
    text = re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + extra, text, count=1)
    copy = html_path.with_name(html_path.stem + ".probe.html")
    copy.write_text(text, encoding="utf-8")
    return copy


@contextmanager
def serve(directory: Path):
    """Serve `directory` on a loopback port (localStorage and modules need an origin)."""
    handler = partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def probe(url: str, profile: Path) -> dict:
    """Load a probe page in headless Chromium (profile kept: localStorage persists)."""
    result = _run_chromium(["--virtual-time-budget=5000", "--dump-dom", url], profile)
    found = re.search(r'<pre id="__probe">(.*?)</pre>', result.stdout, re.S)
    console = re.findall(r'CONSOLE[^\]]*\] "(.*?)", source', result.stderr)
    if not found:
        return {"errors": ["probe did not run: " + result.stderr[-500:]], "images": [],
                "groups": [], "axe": None}  # fmt: skip
    data = json.loads(html.unescape(found.group(1)))
    data["errors"] += [c for c in console if re.search(r"Uncaught|Failed to load|Error", c)]
    data["errors"] = sorted(set(data["errors"]))
    return data


def probe_problems(data: dict) -> list[str]:
    """Problems the probe saw: console errors, images that did not load."""
    problems = [f"console error: {e}" for e in data["errors"]]
    problems += [f"image did not load: {i['src']}" for i in data["images"] if not i["ok"]]
    return problems


def tab_problems(data: dict, want: str) -> list[str]:
    """List grouped tabsets not all showing `want` (one active tab, its panel visible)."""
    problems = []
    for k, g in enumerate(data["groups"], 1):
        if g["shown"] != [want] or not g["visible"]:
            problems.append(f"tabset {k} ({g['group']}) shows {g['shown']} "
                            f"(panel visible: {g['visible']}), want {want!r}")  # fmt: skip
    return problems


def axe_problems(data: dict) -> list[str]:
    """axe-core violations of impact serious or critical."""
    if data.get("axe") is None:
        return ["axe-core did not run"]
    return [
        f"axe {v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
        for v in data["axe"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(url: str, png_path: Path, profile: Path) -> Path:
    png_path.parent.mkdir(parents=True, exist_ok=True)
    _run_chromium(
        ["--window-size=1280,2000", "--hide-scrollbars", f"--screenshot={png_path}", url], profile
    )
    return png_path
