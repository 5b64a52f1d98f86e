"""Complete, no and partial pooling of group means, and how variances change between fits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from helpers.columns import require_columns
from helpers.mixed.adapter import _check_intercepts_only, _statsmodels
from helpers.mixed.effects import random_effects
from helpers.mixed.variance import variance_components


def pooling_table(data: pd.DataFrame, outcome: str, group: str, fit: Any) -> pd.DataFrame:
    """Tabulate each group's own mean, the model's estimate for it, and the weight between.

    For the null model ``outcome ~ 1 + (1 | group)``:

    - ``no_pooling``: the group's own mean (each group estimated alone);
    - ``partial_pooling``: the model's intercept plus the group's random effect, which
      for this model is exactly ``weight * own mean + (1 - weight) * intercept``;
    - ``weight`` = tau^2 / (tau^2 + sigma^2 / n_j): the fewer the rows (n_j) and the
      smaller the between-group variance tau^2, the more a group is pulled to the
      intercept;

    ``attrs["complete_pooling"]``: the mean of all rows (groups ignored);
    ``attrs["intercept"]``: the model's fixed intercept, which the groups are pulled to.

    Parameters
    ----------
    data : pandas.DataFrame
        The rows the model was fitted to.
    outcome, group : str
        The outcome and grouping columns.
    fit : MixedLMResults
        The null model fitted with ``groups=group`` (statsmodels).

    Returns
    -------
    pandas.DataFrame
        Index: the groups (as the model orders them); columns ``schools`` (rows per
        group), ``no_pooling``, ``partial_pooling``, ``weight``.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> df = pd.DataFrame({"y": [1.0, 1.2, 2.0, 2.3, 2.6, 3.1, 2.9], "g": list("aabbbcc")})
    >>> table = pooling_table(df, "y", "g", smf.mixedlm("y ~ 1", df, groups="g").fit())
    >>> list(table.columns), table["schools"].tolist()
    (['schools', 'no_pooling', 'partial_pooling', 'weight'], [2, 3, 2])
    """
    require_columns(data, [outcome, group], where="pooling_table")
    sm = _statsmodels(fit)
    if sm is None or sm.model.k_vc or list(sm.model.exog_names) != ["Intercept"]:
        raise ValueError(
            "pooling_table: needs the null model fitted with statsmodels, "
            f"smf.mixedlm('{outcome} ~ 1', data, groups='{group}')"
        )
    _check_intercepts_only(fit, "pooling_table")
    own = data.groupby(group, observed=True)[outcome].agg(schools="size", no_pooling="mean")
    own.index = own.index.astype(str)
    effects = random_effects(fit).set_index("level")["effect"]
    intercept = float(np.asarray(sm.fe_params)[0])
    variances = variance_components(fit)["variance"]
    tau2, sigma2 = float(variances.iloc[0]), float(variances.iloc[-1])
    table = pd.DataFrame(own.loc[effects.index])
    table["partial_pooling"] = intercept + effects
    table["weight"] = tau2 / (tau2 + sigma2 / table["schools"])
    table.index.name = group
    table.attrs.update(complete_pooling=float(data[outcome].mean()), intercept=intercept)
    return table


def explained_variance(before: Any, after: Any) -> pd.Series:
    """Return the share of each variance component a second fit no longer has (1 - after/before).

    Both fits must have the same random-effect terms and the same outcome (a null model
    and the same model with a predictor, say). A negative share means the component
    grew: the predictor uncovered differences the null model did not show.

    Returns
    -------
    pandas.Series
        Indexed by component (``variance_components``' ``group``: the grouping factor
        and ``Residual``).

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=60), "g": np.repeat(list("abcdef"), 10)})
    >>> df["y"] = df["x"] + np.repeat(rng.normal(size=6), 10) + rng.normal(size=60)
    >>> fits = [smf.mixedlm(f, df, groups="g").fit() for f in ("y ~ 1", "y ~ x")]
    >>> list(explained_variance(*fits).index)
    ['g', 'Residual']
    """
    one = variance_components(before).set_index("group")["variance"]
    two = variance_components(after).set_index("group")["variance"]
    if list(one.index) != list(two.index):
        raise ValueError(
            f"explained_variance: the fits have different components: {list(one.index)} "
            f"and {list(two.index)}"
        )
    return 1 - two / one
