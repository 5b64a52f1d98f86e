--[[
multicode.lua: one example, one tab per programming language.

    ::: multicode
    #### Python
    ```{python}
    x = 1
    ```
    #### R
    ```{r}
    x <- 1
    ```
    :::

Options (metadata, usually from _quarto.yml):

    multicode:
      languages: [python, r]   # declared languages, in tab order
      default: python          # tab shown first
      labels: {python: Python, r: R}
      group: language          # tabset group: one choice switches every panel
      logos: true              # HTML: logos/<language>.svg beside the label
    multicode-keep: python     # notebook build: keep only this language
    source-file: sessions/01-intro.qmd   # file named in error messages

Div attributes override `languages`, `default` and `group` for one block:
`::: {.multicode languages="python,r" default="r" group="lang"}`.

With `multicode-keep`, each div is replaced by that language's tab content
(without the tab header); a div that does not declare that language is
dropped. Otherwise each div becomes one Quarto tabset, or under plain
pandoc every tab under its header (see tabset.lua).
Each malformed div is reported as `<file>:<line>: [multicode] ...` on stderr
and the render stops once at the end (see support.lua).

Copyright (c) the course authors. MIT licence.
]]

-- pandoc.Blocks:walk, pandoc.text and pandoc.path need pandoc 3.
PANDOC_VERSION:must_be_at_least("3.0")

--- Path of a file shipped beside this filter. Call it at load time: Quarto
--- resolves relative to the script being loaded.
local function sibling(name)
  if quarto and quarto.utils and quarto.utils.resolve_path then
    return quarto.utils.resolve_path(name)
  end
  return pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), name })
end

local support = dofile(sibling("support.lua"))
local tabs_of = dofile(sibling("tabs.lua")).new(support)
local tabset = dofile(sibling("tabset.lua"))
local LOGO_DIR = sibling("logos")

local opts
local logos = {}
local keep
local file
local count = 0

--- An SVG file as a `data:` URI (so the page needs no extra resource).
local function svg_data_uri(path)
  local handle = io.open(path, "r")
  if not handle then
    return nil
  end
  local svg = handle:read("a")
  handle:close()
  svg = svg:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  svg = svg:gsub("[%%#<>\"{}|\\^`]", function(c)
    return string.format("%%%02X", c:byte())
  end)
  return "data:image/svg+xml," .. svg
end

local function read_logos(meta)
  local config = meta.multicode or {}
  if config.logos == false or (config.logos and pandoc.utils.stringify(config.logos) == "false") then
    return
  end
  for _, id in ipairs(opts.languages) do
    logos[id] = svg_data_uri(pandoc.path.join({ LOGO_DIR, id .. ".svg" }))
  end
end

--- Tab title: the language label, after its logo in HTML output.
local function tab_title(div_opts, id)
  local label = support.label(div_opts, id)
  if not (logos[id] and tabset.is_html()) then
    return pandoc.Inlines(label)
  end
  local logo = pandoc.Image(label .. " logo", logos[id], "",
    pandoc.Attr("", { "mc-logo" }, { { "width", "16" }, { "height", "16" }, { "style", "vertical-align: -0.15em" } }))
  return pandoc.Inlines({ logo, pandoc.Space(), pandoc.Str(label) })
end

local function read_options(meta)
  file = support.begin(meta)
  opts = support.read_options(meta, "multicode")
  read_logos(meta)
  if meta["multicode-keep"] then
    keep = pandoc.text.lower(pandoc.utils.stringify(meta["multicode-keep"]))
    if not opts.languages:includes(keep) then
      support.stop(file, "multicode", "multicode-keep is \"" .. keep .. "\"",
        "one of the declared languages: " .. table.concat(opts.languages, ", "))
    end
  end
end

local function multicode(div)
  if not div.classes:includes("multicode") then
    return nil
  end
  count = count + 1
  local where = support.where(div, "multicode", count)
  local div_opts = support.div_options(opts, div, where)
  local tabs, level = tabs_of.multicode_tabs(div, div_opts, where)

  if keep then
    for _, tab in ipairs(tabs) do
      if tab.lang == keep then
        return tab.content
      end
    end
    return {}
  end

  local rendered = pandoc.List()
  for _, tab in ipairs(tabs) do
    rendered:insert({
      key = tab.lang,
      title = tab_title(div_opts, tab.lang),
      content = tab.content,
    })
  end
  return tabset.render(rendered, {
    level = level,
    active = div_opts.default,
    group = div_opts.group,
    classes = { "multicode" },
  })
end

--- A multicode block inside another one loses chunks (the outer block keeps
--- one tab, the inner one was already reduced to its own): report it. Runs
--- top-down, before the blocks are converted. (The build's source reader
--- leaves this rule to this filter, so both builds word it the same.)
local function nested(div)
  if not div.classes:includes("multicode") then
    return nil
  end
  local outer = support.where(div, "multicode", "(outer)")
  local opened = outer.line and ("opened at line " .. outer.line) or outer.block
  div.content:walk({
    Div = function(inner)
      if inner.classes:includes("multicode") then
        support.problem(support.where(inner, "multicode", "(nested)"), "multicode",
          "multicode block inside another multicode block (" .. opened .. "): its chunks would be lost",
          "the outer block closed (':::') before this one opens, or this code in the outer block's tabs")
      end
    end,
  })
  return nil
end

local function finish()
  support.finish("multicode")
  return nil
end

return {
  { Meta = read_options },
  { traverse = "topdown", Div = nested },
  { Div = support.guard(multicode) },
  { Pandoc = finish },
}
