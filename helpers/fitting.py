"""Fit the sessions' models: statsmodels always, lme4 (through pymer4) when R is there.

Python students need no R: statsmodels fits every linear mixed model of the course.
The pymer4 fits are cross-checks with R's lme4, switched on by a notebook's
``lme4_check`` parameter (``fit_lme4(..., enabled=lme4_check)``): off, nothing of R is
loaded (loading rpy2, pymer4 and lme4 takes longer than all of a session's statsmodels
fits). They run when rpy2, pymer4 and R's lme4, lmerTest and emmeans can be loaded;
otherwise `fit_lme4` prints one line saying how to enable them and returns
``(None, [])``, and the session skips what uses them.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from typing import Any

import numpy as np

# REML everywhere, as lme4's lmer() does by default. The optimizer is chosen on purpose:
# statsmodels' default (lbfgs) stops early on flat likelihood surfaces (5 Ofsted
# ratings), a few tenths of a percent short of lme4's optimum; Powell's method run to a
# tight tolerance on the likelihood reaches it.
TIGHT = {"method": "powell", "ftol": 1e-12}

ENABLE_LME4 = (
    "install R with its packages lme4, lmerTest and emmeans, then the Python packages "
    "in notebooks/requirements-lme4.txt (setup page: 'lme4 from Python')"
)


def fit_statsmodels(model: Any, **options: Any) -> tuple[Any, list[str]]:
    """REML fit of a statsmodels MixedLM; its warnings come back as text, not raw output.

    With no options the fit starts where lme4 ends: lme4's criterion for the same design
    is minimised first (:mod:`helpers.mixed.deviance`, a fraction of a second), then
    statsmodels' own optimiser (lbfgs) starts there and only confirms the optimum. A
    cold statsmodels fit of the course's crossed models takes 5 to 10 s (Powell; lbfgs
    alone can stop short on the flat surfaces of five ratings). If the warm fit does not
    end at the same criterion (to 1e-6), the cold `TIGHT` fit is used instead.

    Parameters
    ----------
    model : statsmodels.regression.mixed_linear_model.MixedLM
        The unfitted model (``smf.mixedlm(...)``).
    **options
        Passed to ``model.fit`` instead (no warm start), e.g. ``method="nm"``.

    Returns
    -------
    fit, messages : MixedLMResults, list of str
        The fit, and the distinct warning messages it raised, sorted (shown on purpose
        by the session rather than as stderr with a machine path in it).
    """
    if options:
        return _fit(model, options)
    try:
        start, criterion = _lme4_start(model)
    except (np.linalg.LinAlgError, ValueError):  # e.g. a singular design: the cold fit says
        return _fit(model, TIGHT)
    fit, messages = _fit(model, {"method": "lbfgs", "start_params": start})
    if not abs(-2 * fit.llf - criterion) <= 1e-6:  # (not: also when llf is NaN)
        return _fit(model, TIGHT)
    return fit, messages


def _fit(model: Any, options: dict[str, Any]) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(reml=True, **options)
        fit.llf  # noqa: B018  computed (and cached) here, where its warnings are caught
    return fit, sorted({str(w.message) for w in caught})


def _lme4_start(model: Any) -> tuple[Any, float]:
    """Statsmodels' parameters at lme4's REML optimum for the same design, and its criterion."""
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    from helpers.mixed.deviance import LMM, _triangle, terms_of

    terms = terms_of(model)
    best = LMM(model.endog, np.asarray(model.exog), terms).fit(reml=True)
    theta, cov_re, at = best.theta, None, 0
    if model.k_re:  # the first term: re_formula's block, theta its Cholesky factor
        k = model.k_re
        lower, positions = np.zeros((k, k)), _triangle(k)
        lower[tuple(np.array(positions).T)] = theta[: len(positions)]
        at = len(positions)
        cov_re = lower @ lower.T
    vcomp = theta[at:] ** 2 if model.k_vc else None
    kwargs = {"cov_re": cov_re} if cov_re is not None else {}
    if vcomp is not None:
        kwargs["vcomp"] = vcomp
    return MixedLMParams.from_components(best.beta, **kwargs), best.criterion


@cache
def _lme4() -> tuple[Any, str]:
    """pymer4's ``Lmer`` class and "" when usable, else None and why not."""
    try:
        with warnings.catch_warnings():
            # tqdm (through pymer4) warns that Jupyter widgets are missing
            warnings.simplefilter("ignore")
            from pymer4.models import Lmer
    except Exception as exc:  # ImportError, or rpy2/R failing to load R or lme4
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, f"{type(exc).__name__}: {reason}"
    return Lmer, ""


def lme4_or_none() -> Any:
    """pymer4's ``Lmer`` class when lme4 can be used from Python, else None."""
    return _lme4()[0]


def lme4_available() -> bool:
    """Tell whether rpy2, pymer4 and R's lme4 load (the pymer4 cross-checks can run)."""
    return lme4_or_none() is not None


def _formula_columns(formula: str, data: Any) -> list[str]:
    """Columns of `data` that `formula` names, as whole words (``x`` is not in ``log_x``).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame(columns=["y", "x", "log_x", "g", "other"])
    >>> _formula_columns("y ~ log_x + (1 | g)", frame)
    ['y', 'log_x', 'g']
    """
    return [
        column
        for column in data.columns
        if re.search(rf"(?<![\w.]){re.escape(str(column))}(?![\w.])", formula)
    ]


def fit_lme4(
    formula: str, data: Any, control: str = "", *, enabled: bool = True
) -> tuple[Any, list[str]]:
    """REML fit with R's lme4 through pymer4, or ``(None, [])`` when off or R is absent.

    Parameters
    ----------
    formula : str
        lme4 formula, e.g. ``"y ~ x + (1 | group)"``.
    data : pandas.DataFrame
        The rows to fit (categorical columns become R factors with the same levels). Only
        the columns the formula names are handed to R: copying a wide frame into R for
        each fit costs more than the fit.
    control : str
        Arguments for lme4's ``lmerControl()``, as R code (e.g. tighter tolerances).
    enabled : bool
        False: return ``(None, [])`` at once, silently, loading nothing (the notebook's
        ``lme4_check`` parameter is off).

    Returns
    -------
    model, messages : pymer4.models.Lmer or None, list of str
        The fitted model and lme4's own messages (convergence, singular fit); when lme4
        cannot be used from Python, None and an empty list, after printing one line that
        says how to enable it.
    """
    if not enabled:
        return None, []
    lmer, reason = _lme4()
    if lmer is None:
        print(f"lme4 cross-check skipped ({reason}). To run it: {ENABLE_LME4}.")
        return None, []
    model = lmer(formula, data=data[_formula_columns(formula, data)])
    with warnings.catch_warnings():
        # pymer4 0.8.2 uses a pandas method that pandas 2.2 deprecates (not about the model)
        warnings.simplefilter("ignore", FutureWarning)
        model.fit(REML=True, summarize=False, no_warnings=True, control=control)
    return model, list(model.warnings)
