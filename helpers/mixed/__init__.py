"""Summaries of fitted mixed models: variance shares, effects, predictions, tests, intervals.

Works on statsmodels ``MixedLM`` results (one grouping factor, or crossed/nested random
intercepts written as variance components: ``groups`` a constant column,
``re_formula="0"``, one ``vc_formula`` entry ``"0 + C(col)"`` per random intercept) and
on fitted pymer4 ``Lmer`` models (lme4). The outcome is assumed to be on the log scale
where a function back-transforms (:func:`predictions`, :func:`required_change`).

One module per job; the names below are re-exported here, so ``from helpers.mixed
import icc`` works whichever module holds ``icc``:

- :mod:`helpers.mixed.adapter`: one view of a statsmodels or pymer4 fit (used by the rest);
- :mod:`helpers.mixed.variance`: :func:`variance_components`, :func:`icc`,
  :func:`r2_nakagawa`;
- :mod:`helpers.mixed.effects`: :func:`random_effects`, :func:`predictions`,
  :func:`fitted_values`, :func:`fixed_effects_se`;
- :mod:`helpers.mixed.gains`: :func:`required_change`, :func:`gain_table`;
- :mod:`helpers.mixed.lrt`: :func:`reml_lrt`, :func:`verdict`, :func:`kept_structure`;
- :mod:`helpers.mixed.intervals`: :func:`profile_intervals`.

Optimizer: statsmodels' default ``lbfgs`` can stop early on a flat REML surface (few
groups, e.g. 5 Ofsted ratings: 0.3% off lme4's variance). Fit with
``method=["powell", "lbfgs"]`` (or ``"nm"``) to reach lme4's optimum.
"""

from __future__ import annotations

from helpers.mixed.effects import fitted_values, fixed_effects_se, predictions, random_effects
from helpers.mixed.gains import gain_table, required_change
from helpers.mixed.intervals import profile_intervals
from helpers.mixed.lrt import LikelihoodRatio, kept_structure, reml_lrt, verdict
from helpers.mixed.variance import icc, r2_nakagawa, variance_components

__all__ = [
    "LikelihoodRatio",
    "fitted_values",
    "fixed_effects_se",
    "gain_table",
    "icc",
    "kept_structure",
    "predictions",
    "profile_intervals",
    "r2_nakagawa",
    "random_effects",
    "reml_lrt",
    "required_change",
    "variance_components",
    "verdict",
]
