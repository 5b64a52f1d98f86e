--[[
tabset.lua: render a list of tabs for the current output format.

Shared by multicode.lua and qna.lua (loaded with `dofile`, not a filter).

- Quarto (>= 1.7, see _extension.yml: `quarto.Tabset` since 1.4, a tab's
  `active` since 1.7): a `quarto.Tabset` custom node (Quarto renders it,
  handles `group` and remembers the choice across pages).
- Plain pandoc, HTML output: an accessible tabset (`div.panel-tabset.mc-tabset`
  with `data-group`, `ul.nav.nav-tabs` of `button[role=tab]`,
  `div.tab-pane[role=tabpanel]`) plus one inline script and style block per
  document (`add_assets`) that switches panels, syncs every tabset of the
  same group and remembers the choice in localStorage.
- Other formats: each tab as an unnumbered header followed by its content.

A tab is a table {key = <string>, title = <Inlines>, content = <Blocks>}:
`key` identifies the tab across tabsets of one group (e.g. "python").

Copyright (c) the course authors. MIT licence.
]]

local M = {}

local ASSET_ID = "mc-tabset-assets"

local ASSETS = [[
<style id="]] .. ASSET_ID .. [[">
.mc-tabset > .nav-tabs { display: flex; flex-wrap: wrap; gap: .25rem; list-style: none;
  margin: 0; padding: 0; border-bottom: 1px solid #c8c8c8; }
.mc-tabset > .nav-tabs > li { margin: 0; }
.mc-tabset > .nav-tabs [role="tab"] { font: inherit; color: inherit; cursor: pointer;
  background: none; border: 1px solid transparent; border-bottom: none;
  border-radius: .3rem .3rem 0 0; padding: .3rem .8rem; }
.mc-tabset > .nav-tabs [role="tab"][aria-selected="true"] { border-color: #c8c8c8;
  background: #fff; margin-bottom: -1px; font-weight: 600; }
.mc-tabset > .nav-tabs [role="tab"]:focus-visible { outline: 2px solid #1a5fb4; }
.mc-tabset > .tab-content > .tab-pane { padding-top: .5rem; }
.mc-tabset > .tab-content > .tab-pane[hidden] { display: none; }
</style>
<script>
(function () {
  "use strict";
  var KEY = "mc-tabset-groups";
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
  }
  function save(group, value) {
    try { var s = load(); s[group] = value; localStorage.setItem(KEY, JSON.stringify(s)); }
    catch (e) { /* storage disabled: the choice lasts for this page only */ }
  }
  function tabsOf(tabset) {
    return Array.prototype.slice.call(
      tabset.querySelectorAll(":scope > .nav-tabs > li > [role=tab]"));
  }
  function activate(tabset, value) {
    var tabs = tabsOf(tabset);
    if (!tabs.some(function (t) { return t.dataset.value === value; })) { return; }
    tabs.forEach(function (t) {
      var on = t.dataset.value === value;
      var pane = document.getElementById(t.getAttribute("aria-controls"));
      t.classList.toggle("active", on);
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      if (pane) { pane.classList.toggle("active", on); pane.hidden = !on; }
    });
  }
  function choose(tabset, value) {
    var group = tabset.dataset.group;
    if (!group) { activate(tabset, value); return; }
    document.querySelectorAll(".mc-tabset[data-group]").forEach(function (ts) {
      if (ts.dataset.group === group) { activate(ts, value); }
    });
    save(group, value);
  }
  document.addEventListener("click", function (ev) {
    var tab = ev.target.closest(".mc-tabset > .nav-tabs [role=tab]");
    if (tab) { choose(tab.closest(".mc-tabset"), tab.dataset.value); }
  });
  document.addEventListener("keydown", function (ev) {
    var tab = ev.target.closest && ev.target.closest(".mc-tabset > .nav-tabs [role=tab]");
    if (!tab) { return; }
    var tabs = tabsOf(tab.closest(".mc-tabset"));
    var i = tabs.indexOf(tab);
    var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
    if (next === undefined) { return; }
    ev.preventDefault();
    next = (next + tabs.length) % tabs.length;
    tabs[next].focus();
    choose(tab.closest(".mc-tabset"), tabs[next].dataset.value);
  });
  var saved = load();
  document.querySelectorAll(".mc-tabset[data-group]").forEach(function (ts) {
    if (saved[ts.dataset.group]) { activate(ts, saved[ts.dataset.group]); }
  });
})();
</script>
]]

--- Is the output HTML? (Quarto's format check, else pandoc's FORMAT.)
function M.is_html()
  if quarto and quarto.doc and quarto.doc.is_format then
    return quarto.doc.is_format("html")
  end
  return FORMAT:match("html") ~= nil
end

--- Safe piece of an HTML id built from a tab key.
local function slug(text)
  local s = pandoc.text.lower(text):gsub("[^%w%-_]+", "-")
  return s
end

local function html_attr(text)
  return (text:gsub("&", "&amp;"):gsub('"', "&quot;"):gsub("<", "&lt;"):gsub(">", "&gt;"))
end

--- Plain-pandoc HTML tabset. `id` must be unique in the document.
local function html_tabset(tabs, opts)
  local nav = pandoc.Inlines({ pandoc.RawInline("html", '<ul class="nav nav-tabs" role="tablist">') })
  local panes = pandoc.Blocks({})
  for _, tab in ipairs(tabs) do
    local pane_id = opts.id .. "-" .. slug(tab.key)
    local active = tab.key == opts.active
    nav:insert(pandoc.RawInline("html", table.concat({
      '<li class="nav-item" role="presentation">',
      '<button type="button" class="nav-link', active and " active" or "", '"',
      ' id="', pane_id, '-tab" role="tab"',
      ' aria-selected="', active and "true" or "false", '"',
      ' aria-controls="', pane_id, '"',
      ' tabindex="', active and "0" or "-1", '"',
      ' data-value="', html_attr(tab.key), '">',
    })))
    nav:extend(tab.title)
    nav:insert(pandoc.RawInline("html", "</button></li>"))
    -- a list of pairs, not a map: attribute order stays stable
    local attributes = { { "role", "tabpanel" }, { "aria-labelledby", pane_id .. "-tab" }, { "tabindex", "0" } }
    if not active then
      table.insert(attributes, { "hidden", "" })
    end
    panes:insert(pandoc.Div(tab.content,
      pandoc.Attr(pane_id, active and { "tab-pane", "active" } or { "tab-pane" }, attributes)))
  end
  nav:insert(pandoc.RawInline("html", "</ul>"))
  local classes = { "panel-tabset", "mc-tabset" }
  for _, class in ipairs(opts.classes or {}) do
    table.insert(classes, class)
  end
  local attributes = {}
  if opts.group and opts.group ~= "" then
    attributes = { { "data-group", opts.group } }
  end
  return pandoc.Div({
    pandoc.Plain(nav),
    pandoc.Div(panes, pandoc.Attr("", { "tab-content" })),
  }, pandoc.Attr(opts.id, classes, attributes))
end

--- Every tab under its own header, for formats without tabs.
local function fallback(tabs, opts)
  local blocks = pandoc.Blocks({})
  for _, tab in ipairs(tabs) do
    blocks:insert(pandoc.Header(opts.level, tab.title, pandoc.Attr("", { "unnumbered", "unlisted" })))
    blocks:extend(tab.content)
  end
  return pandoc.Div(blocks, pandoc.Attr("", opts.classes or {}))
end

--- Render tabs. opts: id (unique id for the plain HTML tabset), level
--- (tab header level), active (key of the tab shown first), group
--- (tabset group or nil), classes (extra classes).
--- Returns the block and whether the document needs `add_assets`.
function M.render(tabs, opts)
  if quarto then
    local attributes = {}
    if opts.group and opts.group ~= "" then
      attributes.group = opts.group
    end
    local classes = { "panel-tabset" }
    for _, class in ipairs(opts.classes or {}) do
      table.insert(classes, class)
    end
    local attr = pandoc.Attr("", classes, attributes)
    local qtabs = pandoc.List()
    for _, tab in ipairs(tabs) do
      qtabs:insert(quarto.Tab({ title = tab.title, content = tab.content, active = tab.key == opts.active }))
    end
    return quarto.Tabset({ tabs = qtabs, level = opts.level, attr = attr }), false
  end
  if M.is_html() then
    return html_tabset(tabs, opts), true
  end
  return fallback(tabs, opts), false
end

--- Append the script and style block once to a plain-pandoc HTML document.
function M.add_assets(doc)
  for _, block in ipairs(doc.blocks) do
    if block.t == "RawBlock" and block.text:find('id="' .. ASSET_ID .. '"', 1, true) then
      return doc
    end
  end
  doc.blocks:insert(pandoc.RawBlock("html", ASSETS))
  return doc
end

return M
