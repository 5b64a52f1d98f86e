--[[
quarto-stub.lua: a minimal stand-in for Quarto's Lua API, for tests only.

Quarto cannot be installed on the build machines, so the Quarto branches of
the extensions are exercised against this stub: it defines the `quarto`
global with the documented shapes (quarto.Tab, quarto.Tabset, quarto.doc,
quarto.log, quarto.utils.resolve_path), then runs the filter named by the
environment variable QUARTO_STUB_FILTER. QUARTO_STUB_OLD=1 leaves out
quarto.Tab/quarto.Tabset (Quarto before 1.3).

quarto.Tabset renders as `Div.stub-tabset` (attributes of `attr`, plus
stub-level) holding one `Div.stub-tab` per tab (title, active).
]]

PANDOC_VERSION:must_be_at_least("3.0")

local stringify = pandoc.utils.stringify
local target = os.getenv("QUARTO_STUB_FILTER")
local root = pandoc.path.directory(target)

local function is_format(name)
  if name == "html" then
    return FORMAT:match("html") ~= nil
  elseif name == "pdf" then
    return FORMAT == "latex" or FORMAT == "pdf"
  end
  return FORMAT == name
end

quarto = {
  doc = { input_file = "stub/input.qmd", is_format = is_format },
  log = {
    warning = function(message)
      io.stderr:write("QUARTO-WARNING ", message, "\n")
    end,
  },
  utils = {
    resolve_path = function(path)
      return pandoc.path.join({ root, path })
    end,
  },
}

if os.getenv("QUARTO_STUB_OLD") ~= "1" then
  quarto.Tab = function(params)
    return {
      title = pandoc.Inlines(params.title),
      content = pandoc.Blocks(params.content or {}),
      active = params.active or false,
    }
  end
  quarto.Tabset = function(params)
    local blocks = pandoc.Blocks({})
    for _, tab in ipairs(params.tabs) do
      blocks:insert(pandoc.Div(tab.content, pandoc.Attr("", { "stub-tab" },
        { { "title", stringify(tab.title) }, { "active", tostring(tab.active) } })))
    end
    local attr = params.attr:clone()
    attr.classes:insert("stub-tabset")
    attr.attributes["stub-level"] = tostring(params.level)
    return pandoc.Div(blocks, attr)
  end
end

return dofile(target)
