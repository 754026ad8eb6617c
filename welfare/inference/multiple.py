"""Multiple-testing adjustments: Romano-Wolf stepdown, Holm and Bonferroni.

Romano-Wolf (2005) stepdown with bootstrap max-t statistics, as in Clarke, Romano & Wolf (2020,
Stata ``rwolf``) and pyfixest's ``rwolf``: order the S hypotheses by ``|t|`` (largest first);
for step s the p-value is

    p_s = (1 + #{b : max_{r >= s} |t*_{b, (r)}| >= |t_(s)|}) / (B + 1),

the maximum taken over the hypotheses not yet rejected (those with smaller ``|t|``); the adjusted
p-values are made monotone, ``p~_(s) = max(p_(1), ..., p_(s))``. The bootstrap t statistics must
be centred under the null (e.g. WCR draws from :func:`welfare.inference.wild.wild_bootstrap_t`)
and come from the SAME resamples for all hypotheses, so their dependence is kept.

References
----------
Romano, J. P. & Wolf, M. (2005). Stepwise multiple testing as formalized data snooping.
*Econometrica* 73(4), 1237-1282. doi:10.1111/j.1468-0262.2005.00615.x

Clarke, D., Romano, J. P. & Wolf, M. (2020). The Romano-Wolf multiple-hypothesis correction in
Stata. *Stata Journal* 20(4), 812-843. doi:10.1177/1536867X20976314

Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian Journal
of Statistics* 6(2), 65-70.
"""

from __future__ import annotations

import numpy as np

from welfare.errors import DataError

__all__ = ["romano_wolf", "holm", "bonferroni"]


def _numbers(name: str, value, ndim: tuple[int, ...]) -> np.ndarray:
    """``value`` as a float array of an allowed dimension; numbers only (no bool, no text)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" and not (arr.dtype.kind == "O" and arr.size == 0):
        raise DataError(
            f"{name}: expected numbers, found dtype {arr.dtype} (e.g. {arr.reshape(-1)[:3]})"
        )
    if arr.ndim not in ndim:
        raise DataError(
            f"{name}: expected an array with {' or '.join(map(str, ndim))} dimension(s), found "
            f"shape {arr.shape}"
        )
    return arr.astype(float)


def _pvalues(p) -> np.ndarray:
    p = _numbers("p_values", p, (0, 1)).reshape(-1)
    if p.size == 0 or not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise DataError(f"expected p-values in [0, 1], found {p[:5]} (size {p.size})")
    return p


def romano_wolf(t_stats, boot_t_stats) -> np.ndarray:
    """Romano-Wolf stepdown adjusted p-values.

    Parameters
    ----------
    t_stats : array_like, shape (S,)
        Original test statistics (two-sided: their absolute values are used).
    boot_t_stats : array_like, shape (B, S)
        Null-centred bootstrap statistics, row b from resample b for every hypothesis.

    Returns
    -------
    numpy.ndarray, shape (S,)
        Adjusted p-values in the input order (``(1 + count) / (B + 1)`` convention; a
        bootstrap maximum equal to the statistic, up to a relative 1e-9, counts).

    Raises
    ------
    DataError
        Shapes that do not match (``t_stats`` not one-dimensional, no bootstrap sample),
        non-numeric (text, bool) or non-finite statistics.
    """
    t = np.abs(_numbers("t_stats", t_stats, (0, 1)).reshape(-1))
    boot = np.abs(_numbers("boot_t_stats", boot_t_stats, (0, 1, 2)))
    if boot.ndim != 2 or boot.shape[1] != t.size or t.size == 0 or boot.shape[0] == 0:
        raise DataError(
            f"boot_t_stats: expected shape (B, {t.size}) with B >= 1 bootstrap samples, found "
            f"{boot.shape}"
        )
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(boot))):
        raise DataError("expected finite t statistics and bootstrap statistics, found NaN or inf")
    B = boot.shape[0]
    order = np.argsort(-t, kind="stable")
    # running max from the smallest |t| up: max over hypotheses (s), (s+1), ..., (S)
    tail_max = np.maximum.accumulate(boot[:, order][:, ::-1], axis=1)[:, ::-1]
    # ties |t*| = |t| (exact under WCR for the draws v = +-1, up to rounding noise) count as at
    # least as extreme, decided with the relative tolerance of welfare.inference.wild
    p_step = (1 + (tail_max >= t[order][None, :] * (1 - 1e-9)).sum(axis=0)) / (B + 1)
    p_step = np.minimum(1.0, np.maximum.accumulate(p_step))
    out = np.empty_like(p_step)
    out[order] = p_step
    return out


def holm(p_values) -> np.ndarray:
    """Holm (1979) stepdown adjusted p-values, shape (S,): ``max_{r<=s} min(1, (S-r+1) p_(r))``.

    Raises
    ------
    DataError
        ``p_values`` empty, not one-dimensional (one family per call), not numbers (text,
        bool), or outside [0, 1].
    """
    p = _pvalues(p_values)
    S = p.size
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((S - np.arange(S)) * p[order]))
    out = np.empty_like(adj)
    out[order] = adj
    return out


def bonferroni(p_values) -> np.ndarray:
    """Bonferroni adjusted p-values, shape (S,): ``min(1, S p)``.

    Raises
    ------
    DataError
        As :func:`holm`.
    """
    p = _pvalues(p_values)
    return np.minimum(1.0, p.size * p)
