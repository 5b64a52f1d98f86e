--[[
cells.lua: turn the kept language's chunks into notebook code cells.

Notebook build only, last, after the filters `_quarto.yml` lists
(notebook-outputs, multicode, qna), writing ipynb:

    pandoc --lua-filter _extensions/notebook-outputs/notebook-outputs.lua \
           --lua-filter _extensions/multicode/multicode.lua \
           --lua-filter _extensions/qna/qna.lua \
           --lua-filter filters/cells.lua \
           -M multicode-keep=python -t ipynb ...

Input: chunks as `coursebuild.source` writes them,
``` {#fit .python .cell data-source-line="12" label="fit" eval="false" ...}.
The block's identifier is the chunk's cell id, given once by coursebuild.source
(its label, else `<lang>-<sha1 of its code>[:10]`, repeats numbered): it
becomes the cell's id (`Div.cell.code#id`; pandoc writes it as the cell id).
Chunk options, for the kept language L (metadata `multicode-keep`):

- label: "x"       -> the id already; a label `parameters` or `parameters-*`
                      also tags the cell `parameters`
- tags: [a, b]     -> the cell's tags (`parameters`: papermill's parameters cell)
- include: false   -> still a code cell (it runs), tagged `setup`
- error: true      -> tagged `raises-exception` (the build keeps its error)
- eval: false      -> a plain code block: markdown, shown, never run
- echo             -> ignored (notebooks show all code)
- anything else    -> ignored (not copied into cell metadata)

Chunks of the other declared languages (class `cell`) are removed. An
exercise's checks (`{#exercise-N .exercise-check}`, from a qna Check tab)
become a code cell tagged `exercise-check`, replaced by the build.
Metadata `multicode.languages` lists the declared languages.

Copyright (c) the course authors. MIT licence.
]]

-- pandoc.json (chunk tags are JSON lists) arrived in pandoc 3.1.1.
PANDOC_VERSION:must_be_at_least("3.1.1")

local stringify = pandoc.utils.stringify

-- The course filters' support module: problems, the source file name and
-- the declared languages are read the same way as on the site.
local support = dofile(pandoc.path.join({
  pandoc.path.directory(PANDOC_SCRIPT_FILE), "..", "_extensions", "multicode", "support.lua",
}))

local keep
local file
local others = {}

local function read_options(meta)
  file = support.begin(meta)
  if not meta["multicode-keep"] then
    support.stop(file, "cells", "metadata multicode-keep is not set", "the notebook's language")
  end
  keep = pandoc.text.lower(stringify(meta["multicode-keep"]))
  for _, lang in ipairs(support.read_options(meta, "cells").languages) do
    if lang ~= keep then
      others[lang] = true
    end
  end
end

local function is(value, wanted)
  return value ~= nil and pandoc.text.lower(value) == wanted
end

--- The cell's tags, from its chunk options (see the header).
local function tags_of(attrs)
  local tags = pandoc.List()
  if attrs.tags and attrs.tags ~= "" then
    local ok, listed = pcall(pandoc.json.decode, attrs.tags, false)
    for _, tag in ipairs(ok and type(listed) == "table" and listed or { attrs.tags }) do
      tags:insert(tostring(tag))
    end
  end
  local function add(tag)
    if not tags:includes(tag) then tags:insert(tag) end
  end
  local label = attrs.label or ""
  if label == "parameters" or label:match("^parameters%-") then add("parameters") end
  if is(attrs.error, "true") then add("raises-exception") end
  if is(attrs.include, "false") then add("setup") end
  return tags
end

--- An exercise's checks (coursebuild.source made the Check tab's YAML block
--- `{#exercise-N .exercise-check}`): a code cell tagged `exercise-check` that
--- keeps the id, for the build to replace with the answer and check cells.
local function checks(block)
  return pandoc.Div({ pandoc.CodeBlock(block.text) },
    pandoc.Attr(block.identifier, { "cell", "code" }, { tags = pandoc.json.encode({ "exercise-check" }) }))
end

local function cell(block)
  if block.classes:includes("exercise-check") then
    return checks(block)
  end
  if not block.classes:includes("cell") then
    return nil
  end
  if not block.classes:includes(keep) then
    for _, class in ipairs(block.classes) do
      if others[class] then
        return {}
      end
    end
    support.warning(support.where(block, "chunk", "?"), "cells", "chunk of undeclared language {"
      .. table.concat(block.classes, " ") .. "} left as code text")
    return pandoc.CodeBlock(block.text, pandoc.Attr("", { block.classes[1] }))
  end
  local attrs = block.attributes
  local code = pandoc.CodeBlock(block.text, pandoc.Attr("", { keep }))
  if is(attrs.eval, "false") then
    return code
  end
  local cell_attributes = {}
  local tags = tags_of(attrs)
  if #tags > 0 then
    cell_attributes.tags = pandoc.json.encode(tags)
  end
  return pandoc.Div({ code }, pandoc.Attr(block.identifier, { "cell", "code" }, cell_attributes))
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
    support.warning(support.where(div, "div", "?"), "cells", "code cell inside div "
      .. (div.identifier ~= "" and "#" .. div.identifier or "") .. "." .. table.concat(div.classes, ".")
      .. " becomes markdown in the notebook")
    return nil, false
  end
  return nil
end

return {
  { Meta = read_options },
  { CodeBlock = cell },
  { traverse = "topdown", Div = nested },
}
