"""Who gains most: group average effects, the best linear projection of the CATE, causal forests.

All three start from double ML (:func:`welfare.premium.dml_irm`, ATE). Its cross-fitted AIPW
pseudo-outcome ``phi_i = g1 - g0 + d (y - g1)/m - (1-d)(y - g0)/(1-m)`` has conditional mean
equal to the CATE, so

* the **GATE** of group ``g`` is the weighted mean of ``phi`` over the group, with influence
  function ``w_i 1{i in g} (phi_i - GATE_g) / W_g``; the joint covariance of all groups uses
  the DML fit's variance type (the delete-one-cluster jackknife of every group mean for CRV3,
  the cluster sums for CRV1, PSUs within strata for the design), so contrasts and the Wald
  test of equal effects are joint;
* the **BLP** of the CATE on covariates ``z`` is the least-squares regression of ``phi`` on
  ``z`` (Semenova & Chernozhukov 2021), with the design's variance;
* the **causal forest** is econml's ``CausalForestDML`` (Athey, Tibshirani & Wager 2019) with
  the same cluster-preserving folds; its doubly robust ATE (``ate_``, ``ate_stderr_``) is
  reported, not the ``stderr_mean`` of ``ate_inference``, which is a loose upper bound.
  econml's standard error treats observations as independent: with clusters, read the
  cluster-robust DML IRM instead (both are shown).

With repeated cross-fitting the pseudo-outcome is the mean over repetitions. The nuisance
estimation error is first-order negligible for these averages (orthogonal score).

References
----------
Semenova & Chernozhukov (2021), doi:10.1093/ectj/utaa027.
Athey, S., Tibshirani, J. & Wager, S. (2019). Generalized random forests. *Annals of
Statistics* 47(2), 1148-1178. doi:10.1214/18-AOS1709
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from welfare._options import strict_keywords
from welfare.data.design import SurveyDesign
from welfare.errors import EmptySampleError, UnknownOptionError, VarianceError
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat
from welfare.premium.dml import DMLResults, make_folds

__all__ = ["gate", "blp", "causal_forest", "GroupEffects", "ForestResults"]


class GroupEffects(Results):
    """Group average effects with their joint covariance (terms ``"<column>=<level>"``)."""

    def contrasts(self, reference: str | None = None) -> Results:
        """Differences of every group from ``reference`` (default the first), joint covariance.

        Raises
        ------
        UnknownOptionError
            A reference that is not one of the terms.
        """
        terms = list(self.terms)
        ref = terms[0] if reference is None else reference
        if ref not in terms:
            raise UnknownOptionError(f"reference: expected one of {terms}, found {ref!r}")
        i = terms.index(ref)
        others = [j for j in range(len(terms)) if j != i]
        D = np.zeros((len(others), len(terms)))
        for r, j in enumerate(others):
            D[r, j], D[r, i] = 1.0, -1.0
        est = D @ self.params.to_numpy()
        V = D @ self.vcov.to_numpy() @ D.T
        return Results(
            terms=[f"{terms[j]} - {ref}" for j in others],
            estimates=est,
            vcov=V,
            vcov_spec=self.vcov_spec,
            estimator=self.estimator,
            estimand=f"differences of group average effects from {ref}",
            sample=self.sample,
            n_obs=self.n_obs,
            weights=self.weights,
            data_label=self.data_label,
            synthetic=self.synthetic,
            notes=self.notes,
        )


def _ctx(res):
    if not isinstance(res, DMLResults) or not hasattr(res, "_ctx"):
        raise UnknownOptionError(
            "expected the results of dml_irm(..., estimand='ATE') (its pseudo-outcomes), found "
            f"{type(res).__name__}"
        )
    return res._ctx


@strict_keywords
def gate(res: DMLResults, by: str, *, bins=None) -> GroupEffects:
    """Group average treatment effects (GATE) from a DML IRM fit, with joint inference.

    Parameters
    ----------
    res : DMLResults
        From :func:`welfare.premium.dml_irm` with ``estimand="ATE"``.
    by : str
        Grouping column of the data (e.g. ``"head_female"``, ``"province"``).
    bins : sequence of float, optional
        Band edges for a numeric column (``[16, 35, 50, 100]`` gives ``[16, 35)``, ...).
        Required for a numeric column with more than 10 values.

    Returns
    -------
    GroupEffects
        One term per group, ``"<by>=<level>"``; ``extra`` holds the group sizes and the Wald
        test that all groups have the same effect (``wald_chi2``, ``wald_df``, ``wald_p``).

    Raises
    ------
    UnknownOptionError
        Results without pseudo-outcomes, an unknown column, a numeric column without bins.
    EmptySampleError
        A group with fewer than 2 units.
    """
    ctx = _ctx(res)
    prep, phi, keep = ctx["prep"], ctx["pseudo"], ctx["keep"]
    if not isinstance(by, str) or by not in prep.frame.columns:
        raise UnknownOptionError(f"by: expected a column of the estimation sample, found {by!r}")
    if by in (prep.outcome, prep.dep):
        raise UnknownOptionError(
            f"by: expected a pre-treatment characteristic, found the outcome {by!r}"
        )
    col = prep.frame[by]
    missing = int(col[keep].isna().sum())
    if missing:
        raise UnknownOptionError(
            f"by {by!r}: expected a complete grouping column, found {missing} missing values in "
            "the estimation sample (add it to the covariates, or fill it, so rows are counted)"
        )
    if bins is not None:
        try:
            edges = [float(b) for b in bins]
        except (TypeError, ValueError):
            raise UnknownOptionError(f"bins: expected increasing numbers, found {bins!r}") from None
        if len(edges) < 2 or any(b >= a for a, b in zip(edges[1:], edges[:-1], strict=True)):
            raise UnknownOptionError(f"bins: expected at least 2 increasing edges, found {bins!r}")
        if not pd.api.types.is_numeric_dtype(col):
            raise UnknownOptionError(f"bins: expected a numeric column, found {by!r} ({col.dtype})")
        groups = pd.cut(col.astype(float), bins=list(bins), right=False)  # labels as given
        if groups.isna().any():
            raise UnknownOptionError(
                f"bins: {int(groups.isna().sum())} values of {by!r} fall outside {list(bins)}; "
                "expected bins that cover every value"
            )
        order = {str(iv): i for i, iv in enumerate(groups.cat.categories)}
        groups = groups.astype(str)
    else:
        order = None
        if pd.api.types.is_numeric_dtype(col) and col.nunique() > 10:
            raise UnknownOptionError(
                f"by {by!r}: a numeric column with {col.nunique()} values needs bins=[...]"
            )
        groups = col
    if isinstance(col.dtype, pd.CategoricalDtype) and bins is None:
        levels = [v for v in col.cat.categories if (col[keep] == v).any()]
    elif order is not None:
        levels = sorted(pd.unique(groups[keep]), key=lambda v: order[v])
    elif pd.api.types.is_numeric_dtype(col):
        levels = sorted(pd.unique(groups[keep]))  # numerically: 1, 2, 10
    else:
        levels = sorted(pd.unique(groups[keep]), key=str)
    w = prep.w * keep
    G = np.column_stack([(groups == lev).to_numpy() & keep for lev in levels]).astype(float)
    sizes = G.sum(axis=0)
    if (sizes < 2).any():
        small = [str(lev) for lev, s in zip(levels, sizes, strict=True) if s < 2]
        raise EmptySampleError(f"gate: expected at least 2 units per group, found groups {small}")
    W = (G * w[:, None]).sum(axis=0)
    est = (G * (w * phi)[:, None]).sum(axis=0) / W
    if ctx["cluster"] is not None:
        n_cl = [prep.frame.loc[G[:, j] > 0, ctx["cluster"]].nunique() for j in range(G.shape[1])]
        one = [str(lev) for lev, c in zip(levels, n_cl, strict=True) if c < 2]
        if one:
            raise VarianceError(
                f"gate: groups {one} of {by!r} lie within a single cluster "
                f"({ctx['cluster']!r}); expected at least 2 clusters per group, since a "
                "cluster-robust variance of a one-cluster mean does not exist"
            )
    IF = G * w[:, None] * (phi[:, None] - est[None, :]) / W[None, :]
    kind, clus, strata = ctx["kind"], ctx["cluster"], ctx["strata"]
    sub = prep.frame
    if kind in ("HC0", "HC1"):
        M, _, _ = meat(IF)
        n = int(keep.sum())
        c = 1.0 if kind == "HC0" else n / (n - 1)
        spec = VcovSpec(kind, df=None, small_sample=c)
    elif kind in ("CRV1", "CRV3"):
        codes, uniq = pd.factorize(pd.Series(sub[clus].to_numpy()), sort=True)
        g = len(uniq)
        M = None
        if kind == "CRV3":
            # delete-one-cluster jackknife of every group mean (as the DML fit)
            num = G * (w * phi)[:, None]
            den = G * w[:, None]
            N_c = np.vstack([np.bincount(codes, weights=num[:, j], minlength=g) for j in
                             range(G.shape[1])]).T  # fmt: skip
            D_c = np.vstack([np.bincount(codes, weights=den[:, j], minlength=g) for j in
                             range(G.shape[1])]).T  # fmt: skip
            rest = W[None, :] - D_c
            if (rest > 0).all():
                loo = ((W * est)[None, :] - N_c) / rest
                dev = loo - loo.mean(axis=0)
                c = (g - 1) / g
                M = dev.T @ dev
                spec = VcovSpec("CRV3", clus, None, g, None, g - 1, c)
        if M is None:  # CRV1 (or a group inside a single cluster, where the jackknife fails)
            M, g, _ = meat(IF, clusters=codes)
            c = g / (g - 1)
            spec = VcovSpec("CRV1", clus, None, g, None, g - 1, c)
    else:
        st = sub[strata].to_numpy() if strata else np.zeros(len(sub), dtype=int)
        M, g, h = meat(IF, clusters=sub[clus].to_numpy(), strata=st)
        c = 1.0
        spec = VcovSpec("design", clus, strata or "(one stratum)", g, h, g - h, 1.0)
    V = c * M
    terms = [f"{by}={lev}" for lev in levels]
    D = np.hstack([-np.ones((len(levels) - 1, 1)), np.eye(len(levels) - 1)])
    extra = {"group_sizes": dict(zip(terms, sizes.astype(int).tolist(), strict=True))}
    if len(levels) > 1:
        dv = D @ est
        chi2 = float(dv @ np.linalg.solve(D @ V @ D.T, dv))
        extra.update(wald_chi2=chi2, wald_df=len(levels) - 1,
                     wald_p=float(stats.chi2.sf(chi2, len(levels) - 1)))  # fmt: skip
    return GroupEffects(
        terms=terms,
        estimates=est,
        vcov=V,
        vcov_spec=spec,
        estimator=f"GATE from {res.estimator}",
        estimand=f"group average treatment effects by {by} ({res.estimand})",
        sample=res.sample,
        n_obs=res.n_obs,
        weights=res.weights,
        data_label=res.data_label,
        synthetic=res.synthetic,
        extra=extra,
        notes=[
            f"GATE: weighted means of the cross-fitted AIPW pseudo-outcome within groups of "
            f"{by!r}"
            + (f" (bands {list(bins)})" if bins is not None else "")
            + "; joint covariance of the group means"
            + (
                f"; Wald test of equal effects chi2({extra['wald_df']}) = "
                f"{extra['wald_chi2']:.2f}, p = {extra['wald_p']:.3f}"
                if "wald_chi2" in extra
                else ""
            )
        ],
    )


@strict_keywords
def blp(res: DMLResults, covariates) -> Results:
    """Best linear projection of the CATE on covariates (Semenova & Chernozhukov 2021).

    Regresses the cross-fitted AIPW pseudo-outcome on ``covariates`` by (weighted) least squares
    with the variance the DML fit used (HC0 is reported as HC1, the least-squares convention).

    Parameters
    ----------
    res : DMLResults
        From :func:`welfare.premium.dml_irm` with ``estimand="ATE"``.
    covariates : list of str or str
        Columns (text/categorical ones as dummies) or a formulaic right-hand side.

    Returns
    -------
    Results
        Intercept and slopes of the projection; t reference as for OLS.

    Raises
    ------
    UnknownOptionError
        Results without pseudo-outcomes; covariates not in the data.
    """
    from welfare.inference.linear import fit_ols
    from welfare.premium._common import rhs_terms

    ctx = _ctx(res)
    prep, phi, keep = ctx["prep"], ctx["pseudo"], ctx["keep"]
    rhs, variables = rhs_terms(covariates, prep.frame, "covariates")
    own = [v for v in variables if v in (prep.outcome, prep.dep, prep.treatment)]
    if own:
        raise UnknownOptionError(
            f"covariates: expected pre-treatment characteristics, found the outcome/treatment {own}"
        )
    name = "cate_pseudo_outcome"
    while name in prep.frame.columns:
        name += "_"
    frame = prep.frame.loc[keep].assign(**{name: phi[keep]}).reset_index(drop=True)
    des = prep.inputs.design
    cluster = ctx["cluster"] if ctx["cluster"] and ctx["cluster"] != des.psu else None
    # least-squares conventions: HC0 -> HC1; the jackknife of the DML fit -> CRV1 (t, G - 1)
    vcov = {"HC0": "HC1", "HC1": "HC1", "CRV3": "CRV1"}.get(ctx["kind"], ctx["kind"])
    out = fit_ols(
        f"{name} ~ {rhs}",
        frame,
        design=des,
        cluster=cluster,
        vcov=vcov,
        estimator=f"BLP of the CATE from {res.estimator}",
        estimand="best linear projection of the CATE",
    )
    # rows left out before the projection (missing values, trimming) are the DML fit's
    object.__setattr__(out, "sample", res.sample)
    return out


class ForestResults(Results):
    """Causal-forest results: the doubly robust ATE, with the CATEs in :meth:`cate`."""

    def cate(self) -> pd.DataFrame:
        """CATE of every unit of the estimation sample with its 95% interval (econml)."""
        return self._ctx["cate"].copy()


@strict_keywords
def causal_forest(
    data,
    *,
    outcome: str,
    treatment: str,
    covariates,
    learner_outcome,
    learner_propensity,
    n_estimators: int = 500,
    min_samples_leaf: int = 5,
    n_folds: int = 5,
    scale: str = "log",
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
    random_state: int = 20190601,
) -> ForestResults:
    r"""CATEs by econml's causal forest (CausalForestDML), with cluster-preserving folds.

    Parameters
    ----------
    data, outcome, treatment, covariates, scale, design, cluster, random_state
        As in :func:`welfare.premium.dml_irm` (pweights are passed as ``sample_weight``).
    learner_outcome, learner_propensity
        Nuisance learners (``model_y``, ``model_t``); the propensity learner must be a
        classifier.
    n_estimators : int, default 500
        Trees (econml requires a multiple of 4 per subsample group; rounded up).
    min_samples_leaf : int, default 5
    n_folds : int, default 5
        Cross-fitting folds; every cluster lies in one fold.
    vcov : {None, "HC0", "HC1", "CRV1", "CRV3", "design"}, optional
        Variance of the ATE, as :func:`welfare.premium.dml_irm` (default: the design's rule,
        the delete-one-cluster jackknife with clusters, HC0 without), with the nuisance
        predictions and the forest held fixed.

    Returns
    -------
    ForestResults
        One term ``"ATE"``: the (weighted) mean of the forest's doubly robust scores
        (below); ``extra`` holds CATE quantiles and econml's own unweighted ``ate_`` and
        ``ate_stderr_``; :meth:`ForestResults.cate` gives unit-level CATEs.

    Raises
    ------
    UnknownOptionError, DesignError, MissingColumnError, TreatmentError
        As :func:`welfare.premium.dml_irm`.
    VarianceError
        A unit without an out-of-bag forest prediction (too few trees).

    Notes
    -----
    With out-of-bag CATEs :math:`\hat\tau_i`, cross-fitted residuals
    :math:`\tilde y_i, \tilde d_i` and propensity :math:`\hat p_i = d_i - \tilde d_i`, the
    doubly robust score is econml's

    .. math::

        \psi_i = \hat\tau_i + \frac{(\tilde y_i - \hat\tau_i \tilde d_i)\,\tilde d_i}
        {\max(\hat p_i (1 - \hat p_i), 0.01)},
        \qquad \widehat{ATE} = \frac{\sum_i w_i \psi_i}{\sum_i w_i}.

    Unweighted, this is econml's ``ate_`` exactly, and with HC0 its variance is econml's
    ``ate_stderr_``; econml averages the scores without the sampling weights even when the
    forest is fitted with them, so with pweights its ``ate_`` is a sample, not a population,
    average (a Monte Carlo on the twin measured it 0.10 log points off its target).

    References
    ----------
    Athey, Tibshirani & Wager (2019), doi:10.1214/18-AOS1709.
    """
    from econml.dml import CausalForestDML

    from welfare.premium._common import prepare_te
    from welfare.premium.dml import (
        _check_learner,
        _check_seed,
        _resolve_dml_vcov,
        _seeded,
        _variance,
    )

    _check_seed(random_state)
    _check_learner(learner_outcome, "learner_outcome", classifier=False)
    _check_learner(learner_propensity, "learner_propensity", classifier=True)
    prep = prepare_te(
        data, outcome=outcome, treatment=treatment, covariates=covariates, propensity=None,
        scale=scale, design=design, cluster=cluster, estimator="causal forest",
        covariate_role="covariate",
    )  # fmt: skip
    if prep.fweights:
        raise UnknownOptionError(
            "causal forest: frequency weights are not supported; expand the data"
        )
    vkind, vclus, vstrata = _resolve_dml_vcov(vcov, prep.inputs.design, cluster)
    X = prep.Z[:, 1:] if prep.z_terms[0] == "Intercept" else prep.Z
    clus = cluster or prep.inputs.design.psu
    folds = make_folds(
        len(prep.y), n_folds, prep.frame[clus].to_numpy() if clus else None, random_state
    )
    cv = [(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in range(n_folds)]
    n_trees = int(np.ceil(n_estimators / 4) * 4)
    est = CausalForestDML(
        model_y=_seeded(learner_outcome, random_state),
        model_t=_seeded(learner_propensity, random_state),
        discrete_treatment=True,
        cv=cv,
        n_estimators=n_trees,
        min_samples_leaf=min_samples_leaf,
        random_state=random_state,
        # one thread: with sample weights econml's parallel tree fits differ in the last digit
        # from run to run (measured); results must be identical for a given seed
        n_jobs=1,
    )
    weighted = prep.inputs.design.weights is not None
    est.fit(
        prep.y,
        prep.d.astype(int),
        X=X,
        sample_weight=prep.w if weighted else None,
        cache_values=True,
    )
    cate = np.asarray(est.effect(X), dtype=float).reshape(-1)
    lo, hi = est.effect_interval(X, alpha=0.05)
    # econml's doubly robust scores, averaged with the sampling weights (see Notes)
    y_res, d_res, _, _ = est.residuals_
    tau = np.ravel(est.model_final_.oob_predict(X))
    if not np.all(np.isfinite(tau)):
        raise VarianceError(
            f"causal forest: expected an out-of-bag prediction for every unit, found "
            f"{int((~np.isfinite(tau)).sum())} without one; use more trees (n_estimators)"
        )
    dt = np.ravel(d_res)
    p_hat = prep.d - dt
    psi = tau + (np.ravel(y_res) - tau * dt) * dt / np.clip(p_hat * (1 - p_hat), 1e-2, None)
    w = prep.w if weighted else np.ones(len(psi))
    ate = float(np.sum(w * psi) / np.sum(w))
    var, spec = _variance(w * psi, w, ate, prep, vkind, vclus, vstrata)
    se = float(np.sqrt(var))
    frame = pd.DataFrame(
        {"cate": cate, "conf_low": np.ravel(lo), "conf_high": np.ravel(hi)},
        index=prep.inputs.frame.index[prep.sample.mask],  # the caller's row labels
    )
    res = ForestResults(
        terms=["ATE"],
        estimates=[ate],
        vcov=[[se**2]],
        vcov_spec=spec,
        estimator="causal forest (econml CausalForestDML)",
        estimand=f"ATE in {'log points' if scale == 'log' else 'levels'} (doubly robust)",
        sample=prep.sample,
        n_obs=len(prep.y),
        weights=prep.inputs.design.weights_label,
        data_label=prep.inputs.label,
        synthetic=prep.inputs.synthetic,
        extra={
            "cate_quantiles": dict(
                zip(
                    ("p10", "p25", "p50", "p75", "p90"),
                    np.quantile(cate, [0.1, 0.25, 0.5, 0.75, 0.9]).tolist(),
                    strict=True,
                )
            ),  # fmt: skip
            "n_estimators": n_trees,
            "random_state": random_state,
            "econml_ate": float(np.ravel(est.ate_)[0]),
            "econml_ate_stderr": float(np.ravel(est.ate_stderr_)[0]),
        },
        notes=[
            f"econml CausalForestDML, {n_trees} trees, {n_folds}-fold cross-fitting"
            + (f" with whole clusters ({clus!r}) in one fold" if clus else "")
            + "; ATE = the "
            + ("weighted " if weighted else "")
            + "mean of econml's doubly robust scores, SE "
            + spec.kind
            + " with the nuisances and the forest held fixed"
        ],
    )
    object.__setattr__(res, "_ctx", {"cate": frame, "prep": prep})
    return res
