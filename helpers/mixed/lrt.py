"""Likelihood-ratio tests of random-effect structures, and the words the sessions print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LikelihoodRatio:
    """A likelihood-ratio test: statistic, degrees of freedom, p and reference distribution."""

    statistic: float
    df: int
    p: float
    reference: str


def reml_lrt(
    criterion_small: float, criterion_big: float, df: int, *, boundary: bool
) -> LikelihoodRatio:
    """Likelihood-ratio test from two REML criteria (-2 REML log-likelihood).

    Both models must have the same fixed effects (REML likelihoods of models with
    different fixed effects are not comparable). When the hypothesis puts a variance on
    the boundary of its range (variance = 0 cannot be approached from below), the
    statistic's null distribution is not chi-square(df) but, for one variance tested,
    the 50:50 mixture of chi-square(df - 1) and chi-square(df) (Self and Liang 1987;
    chi-square(0) is a point mass at 0). The plain chi-square(df) p-value would be
    twice too large: conservative.

    Parameters
    ----------
    criterion_small, criterion_big : float
        REML criteria of the smaller (null) and the larger model.
    df : int
        Number of extra covariance parameters in the larger model.
    boundary : bool
        True when the null hypothesis sets one variance to 0 (the mixture is used).

    Returns
    -------
    LikelihoodRatio
        ``statistic`` (criterion_small - criterion_big), ``df``, ``p`` and the
        ``reference`` distribution in words.

    Raises
    ------
    ValueError
        ``df`` < 1.

    Examples
    --------
    >>> round(reml_lrt(10.0, 6.16, 1, boundary=True).p, 3)
    0.025
    >>> round(reml_lrt(10.0, 6.16, 1, boundary=False).p, 3)
    0.05
    """
    from scipy import stats

    if df < 1:
        raise ValueError(f"reml_lrt: df must be at least 1, got {df}")
    statistic = float(criterion_small - criterion_big)
    if boundary:
        low = 0.0 if df == 1 else float(stats.chi2.sf(statistic, df - 1))
        if df == 1 and statistic <= 0:
            low = 1.0
        p = 0.5 * low + 0.5 * float(stats.chi2.sf(statistic, df))
        reference = f"50:50 mixture of chi-square({df - 1}) and chi-square({df})"
    else:
        p = float(stats.chi2.sf(statistic, df))
        reference = f"chi-square({df})"
    return LikelihoodRatio(statistic, df, min(p, 1.0), reference)


def verdict(p: float, alpha: float) -> str:
    """Return the word for a test: "supported" when p < alpha, else "not supported".

    `alpha` has no default: it is the notebook's own (its parameters cell), and the
    sentence that uses the word shows the rule (:func:`decision`).

    Examples
    --------
    >>> verdict(0.001, alpha=0.05), verdict(0.2, alpha=0.05)
    ('supported', 'not supported')
    """
    if not 0 <= p <= 1:
        raise ValueError(f"verdict: p must lie in [0, 1], got {p}")
    return "supported" if p < alpha else "not supported"


def decision(p: float, alpha: float) -> str:
    """Write the decision rule as a sentence shows it: ``p = 0.0020 < alpha = 0.05``.

    p to two significant digits (:func:`helpers.precision.format_p2`), or ``p < 0.001``
    below that (the rule needs only the comparison); the sign follows from the numbers
    (R: ``decision()``, the same text).

    Examples
    --------
    >>> decision(0.00201, 0.05), decision(0.114, 0.05), decision(7.9e-05, 0.05)
    ('p = 0.0020 < alpha = 0.05', 'p = 0.11 >= alpha = 0.05', 'p < 0.001 < alpha = 0.05')
    """
    from helpers.precision import format_p2

    if not 0 <= p <= 1:
        raise ValueError(f"decision: p must lie in [0, 1], got {p}")
    shown = "p < 0.001" if p < 0.001 else f"p = {format_p2(p)}"
    return f"{shown} {'<' if p < alpha else '>='} alpha = {alpha:g}"


def kept_structure(
    slope_p: float, correlation_p: float, correlated_singular: bool, alpha: float
) -> str:
    """Which random-effect structure the tests support, in the words the session prints.

    The rule: keep the random slope when its test has p < alpha; keep its correlation
    too when that test also has p < alpha and the correlated fit is not singular (a
    correlation at +/-1 or a variance at 0 is not an estimate we can use, however large
    its test statistic).

    Examples
    --------
    >>> kept_structure(1e-9, 0.006, True, alpha=0.05)
    'uncorrelated random slopes'
    >>> kept_structure(0.3, 0.006, False, alpha=0.05)
    'random intercepts only'
    """
    if verdict(slope_p, alpha) != "supported":
        return "random intercepts only"
    if verdict(correlation_p, alpha) == "supported" and not correlated_singular:
        return "correlated random slopes"
    return "uncorrelated random slopes"


def on_boundary(cov: Any, residual: float) -> bool:
    """Tell whether a variance is below 1e-6 of the residual or a correlation beyond 0.99.

    Parameters
    ----------
    cov : array
        The random effects' covariance matrix (1 x 1 or 2 x 2; a diagonal matrix for
        independent terms).
    residual : float
        The residual variance.

    Examples
    --------
    >>> on_boundary([[1e-12, 0], [0, 0.01]], 0.01)
    True
    >>> on_boundary([[0.02, 0.0199], [0.0199, 0.02]], 0.01)
    True
    >>> on_boundary([[0.02, 0.001], [0.001, 0.03]], 0.01)
    False
    """
    import numpy as np

    from helpers.precision import BOUNDARY

    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    var = np.diag(cov)
    if (var < BOUNDARY * residual).any():
        return True
    if len(var) < 2:
        return False
    return bool(abs(cov[0, 1] / np.sqrt(var[0] * var[1])) > 0.99)
