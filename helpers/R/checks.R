# Self-checks for a notebook's exercises: feedback for the student, never the answer.
# The R twin of helpers/checks.py (same kinds, same words, same keys):
#
#   check("icc_la", number = 0.001, key = "3f0c5e81aa")
#
# looks `icc_la` up where it is called, checks its form (a number, a data frame with
# these columns, a fitted model with this coefficient, a ggplot, ...) and, with a key,
# its value against the worked answer's (hashes of the values rounded to the
# tolerance: sha256 of "name|label|round(v / tol)"); it prints what passed, what did
# not and a hint, and never stops the notebook. Without a key (the answers notebook)
# a form that does not hold is an error, and the measured value is kept for the build
# (check_recorded()).

.checks <- new.env(parent = emptyenv())
.checks$recorded <- list()
.check_kinds <- c("number", "numbers", "table", "model", "plot", "choice", "logical")
.key_length <- 10

check <- function(name, number = NULL, numbers = NULL, table = NULL, rows = NULL,
                  values = NULL, model = NULL, plot = NULL, choice = NULL, logical = NULL,
                  hint = "", key = NULL) {
  spec <- list(number = number, numbers = numbers, table = table, model = model,
               plot = plot, choice = choice, logical = logical)
  spec <- spec[!vapply(spec, is.null, logical(1))]
  if (length(spec) != 1) stop("check() takes exactly one kind of: ", paste(.check_kinds, collapse = ", "))
  if (!is.null(rows)) spec$rows <- rows
  if (!is.null(values)) spec$values <- values
  env <- parent.frame()
  # inherits = FALSE: an unanswered `plot` must not find base R's plot()
  value <- if (exists(name, envir = env, inherits = FALSE)) get(name, envir = env) else quote(.missing)
  measured <- .check_measure(value, spec)
  if (is.null(key)) {
    if (!is.null(measured$problem)) stop(name, " (worked answer): ", measured$problem, call. = FALSE)
    .checks$recorded[[name]] <- measured$data
    cat(sprintf("\u2713 %s: %s (the worked answer; your notebook checks yours)\n", name,
                .check_describe(spec)))
    return(invisible(TRUE))
  }
  problem <- measured$problem
  if (is.null(problem)) {
    wrong <- .check_mismatches(name, spec, measured$data, key)
    if (is.null(wrong)) {
      problem <- paste0("its shape is not the worked answer's (", .check_describe(spec), ")")
    } else if (nzchar(wrong)) {
      problem <- paste0(.check_describe(spec), ", but ", wrong, " not the worked answer's",
                        .check_within(spec))
    }
  }
  if (!is.null(problem)) {
    cat(sprintf("%s: not yet. %s%s.%s\n", name, toupper(substr(problem, 1, 1)),
                substring(problem, 2), if (nzchar(hint)) paste0(" Hint: ", hint) else ""))
    return(invisible(FALSE))
  }
  cat(sprintf("\u2713 %s: %s, as the worked answer%s\n", name, .check_describe(spec),
              .check_within(spec)))
  invisible(TRUE)
}

# What the worked answers' checks measured, as JSON (the build reads it).
check_recorded <- function() {
  cat(jsonlite::toJSON(.checks$recorded, auto_unbox = TRUE, digits = NA, null = "null"), "\n")
}

.check_kind <- function(spec) .check_kinds[.check_kinds %in% names(spec)][1]

.check_describe <- function(spec) {
  switch(.check_kind(spec),
    number = "a number",
    numbers = "a list of numbers",
    table = paste0("a table (data frame) with columns ", paste(spec$table, collapse = ", "),
                   if (!is.null(spec$rows)) paste0(" and ", spec$rows, " rows") else ""),
    model = paste0("a fitted model with a coefficient for ", paste(names(spec$model), collapse = ", ")),
    plot = "a plot (a ggplot)",
    choice = paste0("one of: ", paste(spec$choice, collapse = ", ")),
    logical = "TRUE or FALSE"
  )
}

.check_what <- function(value) {
  kind <- class(value)[1]
  paste0(if (grepl("^[aeiouAEIOU]", kind)) "an " else "a ", kind)
}

.check_measure <- function(value, spec) {
  kind <- .check_kind(spec)
  if (identical(value, quote(.missing))) {
    return(list(problem = paste0("it is not defined: run your answer's cell, which defines it as ",
                                 .check_describe(spec))))
  }
  if (is.null(value)) {
    return(list(problem = paste0("replace the NULL with your answer: ", .check_describe(spec))))
  }
  wrong <- function(why) list(problem = paste0("expected ", .check_describe(spec), "; ", why))
  if (kind == "number") {
    if (is.logical(value)) return(wrong("it is TRUE or FALSE"))
    if (!is.numeric(value)) return(wrong(paste0("it is ", .check_what(value))))
    if (length(value) != 1) return(wrong(paste0("it holds ", length(value), " values")))
    if (!is.finite(value)) return(wrong("it is not a finite number"))
    return(list(data = as.numeric(value)))
  }
  if (kind == "numbers") {
    if (!is.numeric(value)) return(wrong(paste0("it is ", .check_what(value))))
    return(list(data = I(as.numeric(unname(value)))))  # I(): a JSON list even of one
  }
  if (kind == "table") {
    if (!is.data.frame(value)) return(wrong(paste0("it is ", .check_what(value))))
    lacking <- setdiff(spec$table, names(value))
    if (length(lacking)) return(wrong(paste0("it lacks the column(s) ", paste(lacking, collapse = ", "))))
    if (!is.null(spec$rows) && nrow(value) != spec$rows) return(wrong(paste0("it has ", nrow(value), " rows")))
    data <- list(rows = nrow(value), values = list())
    for (column in names(spec$values)) data$values[[column]] <- I(as.numeric(value[[column]]))
    return(list(data = data))
  }
  if (kind == "model") {
    coefs <- if (inherits(value, "merMod")) lme4::fixef(value) else tryCatch(stats::coef(value), error = function(e) NULL)
    if (is.null(coefs) || is.null(names(coefs)) || !is.numeric(coefs)) {
      return(wrong(paste0("it is ", .check_what(value), ", not a fitted model")))
    }
    lacking <- setdiff(names(spec$model), names(coefs))
    if (length(lacking)) return(wrong(paste0("its model has no coefficient ", paste(lacking, collapse = ", "))))
    return(list(data = as.list(coefs[names(spec$model)])))
  }
  if (kind == "plot") {
    if (!inherits(value, "ggplot")) return(wrong(paste0("it is ", .check_what(value))))
    return(list(data = TRUE))
  }
  if (kind == "choice") {
    if (!is.character(value) || length(value) != 1) return(wrong(paste0("it is ", .check_what(value), ", not a word")))
    word <- tolower(trimws(value))
    if (!word %in% tolower(trimws(spec$choice))) return(wrong(paste0("'", value, "' is not one of them")))
    return(list(data = word))
  }
  if (!is.logical(value) || length(value) != 1 || is.na(value)) return(wrong(paste0("it is ", .check_what(value))))
  list(data = value)
}

.check_within <- function(spec) {
  tolerances <- c(spec$number, spec$numbers, unlist(spec$values), unlist(spec$model))
  if (length(tolerances)) sprintf(" (within %s)", format(max(tolerances), digits = 6)) else ""
}

# The compared values of a measured answer: list of (label, value, tolerance or NA).
.check_items <- function(spec, data) {
  kind <- .check_kind(spec)
  item <- function(label, value, tol) list(label = label, value = value, tol = tol)
  switch(kind,
    number = list(item("", data, spec$number)),
    numbers = lapply(seq_along(data), function(i) item(as.character(i - 1), data[[i]], spec$numbers)),
    table = {
      out <- list()
      for (column in sort(names(spec$values), method = "radix")) {  # radix: C order, as Python
        for (i in seq_along(data$values[[column]])) {
          out[[length(out) + 1]] <- item(paste0(column, ":", i - 1), data$values[[column]][[i]],
                                         spec$values[[column]])
        }
      }
      out
    },
    model = lapply(sort(names(spec$model), method = "radix"),
                   function(t) item(t, data[[t]], spec$model[[t]])),
    plot = list(),
    choice = list(item("", data, NA)),
    logical = list(item("", if (isTRUE(data)) "true" else "false", NA))
  )
}

.check_token <- function(value, tol) {
  if (is.na(tol)) return(as.character(value))
  format(floor(as.numeric(value) / tol + 0.5), scientific = FALSE, trim = TRUE)
}

.check_digest <- function(name, label, text) {
  substr(digest::digest(paste0(name, "|", label, "|", text), algo = "sha256", serialize = FALSE),
         1, .key_length)
}

# The key of a measured answer (what the build writes into a student's notebook).
check_key <- function(name, spec, data) {
  parts <- vapply(.check_items(spec, data), function(it) {
    .check_digest(name, it$label, .check_token(it$value, it$tol))
  }, character(1))
  paste(parts, collapse = ".")
}

.check_mismatches <- function(name, spec, data, key) {
  wanted <- if (nzchar(key)) strsplit(key, ".", fixed = TRUE)[[1]] else character()
  found <- .check_items(spec, data)
  if (length(found) != length(wanted)) return(NULL)
  wrong <- character()
  for (i in seq_along(found)) {
    it <- found[[i]]
    if (is.na(it$tol)) {
      ok <- .check_digest(name, it$label, .check_token(it$value, it$tol)) == wanted[[i]]
    } else {
      k <- as.numeric(.check_token(it$value, it$tol))
      ok <- any(vapply(c(0, -1, 1), function(d) {
        .check_digest(name, it$label, format(k + d, scientific = FALSE, trim = TRUE)) == wanted[[i]]
      }, logical(1)))
    }
    if (!ok) wrong <- c(wrong, it$label)
  }
  if (!length(wrong)) return("")
  if (.check_kind(spec) %in% c("number", "choice", "logical")) return("it is")
  sprintf("%d of %d values are", length(wrong), length(found))
}
