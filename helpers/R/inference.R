# Inference for the fixed effects of an lme4 fit: the R twin of helpers/mixed/inference.py.
#
# Usage: library(qmhelpers)  (this file is part of the package; see coursebuild/release.py)
#   fixed_effects_table(fit)          estimate, std_error, df, t, p (lmerTest, Satterthwaite)
#   fixed_effects_text(table, digits) the same as text, at the precision shown on the pages
#   ml_lrt(fit, drop)                 likelihood-ratio test of dropping fixed-effect terms (ML)
#   parametric_bootstrap(fit, drop, nsim, seed)   its p-value from simulated data sets
#   simulate_response(fit, index, seed)           one data set, the same draws as Python
#   mc_interval(k, n, level = 0.95)   Clopper-Pearson interval for k of n simulations
#   mixed_lines(name, fit)            the hidden estimates cell's lines (parity tests)
# Needs lme4 and lmerTest.

# lmerTest's summary table with the columns the Python twin gives (rows: R's term names).
fixed_effects_table <- function(fit) {
  if (!inherits(fit, "lmerModLmerTest")) fit <- lmerTest::as_lmerModLmerTest(fit)
  co <- summary(fit, ddf = "Satterthwaite")$coefficients
  data.frame(estimate = co[, "Estimate"], std_error = co[, "Std. Error"], df = co[, "df"],
             t = co[, "t value"], p = co[, "Pr(>|t|)"], row.names = rownames(co))
}

# The table as text: estimate and t to `digits` significant digits, standard error to one
# fewer, df as format_df(), p as format_p() without "p" (the same text as Python).
fixed_effects_text <- function(table, digits = 4) {
  data.frame(estimate = significant(table$estimate, digits),
             std_error = significant(table$std_error, digits - 1),
             df = vapply(table$df, format_df, ""), t = significant(table$t, digits),
             p = sub("^p (= )?", "", vapply(table$p, format_p, "")), row.names = rownames(table))
}

# The formula of `fit` without the fixed-effect terms `drop` (names as in the formula).
.without <- function(fit, drop) {
  known <- attr(terms(fit, fixed.only = TRUE), "term.labels")
  unknown <- setdiff(drop, known)
  if (length(unknown)) {
    stop(sprintf("ml_lrt: the model has no fixed-effect term %s; it has %s",
                 paste(unknown, collapse = ", "), paste(known, collapse = ", ")))
  }
  stats::update(stats::formula(fit), stats::as.formula(paste(". ~ . -", paste(drop, collapse = " - "))))
}

# anova(smaller, bigger) on ML refits, as a list like the Python twin's LikelihoodRatio.
ml_lrt <- function(fit, drop) {
  small <- stats::update(fit, .without(fit, drop))
  a <- suppressMessages(anova(small, fit))  # "refitting model(s) with ML": said on the page
  list(statistic = a$Chisq[2], df = a$Df[2], p = a[["Pr(>Chisq)"]][2],
       reference = sprintf("chi-square(%d)", a$Df[2]))
}

# Data set `index` simulated from `fit` with portable draws: first the random effects'
# draws, term by term in lme4's order (the columns of getME(fit, "Z")), then one per row.
simulate_response <- function(fit, index, seed) {
  Z <- lme4::getME(fit, "Z")
  q <- ncol(Z)
  n <- nrow(Z)
  z <- qm_normals(q + n, seed, offset = (index - 1) * (q + n))
  b <- lme4::getME(fit, "Lambda") %*% z[seq_len(q)]
  as.vector(lme4::getME(fit, "X") %*% lme4::fixef(fit) +
              sigma(fit) * (as.vector(Z %*% b) + z[q + seq_len(n)]))
}

# Parametric bootstrap of ml_lrt(fit, drop): nsim data sets from the REML fit of the
# smaller model, both models refitted by ML to each, p = (k + 1) / (nsim + 1).
parametric_bootstrap <- function(fit, drop, nsim, seed) {
  if (nsim < 1) stop("parametric_bootstrap: nsim must be at least 1, got ", nsim)
  formula_small <- .without(fit, drop)
  null <- suppressMessages(stats::update(fit, formula_small, REML = TRUE))
  big_ml <- suppressMessages(stats::update(fit, REML = FALSE))
  small_ml <- suppressMessages(stats::update(fit, formula_small, REML = FALSE))
  observed <- stats::deviance(small_ml) - stats::deviance(big_ml)
  statistics <- vapply(seq_len(nsim), function(b) {
    y <- simulate_response(null, b, seed)
    suppressWarnings(suppressMessages(
      stats::deviance(lme4::refit(small_ml, y)) - stats::deviance(lme4::refit(big_ml, y))))
  }, 0)
  exceed <- sum(statistics >= observed)
  list(observed = observed, statistics = statistics, exceed = exceed,
       p = (exceed + 1) / (nsim + 1), nsim = nsim, seed = seed)
}

mc_interval <- function(k, n, level = 0.95) {
  if (k < 0 || k > n) stop("mc_interval: need 0 <= k <= n")
  tail <- (1 - level) / 2
  c(if (k == 0) 0 else stats::qbeta(tail, k, n - k + 1),
    if (k == n) 1 else stats::qbeta(1 - tail, k + 1, n - k))
}

# One "model<TAB>quantity<TAB>value" line per estimate of an lmer fit, 9 significant digits:
# the quantities and names of mixed_lines() in helpers/mixed/estimates.py (p only >= 1e-8).
mixed_lines <- function(name, fit, table = TRUE) {
  values <- list(n = stats::nobs(fit))
  if (table) {
    fixed <- fixed_effects_table(fit)
    for (term in rownames(fixed)) {
      row <- fixed[term, ]
      values[paste0(c("coef:", "se:", "df:", "t:"), term)] <- list(row$estimate, row$std_error,
                                                                  row$df, row$t)
      if (row$p >= 1e-8) values[[paste0("p:", term)]] <- row$p
    }
  } else {
    b <- lme4::fixef(fit)
    values[paste0("coef:", names(b))] <- as.list(b)
  }
  vc <- variance_components(fit)
  values[paste0("var:", vc$group)] <- as.list(vc$variance)
  vcorr <- lme4::VarCorr(fit)
  for (group in names(vcorr)) {
    block <- vcorr[[group]]
    if (ncol(block) == 2) values[[paste0("cor:", group)]] <- attr(block, "correlation")[1, 2]
  }
  if (!anyNA(vc$share)) values$icc <- icc(fit)
  values$reml_criterion <- lme4::REMLcrit(fit)
  sprintf("%s\t%s\t%.9g", name, names(values), vapply(values, as.numeric, 0))
}
