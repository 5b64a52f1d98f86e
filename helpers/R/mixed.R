# Mixed-model tests, words and summaries for the schools session: the R twin of the
# Python package helpers/mixed/ (reml_lrt, verdict and kept_structure: helpers/mixed/lrt.py;
# icc_profile: helpers/mixed/intervals.py; r2_nakagawa: helpers/mixed/variance.py).
#
# Usage: library(qmhelpers)  (this file is part of the package; see coursebuild/release.py)
#   reml_lrt(crit_small, crit_big, df, boundary)   REML likelihood-ratio test
#   verdict(p, alpha), decision(p, alpha), kept_structure(slope_p, corr_p, singular, alpha)
#                         the words the session prints, and the rule behind them
#   on_boundary(cov, residual)   a variance at 0 or a correlation at +/-1
#   variance_components(fit), icc(fit), explained_variance(before, after)
#   pooling_table(data, outcome, group, fit), pooling_plot(table)   no / partial pooling
#   icc_profile(fit)      profile interval of a one-factor lmer fit's ICC (ML, as lme4's confint)
#   r2_nakagawa(fit)      marginal and conditional R squared
# Needs lme4 (and ggplot2 for pooling_plot()).

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

# The word for a test: "supported" when p < alpha. No default alpha: the notebook's own,
# shown in the sentence (decision()).
verdict <- function(p, alpha) {
  if (!(p >= 0 && p <= 1)) stop("verdict: p must lie in [0, 1], got ", p)
  if (p < alpha) "supported" else "not supported"
}

# Which random-effect structure the tests support (words as in helpers/mixed/lrt.py): the
# slope when its test has p < alpha, the correlation too when its test also has p < alpha
# and the correlated fit is not singular.
kept_structure <- function(slope_p, correlation_p, correlated_singular, alpha) {
  if (verdict(slope_p, alpha) != "supported") return("random intercepts only")
  if (verdict(correlation_p, alpha) == "supported" && !correlated_singular) {
    return("correlated random slopes")
  }
  "uncorrelated random slopes"
}

# The decision rule as a sentence shows it; `alpha` has no default: the notebook's own.
decision <- function(p, alpha) {
  if (!(p >= 0 && p <= 1)) stop("decision: p must lie in [0, 1], got ", p)
  shown <- if (p < 0.001) "p < 0.001" else paste("p =", format_p2(p))
  sprintf("%s %s alpha = %s", shown, if (p < alpha) "<" else ">=", format(alpha))
}

# A variance below 1e-6 of the residual variance, or |correlation| > 0.99.
on_boundary <- function(cov, residual) {
  cov <- as.matrix(cov)
  v <- diag(cov)
  if (any(v < qm_boundary * residual)) return(TRUE)
  if (length(v) < 2) return(FALSE)
  abs(cov[1, 2] / sqrt(v[1] * v[2])) > 0.99
}

# Variance components of an lmer fit, named as in Python: "g" for an intercept, "g x" for
# a slope x (lme4 renames the terms of (x || g) to g and g.1; flist keeps the factor's
# name); columns group, variance, sd, share (of intercepts + residual), pct_per_sd.
variance_components <- function(fit) {
  vc <- lme4::VarCorr(fit)
  flist <- lme4::getME(fit, "flist")
  groups <- names(flist)[attr(flist, "assign")]
  name <- character(0)
  variance <- numeric(0)
  for (i in seq_along(vc)) {
    for (term in colnames(vc[[i]])) {
      name <- c(name, if (term == "(Intercept)") groups[i] else paste(groups[i], term))
      variance <- c(variance, vc[[i]][term, term])
    }
  }
  name <- c(name, "Residual")
  variance <- c(variance, sigma(fit)^2)
  intercept <- !grepl(" ", name)
  sd <- sqrt(variance)
  data.frame(group = name, variance = variance, sd = sd,
             share = ifelse(intercept, variance / sum(variance[intercept]), NA),
             pct_per_sd = ifelse(intercept, 100 * expm1(sd), NA))
}

# Intraclass correlation of a random-intercept fit: 1 - the residual's share.
icc <- function(fit) {
  vc <- variance_components(fit)
  if (anyNA(vc$share)) stop("icc: the model has random slopes (the ICC would depend on the predictor)")
  1 - vc$share[vc$group == "Residual"]
}

# 1 - after / before for each variance component of two fits with the same terms.
explained_variance <- function(before, after) {
  one <- variance_components(before)
  two <- variance_components(after)
  if (!identical(one$group, two$group)) stop("explained_variance: the fits have different components")
  stats::setNames(1 - two$variance / one$variance, one$group)
}

# Each group's own mean (no pooling), the null model's estimate for it (intercept + random
# effect: partial pooling) and the weight tau^2 / (tau^2 + sigma^2 / n) between them;
# attributes complete_pooling (the mean of all rows) and intercept.
pooling_table <- function(data, outcome, group, fit) {
  if (length(lme4::fixef(fit)) != 1 || length(lme4::getME(fit, "theta")) != 1) {
    stop(sprintf("pooling_table: needs the null model lmer(%s ~ 1 + (1 | %s))", outcome, group))
  }
  effects <- lme4::ranef(fit)[[group]]
  levels <- rownames(effects)
  sizes <- table(data[[group]])[levels]
  own <- tapply(data[[outcome]], data[[group]], mean)[levels]
  v <- variance_components(fit)$variance
  intercept <- lme4::fixef(fit)[[1]]
  out <- data.frame(schools = as.vector(sizes), no_pooling = as.vector(own),
                    partial_pooling = intercept + effects[["(Intercept)"]],
                    weight = v[1] / (v[1] + v[2] / as.vector(sizes)), row.names = levels)
  attr(out, "complete_pooling") <- mean(data[[outcome]])
  attr(out, "intercept") <- intercept
  out
}

# The pooling picture (ggplot2): each group's own mean (open) with an arrow to the model's
# estimate (filled), at its number of rows on a log scale; lines: the mean of all rows
# (complete pooling, solid) and the model's intercept (dashed).
pooling_plot <- function(table, title = "Complete, no and partial pooling",
                         xlabel = "Rows in the group (log scale)", ylabel = "Estimate") {
  lines <- data.frame(what = c("Mean of all rows (complete pooling)", "Model's intercept"),
                      value = c(attr(table, "complete_pooling"), attr(table, "intercept")))
  ggplot2::ggplot(table, ggplot2::aes(x = schools)) +
    ggplot2::geom_segment(ggplot2::aes(xend = schools, y = no_pooling, yend = partial_pooling),
                          colour = "#999999", linewidth = 0.3,
                          arrow = ggplot2::arrow(length = ggplot2::unit(0.08, "inches"))) +
    ggplot2::geom_point(ggplot2::aes(y = no_pooling, colour = "Own mean (no pooling)"),
                        shape = 1, size = 1.8) +
    ggplot2::geom_point(ggplot2::aes(y = partial_pooling,
                                     colour = "Model's estimate (partial pooling)"), size = 1.4) +
    ggplot2::geom_hline(data = lines, ggplot2::aes(yintercept = value, linetype = what)) +
    ggplot2::scale_colour_manual(values = c("Own mean (no pooling)" = "#D55E00",
                                            "Model's estimate (partial pooling)" = "#0072B2"),
                                 name = NULL,
                                 guide = ggplot2::guide_legend(override.aes = list(shape = c(16, 1)))) +
    ggplot2::scale_linetype_manual(values = c("solid", "dashed"), name = NULL) +
    ggplot2::scale_x_log10(breaks = c(1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000)) +
    ggplot2::labs(title = title, x = xlabel, y = ylabel)
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
