r"""Sensitivity of a treatment effect to omitted variables and hidden bias.

Three tools a referee asks for:

* :func:`cinelli_hazlett` - omitted-variable-bias sensitivity of an OLS coefficient in partial
  :math:`R^2` terms: the partial :math:`R^2` of the treatment with the outcome, robustness values
  :math:`RV_q` and :math:`RV_{q,\alpha}`, and bounds on a confounder "k times as strong" as an
  observed covariate, with the bias-adjusted estimate, standard error, t and confidence interval
  (Cinelli & Hazlett 2020; the R package ``sensemakr``).
* :func:`oster_bounds` - Oster's (2019) coefficient-stability bounds: the :math:`\delta` at which
  the bias-adjusted coefficient is 0 and the bias-adjusted :math:`\beta^*` for a given
  :math:`\delta` and :math:`R_{max}` (as Stata ``psacalc``).
* :func:`rosenbaum_bounds` - Rosenbaum's (2002) bounds on the one-sided p-value of the Wilcoxon
  signed-rank test of matched-pair differences for a grid of hidden-bias levels :math:`\Gamma`,
  by the normal approximation (as R ``rbounds::psens``) or the exact distribution.

``cinelli_hazlett`` and ``oster_bounds`` accept weighted designs: the regressions are WLS (OLS
on :math:`\sqrt{w}`-scaled data) and the formulas use the WLS classical t, weighted
:math:`R^2` and weighted moments (see each function's **Weights** section).

References
----------
Cinelli, C. and Hazlett, C. (2020). Making sense of sensitivity: extending omitted variable
bias. *Journal of the Royal Statistical Society B* 82(1), 39-67. doi:10.1111/rssb.12348
Oster, E. (2019). Unobservable selection and coefficient stability: theory and evidence.
*Journal of Business & Economic Statistics* 37(2), 187-204. doi:10.1080/07350015.2016.1227711
Rosenbaum, P. R. (2002). *Observational Studies*, 2nd ed., ch. 4. Springer.
doi:10.1007/978-1-4757-3692-2
Keele, L. (2010). An overview of rbounds: an R package for Rosenbaum bounds sensitivity
analysis with matched data. (R package ``rbounds``, function ``psens``.)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from welfare._estimation import prepare, resolve_vcov, unpack
from welfare._options import as_columns, check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.data.sample import EstimationSample, require_columns
from welfare.errors import (
    DataError,
    EmptySampleError,
    ImpossibleValueError,
    OutcomeError,
    TreatmentError,
    UnknownOptionError,
    VarianceError,
)
from welfare.inference.linear import fit_ols
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec
from welfare.premium._common import outcome_column, rhs_terms

__all__ = [
    "OmittedVariableSensitivity",
    "OsterBounds",
    "RosenbaumBounds",
    "cinelli_hazlett",
    "oster_bounds",
    "oster_delta",
    "partial_r2",
    "robustness_value",
    "rosenbaum_bounds",
    "sensitivity_stats",
]


# --------------------------------------------------------------------------- helpers
def _real(name: str, value, *, low=None, high=None, low_open=False, high_open=False) -> float:
    """Return a finite real number within bounds, else raise UnknownOptionError."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    x = float(value) if ok else float("nan")
    if ok and math.isfinite(x):
        if low is not None and (x < low or (low_open and x == low)):
            ok = False
        if high is not None and (x > high or (high_open and x == high)):
            ok = False
    else:
        ok = False
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        rng = f"{lo}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}{hi}"
        raise UnknownOptionError(f"{name}: expected a finite number in {rng}, found {value!r}")
    return x


def _check_roles(outcome: str, treatment: str, controls: list[str], fixed_effects: list[str]):
    if not isinstance(outcome, str) or not isinstance(treatment, str):
        raise UnknownOptionError(
            f"outcome/treatment: expected column names (str), found {outcome!r}, {treatment!r}"
        )
    if outcome == treatment:
        raise OutcomeError(
            f"outcome {outcome!r}: expected a column other than the treatment, found the "
            "treatment itself"
        )
    if treatment in controls or treatment in fixed_effects:
        where = "controls" if treatment in controls else "fixed_effects"
        raise TreatmentError(
            f"{where}: expected the controls without the treatment {treatment!r}, found it "
            f"among {where} {controls if where == 'controls' else fixed_effects}"
        )
    if outcome in controls or outcome in fixed_effects:
        raise OutcomeError(
            f"controls: expected the controls without the outcome {outcome!r}, found it there"
        )


def _stats_design(design: SurveyDesign) -> SurveyDesign:
    r"""Return the design of the regressions whose classical statistics the formulas use.

    Sampling weights (``pweight``) enter as analytic weights: the same WLS coefficients and
    weighted :math:`R^2`, and the classical (model-based) WLS variance
    :math:`\hat\sigma^2 (X'WX)^{-1}` with :math:`\hat\sigma^2 = \sum_i w_i e_i^2/(n - k)`
    (scale-free in the weights; ``fit_ols`` refuses an iid variance with pweights, rightly for
    inference, but the sensitivity geometry needs exactly this t). ``aweight`` and ``fweight``
    are kept (frequency weights count rows, so dof = sum of weights - k, as the expanded data).
    PSU and strata are kept so that the estimation sample is the one of a design-based fit.
    """
    if design.weights is None or design.weight_type != "pweight":
        return design
    return dataclasses.replace(design, weight_type="aweight")


def _as_analytic(res: Results, design: SurveyDesign) -> Results:
    """Relabel a fit made by :func:`_stats_design` so that its weights say what they were."""
    if design.weights is None or design.weight_type != "pweight":
        return res
    label = f"pweights '{design.weights}' used as analytic weights (classical WLS variance)"
    note = (
        "Sensitivity geometry: the sampling weights enter as analytic weights (WLS = OLS on "
        "sqrt(w)-scaled data); the classical WLS variance is not a design-based variance."
    )
    return res.replace(weights=label, notes=tuple(res.notes) + (note,), refit=None)


def _weighted_var(x: np.ndarray, w: np.ndarray | None, weight_type: str | None) -> float:
    r"""Weighted variance as Stata ``summarize [aw|fw]`` (``np.var(ddof=1)`` when unweighted).

    fweights: :math:`\sum w (x - \bar x_w)^2 / (\sum w - 1)` (the expanded data);
    a/pweights: :math:`\frac{n}{n-1}\sum w (x - \bar x_w)^2 / \sum w` (weights normalised to
    sum to the number of rows n).
    """
    if w is None:
        return float(np.var(x, ddof=1))
    sw = float(w.sum())
    m = float((w * x).sum() / sw)
    ss = float((w * (x - m) ** 2).sum())
    if weight_type == "fweight":
        return ss / (sw - 1)
    n = len(x)
    return ss / sw * n / (n - 1)


def _same_rows(first: Results, other: Results, n_rows: int, what: str) -> None:
    """Raise unless ``other`` used every row of the frame it was fitted on, as ``first`` did.

    ``n_rows`` is that frame's length; the regressions of the sensitivity formulas must share
    one sample (identical rows, not only equal counts).
    """
    mask = np.asarray(other.sample.mask, dtype=bool)
    if other.sample.n_rows != n_rows or not mask.all() or other.n_obs != first.n_obs:
        raise ImpossibleValueError(
            f"{what}: expected the {first.sample.n_obs} rows of the outcome regression, found "
            f"{int(mask.sum())} of {other.sample.n_rows} used ({other.n_obs} observations); "
            "the sensitivity formulas need identical rows"
        )


def _sample(frame, design, outcome, treatment, controls, fixed_effects) -> EstimationSample:
    roles = [("outcome", [outcome]), ("treatment", [treatment])]
    if controls:
        roles.append(("control", controls))
    if fixed_effects:
        roles.append(("fixed effect", fixed_effects))
    return prepare(frame, design, roles, None)


def _check_varies(sub: pd.DataFrame, treatment: str) -> None:
    col = sub[treatment]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        raise TreatmentError(f"treatment {treatment!r}: expected numbers, found dtype {col.dtype}")
    if col.astype(float).nunique() < 2:
        raise TreatmentError(
            f"treatment {treatment!r}: expected variation in the estimation sample, found the "
            f"single value {col.iloc[0]!r} in {len(col)} rows"
        )


def _check_outcome_varies(sub: pd.DataFrame, outcome: str) -> None:
    col = sub[outcome]
    if pd.api.types.is_numeric_dtype(col) and col.astype(float).nunique() < 2:
        raise OutcomeError(
            f"outcome {outcome!r}: expected variation in the estimation sample, found the "
            f"single value {col.iloc[0]!r} in {len(col)} rows (R^2 and t undefined)"
        )


def _row(res: Results, term: str, what: str) -> pd.Series:
    t = res.tidy().set_index("term")
    if term not in t.index:
        raise TreatmentError(
            f"{what}: expected the term {term!r} in the regression, found only "
            f"{list(t.index)[:8]} (dropped as collinear with the controls or fixed effects?)"
        )
    return t.loc[term]


# --------------------------------------------------------------------------- Cinelli-Hazlett
def partial_r2(t_value: float, dof: int) -> float:
    r"""Partial :math:`R^2` of a regressor from its t-value: :math:`R^2 = t^2 / (t^2 + \mathrm{dof})`.

    Parameters
    ----------
    t_value : float
        Classical OLS t-statistic of the regressor.
    dof : int
        Residual degrees of freedom of the regression (> 0).

    Returns
    -------
    float

    References
    ----------
    Cinelli & Hazlett (2020), §3.2, doi:10.1111/rssb.12348.
    """
    t = _real("t_value", t_value)
    d = _real("dof", dof, low=0, low_open=True)
    return t * t / (t * t + d)


def robustness_value(t_value: float, dof: int, *, q: float = 1.0, alpha: float | None = None):
    r"""Robustness value :math:`RV_q` (``alpha=None``) or :math:`RV_{q,\alpha}`.

    With :math:`f_q = q|t|/\sqrt{\mathrm{dof}}` and, for :math:`RV_{q,\alpha}`,
    :math:`f^* = |t^*_{\alpha/2,\mathrm{dof}-1}|/\sqrt{\mathrm{dof}-1}`
    (:math:`f^* = 0` for :math:`RV_q`), :math:`f = f_q - f^*`:

    .. math::
        RV = \tfrac12\left(\sqrt{f^4 + 4 f^2} - f^2\right) \quad (f > 0),\qquad RV = 0
        \quad (f \le 0),

    and, when the bound :math:`R^2_{Y\sim Z|D,X} \le 1` binds (:math:`f_q > 1/f^*`),
    :math:`RV = (f_q^2 - f^{*2})/(1 + f_q^2)` (Cinelli & Hazlett 2020, eq. 18-19 and
    sensemakr's ``robustness_value``).

    Parameters
    ----------
    t_value : float
    dof : int
        Residual degrees of freedom (> 1).
    q : float, default 1.0
        Proportion of the estimate to be explained away (> 0).
    alpha : float in (0, 1), optional
        Significance level; ``None`` gives :math:`RV_q` (sensemakr's ``alpha = 1``).

    Returns
    -------
    float
    """
    t = _real("t_value", t_value)
    d = _real("dof", dof, low=1, low_open=True)
    q = _real("q", q, low=0, low_open=True)
    fq = q * abs(t) / math.sqrt(d)
    if alpha is None:
        fcrit = 0.0
    else:
        a = _real("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
        fcrit = abs(float(stats.t.ppf(a / 2, d - 1))) / math.sqrt(d - 1)
    f = fq - fcrit
    if f <= 0:
        return 0.0
    if fcrit > 0 and fq > 1 / fcrit:
        return (fq * fq - fcrit * fcrit) / (1 + fq * fq)
    return 0.5 * (math.sqrt(f**4 + 4 * f * f) - f * f)


@strict_keywords
def sensitivity_stats(
    results: Results, *, treatment: str, q: float = 1.0, alpha: float = 0.05
) -> pd.DataFrame:
    r"""Cinelli-Hazlett statistics from a fitted OLS :class:`Results` (no benchmarks).

    For a ``Results`` of :func:`welfare.inference.linear.fit_ols` or
    :func:`welfare.premium.ols_premium` fitted with ``vcov="iid"`` (for weighted data: the
    weights as ``aweight`` with ``vcov="iid"``, which is what :func:`cinelli_hazlett` does): the treatment's estimate,
    SE, t, dof, :math:`R^2_{Y\sim D|X} = t^2/(t^2+\mathrm{dof})`, :math:`RV_q` and
    :math:`RV_{q,\alpha}` (see :func:`robustness_value`). Benchmark bounds need the data: use
    :func:`cinelli_hazlett`.

    Parameters
    ----------
    results : Results
        Classical (iid) OLS variance; its ``df`` is the residual dof.
    treatment : str
        Term name of the treatment.
    q, alpha : float
        As :func:`robustness_value`.

    Returns
    -------
    pandas.DataFrame
        One row: ``treatment, estimate, std_error, t_value, dof, partial_r2_yd_x, rv_q, rv_qa,
        q, alpha``.

    Raises
    ------
    VarianceError
        A variance other than iid (the formulas use the classical OLS t), or no t reference.
    TreatmentError
        ``treatment`` is not a term of ``results``.

    References
    ----------
    Cinelli & Hazlett (2020), doi:10.1111/rssb.12348.
    """
    if not isinstance(results, Results):
        raise UnknownOptionError(f"results: expected a welfare Results, found {type(results)}")
    if results.vcov_spec.kind != "iid" or results.df is None:
        raise VarianceError(
            "results: expected an OLS fit with vcov='iid' (classical t and residual dof), found "
            f"vcov {results.vcov_spec.kind!r} with df {results.df}"
        )
    q = _real("q", q, low=0, low_open=True)
    alpha = _real("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    row = _row(results, treatment, "results")
    t, dof = float(row["statistic"]), int(results.df)
    return pd.DataFrame(
        [
            {
                "treatment": treatment,
                "estimate": float(row["estimate"]),
                "std_error": float(row["std_error"]),
                "t_value": t,
                "dof": dof,
                "partial_r2_yd_x": partial_r2(t, dof),
                "rv_q": robustness_value(t, dof, q=q),
                "rv_qa": robustness_value(t, dof, q=q, alpha=alpha),
                "q": q,
                "alpha": alpha,
            }
        ]
    )


def _bias(se, dof, r2dz_x, r2yz_dx):
    return np.sqrt(r2yz_dx * r2dz_x / (1 - r2dz_x)) * se * np.sqrt(dof)


def _adjusted_se(se, dof, r2dz_x, r2yz_dx):
    return np.sqrt((1 - r2yz_dx) / (1 - r2dz_x)) * se * np.sqrt(dof / (dof - 1))


@dataclass(frozen=True)
class OmittedVariableSensitivity:
    r"""Cinelli-Hazlett sensitivity of one OLS coefficient (returned by :func:`cinelli_hazlett`).

    Attributes
    ----------
    treatment : str
    estimate, std_error, t_value : float
        The treatment coefficient, its classical (W)LS standard error and t.
    dof : int
        Residual degrees of freedom of the outcome regression (rows - parameters, including
        absorbed fixed-effect levels; for frequency weights, sum of weights - parameters).
    partial_r2_yd_x : float
        :math:`R^2_{Y\sim D|X}`.
    rv_q, rv_qa : float
        :math:`RV_q` and :math:`RV_{q,\alpha}`.
    q, alpha : float
    reduce : bool
        True: the confounder is assumed to pull the estimate towards zero.
    bounds : pandas.DataFrame
        One row per benchmark and multiple: ``bound, benchmark, kd, ky, r2dz_x, r2yz_dx,
        adjusted_estimate, adjusted_se, adjusted_t, adjusted_conf_low, adjusted_conf_high``
        (the interval uses the t reference with dof - 1, as sensemakr).
    benchmarks : pandas.DataFrame
        Per benchmark covariate: ``r2dxj_x`` (partial :math:`R^2` with the treatment given the
        other covariates) and ``r2yxj_dx`` (with the outcome given treatment and the others).
    model : Results
        The outcome regression with the classical (iid) variance whose t and dof the statistics
        use; with sampling weights, the WLS fit with the weights as analytic weights (its
        ``weights`` label and notes say so).
    design_model : Results or None
        The same regression (same rows, same estimate) with the variance asked for by ``vcov``
        (default: the design's rule - HC1 for pweights, CRV1 by PSU, design-based with strata,
        iid otherwise); the standard error and interval to report for the original estimate.
        ``None`` only for objects built by hand.
    """

    treatment: str
    estimate: float
    std_error: float
    t_value: float
    dof: int
    partial_r2_yd_x: float
    rv_q: float
    rv_qa: float
    q: float
    alpha: float
    reduce: bool
    bounds: pd.DataFrame = field(repr=False)
    benchmarks: pd.DataFrame = field(repr=False)
    model: Results = field(repr=False)
    design_model: Results | None = field(default=None, repr=False)

    def adjusted(self, r2dz_x, r2yz_dx) -> pd.DataFrame:
        r"""Bias-adjusted estimate, SE and t for hypothetical confounder strengths.

        .. math::
            |\mathrm{bias}| = \mathrm{se}(\hat\tau)\sqrt{\mathrm{dof}}
            \sqrt{R^2_{Y\sim Z|D,X}\,R^2_{D\sim Z|X}/(1-R^2_{D\sim Z|X})},\qquad
            \mathrm{se}^* = \mathrm{se}(\hat\tau)\sqrt{\frac{1-R^2_{Y\sim Z|D,X}}
            {1-R^2_{D\sim Z|X}}\,\frac{\mathrm{dof}}{\mathrm{dof}-1}}

        (Cinelli & Hazlett 2020, eq. 10-12); the estimate moves towards zero when ``reduce``.

        Parameters
        ----------
        r2dz_x, r2yz_dx : float or array_like
            Partial :math:`R^2` of the confounder with the treatment (in [0, 1)) and with the
            outcome (in [0, 1]); broadcast against each other.

        Returns
        -------
        pandas.DataFrame
            ``r2dz_x, r2yz_dx, adjusted_estimate, adjusted_se, adjusted_t``.
        """
        a = np.asarray(r2dz_x, dtype=float)
        b = np.asarray(r2yz_dx, dtype=float)
        a, b = np.broadcast_arrays(a, b)
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            raise UnknownOptionError("r2dz_x, r2yz_dx: expected finite partial R2, found NaN/inf")
        if (a < 0).any() or (a >= 1).any() or (b < 0).any() or (b > 1).any():
            raise UnknownOptionError(
                "r2dz_x, r2yz_dx: expected r2dz_x in [0, 1) and r2yz_dx in [0, 1], found "
                f"r2dz_x in [{a.min():g}, {a.max():g}], r2yz_dx in [{b.min():g}, {b.max():g}]"
            )
        bias = _bias(self.std_error, self.dof, a, b)
        sign = np.sign(self.estimate)
        est = (
            sign * (abs(self.estimate) - bias)
            if self.reduce
            else sign * (abs(self.estimate) + bias)
        )
        se = _adjusted_se(self.std_error, self.dof, a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = est / se
        return pd.DataFrame(
            {
                "r2dz_x": a.reshape(-1),
                "r2yz_dx": b.reshape(-1),
                "adjusted_estimate": np.asarray(est).reshape(-1),
                "adjusted_se": np.asarray(se).reshape(-1),
                "adjusted_t": np.asarray(t).reshape(-1),
            }
        )

    def contour_grid(self, *, lim: float | None = None, n: int = 101) -> pd.DataFrame:
        """Return adjusted estimates on an ``n`` x ``n`` grid of (r2dz_x, r2yz_dx) in [0, lim).

        ``lim`` defaults to sensemakr's choice: 0.4, or 1.2 x the largest bound when that is
        larger (capped below 1). Used by :func:`welfare.report.sensitivity_contour_plot`.
        """
        if lim is None:
            top = max([0.4] + [1.2 * float(v) for v in self.bounds[["r2dz_x", "r2yz_dx"]].max()])
            lim = min(top, 0.999)
        lim = _real("lim", lim, low=0, high=1, low_open=True, high_open=True)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
            raise UnknownOptionError(f"n: expected an integer >= 2, found {n!r}")
        g = np.linspace(0.0, lim, int(n), endpoint=False)
        xx, yy = np.meshgrid(g, g, indexing="xy")
        return self.adjusted(xx.reshape(-1), yy.reshape(-1))

    def adjusted_results(self) -> Results:
        """Return each bound's adjusted estimate as a :class:`Results` (tidy schema).

        One row per bound, named ``"<treatment> | <bound>"``, with variance ``adjusted_se^2``
        and a t reference with dof - 1 degrees of freedom, so ``tidy()`` gives sensemakr's
        adjusted t and interval. The covariance between bounds is not defined (set to 0).
        """
        b = self.bounds
        terms = [f"{self.treatment} | {x}" for x in b["bound"]]
        spec = VcovSpec("iid (omitted-variable bound)", df=int(self.dof) - 1)
        return Results(
            terms=terms,
            estimates=b["adjusted_estimate"].to_numpy(),
            vcov=np.diag(b["adjusted_se"].to_numpy() ** 2),
            vcov_spec=spec,
            estimator="OLS bias-adjusted for an omitted confounder (Cinelli-Hazlett 2020)",
            estimand="coefficient under benchmarked confounding",
            sample=self.model.sample,
            n_obs=self.model.n_obs,
            weights=self.model.weights,
            data_label=self.model.data_label,
            synthetic=self.model.synthetic,
            extra={"rv_q": self.rv_q, "rv_qa": self.rv_qa, "dof": self.dof},
            notes=(
                "Bounds on a confounder kd (ky) times as strong as the benchmark covariate with "
                "the treatment (outcome); t reference with dof - 1, as sensemakr.",
            ),
        )

    def summary(self) -> pd.DataFrame:
        """One-row table of the sensitivity statistics (sensemakr's ``sensitivity_stats``)."""
        return pd.DataFrame(
            [
                {
                    "treatment": self.treatment,
                    "estimate": self.estimate,
                    "std_error": self.std_error,
                    "t_value": self.t_value,
                    "dof": self.dof,
                    "partial_r2_yd_x": self.partial_r2_yd_x,
                    "rv_q": self.rv_q,
                    "rv_qa": self.rv_qa,
                    "q": self.q,
                    "alpha": self.alpha,
                }
            ]
        )


def _kvalues(name: str, value) -> list[float]:
    vals = [value] if isinstance(value, numbers.Real) else list(value)
    out = [_real(name, v, low=0, low_open=True) for v in vals]
    if not out:
        raise UnknownOptionError(f"{name}: expected at least one positive multiple, found none")
    return out


@strict_keywords
def cinelli_hazlett(
    data,
    *,
    outcome: str,
    treatment: str,
    controls: list[str] | None = None,
    fixed_effects: list[str] | None = None,
    benchmark_covariates: list[str] | None = None,
    kd=(1, 2, 3),
    ky=None,
    q: float = 1.0,
    alpha: float = 0.05,
    reduce: bool = True,
    design: SurveyDesign | None = None,
    vcov: str | None = None,
    scale: str = "levels",
) -> OmittedVariableSensitivity:
    r"""Cinelli-Hazlett (2020) sensitivity of an OLS treatment coefficient to omitted variables.

    Fits :math:`Y = \hat\tau D + X'\hat\beta + \hat\varepsilon` by OLS (fixed effects absorbed,
    classical variance) and reports how strong a confounder :math:`Z` would have to be:

    * :math:`R^2_{Y\sim D|X} = t^2/(t^2+\mathrm{dof})`;
    * :math:`RV_q` and :math:`RV_{q,\alpha}` (see :func:`robustness_value`);
    * for each benchmark covariate :math:`X_j` and multiple :math:`k_D, k_Y`, the bounds
      (Cinelli & Hazlett 2020, §6.2 and eq. 28, as sensemakr's ``ovb_partial_r2_bound``)

      .. math::
          R^2_{D\sim Z|X} = k_D \frac{R^2_{D\sim X_j|X_{-j}}}{1-R^2_{D\sim X_j|X_{-j}}},\qquad
          R^2_{Y\sim Z|D,X} = \left(\frac{\sqrt{k_Y}+\sqrt{\eta}}{\sqrt{1-\eta}}\right)^2
          \frac{R^2_{Y\sim X_j|D,X_{-j}}}{1-R^2_{Y\sim X_j|D,X_{-j}}},

      with :math:`\eta = k_D R^{4}_{D\sim X_j|X_{-j}} / ((1-k_D R^2_{D\sim X_j|X_{-j}})
      (1-R^2_{D\sim X_j|X_{-j}}))` (capped at 1 with sensemakr's warning), and the adjusted
      estimate, SE, t and interval of :meth:`OmittedVariableSensitivity.adjusted`.

    **Weights.** Weighted least squares is OLS on :math:`\sqrt{w}`-scaled data (the intercept
    column becomes :math:`\sqrt{w}`, fixed effects are absorbed by weighted demeaning), so every
    identity of the paper holds for the weighted regression with its classical t,
    :math:`t = \hat\tau/\widehat{se}`, :math:`\widehat{se}^2 = \hat\sigma^2[(X'WX)^{-1}]_{DD}`,
    :math:`\hat\sigma^2 = \sum_i w_i e_i^2/\mathrm{dof}`, and :math:`\mathrm{dof} = n - k`
    (rows minus parameters, absorbed levels included): exactly R ``sensemakr`` on
    ``lm(..., weights = w)``. Sampling weights (``pweight``) and ``aweight`` enter as analytic
    weights for this :math:`R^2` geometry (dof from rows, not from summed weights; the result
    does not depend on the scale of the weights); ``fweight`` counts rows (dof = sum of weights
    - k), so collapsed data give the expanded data's result. The partial :math:`R^2`, RVs,
    bounds, adjusted estimates/SEs/intervals and the contour grid all use this classical t,
    whatever ``vcov`` is: they describe the weighted point estimate's geometry, not its
    sampling variance. The point estimate is the design-weighted one; its design-based SE and
    interval (to report next to the sensitivity statistics) are in ``design_model``; the
    adjusted SEs/intervals are classical and are not design-based.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
        Not modified. Weighted when the design has weights (see **Weights**).
    outcome, treatment : str
        Columns; the treatment need not be binary but must vary.
    controls : list of str, optional
        Observed covariates; text/categorical columns enter as dummies (``C(col)``).
    fixed_effects : list of str, optional
        Absorbed effects (singleton groups dropped and counted; that removes one observation and
        one parameter each, so dof and the treatment's t are unchanged).
    benchmark_covariates : list of str, optional
        Numeric columns among ``controls`` used as benchmarks.
    kd : float or sequence of float, default (1, 2, 3)
        Multiples of the benchmark's association with the treatment.
    ky : float or sequence of float, optional
        Multiples with the outcome; default ``kd``. Same length as ``kd``.
    q : float, default 1.0
        Share of the estimate to explain away in the robustness value.
    alpha : float, default 0.05
        Significance level of :math:`RV_{q,\alpha}` and of the adjusted intervals.
    reduce : bool, default True
        The confounder pulls the estimate towards zero.
    design : SurveyDesign, optional
        Weights (any type), PSU and strata; the estimation sample drops rows missing any design
        column, whatever ``vcov``.
    vcov : {"iid", "HC1", "CRV1", "design"} or None, default None
        Variance of ``design_model`` only (``None``: the design's rule, as
        :func:`welfare.inference.linear.fit_ols`). It does not change any sensitivity
        statistic.
    scale : {"levels", "log"}, default "levels"
        ``"log"`` analyses ``log(outcome)`` (as a column ``log_<outcome>``; zero or negative
        values raise :class:`~welfare.errors.OutcomeError`), the scale on which the package's
        premium estimators work by default; ``"levels"`` takes the outcome as given.

    Returns
    -------
    OmittedVariableSensitivity

    Raises
    ------
    MissingColumnError
        A named column is absent.
    OutcomeError
        The outcome is the treatment or is among the controls, or is constant in the
        estimation sample.
    TreatmentError
        The treatment is among the controls/fixed effects, is constant in the estimation sample
        or drops out of the regression (collinear).
    VarianceError
        ``vcov="iid"`` with sampling weights, or ``"CRV1"``/``"design"`` without clusters (for
        ``design_model``).
    ImpossibleValueError
        The treatment regression of the benchmarks or ``design_model`` did not use exactly the
        rows of the outcome regression (a safeguard: both are fitted on those rows).
    UnknownOptionError
        Repeated benchmark covariates.
    DataError
        A benchmark that is not a numeric control, or a kd that makes a bound impossible
        (:math:`R^2 \ge 1`).
    UnknownOptionError
        Unknown keywords, bad ``q``/``alpha``/``kd``/``ky``.

    References
    ----------
    Cinelli, C. and Hazlett, C. (2020), JRSS-B 82(1), 39-67, doi:10.1111/rssb.12348.

    Examples
    --------
    The Darfur example of the paper (``sensemakr``)::

        cinelli_hazlett(darfur, outcome="peacefactor", treatment="directlyharmed",
                        controls=["age", "farmer_dar", "herder_dar", "pastvoted",
                                  "hhsize_darfur", "female"],
                        fixed_effects=["village"], benchmark_covariates=["female"])
    """
    q = _real("q", q, low=0, low_open=True)
    alpha = _real("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    check_option("reduce", reduce, (True, False))
    inp = unpack(data, design)
    controls = as_columns("controls", controls)
    fixed_effects = as_columns("fixed_effects", fixed_effects)
    benchmarks = as_columns("benchmark_covariates", benchmark_covariates)
    _check_roles(outcome, treatment, controls, fixed_effects)
    require_columns(inp.frame, [outcome, treatment] + controls + fixed_effects)
    kds = _kvalues("kd", kd)
    kys = kds if ky is None else _kvalues("ky", ky)
    if len(kys) != len(kds):
        raise UnknownOptionError(
            f"ky: expected as many values as kd ({len(kds)}), found {len(kys)}"
        )
    if len(set(benchmarks)) != len(benchmarks):
        raise UnknownOptionError(
            f"benchmark_covariates: expected distinct column names, found {benchmarks}"
        )
    frame, outcome = outcome_column(inp.frame, outcome, scale)
    for b in benchmarks:
        if b not in controls:
            raise DataError(
                f"benchmark_covariates: expected columns among the controls {controls}, found {b!r}"
            )
        if not pd.api.types.is_numeric_dtype(frame[b]):
            raise DataError(
                f"benchmark {b!r}: expected a numeric column (one coefficient), found dtype "
                f"{frame[b].dtype}"
            )
    sample = _sample(frame, inp.design, outcome, treatment, controls, fixed_effects)
    sub = frame.loc[sample.mask]
    _check_varies(sub, treatment)
    _check_outcome_varies(sub, outcome)
    rhs = rhs_terms(controls, frame, "controls")[0] if controls else ""
    fe = fixed_effects or None
    y_fml = f"{outcome} ~ {treatment}" + (f" + {rhs}" if rhs else "")
    sdesign = _stats_design(inp.design)
    model = fit_ols(y_fml, frame, fixed_effects=fe, design=sdesign, vcov="iid")
    # the estimate with the variance the user asked for (default: the design's rule), on the
    # same rows (the sample is built from every design column whatever the variance)
    same = sdesign == inp.design and resolve_vcov(vcov, inp.design, None).kind == "iid"
    reported = (
        model if same else fit_ols(y_fml, frame, fixed_effects=fe, design=inp.design, vcov=vcov)
    )
    if not np.array_equal(reported.sample.mask, model.sample.mask):
        raise ImpossibleValueError(
            f"design_model: expected the {model.sample.n_obs} rows of the sensitivity "
            f"regression, found {reported.sample.n_obs} other rows"
        )
    model = _as_analytic(model, inp.design)
    row = _row(model, treatment, "outcome regression")
    est, se, t = float(row["estimate"]), float(row["std_error"]), float(row["statistic"])
    dof = int(model.df)
    r2yd = partial_r2(t, dof)
    rv_q = robustness_value(t, dof, q=q)
    rv_qa = robustness_value(t, dof, q=q, alpha=alpha)
    bench_rows = []
    if benchmarks:
        # the treatment regression on exactly the outcome regression's rows (rows with a
        # missing outcome or in singleton groups are not in it), checked row by row
        rows_y = frame.loc[np.asarray(model.sample.mask, dtype=bool)]
        d_fml = f"{treatment} ~ {rhs}"
        dmodel = fit_ols(d_fml, rows_y, fixed_effects=fe, design=sdesign, vcov="iid")
        _same_rows(model, dmodel, len(rows_y), "treatment regression (benchmarks)")
        for b in benchmarks:
            rd = _row(dmodel, b, "treatment regression (benchmark)")
            ry = _row(model, b, "outcome regression (benchmark)")
            bench_rows.append(
                {
                    "benchmark": b,
                    "r2dxj_x": partial_r2(float(rd["statistic"]), int(dmodel.df)),
                    "r2yxj_dx": partial_r2(float(ry["statistic"]), dof),
                }
            )
    bench = pd.DataFrame(bench_rows, columns=["benchmark", "r2dxj_x", "r2yxj_dx"])
    base = OmittedVariableSensitivity(
        treatment=treatment,
        estimate=est,
        std_error=se,
        t_value=t,
        dof=dof,
        partial_r2_yd_x=r2yd,
        rv_q=rv_q,
        rv_qa=rv_qa,
        q=q,
        alpha=alpha,
        reduce=bool(reduce),
        bounds=pd.DataFrame(),
        benchmarks=bench,
        model=model,
        design_model=reported,
    )
    rows = []
    crit = float(stats.t.ppf(1 - alpha / 2, dof - 1))
    for _, br in bench.iterrows():
        r2dxj, r2yxj = float(br["r2dxj_x"]), float(br["r2yxj_dx"])
        for k_d, k_y in zip(kds, kys, strict=True):
            r2dz = k_d * r2dxj / (1 - r2dxj)
            if r2dz >= 1:
                raise DataError(
                    f"kd={k_d:g} with benchmark {br['benchmark']!r}: expected a bound "
                    f"R2_D~Z|X < 1, found {r2dz:.4g} (impossible kd value)"
                )
            eta = k_d * r2dxj**2 / ((1 - k_d * r2dxj) * (1 - r2dxj))
            if eta >= 1:
                raise DataError(
                    f"kd={k_d:g} with benchmark {br['benchmark']!r}: expected "
                    f"R2_Z~Xj|X-j,D < 1, found {eta:.4g} (impossible kd value)"
                )
            r2yz = ((math.sqrt(k_y) + math.sqrt(eta)) / math.sqrt(1 - eta)) ** 2 * (
                r2yxj / (1 - r2yxj)
            )
            capped = r2yz > 1
            r2yz = min(r2yz, 1.0)
            adj = base.adjusted(r2dz, r2yz).iloc[0]
            label = (
                f"{k_d:g}x {br['benchmark']}"
                if k_d == k_y
                else (f"{k_d:g}x/{k_y:g}x {br['benchmark']}")
            )
            rows.append(
                {
                    "bound": label,
                    "benchmark": br["benchmark"],
                    "kd": k_d,
                    "ky": k_y,
                    "r2dz_x": r2dz,
                    "r2yz_dx": r2yz,
                    "adjusted_estimate": adj["adjusted_estimate"],
                    "adjusted_se": adj["adjusted_se"],
                    "adjusted_t": adj["adjusted_t"],
                    "adjusted_conf_low": adj["adjusted_estimate"] - crit * adj["adjusted_se"],
                    "adjusted_conf_high": adj["adjusted_estimate"] + crit * adj["adjusted_se"],
                    "r2yz_dx_capped": capped,
                }
            )
    cols = [
        "bound",
        "benchmark",
        "kd",
        "ky",
        "r2dz_x",
        "r2yz_dx",
        "adjusted_estimate",
        "adjusted_se",
        "adjusted_t",
        "adjusted_conf_low",
        "adjusted_conf_high",
        "r2yz_dx_capped",
    ]
    object.__setattr__(base, "bounds", pd.DataFrame(rows, columns=cols))
    return base


# --------------------------------------------------------------------------- Oster
@dataclass(frozen=True)
class OsterBounds:
    r"""Oster (2019) bounds (returned by :func:`oster_bounds`).

    Attributes
    ----------
    treatment : str
    beta_short, r2_short : float
        :math:`\dot\beta`, :math:`\dot R` - treatment coefficient and :math:`R^2` without
        controls.
    beta_long, r2_long : float
        :math:`\tilde\beta`, :math:`\tilde R` - with the controls (and fixed effects).
    r_max : float
    delta : float
        The :math:`\delta` used for ``beta_star``.
    beta_star : float
        Bias-adjusted coefficient for ``delta`` and ``r_max`` (the root chosen as psacalc).
    alternative_roots : tuple of float
        The other real solutions, ordered as psacalc's ``altsol1``, ``altsol2``.
    delta_for_beta : float
        :math:`\delta` at which the bias-adjusted coefficient equals ``beta`` (0 by default).
    beta : float
    sigma_yy, sigma_xx, tau_x : float
        Var(Y), Var(D) and the variance of D's residual on the controls, weighted when the data
        are (divisor n - 1; see :func:`oster_bounds`).
    n_obs : int
        Rows used.
    sample : EstimationSample
    data_label : str
    synthetic : bool
    weights : str
        ``"unweighted"`` or the design's weights label.
    """

    treatment: str
    beta_short: float
    r2_short: float
    beta_long: float
    r2_long: float
    r_max: float
    delta: float
    beta_star: float
    alternative_roots: tuple
    delta_for_beta: float
    beta: float
    sigma_yy: float
    sigma_xx: float
    tau_x: float
    n_obs: int
    sample: EstimationSample = field(repr=False)
    data_label: str = ""
    synthetic: bool = False
    weights: str = "unweighted"

    def table(self) -> pd.DataFrame:
        """Tidy one-row table of the inputs and outputs."""
        return pd.DataFrame(
            [
                {
                    "treatment": self.treatment,
                    "beta_short": self.beta_short,
                    "r2_short": self.r2_short,
                    "beta_long": self.beta_long,
                    "r2_long": self.r2_long,
                    "r_max": self.r_max,
                    "delta": self.delta,
                    "beta_star": self.beta_star,
                    "beta": self.beta,
                    "delta_for_beta": self.delta_for_beta,
                    "n_obs": self.n_obs,
                    "synthetic": self.synthetic,
                }
            ]
        )


@strict_keywords
def oster_delta(
    *, beta_short, beta_long, r2_short, r2_long, r_max, sigma_yy, sigma_xx, tau_x, beta=0.0
) -> float:
    r"""Oster's :math:`\delta` at which the bias-adjusted coefficient equals ``beta``.

    With :math:`b = \tilde\beta - \beta`, :math:`\Delta_0 = \dot\beta - \tilde\beta`,
    :math:`A = (\tilde R - \dot R)\sigma_{yy}`, :math:`M = (R_{max} - \tilde R)\sigma_{yy}`:

    .. math::
        \delta = \frac{bA\tau_x + b\sigma_{xx}\tau_x\Delta_0^2 + 2b^2\tau_x\Delta_0\sigma_{xx}
        + b^3(\tau_x\sigma_{xx} - \tau_x^2)}
        {M\Delta_0\sigma_{xx} + bM(\sigma_{xx} - \tau_x) + b^2\tau_x\Delta_0\sigma_{xx}
        + b^3(\tau_x\sigma_{xx} - \tau_x^2)}

    (Oster 2019, Proposition 2 / appendix; psacalc's ``bound``). All arguments keyword-only.

    Raises
    ------
    UnknownOptionError
        An argument that is not a finite number.
    DataError
        The denominator is 0 (no :math:`\delta` moves the coefficient to ``beta``).
    """
    beta_short, beta_long, r2_short, r2_long, r_max, sigma_yy, sigma_xx, tau_x, beta = (
        _real(name, v)
        for name, v in (
            ("beta_short", beta_short),
            ("beta_long", beta_long),
            ("r2_short", r2_short),
            ("r2_long", r2_long),
            ("r_max", r_max),
            ("sigma_yy", sigma_yy),
            ("sigma_xx", sigma_xx),
            ("tau_x", tau_x),
            ("beta", beta),
        )
    )
    b = beta_long - beta
    d0 = beta_short - beta_long
    a = (r2_long - r2_short) * sigma_yy
    m = (r_max - r2_long) * sigma_yy
    k = tau_x * sigma_xx - tau_x**2
    num = b * a * tau_x + b * sigma_xx * tau_x * d0**2 + 2 * b**2 * tau_x * d0 * sigma_xx
    num += b**3 * k
    den = m * d0 * sigma_xx + b * m * (sigma_xx - tau_x) + b**2 * tau_x * d0 * sigma_xx + b**3 * k
    if den == 0:
        raise DataError(
            "oster_delta: expected a non-zero denominator, found 0 (e.g. r_max equal to the "
            "controlled R^2 with beta_short == beta_long); delta is undefined"
        )
    return float(num / den)


def _oster_beta_roots(
    *, beta_short, beta_long, r2_short, r2_long, r_max, sigma_yy, sigma_xx, tau_x, delta
):
    """Real roots of Oster's equation for beta*, ordered as psacalc picks them."""
    d0 = beta_short - beta_long
    if abs(d0) <= 1e-12 * max(abs(beta_short), abs(beta_long)):
        # the coefficient does not move with the controls (to rounding): the sign of a
        # rounding-level d0 carries no information for psacalc's sign rule, and with d0 -> 0
        # one root runs off to infinity as 1/d0; take d0 = 0 exactly (beta* = beta_long)
        d0 = 0.0
    a = (r2_long - r2_short) * sigma_yy
    m = (r_max - r2_long) * sigma_yy
    k = tau_x * sigma_xx - tau_x**2
    # nu = beta_long - beta* solves (1-delta) k nu^3 + (2-delta) tau_x d0 sxx nu^2
    #   + (a tau_x + sxx tau_x d0^2 - delta m (sxx - tau_x)) nu - delta m d0 sxx = 0
    coef = [
        (1 - delta) * k,
        (2 - delta) * tau_x * d0 * sigma_xx,
        a * tau_x + sigma_xx * tau_x * d0**2 - delta * m * (sigma_xx - tau_x),
        -delta * m * d0 * sigma_xx,
    ]
    # quadratic (psacalc's d1quadsol); also for delta within 1e-8 of 1, where the cubic's
    # leading coefficient (1 - delta) k is rounding noise and the cubic formula blows up
    if abs(delta - 1) <= 1e-8:
        c2, c1, c0 = coef[1:]
        if c2 == 0:
            # beta_short == beta_long (d0 = 0): c2 = c0 = 0 and the equation is c1 nu = 0, so
            # nu = 0 and beta* = beta_long (psacalc divides by c2 = 0 and returns missing);
            # the limit d0 -> 0 of the root closest to beta_long
            if c1 == 0:
                raise DataError(
                    "oster_bounds: expected a determined beta* for delta = 1, found every value "
                    "a solution (beta_short == beta_long and a zero linear coefficient)"
                )
            nus = [-c0 / c1]
        else:
            # numerically stable roots q/c2 and c0/q (no cancellation when c2 is small)
            disc = c1 * c1 - 4 * c2 * c0
            sq = math.sqrt(max(disc, 0.0))
            qq = -0.5 * (c1 + math.copysign(sq, c1))
            nus = [qq / c2, c0 / qq] if qq != 0 else [0.0, 0.0]
    else:
        # psacalc: x^3 + A x^2 + B x + C; three real roots when R^2 - Q^3 < 0, else Cardano
        A, B, C = coef[1] / coef[0], coef[2] / coef[0], coef[3] / coef[0]
        Q = (A * A - 3 * B) / 9
        R = (2 * A**3 - 9 * A * B + 27 * C) / 54
        D = R * R - Q**3
        if D < 0:
            th = math.acos(R / math.sqrt(Q**3))
            nus = [
                -2 * math.sqrt(Q) * math.cos(th / 3) - A / 3,
                -2 * math.sqrt(Q) * math.cos((th + 2 * math.pi) / 3) - A / 3,
                -2 * math.sqrt(Q) * math.cos((th - 2 * math.pi) / 3) - A / 3,
            ]
        else:
            t1, t2 = -R + math.sqrt(D), -R - math.sqrt(D)
            nus = [
                math.copysign(abs(t1) ** (1 / 3), t1)
                + math.copysign(abs(t2) ** (1 / 3), t2)
                - A / 3
            ]
        # polish on the unscaled cubic: dividing by a small (1 - delta) k makes the closed form
        # lose digits near delta = 1 (Newton steps from the closed-form roots)
        dcoef = np.polyder(coef)
        for i, v in enumerate(nus):
            for _ in range(8):
                slope = np.polyval(dcoef, v)
                if slope == 0 or not math.isfinite(slope):
                    break
                v = v - np.polyval(coef, v) / slope
            nus[i] = float(v) if math.isfinite(v) else nus[i]
    betas = [beta_long - v for v in nus]
    # psacalc's choice: smallest squared distance to beta_long among roots whose bias has the
    # sign of (beta_long - beta_short) (Oster's assumption 3); the others follow by distance
    good = [np.sign(b - beta_long) == np.sign(-d0) for b in betas]
    dist = [(b - beta_long) ** 2 for b in betas]
    big = max(dist) + 1
    key = [dd if g else big + dd for dd, g in zip(dist, good, strict=True)]
    order = sorted(range(len(betas)), key=lambda i: key[i])
    return [betas[i] for i in order]


@strict_keywords
def oster_bounds(
    data,
    *,
    outcome: str,
    treatment: str,
    controls: list[str] | None = None,
    fixed_effects: list[str] | None = None,
    delta: float = 1.0,
    r_max: float | None = None,
    beta: float = 0.0,
    design: SurveyDesign | None = None,
    scale: str = "levels",
) -> OsterBounds:
    r"""Oster (2019) :math:`\delta` and bias-adjusted :math:`\beta^*`.

    The short regression :math:`Y \sim D` gives :math:`(\dot\beta, \dot R)`, the long one
    :math:`Y \sim D + X` (+ fixed effects, entered as dummies so that :math:`\tilde R` is the
    full :math:`R^2`, as ``areg``) gives :math:`(\tilde\beta, \tilde R)`, both on the same rows.
    :math:`\sigma_{yy} = \mathrm{Var}(Y)`, :math:`\sigma_{xx} = \mathrm{Var}(D)` and
    :math:`\tau_x = \mathrm{Var}(D - \hat D(X))` (divisor n - 1, as Stata's ``summarize``).

    **Weights.** With a weighted design every moment is weighted: the three regressions are
    WLS and their :math:`R^2` the weighted :math:`R^2`
    :math:`1 - \sum w e^2/\sum w (y - \bar y_w)^2` (as Stata ``reg [aw|pw]`` reports);
    :math:`\sigma_{yy}`, :math:`\sigma_{xx}` are weighted variances as Stata
    ``summarize [aw]`` (:math:`\frac{n}{n-1}\sum w(x-\bar x_w)^2/\sum w`; for ``fweight``
    :math:`\sum w(x-\bar x_w)^2/(\sum w - 1)`, the expanded data) and
    :math:`\tau_x = \sigma_{xx}(1 - R^2_{D\sim X})` with the weighted :math:`R^2`. The
    divisor does not matter: :math:`\delta` and :math:`\beta^*` are unchanged when the three
    variances are scaled by one factor. (psacalc weights the regressions but its
    ``summarize`` calls are unweighted; here the moments are consistent.) Integer frequency
    weights give the row-expanded data's result.

    **Coefficient that does not move** (:math:`\dot\beta = \tilde\beta`, to
    :math:`10^{-12}` relative): psacalc's :math:`\delta = 1` quadratic has a zero leading
    coefficient (psacalc divides by it and returns missing) and the sign rule is void; here
    :math:`\Delta_0` is set to 0, the equation is linear with root :math:`\nu = 0`, so
    :math:`\beta^* = \tilde\beta` and ``alternative_roots`` is empty (for
    :math:`\delta \ne 1`, :math:`\nu = 0` is a root of the cubic and the closest one). This is
    the limit of the root closest to :math:`\tilde\beta`; unobservables proportional to
    observables that do not move the coefficient do not move it either.
    :math:`\beta^*` solves :func:`oster_delta` (:math:`\beta^*`) :math:`= \delta`, a cubic in
    :math:`\nu = \tilde\beta - \beta^*` (a quadratic when :math:`\delta = 1`, or within
    :math:`10^{-8}` of 1), solved in closed
    form as Stata ``psacalc``. Root choice (psacalc): among the real roots, the one closest to
    :math:`\tilde\beta` whose bias :math:`\beta^* - \tilde\beta` has the sign of
    :math:`\tilde\beta - \dot\beta` (Oster's assumption 3); if none has it, the closest one;
    with one real root (Cardano case), that root. The others are in ``alternative_roots``.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
        Not modified; weighted when the design has weights.
    outcome, treatment : str
    controls : list of str
        Observed controls (at least one control or fixed effect); text columns as dummies.
    fixed_effects : list of str, optional
        Entered as dummies (``C(col)``); singletons are kept, as ``areg``.
    delta : float, default 1.0
        Relative selection on unobservables vs observables for :math:`\beta^*`.
    r_max : float, optional
        :math:`R_{max}` in :math:`(\tilde R, 1]`; default :math:`\min(1.3\tilde R, 1)` (Oster's
        suggestion, from randomised studies).
    beta : float, default 0.0
        The coefficient value at which :math:`\delta` is reported.
    design : SurveyDesign, optional
        Weights of any type (see **Weights**); PSU/strata only define the estimation sample.
    scale : {"levels", "log"}, default "levels"
        ``"log"`` analyses ``log(outcome)`` (as a column ``log_<outcome>``; zero or negative
        values raise :class:`~welfare.errors.OutcomeError`), the scale on which the package's
        premium estimators work by default; ``"levels"`` takes the outcome as given.

    Returns
    -------
    OsterBounds

    Raises
    ------
    OutcomeError, TreatmentError, MissingColumnError
        As :func:`cinelli_hazlett` (OutcomeError also for a constant outcome); TreatmentError
        also when the treatment is an exact linear function of the controls
        (:math:`\tau_x = 0`).
    DataError
        ``r_max`` not above :math:`\tilde R` (including the default when :math:`\tilde R = 1`),
        controls that do not change :math:`R^2`, or an undetermined :math:`\beta^*`.
    InvalidWeightError
        Non-positive or non-finite weights; non-integer frequency weights.
    UnknownOptionError
        No controls, bad options.

    References
    ----------
    Oster, E. (2019), JBES 37(2), 187-204, doi:10.1080/07350015.2016.1227711; Stata ``psacalc``
    (Oster, SSC).
    """
    delta = _real("delta", delta)
    beta = _real("beta", beta)
    inp = unpack(data, design)
    controls = as_columns("controls", controls)
    fixed_effects = as_columns("fixed_effects", fixed_effects)
    _check_roles(outcome, treatment, controls, fixed_effects)
    if not controls and not fixed_effects:
        raise UnknownOptionError(
            "controls: expected at least one control or fixed effect (the long regression), "
            "found none"
        )
    require_columns(inp.frame, [outcome, treatment] + controls + fixed_effects)
    frame, outcome = outcome_column(inp.frame, outcome, scale)
    sample = _sample(frame, inp.design, outcome, treatment, controls, fixed_effects)
    sub = frame.loc[sample.mask]
    _check_varies(sub, treatment)
    _check_outcome_varies(sub, outcome)
    terms = []
    if controls:
        terms.append(rhs_terms(controls, frame, "controls")[0])
    terms += [f"C({f})" for f in fixed_effects]
    rhs = " + ".join(terms)
    # weighted regressions (pweights as analytic weights: same coefficients and R^2)
    sdesign = _stats_design(inp.design)
    short = fit_ols(f"{outcome} ~ {treatment}", sub, design=sdesign, vcov="iid")
    long = fit_ols(f"{outcome} ~ {treatment} + {rhs}", sub, design=sdesign, vcov="iid")
    aux = fit_ols(f"{treatment} ~ {rhs}", sub, design=sdesign, vcov="iid")
    for r, what in ((long, "long regression"), (aux, "treatment regression")):
        _same_rows(short, r, len(sub), f"oster_bounds: {what}")
    if not np.asarray(short.sample.mask, dtype=bool).all():
        raise ImpossibleValueError(
            f"oster_bounds: the short regression used {short.sample.n_obs} rows, expected "
            f"{len(sub)}"
        )
    b_s = float(_row(short, treatment, "short regression")["estimate"])
    b_l = float(_row(long, treatment, "long regression")["estimate"])
    r_s, r_l = float(short.extra["r2"]), float(long.extra["r2"])
    y = sub[outcome].astype(float).to_numpy()
    d = sub[treatment].astype(float).to_numpy()
    w = None if inp.design.weights is None else sub[inp.design.weights].to_numpy(dtype=float)
    syy = _weighted_var(y, w, inp.design.weight_type)
    sxx = _weighted_var(d, w, inp.design.weight_type)
    tx = sxx * (1 - float(aux.extra["r2"]))
    if tx <= 1e-12 * sxx:
        raise TreatmentError(
            f"treatment {treatment!r}: expected variation left after the controls, found the "
            "treatment explained by them (tau_x = 0)"
        )
    if r_max is None:
        r_max = min(1.3 * r_l, 1.0)
    else:
        r_max = _real("r_max", r_max, low=0, high=1)
    if r_max <= r_l:
        raise DataError(
            f"r_max: expected a value above the controlled R^2 {r_l:.6g}, found {r_max:.6g}"
        )
    if abs(r_l - r_s) <= 1e-12:
        raise DataError(
            "controls: expected controls that change the R^2, found R^2 unchanged "
            f"({r_s:.6g}); Oster's bounds are undefined"
        )
    kw = dict(
        beta_short=b_s,
        beta_long=b_l,
        r2_short=r_s,
        r2_long=r_l,
        r_max=r_max,
        sigma_yy=syy,
        sigma_xx=sxx,
        tau_x=tx,
    )
    roots = _oster_beta_roots(delta=delta, **kw)
    return OsterBounds(
        treatment=treatment,
        beta_short=b_s,
        r2_short=r_s,
        beta_long=b_l,
        r2_long=r_l,
        r_max=float(r_max),
        delta=delta,
        beta_star=float(roots[0]),
        alternative_roots=tuple(float(r) for r in roots[1:]),
        delta_for_beta=oster_delta(beta=beta, **kw),
        beta=beta,
        sigma_yy=syy,
        sigma_xx=sxx,
        tau_x=tx,
        n_obs=sample.n_obs,
        sample=sample,
        data_label=inp.label,
        synthetic=inp.synthetic,
        weights=inp.design.weights_label,
    )


# --------------------------------------------------------------------------- Rosenbaum
@dataclass(frozen=True)
class RosenbaumBounds:
    """Rosenbaum bounds (returned by :func:`rosenbaum_bounds`).

    Attributes
    ----------
    table : pandas.DataFrame
        ``gamma, p_lower, p_upper`` - bounds on the one-sided p-value of the signed-rank test.
    statistic : float
        Wilcoxon signed-rank statistic :math:`T^+` (sum of ranks of positive differences).
    n_pairs : int
        Pairs used (non-zero differences).
    n_zero : int
        Pairs dropped because their difference is exactly 0 (counted, never silent).
    method : str
        ``"normal"`` or ``"exact"``.
    alternative : str
    """

    table: pd.DataFrame
    statistic: float
    n_pairs: int
    n_zero: int
    method: str
    alternative: str


def _exact_sf(scores2: np.ndarray, t2: int, p: float) -> float:
    """P(sum_i s_i B_i >= t2) with B_i ~ Bernoulli(p) independent; integer scores (DP)."""
    total = int(scores2.sum())
    dist = np.zeros(total + 1)
    dist[0] = 1.0
    for s in scores2.astype(int):
        new = dist * (1 - p)
        new[s:] += dist[: total + 1 - s] * p
        dist = new
    return float(min(1.0, dist[t2:].sum()))


@strict_keywords
def rosenbaum_bounds(
    differences,
    *,
    gamma=(1.0, 1.5, 2.0, 2.5, 3.0),
    method: str = "normal",
    alternative: str = "greater",
) -> RosenbaumBounds:
    r"""Rosenbaum (2002) sensitivity bounds for the Wilcoxon signed-rank test of matched pairs.

    For pair differences :math:`d_i` (treated minus control), zero differences are dropped (and
    counted), the :math:`|d_i|` ranked (average ranks for ties), and
    :math:`T^+ = \sum_i r_i 1[d_i > 0]`. Under hidden bias of at most :math:`\Gamma` the null
    distribution of :math:`T^+` is bounded by :math:`\sum_i r_i B_i` with independent
    :math:`B_i \sim \mathrm{Bernoulli}(p)`, :math:`p^+ = \Gamma/(1+\Gamma)` (upper bound) and
    :math:`p^- = 1/(1+\Gamma)` (lower bound) (Rosenbaum 2002, §4.3.3). ``"normal"`` uses
    :math:`E = p\sum r_i`, :math:`V = p(1-p)\sum r_i^2` and
    :math:`P = 1 - \Phi((T^+ - E)/\sqrt V)` without continuity correction, as R
    ``rbounds::psens`` (Keele 2010); ``"exact"`` sums the exact distribution (dynamic
    programming over integer scores :math:`2r_i`; :math:`O(n^3)` time, for small samples). At
    :math:`\Gamma = 1` and no ties the exact upper p-value is the exact one-sided signed-rank
    p-value (scipy ``wilcoxon(..., alternative="greater", method="exact")``).

    How to get pair differences: from a 1:1 matched sample, ``y_treated - y_matched_control``
    per pair. ``welfare.premium.nn_match`` / ``ps_match`` return estimates, not the matched
    pairs, so build the pairs with your own matching (or a future pair export) and pass the
    differences here.

    Parameters
    ----------
    differences : array_like, shape (n_pairs,)
        Treated-minus-control outcome differences; not modified. NaN/inf and arrays with more
        than one non-trivial dimension refused.
    gamma : float or sequence of float, default (1, 1.5, 2, 2.5, 3)
        Hidden-bias levels, each >= 1.
    method : {"normal", "exact"}, default "normal"
    alternative : {"greater", "less"}, default "greater"
        ``"less"`` tests a negative effect (the differences are negated).

    Returns
    -------
    RosenbaumBounds

    Raises
    ------
    ImpossibleValueError
        NaN or infinite differences, or a 2-d array (e.g. the two outcome columns).
    EmptySampleError
        No non-zero difference.
    UnknownOptionError
        Gamma below 1 or not finite, unknown method/alternative.

    References
    ----------
    Rosenbaum, P. R. (2002). *Observational Studies*, 2nd ed., Springer,
    doi:10.1007/978-1-4757-3692-2. Keele, L. (2010), rbounds (R package).
    """
    check_option("method", method, ("normal", "exact"))
    check_option("alternative", alternative, ("greater", "less"))
    gammas = [gamma] if isinstance(gamma, numbers.Real) else list(gamma)
    if not gammas:
        raise UnknownOptionError("gamma: expected at least one value >= 1, found none")
    gammas = [_real("gamma", g, low=1) for g in gammas]
    try:
        d = np.array(differences, dtype=float, copy=True)
    except (TypeError, ValueError) as exc:
        raise ImpossibleValueError(
            f"differences: expected numbers, found {type(differences).__name__} ({exc})"
        ) from None
    if sum(n > 1 for n in d.shape) > 1:
        raise ImpossibleValueError(
            f"differences: expected a 1-d array of pair differences, found shape {d.shape} "
            "(pass treated minus control, not the two columns)"
        )
    d = d.reshape(-1)
    bad = int((~np.isfinite(d)).sum())
    if bad:
        raise ImpossibleValueError(
            f"differences: expected finite pair differences, found {bad} NaN/inf of {d.size}"
        )
    if alternative == "less":
        d = -d
    n_zero = int((d == 0).sum())
    d = d[d != 0]
    if d.size == 0:
        raise EmptySampleError(
            f"differences: expected at least one non-zero pair difference, found {n_zero} zeros"
        )
    r = stats.rankdata(np.abs(d), method="average")
    tplus = float(r[d > 0].sum())
    rows = []
    for g in gammas:
        pp, pm = g / (1 + g), 1 / (1 + g)
        if method == "normal":
            sr, sr2 = r.sum(), (r**2).sum()
            up = float(stats.norm.sf((tplus - pp * sr) / math.sqrt(pp * (1 - pp) * sr2)))
            lo = float(stats.norm.sf((tplus - pm * sr) / math.sqrt(pm * (1 - pm) * sr2)))
        else:
            s2 = np.rint(2 * r).astype(int)
            t2 = int(round(2 * tplus))
            up, lo = _exact_sf(s2, t2, pp), _exact_sf(s2, t2, pm)
        rows.append({"gamma": g, "p_lower": lo, "p_upper": up})
    return RosenbaumBounds(
        table=pd.DataFrame(rows, columns=["gamma", "p_lower", "p_upper"]),
        statistic=tplus,
        n_pairs=int(d.size),
        n_zero=n_zero,
        method=method,
        alternative=alternative,
    )
