# Numbers shown at the precision a fit determines: the R twin of helpers/precision.py.
#
# Usage: library(qmhelpers)  (this file is part of the package; see coursebuild/release.py)
#   significant(x, digits)                  text, `digits` significant digits, no exponent
#   variance_text(v, residual, digits)      the same, or "0 (on the boundary)"
#   significant_table(frame, digits)        a data frame as text, digits per column
#   format_p2(p)                            a p-value to 2 significant digits ("0.0020")
#   format_df(df)                           degrees of freedom: 1 decimal below 10, whole above
# An iterative fit (lme4) ends a little differently after another start or in another R
# session: a digit that moves then is not a result, so the sessions print such numbers
# with these, to as many digits as stay put. A variance below 1e-6 of the residual
# variance is on the boundary: its printed value would be the optimizer's noise.

qm_boundary <- 1e-6  # a variance below this share of the residual variance is 0

# `x` to `digits` significant digits as fixed-point text: "0.0036", "0.060", "76.5";
# numbers with more integer digits keep them all ("1234"); NA gives "".
significant <- function(x, digits) {
  if (digits < 1) stop("significant: digits must be at least 1, got ", digits)
  labels <- names(x)
  x <- as.numeric(x)
  out <- character(length(x))
  ok <- !is.na(x) & x != 0
  decimals <- pmax(digits - 1 - floor(log10(abs(x[ok]))), 0)
  out[ok] <- sprintf("%.*f", as.integer(decimals), x[ok])
  out[!is.na(x) & x == 0] <- "0"
  names(out) <- labels
  out
}

variance_text <- function(variance, residual, digits) {
  out <- significant(variance, digits)
  out[variance < qm_boundary * residual] <- "0 (on the boundary)"
  out
}

# A data frame as text, each column to its significant digits: one number for all, or a
# named vector (columns not named, and text columns, are kept as they are).
significant_table <- function(frame, digits) {
  out <- as.data.frame(frame)
  for (column in names(out)) {
    wanted <- if (is.null(names(digits))) digits else digits[column]
    # text columns stay as they are (as in Python)
    if (!is.na(wanted) && is.numeric(out[[column]])) out[[column]] <- significant(out[[column]], wanted)
  }
  out
}

format_df <- function(df) if (df < 10) sprintf("%.1f", df) else sprintf("%.0f", df)

format_p2 <- function(p) {
  if (p < 0.001) return(sprintf("%.1e", p))
  sprintf("%.*f", as.integer(1 - floor(log10(p))), p)
}
