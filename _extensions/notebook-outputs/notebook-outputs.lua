--[[
notebook-outputs.lua: show the outputs stored in the executed notebooks under
each code chunk of a session page, and link the notebooks.

The site executes no session code (`execute: eval: false` in _quarto.yml).
`./course build` executes each session into notebooks/<lang>/<session>.ipynb;
this filter reads those notebooks and puts each cell's stored outputs right
after the chunk's code, so the page and the downloads cannot disagree.

Only pages under sessions/ are touched. For each one it
  1. stops the render if a declared language's notebook is missing, or was
     built from another version of the source (notebook metadata
     `coursebuild.source_sha1` against the sha1 of the .qmd's bytes):
     "<session>: notebook notebooks/<lang>/<s>.ipynb is missing; run ./course build";
  2. inserts a `div.notebook-links` at the top: "Python notebook" / "R notebook"
     (raw download) and "Open in Colab" for each, built from `course.repo-url`
     and `course.branch`;
  3. finds every code chunk and appends the notebook cell's outputs:
       - plain pandoc (coursebuild.source.preprocess): a CodeBlock with classes
         {<lang>, "cell"} and attributes label / eval / include / echo / output;
         it becomes Div.cell{CodeBlock.<lang>.cell-code, outputs...};
       - Quarto + knitr with eval off: Div.cell{CodeBlock.<lang>.cell-code};
         outputs are appended inside that Div (where Quarto puts outputs).
     The cell is found by id, computed like the build does
     (coursebuild.notebook.cell_id): the chunk label, else
     `<lang>-` .. sha1(code):sub(1, 10) (code without `#|` lines, trailing
     whitespace stripped), `-2`, `-3`... for repeats; failing that, by the sha1
     of the cell's source (knitr does not pass chunk labels through).
Outputs: stream -> Div.cell-output.cell-output-<stdout|stderr>{CodeBlock.cell-output};
image/png, image/jpeg -> an Image with a data: URI (pages stay self-contained);
image/svg+xml, text/html -> RawBlock html; text/markdown -> parsed markdown;
text/plain -> CodeBlock; error -> Div.cell-output-error, shown.

Context: project root = quarto.project.directory (Quarto), else metadata
`project-root`, else the working directory; source file =
quarto.doc.input_file (Quarto), else metadata `source-file` (relative to the
root, as in the notebook build), else pandoc's first input file.

Copyright (c) the course authors. MIT licence.
]]

-- pandoc.json (to read notebooks) arrived in pandoc 3.1.1.
PANDOC_VERSION:must_be_at_least("3.1.1")

local NAME = "notebook-outputs"

local ctx -- per-document context, set by `prepare`

-- Helpers ----------------------------------------------------------------

local function str(value)
  if value == nil then return nil end
  local s = pandoc.utils.stringify(value)
  if s == "" then return nil end
  return s
end

local function warn(message)
  if quarto and quarto.log and quarto.log.warning then
    quarto.log.warning("[" .. NAME .. "] " .. message)
  else
    io.stderr:write("[WARNING] [" .. NAME .. "] " .. message .. "\n")
  end
end

--- Stop the render with a message (no Lua position prefix).
local function fail(message)
  error("[" .. NAME .. "] " .. message, 0)
end

local function read_file(path)
  local handle = io.open(path, "rb")
  if not handle then return nil end
  local text = handle:read("a")
  handle:close()
  return text
end

--- Notebook strings may be a list of lines or one string.
local function joined(value)
  if value == nil then return "" end
  if type(value) == "table" then return table.concat(value) end
  return tostring(value)
end

local function rstrip(s)
  return (s:gsub("%s+$", ""))
end

--- Code as the fallback lookup compares it: no blank lines or spaces at either end.
local function code_key(s)
  return pandoc.utils.sha1((s:gsub("^%s*\n", ""):gsub("%s+$", "")))
end

local function strip_ansi(s)
  return (s:gsub("\27%[[%d;]*[A-Za-z]", ""))
end

local function is_html()
  if quarto and quarto.doc and quarto.doc.is_format then
    return quarto.doc.is_format("html")
  end
  return FORMAT:match("html") ~= nil
end

--- Relative path of `path` under `root` with forward slashes, or nil.
local function relative_to(path, root)
  local p = pandoc.path.normalize(path):gsub("\\", "/")
  local r = pandoc.path.normalize(root):gsub("\\", "/"):gsub("/$", "")
  if p:sub(1, #r + 1) == r .. "/" then
    return p:sub(#r + 2)
  end
  if not pandoc.path.is_absolute(path) then
    return p
  end
  return nil
end

-- Context ----------------------------------------------------------------

local function project_root(meta)
  if quarto and quarto.project and quarto.project.directory then
    return quarto.project.directory
  end
  return str(meta["project-root"]) or pandoc.system.get_working_directory()
end

local function source_path(meta, root)
  if quarto and quarto.doc and quarto.doc.input_file then
    return quarto.doc.input_file
  end
  local declared = str(meta["source-file"])
  if declared then
    if pandoc.path.is_absolute(declared) then return declared end
    return pandoc.path.join({ root, declared })
  end
  return PANDOC_STATE.input_files[1]
end

local function languages_of(meta)
  local config = meta.multicode or {}
  local langs = pandoc.List()
  if config.languages then
    for _, item in ipairs(config.languages) do
      langs:insert(pandoc.utils.stringify(item):lower())
    end
  end
  if #langs == 0 then
    langs = pandoc.List({ "python", "r" })
  end
  local labels = {}
  for _, lang in ipairs(langs) do
    local label = config.labels and str(config.labels[lang])
    labels[lang] = label or (lang:sub(1, 1):upper() .. lang:sub(2))
  end
  return langs, labels
end

--- Load and check one notebook; index its code cells by id and by source hash.
--- `suffix` ".answers" names the variant executed with every qna answer in
--- (built only for sessions with qna blocks, so it may be absent: `optional`).
local function load_notebook(lang, suffix, optional)
  local name = ctx.session .. (suffix or "") .. ".ipynb"
  local rel = "notebooks/" .. lang .. "/" .. name
  local text = read_file(pandoc.path.join({ ctx.root, "notebooks", lang, name }))
  if not text then
    if optional then return nil end
    fail(ctx.session .. ": notebook " .. rel .. " is missing; run ./course build")
  end
  local ok, nb = pcall(pandoc.json.decode, text, false)
  if not ok or type(nb) ~= "table" or type(nb.cells) ~= "table" then
    fail(ctx.session .. ": notebook " .. rel .. " is not a readable notebook; run ./course build")
  end
  local built = nb.metadata and nb.metadata.coursebuild or {}
  if built.source_sha1 ~= ctx.source_sha1 then
    fail(ctx.session .. ": notebook " .. rel .. " is out of date (built from another version of "
      .. ctx.source_rel .. "); run ./course build")
  end
  local by_id, by_hash = {}, {}
  for _, cell in ipairs(nb.cells) do
    if cell.cell_type == "code" then
      if cell.id then by_id[cell.id] = cell end
      local key = code_key(joined(cell.source))
      by_hash[key] = by_hash[key] or pandoc.List()
      by_hash[key]:insert(cell)
    end
  end
  return { rel = rel, by_id = by_id, by_hash = by_hash, used = {} }
end

local function prepare(doc)
  local meta = doc.meta
  local root = project_root(meta)
  local source = source_path(meta, root)
  if not source then return false end
  local rel = relative_to(source, root)
  if not rel or not rel:match("^sessions/[^/]+%.qmd$") then
    return false
  end
  local text = read_file(source)
  if not text then
    fail("cannot read the source file " .. rel)
  end
  local langs, labels = languages_of(meta)
  local course = meta.course or {}
  ctx = {
    root = root,
    source_rel = rel,
    session = pandoc.path.split_extension(pandoc.path.filename(rel)),
    source_sha1 = pandoc.utils.sha1(text),
    languages = langs,
    labels = labels,
    repo_url = str(course["repo-url"]),
    branch = str(course.branch) or "main",
    notebooks = {},
    answers = {},
    seen = {},
  }
  for _, lang in ipairs(langs) do
    ctx.notebooks[lang] = load_notebook(lang)
    ctx.answers[lang] = load_notebook(lang, ".answers", true)
  end
  return true
end

-- Download and Colab links --------------------------------------------------

local function links_block()
  if not ctx.repo_url then
    warn("course.repo-url is not set: no download or Colab links on " .. ctx.source_rel)
    return nil
  end
  local base = ctx.repo_url:gsub("/+$", ""):gsub("%.git$", "")
  local owner, repo = base:match("^https?://github%.com/([^/]+)/([^/]+)$")
  if not owner then
    warn("course.repo-url " .. base .. " is not a GitHub repository URL: no Colab links")
  end
  local inlines = pandoc.Inlines({ pandoc.Str("Notebooks for this session:"), pandoc.Space() })
  for i, lang in ipairs(ctx.languages) do
    local file = "notebooks/" .. lang .. "/" .. ctx.session .. ".ipynb"
    if i > 1 then
      inlines:extend({ pandoc.Space(), pandoc.Str("·"), pandoc.Space() })
    end
    inlines:insert(pandoc.Link(ctx.labels[lang] .. " notebook",
      base .. "/raw/" .. ctx.branch .. "/" .. file, "",
      pandoc.Attr("", { "notebook-download" }, { { "data-lang", lang } })))
    if owner then
      inlines:extend({ pandoc.Space(), pandoc.Str("(") })
      inlines:insert(pandoc.Link("Open in Colab",
        "https://colab.research.google.com/github/" .. owner .. "/" .. repo .. "/blob/"
          .. ctx.branch .. "/" .. file, "",
        pandoc.Attr("", { "notebook-colab" }, { { "data-lang", lang } })))
      inlines:insert(pandoc.Str(")"))
    end
  end
  return pandoc.Div({ pandoc.Para(inlines) }, pandoc.Attr("", { "notebook-links" }))
end

-- Outputs -------------------------------------------------------------------

local function output_div(blocks, classes, id)
  local all = { "cell-output" }
  for _, c in ipairs(classes) do table.insert(all, c) end
  return pandoc.Div(blocks, pandoc.Attr("", all, { { "data-cell-id", id } }))
end

local function text_block(text)
  return pandoc.CodeBlock(rstrip(strip_ansi(text)), pandoc.Attr("", { "cell-output" }))
end

local function display_blocks(data, id, lang, n)
  local alt = "Figure " .. n .. " from the " .. ctx.labels[lang] .. " code (cell " .. id .. ")"
  for _, mime in ipairs({ "image/png", "image/jpeg" }) do
    if data[mime] then
      local b64 = joined(data[mime]):gsub("%s", "")
      local src = "data:" .. mime .. ";base64," .. b64
      return { pandoc.Para({ pandoc.Image(alt, src, "", pandoc.Attr("", { "cell-output-image" })) }) }
    end
  end
  if data["image/svg+xml"] then
    return { pandoc.RawBlock("html", joined(data["image/svg+xml"])) }
  end
  if data["text/html"] then
    return { pandoc.RawBlock("html", joined(data["text/html"])) }
  end
  if data["text/markdown"] then
    return pandoc.read(joined(data["text/markdown"]), "markdown").blocks
  end
  if data["text/plain"] then
    return { text_block(joined(data["text/plain"])) }
  end
  return {}
end

local function outputs_of(cell, id, lang)
  local blocks = pandoc.Blocks({})
  local figures = 0
  for _, out in ipairs(cell.outputs or {}) do
    local kind = out.output_type
    if kind == "stream" then
      local name = out.name == "stderr" and "stderr" or "stdout"
      blocks:insert(output_div({ text_block(joined(out.text)) }, { "cell-output-" .. name }, id))
    elseif kind == "display_data" or kind == "execute_result" then
      local data = out.data or {}
      if data["image/png"] or data["image/jpeg"] then figures = figures + 1 end
      local shown = display_blocks(data, id, lang, figures)
      if #shown > 0 then
        blocks:insert(output_div(shown, { "cell-output-display" }, id))
      end
    elseif kind == "error" then
      -- The traceback ends with "<ename>: <evalue>" (IPython); IRkernel leaves it empty.
      local trace = out.traceback or {}
      local text = #trace > 0 and table.concat(trace, "\n")
        or ((out.ename or "Error") .. ": " .. (out.evalue or ""))
      blocks:insert(output_div({ text_block(text) }, { "cell-output-error" }, id))
    end
  end
  return blocks
end

-- Finding the cell of a chunk -----------------------------------------------

local function chunk_id(lang, code, label)
  if label then return label end
  return lang .. "-" .. pandoc.utils.sha1(rstrip(code)):sub(1, 10)
end

--- The notebook a chunk's outputs come from: inside a qna block, the answers
--- notebook (the download leaves answers out); elsewhere the download itself.
local function notebook_for(lang, in_qna)
  return (in_qna and ctx.answers[lang]) or ctx.notebooks[lang]
end

--- The notebook cell for a chunk (nil if the notebook has none: an
--- `eval: false` chunk, or an answer no notebook has).
local function find_cell(lang, code, label, in_qna)
  local nb = notebook_for(lang, in_qna)
  if not nb then return nil end
  local base = chunk_id(lang, code, label)
  ctx.seen[base] = (ctx.seen[base] or 0) + 1
  local id = ctx.seen[base] > 1 and (base .. "-" .. ctx.seen[base]) or base
  local cell = nb.by_id[id]
  if not cell or nb.used[cell] then
    cell = nil
    for _, candidate in ipairs(nb.by_hash[code_key(code)] or {}) do
      if not nb.used[candidate] then
        cell = candidate
        break
      end
    end
  end
  if cell then nb.used[cell] = true end
  return cell, (cell and cell.id) or id
end

local function lang_of(classes)
  for _, class in ipairs(classes) do
    if ctx.languages:includes(class) then return class end
  end
  return nil
end

--- Plain pandoc: CodeBlock.<lang>.cell from coursebuild.source.preprocess.
local function plain_chunk(block, in_qna)
  local lang = lang_of(block.classes)
  local a = block.attributes
  if a.include == "false" then
    return {}
  end
  local code = pandoc.CodeBlock(block.text, pandoc.Attr("", { lang, "cell-code" }))
  if a.eval == "false" then
    return { code }
  end
  local cell, id = find_cell(lang, block.text, a.label, in_qna)
  local content = pandoc.Blocks({})
  if a.echo ~= "false" then content:insert(code) end
  if cell then
    if a.output ~= "false" then content:extend(outputs_of(cell, id, lang)) end
  elseif not in_qna or ctx.answers[lang] then
    warn(ctx.session .. ": no cell " .. id .. " in " .. notebook_for(lang, in_qna).rel
      .. " for the " .. lang .. " chunk at line " .. (a["data-source-line"] or "?"))
  end
  return { pandoc.Div(content, pandoc.Attr("", { "cell" },
    { { "data-cell-id", id }, { "data-lang", lang } })) }
end

--- Quarto + knitr (eval off): Div.cell{CodeBlock.<lang>.cell-code}.
local function quarto_cell(div, in_qna)
  for i, block in ipairs(div.content) do
    if block.t == "CodeBlock" and block.classes:includes("cell-code") then
      local lang = lang_of(block.classes)
      if not lang then return div end
      local cell, id = find_cell(lang, block.text, nil, in_qna)
      if cell then
        local outputs = outputs_of(cell, id, lang)
        for j = #outputs, 1, -1 do
          div.content:insert(i + 1, outputs[j])
        end
        div.attributes["data-cell-id"] = id
      elseif not in_qna or ctx.answers[lang] then
        warn(ctx.session .. ": no cell " .. id .. " in " .. notebook_for(lang, in_qna).rel)
      end
      return div
    end
  end
  return div
end

local walk_blocks

local function walk_items(items, in_qna)
  for k, item in ipairs(items) do
    items[k] = walk_blocks(item, in_qna)
  end
end

walk_blocks = function(blocks, in_qna)
  local out = pandoc.Blocks({})
  for _, b in ipairs(blocks) do
    if b.t == "CodeBlock" and b.classes:includes("cell") and lang_of(b.classes) then
      out:extend(plain_chunk(b, in_qna))
    elseif b.t == "Div" and b.classes:includes("cell") then
      out:insert(quarto_cell(b, in_qna))
    else
      if b.t == "Div" then
        b.content = walk_blocks(b.content, in_qna or b.classes:includes("qna"))
      elseif b.t == "BlockQuote" or b.t == "Figure" then
        b.content = walk_blocks(b.content, in_qna)
      elseif b.t == "BulletList" or b.t == "OrderedList" then
        walk_items(b.content, in_qna)
      elseif b.t == "DefinitionList" then
        for _, entry in ipairs(b.content) do
          walk_items(entry[2], in_qna)
        end
      end
      out:insert(b)
    end
  end
  return out
end

local function notebook_outputs(doc)
  if not is_html() or not prepare(doc) then
    return nil
  end
  local blocks = walk_blocks(doc.blocks, false)
  local links = links_block()
  if links then
    blocks:insert(1, links)
  end
  doc.blocks = blocks
  return doc
end

return {
  { Pandoc = notebook_outputs },
}
