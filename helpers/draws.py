"""Random draws that are the same numbers in Python and in R, for simulations both tabs show.

numpy's and R's generators differ, so a simulation run in each language gives different
numbers, and a page showing both would print different counts. For the one simulation
the course shows in both (a parametric bootstrap), the draws come from here instead: the
Wichmann-Hill generator (Applied Statistics algorithm AS 183, 1982), which R also offers
as ``RNGkind("Wichmann-Hill")``. Its three small multiplicative congruential generators
can be jumped to any position exactly (``a^i x0 mod m`` in integers), so draw ``i`` of
seed ``s`` is a function of ``(s, i)``: R's twin ``qm_uniforms()`` / ``qm_normals()``
(helpers/R/draws.R) gives the same numbers. Normal draws are by inversion of the normal
distribution function. The generator is old and small (period about 7e12), ample for the
few hundred thousand draws of a bootstrap; for anything else use numpy's
``default_rng`` or R's default generator.
"""

from __future__ import annotations

import numpy as np

_MODULI = (30269, 30307, 30323)
_MULTIPLIERS = (171, 172, 170)


def _powers(base: int, exponents: np.ndarray, modulus: int) -> np.ndarray:
    """Return base ** exponents mod modulus, elementwise, in exact integers."""
    result = np.ones_like(exponents)
    square = np.full_like(exponents, base % modulus)
    e = exponents.copy()
    while (e > 0).any():
        odd = (e % 2) == 1
        result[odd] = (result[odd] * square[odd]) % modulus
        square = (square * square) % modulus
        e //= 2
    return result


def _state(seed: int) -> tuple[int, int, int]:
    """Return the generator's three starting values (each in 1 .. m - 1) for a seed."""
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    seed = int(seed)
    return 1 + seed % 30268, 1 + (seed // 30268) % 30306, 1 + (seed // 917302) % 30322


def uniforms(n: int, seed: int, offset: int = 0) -> np.ndarray:
    """Return draws ``offset + 1`` to ``offset + n`` of the Wichmann-Hill stream of `seed`.

    Each is frac(x/30269 + y/30307 + z/30323), with x, y, z the three generators' states
    after that many steps: R's ``RNGkind("Wichmann-Hill")`` with ``.Random.seed`` set to
    the same starting values gives the same numbers.

    Examples
    --------
    >>> u = uniforms(5, seed=2023)
    >>> bool(((u > 0) & (u < 1)).all()), bool(np.allclose(uniforms(3, 2023, offset=2), u[2:]))
    (True, True)
    """
    if n < 0 or offset < 0:
        raise ValueError(f"n and offset must be >= 0, got n={n}, offset={offset}")
    steps = offset + np.arange(1, n + 1, dtype=np.int64)
    total = np.zeros(n)
    for start, a, m in zip(_state(seed), _MULTIPLIERS, _MODULI, strict=True):
        total += (start * _powers(a, steps, m)) % m / m
    return np.mod(total, 1.0)


def normals(n: int, seed: int, offset: int = 0) -> np.ndarray:
    """Return standard normal draws: the normal quantiles of :func:`uniforms` (R: ``qm_normals()``).

    Examples
    --------
    >>> z = normals(4, seed=1)
    >>> z.shape, bool(np.isfinite(z).all())
    ((4,), True)
    """
    from scipy.special import ndtri

    return ndtri(uniforms(n, seed, offset))
