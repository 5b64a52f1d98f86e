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

  census <- .qm_read_csv(qm_fetch(rules$census_file, data_dir), rules)
  la <- rules$census_la_column
  secondary <- census[!is.na(census[[la]]) &
                        census[[rules$census_phase_column]] %in% rules$census_phase_value, ]
  gorard <- gorard_index(secondary, la, rules$census_minority, rules$census_total)
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

# ---------------------------------------------------------------------------------------
# Tests, words and intervals for the mixed-models session (twins of helpers/mixed.py).

# Likelihood-ratio test from two REML criteria (same fixed effects). With boundary = TRUE
# the null hypothesis puts one variance at 0, and the reference distribution is the 50:50
# mixture of chi-square(df - 1) and chi-square(df) (chi-square(0): a point mass at 0).
reml_lrt <- function(criterion_small, criterion_big, df, boundary) {
  if (df < 1) stop("reml_lrt: df must be at least 1, got ", df)
  statistic <- criterion_small - criterion_big
  if (boundary) {
    low <- if (df == 1) as.numeric(statistic <= 0) else pchisq(statistic, df - 1, lower.tail = FALSE)
    p <- 0.5 * low + 0.5 * pchisq(statistic, df, lower.tail = FALSE)
    reference <- sprintf("50:50 mixture of chi-square(%d) and chi-square(%d)", df - 1, df)
  } else {
    p <- pchisq(statistic, df, lower.tail = FALSE)
    reference <- sprintf("chi-square(%d)", df)
  }
  list(statistic = statistic, df = df, p = min(p, 1), reference = reference)
}

# The word the session's prose uses for a test.
verdict <- function(p, alpha = 0.05) {
  if (!(p >= 0 && p <= 1)) stop("verdict: p must lie in [0, 1], got ", p)
  if (p < alpha) "supported" else "not supported"
}

# Which random-effect structure the tests support (words as in helpers/mixed.py): the
# slope when its test is significant, the correlation too unless that fit is singular.
kept_structure <- function(slope_p, correlation_p, correlated_singular) {
  if (verdict(slope_p) != "supported") return("random intercepts only")
  if (verdict(correlation_p) == "supported" && !correlated_singular) {
    return("correlated random slopes")
  }
  "uncorrelated random slopes"
}

# Profile interval for the ICC of a one-factor random-intercept lmer fit. Like lme4's
# confint(method = "profile") it profiles the maximum likelihood (lme4 refits REML models
# by ML to profile): the ICC is tau^2 / (tau^2 + sigma^2) = theta^2 / (1 + theta^2), a
# monotone function of theta = tau / sigma, and lme4's deviance function of theta is
# already minimised over the fixed effects and sigma, so its profile is the ICC's.
icc_profile <- function(fit, level = 0.95) {
  if (length(lme4::getME(fit, "theta")) != 1) stop("icc_profile: one random intercept only")
  devfun <- suppressMessages(lme4::lmer(formula(fit), data = model.frame(fit), REML = FALSE,
                                        devFunOnly = TRUE))
  best <- optimize(devfun, c(0, 100), tol = 1e-10)
  cut <- best$objective + qchisq(level, 1)
  f <- function(theta) devfun(theta) - cut
  lower <- if (f(0) < 0) 0 else uniroot(f, c(0, best$minimum), tol = 1e-12)$root
  upper <- uniroot(f, c(best$minimum, 1e3), tol = 1e-12)$root
  to_icc <- function(theta) theta^2 / (1 + theta^2)
  c(estimate = to_icc(best$minimum), lower = to_icc(lower), upper = to_icc(upper))
}

# Marginal and conditional R squared (Nakagawa and Schielzeth 2013) of an lmer fit with
# random intercepts and independent random slopes, on the model's scale: fixed-effect
# prediction variance (var(), n - 1) over fixed + random + residual variance, and
# (fixed + random) over the same total. A term's random variance is var * sum(Z^2) / n:
# its variance for an intercept, var * mean(x^2) for a slope on x (Johnson 2014).
r2_nakagawa <- function(fit) {
  cnms <- lme4::getME(fit, "cnms")
  if (any(lengths(cnms) > 1)) {
    stop("r2_nakagawa: correlated random slopes are not supported (use || or separate terms)")
  }
  vars <- vapply(lme4::VarCorr(fit), function(v) v[1, 1], 0)
  norms <- vapply(lme4::getME(fit, "Ztlist"), function(z) sum(z^2), 0)
  sf2 <- var(as.vector(predict(fit, re.form = NA)))
  su2 <- sum(vars * norms) / lme4::getME(fit, "n")
  se2 <- sigma(fit)^2
  total <- sf2 + su2 + se2
  c(marginal = sf2 / total, conditional = (sf2 + su2) / total)
}
