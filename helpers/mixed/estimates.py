"""The lines a session's hidden estimates cell prints for its parity test (not for students).

One ``model<TAB>quantity<TAB>value`` line per estimate, 9 significant digits (read by
tests/parity.py); R's ``mixed_lines()`` (helpers/R/inference.R) prints the same
quantities with the same names for an lme4 fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.mixed.adapter import _statsmodels
from helpers.mixed.inference import fixed_effects_table
from helpers.mixed.variance import variance_components

P_FLOOR = 1e-8  # smaller p-values are left out: no page shows them beyond "< 0.001"


def mixed_lines(name: str, fit: Any, *, table: bool = True) -> list[str]:
    r"""Return the estimate lines of a statsmodels mixed model.

    Quantities: ``n``; per fixed effect (R's spelling) ``coef:``, and with `table`
    ``se:``, ``df:``, ``t:`` and ``p:`` (from :func:`fixed_effects_table`, lme4's and
    lmerTest's numbers; p only when at least :data:`P_FLOOR`); ``var:<group>`` per
    variance component and ``var:Residual``; ``cor:<group>`` for a correlated random
    slope; ``icc`` for random intercepts; ``reml_criterion``.

    Examples
    --------
    >>> import pandas as pd
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"y": [1.0, 1.2, 2.0, 2.3, 3.1, 2.9, 1.5, 1.1], "g": list("aabbccdd")})
    >>> mixed_lines("m", smf.mixedlm("y ~ 1", df, groups="g").fit(), table=False)[:2]
    ['m\tn\t8', 'm\tcoef:(Intercept)\t2.3875']
    """
    sm = _statsmodels(fit)
    if sm is None:
        raise TypeError(
            f"mixed_lines: expected a statsmodels MixedLM fit, got {type(fit).__name__}"
        )
    values: dict[str, float] = {"n": float(len(sm.model.endog))}
    if table:
        fixed = fixed_effects_table(sm)
        for term, row in fixed.iterrows():
            values[f"coef:{term}"] = row["estimate"]
            values[f"se:{term}"] = row["std_error"]
            values[f"df:{term}"] = row["df"]
            values[f"t:{term}"] = row["t"]
            if row["p"] >= P_FLOOR:
                values[f"p:{term}"] = row["p"]
    else:
        from helpers.regression import r_name

        names = sm.model.exog_names[: sm.model.k_fe]
        values.update(
            {f"coef:{r_name(n)}": v for n, v in zip(names, np.asarray(sm.fe_params), strict=True)}
        )
    components = variance_components(sm)
    for group, variance in zip(components["group"], components["variance"], strict=True):
        values[f"var:{group}"] = variance
    if sm.model.k_re == 2:
        cov = np.asarray(sm.cov_re)
        values[f"cor:{sm.model.data.exog_re_names[0]}"] = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    if components["share"].notna().all():
        values["icc"] = 1 - float(components["share"].iloc[-1])
    values["reml_criterion"] = -2 * float(sm.llf)
    return [f"{name}\t{quantity}\t{float(v):.9g}" for quantity, v in values.items()]
