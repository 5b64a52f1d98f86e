--[[
tabset.lua: render a list of tabs for the current output format.

Shared by multicode.lua and qna.lua (loaded with `dofile`, not a filter).

- Quarto (>= 1.7, see _extension.yml: `quarto.Tabset` since 1.4, a tab's
  `active` since 1.7): a `quarto.Tabset` custom node (Quarto renders it,
  handles `group` and remembers the choice across pages). This is what the
  site's pages get.
- Plain pandoc (the notebook build, any format): each tab as an unnumbered
  header followed by its content.

A tab is a table {key = <string>, title = <Inlines>, content = <Blocks>}:
`key` identifies the tab across tabsets of one group (e.g. "python").

Copyright (c) the course authors. MIT licence.
]]

local M = {}

--- Is the output HTML? (Quarto's format check, else pandoc's FORMAT.)
function M.is_html()
  if quarto and quarto.doc and quarto.doc.is_format then
    return quarto.doc.is_format("html")
  end
  return FORMAT:match("html") ~= nil
end

--- Every tab under its own header, for output without Quarto's tabsets.
local function fallback(tabs, opts)
  local blocks = pandoc.Blocks({})
  for _, tab in ipairs(tabs) do
    blocks:insert(pandoc.Header(opts.level, tab.title, pandoc.Attr("", { "unnumbered", "unlisted" })))
    blocks:extend(tab.content)
  end
  return pandoc.Div(blocks, pandoc.Attr("", opts.classes or {}))
end

--- Render tabs. opts: level (tab header level), active (key of the tab shown
--- first), group (tabset group or nil), classes (extra classes).
function M.render(tabs, opts)
  if not quarto then
    return fallback(tabs, opts)
  end
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
  return quarto.Tabset({ tabs = qtabs, level = opts.level, attr = attr })
end

return M
