--[[
qna.lua: an exercise with its answer, shown per output format.

    ::: qna
    #### Question
    What is x?
    #### Answer
    One.
    #### Check
    ```yaml
    x: {number: 0.5}
    ```
    :::

The Check tab (optional) holds the exercise's checks (docs/notebooks.md):
shown nowhere on the page; in a notebook its block stays after what is kept,
for the build to turn into the exercise's answer and check cells.

Options (metadata, usually from _quarto.yml):

    qna:
      targets: {html: both, ipynb: question, pdf: answer}   # the defaults
    source-file: sessions/01-intro.qmd   # file named in error messages

Each target is `question`, `answer` or `both`; formats without a target
show `both`. Format keys: Quarto's `quarto.doc.is_format(key)`; under plain
pandoc the writer name (`FORMAT`), with html4/html5/revealjs counted as
`html` and latex/beamer as `pdf`.

Div attributes override the metadata for one block:
`show="answer"` for every format, or a format key for one format
(`::: {.qna ipynb="both"}`); the format key wins over `show`.

`both` gives a Question/Answer tabset under Quarto and, elsewhere (plain
pandoc), the question then the answer under their headings; `question` or `answer` keeps that part
with its heading. Each malformed block is reported as
`<file>:<line>: [qna] ...` and the render stops once at the end.

Copyright (c) the course authors. MIT licence.
]]

-- pandoc.Blocks:walk, pandoc.text and pandoc.path need pandoc 3.
PANDOC_VERSION:must_be_at_least("3.0")

--- Load a Lua module shipped with the multicode extension (shared code).
local function load_shared(name)
  local relative = pandoc.path.join({ "..", "multicode", name })
  if quarto and quarto.utils and quarto.utils.resolve_path then
    return dofile(quarto.utils.resolve_path(relative))
  end
  return dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), relative }))
end

local support = load_shared("support.lua")
local tabs_of = load_shared("tabs.lua").new(support)
local tabset = load_shared("tabset.lua")

local DEFAULT_TARGETS = { html = "both", ipynb = "question", pdf = "answer" }
local CHOICES = { question = true, answer = true, both = true }
local PANDOC_ALIASES = { html4 = "html", html5 = "html", revealjs = "html", latex = "pdf", beamer = "pdf" }

local targets
local format_key
local file
local count = 0

--- A target choice, checked: `fail` inside a div (its guard reports it),
--- `stop` for the metadata (read before any div, outside a guard).
local function check_choice(value, where, what, now)
  value = pandoc.text.lower(value)
  if not CHOICES[value] then
    local raise = now and support.stop or support.fail
    raise(where, "qna", what .. " is \"" .. value .. "\"", "question, answer or both")
  end
  return value
end

--- The key of the current output format among the target keys.
local function current_format(keys)
  if quarto and quarto.doc and quarto.doc.is_format then
    for _, key in ipairs(keys) do
      if quarto.doc.is_format(key) then
        return key
      end
    end
    return nil
  end
  return PANDOC_ALIASES[FORMAT] or FORMAT
end

local function read_options(meta)
  file = support.begin(meta)
  targets = {}
  for key, value in pairs(DEFAULT_TARGETS) do
    targets[key] = value
  end
  local config = meta.qna or {}
  for key, value in pairs(config.targets or {}) do
    targets[key] = check_choice(pandoc.utils.stringify(value), file, "metadata qna.targets." .. key, true)
  end
  local keys = {}
  for key in pairs(targets) do
    table.insert(keys, key)
  end
  table.sort(keys)
  format_key = current_format(keys)
end

--- Question and Answer tabs of a qna div, validated.
local function parts(div, where)
  local tabs, level = tabs_of.split_tabs(div, where, "qna", "#### Question")
  local found = {}
  for _, tab in ipairs(tabs) do
    local name = pandoc.text.lower(tab.title)
    if name ~= "question" and name ~= "answer" and name ~= "check" then
      if not tab.title:match("%S") then
        support.fail(where, "qna", "a tab header with no text (only an image?)",
          "\"#### Question\" and \"#### Answer\" tabs (for one tab per language, use '::: multicode')")
      end
      support.fail(where, "qna", "unknown tab \"" .. tab.title .. "\"",
        "\"Question\" and \"Answer\" tabs (and an optional \"Check\" tab)")
    end
    if found[name] then
      support.fail(where, "qna", "two \"" .. tab.title .. "\" tabs", "one Question tab and one Answer tab")
    end
    found[name] = tab
  end
  if not found.question then
    support.fail(where, "qna", "no Question tab", "a Question tab and an Answer tab")
  end
  if not found.answer then
    support.fail(where, "qna", "no Answer tab", "a Question tab and an Answer tab")
  end
  return found.question, found.answer, found.check, level
end

--- The exercise's checks, in a notebook only: the Check tab's block (made a
--- placeholder by coursebuild.source) after what is kept, without its header.
--- The site and other formats show the exercise as before, without them.
local function with_checks(blocks, check)
  if check and format_key == "ipynb" then
    blocks:extend(check.content)
  end
  return blocks
end

local function with_heading(tab)
  local blocks = pandoc.Blocks({ tab.header })
  blocks:extend(tab.content)
  return blocks
end

local function qna(div)
  if not div.classes:includes("qna") then
    return nil
  end
  count = count + 1
  local where = support.where(div, "qna", count)
  local question, answer, check, level = parts(div, where)

  local show = targets[format_key] or "both"
  if div.attributes.show then
    show = check_choice(div.attributes.show, where, "show")
  end
  if format_key and div.attributes[format_key] then
    show = check_choice(div.attributes[format_key], where, format_key)
  end

  if show == "question" then
    return with_checks(with_heading(question), check)
  elseif show == "answer" then
    return with_checks(with_heading(answer), check)
  end
  if quarto then
    return tabset.render({
      { key = "question", title = question.header.content, content = question.content },
      { key = "answer", title = answer.header.content, content = answer.content },
    }, {
      level = level,
      active = "question",
      classes = { "qna" },
    })
  end
  local blocks = with_heading(question)
  blocks:extend(with_heading(answer))
  return with_checks(blocks, check)
end

local function finish()
  support.finish("qna")
  return nil
end

return {
  { Meta = read_options },
  { Div = support.guard(qna) },
  { Pandoc = finish },
}
