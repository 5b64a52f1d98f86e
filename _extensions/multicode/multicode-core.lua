--[[
multicode-core.lua: parse and validate tabbed divs (`::: multicode`, `::: qna`).

Shared by multicode.lua and qna.lua, under Quarto (site) and plain pandoc
(notebook build), so that both builds accept and reject the same sources.
Not a filter: load it with `dofile` (see `sibling` in multicode.lua).

Problems are collected, not fatal one by one: `fail` stops the div at hand,
`guard` (around each div handler) reports the problem as a
`<file>:<line>: [<tag>] ...` line on stderr and goes on, and `finish` stops
the render once at the end if any were reported. With metadata
`collect-problems: true` (the notebook build, which reads the lines and
reports every problem of every session at once) `finish` does not stop it.

Copyright (c) the course authors. MIT licence.
]]

local stringify = pandoc.utils.stringify

local M = {}

-- Course defaults for the keys `_quarto.yml` may leave out (not `languages`:
-- the course must declare them).
M.DEFAULT_LABELS = { python = "Python", r = "R" }
M.DEFAULT_GROUP = "language"

--- Report a problem the render can survive.
function M.warn(message)
  if quarto and quarto.log and quarto.log.warning then
    quarto.log.warning(message)
  else
    io.stderr:write("[WARNING] ", message, "\n")
  end
end

local problems = 0
local collect = false

--- Report a problem and go on: a parseable `<file>:<line>: [<tag>] ...` line.
function M.report(message)
  problems = problems + 1
  if quarto and quarto.log and quarto.log.warning then
    quarto.log.warning(message)
  else
    io.stderr:write(message, "\n")
  end
end

--- Wrap a handler: a problem it `fail`s with is reported, and the element
--- is left as it was, so the render goes on to find the next problem.
function M.guard(handler)
  return function(element)
    local ok, result = pcall(handler, element)
    if ok then
      return result
    end
    if type(result) == "string" and result:match("%[[%w-]+%] ") then
      -- `fail` raises with assert, which puts its own "<file>.lua:<n>: " first
      M.report((result:gsub("^%S-%.lua:%d+: ", "", 1)))
      return nil
    end
    assert(false, result) -- not error(): under Quarto the global `error` only logs
  end
end

--- Read `collect-problems` (call from the Meta handler).
function M.read_collect(meta)
  collect = meta["collect-problems"] ~= nil and stringify(meta["collect-problems"]) == "true"
end

--- Stop the render once if problems were reported (unless collecting).
function M.finish(tag)
  if problems > 0 and not collect then
    assert(false, "[" .. tag .. "] " .. problems .. " problem(s), listed above")
  end
end

--- Stop handling this element: `<file>:<line>: [<tag>] <what>, expected <expected>`
--- (`where` is a file name, `file:line`, or {file, block} from `where`).
local function message(where, tag, what, expected)
  local prefix
  if type(where) == "table" then
    prefix = where.file .. ": [" .. tag .. "] " .. where.block .. ": "
  else
    prefix = where .. ": [" .. tag .. "] "
  end
  return prefix .. what .. ", expected " .. expected
end

function M.fail(where, tag, what, expected)
  -- assert, not error: under Quarto the global `error` only logs
  assert(false, message(where, tag, what, expected))
end

--- Report a problem (same form as `fail`) without stopping the element at hand.
function M.problem(where, tag, what, expected)
  M.report(message(where, tag, what, expected))
end

--- Source file named in error messages: metadata `source-file`, else
--- Quarto's input file, else pandoc's first input file, else "<stdin>".
function M.source_file(meta)
  if meta["source-file"] then
    return stringify(meta["source-file"])
  end
  if quarto and quarto.doc and quarto.doc.input_file then
    return quarto.doc.input_file
  end
  local inputs = PANDOC_STATE and PANDOC_STATE.input_files or {}
  if inputs[1] and inputs[1] ~= "-" then
    return inputs[1]
  end
  return "<stdin>"
end

--- Where a div is, for `fail`: `file:line` from its `data-source-line`
--- (and `data-source-file` for a div from an included file), both added by
--- `coursebuild.source`; else the file and "<kind> block <n>" (the message
--- then reads `file: [<kind>] <kind> block <n>: ...`).
function M.where(file, div, kind, n)
  local line = div.attributes["data-source-line"]
  if line and line ~= "" then
    return (div.attributes["data-source-file"] or file) .. ":" .. line
  end
  return { file = file, block = kind .. " block " .. tostring(n) }
end

--- Language ids from a comma- or space-separated string or a Meta list,
--- lower-cased (as the build's preprocessor writes chunk classes).
local function to_list(value)
  local items = pandoc.List()
  if value == nil then
    return items
  end
  if type(value) == "table" and pandoc.utils.type(value) == "List" then
    for _, item in ipairs(value) do
      items:insert(pandoc.text.lower(stringify(item)))
    end
    return items
  end
  for item in stringify(value):gmatch("[^,%s]+") do
    items:insert(pandoc.text.lower(item))
  end
  return items
end

--- Options from metadata `multicode:` (languages, default, labels, group).
--- `where` names the place for errors (usually the source file).
function M.read_options(meta, where)
  local config = meta.multicode or {}
  local opts = {
    languages = to_list(config.languages),
    labels = {},
    group = config.group and stringify(config.group) or M.DEFAULT_GROUP,
  }
  if #opts.languages == 0 then
    M.fail(where, "multicode", "metadata multicode.languages is not set",
      "the course's languages in _quarto.yml, such as \"multicode: {languages: [python, r]}\"")
  end
  for id, label in pairs(M.DEFAULT_LABELS) do
    opts.labels[id] = label
  end
  for id, label in pairs(config.labels or {}) do
    opts.labels[pandoc.text.lower(id)] = stringify(label)
  end
  opts.default = config.default and pandoc.text.lower(stringify(config.default)) or opts.languages[1]
  if not opts.languages:includes(opts.default) then
    M.fail(where, "multicode", "metadata multicode.default is \"" .. opts.default .. "\"",
      "one of the declared languages: " .. table.concat(opts.languages, ", "))
  end
  return opts
end

--- The label shown for a language id.
function M.label(opts, id)
  return opts.labels[id] or id
end

--- Per-div options: attributes `languages`, `default`, `group` override the
--- metadata ones for this div only.
function M.div_options(opts, div, where)
  local local_opts = {
    languages = opts.languages,
    labels = opts.labels,
    default = opts.default,
    group = opts.group,
  }
  local attrs = div.attributes
  if attrs.languages then
    local_opts.languages = to_list(attrs.languages)
    if #local_opts.languages == 0 then
      M.fail(where, "multicode", "empty languages attribute",
        "a list such as languages=\"python,r\"")
    end
    if not local_opts.languages:includes(local_opts.default) then
      local_opts.default = local_opts.languages[1]
    end
  end
  if attrs.default then
    local_opts.default = pandoc.text.lower(attrs.default)
  end
  if attrs.group then
    local_opts.group = attrs.group
  end
  if not local_opts.languages:includes(local_opts.default) then
    M.fail(where, "multicode", "default=\"" .. local_opts.default .. "\" is not a language of this block",
      "one of: " .. table.concat(local_opts.languages, ", "))
  end
  return local_opts
end

--- Split a div's content into tabs at the first header level found among
--- its direct children. Returns a List of {title, header, content} and the
--- tab level; fails on content before the first tab header or on a div
--- without headers. `tag` names the extension in error messages.
function M.split_tabs(div, where, tag, example)
  local level
  for _, block in ipairs(div.content) do
    if block.t == "Header" then
      level = block.level
      break
    end
  end
  if not level then
    M.fail(where, tag, "no tab headers in the block", "one header per tab, such as \"" .. example .. "\"")
  end
  local tabs = pandoc.List()
  for _, block in ipairs(div.content) do
    if block.t == "Header" and block.level == level then
      tabs:insert({ title = stringify(block.content), header = block, content = pandoc.Blocks({}) })
    elseif #tabs == 0 then
      M.fail(where, tag, "content before the first tab header (" .. block.t .. ")",
        "the block to start with a tab header such as \"" .. example .. "\"")
    else
      tabs[#tabs].content:insert(block)
    end
  end
  return tabs, level
end

--- Does a list of blocks hold a code block, at any depth?
local function has_code(blocks)
  local found = false
  blocks:walk({
    CodeBlock = function(_)
      found = true
    end,
  })
  return found
end

--- Match a tab title to a language id, by id or label (case-insensitive).
local function language_of(title, opts)
  local wanted = pandoc.text.lower(title)
  for _, id in ipairs(opts.languages) do
    if pandoc.text.lower(id) == wanted or pandoc.text.lower(M.label(opts, id)) == wanted then
      return id
    end
  end
  return nil
end

--- The one declared language of a tab's code blocks, or nil (none, or several).
local function language_of_code(blocks, opts)
  local found
  local several = false
  blocks:walk({
    CodeBlock = function(block)
      for _, id in ipairs(opts.languages) do
        if block.classes:includes(id) then
          several = several or (found ~= nil and found ~= id)
          found = found or id
        end
      end
    end,
  })
  return not several and found or nil
end

--- Validate a multicode div against its options (see `div_options`).
--- Returns the tabs in declared language order, each with `lang` set.
function M.multicode_tabs(div, opts, where)
  local tabs, level = M.split_tabs(div, where, "multicode", "#### " .. M.label(opts, opts.languages[1]))
  local declared = {}
  for _, id in ipairs(opts.languages) do
    declared[#declared + 1] = id .. " (" .. M.label(opts, id) .. ")"
  end
  declared = table.concat(declared, ", ")
  local by_lang = {}
  for _, tab in ipairs(tabs) do
    local lang = language_of(tab.title, opts)
    if not lang and not tab.title:match("%S") then
      -- A header with no text (only a logo image): the language of its code.
      lang = language_of_code(tab.content, opts)
      if not lang then
        M.fail(where, "multicode", "a tab header with no text, and no code of one declared language "
          .. "to tell its language", "the language's name in the header, such as \"#### "
          .. M.label(opts, opts.languages[1]) .. "\" (a logo may stay before it)")
      end
      tab.title = M.label(opts, lang)
    end
    if not lang then
      M.fail(where, "multicode", "unknown language \"" .. tab.title .. "\" in a tab header",
        "one of the declared languages: " .. declared)
    end
    if by_lang[lang] then
      M.fail(where, "multicode", "language \"" .. lang .. "\" has two tabs",
        "exactly one tab per language: " .. declared)
    end
    if not has_code(tab.content) then
      M.fail(where, "multicode", "tab \"" .. tab.title .. "\" has no code block",
        "at least one code block in every tab")
    end
    tab.lang = lang
    by_lang[lang] = tab
  end
  local ordered = pandoc.List()
  for _, id in ipairs(opts.languages) do
    if not by_lang[id] then
      M.fail(where, "multicode", "no tab for language \"" .. id .. "\"",
        "one tab per declared language: " .. declared)
    end
    ordered:insert(by_lang[id])
  end
  return ordered, level
end

return M
