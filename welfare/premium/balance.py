"""Covariate balance and propensity overlap of a treatment-effect estimate.

For each covariate ``x`` and arm ``k`` the weighted mean ``m_k`` and variance ``s2_k`` are
computed before adjustment (survey weights) and after it (the estimator's implied weights);

    SMD = (m_1 - m_0) / sqrt((s2_1 + s2_0) / 2),        variance ratio = s2_1 / s2_0,

with the denominator of the SMD taken from the unadjusted sample in both columns, so before and
after are on one scale (Austin 2009). Implied weights: ``w_i om_k(p_i)`` for IPW, AIPW and
IPWRA (the IPW weights of the estimand); for matching, ``w_i 1{i in P} + K_i`` (the target
population itself plus every unit's match weight). Regression adjustment has no implied
weights, so only the before columns are given. A |SMD| below 0.1 is the usual benchmark.

References
----------
Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline covariates
between treatment groups in propensity-score matched samples. *Statistics in Medicine* 28(25),
3083-3107. doi:10.1002/sim.3697
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from welfare.errors import UnknownOptionError
from welfare.premium.weighting import TreatmentEffectResults, _omega

__all__ = ["balance", "implied_weights", "propensity_overlap"]

BALANCE_COLUMNS = [
    "covariate",
    "mean_treated_before",
    "mean_control_before",
    "smd_before",
    "var_ratio_before",
    "mean_treated_after",
    "mean_control_after",
    "smd_after",
    "var_ratio_after",
]


def _ctx(res):
    if not isinstance(res, TreatmentEffectResults) or not hasattr(res, "_ctx"):
        raise UnknownOptionError(
            f"expected the results of ipw/aipw/ipwra/ra/ps_match/nn_match, found {type(res).__name__}"
        )
    return res._ctx


def implied_weights(res: TreatmentEffectResults) -> np.ndarray | None:
    """Weights that the estimator puts on each unit of its estimation sample.

    Returns
    -------
    numpy.ndarray, shape (n_obs,), or None
        ``None`` for regression adjustment (no implied weights).
    """
    ctx = _ctx(res)
    prep, ps, method = ctx["prep"], ctx["ps"], ctx["method"]
    d, w = prep.d, prep.w
    estimand = res.terms[0]
    if method in ("ipw", "aipw", "ipwra"):
        om1, om0, _, _ = _omega(estimand, ps.score)
        return w * np.where(d == 1, om1, om0)
    if method in ("psmatch", "nnmatch"):
        n = len(d)
        out = np.zeros(n)
        out[ctx["P"]] = w[ctx["P"]]
        for q, s in ctx["sets"].values():
            inv = np.repeat(1.0 / s.sizes, s.sizes)
            out += np.bincount(s.idx, weights=np.repeat(w[q], s.sizes) * inv, minlength=n)
        return out
    return None


def _smd(m1: float, m0: float, sd: float) -> float:
    """SMD; a covariate constant within both arms gives 0 if the means agree, else +-inf."""
    if sd > 0:
        return (m1 - m0) / sd
    return 0.0 if m1 == m0 else float(np.sign(m1 - m0) * np.inf)


def _ratio(v1: float, v0: float) -> float:
    if v0 > 0:
        return v1 / v0
    return 1.0 if v1 == 0 else np.inf


def _covariate_matrix(prep, covariates) -> tuple[list[str], np.ndarray]:
    """Columns of the estimation sample as numbers; text/categorical ones as level dummies."""
    if isinstance(covariates, str) or not len(covariates):
        raise UnknownOptionError(f"covariates: expected a non-empty list, found {covariates!r}")
    frame = prep.frame
    bad = [c for c in covariates if c not in frame.columns]
    if bad:
        raise UnknownOptionError(
            f"covariates: expected columns of the estimation sample, found {bad}"
        )
    own = [c for c in covariates if c in (prep.outcome, prep.dep, prep.treatment)]
    if own:
        raise UnknownOptionError(
            f"covariates: expected pre-treatment covariates, found the outcome/treatment {own}"
        )
    names, cols = [], []
    for c in covariates:
        col = frame[c]
        if isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col):
            levels = (
                list(col.cat.categories)
                if isinstance(col.dtype, pd.CategoricalDtype)
                else sorted(col.dropna().unique())
            )
            for lev in levels:
                names.append(f"{c}[{lev}]")
                cols.append((col == lev).to_numpy(dtype=float))
        else:
            names.append(c)
            cols.append(col.to_numpy(dtype=float))
    return names, np.column_stack(cols)


def _wstats(x, wt):
    m = np.sum(wt * x) / np.sum(wt)
    v = np.sum(wt * (x - m) ** 2) / np.sum(wt)
    return m, v


def balance(res: TreatmentEffectResults, covariates=None) -> pd.DataFrame:
    """Balance table: weighted means, SMD and variance ratio before and after adjustment.

    Parameters
    ----------
    res : TreatmentEffectResults
        From :func:`ipw`, :func:`aipw`, :func:`ipwra`, :func:`ra`, :func:`ps_match` or
        :func:`nn_match`.
    covariates : list of str, optional
        Columns of the estimation sample (text/categorical ones as one dummy per level);
        default the design columns of the propensity model (or of the matching / outcome
        model). A covariate constant within both arms has SMD 0 when the means agree and
        +-inf when they differ (complete separation).

    Returns
    -------
    pandas.DataFrame, shape (n_covariates, 9)
        Columns ``covariate, mean_treated_before, mean_control_before, smd_before,
        var_ratio_before, mean_treated_after, mean_control_after, smd_after,
        var_ratio_after`` (the ``after`` columns are absent for regression adjustment).
        ``attrs`` carry the estimator, the data label and the synthetic flag.

    Raises
    ------
    UnknownOptionError
        Results of another estimator, an empty list, columns not in the estimation sample,
        or the outcome/treatment among the covariates.
    """
    ctx = _ctx(res)
    prep, ps = ctx["prep"], ctx["ps"]
    if covariates is None:
        if ps is not None:
            names, X = ps.terms, ps.X
        elif "X" in ctx:
            names, X = res.extra["matching_covariates"], ctx["X"]
        else:
            names, X = prep.z_terms, prep.Z
        keep = [i for i, t in enumerate(names) if t != "Intercept"]
        names, X = [names[i] for i in keep], X[:, keep]
    else:
        names, X = _covariate_matrix(prep, covariates)
    d, w = prep.d, prep.w
    after = implied_weights(res)
    rows = []
    for j, name in enumerate(names):
        x = X[:, j]
        m1, v1 = _wstats(x[d == 1], w[d == 1])
        m0, v0 = _wstats(x[d == 0], w[d == 0])
        sd = np.sqrt((v1 + v0) / 2)
        row = {
            "covariate": name,
            "mean_treated_before": m1,
            "mean_control_before": m0,
            "smd_before": _smd(m1, m0, sd),
            "var_ratio_before": _ratio(v1, v0),
        }
        if after is not None:
            a1, a0 = after[d == 1], after[d == 0]
            m1a, v1a = _wstats(x[d == 1], a1)
            m0a, v0a = _wstats(x[d == 0], a0)
            row.update(
                mean_treated_after=m1a,
                mean_control_after=m0a,
                smd_after=_smd(m1a, m0a, sd),
                var_ratio_after=_ratio(v1a, v0a),
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update(
        estimator=res.estimator,
        estimand=res.terms[0],
        data_label=res.data_label,
        synthetic=res.synthetic,
    )
    return out


def propensity_overlap(res: TreatmentEffectResults) -> pd.DataFrame:
    """Fitted propensity scores by arm, for an overlap plot.

    Returns
    -------
    pandas.DataFrame, shape (n_obs, 3)
        Columns ``score`` (as used: clipped when the rule is "clip"), ``treated`` (0/1) and
        ``weight`` (survey weight); ``attrs`` carry the overlap rule, bounds and counts.

    Raises
    ------
    UnknownOptionError
        Results without a propensity model (RA, covariate matching).
    """
    ctx = _ctx(res)
    ps = ctx["ps"]
    if ps is None:
        raise UnknownOptionError(f"{res.estimator}: expected an estimator with a propensity model")
    out = pd.DataFrame({"score": ps.score, "treated": ctx["prep"].d, "weight": ctx["prep"].w})
    out.attrs.update(
        overlap=dict(ps.overlap),
        estimator=res.estimator,
        data_label=res.data_label,
        synthetic=res.synthetic,
    )
    return out
