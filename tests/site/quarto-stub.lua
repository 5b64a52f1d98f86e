--[[
quarto-stub.lua: a minimal stand-in for the parts of Quarto's Lua API that
notebook-outputs uses, so its Quarto branch runs under plain pandoc in tests.

Environment: QUARTO_STUB_FILTER (the filter to run), QUARTO_STUB_INPUT
(quarto.doc.input_file), QUARTO_STUB_ROOT (quarto.project.directory).
]]

quarto = {
  doc = {
    input_file = os.getenv("QUARTO_STUB_INPUT"),
    is_format = function(name)
      if name == "html" then return FORMAT:match("html") ~= nil end
      return FORMAT == name
    end,
  },
  project = { directory = os.getenv("QUARTO_STUB_ROOT") },
  log = {
    warning = function(message) io.stderr:write("QUARTO-WARNING ", message, "\n") end,
  },
}

return dofile(os.getenv("QUARTO_STUB_FILTER"))
