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
  3. gives every knitr cell (Quarto's knitr engine with eval off writes
     Div.cell{CodeBlock.<lang>.cell-code}; chunk labels are gone) the outputs
     of its notebook cell, inside that Div after the code (where Quarto puts
     outputs). A cell is matched by language and exact code text: the next
     unused code cell of that notebook whose source is the chunk's code, so
     repeated snippets pair up in order. The notebook build gives each cell
     its id; this filter computes none, it copies the cell's id to
     `data-cell-id`. `include: false` chunks are absent from knitr's output
     and tagged `setup` in the notebook, so those cells are skipped.
Outputs: stream -> Div.cell-output.cell-output-<stdout|stderr>{CodeBlock.cell-output};
image/png, image/jpeg -> an Image with a data: URI (pages stay self-contained);
image/svg+xml, text/html -> RawBlock html; text/markdown -> parsed markdown;
text/plain -> CodeBlock; error -> Div.cell-output-error, shown.

Runs under Quarto only (a pre-quarto filter of the site's render): the
project root is quarto.project.directory and the page quarto.doc.input_file.
Under plain pandoc (the notebook build runs the same filter list) it does
nothing.

Copyright (c) the course authors. MIT licence.
]]

-- pandoc.json (to read notebooks) arrived in pandoc 3.1.1.
PANDOC_VERSION:must_be_at_least("3.1.1")

local NAME = "notebook-outputs"

--- The course filters' support module (problems, options), shipped with the
--- multicode extension; this filter only works under Quarto, so only there.
local support = quarto and dofile(quarto.utils.resolve_path("../multicode/support.lua"))

local ctx -- per-document context, set by `prepare`

-- Helpers ----------------------------------------------------------------

local function str(value)
  if value == nil then return nil end
  local s = pandoc.utils.stringify(value)
  if s == "" then return nil end
  return s
end

local function warn(message)
  support.warning(ctx.source_rel, NAME, message)
end

--- Report the problem and stop the render (support.lua: `assert`, since
--- Quarto replaces the global `error` with a logger that lets the render go on).
local function fail(message)
  support.stop(ctx and ctx.source_rel, NAME, message)
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

local function strip_ansi(s)
  return (s:gsub("\27%[[%d;]*[A-Za-z]", ""))
end

local function is_quarto_html()
  return quarto ~= nil and quarto.doc ~= nil and quarto.doc.is_format("html")
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

--- The course's languages and labels (support.lua: no silent default).
local function languages_of(meta)
  local opts = support.read_options(meta, NAME)
  local labels = {}
  for _, lang in ipairs(opts.languages) do
    labels[lang] = support.label(opts, lang)
  end
  return opts.languages, labels
end

--- Is the notebook built from these very sources? Its `coursebuild.source_sha1`
--- must be the page's, and each file the page includes (`includes_sha1`,
--- by path under the project) must hash as recorded.
local function stale_reason(built)
  if built.source_sha1 ~= ctx.source_sha1 then
    return "built from another version of " .. ctx.source_rel
  end
  for name, sha1 in pairs(built.includes_sha1 or {}) do
    local text = read_file(pandoc.path.join({ ctx.root, name }))
    if not text then
      return "built with " .. name .. ", which is gone"
    end
    if pandoc.utils.sha1(text) ~= sha1 then
      return "built from another version of " .. name
    end
  end
  return nil
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
  local stale = stale_reason(built)
  if stale then
    fail(ctx.session .. ": notebook " .. rel .. " is out of date (" .. stale .. "); run ./course build")
  end
  -- include: false chunks (tagged setup) run in the notebook but knitr
  -- writes nothing for them, so they are not matched.
  local by_code, markdown = {}, pandoc.List()
  for _, cell in ipairs(nb.cells) do
    local tags = cell.metadata and cell.metadata.tags or {}
    if cell.cell_type == "code" and not pandoc.List(tags):includes("setup") then
      local code = joined(cell.source)
      by_code[code] = by_code[code] or { next = 1 }
      table.insert(by_code[code], cell)
    elseif cell.cell_type == "markdown" then
      markdown:insert(joined(cell.source))
    end
  end
  return { rel = rel, by_code = by_code, markdown = table.concat(markdown, "\n") }
end

local function prepare(doc)
  local meta = doc.meta
  local root = quarto.project.directory or pandoc.system.get_working_directory()
  support.begin(meta)
  local source = quarto.doc.input_file
  if not source then return false end
  local rel = relative_to(source, root)
  if not rel or not rel:match("^sessions/[^/]+%.qmd$") then
    return false
  end
  local text = read_file(source)
  if not text then
    support.stop(rel, NAME, "cannot read the source file " .. rel)
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

--- Text output. Long lines scroll sideways: tabindex 0 lets a keyboard
--- reach and scroll the block (axe: scrollable-region-focusable).
local function text_block(text)
  return pandoc.CodeBlock(rstrip(strip_ansi(text)),
    pandoc.Attr("", { "cell-output" }, { { "tabindex", "0" } }))
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
    -- a wide table scrolls inside this box, which the keyboard can reach
    return { pandoc.Div({ pandoc.RawBlock("html", joined(data["text/html"])) },
      pandoc.Attr("", { "cell-output-scroll" }, { { "tabindex", "0" } })) }
  end
  if data["text/markdown"] then
    -- a sentence starting with "%" is text, not a title block
    return pandoc.read(joined(data["text/markdown"]), "markdown-pandoc_title_block").blocks
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

--- The notebook cell for a knitr cell: the next unused code cell of that
--- language whose source is exactly the chunk's code (duplicates in order).
--- Both notebooks advance on every chunk they hold, so a repeated snippet
--- inside and outside a qna block keeps its order in each; the answers
--- notebook (every answer in) serves chunks inside qna blocks.
local function take(nb, code)
  if not nb then return nil end
  local queue = nb.by_code[code]
  if not queue or queue.next > #queue then return nil end
  local cell = queue[queue.next]
  queue.next = queue.next + 1
  return cell
end

local function find_cell(lang, code, in_qna)
  local from_answers = take(ctx.answers[lang], code)
  local from_download = not in_qna and take(ctx.notebooks[lang], code) or nil
  if in_qna and ctx.answers[lang] then
    return from_answers
  end
  return from_download
end

--- Shown as code in a markdown cell of the notebook (an `eval: false` chunk)?
local function shown_as_markdown(lang, code)
  for _, nb in ipairs({ ctx.notebooks[lang], ctx.answers[lang] }) do
    if nb and nb.markdown:find(code, 1, true) then return true end
  end
  return false
end

local function lang_of(classes)
  for _, class in ipairs(classes) do
    if ctx.languages:includes(class) then return class end
  end
  return nil
end

--- A knitr cell (eval off): Div.cell{CodeBlock.<lang>.cell-code}; its
--- outputs go inside the Div after the code, where Quarto puts outputs.
local function knitr_cell(div, in_qna)
  for i, block in ipairs(div.content) do
    if block.t == "CodeBlock" and block.classes:includes("cell-code") then
      local lang = lang_of(block.classes)
      if not lang then return div end
      local cell = find_cell(lang, block.text, in_qna)
      if cell then
        local outputs = outputs_of(cell, cell.id, lang)
        for j = #outputs, 1, -1 do
          div.content:insert(i + 1, outputs[j])
        end
        div.attributes["data-cell-id"] = cell.id
        div.attributes["data-lang"] = lang
      elseif not shown_as_markdown(lang, block.text) and not (in_qna and not ctx.answers[lang]) then
        warn(ctx.session .. ": no " .. lang .. " notebook cell has the code of the chunk starting "
          .. (block.text:match("^[^\n]*") or "") .. "; run ./course build")
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
    if b.t == "Div" and b.classes:includes("cell") then
      out:insert(knitr_cell(b, in_qna))
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
  if not is_quarto_html() or not prepare(doc) then
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
