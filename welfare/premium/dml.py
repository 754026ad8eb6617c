"""Double/debiased machine learning for the participation premium (F2), for clustered surveys.

Two models with cross-fitted nuisance functions learned by any scikit-learn estimator:

* **PLR** (partially linear, partialling-out score; Robinson 1988, Chernozhukov et al. 2018):
  ``y = theta d + g(x) + e``. With ``l(x) = E[y|x]`` and ``m(x) = E[d|x]`` learned out of fold,
  ``theta = sum_i w_i v_i (y_i - l_i) / sum_i w_i v_i^2`` with ``v_i = d_i - m_i``; the score is
  ``psi_i = w_i (y_i - l_i - theta v_i) v_i`` and ``J = -sum_i w_i v_i^2``.
* **IRM** (interactive model, AIPW score): with ``g_k(x) = E[y|x, d=k]`` learned on each arm and
  the propensity ``m(x)``, the ATE averages ``g1 - g0 + d (y - g1)/m - (1-d)(y - g0)/(1-m)``;
  the ATT is ``sum w [d (y - g0) - m (1-d)(y - g0)/(1-m)] / sum w d``.

Survey weights ``w`` (normalised to mean 1) enter both the nuisance fits (``sample_weight``)
and the scores. Without clusters the variance is the sandwich ``V = J^-2 M`` of the scores,
``M`` summing ``psi psi'`` (``"HC0"``, as DoubleML; z reference). With clusters the default is
the delete-one-cluster jackknife of the final-stage ratio with the cross-fitted nuisances held
fixed (``"CRV3"``; MacKinnon, Nielsen & Webb 2023) with t(G-1) critical values; ``"CRV1"``
(cluster totals times G/(G-1), t(G-1)) and the stratified PSU linearisation (``"design"``,
t(PSUs - strata)) are available. With 50 clusters the jackknife with t(G-1) held 95% coverage
at 94% in the K10 Monte Carlo, CRV1 with z at 92%. The clusters that set the variance also build
the folds: every cluster lies in one fold (fault kind K10: folds clustered but errors not, or
the reverse). Repeated cross-fitting (``n_rep``) aggregates by the median: ``theta =
median_r theta_r``, ``V = median_r (V_r + (theta_r - theta)^2)`` (Chernozhukov et al. 2018,
§3.4).

References
----------
Chernozhukov, V., Chetverikov, D., Demirer, M., Duflo, E., Hansen, C., Newey, W. & Robins, J.
(2018). Double/debiased machine learning for treatment and structural parameters. *The
Econometrics Journal* 21(1), C1-C68. doi:10.1111/ectj.12097
Chiang, H. D., Kato, K., Ma, Y. & Sasaki, Y. (2022). Multiway cluster robust double/debiased
machine learning. *Journal of Business & Economic Statistics* 40(3), 1046-1056.
doi:10.1080/07350015.2021.1895815
MacKinnon, J. G., Nielsen, M. O. & Webb, M. D. (2023). Cluster-robust inference: a guide to
empirical practice. *Journal of Econometrics* 232(2), 272-299.
doi:10.1016/j.jeconom.2022.04.001
Semenova, V. & Chernozhukov, V. (2021). Debiased machine learning of conditional average
treatment effects and other causal functions. *The Econometrics Journal* 24(2), 264-289.
doi:10.1093/ectj/utaa027
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import pandas as pd

from welfare._estimation import check_clusters
from welfare._options import check_option, strict_keywords
from welfare._parallel import check_n_jobs
from welfare.data.design import SurveyDesign
from welfare.errors import DesignError, EmptySampleError, UnknownOptionError, VarianceError
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat
from welfare.premium._common import DEFAULT_BOUNDS, Prepared, _check_bounds, prepare_te
from welfare.premium.weighting import resolve_te_vcov

__all__ = ["dml_plr", "dml_irm", "DMLResults", "make_folds"]

AGGREGATION = "median over repetitions (Chernozhukov et al. 2018, §3.4)"


class DMLResults(Results):
    """Results of :func:`dml_plr` or :func:`dml_irm`.

    ``extra`` holds the folds and repetitions, the per-repetition estimates, the aggregation
    rule, the learners and their out-of-fold diagnostics, the overlap rule and the seed.
    :func:`welfare.premium.gate` and :func:`welfare.premium.blp` use the IRM's pseudo-outcomes.
    """


# ---------------------------------------------------------------- folds and learners
def make_folds(n_obs: int, n_folds: int, clusters=None, random_state=None) -> np.ndarray:
    """Fold number of each observation, whole clusters kept together.

    Parameters
    ----------
    n_obs : int
    n_folds : int
        At least 2.
    clusters : array_like, shape (n_obs,), optional
        Cluster ids; each cluster goes to one fold (clusters are shuffled, then dealt into
        folds of nearly equal numbers of clusters).
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    numpy.ndarray of int, shape (n_obs,)

    Raises
    ------
    DesignError
        Fewer clusters (or observations) than folds, cluster ids of the wrong length or with
        missing values.
    UnknownOptionError
        ``n_folds`` not an integer >= 2.
    """
    if not (
        isinstance(n_folds, int | np.integer) and not isinstance(n_folds, bool) and n_folds >= 2
    ):
        raise UnknownOptionError(f"n_folds: expected an integer >= 2, found {n_folds!r}")
    rng = np.random.default_rng(random_state)
    if clusters is not None:
        clusters = pd.Series(np.asarray(clusters))
        if len(clusters) != n_obs:
            raise DesignError(f"clusters: expected {n_obs} ids (n_obs), found {len(clusters)}")
        if clusters.isna().any():
            raise DesignError(
                f"clusters: expected complete ids, found {int(clusters.isna().sum())} missing"
            )
    if clusters is None:
        if n_obs < n_folds:
            raise DesignError(f"expected at least {n_folds} observations (n_folds), found {n_obs}")
        perm = rng.permutation(n_obs)
        out = np.empty(n_obs, dtype=np.int64)
        out[perm] = np.arange(n_obs) % n_folds
        return out
    codes, uniq = pd.factorize(clusters, sort=True)
    g = len(uniq)
    if g < n_folds:
        raise DesignError(
            f"expected at least n_folds = {n_folds} clusters to keep each cluster in one fold, "
            f"found {g}"
        )
    fold_of = np.empty(g, dtype=np.int64)
    fold_of[rng.permutation(g)] = np.arange(g) % n_folds
    return fold_of[codes]


def _seeded(learner, seed: int):
    """Clone ``learner`` unfitted: every ``random_state`` set from ``seed``, every ``n_jobs`` 1.

    A learner's own threads (e.g. a random forest with ``n_jobs=2``) add the trees'
    predictions in the order the threads finish, so the last digits of its predictions could
    change from run to run (measured); welfare parallelises across fits instead (``n_jobs`` of
    the estimator, :mod:`welfare._parallel`).
    """
    from sklearn.base import clone

    est = clone(learner)
    names = est.get_params(deep=True)
    params = {k: seed for k in names if k.endswith("random_state")}
    params |= {
        k: 1
        for k, v in names.items()
        if (k == "n_jobs" or k.endswith("__n_jobs")) and v not in (None, 1)
    }
    if params:
        est.set_params(**params)
    return est


def _accepts_weights(learner) -> bool:
    try:
        return "sample_weight" in inspect.signature(learner.fit).parameters
    except (TypeError, ValueError):
        return False


def _is_classifier(learner) -> bool:
    from sklearn.base import is_classifier

    return bool(is_classifier(learner)) and hasattr(learner, "predict_proba")


def _check_learner(learner, role: str, classifier: bool) -> None:
    if not (hasattr(learner, "fit") and hasattr(learner, "get_params")):
        raise UnknownOptionError(
            f"{role}: expected a scikit-learn estimator (fit/predict), found {type(learner).__name__}"
        )
    if classifier and not hasattr(learner, "predict_proba"):
        raise UnknownOptionError(
            f"{role}: expected a classifier with predict_proba (the propensity is a probability), "
            f"found {type(learner).__name__}"
        )
    if not classifier and not hasattr(learner, "predict"):
        raise UnknownOptionError(f"{role}: expected a regressor with predict, found {learner!r}")


@dataclass(frozen=True)
class _Task:
    name: str  # nuisance name
    learner: object
    classifier: bool
    target: np.ndarray
    subset: np.ndarray | None  # rows of the training folds used (arm), or None


def _fit_predict(task: _Task, X, w, weighted, train, test, seed):
    est = _seeded(task.learner, seed)
    rows = train if task.subset is None else train[task.subset[train]]
    if len(rows) < 2:
        raise EmptySampleError(
            f"{task.name}: a training fold has {len(rows)} rows of its arm; expected at least 2 "
            "(with a treatment that varies only between clusters use more clusters or fewer "
            "folds)"
        )
    if task.classifier and len(np.unique(task.target[rows])) < 2:
        raise EmptySampleError(
            f"{task.name}: a training fold has only one value of the target "
            f"({len(rows)} rows); expected both 0 and 1 in every training fold (with a treatment "
            "that varies only between clusters use more clusters or fewer folds)"
        )
    kw = {"sample_weight": w[rows]} if weighted else {}
    est.fit(X[rows], task.target[rows], **kw)
    if task.classifier:
        return est.predict_proba(X[test])[:, 1]
    return np.asarray(est.predict(X[test]), dtype=float).reshape(-1)


def _crossfit(tasks, X, w, weighted, folds, seeds, n_jobs):
    """Out-of-fold predictions of every nuisance, shape (n_tasks, n_obs).

    One fit per (nuisance, fold), each with its own seed, through
    :func:`welfare._parallel.parallel_map`: the same predictions for any ``n_jobs``.
    """
    from welfare._parallel import parallel_map

    n_folds = int(folds.max()) + 1
    jobs = []
    for j, task in enumerate(tasks):
        for k in range(n_folds):
            test = np.flatnonzero(folds == k)
            train = np.flatnonzero(folds != k)
            jobs.append((j, task, train, test, int(seeds[j, k])))

    def fit(job):
        _, task, train, test, seed = job
        return _fit_predict(task, X, w, weighted, train, test, seed)

    preds = parallel_map(fit, jobs, n_jobs=n_jobs)
    out = np.empty((len(tasks), len(X)))
    for (j, _, _, test, _), p in zip(jobs, preds, strict=True):
        out[j, test] = p
    return out


def _diagnostics(tasks, preds, w) -> dict:
    from sklearn.metrics import log_loss, r2_score, roc_auc_score

    out = {}
    for task, p in zip(tasks, preds, strict=True):
        rows = np.arange(len(p)) if task.subset is None else np.flatnonzero(task.subset)
        y, q, ww = task.target[rows], p[rows], w[rows]
        if task.classifier:
            out[task.name] = {
                "log_loss": float(log_loss(y, np.clip(q, 1e-12, 1 - 1e-12), sample_weight=ww)),
                "auc": float(roc_auc_score(y, q, sample_weight=ww)),
            }
        else:
            out[task.name] = {"r2": float(r2_score(y, q, sample_weight=ww))}
    return out


def _check_seed(random_state) -> None:
    ok = isinstance(random_state, int | np.integer) and not isinstance(random_state, bool)
    if not ok or random_state < 0:
        raise UnknownOptionError(
            "random_state: expected a non-negative integer seed (results must be "
            f"reproducible), found {random_state!r}"
        )


# ---------------------------------------------------------------- the estimator
def _variance(num, den, theta, prep: Prepared, kind, cluster, strata):
    """Variance of ``theta = sum(num) / sum(den)`` from its score ``psi = num - theta den``.

    ``"CRV3"`` is the delete-one-cluster jackknife of the ratio with the cross-fitted
    nuisance predictions held fixed, ``(G-1)/G sum_g (theta_(-g) - mean)^2`` (MacKinnon,
    Nielsen & Webb 2023 recommend it with t(G-1) when clusters are few); clustered and design
    variances use t with G - 1 (or PSUs - strata) degrees of freedom.
    """
    sub = prep.frame
    psi = num - theta * den
    J = float(np.sum(den))
    s = psi[:, None]
    if kind in ("HC0", "HC1"):
        M, _, _ = meat(s)
        n = len(psi)
        c = 1.0 if kind == "HC0" else n / (n - 1)
        return c * float(M[0, 0]) / J**2, VcovSpec(kind, df=None, small_sample=c)
    if kind in ("CRV1", "CRV3"):
        codes, uniq = pd.factorize(pd.Series(sub[cluster].to_numpy()), sort=True)
        g = len(uniq)
        if kind == "CRV1":
            M, _, _ = meat(s, clusters=codes)
            c = g / (g - 1)
            var = c * float(M[0, 0]) / J**2
        else:
            N_g = np.bincount(codes, weights=num, minlength=g)
            D_g = np.bincount(codes, weights=den, minlength=g)
            loo = (num.sum() - N_g) / (den.sum() - D_g)
            c = (g - 1) / g
            var = c * float(np.sum((loo - loo.mean()) ** 2))
        return var, VcovSpec(kind, cluster, None, g, None, g - 1, c)
    st = sub[strata].to_numpy() if strata else np.zeros(len(sub), dtype=int)
    M, g, h = meat(s, clusters=sub[cluster].to_numpy(), strata=st)
    spec = VcovSpec("design", cluster, strata or "(one stratum)", g, h, g - h, 1.0)
    return float(M[0, 0]) / J**2, spec


DML_VCOV_TYPES = ("HC0", "HC1", "CRV1", "CRV3", "design")


def _resolve_dml_vcov(vcov, design: SurveyDesign, cluster):
    """``None``: strata -> design, clusters -> CRV3 (jackknife), else HC0."""
    if vcov is not None:
        check_option("vcov", vcov, DML_VCOV_TYPES)
    if vcov == "CRV3":
        kind, clus, strata = resolve_te_vcov("CRV1", design, cluster)
        return "CRV3", clus, None
    kind, clus, strata = resolve_te_vcov(vcov, design, cluster)
    if vcov is None and kind == "CRV1":
        return "CRV3", clus, None
    return kind, clus, strata


def _dml(
    model: str,
    data,
    outcome,
    treatment,
    covariates,
    learner_outcome,
    learner_treatment,
    estimand,
    n_folds,
    n_rep,
    folds,
    scale,
    overlap,
    overlap_bounds,
    design,
    cluster,
    vcov,
    random_state,
    n_jobs,
) -> DMLResults:
    name = {"plr": "DML PLR", "irm": "DML IRM"}[model]
    if not (isinstance(n_folds, int) and not isinstance(n_folds, bool) and n_folds >= 2):
        raise UnknownOptionError(f"n_folds: expected an integer >= 2, found {n_folds!r}")
    if not (isinstance(n_rep, int) and not isinstance(n_rep, bool) and n_rep >= 1):
        raise UnknownOptionError(f"n_rep: expected an integer >= 1, found {n_rep!r}")
    _check_seed(random_state)
    check_n_jobs(n_jobs)
    if folds is not None and n_rep != 1:
        raise UnknownOptionError("folds given: expected n_rep = 1 (the folds are fixed)")
    check_option("overlap", overlap, ("clip", "trim", "error"))
    role_t = "learner_treatment" if model == "plr" else "learner_propensity"
    _check_learner(learner_outcome, "learner_outcome", classifier=False)
    _check_learner(learner_treatment, role_t, classifier=(model == "irm"))
    extra_roles = [("fold", [folds])] if isinstance(folds, str) else None
    if folds is not None and not isinstance(folds, str):
        raise UnknownOptionError(
            f"folds: expected the name of a column of fold numbers, found {folds!r}"
        )
    prep = prepare_te(
        data, outcome=outcome, treatment=treatment, covariates=covariates, propensity=None,
        scale=scale, design=design, cluster=cluster, estimator=name, extra_roles=extra_roles,
        covariate_role="covariate",
    )  # fmt: skip
    if prep.fweights:
        raise UnknownOptionError(
            f"{name}: frequency weights are not supported (learners see rows); expand the data"
        )
    kind, clus, strata = _resolve_dml_vcov(vcov, prep.inputs.design, cluster)
    if kind in ("CRV1", "CRV3", "design"):
        check_clusters(prep.frame, clus)
    fold_clusters = clus or cluster or prep.inputs.design.psu
    X = prep.Z[:, 1:] if prep.z_terms[0] == "Intercept" else prep.Z
    y, d, w = prep.y, prep.d, prep.w
    weighted = prep.inputs.design.weights is not None
    for lrn, role in ((learner_outcome, "learner_outcome"), (learner_treatment, role_t)):
        if weighted and not _accepts_weights(lrn):
            raise UnknownOptionError(
                f"{role}: survey weights need a learner whose fit accepts sample_weight, found "
                f"{type(lrn).__name__}"
            )
    n = len(y)
    clusters = prep.frame[fold_clusters].to_numpy() if fold_clusters else None
    if folds is not None:
        user = prep.frame[folds]
        if not pd.api.types.is_numeric_dtype(user) or pd.api.types.is_bool_dtype(user):
            raise UnknownOptionError(
                f"folds {folds!r}: expected whole fold numbers, found dtype {user.dtype}"
            )
        user = user.to_numpy(dtype=float)
        if not np.all(np.mod(user, 1) == 0):
            raise UnknownOptionError(f"folds {folds!r}: expected whole fold numbers")
        codes, uniq = pd.factorize(pd.Series(user), sort=True)
        if len(uniq) < 2:
            raise UnknownOptionError(
                f"folds {folds!r}: expected at least 2 folds, found {len(uniq)}"
            )
        if clusters is not None:
            split = pd.Series(codes).groupby(pd.Series(clusters)).nunique()
            if (split > 1).any():
                raise DesignError(
                    f"folds {folds!r}: expected every cluster ({fold_clusters!r}) inside one "
                    f"fold, found {int((split > 1).sum())} clusters split across folds"
                )
        fold_sets = [codes.astype(np.int64)]
        n_folds = len(uniq)
    else:
        ss = np.random.SeedSequence(random_state)
        fold_sets = [
            make_folds(n, n_folds, clusters, np.random.default_rng(s)) for s in ss.spawn(n_rep)
        ]
    cls_y = _is_classifier(learner_outcome)
    if cls_y and not np.isin(y, (0.0, 1.0)).all():
        raise UnknownOptionError(
            f"learner_outcome: a classifier ({type(learner_outcome).__name__}) needs a 0/1 "
            f"outcome, found values such as {np.unique(y)[:3].tolist()}; use a regressor"
        )
    if model == "plr":
        cls_m = _is_classifier(learner_treatment)
        tasks = [
            _Task("l(x) = E[y|x]", learner_outcome, cls_y, y, None),
            _Task("m(x) = E[d|x]", learner_treatment, cls_m, d, None),
        ]
    else:
        tasks = [
            _Task("g0(x) = E[y|x,d=0]", learner_outcome, cls_y, y, d == 0),
            _Task("g1(x) = E[y|x,d=1]", learner_outcome, cls_y, y, d == 1),
            _Task("m(x) = P(d=1|x)", learner_treatment, True, d, None),
        ]
    lo, hi = _check_bounds(
        overlap_bounds if overlap_bounds is not None else DEFAULT_BOUNDS[overlap], overlap
    )
    seed_root = np.random.SeedSequence([random_state, 1])
    thetas, variances, pseudo, diags, overlap_info = [], [], [], [], []
    spec = None
    keep_all = np.ones(n, dtype=bool)
    for r, fold in enumerate(fold_sets):
        seeds = np.array(
            seed_root.spawn(n_rep)[r].generate_state(len(tasks) * n_folds), dtype=np.int64
        ).reshape(len(tasks), n_folds) % (2**31 - 1)
        preds = _crossfit(tasks, X, w, weighted, fold, seeds, n_jobs)
        diags.append(_diagnostics(tasks, preds, w))
        if model == "plr":
            ell, m = preds
            v = d - m
            num, den = w * v * (y - ell), w * v * v
            pseudo.append(None)
        else:
            g0, g1, m = preds
            below, above = m < lo, m > hi
            info = {"rule": overlap, "bounds": (lo, hi), "n_below": int(below.sum()),
                    "n_above": int(above.sum())}  # fmt: skip
            overlap_info.append(info)
            if overlap == "error" and (below.any() or above.any()):
                from welfare.errors import OverlapError

                raise OverlapError(
                    f"{name}: expected cross-fitted propensity scores in [{lo:g}, {hi:g}], found "
                    f"{info['n_below']} below and {info['n_above']} above; use overlap='clip' "
                    "or 'trim'"
                )
            keep = np.ones(n, dtype=bool)
            if overlap == "clip":
                m = np.clip(m, lo, hi)
            elif overlap == "trim":
                keep = ~(below | above)
                keep_all &= keep
                m = np.where(keep, m, 0.5)  # trimmed units leave the score (never 0 * inf)
            phi = g1 - g0 + d * (y - g1) / m - (1 - d) * (y - g0) / (1 - m)
            att_b = d * (y - g0) - m * (1 - d) * (y - g0) / (1 - m)
            phi, att_b = np.where(keep, phi, 0.0), np.where(keep, att_b, 0.0)
            wk = w * keep
            if estimand == "ATE":
                num, den = wk * phi, wk
            else:
                num, den = wk * att_b, wk * d
            pseudo.append(phi if estimand == "ATE" else None)
        theta = float(np.sum(num) / np.sum(den))
        var, spec = _variance(num, den, theta, prep, kind, clus, strata)
        thetas.append(theta)
        variances.append(var)
    thetas_a, var_a = np.array(thetas), np.array(variances)
    theta = float(np.median(thetas_a))
    var = float(np.median(var_a + (thetas_a - theta) ** 2))
    if not (np.isfinite(var) and var > 0):
        raise VarianceError(f"{name}: expected a positive finite variance, found {var!r}")
    sample, n_obs = prep.sample, n
    if model == "irm" and overlap == "trim" and not keep_all.all():
        full = np.ones(sample.n_rows, dtype=bool)
        full[np.flatnonzero(sample.mask)[~keep_all]] = False
        sample = sample.extend(f"cross-fitted propensity outside [{lo:g}, {hi:g}] (trimmed)", full)
        n_obs = int(keep_all.sum())
    term = treatment if model == "plr" else estimand
    learners = {t.name: repr(t.learner) for t in tasks}
    extra = {
        "n_folds": n_folds,
        "n_rep": n_rep,
        "folds": folds
        if folds is not None
        else (f"clusters {fold_clusters!r}" if fold_clusters else "rows"),
        "aggregation": AGGREGATION,
        "theta_by_rep": thetas_a.tolist(),
        "se_by_rep": np.sqrt(var_a).tolist(),
        "learners": learners,
        "learner_diagnostics": diags[0] if n_rep == 1 else diags,
        "random_state": random_state,
        "scale": scale,
        "n_treated": int((d == 1).sum()),
        "n_control": int((d == 0).sum()),
    }
    if overlap_info:
        extra["overlap"] = overlap_info[0] if n_rep == 1 else overlap_info
    scale_note = "log points" if scale == "log" else "levels"
    diag_txt = "; ".join(
        f"{k}: " + ", ".join(f"{m} {v:.3f}" for m, v in vals.items())
        for k, vals in diags[0].items()
    )
    notes = list(prep.notes) + [
        f"{name} ({'partialling-out score' if model == 'plr' else 'AIPW score, ' + estimand}) "
        f"of {treatment!r} on {prep.dep!r} ({scale_note}); covariates {prep.z_rhs}",
        f"{n_folds}-fold cross-fitting"
        + (f" with whole clusters ({fold_clusters!r}) in one fold" if fold_clusters else "")
        + (f", {n_rep} repetitions aggregated by the {AGGREGATION}" if n_rep > 1 else "")
        + f"; random_state {random_state}",
        "learners: " + "; ".join(f"{k} = {v}" for k, v in learners.items()),
        f"out-of-fold diagnostics (repetition 1): {diag_txt}",
    ]
    if kind in ("HC0", "HC1") and fold_clusters:
        notes.append(
            f"vcov={kind!r} as requested: the variance ignores the clusters ({fold_clusters!r}) "
            "that built the folds"
        )
    if overlap_info:
        ov = overlap_info[0]
        notes.append(
            f"propensity overlap rule {ov['rule']!r} [{lo:g}, {hi:g}]: {ov['n_below']} below, "
            f"{ov['n_above']} above" + (" (first repetition)" if n_rep > 1 else "")
        )
    res = DMLResults(
        terms=[term],
        estimates=[theta],
        vcov=[[var]],
        vcov_spec=spec,
        estimator=name,
        estimand=(
            "effect of participation in the partially linear model" if model == "plr" else estimand
        )
        + f" in {scale_note}",
        sample=sample,
        n_obs=n_obs,
        weights=prep.inputs.design.weights_label,
        data_label=prep.inputs.label,
        synthetic=prep.inputs.synthetic,
        extra=extra,
        notes=notes,
    )
    if model == "irm" and estimand == "ATE":
        ok = [p for p in pseudo if p is not None]
        object.__setattr__(
            res,
            "_ctx",
            {
                "prep": prep,
                "pseudo": np.mean(ok, axis=0),
                "keep": keep_all,
                "kind": kind,
                "cluster": clus,
                "strata": strata,
            },  # fmt: skip
        )
    return res


@strict_keywords
def dml_plr(
    data,
    *,
    outcome: str,
    treatment: str,
    covariates,
    learner_outcome,
    learner_treatment,
    n_folds: int = 5,
    n_rep: int = 1,
    folds: str | None = None,
    scale: str = "log",
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
    random_state: int = 20190601,
    n_jobs: int | None = None,
) -> DMLResults:
    """Estimate the partially linear model by double ML (partialling-out score), cross-fitted.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    outcome, treatment : str
        Outcome column and 0/1 treatment column.
    covariates : list of str or str
        Columns (text/categorical ones as dummies) or a formulaic right-hand side.
    learner_outcome : scikit-learn regressor
        Learns ``l(x) = E[y|x]``; cloned for every fold, its ``random_state`` set from the seed.
    learner_treatment : scikit-learn regressor or classifier
        Learns ``m(x) = E[d|x]`` (a classifier's ``predict_proba``).
    n_folds : int, default 5
    n_rep : int, default 1
        Repetitions of the cross-fitting, aggregated by the median rule.
    folds : str, optional
        A column of fold numbers (user-supplied folds; ``n_rep`` must be 1). With clusters,
        every cluster must lie in one fold.
    scale : {"log", "levels"}, default "log"
    design : SurveyDesign, optional
        pweights are passed to the learners as ``sample_weight`` and weight the score; the
        PSU builds the folds and clusters the variance.
    cluster : str, optional
        Cluster column when there is no design PSU (also builds the folds).
    vcov : {"HC0", "HC1", "CRV1", "CRV3", "design"} or None, default None
        ``None`` follows the design: strata -> design (t with PSUs - strata df), clusters ->
        CRV3 (delete-one-cluster jackknife, t with G - 1 df), else HC0 (DoubleML's, z).
        ``"CRV1"`` (t with G - 1 df) is the sandwich with factor G/(G-1).
    random_state : int, default 20190601
        Seeds the folds and every learner's ``random_state``; the same seed gives identical
        results whatever else the program draws.
    n_jobs : int, optional
        Workers for the (nuisance, fold) fits (joblib; ``-1``: one per CPU; default: this
        process). Results are identical for any value (:mod:`welfare._parallel`).

    Returns
    -------
    DMLResults
        One term (the treatment), z reference.

    Raises
    ------
    MissingColumnError, TreatmentError, OutcomeError, EmptySampleError, UnknownOptionError,
    DesignError, VarianceError
        UnknownOptionError for a learner that is not a scikit-learn estimator, survey weights
        with a learner whose ``fit`` has no ``sample_weight``, or a missing seed;
        DesignError for fewer clusters than folds or user folds that split a cluster.

    References
    ----------
    Chernozhukov et al. (2018), doi:10.1111/ectj.12097; Robinson, P. M. (1988).
    Root-N-consistent semiparametric regression. *Econometrica* 56(4), 931-954.
    doi:10.2307/1912705
    """
    return _dml(
        "plr", data, outcome, treatment, covariates, learner_outcome, learner_treatment, "ATE",
        n_folds, n_rep, folds, scale, "clip", None, design, cluster, vcov, random_state, n_jobs,
    )  # fmt: skip


@strict_keywords
def dml_irm(
    data,
    *,
    outcome: str,
    treatment: str,
    covariates,
    learner_outcome,
    learner_propensity,
    estimand: str = "ATE",
    n_folds: int = 5,
    n_rep: int = 1,
    folds: str | None = None,
    scale: str = "log",
    overlap: str = "clip",
    overlap_bounds: tuple[float, float] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
    random_state: int = 20190601,
    n_jobs: int | None = None,
) -> DMLResults:
    """Estimate the interactive model by double ML (AIPW score), cross-fitted: ATE or ATT.

    Parameters
    ----------
    data, outcome, treatment, covariates, n_folds, n_rep, folds, scale, design, cluster, vcov, \
random_state, n_jobs
        As in :func:`dml_plr`.
    learner_outcome : scikit-learn regressor
        Learns ``g0`` and ``g1`` on the controls and the treated of each training fold.
    learner_propensity : scikit-learn classifier
        Learns ``m(x) = P(d=1|x)``; must have ``predict_proba``.
    estimand : {"ATE", "ATT"}, default "ATE"
    overlap : {"clip", "trim", "error"}, default "clip"
        Cross-fitted scores outside ``overlap_bounds`` are clipped to them (DoubleML's
        "truncate"), their units dropped from the score (counted in the sample; the estimand
        becomes the overlap population), or refused.
    overlap_bounds : (float, float), optional
        Default ``(0.01, 0.99)`` for "clip" (DoubleML's ``trimming_threshold``), ``(0.1, 0.9)``
        for "trim", ``(1e-5, 1 - 1e-5)`` for "error". Bounds and counts are in
        ``extra["overlap"]``.

    Returns
    -------
    DMLResults
        One term (``"ATE"`` or ``"ATT"``), z reference.

    Raises
    ------
    MissingColumnError, TreatmentError, OutcomeError, EmptySampleError, UnknownOptionError,
    DesignError, OverlapError, VarianceError
        As :func:`dml_plr`; UnknownOptionError also for a propensity learner without
        ``predict_proba``.

    References
    ----------
    Chernozhukov et al. (2018), doi:10.1111/ectj.12097, §5.1.
    """
    check_option("estimand", estimand, ("ATE", "ATT"))
    return _dml(
        "irm", data, outcome, treatment, covariates, learner_outcome, learner_propensity,
        estimand, n_folds, n_rep, folds, scale, overlap, overlap_bounds, design, cluster, vcov,
        random_state, n_jobs,
    )  # fmt: skip
