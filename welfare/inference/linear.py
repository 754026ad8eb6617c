"""Weighted least squares with absorbed fixed effects (engine: pyfixest) and design variance.

pyfixest estimates the coefficients and, when the design has no strata, the iid, HC1 and CRV1
variances (CRV1 small-sample factor (G/(G-1))((N-1)/(N-K)), t reference with G - 1 df, as
Stata's ``regress, vce(cluster)``/``reghdfe``). With strata, the design-based linearisation
variance of :mod:`welfare.inference.vcov` is computed from pyfixest's within-transformed,
weighted design and residuals (df = #PSU - #strata, Stata's ``svy`` rule, no (N-1)/(N-K)).
Singleton fixed-effect groups are removed before estimation and counted as a drop reason.

pyfixest runs on the model matrix with the outcome and every regressor column divided by a
power of two near its standard deviation (:func:`welfare._estimation.pow2_unit`); coefficients
and variances are multiplied back exactly. Raw columns near 1e150 would overflow in the sums of
squares, and pyfixest's demeaning and collinearity tolerances are absolute; with the division,
results on data times ``2**k`` are the results on the data times the factor, bit for bit.
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
    pow2_unit,
    prepare,
    resolve_vcov,
    unpack,
)
from welfare._options import as_columns, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.data.sample import EstimationSample
from welfare.errors import (
    ColumnTypeError,
    ConvergenceError,
    ImpossibleValueError,
    OutcomeError,
    WelfareWarning,
)
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat, sandwich

__all__ = ["CollinearityWarning", "ScaleWarning", "fit_ols"]

_PF_WEIGHTS = {"pweight": "aweights", "aweight": "aweights", "fweight": "fweights"}


class CollinearityWarning(WelfareWarning):
    """Regressors dropped because they are collinear (e.g. with the fixed effects)."""


class ScaleWarning(WelfareWarning):
    """Variances that over- or underflow float64 in the units of the data (estimates are fine)."""


def drop_singletons(
    frame: pd.DataFrame, sample: EstimationSample, fixed_effects, fweights: str | None = None
) -> EstimationSample:
    """Remove singleton fixed-effect groups iteratively, counting them as a drop reason.

    With frequency weights (``fweights``: their column) a group is a singleton when its
    weights sum to 1: a row standing for 3 units is a group of 3, as in the expanded data.
    """
    if not fixed_effects:
        return sample
    while True:
        keep = np.ones(sample.n_rows, dtype=bool)
        for fe in fixed_effects:
            sub = frame.loc[sample.mask, fe]
            if fweights is None:
                counts = sub.map(sub.value_counts())
            else:
                wsum = frame.loc[sample.mask, fweights].groupby(sub, observed=True).sum()
                counts = sub.map(wsum)
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
        Coefficients in the units of the data (outcome units per regressor unit) and their
        covariance; scale-equivariant: multiplying the outcome by ``2**a`` and a regressor by
        ``2**b`` multiplies its coefficient by exactly ``2**(a - b)`` and leaves t statistics,
        p-values and R-squared unchanged (within float64's range).

    Raises
    ------
    MissingColumnError, ColumnTypeError, ImpossibleValueError
        Absent columns, a text outcome, formula terms that are missing or infinite.
    OutcomeError
        An outcome (after the formula's transformation) with one value in the whole estimation
        sample: every slope would be 0 with standard error 0 and each t statistic 0/0. (An
        outcome fitted exactly by non-constant regressors is left to the caller.)
    ImpossibleValueError
        Also for an estimate that overflows float64 in the units of the data.
    EmptySampleError
        No more observations than parameters (after singleton fixed-effect groups are dropped).
    VarianceError, DesignError
        iid with pweights, fewer than 2 clusters, a stratum with one PSU.
    UnknownOptionError
        Unknown keywords or option values, a string where a list of columns is expected.

    Warns
    -----
    CollinearityWarning
        Regressors dropped as collinear (named; also in the notes).
    ScaleWarning
        Variances that over- or underflow float64 in the units of the data (e.g. an outcome
        times 1e160: variances near 1e320); also in the notes.
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
    sample = drop_singletons(
        inp.frame, sample, fixed_effects, inp.design.weights if _is_fw(inp.design) else None
    )
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
    y = np.asarray(mm.lhs, dtype=float)[:, 0]
    if np.ptp(y) == 0:
        raise OutcomeError(
            f"outcome {str(mm.lhs.columns[0])!r}: expected variation in the estimation sample, "
            f"found the constant value {float(y[0])!r} in all {len(y)} rows (every slope would "
            "be 0 with standard error 0, each t statistic 0/0)"
        )
    others = list(dict.fromkeys(fixed_effects + inp.design.columns + ([clus] if clus else [])))
    work, pf_formula, names, units = _scaled_frame(mm, sub, fixed_effects, others)
    _warn_off_centre(mm, intercept=bool(fixed_effects) or "Intercept" in mm.rhs.columns,
                     notes=notes)  # fmt: skip
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
    if fixed_effects:
        # pyfixest's demeaning tolerance is absolute and 1e-6 by default (MapDemeaner): on
        # columns scaled to a standard deviation near 1 it left 8e-7 relative error in a slope
        # with two slowly converging fixed effects (measured against explicit dummies); 1e-10
        # gives 1e-15
        from pyfixest.estimation import MapDemeaner

        kw["demeaner"] = MapDemeaner(fixef_tol=1e-10, fixef_maxiter=100_000)
    try:
        fit = pf.feols(pf_formula, data=work, vcov=pf_vcov, fixef_rm="none", **kw)
    except ValueError as e:
        if "Demeaning failed" not in str(e):
            raise
        raise ConvergenceError(
            f"{estimator}: expected the fixed-effect demeaning ({', '.join(fixed_effects)}) to "
            f"converge to 1e-10 within 100000 iterations, found: {e}"
        ) from None
    n_used = int(round(sub[inp.design.weights].sum())) if _is_fw(inp.design) else sample.n_obs
    if int(fit._N) != n_used:
        raise ImpossibleValueError(
            f"{estimator}: pyfixest used {int(fit._N)} observations, expected {n_used}; rows "
            "would have been dropped silently"
        )
    collin = [names.get(str(c), str(c)) for c in (getattr(fit, "_collin_vars", []) or [])]
    if collin:
        msg = f"regressor(s) {collin} dropped as collinear (with the fixed effects or each other)"
        warnings.warn(msg, CollinearityWarning, stacklevel=3)
        notes.append(msg + ".")
    terms, est, v, df_t, n = _pyfixest_parts(fit)
    # back to the units of the data: b_j = b~_j u_y / u_j = b~_j 2**(e_y - e_j), exactly
    keys = list(fit.coef().index)
    shift = np.array([_exponent(units["y"]) - _exponent(units.get(str(k), 1.0)) for k in keys])
    terms = [clean_term(names.get(str(k), str(k))) for k in keys]
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
    var_scaled = np.diag(v).copy()
    with np.errstate(over="ignore", under="ignore"):  # detected and reported below
        est = np.ldexp(est, shift)
        v = np.ldexp(v, shift[:, None] + shift[None, :])
    big = [t for t, b in zip(terms, est, strict=True) if not np.isfinite(b)]
    if big:
        raise ImpossibleValueError(
            f"{estimator}: terms {big}: expected estimates within float64 in the units of the "
            "data, found them overflowing; rescale the outcome or those regressors (e.g. to "
            "thousands or logs)"
        )
    var = np.diag(v)
    out = [
        t
        for t, s2, s2_scaled in zip(terms, var, var_scaled, strict=True)
        if not np.isfinite(s2) or (s2_scaled > 0 and s2 < np.finfo(float).tiny)
    ]
    if out:
        # the estimates are right; only their variances (squares of standard errors) leave
        # float64 (scale-free statistics, e.g. the wild bootstrap's, remain available). An inf,
        # 0 or subnormal variance would print a wrong t (0, inf or off): set to NaN, and say so
        bad = [i for i, t in enumerate(terms) if t in out]
        v = v.copy()
        v[bad, :] = np.nan
        v[:, bad] = np.nan
        msg = (
            f"terms {out}: variances (squares of standard errors) over- or underflow float64 "
            "in the units of the data (inf, 0 or subnormal), so their standard errors, tests and "
            "intervals are set to NaN - rescale the outcome or those regressors (e.g. to "
            "thousands or logs)"
        )
        warnings.warn(msg, ScaleWarning, stacklevel=3)
        notes.append(msg + ".")
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


def _scaled_frame(mm, sub: pd.DataFrame, fixed_effects: list[str], others: list[str]):
    """Divide every model-matrix column by its power-of-two unit; build the pyfixest input.

    Returns the frame (scaled outcome and regressors plus the untouched fixed-effect, weight,
    cluster and strata columns), the pyfixest formula on it, the map from its column names to
    the model-matrix term names, and the units (``"y"`` for the outcome, one per regressor
    column; the intercept is not scaled). With fixed effects the intercept column is left out
    (pyfixest absorbs it, as it does for the formula itself).
    """
    taken = set(map(str, sub.columns))
    stem = "welfare_scaled_"
    while any(c.startswith(stem) for c in taken):
        stem = "_" + stem
    y_name = stem + "y"
    rhs = [c for c in mm.rhs.columns if not (c == "Intercept" and fixed_effects)]
    intercept = "Intercept" in rhs
    regs = [c for c in rhs if c != "Intercept"]
    X = np.asarray(mm.rhs[regs], dtype=float) if regs else np.empty((len(sub), 0))
    y = np.asarray(mm.lhs, dtype=float)[:, 0]
    units = {"y": pow2_unit(y)}
    data = {y_name: y / units["y"]}
    names = {"Intercept": "Intercept"}
    for j, c in enumerate(regs):
        key = f"{stem}x{j}"
        units[key] = pow2_unit(X[:, j])
        data[key] = X[:, j] / units[key]
        names[key] = str(c)
    work = pd.DataFrame(data)
    for c in others:
        work[c] = sub[c].to_numpy()
    keys = [k for k in names if k != "Intercept"]
    lhs = y_name + " ~ " + ("" if intercept or fixed_effects else "0 + ")
    rhs_text = " + ".join(keys) if keys else "1"
    pf_formula = lhs + rhs_text + (" | " + " + ".join(fixed_effects) if fixed_effects else "")
    return work, pf_formula, names, units


#: |mean| / sd of a regressor above which its coefficient loses more than half of float64's
#: digits next to an intercept or fixed effects (about 16 - log10(ratio) digits are left).
OFF_CENTRE_RATIO = 1e6


def _warn_off_centre(mm, *, intercept: bool, notes: list[str]) -> None:
    """Warn about regressors whose mean dwarfs their spread (nearly collinear with a constant).

    Scaling by a power of two cannot help there: the column is ``mean + small`` and the fit
    must tell ``small`` from the constant, losing about ``log10(|mean| / sd)`` digits (a
    regressor ``1e7 + v`` gave a slope 3% off; at ``1e8`` it was dropped as collinear).
    """
    if not intercept:
        return
    bad = []
    for c in mm.rhs.columns:
        if c == "Intercept":
            continue
        x = np.asarray(mm.rhs[c], dtype=float)
        sd = float(np.std(x))
        if sd > 0 and abs(float(np.mean(x))) > OFF_CENTRE_RATIO * sd:
            bad.append(f"{clean_term(str(c))} (|mean|/sd = {abs(np.mean(x)) / sd:.1e})")
    if bad:
        msg = (
            f"regressor(s) {', '.join(bad)}: expected |mean|/sd below {OFF_CENTRE_RATIO:.0e}; "
            "next to the intercept or fixed effects their coefficients lose about "
            "log10(|mean|/sd) digits - centre them (subtract the mean) before fitting"
        )
        warnings.warn(msg, CollinearityWarning, stacklevel=4)
        notes.append(msg + ".")


def _exponent(unit: float) -> int:
    """``e`` with ``unit == 2**e`` (units from :func:`welfare._estimation.pow2_unit`)."""
    return int(np.frexp(unit)[1]) - 1


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
