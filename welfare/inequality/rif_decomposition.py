"""Reweighted RIF decomposition of a distributional gap (Firpo, Fortin & Lemieux 2018).

For a statistic v (a quantile, the variance, the Gini, ...) of the outcome in group 1 and group 0,
the gap v1 - v0 is split with a counterfactual vc: group 0 reweighted to group 1's covariate
distribution by w_i P(1|x_i) / (1 - P(1|x_i)) (a logit propensity score, DiNardo, Fortin &
Lemieux 1996):

    v1 - v0 = (vc - v0) + (v1 - vc)        composition + structure.

RIF regressions in group 0 (g0), the reweighted group 0 (gc) and group 1 (g1), with covariate
means x0, xc, x1, split each part in detail:

* composition = (xc - x0)'g0  [pure composition, by covariate]  + xc'(gc - g0)  [specification
  error: zero when the RIF is linear in x];
* structure = x1'(g1 - gc)  [pure structure, by covariate]  + (x1 - xc)'gc  [reweighting error:
  zero when the reweighting balances the means].

The statistic of each (reweighted) group is the weighted mean of its RIF, so the identities hold
exactly; they are asserted in code. Standard errors: the seeded Rao-Wu bootstrap of the whole
procedure (propensity, reweighting, RIFs, regressions) by PSU within strata.

References
----------
Firpo, S. P., Fortin, N. M. & Lemieux, T. (2018). Decomposing wage distributions using recentered
influence function regressions. *Econometrics* 6(2), 28. doi:10.3390/econometrics6020028
DiNardo, J., Fortin, N. M. & Lemieux, T. (1996). Labor market institutions and the distribution
of wages, 1973-1992: a semiparametric approach. *Econometrica* 64(5), 1001-1044.
doi:10.2307/2171954
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from welfare._options import check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.errors import (
    CollinearityError,
    DataError,
    EmptySampleError,
    OverlapError,
    UnknownOptionError,
    WelfareError,
)
from welfare.inequality._prepare import (
    bootstrap_multipliers,
    bootstrap_vcov,
    check_boot,
    level_name,
    prepare,
    results,
)
from welfare.inequality.decompose import assert_adds_up
from welfare.inequality.rif import rif

__all__ = ["rif_decomposition"]


def _logit(X, d, w):
    """Weighted logit coefficients (Newton steps via scipy's minimiser)."""

    def nll(b):
        z = X @ b
        return -np.sum(w * (d * z - np.logaddexp(0, z)))

    def grad(b):
        return -X.T @ (w * (d - special.expit(X @ b)))

    res = optimize.minimize(nll, np.zeros(X.shape[1]), jac=grad, method="BFGS",
                            options={"gtol": 1e-10, "maxiter": 1000})  # fmt: skip
    return res.x


@strict_keywords
def rif_decomposition(
    data,
    outcome: str,
    *,
    by: str,
    regressors,
    statistic: str = "quantile",
    p: float | None = 0.5,
    group1=None,
    design: SurveyDesign | None = None,
    n_boot: int = 199,
    random_state=None,
    trim: float = 1e-3,
):
    """Reweighted RIF decomposition of the gap in a distributional statistic between two groups.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
    outcome : str
    by : str
        Column with exactly two groups; the gap is v(group 1) - v(group 0).
    regressors : sequence of str
        Numeric covariates (an intercept is added), used in the logit and the RIF regressions.
    statistic : {"quantile", "variance", "gini", "mean"}, default "quantile"
    p : float, default 0.5
        The quantile's fraction (``statistic="quantile"``).
    group1 : scalar, optional
        The value of ``by`` forming group 1 (default: the lower value, as in
        :func:`welfare.inequality.oaxaca`; pass ``group1=1`` for participants vs others).
    design : SurveyDesign, optional
    n_boot : int, default 199
    random_state : int or numpy.random.Generator
        Required: the SEs are bootstrapped.
    trim : float, default 1e-3
        Propensity scores must lie in [trim, 1 - trim] in group 0 (else ``OverlapError``).

    Returns
    -------
    Results
        Terms ``v1, v0, vc, gap, composition, structure, pure composition,
        specification error, pure structure, reweighting error`` and the detailed
        ``composition[x]`` / ``structure[x]``.

    Raises
    ------
    DataError, EmptySampleError, CollinearityError, OverlapError, UnknownOptionError
    """
    check_option("statistic", statistic, ("quantile", "variance", "gini", "mean"))
    if isinstance(trim, bool) or not isinstance(trim, float | int) or not 0 <= trim < 0.5:
        raise UnknownOptionError(f"trim: expected a number in [0, 0.5), found {trim!r}")
    check_boot(n_boot, random_state)
    regs = [regressors] if isinstance(regressors, str) else list(regressors)
    if not regs:
        raise UnknownOptionError("regressors: expected at least one covariate, found none")
    prep = prepare(data, outcome, design=design, by=by, extra_roles=[("regressor", regs)])
    if len(prep.levels) != 2:
        raise DataError(f"by={by!r}: expected exactly 2 groups, found {len(prep.levels)}")
    names = [level_name(v) for v in prep.levels]
    g1 = (
        0
        if group1 is None
        else names.index(level_name(group1))
        if level_name(group1) in names
        else -1
    )
    if g1 < 0:
        raise DataError(f"group1={group1!r}: expected one of the groups {names}")
    in1 = prep.groups == g1
    X = np.column_stack([np.ones(len(prep.y))] + [prep.extra_cols[c].astype(float) for c in regs])
    terms_x = ["_cons", *regs]
    for sel, lab in ((in1, names[g1]), (~in1, names[1 - g1])):
        if (prep.w[sel].sum() if prep.fweights else sel.sum()) < X.shape[1] + 1:
            raise EmptySampleError(f"group {by}={lab}: too few observations for the regressions")
        if np.linalg.matrix_rank(X[sel]) < X.shape[1]:
            raise CollinearityError(f"group {by}={lab}: the regressors {regs} are collinear")
    y = prep.y
    kw = {
        "statistic": statistic,
        "p": p if statistic == "quantile" else None,
        "fweights": prep.fweights,
    }

    def wls(Xg, r, w):
        A = (Xg.T * w) @ Xg
        return np.linalg.solve(A, (Xg.T * w) @ r)

    def compute(w):
        d = in1.astype(float)
        b = _logit(X, d, w)
        ps = special.expit(X @ b)
        if (ps[~in1] < trim).mean() > 0 or (ps[~in1] > 1 - trim).any():
            raise OverlapError(
                f"propensity scores of group 0 outside [{trim}, {1 - trim}]: the reweighted "
                "counterfactual is not identified; expected overlap (or fewer covariates)"
            )
        share1 = w[in1].sum() / w.sum()
        wc = w[~in1] * ps[~in1] / (1 - ps[~in1]) * (1 - share1) / share1
        X1, X0 = X[in1], X[~in1]
        r1 = rif(y[in1], w[in1], **kw)
        r0 = rif(y[~in1], w[~in1], **kw)
        rc = rif(y[~in1], wc, **kw)
        v1, v0, vc = (np.average(r, weights=ww) for r, ww in ((r1, w[in1]), (r0, w[~in1]),
                                                               (rc, wc)))  # fmt: skip
        g1_, g0_, gc_ = wls(X1, r1, w[in1]), wls(X0, r0, w[~in1]), wls(X0, rc, wc)
        x1 = w[in1] @ X1 / w[in1].sum()
        x0 = w[~in1] @ X0 / w[~in1].sum()
        xc = wc @ X0 / wc.sum()
        pure_comp = (xc - x0) * g0_
        spec_err = xc @ (gc_ - g0_)
        pure_struct = x1 * (g1_ - gc_)
        rw_err = (x1 - xc) @ gc_
        return np.concatenate([
            [v1, v0, vc, v1 - v0, vc - v0, v1 - vc, pure_comp.sum(), spec_err,
             pure_struct.sum(), rw_err],
            pure_comp[1:],  # the intercept has no composition part
            pure_struct,
        ])  # fmt: skip

    est = compute(prep.w)
    assert_adds_up("composition + structure", est[4] + est[5], est[3])
    assert_adds_up("pure composition + specification error", est[6] + est[7], est[4])
    assert_adds_up("pure structure + reweighting error", est[8] + est[9], est[5])
    assert_adds_up("detailed composition", est[10 : 10 + len(regs)].sum(), est[6])
    assert_adds_up("detailed structure", est[10 + len(regs) :].sum(), est[8])
    terms = ["v1", "v0", "vc", "gap", "composition", "structure", "pure composition",
             "specification error", "pure structure", "reweighting error"]  # fmt: skip
    terms += [f"composition[{c}]" for c in regs] + [f"structure[{c}]" for c in terms_x]
    reps = []
    for mult in bootstrap_multipliers(prep, n_boot, random_state, *X.T[1:]):
        try:
            reps.append(compute(prep.w * mult))
        except (WelfareError, np.linalg.LinAlgError):  # counted; too many refuse the bootstrap
            reps.append(np.full(len(est), np.nan))
    V, spec, n_bad = bootstrap_vcov(np.array(reps), prep, n_boot, f", seed {random_state}")
    stat = f"{statistic}" + (f" p={p:g}" if statistic == "quantile" else "")
    return results(
        prep,
        terms=terms,
        estimates=est,
        vcov=V,
        spec=spec,
        estimator=f"reweighted RIF decomposition ({stat}; Firpo, Fortin & Lemieux 2018)",
        estimand=f"gap in the {stat} of {outcome}: {by}={names[g1]} minus {by}={names[1 - g1]}",
        extra={"group1": names[g1], "group0": names[1 - g1], "bootstrap_failed": n_bad},
        notes=(
            "Counterfactual: group 0 reweighted to group 1's covariates (logit propensity). "
            "composition + structure = gap; parts add up (asserted).",
        ),
    )
