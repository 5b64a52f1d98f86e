"""Likelihood-ratio tests of random-effect structures, and the words the sessions print."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LikelihoodRatio:
    """A REML likelihood-ratio test of nested random-effect structures."""

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


def verdict(p: float, alpha: float = 0.05) -> str:
    """Return the word the session's prose uses for a test: "supported" or "not supported".

    Examples
    --------
    >>> verdict(0.001), verdict(0.2)
    ('supported', 'not supported')
    """
    if not 0 <= p <= 1:
        raise ValueError(f"verdict: p must lie in [0, 1], got {p}")
    return "supported" if p < alpha else "not supported"


def kept_structure(slope_p: float, correlation_p: float, correlated_singular: bool) -> str:
    """Which random-effect structure the tests support, in the words the session prints.

    The random slope is kept when its test is significant (:func:`verdict`); the
    correlation too, unless the correlated fit is singular (a correlation at +/-1 or a
    variance at 0 is not an estimate we can use, however large its test statistic).

    Examples
    --------
    >>> kept_structure(1e-9, 0.006, True)
    'uncorrelated random slopes'
    >>> kept_structure(0.3, 0.006, False)
    'random intercepts only'
    """
    if verdict(slope_p) != "supported":
        return "random intercepts only"
    if verdict(correlation_p) == "supported" and not correlated_singular:
        return "correlated random slopes"
    return "uncorrelated random slopes"
