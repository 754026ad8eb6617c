"""The one-call robustness table: one premium, one estimation sample, ten estimators.

:func:`robustness_table` estimates the premium of a binary participation ``d`` on an outcome
``y`` (log points by default) with the estimators of :mod:`welfare.premium`, all on ONE
estimation sample: the complete cases over every column any of them uses (outcome, treatment,
controls, propensity covariates, fixed effects, weights, PSUs, strata), with the rows left out
counted by reason. Every estimator then receives that same frame, so a row of the table is
exactly what the individual function returns on it (the tests check this to the last bit; the
forest fits its trees on one thread, since econml's parallel fits with sample weights differed in
the last digit from call to call).

Rows (keys of ``estimators``; estimand in brackets):

* ``raw``: raw difference in weighted (log) means, :func:`welfare.premium.raw_gap` [none];
* ``ols``: OLS with controls, each centred and interacted with d,
  :func:`welfare.premium.ols_premium` [ATE];
* ``ols_fe``: the same with absorbed fixed effects (villages) [ATE];
* ``ps_match``: 1-NN propensity-score matching, :func:`welfare.premium.ps_match` [ATE/ATT];
* ``nn_match``: bias-adjusted Mahalanobis matching, :func:`welfare.premium.nn_match`
  [ATE/ATT];
* ``ipw``: normalised IPW, :func:`welfare.premium.ipw` [ATE/ATT];
* ``aipw``: augmented IPW, :func:`welfare.premium.aipw` [ATE/ATT];
* ``dml_plr``: DML, partially linear model, :func:`welfare.premium.dml_plr` [PLR];
* ``dml_irm``: DML, interactive model (AIPW score), :func:`welfare.premium.dml_irm`
  [ATE/ATT];
* ``causal_forest``: econml causal forest, :func:`welfare.premium.causal_forest` [ATE].

With ``interact=True`` (default) the OLS rows include ``d (x - xbar)`` for every control, so
their treatment coefficient is the ATE under linear effect heterogeneity (Wooldridge 2010,
§21.3.3); the PLR coefficient is a variance-weighted average of the units' effects
(Robinson 1988), not the ATE, and is labelled so.

Diagnostics per row: ``max_abs_smd`` is the largest absolute standardised mean difference of
the controls (categorical ones as level dummies) after the estimator's implied weights,
``SMD = (m_1 - m_0) / sqrt((s2_1 + s2_0) / 2)`` with the unadjusted pooled SD (Austin 2009,
:func:`welfare.premium.balance`); for the raw difference it is the unadjusted imbalance. It is
not defined for OLS, DML and the forest (no implied weights). ``share_trimmed`` is the share of
the estimation sample whose propensity score fell outside the overlap bounds (trimmed, or
clipped for the DML IRM - its rule is named in the notes) and, for OLS with fixed effects,
singletons dropped; it is empty (NaN) for rows without such a rule (raw difference, OLS,
covariate matching, DML PLR, forest). ``propensity_auc`` is the weighted area under the ROC curve of the
propensity model (in-sample logit for IPW/AIPW/PS matching; out-of-fold learner for DML), and
``learner_fit`` lists the out-of-fold R^2 / log-loss / AUC of every DML nuisance learner.

Defaults chosen to keep the call fast (2-4 s on the 1,073-household twin and on the 445 NSW
men, 2 cores): DML with 5-fold cross-fitting, one repetition, whole villages in one fold,
linear learners (OLS, and logistic regression with the Newton solver); the causal forest with
200 trees, leaves of at least 5 and the same linear nuisance learners. Pass
``learner_outcome`` / ``learner_propensity`` (scikit-learn estimators) for flexible learners;
they are cloned for every fit.

References
----------
Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline covariates
between treatment groups in propensity-score matched samples. *Statistics in Medicine* 28(25),
3083-3107. doi:10.1002/sim.3697
Chernozhukov, V. et al. (2018). Double/debiased machine learning for treatment and structural
parameters. *The Econometrics Journal* 21(1), C1-C68. doi:10.1111/ectj.12097
Imbens, G. W. (2015). Matching methods in practice: three examples. *Journal of Human
Resources* 50(2), 373-419. doi:10.3368/jhr.50.2.373
Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, 2nd ed.,
ch. 21. MIT Press.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from welfare._estimation import check_names, prepare, unpack
from welfare._options import as_columns, check_option, strict_keywords
from welfare._parallel import check_n_jobs, parallel_map
from welfare.data.design import SurveyDesign
from welfare.data.sample import EstimationSample, require_columns
from welfare.data.validate import check_binary
from welfare.errors import DataError, UnknownOptionError
from welfare.inference.results import Results

__all__ = ["robustness_table", "RobustnessTable", "ESTIMATORS", "common_sample"]

#: Row keys and their display labels, in table order.
ESTIMATORS: Mapping[str, str] = MappingProxyType(
    {
        "raw": "Raw difference",
        "ols": "OLS with controls",
        "ols_fe": "OLS with fixed effects",
        "ps_match": "PS matching (1-NN)",
        "nn_match": "NN matching, bias-adjusted",
        "ipw": "IPW",
        "aipw": "AIPW",
        "dml_plr": "DML PLR",
        "dml_irm": "DML IRM",
        "causal_forest": "Causal forest",
    }
)

FRAME_COLUMNS = [
    "key",
    "estimator",
    "estimand",
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "reference",
    "n_obs",
    "n_clusters",
    "max_abs_smd",
    "share_trimmed",
    "propensity_auc",
    "learner_fit",
    "truth",
    "notes",
]

#: Causal-forest trees and leaf size used by default (see the module docstring).
FOREST_TREES = 200
FOREST_MIN_LEAF = 5
DML_FOLDS = 5
DEFAULT_SEED = 20190601


# ---------------------------------------------------------------- the one estimation sample
@dataclass(frozen=True)
class CommonSample:
    """The estimation sample shared by every estimate, and the data restricted to it.

    Attributes
    ----------
    data : pandas.DataFrame or SurveyData
        The caller's data restricted to the sample (a copy; same design, label and row labels).
    design : SurveyDesign or None
        The design to pass along with a DataFrame (``None`` for SurveyData, which carries it).
    sample : EstimationSample
        Rows of the caller's data used and left out by reason.
    frame : pandas.DataFrame
        The restricted rows (a copy).
    synthetic : bool
    label : str
    """

    data: Any
    design: SurveyDesign | None
    sample: EstimationSample
    frame: pd.DataFrame
    synthetic: bool
    label: str


def _check_roles(
    outcome: str, treatment: str, controls: list[str], others: Mapping[str, list[str]]
) -> None:
    """Refuse a specification that uses the outcome or the treatment as a regressor."""
    if not isinstance(outcome, str) or not isinstance(treatment, str):
        raise UnknownOptionError(
            f"outcome and treatment: expected column names (str), found {outcome!r}, {treatment!r}"
        )
    if outcome == treatment:
        raise DataError(
            f"outcome {outcome!r} is the treatment: expected an outcome different from the "
            "treatment column"
        )
    for role, cols in {"controls": controls, **others}.items():
        bad = [c for c in cols if c in (outcome, treatment)]
        if bad:
            raise DataError(
                f"{role} include the {'treatment' if bad[0] == treatment else 'outcome'} "
                f"{bad[0]!r}: expected {role} other than the outcome {outcome!r} and the "
                f"treatment {treatment!r}"
            )


@strict_keywords
def common_sample(
    data,
    *,
    outcome: str,
    treatment: str,
    columns: Mapping[str, list[str]],
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    scale: str = "log",
) -> CommonSample:
    """Complete cases over every column any estimate uses, counted by reason.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
        Not modified.
    outcome, treatment : str
    columns : mapping of role to list of str
        Further columns by role (e.g. ``{"control": [...], "fixed effect": [...]}``); the design
        columns (weights, PSU/cluster, strata) are always added.
    design : SurveyDesign, optional
    cluster : str, optional
    scale : {"log", "levels"}
        ``"log"`` refuses zero or negative outcomes in the sample
        (:class:`~welfare.errors.OutcomeError`, never a silent drop).

    Returns
    -------
    CommonSample

    Raises
    ------
    MissingColumnError, TreatmentError, OutcomeError, EmptySampleError, DesignError
    """
    from welfare.data.readers import SurveyData
    from welfare.premium._common import outcome_column

    check_option("scale", scale, ("log", "levels"))
    inp = unpack(data, design)
    cols = [outcome, treatment] + [c for cs in columns.values() for c in cs]
    require_columns(inp.frame, cols)
    check_names(cols)
    check_binary(inp.frame, treatment, role="treatment")
    roles = [("outcome", [outcome]), ("treatment", [treatment])]
    seen = {outcome, treatment}
    for role, cs in columns.items():
        new = [c for c in dict.fromkeys(cs) if c not in seen]
        seen.update(new)
        if new:
            roles.append((role, new))
    sample = prepare(inp.frame, inp.design, roles, cluster)
    frame = inp.frame.loc[sample.mask].copy()
    frame.attrs = dict(inp.frame.attrs)
    outcome_column(frame, outcome, scale)  # raises OutcomeError for logs of non-positive values
    if isinstance(data, SurveyData):
        sub = SurveyData(
            data=frame,
            design=data.design,
            codebook=data.codebook,
            label=data.label,
            synthetic=data.synthetic,
            sha256=data.sha256,
            report=data.report,
        )
        passed_design = None
    else:
        sub, passed_design = frame, design
    return CommonSample(
        data=sub,
        design=passed_design,
        sample=sample,
        frame=frame,
        synthetic=inp.synthetic,
        label=inp.label,
    )


# ---------------------------------------------------------------- the table object
@dataclass(frozen=True)
class RobustnessTable:
    """The premium by every estimator on one estimation sample.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per estimator: ``key, estimator, estimand, term, estimate, std_error,
        statistic, p_value, conf_low, conf_high, reference (z or t(df)), n_obs, n_clusters,
        max_abs_smd, share_trimmed, propensity_auc, learner_fit, truth, notes``.
    results : mapping of str to Results
        The underlying results per row key (read-only mapping).
    sample : EstimationSample
        The one estimation sample (rows of the caller's data used, dropped by reason).
    outcome, treatment : str
    scale : str
    truth : mapping of str to float or None
        Known effect per estimand (a synthetic twin's), shown in the table and the plot.
    synthetic : bool
    data_label : str
    options : mapping
        The options of the call (controls, propensity, fixed effects, seed, learners...).
    """

    frame: pd.DataFrame
    results: Mapping[str, Results]
    sample: EstimationSample
    outcome: str
    treatment: str
    scale: str
    truth: Mapping[str, float] | None
    synthetic: bool
    data_label: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        """Unit of the estimates (``"log points"`` or ``"levels of <outcome>"``)."""
        return "log points" if self.scale == "log" else f"levels of {self.outcome}"

    def table(self, *, title: str | None = None, digits: int = 3):
        """Return the formatted :class:`welfare.report.Table` (markdown, LaTeX, HTML, CSV)."""
        from welfare.report.tables import frame_table

        f = self.frame
        shown = pd.DataFrame(
            {
                "estimator": f["estimator"],
                "estimand": f["estimand"],
                "estimate": f["estimate"],
                "SE": f["std_error"],
                "95% CI": [
                    f"[{lo:.{digits}f}, {hi:.{digits}f}]"
                    for lo, hi in zip(f["conf_low"], f["conf_high"], strict=True)
                ],
                "N": f["n_obs"],
                "clusters": [("" if pd.isna(g) else int(g)) for g in f["n_clusters"]],
                "max abs SMD": f["max_abs_smd"],
                "share trimmed": f["share_trimmed"],
                "PS AUC": f["propensity_auc"],
            }
        )
        if self.truth is not None:
            shown["truth"] = f["truth"]
        opts = self.options
        notes = [
            f"Outcome {self.outcome!r} ({self.unit}); treatment {self.treatment!r}. "
            f"One estimation sample for every row: {self.sample.describe()}.",
            f"Controls: {', '.join(opts['controls'])}; propensity covariates: "
            f"{', '.join(opts['propensity'])}; fixed effects: "
            f"{', '.join(opts['fixed_effects']) or 'none'}"
            + (
                "; OLS rows interact every control (centred) with the treatment"
                if opts["interact"]
                else ""
            )
            + ".",
            "max abs SMD: largest absolute standardised mean difference of the controls after the "
            "estimator's implied weights (raw difference: before adjustment); PS AUC: weighted "
            "ROC area of the propensity model (in-sample logit; out-of-fold for DML).",
            f"DML: {opts['n_folds']}-fold cross-fitting, learners {opts['learners']}; causal "
            f"forest: {opts['forest_trees']} trees; random_state {opts['random_state']}.",
        ]
        notes += [f"{k}: {n}" for k, n in zip(f["estimator"], f["notes"], strict=True) if n]
        if self.truth is not None:
            notes.append(
                "truth: the synthetic twin's true effect for the row's estimand "
                "(the PLR and raw-difference rows have none)."
            )
        digits_map = {
            c: digits
            for c in ("estimate", "SE", "max abs SMD", "share trimmed", "PS AUC", "truth")
            if c in shown
        }
        return frame_table(
            shown,
            title=title
            or f"Robustness of the participation premium ({self.unit}) across estimators",
            synthetic=self.synthetic,
            data_label=self.data_label,
            index="estimator",
            digits=digits_map,
            notes=notes,
        )

    def to_markdown(self, *, title: str | None = None, digits: int = 3) -> str:
        """Markdown table with notes."""
        return self.table(title=title, digits=digits).to_markdown()

    def to_latex(self, *, title: str | None = None, digits: int = 3) -> str:
        """LaTeX table with notes."""
        return self.table(title=title, digits=digits).to_latex()

    def to_html(self, *, title: str | None = None, digits: int = 3) -> str:
        """HTML table with notes."""
        return self.table(title=title, digits=digits).to_html()

    def plot(
        self,
        path: str | Path,
        *,
        truth: float | Mapping[str, float] | None = None,
        title: str | None = None,
    ) -> Path:
        """Coefficient plot: one estimate with its 95% CI per row, and the truth as a line.

        Parameters
        ----------
        path : str or pathlib.Path
            PNG file to write.
        truth : float or mapping of estimand to float, optional
            Known effect drawn as a dashed vertical line (a mapping draws one line per
            estimand present, e.g. ``{"ATE": 0.33, "ATT": 0.39}``); default the table's truth.
        title : str, optional

        Returns
        -------
        pathlib.Path
        """
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        import seaborn as sns

        from welfare.report.figures import _finish

        lines = _truth_map(truth) if truth is not None else dict(self.truth or {})
        f = self.frame
        lines = {k: v for k, v in lines.items() if k in set(f["estimand"])}
        sns.set_theme(style="whitegrid")
        fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(f) + 1.8))
        pos = np.arange(len(f))
        ax.errorbar(
            f["estimate"],
            pos,
            xerr=[f["estimate"] - f["conf_low"], f["conf_high"] - f["estimate"]],
            fmt="o",
            color="C0",
            capsize=3,
        )
        ax.axvline(0, color="grey", lw=1)
        styles = ["--", ":", "-."]
        for i, (name, value) in enumerate(lines.items()):
            ax.axvline(value, color="firebrick", lw=1.5, ls=styles[i % 3], label=f"truth ({name})")
        ax.set_yticks(
            pos, [f"{e} [{t}]" for e, t in zip(f["estimator"], f["estimand"], strict=True)]
        )
        ax.invert_yaxis()
        ax.set_xlabel(f"premium ({self.unit}, 95% CI)")
        if lines:
            ax.legend(fontsize=8, loc="best")
        return _finish(
            fig,
            ax,
            title or f"Participation premium by estimator ({self.unit})",
            self.synthetic,
            path,
        )


def _truth_map(truth) -> dict[str, float]:
    if truth is None:
        return {}
    if isinstance(truth, numbers.Real) and not isinstance(truth, bool):
        return {"ATE": float(truth)}
    if isinstance(truth, Mapping):
        bad = [k for k in truth if k not in ("ATE", "ATT")]
        vals = list(truth.values())
        if bad or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in vals):
            raise UnknownOptionError(
                "truth: expected a number (the ATE) or a mapping of 'ATE'/'ATT' to numbers, "
                f"found {dict(truth)!r}"
            )
        return {k: float(v) for k, v in truth.items()}
    raise UnknownOptionError(
        f"truth: expected a number or a mapping of 'ATE'/'ATT' to numbers, found {truth!r}"
    )


# ---------------------------------------------------------------- diagnostics
def _weighted_auc(score: np.ndarray, d: np.ndarray, w: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(d, score, sample_weight=w))


def _balance_max(res, controls: list[str]) -> float:
    from welfare.premium import balance

    tab = balance(res, covariates=controls)
    col = "smd_after" if "smd_after" in tab else "smd_before"
    return float(tab[col].abs().max())


def _raw_smd(frame: pd.DataFrame, treatment: str, controls: list[str], weights) -> float:
    """Largest unadjusted |SMD| of the controls (level dummies for categorical ones)."""
    d = frame[treatment].to_numpy(dtype=float)
    w = frame[weights].to_numpy(dtype=float) if weights else np.ones(len(frame))
    out = 0.0
    for c in controls:
        col = frame[c]
        if isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col):
            levels = (
                list(col.cat.categories)
                if isinstance(col.dtype, pd.CategoricalDtype)
                else sorted(col.dropna().unique())
            )
            xs = [(col == lev).to_numpy(dtype=float) for lev in levels]
        else:
            xs = [col.to_numpy(dtype=float)]
        for x in xs:
            st = []
            for k in (1, 0):
                wk, xk = w[d == k], x[d == k]
                m = np.sum(wk * xk) / np.sum(wk)
                st.append((m, np.sum(wk * (xk - m) ** 2) / np.sum(wk)))
            sd = np.sqrt((st[0][1] + st[1][1]) / 2)
            if sd > 0:
                out = max(out, abs(st[0][0] - st[1][0]) / sd)
            elif st[0][0] != st[1][0]:
                out = np.inf
    return float(out)


def _learner_fit(res) -> tuple[float, str]:
    diag = res.extra.get("learner_diagnostics", {})
    parts, auc = [], np.nan
    for name, vals in diag.items():
        parts.append(
            f"{name.split(' =')[0]}: " + ", ".join(f"{k} {v:.3f}" for k, v in vals.items())
        )
        if "auc" in vals:
            auc = float(vals["auc"])
    return auc, "; ".join(parts)


# ---------------------------------------------------------------- the call
@strict_keywords
def robustness_table(
    data,
    *,
    treatment: str,
    outcome: str,
    controls: list[str],
    fixed_effects: list[str] | tuple[str, ...] = ("village_id",),
    propensity: list[str] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    estimators: list[str] | tuple[str, ...] | None = None,
    estimand: str = "ATE",
    scale: str = "log",
    interact: bool = True,
    overlap: str = "error",
    learner_outcome=None,
    learner_propensity=None,
    n_folds: int = DML_FOLDS,
    forest_trees: int = FOREST_TREES,
    random_state: int = DEFAULT_SEED,
    truth: float | Mapping[str, float] | None = None,
    n_jobs: int | None = 1,
) -> RobustnessTable:
    """Estimate one participation premium by up to ten estimators on one estimation sample.

    The estimation sample is the complete cases over the outcome, the treatment, the
    controls, the propensity covariates, the fixed effects and the design columns (counted by
    reason in ``.sample``); every estimator gets exactly those rows. Each row equals the
    individual :mod:`welfare.premium` function called on them with the options below.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    treatment : str
        0/1 participation column (e.g. ``"e_household"``).
    outcome : str
        Outcome in levels (e.g. ``"income_pc"``); analysed in logs with ``scale="log"``.
    controls : list of str
        Pre-treatment covariates: OLS controls, outcome-model, matching and DML covariates
        (text/categorical columns as dummies).
    fixed_effects : list of str, default ("village_id",)
        Absorbed in the ``ols_fe`` row only (the other estimators cannot absorb them). Empty:
        the ``ols_fe`` row is left out of the default set (requesting it raises).
    propensity : list of str, optional
        Propensity-model covariates of IPW, AIPW and PS matching (default ``controls``).
    design : SurveyDesign, optional
        Weights, PSUs and strata; every estimator's variance follows it (clustered by village
        for the twin). SurveyData carries its own design.
    cluster : str, optional
        Cluster column when there is no design PSU.
    estimators : list of str, optional
        Row keys among ``raw, ols, ols_fe, ps_match, nn_match, ipw, aipw, dml_plr, dml_irm,
        causal_forest`` (default all; without fixed effects all but ``ols_fe``).
    estimand : {"ATE", "ATT"}, default "ATE"
        Target of the matching, weighting and DML IRM rows (the OLS rows with ``interact``
        and the forest estimate the ATE; PLR its variance-weighted effect).
    scale : {"log", "levels"}, default "log"
        ``"log"`` analyses log(outcome) (effects in log points); ``"levels"`` keeps levels.
    interact : bool, default True
        Interact every control (centred at its weighted sample mean) with the treatment in
        the OLS rows, so their coefficient is the ATE under linear heterogeneity.
    overlap : {"error", "trim", "clip"}, default "error"
        Overlap rule of IPW, AIPW and PS matching (bounds: their defaults, see
        :func:`welfare.premium.ipw`). The DML IRM always clips its cross-fitted scores to
        [0.01, 0.99] (its default).
    learner_outcome, learner_propensity : scikit-learn estimators, optional
        DML and forest nuisance learners (a regressor and a classifier). Default
        ``LinearRegression()`` and ``LogisticRegression(solver="newton-cholesky",
        max_iter=1000)`` (Newton steps converge in a few iterations whatever the scale of the
        covariates; L-BFGS needed thousands on unscaled earnings, about 35 s for the NSW rows).
    n_folds : int, default 5
        DML and forest cross-fitting folds (whole clusters in one fold).
    forest_trees : int, default 200
        Trees of the causal forest (rounded up to a multiple of 4).
    random_state : int, default 20190601
        Seeds the DML folds and learners and the forest.
    truth : float or mapping, optional
        Known effect (``{"ATE": .., "ATT": ..}``, a float means the ATE), e.g.
        ``taobao_village_survey().truth["ate_log"]``; shown in the table and the plot.
    n_jobs : int or None, default 1
        Workers for the rows (each estimator is one task; joblib, ``-1``: one per CPU). The
        table is identical for any value: every row draws from its own seed and runs with one
        BLAS thread (:func:`welfare._parallel.parallel_map`).

    Returns
    -------
    RobustnessTable
        ``.frame`` (one row per estimator), ``.results``, ``.sample``, ``.to_markdown()``,
        ``.to_latex()``, ``.to_html()``, ``.plot(path)``.

    Raises
    ------
    DataError
        The controls, propensity covariates or fixed effects include the treatment or the
        outcome; the outcome is the treatment.
    UnknownOptionError
        An unknown or repeated estimator key, ``ols_fe`` without fixed effects, a bad option
        value.
    MissingColumnError, TreatmentError, OutcomeError, EmptySampleError, OverlapError,
    CollinearityError, VarianceError, DesignError
        From the sample or an estimator (its message names it).

    Notes
    -----
    Row estimates, with ``y`` the (log) outcome, ``d`` the treatment, ``x`` the controls,
    ``w`` the survey weights:

    * raw: ``sum w d y / sum w d - sum w (1-d) y / sum w (1-d)`` (not causal);
    * ols / ols_fe: ``tau`` in ``y = a [+ a_v] + tau d + x'g + d (x - xbar)'delta + e``;
    * matching, IPW, AIPW, DML IRM: ``E[y(1) - y(0)]`` over the estimand's population;
    * DML PLR: ``theta = sum w v (y - l) / sum w v^2``, ``v = d - m(x)`` (Robinson 1988,
      doi:10.2307/1912705);
    * forest: the (weighted) mean of econml's doubly robust scores (Athey, Tibshirani & Wager
      2019, doi:10.1214/18-AOS1709; :func:`welfare.premium.causal_forest`).

    Examples
    --------
    >>> from welfare.datasets import taobao_village_survey
    >>> twin = taobao_village_survey()                      # SYNTHETIC
    >>> x = ["head_age", "head_female", "head_edu", "head_urban_work",
    ...      "head_ecom_knowledge", "hh_size", "hh_labour", "land_mu"]
    >>> tab = robustness_table(twin.survey, treatment="e_household", outcome="income_pc",
    ...                        controls=x, truth=twin.truth["ate_log"])  # doctest: +SKIP
    >>> print(tab.to_markdown())                            # doctest: +SKIP
    """
    check_option("estimand", estimand, ("ATE", "ATT"))
    check_option("scale", scale, ("log", "levels"))
    check_option("interact", interact, (True, False))
    check_option("overlap", overlap, ("error", "trim", "clip"))
    controls = as_columns("controls", controls)
    if not controls:
        raise UnknownOptionError("controls: expected at least one control column, found none")
    fixed_effects = as_columns("fixed_effects", fixed_effects)
    propensity = as_columns("propensity", propensity) if propensity is not None else controls
    if not propensity:
        raise UnknownOptionError("propensity: expected at least one covariate, found none")
    _check_roles(
        outcome,
        treatment,
        controls,
        {"propensity covariates": propensity, "fixed effects": fixed_effects},
    )
    if estimators is None:
        keys = [k for k in ESTIMATORS if fixed_effects or k != "ols_fe"]
    else:
        keys = as_columns("estimators", estimators)
        for k in keys:
            check_option("estimators", k, list(ESTIMATORS))
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise UnknownOptionError(f"estimators: expected each key once, found {dup} repeated")
        if not keys:
            raise UnknownOptionError("estimators: expected at least one key, found none")
    if "ols_fe" in keys and not fixed_effects:
        raise UnknownOptionError(
            "estimators: 'ols_fe' expected fixed_effects (e.g. ['village_id']), found none"
        )
    for name, v, lo in (("n_folds", n_folds, 2), ("forest_trees", forest_trees, 4)):
        if not (isinstance(v, int) and not isinstance(v, bool) and v >= lo):
            raise UnknownOptionError(f"{name}: expected an integer >= {lo}, found {v!r}")
    if not (
        isinstance(random_state, int) and not isinstance(random_state, bool) and random_state >= 0
    ):
        raise UnknownOptionError(
            f"random_state: expected a non-negative integer seed, found {random_state!r}"
        )
    check_n_jobs(n_jobs)
    truth_map = _truth_map(truth) if truth is not None else None
    reg, cls = _learners(learner_outcome, learner_propensity)
    cs = common_sample(
        data,
        outcome=outcome,
        treatment=treatment,
        columns={
            "control": controls,
            "propensity covariate": propensity,
            "fixed effect": fixed_effects,
        },
        design=design,
        cluster=cluster,
        scale=scale,
    )
    n_common = cs.sample.n_obs
    weights = unpack(cs.data, cs.design).design.weights
    fits = _fits(
        cs,
        outcome=outcome,
        treatment=treatment,
        controls=controls,
        propensity=propensity,
        fixed_effects=fixed_effects,
        cluster=cluster,
        estimand=estimand,
        scale=scale,
        interact=interact,
        overlap=overlap,
        learner_outcome=reg,
        learner_propensity=cls,
        n_folds=n_folds,
        forest_trees=forest_trees,
        random_state=random_state,
    )
    rows, results = [], {}
    fitted = parallel_map(lambda key: fits[key](), keys, n_jobs=n_jobs)
    for key, (res, term, target) in zip(keys, fitted, strict=True):
        results[key] = res
        stats = term_stats(res, term)
        notes = []
        smd = auc = np.nan
        # share of the common sample trimmed/clipped: only where a rule can remove units
        trimmed = 0.0 if key in ("ps_match", "ipw", "aipw", "dml_irm", "ols_fe") else np.nan
        fit_txt = ""
        if key == "raw":
            smd = _raw_smd(cs.frame, treatment, controls, weights)
            notes.append(
                "descriptive difference in weighted means, not a causal effect; max "
                "abs SMD before adjustment"
            )
        if key in ("ps_match", "nn_match", "ipw", "aipw"):
            smd = _balance_max(res, controls)
        if key in ("ps_match", "nn_match") and weights is not None:
            notes.append(
                "donors are chosen whatever their sampling weight: the imputed outcomes are "
                "conditional means of the sample (see welfare.premium.matching)"
            )
        if key in ("ps_match", "ipw", "aipw"):
            from welfare.premium import propensity_overlap

            ov = propensity_overlap(res)
            auc = _weighted_auc(
                ov["score"].to_numpy(), ov["treated"].to_numpy(), ov["weight"].to_numpy()
            )
            o = res.extra["overlap"]
            if o["rule"] == "trim":
                trimmed = (o["n_below"] + o["n_above"]) / n_common
            elif o["rule"] == "clip":
                trimmed = (o["n_below"] + o["n_above"]) / n_common
                notes.append("share trimmed: scores clipped, not dropped")
        if key in ("dml_plr", "dml_irm"):
            auc, fit_txt = _learner_fit(res)
            if key == "dml_plr":
                auc = np.nan if not _is_classifier(cls) else auc
            if key == "dml_irm":
                o = res.extra["overlap"]
                trimmed = (o["n_below"] + o["n_above"]) / n_common
                notes.append(
                    f"cross-fitted propensity scores clipped to [{o['bounds'][0]:g}, "
                    f"{o['bounds'][1]:g}]: {o['n_below'] + o['n_above']} units"
                )
        if key == "dml_plr":
            notes.append("PLR: a variance-weighted average of the units' effects, not the ATE")
        if key == "causal_forest":
            notes.append(
                "mean of econml's doubly robust scores"
                + (", with the sampling weights" if weights is not None else "")
                + "; SE with the nuisances and the forest held fixed"
            )
        if res.n_obs != n_common:
            dropped = [
                f"{r}: {n}" for r, n in res.sample.dropped if (r, n) not in cs.sample.dropped
            ]
            notes.append(f"N {res.n_obs} of the common {n_common} (" + "; ".join(dropped) + ")")
            if key == "ols_fe":
                trimmed = (n_common - res.n_obs) / n_common
        ref = "z" if res.df is None else f"t({res.df})"
        rows.append(
            {
                "key": key,
                "estimator": ESTIMATORS[key],
                "estimand": target,
                "term": term,
                **stats,
                "reference": ref,
                "n_obs": int(res.n_obs),
                "n_clusters": res.vcov_spec.n_clusters,
                "max_abs_smd": smd,
                "share_trimmed": trimmed,
                "propensity_auc": auc,
                "learner_fit": fit_txt,
                "truth": (truth_map or {}).get(target, np.nan),
                "notes": "; ".join(notes),
            }
        )
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    frame["n_clusters"] = frame["n_clusters"].astype("Int64")
    frame.attrs = {"synthetic": cs.synthetic, "data_label": cs.label}
    return RobustnessTable(
        frame=frame,
        results=MappingProxyType(results),
        sample=cs.sample,
        outcome=outcome,
        treatment=treatment,
        scale=scale,
        truth=MappingProxyType(truth_map) if truth_map is not None else None,
        synthetic=cs.synthetic,
        data_label=cs.label,
        options=MappingProxyType(
            {
                "controls": tuple(controls),
                "propensity": tuple(propensity),
                "fixed_effects": tuple(fixed_effects),
                "estimators": tuple(keys),
                "estimand": estimand,
                "interact": interact,
                "overlap": overlap,
                "n_folds": n_folds,
                "forest_trees": int(np.ceil(forest_trees / 4) * 4),
                "learners": f"{reg!r} / {cls!r}",
                "random_state": random_state,
            }
        ),
    )


def term_stats(res: Results, term: str, alpha: float = 0.05) -> dict[str, float]:
    """Estimate, SE, statistic, p-value and (1 - alpha) interval of one term, as floats."""
    t = res.tidy(alpha).set_index("term").loc[term]
    cols = ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")
    return {c: float(t[c]) for c in cols}


def _is_classifier(learner) -> bool:
    return hasattr(learner, "predict_proba")


def _learners(learner_outcome, learner_propensity):
    from sklearn.base import clone
    from sklearn.linear_model import LinearRegression, LogisticRegression

    reg = LinearRegression() if learner_outcome is None else learner_outcome
    cls = (
        LogisticRegression(solver="newton-cholesky", max_iter=1000)
        if learner_propensity is None
        else learner_propensity
    )
    for role, lrn in (("learner_outcome", reg), ("learner_propensity", cls)):
        if not (hasattr(lrn, "fit") and hasattr(lrn, "get_params")):
            raise UnknownOptionError(
                f"{role}: expected a scikit-learn estimator, found {type(lrn).__name__}"
            )
    if not _is_classifier(cls):
        raise UnknownOptionError(
            f"learner_propensity: expected a classifier with predict_proba, found "
            f"{type(cls).__name__}"
        )
    return clone(reg), clone(cls)


def _fits(
    cs: CommonSample,
    *,
    outcome,
    treatment,
    controls,
    propensity,
    fixed_effects,
    cluster,
    estimand,
    scale,
    interact,
    overlap,
    learner_outcome,
    learner_propensity,
    n_folds,
    forest_trees,
    random_state,
) -> dict:
    """One closure per row key: () -> (Results, term, estimand label)."""
    from sklearn.base import clone

    from welfare.premium import (
        aipw,
        causal_forest,
        dml_irm,
        dml_plr,
        ipw,
        nn_match,
        ols_premium,
        ps_match,
        raw_gap,
    )

    data, design = cs.data, cs.design
    base = {"outcome": outcome, "treatment": treatment, "design": design, "cluster": cluster}
    kw = dict(base, scale=scale)
    inter = list(controls) if interact else None
    ols_target = "ATE" if interact else "conditional premium"

    def raw():
        if scale == "levels":
            return raw_gap(data, **base), "difference", "raw difference"
        logged = _with_log(cs, outcome)
        res = raw_gap(
            logged.data,
            outcome=f"log_{outcome}",
            treatment=treatment,
            design=logged.design,
            cluster=cluster,
        )
        return res, "difference", "raw difference"

    def dml_kw():
        return dict(kw, covariates=controls, n_folds=n_folds, random_state=random_state)

    return {
        "raw": raw,
        "ols": lambda: (
            ols_premium(data, controls=controls, interactions=inter, **kw),
            treatment,
            ols_target,
        ),
        "ols_fe": lambda: (
            ols_premium(
                data, controls=controls, interactions=inter, fixed_effects=fixed_effects, **kw
            ),
            treatment,
            ols_target,
        ),
        "ps_match": lambda: (
            ps_match(data, propensity=propensity, estimand=estimand, overlap=overlap, **kw),
            estimand,
            estimand,
        ),
        "nn_match": lambda: (
            nn_match(data, covariates=controls, bias_adjust=True, estimand=estimand, **kw),
            estimand,
            estimand,
        ),
        "ipw": lambda: (
            ipw(data, propensity=propensity, estimand=estimand, overlap=overlap, **kw),
            estimand,
            estimand,
        ),
        "aipw": lambda: (
            aipw(
                data,
                covariates=controls,
                propensity=propensity,
                estimand=estimand,
                overlap=overlap,
                **kw,
            ),
            estimand,
            estimand,
        ),
        "dml_plr": lambda: (
            dml_plr(
                data,
                learner_outcome=clone(learner_outcome),
                learner_treatment=clone(learner_propensity),
                **dml_kw(),
            ),
            treatment,
            "PLR (variance-weighted)",
        ),
        "dml_irm": lambda: (
            dml_irm(
                data,
                learner_outcome=clone(learner_outcome),
                learner_propensity=clone(learner_propensity),
                estimand=estimand,
                **dml_kw(),
            ),
            estimand,
            estimand,
        ),
        "causal_forest": lambda: (
            causal_forest(
                data,
                learner_outcome=clone(learner_outcome),
                learner_propensity=clone(learner_propensity),
                n_estimators=forest_trees,
                min_samples_leaf=FOREST_MIN_LEAF,
                **dml_kw(),
            ),
            "ATE",
            "ATE",
        ),
    }


def _with_log(cs: CommonSample, outcome: str) -> CommonSample:
    """Add ``log_<outcome>`` to the common sample (for the raw difference in log means)."""
    from welfare.data.readers import SurveyData
    from welfare.premium._common import outcome_column

    frame, _ = outcome_column(cs.frame, outcome, "log")
    if isinstance(cs.data, SurveyData):
        d = cs.data
        data = SurveyData(
            data=frame,
            design=d.design,
            codebook=d.codebook,
            label=d.label,
            synthetic=d.synthetic,
            sha256=d.sha256,
            report=d.report,
        )
    else:
        data = frame
    return CommonSample(
        data=data,
        design=cs.design,
        sample=cs.sample,
        frame=frame,
        synthetic=cs.synthetic,
        label=cs.label,
    )
