"""Treatment effects by nearest-neighbour matching (F2): propensity-score and covariate matching.

Matching with replacement imputes each unit's missing potential outcome by the mean outcome of
its ``k`` nearest units in the other arm; all units tied with the k-th nearest are kept
(Stata's rule), so results never depend on the order of the rows. For a target population P
(all units for the ATE, the treated for the ATT, the controls for the ATC) with survey weights
``w_i`` (1 when unweighted),

    tau_i = (2 d_i - 1) (y_i - yhat_i),      tau = sum_{i in P} w_i tau_i / sum_{i in P} w_i,

where ``yhat_i`` is the mean outcome of i's matched set J(i) (optionally bias-adjusted,
Abadie & Imbens 2011). The weights enter the average, not the choice of donors: ``yhat_i`` is
a conditional mean of the sample, which is the population's only when, given the matching
covariates, sampling does not depend on the outcome. Under a design stratified on something
that also moves the outcome (on the twin: villages sampled by participation, the village
raising income) the matching rows target a sample-tilted effect (measured +0.05 log points
against the ATE over 100 twins, ``tests/test_robustness_mc.py``). Unit j's match weight is ``K_j = sum_{i in P: j in J(i)} w_i / |J(i)|``
and ``K'_j`` the same sum with ``w_i^2 / |J(i)|^2``.

Variance (``vcov="robust"``, Abadie & Imbens 2006, with ties as in Stata):

    V = (1/W_P^2) [ sum_{i in P} w_i^2 (tau_i - tau)^2
                    + sum_i ((w_i 1{i in P} + K_i)^2 - w_i^2 1{i in P} - K'_i) sigma2_i ],

which with unit weights is AI's ``(1/N^2) sum [(tau_i - tau)^2 + (K^2 + 2K - K') sigma2_i]``
(ATE) and ``(1/N_1^2) sum [d_i (tau_i - tau)^2 + (1 - d_i)(K^2 - K') sigma2_i]`` (ATT). The
conditional variance ``sigma2_i`` is the sample variance of y over i and its nearest units of
the same arm: ``variance_neighbors`` other units for covariate matching, ``variance_neighbors
- 1`` others (i itself counting as one of them) for propensity matching, ties kept - Stata's two
``vce(robust, nn(#))`` conventions. Propensity matching subtracts ``c' V_g c`` (Abadie & Imbens
2016) for the estimation of the score (ATE; ATT/ATC with their extra term), with ``V_g`` the
model-based covariance of the logit/probit.

Clustered and design variances (``"CRV1"``, ``"design"``) replace the first sum by the
PSU-clustered (and stratified) sum of ``w_i (tau_i - tau)``; the second, which accounts for the
reuse of matched units, keeps AI's independence form. No published formula covers clustered
matching; this one reduces to AI without clusters, and its coverage is checked by Monte Carlo
in the slow test suite. The AI (2016) adjustment is applied only to the unweighted/fweighted
``"robust"`` variance (the theory assumes iid sampling and ML); otherwise the score is treated
as known, which is conservative for the ATE.

References
----------
Abadie, A. & Imbens, G. W. (2006). Large sample properties of matching estimators for average
treatment effects. *Econometrica* 74(1), 235-267. doi:10.1111/j.1468-0262.2006.00655.x
Abadie, A. & Imbens, G. W. (2011). Bias-corrected matching estimators for average treatment
effects. *Journal of Business & Economic Statistics* 29(1), 1-11. doi:10.1198/jbes.2009.07333
Abadie, A. & Imbens, G. W. (2016). Matching on the estimated propensity score. *Econometrica*
84(2), 781-807. doi:10.3982/ECTA11293
Austin, P. C. (2011). Optimal caliper widths for propensity-score matching. *Pharmaceutical
Statistics* 10(2), 150-161. doi:10.1002/pst.433
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from welfare._estimation import (
    check_clusters,
    clean_term,
    design_rank,
    model_matrices,
    resolve_vcov,
)
from welfare._options import as_columns, check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.errors import (
    CollinearityError,
    EmptySampleError,
    OverlapError,
    UnknownOptionError,
    VarianceError,
)
from welfare.inference.results import _readonly
from welfare.inference.vcov import VcovSpec, meat
from welfare.premium._common import (
    Prepared,
    Propensity,
    check_estimand,
    fit_propensity,
    prepare_te,
    rhs_terms,
)
from welfare.premium._nn import NeighbourSets, nn_metric, nn_scalar
from welfare.premium.weighting import TreatmentEffectResults

__all__ = ["ps_match", "nn_match", "MATCH_VCOV_TYPES"]

MATCH_VCOV_TYPES = ("robust", "CRV1", "design")
METRICS = ("mahalanobis", "ivariance", "euclidean")


# ---------------------------------------------------------------- searches by arm and cell
class _Space:
    """Where units live for matching: a scalar score or covariate vectors with a metric."""

    def __init__(self, score=None, X=None, W=None, cells=None):
        self.score, self.X, self.W = score, X, W
        n = len(score) if score is not None else X.shape[0]
        self.cells = np.zeros(n, dtype=np.int64) if cells is None else cells
        self._orders: list[tuple[np.ndarray, np.ndarray]] = []

    def _order(self, pos: np.ndarray) -> np.ndarray:
        """Stable argsort of the score over ``pos`` (cached: the arms are sorted once)."""
        for p, o in self._orders:
            if len(p) == len(pos) and np.array_equal(p, pos):
                return o
        o = np.argsort(self.score[pos], kind="stable")
        self._orders.append((pos, o))
        return o

    def search(self, ref_pos, query_pos, k, caliper=None, exclude_self=False) -> NeighbourSets:
        """Neighbour sets of ``query_pos`` among ``ref_pos`` within exact-matching cells.

        With ``exclude_self`` (conditional-variance neighbours, same arm) a cell with too few
        units of the arm falls back to the whole arm, so every variance is defined.
        """
        nq = len(query_pos)
        cq, cr = self.cells[query_pos], self.cells[ref_pos]
        need = k + (1 if exclude_self else 0)
        if cq.min() == cq.max() and (cr == cq[0]).all() and len(ref_pos) >= need:
            return self._engine(ref_pos, query_pos, k, caliper, exclude_self)
        rows, idxs, dists = [], [], []
        for cell in np.unique(cq):
            qi = np.flatnonzero(cq == cell)
            rp = ref_pos[cr == cell]
            if len(rp) < need:
                if not exclude_self:
                    continue  # no (or too few) units to match to in this cell: empty sets
                rp = ref_pos  # variance neighbours: the whole arm when the cell is too small
            s = self._engine(rp, query_pos[qi], k, caliper, exclude_self)
            rows.append(qi[s.rows])
            idxs.append(s.idx)
            dists.append(s.dist)
        if not rows:
            return NeighbourSets(
                np.zeros(nq + 1, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0)
            )
        r = np.concatenate(rows)
        order = np.argsort(r, kind="stable")
        ptr = np.zeros(nq + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=nq), out=ptr[1:])
        return NeighbourSets(ptr, np.concatenate(idxs)[order], np.concatenate(dists)[order])

    def _engine(self, rp, qp, k, caliper, exclude_self) -> NeighbourSets:
        if self.score is not None:
            r = self.score[rp]
            order = self._order(rp)
            self_rank = None
            if exclude_self:
                rank = np.empty(len(rp), dtype=np.int64)
                rank[order] = np.arange(len(rp))
                same = len(qp) == len(rp) and np.array_equal(qp, rp)
                self_rank = rank if same else rank[pd.Index(rp).get_indexer(qp)]
            return nn_scalar(
                r, rp, self.score[qp], k, caliper=caliper, self_rank=self_rank,
                sorted_ref=(order, r[order]), query_order=self._order(qp),
            )  # fmt: skip
        self_index = pd.Index(rp).get_indexer(qp) if exclude_self else None
        return nn_metric(self.X[rp], rp, self.X[qp], k, self.W, caliper=caliper,
                         self_index=self_index)  # fmt: skip


def _set_sums(sets: NeighbourSets, values: np.ndarray) -> np.ndarray:
    """Sum of ``values[idx]`` (shape (n,) or (n, p)) over each set; 0 for an empty set."""
    return sets.sums(values)


def _variance_with_self(y: np.ndarray, pos: np.ndarray, sets: NeighbourSets) -> np.ndarray:
    """Sample variance (n-1 divisor) of y over each unit and its own-arm set."""
    centre = y[pos].mean() if len(pos) else 0.0
    yc = y - centre
    m = sets.sizes + 1.0
    S = _set_sums(sets, np.column_stack([yc, yc**2]))
    s1 = S[:, 0] + yc[pos]
    s2 = S[:, 1] + yc[pos] ** 2
    return np.maximum(s2 - s1**2 / m, 0.0) / (m - 1)


# ---------------------------------------------------------------- the estimator
def _match(
    prep: Prepared,
    space: _Space,
    *,
    method: str,
    estimand: str,
    k: int,
    caliper: float | None,
    unmatched: str,
    var_others: int,
    bias_X: np.ndarray | None,
    ps: Propensity | None,
    ps_adjust: bool,
    vcov_kind: str,
    cluster: str | None,
    strata: str | None,
):
    y, d, w = prep.y, prep.d, prep.w
    n = len(y)
    treated, controls = np.flatnonzero(d == 1), np.flatnonzero(d == 0)
    P = {"ATE": np.arange(n), "ATT": treated, "ATC": controls}[estimand]
    for arm_name, ref, needs in (
        ("controls", controls, estimand in ("ATE", "ATT")),
        ("treated", treated, estimand in ("ATE", "ATC")),
    ):
        if needs and len(ref) < k:
            raise EmptySampleError(
                f"{method}: expected at least n_neighbors = {k} {arm_name} to match to, found "
                f"{len(ref)}"
            )
    # matched sets of the target population, by arm of the query
    yhat = np.full(n, np.nan)
    sets_of = {}
    for qarm, ref in ((1, controls), (0, treated)):
        q = P[d[P] == qarm]
        if len(q) == 0:
            continue
        s = space.search(ref, q, k, caliper=caliper)
        sets_of[qarm] = (q, s)
        yhat[q] = s.mean(y)
    empty = np.zeros(n, dtype=bool)
    for q, s in sets_of.values():
        empty[q[s.sizes == 0]] = True
    n_unmatched = {
        "treated": int((empty & (d == 1)).sum()),
        "controls": int((empty & (d == 0)).sum()),
    }
    if empty.any():
        what = "within the caliper" if caliper is not None else "in their exact-matching cell"
        if unmatched == "error":
            raise OverlapError(
                f"{method}: expected every unit of the {estimand} population to have a match "
                f"{what}, found {n_unmatched['treated']} treated and "
                f"{n_unmatched['controls']} controls without one. Use unmatched='drop' to "
                "estimate the effect on the matched units only (reported)"
                + (", or widen the caliper" if caliper is not None else "")
            )
        P = P[~empty[P]]
        if len(P) == 0:
            raise OverlapError(f"{method}: no unit of the {estimand} population has a match {what}")
        for qarm in list(sets_of):
            q, s = sets_of[qarm]
            keep = s.sizes > 0
            rows_keep = np.repeat(keep, s.sizes)
            ptr = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
            np.cumsum(s.sizes[keep], out=ptr[1:])
            sets_of[qarm] = (q[keep], NeighbourSets(ptr, s.idx[rows_keep], s.dist[rows_keep]))
    # bias adjustment (Abadie & Imbens 2011): mu_w(x) by least squares in each arm, weighted
    # by the number of times each unit is used as a match
    bias_coef = {}
    if bias_X is not None:
        K_unit = np.zeros(n)
        for _q, s in sets_of.values():
            K_unit += np.bincount(s.idx, weights=np.repeat(1.0 / s.sizes, s.sizes), minlength=n)
        B = np.column_stack([np.ones(n), bias_X])
        for qarm, (q, s) in sets_of.items():
            arm = 1 - qarm
            sel = (d == arm) & (K_unit > 0)
            Bs, ys, ks = B[sel], y[sel], K_unit[sel]
            if design_rank(Bs) < B.shape[1]:
                raise CollinearityError(
                    f"{method}: the bias-adjustment regression in the "
                    f"{('control', 'treated')[arm]} arm is rank deficient (expected more matched "
                    f"units than {B.shape[1]} parameters with varying covariates)"
                )
            beta = np.linalg.solve((Bs * ks[:, None]).T @ Bs, (Bs * ks[:, None]).T @ ys)
            bias_coef[("control", "treated")[arm]] = beta
            # yhat_i = mean_j [y_j + mu(x_i) - mu(x_j)]
            mu = B @ beta
            yhat[q] = s.mean(y) + mu[q] - s.mean(mu)
    tau_i = np.where(d == 1, y - yhat, yhat - y)
    wP = w[P]
    WP = wP.sum()
    tau = float(np.sum(wP * tau_i[P]) / WP)
    # potential-outcome means over P
    y1 = np.where(d == 1, y, yhat)[P]
    y0 = np.where(d == 0, y, yhat)[P]
    mu0, mu1 = float(np.sum(wP * y0) / WP), float(np.sum(wP * y1) / WP)
    # match weights K (weighted by the query's survey weight) and K'
    Kw = np.zeros(n)
    Kw2 = np.zeros(n)
    for q, s in sets_of.values():
        inv = np.repeat(1.0 / s.sizes, s.sizes)
        wq = np.repeat(w[q], s.sizes)
        Kw += np.bincount(s.idx, weights=wq * inv, minlength=n)
        Kw2 += np.bincount(s.idx, weights=(wq * inv) ** 2, minlength=n)
    inP = np.zeros(n, dtype=bool)
    inP[P] = True
    wP_full = np.where(inP, w, 0.0)
    coef = (wP_full + Kw) ** 2 - wP_full**2 - Kw2
    # conditional variances from own-arm neighbours
    sigma2 = np.zeros(n)
    adjust = bool(ps is not None and ps_adjust and vcov_kind == "robust" and caliper is None)
    # frequency weights have been expanded to units; survey weights are outside the theory
    adjust = adjust and (
        prep.inputs.design.weights is None or prep.inputs.design.weight_type == "fweight"
    )
    # every unit's own-arm set when the AI (2016) term needs them too (computed once)
    need = np.arange(n) if adjust else np.flatnonzero(coef != 0)
    var_sets = {}
    for arm, pos in ((1, treated), (0, controls)):
        qpos = need[d[need] == arm] if var_others > 0 else np.zeros(0, dtype=np.int64)
        if len(qpos) and len(pos) <= var_others:
            raise EmptySampleError(
                f"{method}: the conditional variance needs more than {var_others} "
                f"{('controls', 'treated')[arm]} (variance_neighbors), found {len(pos)}"
            )
        if len(qpos):
            s = space.search(pos, qpos, var_others, exclude_self=True)
            var_sets[arm] = (qpos, s)
            sigma2[qpos] = _variance_with_self(y, qpos, s)
    # variance
    first = np.zeros(n)
    first[P] = wP * (tau_i[P] - tau)
    second = float(np.sum(coef * sigma2))
    sub = prep.frame
    if vcov_kind == "robust":
        m1 = float(first @ first)
        spec = VcovSpec("AI-robust", df=None, small_sample=1.0)
    elif vcov_kind == "CRV1":
        check_clusters(sub, cluster)
        M, g, _ = meat(first[:, None], clusters=sub[cluster].to_numpy())
        m1 = float(M[0, 0]) * g / (g - 1)
        spec = VcovSpec("CRV1", cluster, None, g, None, None, g / (g - 1))
    else:
        check_clusters(sub, cluster)
        st = sub[strata].to_numpy() if strata else np.zeros(n, dtype=int)
        M, g, h = meat(first[:, None], clusters=sub[cluster].to_numpy(), strata=st)
        m1 = float(M[0, 0])
        spec = VcovSpec("design", cluster, strata or "(one stratum)", g, h, None, 1.0)
    var = (m1 + second) / WP**2
    extra = {
        "n_neighbors": k,
        "matches_min": int(min(s.sizes.min() for _, s in sets_of.values())),
        "matches_max": int(max(s.sizes.max() for _, s in sets_of.values())),
        "n_unmatched_treated": n_unmatched["treated"],
        "n_unmatched_controls": n_unmatched["controls"],
        "max_match_distance": float(
            max(s.dist.max() if len(s.dist) else 0.0 for _, s in sets_of.values())
        ),
        "variance_unadjusted": var,
        # treated units of the target population: own outcome minus the (bias-adjusted) mean of
        # the matches; with n_neighbors=1 and no bias adjustment, matched-pair differences (the
        # input of welfare.robustness.rosenbaum_bounds)
        "treated_minus_matched": _readonly(tau_i[P][d[P] == 1]),
    }
    if bias_coef:
        extra["bias_adjustment_coef"] = {a: b.tolist() for a, b in bias_coef.items()}
    # Abadie-Imbens (2016) adjustment for the estimated propensity score
    # (the theory covers iid sampling, ML scores and matching without a caliper)
    if adjust:
        var = var - _ai2016(prep, space, ps, estimand, var_sets, var_others, tau, sets_of, k)
    extra["ps_adjusted"] = adjust
    if not (np.isfinite(var) and var > 0):
        raise VarianceError(
            f"{method}: expected a positive finite variance, found {var!r} (outcome scale "
            f"{np.abs(y).max():.3g}: rescale the outcome)"
        )
    return (tau, mu0, mu1), var, spec, extra, P, sets_of, empty


def _cov_moments(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows (x - xbar, y - ybar, (x - xbar)(y - ybar)) for local covariances, (2p + 1, n)."""
    yc = y - y.mean()
    Xc = (X - X.mean(axis=0)).T
    return np.ascontiguousarray(np.vstack([Xc, yc[None, :], Xc * yc[None, :]]))


def _local_cov(MT: np.ndarray, pos, sets: NeighbourSets, include_self: bool, prefix=None):
    """Within-set covariance of x and y for each query (n-1 divisor), shape (n_query, p).

    ``MT`` from :func:`_cov_moments`; one pass of set sums gives every column.
    """
    p = (MT.shape[0] - 1) // 2
    m = sets.sizes.astype(float) + (1.0 if include_self else 0.0)
    S = sets.sums(MT, transposed=True, prefix=prefix)
    if include_self:
        S = S + np.take(MT, pos, axis=1).T
    sx, sy, sxy = S[:, :p], S[:, p], S[:, p + 1 :]
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sxy - sx * (sy / m)[:, None]) / (m - 1)[:, None]
    return np.where(np.isfinite(cov), cov, 0.0)


def _ai2016(prep, space, ps, estimand, var_sets, var_others, tau, sets_of, k) -> float:
    """Return the variance change of Abadie & Imbens (2016) for the estimated score.

    ATE: ``c' V_g c`` with ``c = (1/N) sum_i f(x_i'g) [cov_1(X, Y | p_i)/p_i +
    cov_0(X, Y | p_i)/(1 - p_i)]``, where ``cov_w(X, Y | p_i)`` is the covariance of the
    propensity covariates and the outcome over the ``L = variance_neighbors`` units of arm w
    nearest to i on the score (i itself counting when it is in arm w, ties kept).
    ATT (ATC symmetric): ``c_t' V_g c_t - dtau' V_g dtau`` with ``dtau = (1/N_1) sum_i
    f_i x_i (tau(p_i) - tau_t)`` and ``c_t = dtau + (1/N_1) sum_i f_i [cov_1/1 + p_i/(1-p_i)
    cov_0]`` (their Theorem 2), tau(p_i) estimated by matching every unit.
    """
    y, d = prep.y, prep.d
    n = len(y)
    X = ps.X
    f = ps.link.pdf(ps.index)
    p = ps.score
    V_g = ps.information_inverse(prep.w)
    L = var_others + 1
    keep = np.ptp(X, axis=0) > 0  # a constant column has no covariance with y
    M = _cov_moments(X[:, keep], y)
    cov = {}
    for arm, pos in ((1, np.flatnonzero(d == 1)), (0, np.flatnonzero(d == 0))):
        c = np.zeros((n, X.shape[1]))
        ck = np.zeros((n, int(keep.sum())))
        own, s_own = var_sets[arm]  # i itself and its L - 1 nearest others of its arm
        other = np.flatnonzero(d != arm)
        s_other = space.search(pos, other, L)
        shared = (
            s_own.sorted_pos is not None
            and s_other.sorted_pos is not None
            and np.array_equal(s_own.sorted_pos, s_other.sorted_pos)
        )
        pre = s_own.prefix(M) if shared else None  # one prefix sum per reference arm
        ck[own] = _local_cov(M, own, s_own, include_self=True, prefix=pre)
        ck[other] = _local_cov(M, other, s_other, include_self=False, prefix=pre)
        c[:, keep] = ck
        cov[arm] = c
    if estimand == "ATE":
        cvec = np.mean(f[:, None] * (cov[1] / p[:, None] + cov[0] / (1 - p)[:, None]), axis=0)
        return float(cvec @ V_g @ cvec)
    # ATT / ATC: need tau(p_i) for every unit (match all units both ways)
    yhat = np.full(n, np.nan)
    treated, controls = np.flatnonzero(d == 1), np.flatnonzero(d == 0)
    for qarm, ref in ((1, controls), (0, treated)):
        q = np.flatnonzero(d == qarm)
        if qarm in sets_of and len(sets_of[qarm][0]) == len(q):
            yhat[q] = sets_of[qarm][1].mean(y)  # already matched (same units, same order)
        else:
            yhat[q] = space.search(ref, q, k).mean(y)
    tau_all = np.where(d == 1, y - yhat, yhat - y)
    if estimand == "ATT":
        n1 = float((d == 1).sum())
        dtau = (f[:, None] * X * (tau_all - tau)[:, None]).sum(axis=0) / n1
        cvec = dtau + (f[:, None] * (cov[1] + (p / (1 - p))[:, None] * cov[0])).sum(axis=0) / n1
    else:  # ATC: the ATT of the reversed treatment (score 1 - p, index -z)
        n0 = float((d == 0).sum())
        dtau = -(f[:, None] * X * (tau_all - tau)[:, None]).sum(axis=0) / n0
        cvec = dtau + (f[:, None] * (cov[0] + ((1 - p) / p)[:, None] * cov[1])).sum(axis=0) / n0
    return float(cvec @ V_g @ cvec - dtau @ V_g @ dtau)


def _why_not_adjusted(prep: Prepared, kind: str, caliper, requested: bool) -> str:
    if not requested:
        return "ps_adjustment=False"
    why = []
    if prep.inputs.design.weights is not None and prep.inputs.design.weight_type != "fweight":
        why.append("survey weights")
    if kind != "robust":
        why.append(f"{kind} variance")
    if caliper is not None:
        why.append("caliper")
    return ", ".join(why) + " - outside the theory of Abadie and Imbens 2016"


def _variance_note(kind: str, nn: int) -> str:
    base = f"variance: Abadie-Imbens (2006) with nn({nn})"
    if kind == "robust":
        return base
    return base + "; its first term summed within PSUs (" + kind + "), reuse term as in AI"


def _resolve_match_vcov(vcov, design: SurveyDesign, cluster):
    if vcov is not None:
        check_option("vcov", vcov, MATCH_VCOV_TYPES)
    if vcov == "robust":
        resolve_vcov("HC1", design, cluster)  # consistency checks only
        return "robust", None, None
    ch = resolve_vcov(vcov, design, cluster)
    if ch.kind in ("iid", "HC1"):
        return "robust", None, None
    return ch.kind, ch.cluster, ch.strata


def _expand_fweights(prep: Prepared, ps: Propensity | None = None):
    """Frequency weights: one row per unit (matching is defined on units).

    Returns the expanded input and propensity model, and the row of the unexpanded estimation
    sample each unit comes from (``None`` without frequency weights).
    """
    if not prep.fweights:
        return prep, ps, None
    reps = np.round(prep.w).astype(np.int64)
    src = np.repeat(np.arange(len(reps)), reps)
    frame = prep.frame.loc[src].reset_index(drop=True)
    out = Prepared(
        inputs=prep.inputs, frame=frame, sample=prep.sample, y=prep.y[src], d=prep.d[src],
        w=np.ones(len(src)), fweights=False, dep=prep.dep, outcome=prep.outcome,
        treatment=prep.treatment, Z=None if prep.Z is None else prep.Z[src],
        z_terms=prep.z_terms, ps_rhs=prep.ps_rhs, notes=prep.notes, z_rhs=prep.z_rhs,
    )  # fmt: skip
    if ps is not None:
        ps = Propensity(
            link=ps.link, link_name=ps.link_name, X=ps.X[src], terms=ps.terms, gamma=ps.gamma,
            index=ps.index[src], score=ps.score[src], clipped=ps.clipped[src],
            results=ps.results, d=ps.d[src], overlap=ps.overlap,
        )  # fmt: skip
    return out, ps, src


def _drop_unmatched(prep: Prepared, empty: np.ndarray, src, reason: str):
    """Estimation sample and N without the units that had no match (``unmatched="drop"``)."""
    if not empty.any():
        return prep.sample, len(prep.y)
    pos = np.unique(src[empty]) if src is not None else np.flatnonzero(empty)
    full = np.ones(prep.sample.n_rows, dtype=bool)
    full[np.flatnonzero(prep.sample.mask)[pos]] = False
    return prep.sample.extend(reason, full), int((~empty).sum())


def _results(
    method, prep, est, var, spec, extra, estimand, scale, notes, refit, ctx, sample, n_obs
):
    tau, mu0, mu1 = est
    # as Stata, matching reports the effect only; the potential-outcome means are in extra
    extra = dict(extra, POmean0=mu0, POmean1=mu1)
    scale_note = "log points" if scale == "log" else "levels"
    res = TreatmentEffectResults(
        terms=[estimand],
        estimates=[tau],
        vcov=[[var]],
        vcov_spec=spec,
        estimator=method,
        estimand=f"{estimand} in {scale_note}",
        sample=sample,
        n_obs=n_obs,
        weights=prep.inputs.design.weights_label,
        data_label=prep.inputs.label,
        synthetic=prep.inputs.synthetic,
        extra=extra,
        notes=prep.notes + notes,
        refit=refit,
    )
    object.__setattr__(res, "_ctx", ctx)
    return res


def _is_int(v) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def _check_common(k, unmatched, variance_neighbors, caliper, minimum_vn):
    if not (_is_int(k) and k >= 1):
        raise UnknownOptionError(f"n_neighbors: expected an integer >= 1, found {k!r}")
    check_option("unmatched", unmatched, ("error", "drop"))
    if not (_is_int(variance_neighbors) and variance_neighbors >= minimum_vn):
        raise UnknownOptionError(
            f"variance_neighbors: expected an integer >= {minimum_vn}, found {variance_neighbors!r}"
        )
    if caliper is not None and not (
        isinstance(caliper, int | float | np.integer | np.floating)
        and not isinstance(caliper, bool | np.bool_)
        and np.isfinite(caliper)
        and caliper > 0
    ):
        raise UnknownOptionError(f"caliper: expected a positive finite number, found {caliper!r}")


@strict_keywords
def ps_match(
    data,
    *,
    outcome: str,
    treatment: str,
    propensity,
    link: str = "logit",
    estimand: str = "ATE",
    n_neighbors: int = 1,
    match_on: str = "probability",
    caliper: float | None = None,
    caliper_scale: str | None = None,
    unmatched: str = "error",
    variance_neighbors: int = 2,
    ps_adjustment: bool = True,
    scale: str = "log",
    overlap: str = "error",
    overlap_bounds: tuple[float, float] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
) -> TreatmentEffectResults:
    """Propensity-score matching with replacement, all ties kept (Stata's ``teffects psmatch``).

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    outcome, treatment : str
        Outcome column and 0/1 treatment column.
    propensity : list of str or str
        Propensity-model covariates (list of columns or formulaic right-hand side).
    link : {"logit", "probit"}, default "logit"
    estimand : {"ATE", "ATT", "ATC"}, default "ATE"
    n_neighbors : int, default 1
        Matches per unit (more when tied).
    match_on : {"probability", "index"}, default "probability"
        Match on the fitted probability (Stata) or on the linear index ``x'g``.
    caliper : float, optional
        Maximum distance between matched units, on ``caliper_scale``.
    caliper_scale : {"probability", "index", "sd_index"}, optional
        Required with a caliper, and must fit ``match_on``: "probability" when matching on the
        probability; "index" (index units) or "sd_index" (multiples of the sample standard
        deviation of the index, Austin 2011 recommends 0.2) when matching on the index.
    unmatched : {"error", "drop"}, default "error"
        Units of the target population without a match within the caliper raise
        :class:`~welfare.errors.OverlapError`, or are dropped from it (counts in ``extra``).
    variance_neighbors : int, default 2
        Stata's ``nn(#)``: units (i itself included) whose outcomes give ``sigma2_i``.
    ps_adjustment : bool, default True
        Apply the Abadie-Imbens (2016) correction for the estimated score (``"robust"``
        variance without sampling weights and without a caliper).
    scale : {"log", "levels"}, default "log"
    overlap, overlap_bounds
        As in :func:`welfare.premium.ipw`.
    design : SurveyDesign, optional
        pweights weight the target population (K_i carry the weights); fweights expand rows.
    cluster : str, optional
    vcov : {"robust", "CRV1", "design"} or None, default None
        ``None`` follows the design (strata -> design, PSU -> CRV1, else robust).

    Returns
    -------
    TreatmentEffectResults
        Terms ``estimand, POmean0, POmean1`` (only the effect has a standard error); ``extra``
        holds match counts, unmatched units, maximum match distance, whether the score
        adjustment was applied, and the overlap rule.

    Raises
    ------
    MissingColumnError, TreatmentError, OutcomeError, EmptySampleError, OverlapError,
    VarianceError, UnknownOptionError
        EmptySampleError when an arm has fewer units than ``n_neighbors`` (or than the
        variance neighbours); OverlapError for perfect prediction, scores outside the overlap
        bounds, or unmatched units with ``unmatched="error"``.

    References
    ----------
    Abadie & Imbens (2006), doi:10.1111/j.1468-0262.2006.00655.x; Abadie & Imbens (2016),
    doi:10.3982/ECTA11293; Austin (2011), doi:10.1002/pst.433.
    """
    check_estimand(estimand)
    check_option("match_on", match_on, ("probability", "index"))
    if not isinstance(ps_adjustment, bool | np.bool_):
        raise UnknownOptionError(f"ps_adjustment: expected True or False, found {ps_adjustment!r}")
    _check_common(n_neighbors, unmatched, variance_neighbors, caliper, 2)
    if caliper is not None:
        allowed = ("probability",) if match_on == "probability" else ("index", "sd_index")
        if caliper_scale not in allowed:
            raise UnknownOptionError(
                f"caliper_scale: with match_on={match_on!r} expected one of {allowed}, found "
                f"{caliper_scale!r} (the caliper's scale must be named explicitly)"
            )
    elif caliper_scale is not None:
        raise UnknownOptionError("caliper_scale given without a caliper")
    prep = prepare_te(
        data, outcome=outcome, treatment=treatment, covariates=None, propensity=propensity,
        scale=scale, design=design, cluster=cluster, estimator="PS matching",
    )  # fmt: skip
    kind, clus, strata = _resolve_match_vcov(vcov, prep.inputs.design, cluster)
    ps, prep = fit_propensity(prep, link, overlap, overlap_bounds, "PS matching")
    prep, ps, src = _expand_fweights(prep, ps)
    score = ps.score if match_on == "probability" else ps.index
    cal = caliper
    if caliper is not None and caliper_scale == "sd_index":
        cal = caliper * float(np.std(ps.index, ddof=1))
    est, var, spec, extra, P, sets_of, empty = _match(
        prep, _Space(score=score), method="PS matching", estimand=estimand, k=n_neighbors,
        caliper=cal, unmatched=unmatched, var_others=variance_neighbors - 1, bias_X=None,
        ps=ps, ps_adjust=ps_adjustment, vcov_kind=kind, cluster=clus, strata=strata,
    )  # fmt: skip
    extra.update(
        propensity_coef=dict(zip(ps.terms, ps.gamma.tolist(), strict=True)),
        overlap=dict(ps.overlap),
        match_on=match_on,
        caliper=caliper,
        caliper_scale=caliper_scale,
        caliper_on_match_scale=cal,
        n_treated=int((prep.d == 1).sum()),
        n_control=int((prep.d == 0).sum()),
        scale=scale,
        link=link,
    )
    notes = [
        f"{n_neighbors}-nearest-neighbour matching with replacement on the {link} propensity "
        f"{match_on} ({prep.ps_rhs}); ties kept",
        _variance_note(kind, variance_neighbors)
        + (
            "; Abadie-Imbens (2016) adjustment for the estimated propensity score"
            if extra["ps_adjusted"]
            else "; propensity score treated as known (no AI 2016 adjustment: "
            + _why_not_adjusted(prep, kind, caliper, ps_adjustment)
            + ")"
        ),
    ]
    if caliper is not None:
        notes.append(
            f"caliper {caliper:g} on the {caliper_scale} scale; unmatched dropped: "
            f"{extra['n_unmatched_treated']} treated, {extra['n_unmatched_controls']} controls"
        )
    ov = ps.overlap
    if ov["rule"] != "error":
        notes.append(
            f"overlap rule {ov['rule']!r} [{ov['bounds'][0]:g}, {ov['bounds'][1]:g}]: "
            f"{ov['n_below']} below, {ov['n_above']} above"
        )

    def refit(v):
        return ps_match(
            data, outcome=outcome, treatment=treatment, propensity=propensity, link=link,
            estimand=estimand, n_neighbors=n_neighbors, match_on=match_on, caliper=caliper,
            caliper_scale=caliper_scale, unmatched=unmatched,
            variance_neighbors=variance_neighbors, ps_adjustment=ps_adjustment, scale=scale,
            overlap=overlap, overlap_bounds=overlap_bounds, design=design, cluster=cluster,
            vcov=v,
        )  # fmt: skip

    ctx = {"prep": prep, "ps": ps, "method": "psmatch", "P": P, "sets": sets_of}
    sample, n_obs = _drop_unmatched(
        prep, empty, src, f"no match within the caliper ({estimand} population)"
    )
    return _results(
        "PS matching", prep, est, var, spec, extra, estimand, scale, notes, refit, ctx, sample,
        n_obs,
    )  # fmt: skip


@strict_keywords
def nn_match(
    data,
    *,
    outcome: str,
    treatment: str,
    covariates,
    estimand: str = "ATE",
    n_neighbors: int = 1,
    metric: str = "mahalanobis",
    exact: list[str] | None = None,
    bias_adjust=None,
    caliper: float | None = None,
    unmatched: str = "error",
    variance_neighbors: int = 2,
    scale: str = "log",
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
) -> TreatmentEffectResults:
    """Nearest-neighbour covariate matching with replacement (Stata's ``teffects nnmatch``).

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    outcome, treatment : str
    covariates : list of str or str
        Matching covariates (text/categorical columns as dummies).
    estimand : {"ATE", "ATT", "ATC"}, default "ATE"
    n_neighbors : int, default 1
    metric : {"mahalanobis", "ivariance", "euclidean"}, default "mahalanobis"
        Weight matrix: inverse of the (weighted) sample covariance of the covariates, inverse
        of its diagonal, or the identity.
    exact : list of str, optional
        Match only within cells of these columns (the conditional-variance neighbours too).
    bias_adjust : list of str or str or True, optional
        Abadie-Imbens (2011) bias adjustment with a linear regression on these columns (True:
        the matching covariates) in each arm, weighted by the times a unit is used as a match.
    caliper : float, optional
        Maximum distance in units of the metric (for "euclidean" the covariates' own units).
    unmatched : {"error", "drop"}, default "error"
    variance_neighbors : int, default 2
        Stata's ``nn(#)``: other units of the same arm used for ``sigma2_i``.
    scale : {"log", "levels"}, default "log"
    design, cluster, vcov
        As in :func:`ps_match`.

    Returns
    -------
    TreatmentEffectResults

    Raises
    ------
    MissingColumnError, TreatmentError, OutcomeError, EmptySampleError, CollinearityError,
    OverlapError, VarianceError, UnknownOptionError
        CollinearityError for constant or collinear matching covariates (the Mahalanobis
        matrix does not exist); OverlapError for units without a match within the caliper or
        their exact cell (``unmatched="error"``).

    References
    ----------
    Abadie & Imbens (2006), doi:10.1111/j.1468-0262.2006.00655.x; Abadie & Imbens (2011),
    doi:10.1198/jbes.2009.07333.
    """
    check_estimand(estimand)
    check_option("metric", metric, METRICS)
    if not (bias_adjust is None or isinstance(bias_adjust, bool | str | list | tuple)):
        raise UnknownOptionError(
            "bias_adjust: expected None, True/False, a list of columns or a right-hand side, "
            f"found {bias_adjust!r}"
        )
    _check_common(n_neighbors, unmatched, variance_neighbors, caliper, 1)
    exact = as_columns("exact", exact)
    prep = prepare_te(
        data, outcome=outcome, treatment=treatment, covariates=covariates, propensity=None,
        scale=scale, design=design, cluster=cluster, estimator="NN matching",
        extra_roles=[("exact-matching variable", exact)] if exact else None,
        covariate_role="matching covariate",
    )  # fmt: skip
    kind, clus, strata = _resolve_match_vcov(vcov, prep.inputs.design, cluster)
    prep, _, src = _expand_fweights(prep)
    X = prep.Z[:, 1:] if prep.z_terms and prep.z_terms[0] == "Intercept" else prep.Z
    names = prep.z_terms[1:] if prep.z_terms and prep.z_terms[0] == "Intercept" else prep.z_terms
    sd = X.std(axis=0)
    if (sd == 0).any():
        const = [nm for nm, s in zip(names, sd, strict=True) if s == 0]
        raise CollinearityError(
            f"NN matching: expected matching covariates that vary, found constant {const}"
        )
    C = np.atleast_2d(np.cov(X, rowvar=False, aweights=prep.w))
    if metric == "mahalanobis":
        if np.linalg.matrix_rank(C) < C.shape[0]:
            raise CollinearityError(
                f"NN matching: the covariance of the matching covariates {names} is singular "
                "(collinear covariates); expected a Mahalanobis matrix to exist"
            )
        W = np.linalg.inv(C)
    elif metric == "ivariance":
        W = np.diag(1 / np.diag(C))
    else:
        W = np.eye(X.shape[1])
    cells = None
    if exact:
        cells = pd.MultiIndex.from_frame(prep.frame[exact]).factorize(sort=True)[0]
    bias_X = None
    if bias_adjust is not None and bias_adjust is not False:
        if bias_adjust is True:
            bias_X = X
        else:
            rhs, _ = rhs_terms(bias_adjust, prep.frame, "bias_adjust")
            mm = model_matrices(f"{prep.dep} ~ {rhs}", prep.frame)
            cols = [c for c in mm.rhs.columns if c != "Intercept"]
            bias_X = np.asarray(mm.rhs[cols], dtype=float)
    est, var, spec, extra, P, sets_of, empty = _match(
        prep, _Space(X=X, W=W, cells=cells), method="NN matching", estimand=estimand,
        k=n_neighbors, caliper=caliper, unmatched=unmatched, var_others=variance_neighbors,
        bias_X=bias_X, ps=None, ps_adjust=False, vcov_kind=kind, cluster=clus, strata=strata,
    )  # fmt: skip
    extra.update(
        metric=metric,
        matching_covariates=[clean_term(t) for t in names],
        exact=list(exact),
        caliper=caliper,
        n_treated=int((prep.d == 1).sum()),
        n_control=int((prep.d == 0).sum()),
        scale=scale,
    )
    notes = [
        f"{n_neighbors}-nearest-neighbour matching with replacement on "
        f"{prep.z_rhs} ({metric} metric"
        + (f", exact on {', '.join(exact)}" if exact else "")
        + "); ties kept"
        + ("; bias-adjusted (Abadie-Imbens 2011)" if bias_X is not None else ""),
        _variance_note(kind, variance_neighbors),
    ]
    if caliper is not None:
        notes.append(
            f"caliper {caliper:g} in {metric} distance units; unmatched dropped: "
            f"{extra['n_unmatched_treated']} treated, {extra['n_unmatched_controls']} controls"
        )
    elif exact and extra["n_unmatched_treated"] + extra["n_unmatched_controls"]:
        notes.append(
            f"units without a match in their exact cell, dropped: "
            f"{extra['n_unmatched_treated']} treated, {extra['n_unmatched_controls']} controls"
        )

    def refit(v):
        return nn_match(
            data, outcome=outcome, treatment=treatment, covariates=covariates,
            estimand=estimand, n_neighbors=n_neighbors, metric=metric, exact=exact,
            bias_adjust=bias_adjust, caliper=caliper, unmatched=unmatched,
            variance_neighbors=variance_neighbors, scale=scale, design=design,
            cluster=cluster, vcov=v,
        )  # fmt: skip

    ctx = {"prep": prep, "ps": None, "method": "nnmatch", "P": P, "sets": sets_of, "X": X}
    where = "within the caliper" if caliper is not None else "in the exact-matching cell"
    sample, n_obs = _drop_unmatched(prep, empty, src, f"no match {where} ({estimand} population)")
    return _results(
        "NN matching", prep, est, var, spec, extra, estimand, scale, notes, refit, ctx, sample,
        n_obs,
    )  # fmt: skip
