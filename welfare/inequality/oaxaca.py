"""Oaxaca-Blinder decomposition of a mean gap between two groups, with survey weights.

With group means of the regressors x1, x2 (the intercept included) and group coefficients b1, b2
from weighted least squares, the gap in mean outcomes D = x1'b1 - x2'b2 (group 1 minus group 2)
is split as

* **threefold** (Daymont & Andrisani 1984; Stata's default):
  endowments E = (x1 - x2)'b2, coefficients C = x2'(b1 - b2), interaction I = (x1 - x2)'(b1 - b2);
* **twofold** with a reference coefficient vector b*:
  explained Q = (x1 - x2)'b*, unexplained U = x1'(b1 - b*) + x2'(b* - b2), where b* is b1
  (``"group1"``), b2 (``"group2"``), b1/2 + b2/2 (``"reimers"``, Reimers 1983),
  (n1 b1 + n2 b2)/n (``"cotton"``, Cotton 1988), the pooled regression without the group dummy
  (``"neumark"``, Neumark 1988) or with it (``"pooled"``, Jann 2008; the dummy's coefficient is
  not part of b*).

Each aggregate is the sum of its detailed terms, one per regressor. A set of dummies for the
categories of one variable is **normalised** (Yun 2005; Gardeazabal & Ugidos 2004): its
coefficients are expressed as deviations from their mean over all categories (the omitted one
at 0) and the mean is added to the intercept, so the detailed terms do not depend on which
category is omitted. An intercept is always included; the identities E + C + I = D and
Q + U = D (and detailed sums = aggregates) are asserted in code.

Standard errors: the coefficients and the regressor means of both groups (and b*) are one
stacked M-estimator; its sandwich variance uses the survey design (PSUs and strata, so the two
groups may share PSUs) and the delta method, with the exact Jacobian of the decomposition
(regressor means stochastic, as in Jann 2008). Or the seeded Rao-Wu bootstrap by PSU.

References
----------
Jann, B. (2008). The Blinder-Oaxaca decomposition for linear regression models. *Stata Journal*
8(4), 453-479. doi:10.1177/1536867X0800800401
Yun, M.-S. (2005). A simple solution to the identification problem in detailed wage
decompositions. *Economic Inquiry* 43(4), 766-772. doi:10.1093/ei/cbi053
Oaxaca, R. (1973). Male-female wage differentials in urban labor markets. *International
Economic Review* 14(3), 693-709. doi:10.2307/2525981
Blinder, A. S. (1973). Wage discrimination: reduced form and structural estimates. *Journal of
Human Resources* 8(4), 436-455. doi:10.2307/144855
"""

from __future__ import annotations

import numpy as np

from welfare._estimation import design_rank
from welfare._options import check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.errors import CollinearityError, DataError, EmptySampleError, UnknownOptionError
from welfare.inequality._prepare import (
    VCOV_KINDS,
    bootstrap_multipliers,
    bootstrap_vcov,
    check_boot,
    level_name,
    linearized_vcov,
    prepare,
    results,
)
from welfare.inequality.decompose import _complex_jacobian, assert_adds_up

__all__ = ["oaxaca", "REFERENCES"]

REFERENCES = ("threefold", "group1", "group2", "reimers", "cotton", "neumark", "pooled")


def _columns(regressors, normalize):
    if isinstance(regressors, str):
        regressors = [regressors]
    regressors = list(regressors or [])
    if normalize and all(isinstance(s, str) for s in normalize):
        normalize = [normalize]  # one set given as a flat list of its dummies
    sets = [list(s) for s in (normalize or [])]
    for s in sets:
        if isinstance(s, str) or len(s) < 2:
            raise UnknownOptionError(
                f"normalize: expected lists of at least 2 dummy columns (every category of one "
                f"variable), found {s!r}"
            )
    flat = [c for s in sets for c in s]
    if len(set(flat)) < len(flat) or set(flat) & set(regressors):
        raise UnknownOptionError(
            "normalize: each dummy in one set only, and not also in regressors"
        )
    if not regressors and not sets:
        raise UnknownOptionError("regressors: expected at least one regressor, found none")
    if "_cons" in regressors + flat:
        raise UnknownOptionError("'_cons' is the intercept's name; rename that column")
    return regressors, sets


def _wls(X, y, w):
    """Weighted least squares coefficients and the bread (X'WX)^-1."""
    XtW = X.T * w
    A = XtW @ X
    bread = np.linalg.inv(A)
    return bread @ (XtW @ y), bread


@strict_keywords
def oaxaca(
    data,
    outcome: str,
    *,
    by: str,
    regressors=(),
    normalize=(),
    group1=None,
    reference: str = "threefold",
    design: SurveyDesign | None = None,
    vcov: str = "linearized",
    n_boot: int = 499,
    random_state=None,
):
    """Oaxaca-Blinder decomposition of the mean gap in ``outcome`` between two groups.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
    outcome : str
        Outcome column (e.g. log per-capita income).
    by : str
        Column with exactly two groups (e.g. ``"e_household"``).
    regressors : sequence of str
        Numeric regressors (an intercept is always added).
    normalize : sequence of sequences of str
        Sets of dummies, each covering every category of one variable (they sum to one); the
        first of each set is omitted in estimation and the coefficients are normalised. A flat
        list of column names is one set.
    group1 : scalar, optional
        The value of ``by`` that forms group 1; default the lower value (Stata's convention).
        The gap is mean(group 1) - mean(group 2).
    reference : {"threefold", "group1", "group2", "reimers", "cotton", "neumark", "pooled"}
    design : SurveyDesign, optional
    vcov : {"linearized", "bootstrap"}, default "linearized"
    n_boot : int, default 499
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    Results
        Terms ``mean[group 1]``, ``mean[group 2]``, ``difference``, the aggregates
        (``endowments``, ``coefficients``, ``interaction`` or ``explained``, ``unexplained``)
        and their detailed terms (``"endowments[age]"``, ..., ``"coefficients[_cons]"``).
        ``extra`` holds the groups, the reference, the coefficients and the regressor means.

    Raises
    ------
    UnknownOptionError
        An unknown reference or bad regressor lists.
    DataError
        ``by`` without exactly two groups; ``group1`` not among them; a normalised set whose
        dummies do not sum to one.
    EmptySampleError
        A group with fewer observations than coefficients + 1.
    CollinearityError
        A regressor constant (or collinear) within one group.
    IdentityError
        The parts do not add up (never expected).
    """
    check_option("reference", reference, REFERENCES)
    check_option("vcov", vcov, VCOV_KINDS)
    if vcov == "bootstrap":
        check_boot(n_boot, random_state)
    regs, sets = _columns(regressors, normalize)
    cols = regs + [c for s in sets for c in s]
    prep = prepare(data, outcome, design=design, by=by, extra_roles=[("regressor", cols)])
    levels = prep.levels
    if len(levels) != 2:
        raise DataError(
            f"by={by!r}: expected exactly 2 groups, found {len(levels)} "
            f"({[level_name(v) for v in levels][:10]})"
        )
    if group1 is None:
        g1 = 0
    else:
        names = [level_name(v) for v in levels]
        if level_name(group1) not in names:
            raise DataError(f"group1={group1!r}: expected one of the groups {names}")
        g1 = names.index(level_name(group1))
    in1 = prep.groups == g1
    labels = (level_name(levels[g1]), level_name(levels[1 - g1]))
    Z = {c: prep.extra_cols[c].astype(float) for c in cols}
    for s in sets:
        tot = sum(Z[c] for c in s)
        if not np.allclose(tot, 1.0):
            raise DataError(
                f"normalize set {s}: expected dummies that sum to 1 in every row (all categories "
                f"of one variable), found sums {np.unique(np.round(tot, 6))[:5].tolist()}"
            )
    est_cols = regs + [c for s in sets for c in s[1:]]  # the first of each set is omitted
    X = np.column_stack([np.ones(len(prep.y))] + [Z[c] for c in est_cols])
    names_x = ["_cons", *est_cols]
    p = X.shape[1]
    y, w = prep.y, prep.w
    for grp, sel in ((labels[0], in1), (labels[1], ~in1)):
        n_g = prep.w[sel].sum() if prep.fweights else sel.sum()
        if n_g < p + 1:
            raise EmptySampleError(
                f"group {by}={grp}: expected at least {p + 1} observations for {p} coefficients, "
                f"found {n_g:g}"
            )
        Xg = X[sel]
        const = [c for c, j in zip(names_x[1:], range(1, p), strict=True) if np.ptp(Xg[:, j]) == 0]
        if const:
            raise CollinearityError(
                f"group {by}={grp}: regressor(s) {const} take one value in this group, so their "
                "coefficients are not identified; expected variation within both groups"
            )
        Zg = Xg[:, 1:] - Xg[:, 1:].mean(axis=0)
        Zg = Zg / np.where(Zg.std(axis=0) > 0, Zg.std(axis=0), 1.0)  # standardised columns
        if design_rank(Xg) < p or np.linalg.cond(Zg) > 1e8:
            raise CollinearityError(
                f"group {by}={grp}: the regressors {est_cols} are collinear in this group"
            )
    d = in1.astype(float)
    pooled_X = (
        np.column_stack([X, d]) if reference == "pooled" else X if reference == "neumark" else None
    )

    def theta_of(wv):
        """Stacked estimates: b1, b2, x1, x2 (and the pooled coefficients)."""
        b1, _ = _wls(X[in1], y[in1], wv[in1])
        b2, _ = _wls(X[~in1], y[~in1], wv[~in1])
        x1 = wv[in1] @ X[in1] / wv[in1].sum()
        x2 = wv[~in1] @ X[~in1] / wv[~in1].sum()
        parts = [b1, b2, x1, x2]
        if pooled_X is not None:
            parts.append(_wls(pooled_X, y, wv)[0])
        parts.append([wv[in1].sum() / wv.sum()])  # group-1 share (Cotton weights)
        return np.concatenate(parts)

    # normalisation: coefficients and means over every dummy of each set
    full_names = ["_cons", *regs] + [c for s in sets for c in s]
    pos = {c: names_x.index(c) for c in names_x}

    def expand(b, x):
        """Normalised coefficients and means over ``full_names``."""
        bf = [b[0]] + [b[pos[c]] for c in regs]
        xf = [x[0]] + [x[pos[c]] for c in regs]
        for s in sets:
            coefs = [0.0 * b[0]] + [b[pos[c]] for c in s[1:]]
            mean_c = sum(coefs) / len(s)
            bf[0] = bf[0] + mean_c
            bf += [c_ - mean_c for c_ in coefs]
            base = 1.0 - sum(x[pos[c]] for c in s[1:])
            xf += [base] + [x[pos[c]] for c in s[1:]]
        return bf, xf

    def decompose(th):
        b1, b2 = th[:p], th[p : 2 * p]
        x1, x2 = th[2 * p : 3 * p], th[3 * p : 4 * p]
        share1 = th[-1]
        B1, X1 = expand(b1, x1)
        B2, X2 = expand(b2, x2)
        m1 = sum(a * b for a, b in zip(X1, B1, strict=True))
        m2 = sum(a * b for a, b in zip(X2, B2, strict=True))
        out = [m1, m2, m1 - m2]
        k = len(full_names)
        if reference == "threefold":
            E = [(X1[j] - X2[j]) * B2[j] for j in range(k)]
            C = [X2[j] * (B1[j] - B2[j]) for j in range(k)]
            Int = [(X1[j] - X2[j]) * (B1[j] - B2[j]) for j in range(k)]
            return np.array(out + [sum(E), sum(C), sum(Int)] + E + C + Int)
        if reference == "group1":
            Bs = B1
        elif reference == "group2":
            Bs = B2
        elif reference == "reimers":
            Bs = [(a + b) / 2 for a, b in zip(B1, B2, strict=True)]
        elif reference == "cotton":
            Bs = [share1 * a + (1 - share1) * b for a, b in zip(B1, B2, strict=True)]
        else:
            bp = th[4 * p : 5 * p]
            Bs, _ = expand(bp, x1)
        Q = [(X1[j] - X2[j]) * Bs[j] for j in range(k)]
        U = [X1[j] * (B1[j] - Bs[j]) + X2[j] * (Bs[j] - B2[j]) for j in range(k)]
        return np.array(out + [sum(Q), sum(U)] + Q + U)

    theta = theta_of(w)
    est = decompose(theta)
    # the intercept has no endowment/explained/interaction part (x1 - x2 = 0): not reported
    structural_zero = {f"{a}[_cons]" for a in ("endowments", "explained", "interaction")}
    three = reference == "threefold"
    aggs = ["endowments", "coefficients", "interaction"] if three else ["explained", "unexplained"]
    terms = [f"mean[{by}={labels[0]}]", f"mean[{by}={labels[1]}]", "difference", *aggs]
    terms += [f"{a}[{c}]" for a in aggs for c in full_names]
    k = len(full_names)
    assert_adds_up("Oaxaca components", float(est[3 : 3 + len(aggs)].sum()), float(est[2]))
    for i, a in enumerate(aggs):
        start = 3 + len(aggs) + i * k
        assert_adds_up(f"detailed {a}", float(est[start : start + k].sum()), float(est[3 + i]))
    extra = {
        "group1": labels[0],
        "group2": labels[1],
        "gap": f"mean({by}={labels[0]}) - mean({by}={labels[1]})",
        "reference": reference,
        "normalized": [list(s) for s in sets],
        "coefficients_group1": dict(
            zip(full_names, expand(theta[:p], theta[2 * p : 3 * p])[0], strict=True)
        ),
        "coefficients_group2": dict(
            zip(full_names, expand(theta[p : 2 * p], theta[3 * p : 4 * p])[0], strict=True)
        ),
        "means_group1": dict(
            zip(full_names, expand(theta[:p], theta[2 * p : 3 * p])[1], strict=True)
        ),
        "means_group2": dict(
            zip(full_names, expand(theta[p : 2 * p], theta[3 * p : 4 * p])[1], strict=True)
        ),
    }
    if vcov == "linearized":
        # stacked estimating equations; the breads carry the scale
        blocks, breads = [], []
        for sel, off in ((in1, 0), (~in1, p)):
            b = theta[off : off + p]
            r = np.where(sel, y - X @ b, 0.0)
            blocks.append(X * r[:, None])
            breads.append(np.linalg.inv((X[sel].T * w[sel]) @ X[sel]))
        for sel, off in ((in1, 2 * p), (~in1, 3 * p)):
            xm = theta[off : off + p]
            blocks.append(np.where(sel[:, None], X - xm, 0.0))
            breads.append(np.eye(p) / w[sel].sum())
        if pooled_X is not None:
            bp = _wls(pooled_X, y, w)[0]
            blocks.append(pooled_X * (y - pooled_X @ bp)[:, None])
            breads.append(np.linalg.inv((pooled_X.T * w) @ pooled_X))
        blocks.append((d - theta[-1])[:, None])
        breads.append(np.eye(1) / w.sum())
        S = np.hstack(blocks)  # unit scores (weights applied by the variance)
        from scipy.linalg import block_diag

        Bread = block_diag(*breads)
        # the linearised variable of theta is Bread @ score_i; pass z_i so that sum w_i z_i
        # is the estimating-equation total
        Vt, spec = linearized_vcov(prep, S @ Bread.T)
        # theta holds the full pooled vector (with the dummy); decompose uses its first p entries
        with np.errstate(divide="ignore", invalid="ignore"):
            J = _complex_jacobian(decompose, theta, np.zeros(len(theta), dtype=bool))
        V = J @ Vt @ J.T
    else:
        reps = []
        for mult in bootstrap_multipliers(prep, n_boot, random_state, *X.T[1:]):
            try:
                reps.append(decompose(theta_of(w * mult)))
            except np.linalg.LinAlgError:
                reps.append(np.full(len(est), np.nan))
        V, spec, n_bad = bootstrap_vcov(np.array(reps), prep, n_boot, f", seed {random_state}")
        extra["bootstrap_failed"] = n_bad
    keep = [i for i, t in enumerate(terms) if t not in structural_zero]
    terms = [terms[i] for i in keep]
    est, V = est[keep], V[np.ix_(keep, keep)]
    est_name = "threefold" if three else f"twofold, reference {reference}"
    return results(
        prep,
        terms=terms,
        estimates=est,
        vcov=V,
        spec=spec,
        estimator=f"Oaxaca-Blinder decomposition ({est_name})",
        estimand=f"gap in mean {outcome}: {extra['gap']}",
        extra=extra,
        notes=(
            f"Gap = mean({by}={labels[0]}) - mean({by}={labels[1]}); parts add up (asserted).",
            *([f"Normalised dummy sets (Yun 2005): {[list(s) for s in sets]}."] if sets else []),
        ),
    )
