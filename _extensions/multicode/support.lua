--[[
support.lua: what every course filter shares: reporting problems, reading options.

Not a filter: each filter loads it with `dofile` (multicode.lua's `sibling`),
under Quarto (the site) and under plain pandoc (the notebook build), so both
accept and reject the same sources with the same words.

Problems. Each one has a place (`where`: a file and line, a file and block,
or a file), the filter's tag, a message and whether it is a warning.
- With metadata `problems-file: PATH` (the notebook build and the course's
  site renderer set it), each is appended to PATH as one JSON line
  {"file", "line", "filter", "message", "warning"}: the one grammar, read
  by `coursebuild.problems.read_problems`.
- Otherwise it is logged for a person: `<file>:<line>: [<tag>] <message>`
  (`quarto.log.warning` under Quarto, stderr under pandoc).
`fail` stops the element at hand (`guard` reports it and goes on), `stop`
stops the render at once, and `finish` stops the render once at the end if
anything was reported, unless metadata `collect-problems: true` (the build,
which reports every problem of every session at once).

Options. `read_options` reads metadata `multicode:` (languages, labels,
default, group): the course must declare its languages; a language without
a label is shown by its id with a capital (the build passes every label).

Copyright (c) the course authors. MIT licence.
]]

local stringify = pandoc.utils.stringify

local M = {}

M.DEFAULT_GROUP = "language"

local file = "<stdin>"
local problems_file
local collect = false
local count = 0

-- Problems ------------------------------------------------------------------

--- Read what reporting needs from the metadata (call from each filter's Meta
--- handler): the source file named in messages, `collect-problems`,
--- `problems-file`. Returns the source file: metadata `source-file`, else
--- Quarto's input file, else pandoc's first input file, else "<stdin>".
function M.begin(meta)
  collect = meta["collect-problems"] ~= nil and stringify(meta["collect-problems"]) == "true"
  problems_file = meta["problems-file"] and stringify(meta["problems-file"]) or nil
  if meta["source-file"] then
    file = stringify(meta["source-file"])
  elseif quarto and quarto.doc and quarto.doc.input_file then
    file = quarto.doc.input_file
  else
    local inputs = PANDOC_STATE and PANDOC_STATE.input_files or {}
    file = (inputs[1] and inputs[1] ~= "-") and inputs[1] or "<stdin>"
  end
  return file
end

--- Where an element is: `{file, line}` from its `data-source-line` (and
--- `data-source-file` for one from an included file), both added by
--- `coursebuild.source`; else `{file, block = "<kind> block <n>"}`.
function M.where(element, kind, n)
  local attributes = element.attributes or {}
  local line = attributes["data-source-line"]
  if line and line ~= "" then
    return { file = attributes["data-source-file"] or file, line = tonumber(line) }
  end
  return { file = file, block = kind .. " block " .. tostring(n) }
end

local function place(where)
  if type(where) == "table" then
    return where
  end
  return { file = where or file }
end

--- The problem as a person reads it.
local function text(p)
  local at = p.line and (p.file .. ":" .. p.line) or p.file
  return at .. ": [" .. p.filter .. "] " .. p.message
end

--- Record one problem: a JSON line in the problems file, else a log line.
function M.report(where, tag, message, warning)
  local at = place(where)
  local p = { file = at.file, line = at.line, filter = tag, warning = warning == true,
              message = at.block and (at.block .. ": " .. message) or message }
  if not p.warning then
    count = count + 1
  end
  if problems_file then
    local out = assert(io.open(problems_file, "a"))
    out:write(pandoc.json.encode(p), "\n")
    out:close()
  elseif quarto and quarto.log and quarto.log.warning then
    quarto.log.warning(text(p))
  else
    io.stderr:write(p.warning and "[WARNING] " or "", text(p), "\n")
  end
  return text(p)
end

local pending -- the problem `fail` raised, for `guard` to report

local function expected(what, wanted)
  return what .. ", expected " .. wanted
end

--- Stop handling this element: `<what>, expected <wanted>`, reported by `guard`.
function M.fail(where, tag, what, wanted)
  pending = { where = where, tag = tag, message = expected(what, wanted) }
  -- assert, not error: under Quarto the global `error` only logs
  assert(false, text({ file = place(where).file, line = place(where).line, filter = tag,
                       message = pending.message }))
end

--- Report a problem and stop the render now (outside any `guard`).
function M.stop(where, tag, what, wanted)
  local message = M.report(where, tag, wanted and expected(what, wanted) or what)
  assert(false, message)
end

--- Report a problem (worded as `fail` words it) and go on.
function M.problem(where, tag, what, wanted)
  M.report(where, tag, expected(what, wanted))
end

--- Report something the render survives.
function M.warning(where, tag, message)
  M.report(where, tag, message, true)
end

--- Wrap a handler: a problem it `fail`s with is reported and the element is
--- left as it was, so the render goes on to find the next problem.
function M.guard(handler)
  return function(element)
    pending = nil
    local ok, result = pcall(handler, element)
    if ok then
      return result
    end
    if pending then
      M.report(pending.where, pending.tag, pending.message)
      pending = nil
      return nil
    end
    assert(false, result) -- not error(): under Quarto the global `error` only logs
  end
end

--- Stop the render once if problems were reported (unless collecting).
function M.finish(tag)
  if count > 0 and not collect then
    assert(false, "[" .. tag .. "] " .. count .. " problem(s), listed above")
  end
end

-- Options -------------------------------------------------------------------

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

--- Options from metadata `multicode:` (languages, labels, default, group);
--- a course without declared languages stops the render.
function M.read_options(meta, tag)
  local config = meta.multicode or {}
  local opts = {
    languages = to_list(config.languages),
    labels = {},
    group = config.group and stringify(config.group) or M.DEFAULT_GROUP,
  }
  if #opts.languages == 0 then
    M.stop(file, tag or "multicode", "metadata multicode.languages is not set",
      "the course's languages in _quarto.yml, such as \"multicode: {languages: [python, r]}\"")
  end
  for id, label in pairs(config.labels or {}) do
    opts.labels[pandoc.text.lower(id)] = stringify(label)
  end
  opts.default = config.default and pandoc.text.lower(stringify(config.default)) or opts.languages[1]
  if not opts.languages:includes(opts.default) then
    M.stop(file, tag or "multicode", "metadata multicode.default is \"" .. opts.default .. "\"",
      "one of the declared languages: " .. table.concat(opts.languages, ", "))
  end
  return opts
end

--- The label shown for a language id: the course's (`multicode.labels`), else
--- the id with a capital ("python" -> "Python"); no table of languages here.
function M.label(opts, id)
  return opts.labels[id] or (id:sub(1, 1):upper() .. id:sub(2))
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
      M.fail(where, "multicode", "empty languages attribute", "a list such as languages=\"python,r\"")
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

return M
