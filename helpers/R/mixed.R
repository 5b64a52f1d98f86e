# Mixed-model tests, words and summaries for the schools session: the R twin of the
# Python package helpers/mixed/ (reml_lrt, verdict and kept_structure: helpers/mixed/lrt.py;
# icc_profile: helpers/mixed/intervals.py; r2_nakagawa: helpers/mixed/variance.py).
#
# Usage: library(qmhelpers)  (this file is part of the package; see coursebuild/release.py)
#   reml_lrt(crit_small, crit_big, df, boundary)   REML likelihood-ratio test
#   verdict(p), kept_structure(slope_p, corr_p, singular)   the words the session prints
#   icc_profile(fit)      profile interval of a one-factor lmer fit's ICC (ML, as lme4's confint)
#   r2_nakagawa(fit)      marginal and conditional R squared
# Needs lme4 for icc_profile() and r2_nakagawa().

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

# Which random-effect structure the tests support (words as in helpers/mixed/lrt.py): the
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
