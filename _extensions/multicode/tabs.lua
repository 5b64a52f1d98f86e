--[[
tabs.lua: read a tabbed div (`::: multicode`, `::: qna`) into its tabs, and
check a multicode div's tabs against the course's languages.

Shared by multicode.lua and qna.lua (loaded with `dofile`, not a filter), so
the site and the notebook build read tabs the same way. Problems go through
support.lua (`fail`: the caller's `guard` reports them).

Copyright (c) the course authors. MIT licence.
]]

local stringify = pandoc.utils.stringify

local M = {}

--- Load with the support module the caller uses (its problem count and options).
function M.new(support)
  local T = {}
  local S = support

  --- Split a div's content into tabs at the first header level found among
  --- its direct children. Returns a List of {title, header, content} and the
  --- tab level; fails on content before the first tab header or on a div
  --- without headers. `tag` names the extension in error messages.
  function T.split_tabs(div, where, tag, example)
    local level
    for _, block in ipairs(div.content) do
      if block.t == "Header" then
        level = block.level
        break
      end
    end
    if not level then
      S.fail(where, tag, "no tab headers in the block", "one header per tab, such as \"" .. example .. "\"")
    end
    local tabs = pandoc.List()
    for _, block in ipairs(div.content) do
      if block.t == "Header" and block.level == level then
        tabs:insert({ title = stringify(block.content), header = block, content = pandoc.Blocks({}) })
      elseif #tabs == 0 then
        S.fail(where, tag, "content before the first tab header (" .. block.t .. ")",
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
      if pandoc.text.lower(id) == wanted or pandoc.text.lower(S.label(opts, id)) == wanted then
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

  --- A chunk (an executable cell: class `cell` in the build, `cell-code` from
  --- knitr) in another declared language than its tab's would run in the
  --- wrong notebook, or in none: fail, naming the chunk's line when known.
  local function foreign_chunk(tab, lang, opts, where)
    tab.content:walk({
      CodeBlock = function(block)
        if not (block.classes:includes("cell") or block.classes:includes("cell-code")) then
          return nil
        end
        for _, id in ipairs(opts.languages) do
          if id ~= lang and block.classes:includes(id) then
            local line = block.attributes["data-source-line"]
            local at = line and { file = block.attributes["data-source-file"] or where.file,
                                  line = tonumber(line) } or where
            S.fail(at, "multicode", "a chunk in " .. S.label(opts, id) .. " in the \"" .. tab.title
              .. "\" tab", "each tab's chunks in its own language (move it to the "
              .. S.label(opts, id) .. " tab)")
          end
        end
        return nil
      end,
    })
  end

  --- Validate a multicode div against its options (see `div_options`).
  --- Returns the tabs in declared language order, each with `lang` set.
  function T.multicode_tabs(div, opts, where)
    local tabs, level = T.split_tabs(div, where, "multicode", "#### " .. S.label(opts, opts.languages[1]))
    local declared = {}
    for _, id in ipairs(opts.languages) do
      declared[#declared + 1] = id .. " (" .. S.label(opts, id) .. ")"
    end
    declared = table.concat(declared, ", ")
    local by_lang = {}
    for _, tab in ipairs(tabs) do
      local lang = language_of(tab.title, opts)
      if not lang and not tab.title:match("%S") then
        -- A header with no text (only a logo image): the language of its code.
        lang = language_of_code(tab.content, opts)
        if not lang then
          S.fail(where, "multicode", "a tab header with no text, and no code of one declared language "
            .. "to tell its language", "the language's name in the header, such as \"#### "
            .. S.label(opts, opts.languages[1]) .. "\" (a logo may stay before it)")
        end
        tab.title = S.label(opts, lang)
      end
      if not lang then
        S.fail(where, "multicode", "unknown language \"" .. tab.title .. "\" in a tab header",
          "one of the declared languages: " .. declared)
      end
      if by_lang[lang] then
        S.fail(where, "multicode", "language \"" .. lang .. "\" has two tabs",
          "exactly one tab per language: " .. declared)
      end
      if not has_code(tab.content) then
        S.fail(where, "multicode", "tab \"" .. tab.title .. "\" has no code block",
          "at least one code block in every tab")
      end
      foreign_chunk(tab, lang, opts, where)
      tab.lang = lang
      by_lang[lang] = tab
    end
    local ordered = pandoc.List()
    for _, id in ipairs(opts.languages) do
      if not by_lang[id] then
        S.fail(where, "multicode", "no tab for language \"" .. id .. "\"",
          "one tab per declared language: " .. declared)
      end
      ordered:insert(by_lang[id])
    end
    return ordered, level
  end

  return T
end

return M
