# Random draws that are the same numbers in R and in Python: the R twin of helpers/draws.py.
#
# Usage: library(qmhelpers)  (this file is part of the package; see coursebuild/release.py)
#   qm_uniforms(n, seed, offset = 0)   draws offset + 1 ... offset + n of seed's stream
#   qm_normals(n, seed, offset = 0)    their normal quantiles, qnorm(u)
# The Wichmann-Hill generator (AS 183), R's own RNGkind("Wichmann-Hill"), with state i
# computed directly as a^i x0 mod m (exact in doubles: every product is below 2^31), so
# draw i of a seed is a function of (seed, i) in both languages. Old and small (period
# about 7e12): for the few hundred thousand draws of a bootstrap both tabs show; use R's
# default generator for anything else.

.wh_moduli <- c(30269, 30307, 30323)
.wh_multipliers <- c(171, 172, 170)

# a^e mod m, elementwise, by repeated squaring
.wh_powmod <- function(a, e, m) {
  result <- rep(1, length(e))
  base <- a %% m
  e <- as.numeric(e)
  while (any(e > 0)) {
    odd <- e %% 2 == 1
    result[odd] <- (result[odd] * base) %% m
    base <- (base * base) %% m
    e <- e %/% 2
  }
  result
}

# a^i mod m for i = offset + 1, ..., offset + n: blocks of 4096, each the one before
# times a^4096 (mod m), so R loops over blocks, not over draws
.wh_powers <- function(a, m, n, offset) {
  block <- 4096
  first <- .wh_powmod(a, offset + seq_len(block), m)
  step <- .wh_powmod(a, block, m)
  out <- vector("list", ceiling(n / block))
  for (j in seq_along(out)) {
    out[[j]] <- first
    first <- (first * step) %% m
  }
  unlist(out)[seq_len(n)]
}

.wh_state <- function(seed) {
  if (!is.numeric(seed) || length(seed) != 1 || seed < 0 || seed != round(seed)) {
    stop("seed must be a whole number >= 0, got ", format(seed))
  }
  c(1 + seed %% 30268, 1 + (seed %/% 30268) %% 30306, 1 + (seed %/% 917302) %% 30322)
}

qm_uniforms <- function(n, seed, offset = 0) {
  if (n < 0 || offset < 0) stop("n and offset must be >= 0")
  if (n == 0) return(numeric(0))
  start <- .wh_state(seed)
  total <- numeric(n)
  for (g in 1:3) {
    total <- total + (start[g] * .wh_powers(.wh_multipliers[g], .wh_moduli[g], n, offset)) %%
      .wh_moduli[g] / .wh_moduli[g]
  }
  total %% 1
}

qm_normals <- function(n, seed, offset = 0) stats::qnorm(qm_uniforms(n, seed, offset))
