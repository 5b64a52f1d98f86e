# The schools session's data in R: the same rows and columns as helpers/tables.py.
#
# Usage (the path from a notebook in notebooks/r/; from a sessions/ chunk it is
# "../helpers/R/schools.R"):
#   source("../../helpers/R/schools.R")    # path to this file
#   schools <- load_schools()                # QM_DATA_DIR, else the user's cache folder
#   table <- analysis_table(schools)         # THE rows every model uses
#
# The rules (NA codes, rating order, required and logged columns, census choices) are
# read from helpers/schools.json, the file the Python helpers read, so both languages
# fit the same rows. Files are checked against the SHA-256 in helpers/registry.txt when
# the R package `digest` is installed (Debian: r-cran-digest); otherwise R skips the
# check and says so (the Python helpers always verify). Needs: jsonlite.

# Where schools.json and registry.txt are. In the installed R package qmhelpers: its
# extdata folder (NULL here). Sourced from a checkout: the helpers/ folder above this file.
.qm_helpers_dir <- local({
  here <- NULL
  if (!isNamespace(topenv(environment()))) {
    here <- tryCatch(dirname(dirname(normalizePath(sys.frame(1)$ofile))), error = function(e) NULL)
    if (is.null(here) || !file.exists(file.path(here, "schools.json"))) {
      dir <- normalizePath(getwd())
      here <- NULL
      repeat {
        if (file.exists(file.path(dir, "helpers", "schools.json"))) {
          here <- file.path(dir, "helpers")
          break
        }
        parent <- dirname(dir)
        if (parent == dir) break
        dir <- parent
      }
    }
    if (is.null(here)) stop("schools.R: cannot find helpers/schools.json; source() this file by its path")
  }
  here
})

.qm_file <- function(name) {
  if (is.null(.qm_helpers_dir)) {
    return(system.file("extdata", name, package = "qmhelpers", mustWork = TRUE))
  }
  file.path(.qm_helpers_dir, name)
}

qm_rules <- function() {
  jsonlite::fromJSON(.qm_file("schools.json"), simplifyVector = TRUE)
}

# Cache folder: QM_DATA_DIR when set, else the folder pooch.os_cache("qm-course") uses.
qm_data_dir <- function() {
  env <- Sys.getenv("QM_DATA_DIR", "")
  if (nzchar(env)) return(path.expand(env))
  sysname <- Sys.info()[["sysname"]]
  if (sysname == "Darwin") return(path.expand("~/Library/Caches/qm-course"))
  if (sysname == "Windows") return(file.path(Sys.getenv("LOCALAPPDATA"), "qm-course", "Cache"))
  file.path(Sys.getenv("XDG_CACHE_HOME", path.expand("~/.cache")), "qm-course")
}

qm_registry <- function() {
  lines <- trimws(sub("#.*$", "", readLines(.qm_file("registry.txt"))))
  parts <- strsplit(lines[nzchar(lines)], "[[:space:]]+")
  data.frame(
    name = vapply(parts, `[`, "", 1),
    sha256 = vapply(parts, `[`, "", 2),
    url = vapply(parts, `[`, "", 3),
    stringsAsFactors = FALSE
  )
}

# Path to a verified registered file; downloads it when absent.
qm_fetch <- function(name, data_dir = qm_data_dir()) {
  reg <- qm_registry()
  if (!name %in% reg$name) {
    stop(sprintf("Unknown data file '%s'. Known files: %s", name, paste(sort(reg$name), collapse = ", ")))
  }
  entry <- reg[reg$name == name, ]
  path <- file.path(data_dir, name)
  if (!file.exists(path)) {
    dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)
    ok <- tryCatch(utils::download.file(entry$url, path, mode = "wb", quiet = TRUE) == 0,
                   error = function(e) FALSE, warning = function(w) FALSE)
    if (!ok) {
      if (file.exists(path)) unlink(path)
      stop(sprintf(paste0("Data file %s is not in %s and could not be downloaded. Download it from %s ",
                          "and save it as %s, or set the environment variable QM_DATA_DIR to a folder ",
                          "that holds it."), name, data_dir, entry$url, path))
    }
  }
  if (requireNamespace("digest", quietly = TRUE)) {
    actual <- digest::digest(file = path, algo = "sha256")
    if (!identical(actual, entry$sha256)) {
      stop(sprintf("Hash mismatch for %s at %s: expected sha256 %s, got %s.", name, path, entry$sha256, actual))
    }
  } else {
    message("schools.R: package 'digest' not installed; ", name, " not hash-checked (Python verifies it)")
  }
  path
}

.qm_read_csv <- function(path, rules) {
  classes <- setNames(rep("character", length(rules$text_columns)), rules$text_columns)
  frame <- utils::read.csv(path, na.strings = rules$na_values, colClasses = classes,
                           check.names = FALSE, stringsAsFactors = FALSE, encoding = "UTF-8",
                           fileEncoding = "UTF-8-BOM")
  for (col in names(frame)) {
    values <- frame[[col]]
    if (is.character(values)) {
      present <- values[!is.na(values)]
      if (length(present) && all(grepl("^\\s*-?[0-9]+(\\.[0-9]+)?\\s*%\\s*$", present))) {
        frame[[col]] <- as.numeric(sub("%", "", values, fixed = TRUE))
      }
    }
  }
  frame
}

.qm_require <- function(frame, columns, where) {
  missing <- setdiff(columns, names(frame))
  if (length(missing)) {
    stop(sprintf("%s: missing column(s) %s. Existing columns: %s", where,
                 paste(missing, collapse = ", "), paste(names(frame), collapse = ", ")))
  }
}

# Gorard segregation index per group: 0.5 * sum_i |m_i/M - t_i/T| (see helpers/transforms.py).
gorard_index <- function(frame, group, minority, total) {
  .qm_require(frame, c(group, minority, total), "gorard_index")
  frame <- frame[stats::complete.cases(frame[, c(group, minority, total)]), ]
  m <- as.numeric(frame[[minority]])
  t <- as.numeric(frame[[total]])
  if (any(m < 0) || any(t < 0)) stop("gorard_index: counts must be >= 0")
  if (any(m > t)) stop("gorard_index: the minority count must be part of the total")
  sapply(split(seq_along(m), frame[[group]]), function(i) {
    big_m <- sum(m[i])
    big_t <- sum(t[i])
    if (big_m == 0 || big_t == 0) return(NA_real_)
    0.5 * sum(abs(m[i] / big_m - t[i] / big_t))
  })
}

.qm_sorted_factor <- function(x) factor(x, levels = sort(unique(x[!is.na(x)]), method = "radix"))

# The census's state-funded secondary schools with an LA code and both FSM-ever counts.
.qm_census_secondary <- function(data_dir = qm_data_dir()) {
  rules <- qm_rules()
  census <- .qm_read_csv(qm_fetch(rules$census_file, data_dir), rules)
  la <- rules$census_la_column
  keep <- !is.na(census[[la]]) & census[[rules$census_phase_column]] %in% rules$census_phase_value &
    stats::complete.cases(census[, c(rules$census_minority, rules$census_total)])
  census[keep, ]
}

# Which schools the Gorard segregation index is computed from (as segregation_coverage() in
# helpers/tables.py): schools, authorities, schools per authority, the index's range, and
# with `table` (analysis_table()) how many of its schools are among them (by URN).
segregation_coverage <- function(table = NULL, data_dir = qm_data_dir()) {
  rules <- qm_rules()
  secondary <- .qm_census_secondary(data_dir)
  per_la <- table(secondary[[rules$census_la_column]])
  index <- gorard_index(secondary, rules$census_la_column, rules$census_minority,
                        rules$census_total)
  out <- list(schools = nrow(secondary), authorities = length(per_la),
              per_la_min = min(per_la), per_la_median = stats::median(per_la),
              per_la_max = max(per_la), index_min = min(index), index_max = max(index))
  if (!is.null(table)) out$in_table <- sum(as.character(table$URN) %in% as.character(secondary$URN))
  out
}

load_schools <- function(data_dir = qm_data_dir()) {
  rules <- qm_rules()
  schools <- .qm_read_csv(qm_fetch(rules$schools_file, data_dir), rules)
  .qm_require(schools, c(rules$rating_column, rules$region_column, rules$la_name_column,
                         rules$la_code_column), rules$schools_file)
  rating <- schools[[rules$rating_column]]
  unknown <- !is.na(rating) & !rating %in% rules$rating_order
  if (any(unknown)) {
    warning(sprintf("%s: %d values outside the rating order set to missing: %s", rules$rating_column,
                    sum(unknown), paste(sort(unique(rating[unknown])), collapse = ", ")))
  }
  schools[[rules$rating_column]] <- factor(rating, levels = rules$rating_order, ordered = TRUE)
  for (col in rules$categorical_columns) schools[[col]] <- .qm_sorted_factor(schools[[col]])

  la <- rules$census_la_column
  gorard <- gorard_index(.qm_census_secondary(data_dir), la, rules$census_minority,
                         rules$census_total)
  code <- as.character(as.integer(schools[[rules$la_code_column]]))
  successors <- rules$census_la_successors
  replace <- code %in% names(successors)
  code[replace] <- as.character(unlist(successors[code[replace]]))
  schools$gorard_segregation <- unname(gorard[code])
  if (anyNA(schools$gorard_segregation)) {
    warning(sprintf("gorard_segregation missing for %d schools (LA not in census)",
                    sum(is.na(schools$gorard_segregation))))
  }
  nested <- paste0(as.character(schools[[rules$region_column]]), ":",
                   as.character(schools[[rules$la_name_column]]))
  schools[[rules$nested_column]] <- .qm_sorted_factor(nested)
  schools
}

# THE rows every model of the schools session uses (rule: helpers/schools.json).
analysis_table <- function(schools = load_schools()) {
  rules <- qm_rules()
  if (!identical(rules$log_rule, "drop")) stop("analysis_table: unknown log rule ", rules$log_rule)
  .qm_require(schools, rules$required_columns, "analysis_table")
  rows_in <- nrow(schools)
  complete <- schools[stats::complete.cases(schools[, rules$required_columns]), ]
  dropped <- vapply(rules$log_columns, function(col) sum(complete[[col]] <= 0), 0)
  keep <- Reduce(`&`, lapply(rules$log_columns, function(col) complete[[col]] > 0))
  out <- complete[keep, ]
  for (col in rules$log_columns) out[[paste0("log_", col)]] <- log(out[[col]])
  out <- droplevels(out)
  rownames(out) <- NULL
  attr(out, "rows_in") <- rows_in
  attr(out, "dropped_missing") <- rows_in - nrow(complete)
  attr(out, "dropped_nonpositive") <- dropped
  attr(out, "rows_out") <- nrow(out)
  message(sprintf(
    "analysis_table: %d schools in, %d dropped for missing values, %d for values <= 0 before a log (%s), %d rows out",
    rows_in, rows_in - nrow(complete), nrow(complete) - nrow(out),
    paste(sprintf("%s: %d", names(dropped), dropped), collapse = ", "), nrow(out)
  ))
  out
}
