"""Binary-response models of participation: probit, logit (maximum likelihood) and the LPM.

Probit and logit maximise the (pseudo-)log-likelihood

    l(b) = sum_i w_i [ y_i log F(x_i'b) + (1 - y_i) log(1 - F(x_i'b)) ],

with F the standard normal (probit) or logistic (logit) CDF. Point estimates come from
statsmodels' GLM (IRLS); the scores and the observed Hessian are computed here in closed form,
so every variance of :mod:`welfare.inference.vcov` (model-based inverse Hessian, HC1, CRV1,
stratified design) uses the same ingredients. As in Stata, ML estimators report z statistics;
the robust/cluster small-sample factors are n/(n-1) and G/(G-1) (Stata ``probit, vce()``).

References
----------
Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, 2nd ed.,
ch. 15. MIT Press.
Manski, C. F. & Lerman, S. R. (1977). The estimation of choice probabilities from choice based
samples. *Econometrica* 45(8), 1977-1988. doi:10.2307/1914121 (why weights matter when
participants are over-sampled).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special, stats

from welfare._estimation import (
    check_clusters,
    check_enough,
    check_outcome_name,
    clean_term,
    design_rank,
    drop_unused_levels,
    float_integers,
    formula_variables,
    model_matrices,
    prepare,
    resolve_vcov,
    unpack,
    weights_array,
)
from welfare._options import strict_keywords
from welfare.data.design import SurveyDesign
from welfare.data.validate import check_binary
from welfare.errors import (
    CollinearityError,
    ConvergenceError,
    OutcomeError,
    PerfectPredictionError,
    TreatmentError,
    UnknownOptionError,
)
from welfare.inference.linear import fit_ols
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat, sandwich

__all__ = ["probit", "logit", "lpm", "BinaryChoiceResults"]


# ---------------------------------------------------------------- links
class _Link:
    name = ""

    def cdf(self, z):
        raise NotImplementedError

    def pdf(self, z):
        raise NotImplementedError

    def dpdf(self, z):
        raise NotImplementedError

    def loglik(self, y, z, w):
        raise NotImplementedError

    def score_factor(self, y, z):
        raise NotImplementedError

    def hessian_weight(self, y, z):
        raise NotImplementedError


class _Probit(_Link):
    name = "probit"

    def cdf(self, z):
        return special.ndtr(z)

    def pdf(self, z):
        return stats.norm.pdf(z)

    def dpdf(self, z):
        return -z * stats.norm.pdf(z)

    def loglik(self, y, z, w):
        q = 2 * y - 1
        return float(np.sum(w * special.log_ndtr(q * z)))

    def score_factor(self, y, z):
        q = 2 * y - 1
        # lambda_i = q phi(qz) / Phi(qz), computed on the log scale for stability
        return q * np.exp(stats.norm.logpdf(z) - special.log_ndtr(q * z))

    def hessian_weight(self, y, z):
        lam = self.score_factor(y, z)
        return lam * (lam + z)  # -d2 l_i / d(z)^2


class _Logit(_Link):
    name = "logit"

    def cdf(self, z):
        return special.expit(z)

    def pdf(self, z):
        p = special.expit(z)
        return p * (1 - p)

    def dpdf(self, z):
        p = special.expit(z)
        return p * (1 - p) * (1 - 2 * p)

    def loglik(self, y, z, w):
        return float(np.sum(w * (y * special.log_expit(z) + (1 - y) * special.log_expit(-z))))

    def score_factor(self, y, z):
        return y - special.expit(z)

    def hessian_weight(self, y, z):
        p = special.expit(z)
        return p * (1 - p)


_LINKS = {"probit": _Probit(), "logit": _Logit()}


class BinaryChoiceResults(Results):
    """Results of :func:`probit`/:func:`logit`, with :meth:`ame` for average marginal effects."""

    __slots__ = ("_ctx",)

    @strict_keywords
    def ame(self, variables: list[str] | None = None, *, binary: str = "discrete") -> Results:
        """Average marginal effects with delta-method standard errors.

        See :func:`welfare.participation.margins.average_marginal_effects`.
        """
        from welfare.participation.margins import average_marginal_effects

        return average_marginal_effects(self, variables=variables, binary=binary)


def _separated(X: np.ndarray, y: np.ndarray) -> bool:
    """Linear-programming test for (quasi-)complete separation (Konis 2007).

    Separation exists iff some direction b != 0 has q_i x_i'b >= 0 for all i (q = 2y - 1);
    maximise sum_i q_i x_i'b over such b with |b_j| <= 1 (columns scaled): a positive optimum
    means the likelihood keeps rising along b and the MLE does not exist.

    Konis, K. (2007). Linear programming algorithms for detecting separated data in binary
    logistic regression models. DPhil thesis, University of Oxford.
    """
    from scipy.optimize import linprog

    scale = np.maximum(np.abs(X).max(axis=0), 1e-12)
    A = (2 * y - 1)[:, None] * (X / scale)
    res = linprog(
        -A.sum(axis=0),
        A_ub=-A,
        b_ub=np.zeros(len(y)),
        bounds=[(-1, 1)] * X.shape[1],
        method="highs",
    )
    return bool(res.status == 0 and -res.fun > 1e-7 * len(y))


def _check_separation(X: pd.DataFrame, y: np.ndarray) -> None:
    """Raise PerfectPredictionError if a 0/1 column predicts y perfectly on one of its values."""
    for col in X.columns:
        v = X[col].to_numpy(dtype=float)
        uniq = np.unique(v)
        if len(uniq) != 2 or not set(uniq) <= {0.0, 1.0}:
            continue
        for val in (0.0, 1.0):
            yy = y[v == val]
            if len(yy) and (yy.min() == yy.max()):
                raise PerfectPredictionError(
                    f"regressor {col!r} == {val:g} predicts the outcome perfectly "
                    f"(all {len(yy)} such rows have outcome {yy[0]:g}); expected both outcomes "
                    "in every category. Drop or merge that category, or drop those rows "
                    "explicitly: their coefficient is not identified (estimate would be infinite)"
                )


def _binary_model(
    link_name: str,
    formula: str,
    data,
    design: SurveyDesign | None,
    cluster: str | None,
    vcov: str | None,
    maxiter: int,
    tol: float,
) -> BinaryChoiceResults:
    import statsmodels.api as sm

    link = _LINKS[link_name]
    if not (isinstance(maxiter, int) and maxiter >= 1):
        raise UnknownOptionError(f"maxiter: expected an integer >= 1, found {maxiter!r}")
    if not (isinstance(tol, float | int) and 0 < tol <= 1e-4):
        raise UnknownOptionError(f"tol: expected a number in (0, 1e-4], found {tol!r}")
    inp = unpack(data, design)
    choice = resolve_vcov(vcov, inp.design, cluster)
    lhs, rhs = formula_variables(formula)
    check_outcome_name(formula, inp.frame)
    sample = prepare(inp.frame, inp.design, [("outcome", lhs), ("regressor", rhs)], cluster)
    sub = inp.frame.loc[sample.mask].reset_index(drop=True)
    check_binary(sub, lhs[0], role="outcome")
    if pd.api.types.is_bool_dtype(sub[lhs[0]]):
        sub[lhs[0]] = sub[lhs[0]].astype(float)  # True/False is 1/0, not a recode
    sub, level_notes = drop_unused_levels(sub)
    sub = float_integers(sub)
    check_clusters(sub, choice.cluster)
    mm = model_matrices(formula, sub)
    Xdf = mm.rhs
    y = np.asarray(mm.lhs, dtype=float).reshape(-1)
    X = np.asarray(Xdf, dtype=float)
    terms = [clean_term(t) for t in Xdf.columns]
    check_enough(sample.n_obs, X.shape[1], link_name)
    rank = design_rank(X)
    if rank < X.shape[1]:
        raise CollinearityError(
            f"{link_name}: the regressors {terms} are linearly dependent (rank {rank} < "
            f"{X.shape[1]}; a constant or collinear regressor); expected independent columns"
        )
    _check_separation(Xdf, y)
    w = weights_array(inp.frame, inp.design, sample)
    fw = inp.design.weight_type == "fweight" and inp.design.weights is not None
    if not fw:
        # scale-free: pweights/aweights normalised to mean 1 (sum N), as Stata does for
        # aweights; point estimates and sandwich variances do not depend on the scale.
        w = w / w.mean()
    family = sm.families.Binomial(
        link=sm.families.links.Probit() if link_name == "probit" else sm.families.links.Logit()
    )
    glm_kw = {"freq_weights": w} if fw else {"var_weights": w}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            glm = sm.GLM(y, X, family=family, **glm_kw).fit(maxiter=maxiter, tol=tol)
        except Exception as e:  # statsmodels raises on perfect separation
            raise PerfectPredictionError(
                f"{link_name}: the fit failed ({e}); check for separation"
            ) from e
    b = np.asarray(glm.params, dtype=float)
    # Newton polishing with the analytic observed Hessian; converged when the Newton decrement
    # g'H^{-1}g (scale-free: the squared step in standard-error units) is below tol.
    for _ in range(50):
        z = X @ b
        g_i = link.score_factor(y, z)
        grad = X.T @ (w * g_i)
        H = (X * (w * link.hessian_weight(y, z))[:, None]).T @ X  # negative Hessian
        if not np.all(np.isfinite(b)) or not np.all(np.isfinite(H)):
            raise ConvergenceError(f"{link_name}: non-finite estimates; expected a finite optimum")
        step = np.linalg.solve(H, grad)
        decrement = float(grad @ step)
        if decrement < tol:
            break
        b = b + step
    else:
        raise ConvergenceError(
            f"{link_name}: Newton decrement {decrement:.2e} after polishing; expected < {tol:g}"
        )
    z = X @ b
    g_i = link.score_factor(y, z)
    H = (X * (w * link.hessian_weight(y, z))[:, None]).T @ X
    p = link.cdf(z)
    extreme = (p < 1e-8) | (p > 1 - 1e-8)
    if extreme.any() and _separated(X, y):
        raise PerfectPredictionError(
            f"{link_name}: the regressors separate the outcome (complete or quasi-complete "
            f"separation; {int(extreme.sum())} fitted probabilities at 0 or 1): the maximum "
            "likelihood estimate does not exist; expected overlap of both outcomes at every "
            "value of the index. Drop or merge the separating regressor or its rows explicitly"
        )
    bread = np.linalg.inv(H)
    n = int(round(w.sum())) if fw else sample.n_obs
    scores = X * g_i[:, None]
    if not fw:
        scores = scores * w[:, None]
    if choice.kind == "iid":
        v = bread
        spec = VcovSpec("iid", df=None, small_sample=1.0)
    elif choice.kind == "HC1":
        m, _, _ = meat(scores, fweights=w if fw else None)
        c = n / (n - 1)
        v = sandwich(bread, m, c)
        spec = VcovSpec("HC1", df=None, small_sample=c)
    elif choice.kind == "CRV1":
        m, g, _ = meat(scores, clusters=sub[choice.cluster].to_numpy(), fweights=w if fw else None)
        c = g / (g - 1)
        v = sandwich(bread, m, c)
        spec = VcovSpec("CRV1", choice.cluster, None, g, None, None, c)
    else:
        m, g, h = meat(
            scores,
            clusters=sub[choice.cluster].to_numpy(),
            strata=(
                sub[choice.strata].to_numpy()
                if choice.strata
                else np.zeros(len(sub), dtype=int)  # one stratum
            ),
            fweights=w if fw else None,
        )
        v = sandwich(bread, m)
        spec = VcovSpec("design", choice.cluster, choice.strata or "(one stratum)", g, h, None, 1.0)
    ll = link.loglik(y, z, w)
    ybar = np.sum(w * y) / np.sum(w)
    ll0 = float(np.sum(w * (y * np.log(ybar) + (1 - y) * np.log(1 - ybar))))
    weights = inp.design.weights_label
    ctx = {
        "link": link,
        "spec": Xdf.model_spec,
        "frame": sub,
        "weights": w,
        "rhs": rhs,
        "X": X,
    }

    def refit(new_vcov: str) -> Results:
        return _binary_model(link_name, formula, data, design, cluster, new_vcov, maxiter, tol)

    res = BinaryChoiceResults(
        terms=terms,
        estimates=b,
        vcov=v,
        vcov_spec=spec,
        estimator=link_name,
        estimand="index coefficients",
        sample=sample,
        n_obs=n,
        weights=weights,
        data_label=inp.label,
        synthetic=inp.synthetic,
        extra={
            ("log_pseudolikelihood" if inp.design.weights and not fw else "log_likelihood"): ll,
            "log_likelihood_null": ll0,
            "pseudo_r2": 1 - ll / ll0,
            "iterations": int(getattr(glm, "fit_history", {}).get("iteration", 0) or 0),
        },
        notes=level_notes,
        refit=refit,
        formula=formula,
    )
    object.__setattr__(res, "_ctx", ctx)
    return res


@strict_keywords
def probit(
    formula: str,
    data,
    *,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
    maxiter: int = 100,
    tol: float = 1e-10,
) -> BinaryChoiceResults:
    """Probit model of a 0/1 outcome, P(y = 1 | x) = Phi(x'b).

    Parameters
    ----------
    formula : str
        ``"e_household ~ head_age + C(head_edu) + head_urban_work"`` (formulaic syntax;
        ``I(x**2)`` and interactions are rebuilt correctly by :meth:`BinaryChoiceResults.ame`).
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    design : SurveyDesign, optional
        Weights (pweights give the pseudo-ML estimator), PSUs and strata.
    cluster : str, optional
        Cluster column when there is no design PSU.
    vcov : {"iid", "HC1", "CRV1", "design"} or None, default None
        ``None`` follows the design: strata -> design, PSU -> CRV1, pweights -> HC1, else the
        model-based inverse Hessian (``"iid"``, Stata's default OIM). ``"iid"`` with pweights is
        refused.
    maxiter : int, default 100
    tol : float, default 1e-10
        Convergence tolerance of the IRLS fit.

    Returns
    -------
    BinaryChoiceResults
        Coefficients of the index, z reference; ``extra`` holds the log-likelihood.

    Raises
    ------
    MissingColumnError, TreatmentError, PerfectPredictionError, CollinearityError,
    ImpossibleValueError, EmptySampleError, ConvergenceError, VarianceError, UnknownOptionError
        PerfectPredictionError is raised for complete or quasi-complete separation (a 0/1
        regressor with one outcome only, or the linear-programming test of Konis 2007);
        weights are normalised to mean 1, so results do not depend on their scale.

    References
    ----------
    Wooldridge (2010), ch. 15; Stata ``probit`` (observed information matrix).
    """
    return _binary_model("probit", formula, data, design, cluster, vcov, maxiter, tol)


@strict_keywords
def logit(
    formula: str,
    data,
    *,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
    maxiter: int = 100,
    tol: float = 1e-10,
) -> BinaryChoiceResults:
    """Logit model of a 0/1 outcome, P(y = 1 | x) = exp(x'b) / (1 + exp(x'b)).

    Parameters, returns and errors as in :func:`probit`.
    """
    return _binary_model("logit", formula, data, design, cluster, vcov, maxiter, tol)


@strict_keywords
def lpm(
    formula: str,
    data,
    *,
    fixed_effects: list[str] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
) -> Results:
    """Linear probability model with absorbed fixed effects (e.g. village), via pyfixest.

    The coefficients are differences in participation probability (percentage points / 100).
    Variance as in :func:`welfare.inference.linear.fit_ols`: CRV1 by the design's PSU with
    t(G - 1), or the stratified design variance.

    Parameters
    ----------
    formula : str
        ``"e_household ~ head_age + C(head_edu)"``.
    data : pandas.DataFrame or SurveyData
    fixed_effects : list of str, optional
        E.g. ``["village_id"]``; singleton groups are dropped and counted.
    design, cluster, vcov
        As in :func:`probit`.

    Returns
    -------
    Results

    Raises
    ------
    MissingColumnError, TreatmentError, VarianceError, UnknownOptionError
    """
    inp = unpack(data, design)
    formula_variables(formula)
    y = check_outcome_name(formula, inp.frame)
    check_binary(inp.frame, y, role="outcome")
    try:
        res = fit_ols(
            formula,
            data,
            fixed_effects=fixed_effects,
            design=design,
            cluster=cluster,
            vcov=vcov,
            estimator="linear probability model" + (" with fixed effects" if fixed_effects else ""),
            estimand="coefficients (probability scale)",
        )
    except OutcomeError as e:  # fit_ols: one value of the outcome in the estimation sample
        raise TreatmentError(
            f"outcome (in the estimation sample) {y!r}: expected both 0 and 1, found {e}"
        ) from e
    # both outcomes must occur in the estimation sample itself
    check_binary(inp.frame.loc[res.sample.mask], y, role="outcome (in the estimation sample)")
    return res
