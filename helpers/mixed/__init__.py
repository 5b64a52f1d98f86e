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
- :mod:`helpers.mixed.lrt`: :func:`reml_lrt`, :func:`verdict`, :func:`decision`,
  :func:`kept_structure`, :func:`on_boundary`;
- :mod:`helpers.mixed.intervals`: :func:`profile_intervals`, :func:`icc_profile`;
- :mod:`helpers.mixed.pooling`: :func:`pooling_table`, :func:`explained_variance`;
- :mod:`helpers.mixed.deviance`: lme4's criterion for a statsmodels design (used by the next);
- :mod:`helpers.mixed.inference`: :func:`fixed_effects_table` (Satterthwaite, as lmerTest),
  :func:`fixed_effects_text`, :func:`ml_lrt`, :func:`parametric_bootstrap`,
  :func:`mc_interval`.

Optimizer: statsmodels' default ``lbfgs`` can stop early on a flat REML surface (few
groups, e.g. 5 Ofsted ratings: 0.3% off lme4's variance). ``helpers.fitting.
fit_statsmodels`` starts it at lme4's optimum of the same design instead (falling back to
Powell with a tight tolerance). :mod:`helpers.mixed.estimates` writes the hidden
estimates cells' lines.
"""

from __future__ import annotations

from helpers.mixed.effects import fitted_values, fixed_effects_se, predictions, random_effects
from helpers.mixed.gains import gain_table, required_change
from helpers.mixed.inference import (
    Bootstrap,
    fixed_effects_table,
    fixed_effects_text,
    mc_interval,
    ml_lrt,
    parametric_bootstrap,
)
from helpers.mixed.intervals import icc_profile, profile_intervals
from helpers.mixed.lrt import (
    LikelihoodRatio,
    decision,
    kept_structure,
    on_boundary,
    reml_lrt,
    verdict,
)
from helpers.mixed.pooling import explained_variance, pooling_table
from helpers.mixed.variance import icc, r2_nakagawa, variance_components

__all__ = [
    "Bootstrap",
    "LikelihoodRatio",
    "decision",
    "explained_variance",
    "fitted_values",
    "fixed_effects_se",
    "fixed_effects_table",
    "fixed_effects_text",
    "gain_table",
    "icc",
    "icc_profile",
    "kept_structure",
    "mc_interval",
    "ml_lrt",
    "on_boundary",
    "parametric_bootstrap",
    "pooling_table",
    "predictions",
    "profile_intervals",
    "r2_nakagawa",
    "random_effects",
    "reml_lrt",
    "required_change",
    "variance_components",
    "verdict",
]
