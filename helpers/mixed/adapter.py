"""One view of a fitted mixed model, whichever program fitted it.

The other modules of :mod:`helpers.mixed` ask this one for a model's kind, its
random-effect terms and variances and its fixed coefficients, and (for pymer4) ask R to
compute something: statsmodels ``MixedLM`` results and fitted pymer4 ``Lmer`` models
(lme4) answer the same questions here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.regression.mixed_linear_model import MixedLMResults

from helpers.mixed.deviance import _dense

RESIDUAL = "Residual"


def _statsmodels(model: Any) -> MixedLMResults | None:
    inner = getattr(model, "_results", model)
    return inner if isinstance(inner, MixedLMResults) else None


def _is_pymer4(model: Any) -> bool:
    cls = type(model)
    return cls.__name__ == "Lmer" and cls.__module__.startswith("pymer4")


def _check_model(model: Any) -> str:
    if _statsmodels(model) is not None:
        return "statsmodels"
    if _is_pymer4(model):
        if not getattr(model, "fitted", False):
            raise ValueError("The pymer4 Lmer model is not fitted yet: call model.fit() first")
        return "pymer4"
    raise TypeError(
        "Expected a fitted statsmodels MixedLM result (MixedLM.fit()) or a fitted pymer4 "
        f"Lmer model, got {type(model).__name__}"
    )


@dataclass(frozen=True)
class _Term:
    """One random effect: its name, variance, and whether it is an intercept."""

    group: str
    variance: float
    intercept: bool


def _terms(model: Any) -> list[_Term]:
    """Random-effect variances (intercepts and slopes) and the residual, in model order."""
    sm = _statsmodels(model)
    if sm is not None:
        terms: list[_Term] = []
        names = list(sm.model.data.exog_re_names)
        cov = np.asarray(sm.cov_re)
        for i, name in enumerate(names):
            intercept = i == 0 and _sm_has_intercept(sm)
            label = name if intercept else f"{names[0]} {name}"
            terms.append(_Term(label, float(cov[i, i]), intercept))
        vc_names = list(sm.model.exog_vc.names) if sm.model.k_vc else []
        for k, (name, var) in enumerate(zip(vc_names, np.atleast_1d(sm.vcomp), strict=True)):
            # an indicator design (0/1 columns) is a random intercept; anything else a slope
            mats = sm.model.exog_vc.mats[k]
            indicator = all(np.isin(_dense(m), (0.0, 1.0)).all() for m in mats)
            terms.append(_Term(name, float(var), indicator))
        terms.append(_Term(RESIDUAL, float(sm.scale), True))
        return terms
    table = model.ranef_var
    return [
        _Term(
            str(group),
            float(row["Var"]),
            str(group) == RESIDUAL or row["Name"] == "(Intercept)",
        )
        for group, row in table.iterrows()
    ]


def _group_design(sm: MixedLMResults, group_ix: int) -> tuple[Any, np.ndarray]:
    """One group's random-effects design A and the covariance G of its random effects.

    A holds the ``re_formula`` columns, then each variance component's columns (sparse
    when the model was made with ``use_sparse=True``); G is block-diagonal: ``cov_re``,
    then each component's variance repeated over its columns. So the group's rows have
    covariance ``scale * I + A G A'``.
    """
    design = sm.model._aex_r[group_ix]
    vc_var = sm.model._expand_vcomp(np.atleast_1d(sm.vcomp), group_ix)
    k = sm.model.k_re
    cov = np.zeros((k + len(vc_var), k + len(vc_var)))
    cov[:k, :k] = np.asarray(sm.cov_re)
    cov[k:, k:] = np.diag(vc_var)
    return design, cov


def _sm_has_intercept(sm: MixedLMResults) -> bool:
    """Tell whether the first ``exog_re`` column is the group's random intercept."""
    if not sm.model.k_re:
        return False
    exog_re = np.asarray(sm.model.exog_re)
    return bool(np.allclose(exog_re[:, 0], 1.0))


def _residual_variance(model: Any) -> float:
    return next(t.variance for t in _terms(model) if t.group == RESIDUAL)


def _check_intercepts_only(model: Any, what: str) -> None:
    slopes = [t.group for t in _terms(model) if not t.intercept]
    if slopes:
        raise ValueError(
            f"{what} is defined here for random intercepts only; the model has random "
            f"slopes {slopes}"
        )


def _r_call(code: str, *args: Any) -> pd.DataFrame:
    """Run an R function (rpy2) on R objects and return a pandas frame."""
    import rpy2.robjects as ro
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    with localconverter(ro.default_converter + pandas2ri.converter) as converter:
        return converter.rpy2py(ro.r(code)(*args))


def _to_r(frame: pd.DataFrame) -> Any:
    import rpy2.robjects as ro
    from rpy2.robjects import pandas2ri
    from rpy2.robjects.conversion import localconverter

    with localconverter(ro.default_converter + pandas2ri.converter) as converter:
        return converter.py2rpy(frame)


def _coefficients(model: Any) -> pd.Series:
    if _check_model(model) == "statsmodels":
        sm = _statsmodels(model)
        assert sm is not None  # what _check_model found
        return pd.Series(np.asarray(sm.fe_params), index=sm.model.exog_names)
    return model.coefs["Estimate"]
