"""Weighted least squares with absorbed fixed effects (engine: pyfixest) and design variance.

pyfixest estimates the coefficients and, when the design has no strata, the iid, HC1 and CRV1
variances (CRV1 small-sample factor (G/(G-1))((N-1)/(N-K)), t reference with G - 1 df, as
Stata's ``regress, vce(cluster)``/``reghdfe``). With strata, the design-based linearisation
variance of :mod:`welfare.inference.vcov` is computed from pyfixest's within-transformed,
weighted design and residuals (df = #PSU - #strata, Stata's ``svy`` rule, no (N-1)/(N-K)).
Singleton fixed-effect groups are removed before estimation and counted as a drop reason.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from welfare._estimation import (
    check_clusters,
    check_enough,
    clean_term,
    drop_unused_levels,
    float_integers,
    formula_variables,
    model_matrices,
    prepare,
    resolve_vcov,
    unpack,
)
from welfare._options import as_columns, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.data.sample import EstimationSample
from welfare.errors import ColumnTypeError, ImpossibleValueError, WelfareWarning
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat, sandwich

__all__ = ["fit_ols", "CollinearityWarning"]

_PF_WEIGHTS = {"pweight": "aweights", "aweight": "aweights", "fweight": "fweights"}


class CollinearityWarning(WelfareWarning):
    """Regressors dropped because they are collinear (e.g. with the fixed effects)."""


def drop_singletons(
    frame: pd.DataFrame, sample: EstimationSample, fixed_effects
) -> EstimationSample:
    """Remove singleton fixed-effect groups iteratively, counting them as a drop reason."""
    if not fixed_effects:
        return sample
    while True:
        keep = np.ones(sample.n_rows, dtype=bool)
        for fe in fixed_effects:
            sub = frame.loc[sample.mask, fe]
            counts = sub.map(sub.value_counts())
            single = np.zeros(sample.n_rows, dtype=bool)
            single[np.flatnonzero(sample.mask)] = counts.to_numpy() == 1
            keep &= ~single
        if keep[sample.mask].all():
            return sample
        sample = sample.extend(f"singleton fixed-effect group ({', '.join(fixed_effects)})", keep)


@strict_keywords
def fit_ols(
    formula: str,
    data,
    *,
    fixed_effects: list[str] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
    estimator: str = "OLS",
    estimand: str = "coefficients",
) -> Results:
    """Weighted OLS with absorbed fixed effects and design-consistent variance.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + C(g) + x1:x2"`` (formulaic syntax, no ``|``).
    data : pandas.DataFrame or SurveyData
    fixed_effects : list of str, optional
        Columns whose effects are absorbed.
    design : SurveyDesign, optional
    cluster : str, optional
        Cluster column when there is no design PSU.
    vcov : {"iid", "HC1", "CRV1", "design"} or None
        ``None`` follows the design (see :func:`welfare._estimation.resolve_vcov`).

    Returns
    -------
    Results

    Raises
    ------
    MissingColumnError, ColumnTypeError, ImpossibleValueError
        Absent columns, a text outcome, formula terms that are missing or infinite.
    EmptySampleError
        No more observations than parameters (after singleton fixed-effect groups are dropped).
    VarianceError, DesignError
        iid with pweights, fewer than 2 clusters, a stratum with one PSU.
    UnknownOptionError
        Unknown keywords or option values, a string where a list of columns is expected.
    """
    import pyfixest as pf

    inp = unpack(data, design)
    fixed_effects = as_columns("fixed_effects", fixed_effects)
    choice = resolve_vcov(vcov, inp.design, cluster)
    lhs, rhs = formula_variables(formula)
    # a derived outcome (log_y) is missing exactly where its source is: name the source
    derived = dict(inp.frame.attrs.get("welfare_derived", {}))
    lhs_roles = list(dict.fromkeys([derived[c] for c in lhs if c in derived] + lhs))
    roles = [("outcome", lhs_roles), ("regressor", rhs)]
    if fixed_effects:
        roles.append(("fixed effect", fixed_effects))
    sample = prepare(inp.frame, inp.design, roles, cluster)
    sample = drop_singletons(inp.frame, sample, fixed_effects)
    clus = cluster or inp.design.psu
    cols = list(
        dict.fromkeys(lhs + rhs + fixed_effects + inp.design.columns + ([clus] if clus else []))
    )
    sub = inp.frame.loc[sample.mask, cols].reset_index(drop=True)
    sub, notes = drop_unused_levels(sub)
    sub = float_integers(sub)
    sub = sub.copy() if not notes else sub
    if inp.design.weights is not None and not _is_fw(inp.design):
        # scale-free: p/aweights normalised to mean 1 (estimates and variances do not depend on
        # the scale, and huge or tiny weights cannot overflow)
        w = sub[inp.design.weights] / sub[inp.design.weights].max()  # no overflow in the mean
        sub[inp.design.weights] = w / w.mean()
    for y in lhs:
        if pd.api.types.is_bool_dtype(sub[y]):
            sub[y] = sub[y].astype(float)  # True/False is 1/0, not a recode
        if not pd.api.types.is_numeric_dtype(sub[y]):
            raise ColumnTypeError(f"outcome {y!r}: expected numbers, found dtype {sub[y].dtype}")
    mm = model_matrices(formula, sub)
    n_fe = sum(int(sub[f].nunique()) - 1 for f in fixed_effects)
    check_enough(sample.n_obs, mm.rhs.shape[1] + n_fe, estimator)
    check_clusters(sub, choice.cluster)
    fml = formula + (" | " + " + ".join(fixed_effects) if fixed_effects else "")
    if choice.kind == "iid":
        pf_vcov = "iid"
    elif choice.kind == "HC1":
        pf_vcov = "hetero"
    else:
        pf_vcov = {"CRV1": choice.cluster}
    kw = {}
    if inp.design.weights is not None:
        kw = {"weights": inp.design.weights, "weights_type": _PF_WEIGHTS[inp.design.weight_type]}
    fit = pf.feols(fml, data=sub, vcov=pf_vcov, fixef_rm="none", **kw)
    n_used = int(round(sub[inp.design.weights].sum())) if _is_fw(inp.design) else sample.n_obs
    if int(fit._N) != n_used:
        raise ImpossibleValueError(
            f"{estimator}: pyfixest used {int(fit._N)} observations, expected {n_used}; rows "
            "would have been dropped silently"
        )
    collin = list(getattr(fit, "_collin_vars", []) or [])
    if collin:
        msg = f"regressor(s) {collin} dropped as collinear (with the fixed effects or each other)"
        warnings.warn(msg, CollinearityWarning, stacklevel=2)
        notes.append(msg + ".")
    terms, est, v, df_t, n = _pyfixest_parts(fit)
    if choice.kind == "design":
        scores, bread = _pyfixest_scores(fit)
        m, g, h = meat(
            scores,
            clusters=sub[choice.cluster].to_numpy(),
            strata=(
                sub[choice.strata].to_numpy()
                if choice.strata
                else np.zeros(len(sub), dtype=int)  # one stratum
            ),
        )
        v = sandwich(bread, m)
        spec = VcovSpec(
            "design", choice.cluster, choice.strata or "(one stratum)", g, h, g - h, 1.0
        )
    elif choice.kind == "CRV1":
        g = int(sub[choice.cluster].nunique())
        spec = VcovSpec("CRV1", choice.cluster, None, g, None, g - 1, _ssc(fit))
    else:
        spec = VcovSpec(choice.kind, None, None, None, None, int(df_t), _ssc(fit))
    weights = inp.design.weights_label
    extra = {"r2": float(fit._r2)} if getattr(fit, "_r2", None) is not None else {}
    if fixed_effects:
        extra["fixed_effects"] = ", ".join(fixed_effects)

    def refit(new_vcov: str) -> Results:
        return fit_ols(
            formula,
            data,
            fixed_effects=fixed_effects,
            design=design,
            cluster=cluster,
            vcov=new_vcov,
            estimator=estimator,
            estimand=estimand,
        )

    return Results(
        terms=terms,
        estimates=est,
        vcov=v,
        vcov_spec=spec,
        estimator=estimator,
        estimand=estimand,
        sample=sample,
        n_obs=n,
        weights=weights,
        data_label=inp.label,
        synthetic=inp.synthetic,
        extra=extra,
        notes=notes,
        refit=refit,
        formula=fml,
    )


def _is_fw(design: SurveyDesign) -> bool:
    return design.weights is not None and design.weight_type == "fweight"


def _ssc(fit) -> float:
    try:
        return float(np.asarray(fit._ssc).reshape(-1)[0])
    except Exception:  # noqa: BLE001 - metadata only
        return float("nan")


def _pyfixest_parts(fit):
    """Coefficient names, estimates, covariance, residual df and N from a pyfixest fit.

    The only place that reads pyfixest attributes; ``tests/test_linear.py`` checks these against
    pyfixest's public ``coef()``, ``se()`` and ``pvalue()``.
    """
    terms = [clean_term(t) for t in fit.coef().index]
    est = fit.coef().to_numpy(dtype=float)
    v = np.asarray(fit._vcov, dtype=float)
    return terms, est, v, fit._df_t, int(fit._N)


def _pyfixest_scores(fit):
    """Per-observation scores w_i x~_i e_i and the bread (X~'WX~)^-1 from a pyfixest fit."""
    X = np.asarray(fit._X, dtype=float)  # within-transformed, multiplied by sqrt(w)
    u = np.asarray(fit._u_hat, dtype=float).reshape(-1)  # residuals times sqrt(w)
    scores = X * u[:, None]
    bread = np.linalg.inv(X.T @ X)
    return scores, bread
