"""Profile-likelihood intervals for a one-factor random-intercept model, in closed form."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def _one_factor_parts(y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    codes, _ = pd.factorize(groups)
    k = codes.max() + 1
    n_j = np.bincount(codes, minlength=k).astype(float)
    s = np.zeros((k, X.shape[1]))
    np.add.at(s, codes, X)
    return {
        "y": y, "X": X, "codes": codes, "n_j": n_j, "s": s,
        "t": np.bincount(codes, weights=y, minlength=k),
        "XtX": X.T @ X, "Xty": X.T @ y,
    }  # fmt: skip


def _deviance(parts: dict[str, Any], tau2: float, sigma2: float, *, reml: bool = True) -> float:
    """-2 (REML or ML) log-likelihood of y = X b + u_group + e (one random intercept).

    Closed form: V_j = sigma2 I + tau2 11' for a group of n_j rows, so V_j^-1 =
    (I - c_j 11') / sigma2 with c_j = tau2 / (sigma2 + n_j tau2), and log|V_j| =
    (n_j - 1) log sigma2 + log(sigma2 + n_j tau2); b is the GLS estimate. REML: lme4's
    REMLcrit() (and -2 llf in statsmodels); ML: lme4's deviance().
    """
    y, X, n_j, s, t = parts["y"], parts["X"], parts["n_j"], parts["s"], parts["t"]
    n, p = X.shape
    c = tau2 / (sigma2 + n_j * tau2)
    xvx = (parts["XtX"] - (s * c[:, None]).T @ s) / sigma2
    xvy = (parts["Xty"] - (s * (c * t)[:, None]).sum(axis=0)) / sigma2
    beta = np.linalg.solve(xvx, xvy)
    r = y - X @ beta
    r_j = np.bincount(parts["codes"], weights=r, minlength=len(n_j))
    quad = (r @ r - (c * r_j**2).sum()) / sigma2
    logdet_v = ((n_j - 1) * math.log(sigma2) + np.log(sigma2 + n_j * tau2)).sum()
    if not reml:
        return float(logdet_v + quad + n * math.log(2 * math.pi))
    logdet_x = np.linalg.slogdet(xvx)[1]
    return float(logdet_v + logdet_x + quad + (n - p) * math.log(2 * math.pi))


def profile_intervals(
    y: Any,
    X: Any,
    groups: Any,
    *,
    level: float = 0.95,
    reml: bool = False,
    parameters: Sequence[str] = ("sd_group", "sigma", "icc"),
) -> pd.DataFrame:
    """Profile-likelihood intervals for a one-factor random-intercept model.

    The model is y = X b + u_group + e, u ~ N(0, tau^2), e ~ N(0, sigma^2), fitted from
    the closed-form criterion (:func:`_deviance`). Each interval holds the values of one
    parameter whose profiled criterion (the others re-optimised) lies within the
    chi-square(1) quantile of the minimum. With ``reml=False`` (the default) this is
    exactly lme4's ``confint(fit, method = "profile")``, which profiles the maximum
    likelihood even for a REML fit: both languages then give the same bounds, without
    simulation. Profile intervals follow the skewed likelihood of a variance estimated
    from few groups, where estimate +/- 1.96 SE does not. A lower bound at 0 means the
    profile never rises far enough.

    Parameters
    ----------
    y : array-like
        Outcome, n values.
    X : array-like
        Fixed-effects design, n x p (a column of ones for the null model).
    groups : array-like
        Grouping factor, n labels.
    level : float, default 0.95
        Confidence level.
    reml : bool, default False
        Profile the REML criterion instead of the likelihood (lme4 cannot).
    parameters : sequence of str
        The intervals to compute (each profile costs a search): any of ``sd_group``,
        ``sigma``, ``icc``.

    Returns
    -------
    pandas.DataFrame
        Index: `parameters` (``sd_group``, ``sigma``, ``icc``); columns ``estimate`` (the ML or REML
        estimate the profile is centred on), ``lower``, ``upper``.
        ICC = tau^2 / (tau^2 + sigma^2).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(30), 10)
    >>> y = rng.normal(0, 1, 30)[g] + rng.normal(0, 1, 300)
    >>> out = profile_intervals(y, np.ones((300, 1)), g)
    >>> bool((out["lower"] < out["estimate"]).all() and (out["estimate"] < out["upper"]).all())
    True
    """
    from scipy import optimize, stats

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    groups = np.asarray(groups)
    if not len(y) == len(X) == len(groups):
        raise ValueError(
            f"profile_intervals: y, X and groups differ in length ({len(y)}, {len(X)}, "
            f"{len(groups)})"
        )
    parts = _one_factor_parts(y, X, groups)
    scale = float(np.var(y))

    def dev(log_tau2: float, log_sigma2: float) -> float:
        return _deviance(parts, math.exp(log_tau2), math.exp(log_sigma2), reml=reml)

    start = np.log([scale / 2, scale / 2])
    best = optimize.minimize(
        lambda v: dev(*v),
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
    )
    best = optimize.minimize(lambda v: dev(*v), best.x, method="BFGS", options={"gtol": 1e-8})
    log_tau2, log_sigma2 = best.x
    dmin = float(best.fun)
    cut = float(stats.chi2.ppf(level, 1))

    def inner(fun: Any, centre: float) -> float:
        res = optimize.minimize_scalar(
            fun, bounds=(centre - 12, centre + 12), method="bounded", options={"xatol": 1e-10}
        )
        return float(res.fun)

    # each profile: the criterion with one quantity fixed, minimised over the other
    def prof_tau(lt: float) -> float:
        return inner(lambda ls: dev(lt, ls), log_sigma2) - dmin - cut

    def prof_sigma(ls: float) -> float:
        return inner(lambda lt: dev(lt, ls), log_tau2) - dmin - cut

    def prof_icc(rho: float) -> float:  # total variance v free: tau2 = rho v
        return (
            inner(
                lambda lv: dev(math.log(rho) + lv, math.log1p(-rho) + lv),
                math.log(math.exp(log_tau2) + math.exp(log_sigma2)),
            )
            - dmin
            - cut
        )

    def bounds(fun: Any, at: float, lo: float, hi: float, floor: float | None) -> tuple:
        out = []
        for edge in (lo, hi):
            if fun(edge) < 0:
                if floor is None:
                    raise ValueError("profile_intervals: the profile does not close")
                out.append(floor)
            else:
                out.append(optimize.brentq(fun, *sorted((at, edge)), xtol=1e-12))
        return tuple(out)

    unknown = set(parameters) - {"sd_group", "sigma", "icc"}
    if unknown:
        raise ValueError(f"profile_intervals: unknown parameters {sorted(unknown)}")
    rows = {}
    if "sd_group" in parameters:
        lt_lo, lt_hi = bounds(prof_tau, log_tau2, log_tau2 - 40, log_tau2 + 8, -np.inf)
        rows["sd_group"] = (math.exp(log_tau2 / 2), math.exp(lt_lo / 2), math.exp(lt_hi / 2))
    if "sigma" in parameters:
        ls_lo, ls_hi = bounds(prof_sigma, log_sigma2, log_sigma2 - 3, log_sigma2 + 3, None)
        rows["sigma"] = (math.exp(log_sigma2 / 2), math.exp(ls_lo / 2), math.exp(ls_hi / 2))
    if "icc" in parameters:
        rho = math.exp(log_tau2) / (math.exp(log_tau2) + math.exp(log_sigma2))
        r_lo, r_hi = bounds(prof_icc, rho, 1e-12, 1 - 1e-12, 0.0)
        rows["icc"] = (rho, r_lo, r_hi)
    order = [p for p in ("sd_group", "sigma", "icc") if p in rows]
    return pd.DataFrame(
        [rows[p] for p in order], index=pd.Index(order), columns=["estimate", "lower", "upper"]
    )


def icc_profile(fit: Any, level: float = 0.95) -> pd.Series:
    """Return the profile interval of a one-factor random-intercept statsmodels fit's ICC.

    The same as R's ``icc_profile(fit)`` (helpers/R/mixed.R): lme4's profile of the
    maximum likelihood (see :func:`profile_intervals`), so ``estimate`` is the ML
    estimate of the ICC (a little below the REML one of :func:`helpers.mixed.icc`).

    Returns
    -------
    pandas.Series
        ``estimate``, ``lower``, ``upper``.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"g": np.repeat(np.arange(20), 10)})
    >>> df["y"] = rng.normal(0, 1, 20)[df["g"]] + rng.normal(0, 1, 200)
    >>> out = icc_profile(smf.mixedlm("y ~ 1", df, groups="g").fit())
    >>> bool(out["lower"] < out["estimate"] < out["upper"])
    True
    """
    model = fit.model
    if model.k_vc or model.k_re != 1:
        raise ValueError("icc_profile: a model with one random intercept (groups=...) only")
    groups = np.empty(len(model.endog), dtype=object)
    for label in model.group_labels:
        groups[model.row_indices[label]] = str(label)
    table = profile_intervals(model.endog, model.exog, groups, level=level, parameters=("icc",))
    return pd.Series(table.loc["icc"], name="icc")
