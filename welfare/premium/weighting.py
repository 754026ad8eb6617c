"""Treatment effects by weighting and regression adjustment (F2): IPW, RA, AIPW, IPWRA.

The four estimators of Stata's ``teffects`` for a binary treatment ``d`` (1 = participant),
written as one system of stacked estimating equations and solved jointly. With survey weights
``w_i`` (normalised to mean 1), propensity ``p_i = F(x_i'g)`` (logit or probit), outcome models
``m_k(z) = z'b_k`` fitted in each arm ``k``, and target weights ``a_i`` (1 for the ATE, ``d_i``
for the ATT, ``1 - d_i`` for the ATC), the potential-outcome means ``mu_k`` solve

* RA:    sum_i w_i a_i (z_i'b_k - mu_k) = 0, with b_k from OLS in arm k;
* IPW:   sum_i w_i 1{d_i = k} om_k(p_i) (y_i - mu_k) = 0 (normalised, Hajek weights);
* AIPW:  sum_i w_i [a_i z_i'b_k + 1{d_i = k} om_k(p_i)(y_i - z_i'b_k) - a_i mu_k] = 0;
* IPWRA: as RA, with b_k from least squares weighted by om_k(p_i);

where the inverse-probability weights are ``om_1 = 1/p, om_0 = 1/(1-p)`` (ATE),
``om_1 = 1, om_0 = p/(1-p)`` (ATT) and ``om_1 = (1-p)/p, om_0 = 1`` (ATC). The effect is
``mu_1 - mu_0``. The propensity score equations (the ML score of the logit/probit) and the
outcome-model normal equations are stacked with these, so the sandwich variance
``V = A^{-1} M A^{-T}`` (A: the analytic Jacobian of the summed moments; M: the sum of outer
products of the moments, or of their PSU totals) accounts for the estimation of both models, as
Stata reports it. The unclustered variance has no small-sample factor (``"HC0"``, Stata's
``vce(robust)`` for teffects); ``"CRV1"`` multiplies by G/(G-1); ``"design"`` is the stratified
linearisation of :mod:`welfare.inference.vcov`. Statistics are z, as Stata's.

References
----------
Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, 2nd ed.,
ch. 21. MIT Press.
Cattaneo, M. D. (2010). Efficient semiparametric estimation of multi-valued treatment effects
under ignorability. *Journal of Econometrics* 155(2), 138-154.
doi:10.1016/j.jeconom.2009.09.023
Robins, J. M., Rotnitzky, A. & Zhao, L. P. (1994). Estimation of regression coefficients when
some regressors are not always observed. *JASA* 89(427), 846-866. doi:10.2307/2290910
StataCorp. *Stata Treatment-Effects Reference Manual*, ``teffects`` (Methods and formulas).
"""

from __future__ import annotations

import numpy as np

from welfare._estimation import check_clusters, design_rank
from welfare._options import check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.errors import CollinearityError, EmptySampleError, UnknownOptionError, VarianceError
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat
from welfare.premium._common import (
    Prepared,
    Propensity,
    check_estimand,
    fit_propensity,
    prepare_te,
)

__all__ = ["ipw", "ra", "aipw", "ipwra", "TreatmentEffectResults", "TE_VCOV_TYPES"]

TE_VCOV_TYPES = ("HC0", "HC1", "CRV1", "design")


class TreatmentEffectResults(Results):
    """Results of a treatment-effect estimator.

    Terms: the estimand (``"ATE"``, ``"ATT"`` or ``"ATC"``), ``"POmean0"`` and ``"POmean1"``
    (potential-outcome means of the target population). ``propensity`` holds the fitted
    propensity model (or ``None``), ``overlap`` the overlap rule, bounds and counts.
    """

    def balance(self, covariates=None):
        """Balance table of this estimator's weights (see :func:`welfare.premium.balance`)."""
        from welfare.premium.balance import balance

        return balance(self, covariates=covariates)


def resolve_te_vcov(vcov, design: SurveyDesign, cluster) -> tuple[str, str | None, str | None]:
    """Variance type of a treatment-effect estimator.

    ``None`` follows the design: strata -> ``"design"``, PSU/cluster -> ``"CRV1"``, otherwise
    ``"HC0"`` (Stata's robust M-estimation sandwich). Returns (kind, cluster, strata).
    """
    from welfare._estimation import resolve_vcov

    if vcov is not None:
        check_option("vcov", vcov, TE_VCOV_TYPES)
    if vcov in ("HC0", "HC1"):
        # the cluster/design consistency checks of resolve_vcov still apply
        resolve_vcov("HC1", design, cluster)
        return vcov, None, None
    ch = resolve_vcov(vcov, design, cluster)
    if ch.kind in ("iid", "HC1"):
        return "HC0", None, None
    return ch.kind, ch.cluster, ch.strata


def _omega(estimand: str, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inverse-probability weights of each arm and their derivatives with respect to p."""
    if estimand == "ATE":
        return 1 / p, 1 / (1 - p), -1 / p**2, 1 / (1 - p) ** 2
    if estimand == "ATT":
        return np.ones_like(p), p / (1 - p), np.zeros_like(p), 1 / (1 - p) ** 2
    return (1 - p) / p, np.ones_like(p), -1 / p**2, np.zeros_like(p)


def _ols(Z: np.ndarray, y: np.ndarray, wt: np.ndarray, arm: str, method: str) -> np.ndarray:
    ZtW = (Z * wt[:, None]).T
    G = ZtW @ Z
    keep = wt > 0
    rank = design_rank(Z[keep]) if keep.any() else 0
    if rank < Z.shape[1]:
        raise CollinearityError(
            f"{method}: the outcome-model covariates are linearly dependent among the {arm} "
            f"(rank {rank} < {Z.shape[1]}: a covariate constant in that arm, or collinear); "
            "expected independent columns in each treatment arm"
        )
    return np.linalg.solve(G, ZtW @ y)


def stacked_effect(
    prep: Prepared,
    ps: Propensity | None,
    method: str,
    estimand: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Solve the stacked equations; return (mu, moments (n, q), Jacobian (q, q), extra).

    The parameter vector is (g [propensity], b_0, b_1 [outcome models], mu_0, mu_1); ``mu``
    are its last two entries.
    """
    y, d, w = prep.y, prep.d, prep.w
    n = len(y)
    a = {"ATE": np.ones(n), "ATT": d, "ATC": 1 - d}[estimand]
    arms = (1 - d, d)
    blocks_psi = []
    # ---- propensity block
    if ps is not None:
        X, z, link = ps.X, ps.index, ps.link
        p = ps.score
        fz = np.where(ps.clipped, 0.0, link.pdf(z))  # clipped scores do not move with g
        kx = X.shape[1]
        psi_g = X * (w * link.score_factor(d, z))[:, None]
        om0_1 = _omega(estimand, p)
        om = (om0_1[1], om0_1[0])  # index by arm k
        dom = (om0_1[3] * fz, om0_1[2] * fz)  # d om_k / d z
    else:
        kx = 0
    Z = prep.Z
    kz = 0 if Z is None else Z.shape[1]
    q = kx + 2 * kz + 2
    A = np.zeros((q, q))
    if ps is not None:
        A[:kx, :kx] = -(X * (w * link.hessian_weight(d, z))[:, None]).T @ X
        blocks_psi.append(psi_g)
    # ---- outcome models
    b = [None, None]
    resid = [None, None]
    if kz:
        for k in (0, 1):
            wt = w * arms[k] * (om[k] if method == "ipwra" else 1.0)
            b[k] = _ols(Z, y, wt, ("controls", "treated")[k], method.upper())
            resid[k] = y - Z @ b[k]
            sl = slice(kx + k * kz, kx + (k + 1) * kz)
            blocks_psi.append(Z * (wt * resid[k])[:, None])
            A[sl, sl] = -(Z * wt[:, None]).T @ Z
            if method == "ipwra":
                A[sl, :kx] = (Z * (w * arms[k] * dom[k] * resid[k])[:, None]).T @ X
    # ---- potential-outcome means
    mu = np.zeros(2)
    psi_mu = np.zeros((n, 2))
    for k in (0, 1):
        col = kx + 2 * kz + k
        bsl = slice(kx + k * kz, kx + (k + 1) * kz)
        if method in ("ra", "ipwra"):
            m = Z @ b[k]
            mu[k] = np.sum(w * a * m) / np.sum(w * a)
            psi_mu[:, k] = w * a * (m - mu[k])
            A[col, bsl] = (Z * (w * a)[:, None]).sum(axis=0)
            A[col, col] = -np.sum(w * a)
        elif method == "ipw":
            wt = w * arms[k] * om[k]
            mu[k] = np.sum(wt * y) / np.sum(wt)
            psi_mu[:, k] = wt * (y - mu[k])
            A[col, :kx] = (X * (w * arms[k] * dom[k] * (y - mu[k]))[:, None]).sum(axis=0)
            A[col, col] = -np.sum(wt)
        else:  # aipw
            m = Z @ b[k]
            aug = arms[k] * om[k]
            mu[k] = np.sum(w * (a * m + aug * resid[k])) / np.sum(w * a)
            psi_mu[:, k] = w * (a * m + aug * resid[k] - a * mu[k])
            A[col, bsl] = (Z * (w * (a - aug))[:, None]).sum(axis=0)
            A[col, :kx] = (X * (w * arms[k] * dom[k] * resid[k])[:, None]).sum(axis=0)
            A[col, col] = -np.sum(w * a)
    blocks_psi.append(psi_mu)
    psi = np.column_stack(blocks_psi)
    extra = {}
    if kz:
        extra["outcome_coef_control"] = dict(zip(prep.z_terms, b[0].tolist(), strict=True))
        extra["outcome_coef_treated"] = dict(zip(prep.z_terms, b[1].tolist(), strict=True))
    return mu, psi, A, extra


def _te_vcov(prep: Prepared, psi, A, kind, cluster, strata) -> tuple[np.ndarray, VcovSpec]:
    """Covariance of (mu_0, mu_1) from the stacked sandwich."""
    fw = prep.w if prep.fweights else None
    scores = psi / prep.w[:, None] if prep.fweights else psi
    sub = prep.frame
    n = int(round(prep.w.sum())) if prep.fweights else len(prep.y)
    if kind in ("HC0", "HC1"):
        M, _, _ = meat(scores, fweights=fw)
        c = 1.0 if kind == "HC0" else n / (n - 1)
        spec = VcovSpec(kind, df=None, small_sample=c)
    elif kind == "CRV1":
        check_clusters(sub, cluster)
        M, g, _ = meat(scores, clusters=sub[cluster].to_numpy(), fweights=fw)
        c = g / (g - 1)
        spec = VcovSpec("CRV1", cluster, None, g, None, None, c)
    else:
        check_clusters(sub, cluster)
        st = sub[strata].to_numpy() if strata else np.zeros(len(sub), dtype=int)
        M, g, h = meat(scores, clusters=sub[cluster].to_numpy(), strata=st, fweights=fw)
        c = 1.0
        spec = VcovSpec("design", cluster, strata or "(one stratum)", g, h, None, 1.0)
    Ainv = np.linalg.inv(A)
    V = c * Ainv @ M @ Ainv.T
    V = (V + V.T) / 2
    return V[-2:, -2:], spec


def _estimate(
    method: str,
    data,
    outcome,
    treatment,
    covariates,
    propensity,
    link,
    estimand,
    scale,
    overlap,
    overlap_bounds,
    design,
    cluster,
    vcov,
) -> TreatmentEffectResults:
    names = {"ra": "RA", "ipw": "IPW", "aipw": "AIPW", "ipwra": "IPWRA"}
    check_estimand(estimand)
    if method != "ipw" and covariates is None:
        raise UnknownOptionError(
            f"covariates: {names[method]} expected outcome-model covariates, found None"
        )
    prep = prepare_te(
        data,
        outcome=outcome,
        treatment=treatment,
        covariates=covariates,
        propensity=propensity,
        scale=scale,
        design=design,
        cluster=cluster,
        estimator=names[method],
    )
    kind, clus, strata = resolve_te_vcov(vcov, prep.inputs.design, cluster)
    ps = None
    if method != "ra":
        ps, prep = fit_propensity(prep, link, overlap, overlap_bounds, names[method])
    if prep.Z is not None:
        for k, arm in ((0, "controls"), (1, "treated")):
            nk = int((prep.d == k).sum())
            if nk <= prep.Z.shape[1]:
                raise EmptySampleError(
                    f"{names[method]}: expected more {arm} than outcome-model parameters "
                    f"({prep.Z.shape[1]}), found {nk}"
                )
    with np.errstate(over="ignore", invalid="ignore"):  # absurd scales raise just below
        mu, psi, A, extra = stacked_effect(prep, ps, method, estimand)
        Vmu, spec = _te_vcov(prep, psi, A, kind, clus, strata)
    if not (np.all(np.isfinite(Vmu)) and np.all(np.diag(Vmu) > 0)):
        raise VarianceError(
            f"{names[method]}: expected a positive finite variance, found {np.diag(Vmu)} "
            f"(outcome scale {np.abs(prep.y).max():.3g}: rescale the outcome)"
        )
    L = np.array([[-1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    est = L @ mu
    V = L @ Vmu @ L.T
    n_obs = int(round(prep.w.sum())) if prep.fweights else len(prep.y)
    notes = list(prep.notes)
    scale_note = "log points" if scale == "log" else "levels"
    notes.append(
        f"{names[method]}: outcome {prep.dep!r} ({scale_note})"
        + (f"; propensity by {link} on {prep.ps_rhs}" if ps is not None else "")
        + (f"; outcome models by arm linear in {prep.z_rhs}" if prep.Z is not None else "")
        + "; variance from the stacked estimating equations ("
        + ", ".join(
            part
            for part, used in (
                ("propensity score", ps is not None),
                ("outcome models", prep.Z is not None),
                ("potential-outcome means", True),
            )
            if used
        )
        + ")"
    )
    if ps is not None:
        ov = ps.overlap
        notes.append(
            f"overlap rule {ov['rule']!r}, bounds [{ov['bounds'][0]:g}, {ov['bounds'][1]:g}]: "
            f"{ov['n_below']} below, {ov['n_above']} above"
            + (
                " (trimmed)"
                if ov["rule"] == "trim"
                else " (clipped)"
                if ov["rule"] == "clip"
                else ""
            )
        )
        extra["propensity_coef"] = dict(zip(ps.terms, ps.gamma.tolist(), strict=True))
        extra["overlap"] = dict(ov)
    extra.update(
        n_treated=int((prep.d == 1).sum()),
        n_control=int((prep.d == 0).sum()),
        scale=scale,
        link=link if ps is not None else None,
    )
    res = TreatmentEffectResults(
        terms=[estimand, "POmean0", "POmean1"],
        estimates=est,
        vcov=V,
        vcov_spec=spec,
        estimator=names[method],
        estimand=f"{estimand} in {scale_note}",
        sample=prep.sample,
        n_obs=n_obs,
        weights=prep.inputs.design.weights_label,
        data_label=prep.inputs.label,
        synthetic=prep.inputs.synthetic,
        extra=extra,
        notes=notes,
        refit=lambda v: _estimate(
            method,
            data,
            outcome,
            treatment,
            covariates,
            propensity,
            link,
            estimand,
            scale,
            overlap,
            overlap_bounds,
            design,
            cluster,
            v,
        ),
    )
    object.__setattr__(res, "_ctx", {"prep": prep, "ps": ps, "method": method})
    return res


@strict_keywords
def ipw(
    data,
    *,
    outcome: str,
    treatment: str,
    propensity,
    link: str = "logit",
    estimand: str = "ATE",
    scale: str = "log",
    overlap: str = "error",
    overlap_bounds: tuple[float, float] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
) -> TreatmentEffectResults:
    """Inverse-probability-weighted treatment effect (normalised weights).

    ``mu_k = sum_i w_i 1{d_i=k} om_k(p_i) y_i / sum_i w_i 1{d_i=k} om_k(p_i)``, the Hajek form
    of Stata's ``teffects ipw``; the variance stacks the propensity score equations.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    outcome : str
        Outcome column (e.g. ``"income_pc"``).
    treatment : str
        0/1 treatment column (1 = participant).
    propensity : list of str or str
        Propensity-model covariates: a list of columns (text/categorical ones as dummies) or a
        formulaic right-hand side such as ``"mmarried + mage + I(mage**2) + fbaby + medu"``.
    link : {"logit", "probit"}, default "logit"
    estimand : {"ATE", "ATT", "ATC"}, default "ATE"
    scale : {"log", "levels"}, default "log"
        ``"log"`` analyses log(outcome) (effects in log points) and refuses zero or negative
        outcomes; ``"levels"`` keeps levels.
    design : SurveyDesign, optional
        pweights/aweights (normalised to mean 1) or fweights; PSUs and strata set the variance.
    cluster : str, optional
        Cluster column when there is no design PSU.
    vcov : {"HC0", "HC1", "CRV1", "design"} or None, default None
        ``None`` follows the design: strata -> ``"design"``, PSU/cluster -> ``"CRV1"``, else
        ``"HC0"`` (Stata's ``vce(robust)`` for teffects, no small-sample factor).
    overlap : {"error", "trim", "clip"}, default "error"
        What to do with propensity scores outside ``overlap_bounds``: raise
        :class:`~welfare.errors.OverlapError`; drop those units (counted as a drop reason; the
        propensity model is refitted on the units kept and the estimand becomes the effect on
        the overlap population); or clip the scores to the bounds. Bounds and counts are stored
        in ``extra["overlap"]`` and printed in the notes.
    overlap_bounds : (float, float), optional
        Defaults: ``(1e-5, 1 - 1e-5)`` for "error" (Stata's ``pstolerance``), ``(0.1, 0.9)``
        for "trim" (Crump, Hotz, Imbens & Mitnik 2009, doi:10.1093/biomet/asn055),
        ``(0.01, 0.99)`` for "clip".

    Returns
    -------
    TreatmentEffectResults
        Terms ``estimand, POmean0, POmean1``; z reference.

    Raises
    ------
    MissingColumnError, ColumnTypeError, TreatmentError, OutcomeError, EmptySampleError,
    CollinearityError, OverlapError, VarianceError, UnknownOptionError
        TreatmentError for a treatment that is not 0/1 or does not vary; OutcomeError for a
        constant outcome (or a non-positive one with scale="log"); EmptySampleError for fewer
        than 2 treated or control units (or fewer units in an arm than outcome-model
        parameters); CollinearityError for a covariate constant within an arm; OverlapError for
        perfect prediction or scores outside the bounds; VarianceError for a non-finite
        variance (rescale the outcome).

    References
    ----------
    Hirano, K., Imbens, G. W. & Ridder, G. (2003). Efficient estimation of average treatment
    effects using the estimated propensity score. *Econometrica* 71(4), 1161-1189.
    doi:10.1111/1468-0262.00442
    """
    return _estimate(
        "ipw", data, outcome, treatment, None, propensity, link, estimand, scale, overlap,
        overlap_bounds, design, cluster, vcov,
    )  # fmt: skip


@strict_keywords
def ra(
    data,
    *,
    outcome: str,
    treatment: str,
    covariates,
    estimand: str = "ATE",
    scale: str = "log",
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
) -> TreatmentEffectResults:
    """Regression-adjustment treatment effect (separate linear outcome models by arm).

    ``mu_k`` is the (weighted) mean over the target population of ``z_i'b_k``, with ``b_k``
    from OLS in arm ``k`` (Stata's ``teffects ra``); the variance stacks the normal equations
    and so includes the sampling error of the covariate means.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    outcome : str
        Outcome column (e.g. ``"income_pc"``).
    treatment : str
        0/1 treatment column (1 = participant).
    covariates : list of str or str
        Outcome-model covariates (list of columns or a formulaic right-hand side).
    estimand : {"ATE", "ATT", "ATC"}, default "ATE"
    scale : {"log", "levels"}, default "log"
        ``"log"`` analyses log(outcome) (effects in log points) and refuses zero or negative
        outcomes; ``"levels"`` keeps levels.
    design : SurveyDesign, optional
        pweights/aweights (normalised to mean 1) or fweights; PSUs and strata set the variance.
    cluster : str, optional
        Cluster column when there is no design PSU.
    vcov : {"HC0", "HC1", "CRV1", "design"} or None, default None
        ``None`` follows the design: strata -> ``"design"``, PSU/cluster -> ``"CRV1"``, else
        ``"HC0"`` (Stata's ``vce(robust)`` for teffects, no small-sample factor).

    Returns
    -------
    TreatmentEffectResults
        Terms ``estimand, POmean0, POmean1``; z reference.

    Raises
    ------
    MissingColumnError, ColumnTypeError, TreatmentError, OutcomeError, EmptySampleError, \
CollinearityError, OverlapError, VarianceError, UnknownOptionError
        As in :func:`ipw` (OverlapError only with a propensity model).

    References
    ----------
    Wooldridge (2010), §21.3.
    """
    return _estimate(
        "ra", data, outcome, treatment, covariates, None, "logit", estimand, scale, "error",
        None, design, cluster, vcov,
    )  # fmt: skip


@strict_keywords
def aipw(
    data,
    *,
    outcome: str,
    treatment: str,
    covariates,
    propensity,
    link: str = "logit",
    estimand: str = "ATE",
    scale: str = "log",
    overlap: str = "error",
    overlap_bounds: tuple[float, float] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
) -> TreatmentEffectResults:
    """Augmented IPW (doubly robust) treatment effect.

    ``mu_k = sum_i w_i [a_i m_k(z_i) + 1{d_i=k} om_k(p_i)(y_i - m_k(z_i))] / sum_i w_i a_i``
    with OLS outcome models by arm (Stata's ``teffects aipw`` for the ATE; the ATT/ATC use the
    same augmentation with the ATT/ATC weights, Moodie et al. 2018 form). Consistent if either
    the propensity or the outcome model is correct.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    outcome : str
        Outcome column (e.g. ``"income_pc"``).
    treatment : str
        0/1 treatment column (1 = participant).
    covariates : list of str or str
        Outcome-model covariates (list of columns or a formulaic right-hand side).
    propensity : list of str or str
        Propensity-model covariates: a list of columns (text/categorical ones as dummies) or a
        formulaic right-hand side such as ``"mmarried + mage + I(mage**2) + fbaby + medu"``.
    link : {"logit", "probit"}, default "logit"
    estimand : {"ATE", "ATT", "ATC"}, default "ATE"
    scale : {"log", "levels"}, default "log"
        ``"log"`` analyses log(outcome) (effects in log points) and refuses zero or negative
        outcomes; ``"levels"`` keeps levels.
    design : SurveyDesign, optional
        pweights/aweights (normalised to mean 1) or fweights; PSUs and strata set the variance.
    cluster : str, optional
        Cluster column when there is no design PSU.
    vcov : {"HC0", "HC1", "CRV1", "design"} or None, default None
        ``None`` follows the design: strata -> ``"design"``, PSU/cluster -> ``"CRV1"``, else
        ``"HC0"`` (Stata's ``vce(robust)`` for teffects, no small-sample factor).
    overlap, overlap_bounds
        See :func:`ipw`.

    Returns
    -------
    TreatmentEffectResults
        Terms ``estimand, POmean0, POmean1``; z reference.

    Raises
    ------
    MissingColumnError, ColumnTypeError, TreatmentError, OutcomeError, EmptySampleError, \
CollinearityError, OverlapError, VarianceError, UnknownOptionError
        As in :func:`ipw` (OverlapError only with a propensity model).

    References
    ----------
    Robins, Rotnitzky & Zhao (1994), doi:10.2307/2290910; Cattaneo (2010),
    doi:10.1016/j.jeconom.2009.09.023; Moodie, E. E. M., Saarela, O. & Stephens, D. A. (2018).
    A doubly robust weighting estimator of the average treatment effect on the treated.
    *Stat* 7(1), e205. doi:10.1002/sta4.205
    """
    return _estimate(
        "aipw", data, outcome, treatment, covariates, propensity, link, estimand, scale,
        overlap, overlap_bounds, design, cluster, vcov,
    )  # fmt: skip


@strict_keywords
def ipwra(
    data,
    *,
    outcome: str,
    treatment: str,
    covariates,
    propensity,
    link: str = "logit",
    estimand: str = "ATE",
    scale: str = "log",
    overlap: str = "error",
    overlap_bounds: tuple[float, float] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
) -> TreatmentEffectResults:
    """Inverse-probability-weighted regression adjustment (doubly robust).

    Outcome models by weighted least squares in each arm with the IPW weights ``om_k(p_i)``;
    ``mu_k`` is the mean of their predictions over the target population (Stata's
    ``teffects ipwra``).

    Parameters
    ----------
    data, outcome, treatment, covariates, propensity, link, estimand, scale, overlap, \
overlap_bounds, design, cluster, vcov
        As in :func:`aipw`.

    Returns
    -------
    TreatmentEffectResults
        Terms ``estimand, POmean0, POmean1``; z reference.

    Raises
    ------
    MissingColumnError, ColumnTypeError, TreatmentError, OutcomeError, EmptySampleError, \
CollinearityError, OverlapError, VarianceError, UnknownOptionError
        As in :func:`aipw`.

    References
    ----------
    Wooldridge, J. M. (2007). Inverse probability weighted estimation for general missing data
    problems. *Journal of Econometrics* 141(2), 1281-1301. doi:10.1016/j.jeconom.2007.02.002
    """
    return _estimate(
        "ipwra", data, outcome, treatment, covariates, propensity, link, estimand, scale,
        overlap, overlap_bounds, design, cluster, vcov,
    )  # fmt: skip
