# OLS helpers for the regression sessions (06 to 08): the R twin of helpers/regression.py.
#
# Usage: library(qmhelpers)  (this file is part of the package; see coursebuild/release.py)
#   gvif(fit)                      generalised VIF per term (what car::vif reports)
#   estimate_lines(name, fit)      the CI's parity lines: model<TAB>quantity<TAB>value
#   format_p(p), histograms(...)   a p-value for a sentence; histograms with mean and median
#   skewness(x)                    sample skewness, as scipy.stats.skew in Python
#   print_row_counts(table)        what analysis_table() kept and dropped, as in Python
# Base R only (car is not among the course's packages); histograms() needs ggplot2.

# Generalised VIF of each term: det(R_term) det(R_rest) / det(R), R the correlation matrix of
# the design columns without the intercept (Fox and Monette 1992). One-column terms: 1/(1-R2_j).
gvif <- function(fit) {
  X <- stats::model.matrix(fit)
  assign <- attr(X, "assign")
  if (!any(assign == 0)) stop("gvif: the model has no intercept; GVIF is defined with one")
  labels <- attr(stats::terms(fit), "term.labels")
  if (length(labels) < 2) stop("gvif: needs at least two terms")
  keep <- assign != 0
  R <- stats::cor(X[, keep, drop = FALSE])
  assign <- assign[keep]
  logdet <- function(m) as.numeric(determinant(m, logarithm = TRUE)$modulus)
  all <- logdet(R)
  out <- t(vapply(seq_along(labels), function(j) {
    inside <- assign == j
    value <- exp(logdet(R[inside, inside, drop = FALSE]) +
                   logdet(R[!inside, !inside, drop = FALSE]) - all)
    c(GVIF = value, df = sum(inside), `GVIF^(1/(2*df))` = value^(1 / (2 * sum(inside))))
  }, numeric(3)))
  rownames(out) <- labels
  as.data.frame(out, check.names = FALSE)
}

# Sample skewness: the mean cubed deviation over the cubed population standard deviation
# (0 for a symmetric distribution, positive for a long right tail). The same number as
# scipy.stats.skew(x) in Python (its default, bias = True); NAs are an error, not dropped.
skewness <- function(x) {
  if (anyNA(x)) stop("skewness: x has missing values")
  centred <- x - mean(x)
  mean(centred^3) / mean(centred^2)^1.5
}

# What analysis_table() kept and dropped, one count a line (as print_row_counts in Python):
# the schools in the file, those missing a model variable, those with a value <= 0 in a
# logged column (one line each), and the rows every model uses.
print_row_counts <- function(table) {
  if (is.null(attr(table, "rows_in"))) stop("print_row_counts: not a table from analysis_table()")
  counts <- c(attr(table, "rows_in"), attr(table, "dropped_missing"),
              attr(table, "dropped_nonpositive"), nrow(table))
  dropped <- names(attr(table, "dropped_nonpositive"))
  labels <- c("Schools in the file", "Dropped, a model variable missing",
              sprintf("Dropped, %s <= 0 (no log)", dropped), "Rows every model uses")
  width <- max(nchar(labels)) + 2
  cat(sprintf("%-*s%5d\n", width, paste0(labels, ":"), as.integer(counts)), sep = "")
  invisible(counts)
}

# A p-value as a sentence shows it (as format_p in Python): "p < 0.001" below that
format_p <- function(p) if (p < 0.001) "p < 0.001" else sprintf("p = %.3f", p)

# One line per estimate of an lm fit, 9 significant digits (as estimate_lines in Python)
estimate_lines <- function(name, fit, extra = list()) {
  s <- summary(fit)
  b <- stats::coef(fit)
  values <- c(list(n = stats::nobs(fit)),
              stats::setNames(as.list(b), paste0("coef:", names(b))),
              list(r2 = s$r.squared, adj_r2 = s$adj.r.squared, sigma = s$sigma),
              extra)
  sprintf("%s\t%s\t%.9g", name, names(values), vapply(values, as.numeric, 0))
}

# One histogram per column (as a density) with its mean, median and normal curve: the
# panels helpers.regression.histograms() draws in Python. `columns`: named vector
# column = panel title (or unnamed: the columns). Needs ggplot2.
histograms <- function(data, columns, ncol = 2, bins = 40) {
  titles <- if (is.null(names(columns))) stats::setNames(columns, columns) else columns
  long <- do.call(rbind, lapply(names(titles), function(col) {
    x <- data[[col]]
    data.frame(panel = titles[[col]], x = x[is.finite(x)])
  }))
  long$panel <- factor(long$panel, levels = unname(titles))
  parts <- split(long$x, long$panel)
  marks <- do.call(rbind, lapply(names(parts), function(p) data.frame(
    panel = p, what = c("Mean", "Median"),
    value = c(mean(parts[[p]]), stats::median(parts[[p]])))))
  marks$panel <- factor(marks$panel, levels = levels(long$panel))
  curves <- do.call(rbind, lapply(names(parts), function(p) {
    x <- parts[[p]]
    grid <- seq(min(x), max(x), length.out = 200)
    data.frame(panel = p, x = grid, y = stats::dnorm(grid, mean(x), stats::sd(x)))
  }))
  curves$panel <- factor(curves$panel, levels = levels(long$panel))
  ggplot2::ggplot(long, ggplot2::aes(x = x)) +
    ggplot2::geom_histogram(ggplot2::aes(y = ggplot2::after_stat(density)), bins = bins,
                            fill = "#DCE9F5", colour = "#0072B2", linewidth = 0.2) +
    ggplot2::geom_line(data = curves, ggplot2::aes(y = y, linetype = "Normal curve"),
                       colour = "grey40") +
    ggplot2::geom_vline(data = marks, ggplot2::aes(xintercept = value, colour = what),
                        linewidth = 0.8) +
    ggplot2::scale_colour_manual(values = c(Mean = "#D55E00", Median = "black"), name = NULL) +
    ggplot2::scale_linetype_manual(values = "solid", name = NULL) +
    ggplot2::facet_wrap(~panel, scales = "free", ncol = ncol) +
    ggplot2::labs(x = NULL, y = "Density") +
    ggplot2::theme(legend.position = "bottom")
}
