"""Weighted ordered probit with design-based variances, predicted probabilities and AMEs.

Model (Stata ``oprobit`` parametrisation: no intercept, J - 1 cutpoints)

    y*_i = x_i'b + u_i,  u_i ~ N(0, 1),   y_i = j  if  c_{j-1} < y*_i <= c_j,
    P(y_i = j | x_i) = Phi(c_j - x_i'b) - Phi(c_{j-1} - x_i'b),   c_0 = -inf, c_J = +inf,

estimated by (pseudo-)maximum likelihood, l(b, c) = sum_i w_i log P(y_i | x_i). With
a_i = c_{y_i} - x_i'b and b_i = c_{y_i - 1} - x_i'b, the score and the Hessian are analytic:

    dl_i/dtheta = [phi(a_i) Za_i - phi(b_i) Zb_i] / P_i,
    d2l_i/dtheta2 = [phi'(a_i) Za_i Za_i' - phi'(b_i) Zb_i Zb_i'] / P_i - s_i s_i',

where theta = (b, c_1..c_{J-1}), Za_i = dA_i/dtheta = (-x_i, e_{y_i}) and Zb_i = (-x_i,
e_{y_i - 1}) (zero at the open ends) and phi'(t) = -t phi(t). The log-likelihood is concave in
(b, c) (Pratt 1981). statsmodels' ``OrderedModel`` takes no weights, so the fit is done here:
BFGS (scipy) on the unconstrained parametrisation (c_1, log(c_2 - c_1), ...) with the analytic
gradient, then Newton steps on (b, c) with the analytic Hessian (step halving keeps the cutpoints
ordered) until the Newton decrement is below ``tol``; otherwise :class:`ConvergenceError`.
The fit runs on centred, unit-variance regressors (x - m) / s and is mapped back exactly,
b = b_s / s and c_j = c_s_j + m'b, with every covariance V = A V_s A' for that linear map A:
estimates do not depend on the location or unit of a regressor, and a large offset (say 1e8)
cannot make an ill-conditioned information matrix pass the Newton test away from the maximum.

Variances (as :func:`welfare.participation.probit`): ``"iid"`` the inverse observed information
(OIM, Stata's default; refused with pweights); ``"HC1"`` the sandwich with n/(n-1); ``"CRV1"``
clustered by the design PSU with G/(G-1); ``"design"`` Taylor linearisation with strata (PSUs
with replacement, n_h/(n_h-1)). Weights: pweights are normalised to mean 1 (scale-free);
fweights are counts (results equal the expanded data). z reference, as Stata does for ML.

Predicted probabilities and AMEs of a 0/1 regressor d (Stata ``margins, at(d=(0 1))`` and
``margins, dydx(d)`` for each outcome): P_j(v) = sum_i w_i P(y = j | x_i, d_i = v) / sum_i w_i,
AME_j = P_j(1) - P_j(0), and cumulative P(y >= level); delta-method standard errors with the
covariates held at their sample values (``vce(delta)``).

Rows with a missing outcome, regressor, weight or PSU are dropped and counted by reason in the
estimation sample (e.g. the twin's ``income_pc`` item non-response).

References
----------
McKelvey, R. D. & Zavoina, W. (1975). A statistical model for the analysis of ordinal level
dependent variables. *Journal of Mathematical Sociology* 4(1), 103-120.
doi:10.1080/0022250X.1975.9989847
Pratt, J. W. (1981). Concavity of the log likelihood. *JASA* 76(373), 103-106.
doi:10.1080/01621459.1981.10477613
Stata Corp., ``[R] oprobit``, Methods and formulas.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

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
from welfare.errors import (
    CollinearityError,
    ColumnTypeError,
    ConvergenceError,
    OutcomeError,
    PerfectPredictionError,
    UnknownOptionError,
)
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat, sandwich

__all__ = ["ordered_probit", "OrderedResults"]


# ---------------------------------------------------------------- likelihood pieces
def _phi(t: np.ndarray) -> np.ndarray:
    out = np.zeros_like(t)
    fin = np.isfinite(t)
    out[fin] = stats.norm.pdf(t[fin])
    return out


def _dphi(t: np.ndarray) -> np.ndarray:
    out = np.zeros_like(t)
    fin = np.isfinite(t)
    out[fin] = -t[fin] * stats.norm.pdf(t[fin])
    return out


def _prob(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Phi(a) - Phi(b) for a > b, accurate in both tails."""
    upper = b > 0
    return np.where(upper, special.ndtr(-b) - special.ndtr(-a), special.ndtr(a) - special.ndtr(b))


class _Model:
    """Ordered probit pieces for data (X, y codes 0..J-1, weights)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, n_levels: int) -> None:
        self.X, self.y, self.w, self.J = X, y, w, n_levels
        n, k = X.shape
        self.k = k
        p = k + n_levels - 1
        self.Za = np.zeros((n, p))
        self.Zb = np.zeros((n, p))
        self.top = y == n_levels - 1
        self.bottom = y == 0
        self.Za[:, :k] = -X
        self.Zb[:, :k] = -X
        rows = np.arange(n)
        self.Za[rows[~self.top], k + y[~self.top]] = 1.0
        self.Zb[rows[~self.bottom], k + y[~self.bottom] - 1] = 1.0
        self.Za[self.top] = 0.0  # open ends: phi(+-inf) = 0, the row never enters
        self.Zb[self.bottom] = 0.0

    def bounds(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        eta = self.X @ theta[: self.k]
        cuts = np.concatenate([[-np.inf], theta[self.k :], [np.inf]])
        return cuts[self.y + 1] - eta, cuts[self.y] - eta

    def loglik_obs(self, theta: np.ndarray) -> np.ndarray:
        a, b = self.bounds(theta)
        with np.errstate(divide="ignore"):
            return np.log(_prob(a, b))

    def scores(self, theta: np.ndarray) -> np.ndarray:
        """Per-observation scores dl_i/dtheta (unweighted), shape (n, p)."""
        a, b = self.bounds(theta)
        P = _prob(a, b)
        return (_phi(a)[:, None] * self.Za - _phi(b)[:, None] * self.Zb) / P[:, None]

    def neg_hessian(self, theta: np.ndarray) -> np.ndarray:
        """-sum_i w_i d2l_i/dtheta2, shape (p, p)."""
        a, b = self.bounds(theta)
        P = _prob(a, b)
        s = (_phi(a)[:, None] * self.Za - _phi(b)[:, None] * self.Zb) / P[:, None]
        ha = self.w * _dphi(a) / P
        hb = self.w * _dphi(b) / P
        H = (self.Za * ha[:, None]).T @ self.Za - (self.Zb * hb[:, None]).T @ self.Zb
        H -= (s * self.w[:, None]).T @ s
        return -(H + H.T) / 2


def _to_free(theta: np.ndarray, k: int) -> np.ndarray:
    c = theta[k:]
    return np.concatenate([theta[:k], c[:1], np.log(np.diff(c))])


def _from_free(phi: np.ndarray, k: int) -> np.ndarray:
    t = phi[k:]
    return np.concatenate([phi[:k], np.cumsum(np.concatenate([t[:1], np.exp(t[1:])]))])


def _fit(model: _Model, start: np.ndarray, maxiter: int, tol: float) -> tuple[np.ndarray, int]:
    k = model.k
    wsum = model.w.sum()

    def f(phi):
        theta = _from_free(phi, k)
        ll = model.w @ model.loglik_obs(theta)
        g = model.w @ model.scores(theta)
        # chain rule: dc_m/dphi_k = 1 (first cut), exp(phi_j) for cuts m >= j
        gf = g.copy()
        gc = g[k:]
        tail = np.cumsum(gc[::-1])[::-1]  # sum_{m >= j} g_m
        gf[k] = tail[0]
        gf[k + 1 :] = tail[1:] * np.exp(phi[k + 1 :])
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(phi)
        return -ll / wsum, -gf / wsum

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = optimize.minimize(
            f, _to_free(start, k), jac=True, method="BFGS", options={"maxiter": maxiter}
        )
    theta = _from_free(opt.x, k)
    iterations = int(opt.nit)
    ll = float(model.w @ model.loglik_obs(theta))
    for _ in range(100):
        g = model.w @ model.scores(theta)
        H = model.neg_hessian(theta)
        if not (np.all(np.isfinite(g)) and np.all(np.isfinite(H))):
            raise ConvergenceError("ordered probit: non-finite score or Hessian; expected finite")
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError as e:
            raise ConvergenceError(
                f"ordered probit: singular information matrix ({e}); expected an identified model"
            ) from e
        decrement = float(g @ step)
        if decrement < tol:
            return theta, iterations
        t = 1.0
        for _half in range(40):
            new = theta + t * step
            if np.all(np.diff(new[k:]) > 0):
                ll_new = float(model.w @ model.loglik_obs(new))
                if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                    break
            t /= 2
        else:
            raise ConvergenceError(
                "ordered probit: no Newton step increases the likelihood (Newton decrement "
                f"{decrement:.2e}); expected a finite maximum"
            )
        theta, ll = new, ll_new
        iterations += 1
    raise ConvergenceError(
        f"ordered probit: Newton decrement {decrement:.2e} after 100 Newton steps; expected "
        f"< {tol:g}"
    )


# ---------------------------------------------------------------- results
class OrderedResults(Results):
    """Results of :func:`ordered_probit` (terms: regressors, then ``cut1..cut{J-1}``).

    ``extra`` holds the log-(pseudo)likelihood, the outcome levels, counts per level and the
    iterations; :meth:`predicted_probabilities` and :meth:`ame` give margins of a 0/1
    regressor.
    """

    __slots__ = ("_ctx",)

    def _margins(self, variable: str, at_least):
        ctx = self._ctx
        if not isinstance(variable, str) or variable not in ctx["rhs"]:
            raise UnknownOptionError(
                f"variable: expected a right-hand variable of the model {ctx['rhs']}, found "
                f"{variable!r}"
            )
        col = ctx["frame"][variable]
        vals = (
            set(np.unique(col.to_numpy(dtype=float))) if pd.api.types.is_numeric_dtype(col) else {}
        )
        if not vals or not vals <= {0.0, 1.0}:
            raise ColumnTypeError(
                f"variable {variable!r}: expected a 0/1 regressor, found dtype {col.dtype} with "
                f"values such as {col.unique()[:5].tolist()}"
            )
        levels = ctx["levels"]
        start = None
        if at_least is not None:
            if at_least not in levels or levels.index(at_least) == 0:
                raise UnknownOptionError(
                    f"at_least: expected one of the levels above the lowest {levels[1:]}, found "
                    f"{at_least!r}"
                )
            start = levels.index(at_least)
        k, J = ctx["k"], len(levels)
        theta = self._est
        beta, cuts = theta[:k], np.concatenate([[-np.inf], theta[k:], [np.inf]])
        w = ctx["weights"] / ctx["weights"].sum()
        out: dict[int, tuple[list, list]] = {}
        for v in (0, 1):
            X = _rhs_matrix(ctx, ctx["frame"].assign(**{variable: float(v)}))
            eta = X @ beta
            probs, grads = [], []
            for j in range(J):
                a, b = cuts[j + 1] - eta, cuts[j] - eta
                pa, pb = _phi(a), _phi(b)
                g = np.zeros(len(theta))
                g[:k] = -(w * (pa - pb)) @ X
                if j < J - 1:
                    g[k + j] += w @ pa
                if j > 0:
                    g[k + j - 1] -= w @ pb
                probs.append(float(w @ _prob(a, b)))
                grads.append(g)
            if start is not None:
                b = cuts[start] - eta
                pb = _phi(b)
                g = np.zeros(len(theta))
                g[:k] = (w * pb) @ X
                g[k + start - 1] = -(w @ pb)
                probs.append(float(w @ special.ndtr(-b)))
                grads.append(g)
            out[v] = (probs, grads)
        return out, levels, start

    @strict_keywords
    def predicted_probabilities(self, variable: str, *, at_least=None) -> Results:
        """Average predicted probability of each outcome level with ``variable`` set to 0 and 1.

        P_j(v) = sum_i w_i P(y = j | x_i, variable = v) / sum_i w_i over the estimation sample
        (Stata ``margins, at(variable=(0 1))``), delta-method SEs with covariates fixed.

        Parameters
        ----------
        variable : str
            A 0/1 right-hand variable (e.g. ``"e_household"``).
        at_least : level, optional
            Also report P(y >= at_least) (e.g. ``"same"``: same or higher).

        Returns
        -------
        Results
            Terms ``"P(<y>=<level> | <variable>=0)"``, ..., then ``"... =1"`` (and
            ``"P(<y>>=<at_least> | ...)"``); z reference.

        Raises
        ------
        UnknownOptionError, ColumnTypeError
            Not a model variable / not 0/1; an ``at_least`` that is not a level above the lowest.
        """
        out, levels, start = self._margins(variable, at_least)
        y = self._ctx["outcome"]
        names = [f"P({y}={lev}" for lev in levels]
        if start is not None:
            names.append(f"P({y}>={levels[start]}")
        terms, est, G = [], [], []
        for v in (0, 1):
            probs, grads = out[v]
            terms += [f"{nm} | {variable}={v})" for nm in names]
            est += probs
            G += grads
        return self._derived(
            terms, est, np.array(G), f"average predicted probabilities by {variable}"
        )

    @strict_keywords
    def ame(self, variable: str, *, at_least=None) -> Results:
        """Average marginal effect (discrete change 0 -> 1) of a 0/1 regressor on each level.

        AME_j = P_j(1) - P_j(0) (see :meth:`predicted_probabilities`); the AMEs over all levels
        add up to 0. Delta-method SEs, z reference.

        Returns
        -------
        Results
            Terms ``"<y>=<level>"`` (and ``"<y>>=<at_least>"``), estimand ``"AME of <variable>"``.
        """
        out, levels, start = self._margins(variable, at_least)
        y = self._ctx["outcome"]
        terms = [f"{y}={lev}" for lev in levels]
        if start is not None:
            terms.append(f"{y}>={levels[start]}")
        est = np.array(out[1][0]) - np.array(out[0][0])
        G = np.array(out[1][1]) - np.array(out[0][1])
        return self._derived(terms, est, G, f"AME of {variable} (discrete change 0 -> 1)")

    def _derived(self, terms, est, G, estimand) -> Results:
        V = G @ self._vcov @ G.T
        return Results(
            terms=terms,
            estimates=np.asarray(est, dtype=float),
            vcov=(V + V.T) / 2,
            vcov_spec=self.vcov_spec,
            estimator=self.estimator,
            estimand=estimand,
            sample=self.sample,
            n_obs=self.n_obs,
            weights=self.weights,
            data_label=self.data_label,
            synthetic=self.synthetic,
            notes=("delta-method standard errors, covariates at their sample values",),
            formula=self.formula,
        )


def _rhs_matrix(ctx, frame: pd.DataFrame) -> np.ndarray:
    Xdf = ctx["spec"].get_model_matrix(frame)
    keep = [c for c in Xdf.columns if c != "Intercept"]
    return np.asarray(Xdf[keep], dtype=float)


def _outcome_codes(col: pd.Series, name: str) -> tuple[np.ndarray, list]:
    """Integer codes 0..J-1 of the outcome in the estimation sample and its levels."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        if not col.cat.ordered:
            raise ColumnTypeError(
                f"outcome {name!r}: expected an ordered Categorical or integers, found an "
                "unordered Categorical (make it ordered, stating the order of the levels)"
            )
        levels = list(col.cat.categories)
        codes = col.cat.codes.to_numpy().astype(np.int64)
        counts = np.bincount(codes, minlength=len(levels))
        empty = [lev for lev, c in zip(levels, counts, strict=True) if c == 0]
        if len(levels) - len(empty) < 2:
            raise OutcomeError(
                f"outcome {name!r}: expected at least 2 observed levels, found "
                f"{len(levels) - len(empty)} ({[lev for lev in levels if lev not in empty]})"
            )
        if empty:
            raise OutcomeError(
                f"outcome {name!r}: level(s) {empty} have no observation in the estimation "
                "sample, so their cutpoints are not identified; expected every level observed "
                "(merge levels or remove the unused categories explicitly)"
            )
        return codes, levels
    if pd.api.types.is_bool_dtype(col):
        col = col.astype(np.int64)
    if not pd.api.types.is_numeric_dtype(col):
        raise ColumnTypeError(
            f"outcome {name!r}: expected an ordered Categorical or integers, found dtype "
            f"{col.dtype}"
        )
    v = col.to_numpy(dtype=float)
    if not np.all(v == np.round(v)):
        raise OutcomeError(
            f"outcome {name!r}: expected whole numbers (ordered categories), found values such "
            f"as {v[v != np.round(v)][:3].tolist()}"
        )
    levels_f, codes = np.unique(v, return_inverse=True)
    if len(levels_f) < 2:
        raise OutcomeError(
            f"outcome {name!r}: expected at least 2 levels, found only {levels_f.tolist()}"
        )
    return codes.astype(np.int64), [int(x) for x in levels_f]


def _check_separation(Xdf: pd.DataFrame, y: np.ndarray, levels: list) -> None:
    for col in Xdf.columns:
        v = Xdf[col].to_numpy(dtype=float)
        if not set(np.unique(v)) == {0.0, 1.0}:
            continue
        y0, y1 = y[v == 0], y[v == 1]
        for lo, hi, sign in ((y0, y1, "+"), (y1, y0, "-")):
            if lo.max() <= hi.min():
                raise PerfectPredictionError(
                    f"regressor {clean_term(col)!r} separates the outcome: every row with "
                    f"{clean_term(col)} == {1 if sign == '+' else 0} has a level >= "
                    f"{levels[hi.min()]!r}, every other row a level <= {levels[lo.max()]!r} "
                    f"(quasi-complete separation; the coefficient would be {sign}infinite); "
                    "expected overlapping outcomes. Drop or merge that category or its rows "
                    "explicitly"
                )


def _separated(X: np.ndarray, y: np.ndarray, J: int) -> bool:
    """Linear-programming test for separation in the ordered model.

    Is there a direction d = (b, c) != 0 that never lowers the likelihood? Along theta + t d
    every probability Phi(c_{y_i} - x_i'b) - Phi(c_{y_i - 1} - x_i'b) is non-decreasing iff
    c_{y_i}(d) - x_i'b(d) >= 0 (y_i not the top level), c_{y_i - 1}(d) - x_i'b(d) <= 0 (y_i
    not the bottom level) and the cutpoint directions are non-decreasing.
    Maximise the sum of these slacks over |d_j| <= 1 (columns scaled): a positive optimum means
    (quasi-)complete separation and the MLE does not exist (the ordered analogue of Konis 2007).
    """
    from scipy.optimize import linprog

    n, k = X.shape
    scale = np.maximum(np.abs(X).max(axis=0), 1e-12) if k else np.ones(0)
    Xs = X / scale if k else X
    rows = []
    for i in np.flatnonzero(y < J - 1):  # x_i'b - c_{y_i} <= 0
        r = np.zeros(k + J - 1)
        r[:k], r[k + y[i]] = Xs[i], -1.0
        rows.append(r)
    for i in np.flatnonzero(y > 0):  # c_{y_i - 1} - x_i'b <= 0
        r = np.zeros(k + J - 1)
        r[:k], r[k + y[i] - 1] = -Xs[i], 1.0
        rows.append(r)
    for j in range(J - 2):  # c_j - c_{j+1} <= 0
        r = np.zeros(k + J - 1)
        r[k + j], r[k + j + 1] = 1.0, -1.0
        rows.append(r)
    A = np.array(rows)
    rhs_obj = A[: n - int((y == J - 1).sum()) + n - int((y == 0).sum())].sum(axis=0)
    res = linprog(
        rhs_obj, A_ub=A, b_ub=np.zeros(len(A)), bounds=[(-1, 1)] * (k + J - 1), method="highs"
    )
    return bool(res.status == 0 and -res.fun > 1e-7 * n)


@strict_keywords
def ordered_probit(
    formula: str,
    data,
    *,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
    maxiter: int = 500,
    tol: float = 1e-12,
) -> OrderedResults:
    """Ordered probit with sampling weights and design-based variance (Stata ``oprobit``).

    P(y = j | x) = Phi(c_j - x'b) - Phi(c_{j-1} - x'b), no intercept, cutpoints c_1 < ... <
    c_{J-1} (see the module docstring for the score, Hessian and variances).

    Parameters
    ----------
    formula : str
        ``"status_change_5y ~ e_household + age10 + log_income_c"`` (formulaic syntax; an
        intercept is dropped, the cutpoints take its place).
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified. The outcome is an ordered Categorical (levels in category order; every
        level must be observed) or whole numbers (levels = sorted distinct values).
    design : SurveyDesign, optional
        pweights (pseudo-ML), fweights (counts) or aweights; PSUs and strata.
    cluster : str, optional
        Cluster column when there is no design PSU.
    vcov : {"iid", "HC1", "CRV1", "design"} or None, default None
        ``None`` follows the design (strata -> design, PSU -> CRV1, pweights -> HC1, else the
        inverse observed information ``"iid"``); ``"iid"`` with pweights is refused.
    maxiter : int, default 500
        BFGS iterations before the Newton polish.
    tol : float, default 1e-12
        Newton decrement g'H^{-1}g at which the fit has converged.

    Returns
    -------
    OrderedResults
        Terms: the regressors (cleaned names), then ``"cut1".."cut{J-1}"``; z reference;
        ``extra``: ``log_likelihood`` (or ``log_pseudolikelihood``), ``levels``,
        ``level_counts``, ``iterations``.

    Raises
    ------
    MissingColumnError, ImpossibleValueError, EmptySampleError
        Absent columns; infinite values; too few observations.
    ColumnTypeError
        Text or an unordered Categorical outcome.
    OutcomeError
        An outcome with one level, or an ordered Categorical level with no observation.
    PerfectPredictionError
        A 0/1 regressor that separates the outcome (all rows with one value at or above every
        row with the other).
    CollinearityError
        Regressors collinear with each other or with a constant.
    ConvergenceError
        The maximiser does not reach a Newton decrement below ``tol``.
    VarianceError, DesignError, UnknownOptionError
        As in :func:`welfare.participation.probit`.

    References
    ----------
    McKelvey & Zavoina (1975) doi:10.1080/0022250X.1975.9989847; Stata ``[R] oprobit``.
    """
    if isinstance(maxiter, bool) or not (isinstance(maxiter, numbers.Integral) and maxiter >= 1):
        raise UnknownOptionError(f"maxiter: expected an integer >= 1, found {maxiter!r}")
    maxiter = int(maxiter)
    if isinstance(tol, bool) or not (isinstance(tol, numbers.Real) and 0 < tol <= 1e-4):
        raise UnknownOptionError(f"tol: expected a number in (0, 1e-4], found {tol!r}")
    inp = unpack(data, design)
    choice = resolve_vcov(vcov, inp.design, cluster)
    lhs, rhs = formula_variables(formula)
    outcome = check_outcome_name(formula, inp.frame)
    sample = prepare(inp.frame, inp.design, [("outcome", lhs), ("regressor", rhs)], cluster)
    sub = inp.frame.loc[sample.mask].reset_index(drop=True)
    codes, levels = _outcome_codes(sub[outcome], outcome)
    sub = sub.assign(**{outcome: codes.astype(float)})
    sub, level_notes = drop_unused_levels(sub)
    sub = float_integers(sub)
    check_clusters(sub, choice.cluster)
    mm = model_matrices(formula, sub)
    keep = [c for c in mm.rhs.columns if c != "Intercept"]
    Xdf = mm.rhs[keep]
    X = np.asarray(Xdf, dtype=float)
    terms = [clean_term(t) for t in keep] + [f"cut{j}" for j in range(1, len(levels))]
    J = len(levels)
    check_enough(sample.n_obs, X.shape[1] + J - 1, "ordered probit")
    Xc = np.column_stack([np.ones(len(X)), X])
    rank = design_rank(Xc)
    if rank < Xc.shape[1]:
        raise CollinearityError(
            f"ordered probit: the regressors {terms[: X.shape[1]]} are linearly dependent or "
            f"collinear with a constant (rank {rank} < {Xc.shape[1]} with the constant); "
            "expected independent, non-constant columns"
        )
    _check_separation(Xdf, codes, levels)
    w = weights_array(inp.frame, inp.design, sample)
    fw = inp.design.weight_type == "fweight" and inp.design.weights is not None
    if not fw:
        w = w / w.mean()  # scale-free (pweights, aweights)
    # fit on centred and scaled regressors (sd > 0: constants were refused above): a regressor
    # with a large mean relative to its spread (an offset of 1e8) or an extreme unit would
    # otherwise make the information matrix so ill-conditioned that the Newton test passes at
    # a point that is not the maximum. theta = A theta_s maps the estimates back exactly.
    k = X.shape[1]
    mu, sd = X.mean(axis=0), X.std(axis=0)
    Xs = (X - mu) / sd
    A = np.eye(k + J - 1)
    A[:k, :k] = np.diag(1 / sd)
    A[k:, :k] = mu / sd  # c_j = c_s_j + mu'b with b = b_s / sd
    model = _Model(Xs, codes, w, J)
    share = np.bincount(codes, weights=w, minlength=J) / w.sum()
    start = np.concatenate([np.zeros(k), stats.norm.ppf(np.cumsum(share)[:-1])])
    theta_s, iterations = _fit(model, start, maxiter, tol)
    theta = A @ theta_s
    p_obs = np.exp(model.loglik_obs(theta_s))
    if np.any(p_obs > 1 - 1e-8) and _separated(Xs, codes, J):
        raise PerfectPredictionError(
            "ordered probit: the regressors separate the outcome (complete or quasi-complete "
            f"separation; {int((p_obs > 1 - 1e-8).sum())} fitted probabilities of the observed "
            "level at 1): the maximum likelihood estimate does not exist; expected overlapping "
            "outcomes at every value of the index. Drop or merge the separating regressor or "
            "its rows explicitly"
        )
    bread = np.linalg.inv(model.neg_hessian(theta_s))
    n = int(round(w.sum())) if fw else sample.n_obs
    scores = model.scores(theta_s)
    if not fw:
        scores = scores * w[:, None]
    fwts = w if fw else None
    if choice.kind == "iid":
        v = bread
        spec = VcovSpec("iid", df=None, small_sample=1.0)
    elif choice.kind == "HC1":
        m, _, _ = meat(scores, fweights=fwts)
        c = n / (n - 1)
        v = sandwich(bread, m, c)
        spec = VcovSpec("HC1", df=None, small_sample=c)
    elif choice.kind == "CRV1":
        m, g, _ = meat(scores, clusters=sub[choice.cluster].to_numpy(), fweights=fwts)
        c = g / (g - 1)
        v = sandwich(bread, m, c)
        spec = VcovSpec("CRV1", choice.cluster, None, g, None, None, c)
    else:
        m, g, h = meat(
            scores,
            clusters=sub[choice.cluster].to_numpy(),
            strata=(
                sub[choice.strata].to_numpy() if choice.strata else np.zeros(len(sub), dtype=int)
            ),
            fweights=fwts,
        )
        v = sandwich(bread, m)
        spec = VcovSpec("design", choice.cluster, choice.strata or "(one stratum)", g, h, None, 1.0)
    v = A @ v @ A.T  # every variance is a sandwich in theta_s: V = A V_s A'
    v = (v + v.T) / 2
    ll = float(w @ model.loglik_obs(theta_s))
    counts = np.bincount(codes, weights=w if fw else None, minlength=J)
    pseudo = inp.design.weights is not None and not fw
    ctx = {
        "spec": mm.rhs.model_spec,
        "frame": sub,
        "weights": w,
        "rhs": rhs,
        "k": X.shape[1],
        "levels": levels,
        "outcome": outcome,
    }

    def refit(new_vcov: str) -> Results:
        return ordered_probit(
            formula, data, design=design, cluster=cluster, vcov=new_vcov, maxiter=maxiter, tol=tol
        )

    res = OrderedResults(
        terms=terms,
        estimates=theta,
        vcov=v,
        vcov_spec=spec,
        estimator="ordered probit",
        estimand="index coefficients and cutpoints",
        sample=sample,
        n_obs=n,
        weights=inp.design.weights_label,
        data_label=inp.label,
        synthetic=inp.synthetic,
        extra={
            ("log_pseudolikelihood" if pseudo else "log_likelihood"): ll,
            "levels": list(levels),
            "level_counts": {
                str(lev): int(round(c)) for lev, c in zip(levels, counts, strict=True)
            },
            "iterations": iterations,
        },
        notes=level_notes,
        refit=refit,
        formula=formula,
    )
    object.__setattr__(res, "_ctx", ctx)
    return res
