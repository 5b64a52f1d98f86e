--[[
cells.lua: turn the kept language's chunks into notebook code cells.

Notebook build only, after qna.lua and multicode.lua, writing ipynb:

    pandoc --lua-filter _extensions/qna/qna.lua \
           --lua-filter _extensions/multicode/multicode.lua \
           --lua-filter filters/cells.lua \
           -M multicode-keep=python -t ipynb ...

Input: chunks as the build's preprocessor writes them,
``` {.python .cell data-source-line="12" label="fit" eval="false" ...}.
Chunk options, for the kept language L (metadata `multicode-keep`):

- label: "x"       -> the cell id (`Div.cell.code#x`; pandoc writes it as id)
- include: false   -> still a code cell (it runs), tagged `setup`
- eval: false      -> a plain code block: markdown, shown, never run
- echo             -> ignored (notebooks show all code)
- anything else    -> ignored (not copied into cell metadata)

Chunks of the other declared languages (class `cell`) are removed.
Metadata `multicode.languages` lists the declared languages.

Copyright (c) the course authors. MIT licence.
]]

-- pandoc.List:includes and pandoc.Attr tables need pandoc 3.
PANDOC_VERSION:must_be_at_least("3.0")

local stringify = pandoc.utils.stringify

local keep
local others = {}

local function warn(message)
  if quarto and quarto.log and quarto.log.warning then
    quarto.log.warning(message)
  else
    io.stderr:write("[WARNING] ", message, "\n")
  end
end

local function read_options(meta)
  if not meta["multicode-keep"] then
    local file = meta["source-file"] and stringify(meta["source-file"]) or "<input>"
    error(file .. ": [cells] metadata multicode-keep is not set, expected the notebook's language", 0)
  end
  keep = pandoc.text.lower(stringify(meta["multicode-keep"]))
  local config = meta.multicode or {}
  for _, lang in ipairs(config.languages or { "python", "r" }) do
    lang = pandoc.text.lower(stringify(lang))
    if lang ~= keep then
      others[lang] = true
    end
  end
end

local function is_false(value)
  return value ~= nil and pandoc.text.lower(value) == "false"
end

local function cell(block)
  if not block.classes:includes("cell") then
    return nil
  end
  if not block.classes:includes(keep) then
    for _, class in ipairs(block.classes) do
      if others[class] then
        return {}
      end
    end
    warn("[cells] chunk of undeclared language {" .. table.concat(block.classes, " ")
      .. "} near line " .. (block.attributes["data-source-line"] or "?") .. " left as code text")
    return pandoc.CodeBlock(block.text, pandoc.Attr("", { block.classes[1] }))
  end
  local attrs = block.attributes
  local code = pandoc.CodeBlock(block.text, pandoc.Attr("", { keep }))
  if is_false(attrs.eval) then
    return code
  end
  local cell_attributes = {}
  if is_false(attrs.include) then
    cell_attributes.tags = '["setup"]'
  end
  return pandoc.Div({ code }, pandoc.Attr(attrs.label or "", { "cell", "code" }, cell_attributes))
end

--- pandoc writes a code cell nested in another div as markdown: say so.
local function nested(div)
  if div.classes:includes("cell") then
    return nil, false
  end
  local found = false
  div.content:walk({
    Div = function(inner)
      found = found or inner.classes:includes("cell")
    end,
  })
  if found then
    warn("[cells] code cell inside div " .. (div.identifier ~= "" and "#" .. div.identifier or "")
      .. "." .. table.concat(div.classes, ".")
      .. " (line " .. (div.attributes["data-source-line"] or "?") .. ") becomes markdown in the notebook")
    return nil, false
  end
  return nil
end

return {
  { Meta = read_options },
  { CodeBlock = cell },
  { traverse = "topdown", Div = nested },
}
