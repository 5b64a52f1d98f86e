"""lme4's deviance of a linear mixed model, in numpy, for a statsmodels design.

One job: evaluate the criterion lme4 minimises, as a function of lme4's parameters, for
the response, fixed-effect design and random-effect terms of a statsmodels ``MixedLM``.
The inference helpers (:mod:`helpers.mixed.inference`) build on it: Satterthwaite degrees
of freedom as lmerTest computes them, maximum-likelihood refits for likelihood-ratio
tests, refits of simulated responses for a parametric bootstrap, and a fast start for
statsmodels' own fits (:mod:`helpers.fitting`).

The model is lme4's (Bates et al. 2015, *J. Stat. Softw.* 67(1)): y = X b + Z Lambda u +
e, u ~ N(0, sigma^2 I), e ~ N(0, sigma^2 I), where Lambda is block-diagonal with one
lower-triangular k x k block T per level of each random-effect term (k = 1 for an
intercept or a lone slope, 2 for a correlated intercept and slope). theta holds the
blocks' lower triangles, column by column, term by term; each diagonal entry is >= 0.
The penalised least-squares solution at theta gives the profiled deviance (ML) and the
REML criterion in closed form, so an optimiser searches over theta only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize
from scipy.linalg import solve_triangular


@dataclass(frozen=True)
class Term:
    """One random-effect term: ``levels`` blocks of ``k`` columns of Z, level by level."""

    name: str
    Z: np.ndarray  # n x (levels * k)
    k: int
    levels: int


@dataclass(frozen=True)
class Fit:
    """A (REML or ML) fit of :class:`LMM`: its criterion and parameters."""

    criterion: float
    theta: np.ndarray
    beta: np.ndarray
    sigma: float
    reml: bool


def _triangle(k: int) -> list[tuple[int, int]]:
    """Positions of theta's entries in a k x k lower triangle, column by column (lme4)."""
    return [(i, j) for j in range(k) for i in range(j, k)]


def _dense(matrix: Any) -> np.ndarray:
    """Return a design block as a dense array (``use_sparse=True`` keeps them sparse)."""
    return matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix, dtype=float)


def terms_of(model: Any) -> list[Term]:
    """Return the random-effect terms of a statsmodels ``MixedLM`` model (fitted or not).

    ``re_formula`` gives one term with k columns per group (correlated when k > 1);
    each ``vc_formula`` entry gives one term whose columns share one variance (k = 1).
    """
    n = len(model.endog)
    rows = [model.row_indices[g] for g in model.group_labels]
    terms = []
    if model.k_re:
        k = model.k_re
        Z = np.zeros((n, len(rows) * k))
        for j, index in enumerate(rows):
            Z[index, j * k : (j + 1) * k] = np.asarray(model.exog_re_li[j])
        terms.append(Term("re", Z, k, len(rows)))
    names = list(model.exog_vc.names) if model.k_vc else []
    for c, name in enumerate(names):
        blocks = []
        for j, index in enumerate(rows):
            block = _dense(model.exog_vc.mats[c][j])
            full = np.zeros((n, block.shape[1]))
            full[index, :] = block
            blocks.append(full)
        Z = np.hstack(blocks)
        terms.append(Term(name, Z, 1, Z.shape[1]))
    return terms


def theta_of(fit: Any) -> np.ndarray:
    """lme4's theta at a statsmodels ``MixedLMResults``: relative Cholesky factors."""
    scale = float(fit.scale)
    theta: list[float] = []
    if fit.model.k_re:
        cov = np.asarray(fit.cov_re, dtype=float) / scale
        k = cov.shape[0]
        try:
            T = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:  # singular (a correlation at +/-1): nudge to PD
            T = np.linalg.cholesky(cov + 1e-10 * np.eye(k))
        theta += [float(T[i, j]) for i, j in _triangle(k)]
    if fit.model.k_vc:
        theta += [math.sqrt(max(float(v), 0.0) / scale) for v in np.atleast_1d(fit.vcomp)]
    return np.array(theta)


def start_theta(terms: list[Term]) -> np.ndarray:
    """lme4's default start: identity blocks (1 on each diagonal, 0 below it)."""
    return np.array([1.0 if i == j else 0.0 for t in terms for i, j in _triangle(t.k)])


class LMM:
    """lme4's penalised least squares for y = X b + Z Lambda(theta) u + e.

    Parameters
    ----------
    y : array of n
        Response.
    X : array of n x p
        Fixed-effect design (full column rank).
    terms : list of Term
        Random-effect terms (:func:`terms_of`).
    """

    def __init__(self, y: Any, X: Any, terms: list[Term]) -> None:
        self.y = np.asarray(y, dtype=float)
        self.X = np.asarray(X, dtype=float)
        self.terms = terms
        self.Z = np.hstack([t.Z for t in terms])
        self.n, self.p = self.X.shape
        self.ZtZ = self.Z.T @ self.Z
        self.ZtX = self.Z.T @ self.X
        self.XtX = self.X.T @ self.X
        self._set_y(self.y)
        # where each theta entry sits in Lambda: (row, column) positions, one list per entry
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        offset = 0
        for t in terms:
            starts = offset + t.k * np.arange(t.levels)
            for i, j in _triangle(t.k):
                rows.append(starts + i)
                cols.append(starts + j)
            offset += t.k * t.levels
        self.q = offset
        self._rows, self._cols = rows, cols
        self.lower = np.array(
            [0.0 if i == j else -np.inf for t in terms for i, j in _triangle(t.k)]
        )

    def _set_y(self, y: np.ndarray) -> None:
        self.y = y
        self.Zty = self.Z.T @ y
        self.Xty = self.X.T @ y

    def with_y(self, y: Any) -> LMM:
        """Return the same design with another response (a simulated one, say)."""
        out = object.__new__(LMM)
        out.__dict__.update(self.__dict__)
        out._set_y(np.asarray(y, dtype=float))
        return out

    def drop(self, columns: list[int]) -> LMM:
        """Return the same model without the fixed-effect columns at positions `columns`."""
        keep = [i for i in range(self.p) if i not in set(columns)]
        return LMM(self.y, self.X[:, keep], self.terms)

    def lam(self, theta: np.ndarray) -> np.ndarray:
        """Lambda(theta), dense (q x q)."""
        out = np.zeros((self.q, self.q))
        for rows, cols, value in zip(self._rows, self._cols, theta, strict=True):
            out[rows, cols] = value
        return out

    def _scales(self, theta: np.ndarray) -> np.ndarray | None:
        """Lambda's diagonal when Lambda is diagonal (every term k = 1), else None."""
        if any(t.k > 1 for t in self.terms):
            return None
        return np.concatenate(
            [np.full(t.levels, v) for t, v in zip(self.terms, theta, strict=True)]
        )

    def solve(self, theta: np.ndarray) -> dict[str, Any]:
        """Penalised least squares at theta: beta, u and the pieces of the deviance."""
        theta = np.asarray(theta, dtype=float)
        scales = self._scales(theta)
        if scales is not None:  # Lambda diagonal: elementwise products, no q x q products
            lzz = self.ZtZ * np.outer(scales, scales)
            ltzx, ltzy = scales[:, None] * self.ZtX, scales * self.Zty
        else:
            lam = self.lam(theta)
            lzz = lam.T @ self.ZtZ @ lam
            ltzx, ltzy = lam.T @ self.ZtX, lam.T @ self.Zty
        lzz[np.diag_indices(self.q)] += 1.0
        chol = np.linalg.cholesky(lzz)
        lzx = solve_triangular(chol, ltzx, lower=True)
        lzy = solve_triangular(chol, ltzy, lower=True)
        rxtrx = self.XtX - lzx.T @ lzx
        beta = np.linalg.solve(rxtrx, self.Xty - lzx.T @ lzy)
        u = solve_triangular(chol.T, lzy - lzx @ beta, lower=False)
        b = scales * u if scales is not None else lam @ u
        resid = self.y - self.X @ beta - self.Z @ b  # from the residuals: no cancellation
        return {
            "ldL2": 2.0 * float(np.log(np.diag(chol)).sum()),
            "rxtrx": rxtrx,
            "beta": beta,
            "u": u,
            "pwrss": float(resid @ resid + u @ u),
        }

    def criterion(self, theta: np.ndarray, reml: bool) -> float:
        """lme4's profiled criterion: ``REMLcrit()`` (reml=True) or ``deviance()`` (ML)."""
        s = self.solve(theta)
        if reml:
            nmp = self.n - self.p
            logdet = np.linalg.slogdet(s["rxtrx"])[1]
            return float(s["ldL2"] + logdet + nmp * (1 + math.log(2 * math.pi * s["pwrss"] / nmp)))
        return float(s["ldL2"] + self.n * (1 + math.log(2 * math.pi * s["pwrss"] / self.n)))

    def deviance(self, varpar: np.ndarray, reml: bool) -> float:
        """Return the criterion at (theta, sigma), sigma not profiled out (lmerTest's devfun_vp)."""
        theta, sigma = np.asarray(varpar[:-1], dtype=float), float(varpar[-1])
        s = self.solve(theta)
        out = s["ldL2"] + s["pwrss"] / sigma**2 + self.n * math.log(2 * math.pi * sigma**2)
        if reml:
            out += np.linalg.slogdet(s["rxtrx"])[1] - self.p * math.log(2 * math.pi * sigma**2)
        return float(out)

    def vcov(self, varpar: np.ndarray) -> np.ndarray:
        """Covariance of the fixed effects at (theta, sigma): sigma^2 (R_X' R_X)^-1, as lme4."""
        theta, sigma = np.asarray(varpar[:-1], dtype=float), float(varpar[-1])
        return sigma**2 * np.linalg.inv(self.solve(theta)["rxtrx"])

    def fit(self, reml: bool, start: np.ndarray | None = None) -> Fit:
        """Minimise the criterion over theta, each diagonal entry bounded at 0 as in lme4."""
        x0 = start_theta(self.terms) if start is None else np.asarray(start, dtype=float)
        bounds = [(0.0 if np.isfinite(lo) else None, None) for lo in self.lower]
        result = optimize.minimize(
            self.criterion,
            np.maximum(x0, np.where(np.isfinite(self.lower), 0.0, -np.inf)),
            args=(reml,),
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000},
        )
        theta = np.asarray(result.x, dtype=float)
        s = self.solve(theta)
        dof = self.n - self.p if reml else self.n
        return Fit(float(result.fun), theta, s["beta"], math.sqrt(s["pwrss"] / dof), reml)
