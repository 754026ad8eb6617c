"""Specification curve: the participation premium over a grid of reasonable specifications.

Every combination of a control set, a fixed-effect level, a sample and an estimator is one
specification; each is estimated with the functions of :mod:`welfare.premium` and the curve
shows the estimates sorted, with their confidence intervals, above a panel that marks the
choices behind each one (Simonsohn, Simmons & Nelson 2020; the "multiverse" of Steegen et al.
2016). Summaries:

    share significant            = #{p_s < alpha} / S,
    share significant, same sign = #{p_s < alpha and sign(b_s) = sign(median_s b_s)} / S,

over the S specifications estimated (the second is Simonsohn et al.'s count of significant
estimates in the dominant direction).

One estimation sample: the complete cases over every column any specification uses (outcome,
treatment, every control set, every fixed-effect level, design columns), counted by reason,
so that specifications differ only by the choices, not by which rows happen to be complete.
A named sample is that estimation sample restricted further by a boolean mask (its size is
reported). Fixed effects are absorbed by OLS only; weighting and matching estimators are run
with the fixed-effect level(s) that are empty and the other combinations are listed in
``skipped`` with the reason (so is an estimator that needs covariates paired with an empty
control set); nothing is left out silently.

References
----------
Simonsohn, U., Simmons, J. P. & Nelson, L. D. (2020). Specification curve analysis. *Nature
Human Behaviour* 4(11), 1208-1214. doi:10.1038/s41562-020-0912-z
Steegen, S., Tuerlinckx, F., Gelman, A. & Vanpaemel, W. (2016). Increasing transparency
through a multiverse analysis. *Perspectives on Psychological Science* 11(5), 702-712.
doi:10.1177/1745691616658637
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from welfare._estimation import unpack
from welfare._options import as_columns, check_option, strict_keywords
from welfare._parallel import check_n_jobs, parallel_map
from welfare.data.design import SurveyDesign
from welfare.data.sample import EstimationSample
from welfare.errors import DataError, UnknownOptionError, WelfareError
from welfare.inference.results import Results
from welfare.robustness.table import CommonSample, _check_roles, common_sample, term_stats

__all__ = ["specification_curve", "SpecificationCurve", "SPEC_ESTIMATORS"]

#: Estimators of the curve: OLS (absorbs fixed effects), regression adjustment, IPW, AIPW,
#: 1-NN propensity-score matching and bias-adjusted Mahalanobis matching.
SPEC_ESTIMATORS = ("OLS", "RA", "IPW", "AIPW", "PS matching", "NN matching")

SPEC_COLUMNS = [
    "spec_id",
    "estimator",
    "controls",
    "fixed_effects",
    "sample",
    "estimand",
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "n_obs",
    "n_clusters",
    "significant",
    "rank",
]


@dataclass(frozen=True)
class SpecificationCurve:
    """Every specification's estimate and the curve's summaries.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per specification estimated: ``spec_id, estimator, controls, fixed_effects,
        sample, estimand, term, estimate, std_error, statistic, p_value, conf_low, conf_high,
        n_obs, n_clusters, significant (p < alpha), rank`` (1 = smallest estimate).
    results : mapping of int to Results
        The Results of each specification, by ``spec_id``.
    skipped : pandas.DataFrame
        Combinations not estimated: ``estimator, controls, fixed_effects, sample, reason``.
    sample : EstimationSample
        The common estimation sample (rows of the caller's data, dropped by reason).
    sample_sizes : mapping of str to int
        Rows of each named sample within the common estimation sample.
    alpha : float
    choices : mapping of str to tuple
        Names of the control sets, fixed-effect levels, samples and estimators.
    synthetic : bool
    data_label : str
    unit : str
    """

    frame: pd.DataFrame
    results: Mapping[int, Results]
    skipped: pd.DataFrame
    sample: EstimationSample
    sample_sizes: Mapping[str, int]
    alpha: float
    choices: Mapping[str, tuple]
    synthetic: bool
    data_label: str
    unit: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_specs(self) -> int:
        """Specifications estimated."""
        return len(self.frame)

    @property
    def median_estimate(self) -> float:
        """Median estimate over the specifications."""
        return float(np.median(self.frame["estimate"]))

    @property
    def share_significant(self) -> float:
        """Share of specifications with p < alpha."""
        return float(self.frame["significant"].mean())

    @property
    def share_significant_same_sign(self) -> float:
        """Share significant at alpha with the sign of the median estimate."""
        s = np.sign(self.median_estimate)
        f = self.frame
        return float((f["significant"] & (np.sign(f["estimate"]) == s)).mean())

    def summary(self) -> dict[str, float]:
        """Return the curve's summaries in one mapping."""
        f = self.frame
        return {
            "n_specs": self.n_specs,
            "n_skipped": len(self.skipped),
            "median_estimate": self.median_estimate,
            "min_estimate": float(f["estimate"].min()),
            "max_estimate": float(f["estimate"].max()),
            "n_positive": int((f["estimate"] > 0).sum()),
            "n_negative": int((f["estimate"] < 0).sum()),
            "share_significant": self.share_significant,
            "share_significant_same_sign": self.share_significant_same_sign,
            "alpha": self.alpha,
        }

    def table(self, *, title: str | None = None, digits: int = 3):
        """Return the formatted :class:`welfare.report.Table` of every specification (sorted)."""
        from welfare.report.tables import frame_table

        f = self.frame.sort_values("rank")
        shown = f[
            [
                "spec_id",
                "estimator",
                "estimand",
                "controls",
                "fixed_effects",
                "sample",
                "estimate",
                "std_error",
                "p_value",
                "conf_low",
                "conf_high",
                "n_obs",
            ]
        ]
        s = self.summary()
        pct = int(round(100 * (1 - self.alpha)))
        notes = [
            f"{s['n_specs']} specifications ({s['n_skipped']} combinations not estimated: "
            "listed in the curve's skipped frame); one estimation sample: "
            + self.sample.describe()
            + ".",
            "estimand: OLS gives the constant-effect (conditional) premium; the weighting and "
            "matching estimators the ATE or ATT asked for.",
            f"Median estimate {s['median_estimate']:.{digits}f} ({self.unit}); range "
            f"[{s['min_estimate']:.{digits}f}, {s['max_estimate']:.{digits}f}]; significant at "
            f"{self.alpha:g}: {100 * s['share_significant']:.1f}% of specifications, "
            f"{100 * s['share_significant_same_sign']:.1f}% with the sign of the median; "
            f"conf_low/conf_high: {pct}% CI.",
        ]
        return frame_table(
            shown,
            title=title or f"Specification curve of the participation premium ({self.unit})",
            synthetic=self.synthetic,
            data_label=self.data_label,
            index="spec_id",
            digits={
                "estimate": digits,
                "std_error": digits,
                "p_value": 4,
                "conf_low": digits,
                "conf_high": digits,
            },
            notes=notes,
        )

    def plot(
        self, path: str | Path, *, title: str | None = None, truth: float | None = None
    ) -> Path:
        """Draw the curve and its choice panel (:func:`welfare.report.specification_curve_plot`)."""
        from welfare.report.figures import specification_curve_plot

        return specification_curve_plot(
            self.frame,
            path,
            title=title or f"Specification curve of the participation premium ({self.unit})",
            choices=("estimator", "controls", "fixed_effects", "sample"),
            truth=truth,
            synthetic=self.synthetic,
            ylabel=f"premium ({self.unit}, {int(round(100 * (1 - self.alpha)))}% CI)",
        )


def _named_sets(name: str, value, allow_empty: bool) -> dict[str, list[str]]:
    """Return name -> list of columns from a mapping or a sequence of lists."""
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, Sequence) and not isinstance(value, str):
        items = []
        for cols in value:
            cols_l = as_columns(name, cols)
            items.append((", ".join(cols_l) if cols_l else "none", cols_l))
    else:
        raise UnknownOptionError(
            f"{name}: expected a mapping of names to lists of columns (or a list of lists), "
            f"found {value!r}"
        )
    out: dict[str, list[str]] = {}
    for k, cols in items:
        if not isinstance(k, str) or not k:
            raise UnknownOptionError(f"{name}: expected non-empty names (str), found {k!r}")
        if k in out:
            raise UnknownOptionError(f"{name}: expected distinct names, found {k!r} twice")
        out[k] = as_columns(f"{name}[{k!r}]", cols)
        if not allow_empty and not out[k]:
            raise UnknownOptionError(f"{name}[{k!r}]: expected at least one column, found none")
    if not out:
        raise UnknownOptionError(f"{name}: expected at least one set, found none")
    return out


def _sample_masks(samples, frame: pd.DataFrame) -> dict[str, np.ndarray | None]:
    """Validate the named samples: boolean masks over the caller's rows (None = all)."""
    if samples is None:
        return {"all": None}
    if not isinstance(samples, Mapping) or not samples:
        raise UnknownOptionError(
            "samples: expected a mapping of names to boolean masks over the rows (None for "
            f"all rows), found {samples!r}"
        )
    out = {}
    for k, m in samples.items():
        if not isinstance(k, str) or not k:
            raise UnknownOptionError(f"samples: expected non-empty names (str), found {k!r}")
        if m is None:
            out[k] = None
            continue
        if isinstance(m, pd.Series):
            if not m.index.equals(frame.index):
                raise DataError(
                    f"samples[{k!r}]: expected a boolean Series on the data's row index, found "
                    "a different index"
                )
            m = m.to_numpy()
        arr = np.asarray(m)
        if arr.dtype != bool or arr.shape != (len(frame),):
            raise DataError(
                f"samples[{k!r}]: expected a boolean mask of length {len(frame)} (rows of the "
                f"data), found dtype {arr.dtype} and shape {arr.shape}"
            )
        out[k] = arr.copy()
    return out


def _restrict(cs: CommonSample, keep: np.ndarray):
    """Restrict the common-sample data to ``keep`` (positions in the common sample)."""
    from welfare.data.readers import SurveyData

    frame = cs.frame.loc[keep].copy()
    frame.attrs = dict(cs.frame.attrs)
    if isinstance(cs.data, SurveyData):
        d = cs.data
        return SurveyData(
            data=frame,
            design=d.design,
            codebook=d.codebook,
            label=d.label,
            synthetic=d.synthetic,
            sha256=d.sha256,
            report=d.report,
        )
    return frame


def _fit(est, data, *, design, cluster, outcome, treatment, controls, fes, estimand, scale):
    from welfare.premium import aipw, ipw, nn_match, ols_premium, ps_match, ra

    kw = {
        "outcome": outcome,
        "treatment": treatment,
        "design": design,
        "cluster": cluster,
        "scale": scale,
    }
    if est == "OLS":
        return ols_premium(data, controls=controls, fixed_effects=fes, **kw), treatment
    if est == "RA":
        return ra(data, covariates=controls, estimand=estimand, **kw), estimand
    if est == "IPW":
        return ipw(data, propensity=controls, estimand=estimand, **kw), estimand
    if est == "AIPW":
        return aipw(
            data, covariates=controls, propensity=controls, estimand=estimand, **kw
        ), estimand
    if est == "PS matching":
        return ps_match(data, propensity=controls, estimand=estimand, **kw), estimand
    return nn_match(data, covariates=controls, bias_adjust=True, estimand=estimand, **kw), estimand


@strict_keywords
def specification_curve(
    data,
    *,
    treatment: str,
    outcome: str,
    control_sets,
    fixed_effects_sets=None,
    samples: Mapping[str, Any] | None = None,
    estimators: Sequence[str] = ("OLS",),
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    estimand: str = "ATE",
    scale: str = "log",
    alpha: float = 0.05,
    on_error: str = "raise",
    n_jobs: int | None = 1,
) -> SpecificationCurve:
    """Estimate the premium over every combination of controls, fixed effects, samples, estimators.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    treatment : str
        0/1 participation column.
    outcome : str
        Outcome in levels (analysed in logs with ``scale="log"``).
    control_sets : mapping of str to list of str, or list of lists
        Named control sets (a list of lists is named by its columns; ``[]`` is "none").
    fixed_effects_sets : mapping of str to list of str, or list of lists, optional
        Named fixed-effect levels, e.g. ``{"none": [], "village": ["village_id"],
        "county": ["county_id"]}``; default ``{"none": []}``. Absorbed by OLS only.
    samples : mapping of str to boolean mask or None, optional
        Named samples: boolean masks over the rows of ``data`` (array or Series on its
        index; ``None`` = every row); default ``{"all": None}``. Each is intersected with the
        common estimation sample.
    estimators : sequence of str, default ("OLS",)
        Among ``"OLS", "RA", "IPW", "AIPW", "PS matching", "NN matching"``; OLS is
        :func:`welfare.premium.ols_premium` (controls, absorbed fixed effects, no
        interactions: a conditional premium); the others target ``estimand`` with the control
        set as outcome-model, propensity and matching covariates (NN matching bias-adjusted).
    design : SurveyDesign, optional
    cluster : str, optional
    estimand : {"ATE", "ATT"}, default "ATE"
    scale : {"log", "levels"}, default "log"
    alpha : float, default 0.05
        Level of the significance shares and of the intervals (1 - alpha).
    on_error : {"raise", "skip"}, default "raise"
        A specification whose estimator raises a welfare error (e.g. no overlap in a small
        sample): re-raise (the first failing specification in the order of the frame), or
        list it in ``skipped`` with the message.
    n_jobs : int or None, default 1
        Workers for the specifications (joblib; ``-1``: one per CPU). The frame is identical
        for any value (:func:`welfare._parallel.parallel_map`).

    Returns
    -------
    SpecificationCurve
        ``.frame`` (one row per specification), ``.share_significant``,
        ``.share_significant_same_sign``, ``.summary()``, ``.skipped``, ``.plot(path)``.

    Raises
    ------
    DataError
        A control set or fixed-effect level containing the outcome or the treatment, an
        outcome that is the treatment, a sample mask of the wrong length or type.
    UnknownOptionError
        An unknown estimator, an empty or repeated choice name, a bad ``alpha``.
    MissingColumnError, TreatmentError, OutcomeError, EmptySampleError
        From the common sample, or from a specification (``on_error="raise"``).

    Examples
    --------
    >>> curve = specification_curve(                          # doctest: +SKIP
    ...     twin.survey, treatment="e_household", outcome="income_pc",
    ...     control_sets={"none": [], "head": ["head_age", "head_edu"]},
    ...     fixed_effects_sets={"none": [], "village": ["village_id"]},
    ...     estimators=("OLS", "IPW"))
    >>> curve.share_significant                                # doctest: +SKIP
    """
    check_option("estimand", estimand, ("ATE", "ATT"))
    check_option("scale", scale, ("log", "levels"))
    check_option("on_error", on_error, ("raise", "skip"))
    check_n_jobs(n_jobs)
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not (0 < float(alpha) < 1):
        raise UnknownOptionError(
            f"alpha: expected a number strictly between 0 and 1, found {alpha!r}"
        )
    if isinstance(estimators, str) or not isinstance(estimators, Sequence) or not estimators:
        raise UnknownOptionError(
            f"estimators: expected a non-empty list among {list(SPEC_ESTIMATORS)}, found "
            f"{estimators!r}"
        )
    ests = list(estimators)
    for e in ests:
        check_option("estimators", e, SPEC_ESTIMATORS)
    if len(set(ests)) != len(ests):
        raise UnknownOptionError(f"estimators: expected each estimator once, found {ests}")
    csets = _named_sets("control_sets", control_sets, allow_empty=True)
    fsets = _named_sets(
        "fixed_effects_sets",
        {"none": []} if fixed_effects_sets is None else fixed_effects_sets,
        allow_empty=True,
    )
    all_controls = list(dict.fromkeys(c for cs in csets.values() for c in cs))
    all_fes = list(dict.fromkeys(c for fs in fsets.values() for c in fs))
    _check_roles(outcome, treatment, all_controls, {"fixed effects": all_fes})
    for cols in csets.values():
        _check_roles(outcome, treatment, cols, {})
    inp = unpack(data, design)
    masks = _sample_masks(samples, inp.frame)
    cs = common_sample(
        data,
        outcome=outcome,
        treatment=treatment,
        columns={"control": all_controls, "fixed effect": all_fes},
        design=design,
        cluster=cluster,
        scale=scale,
    )
    common_pos = np.flatnonzero(cs.sample.mask)
    rows, results, skipped, sizes = [], {}, [], {}
    unit = "log points" if scale == "log" else f"levels of {outcome}"
    # every combination in a fixed order: (choice, estimator, sample data, controls, FE) or a
    # reason to skip it; the fits then run through parallel_map (same output for any n_jobs)
    plan = []
    for sname, m in masks.items():
        keep = np.ones(len(common_pos), dtype=bool) if m is None else m[common_pos]
        sizes[sname] = int(keep.sum())
        sub = _restrict(cs, keep)
        for est in ests:
            for cname, controls in csets.items():
                for fname, fes in fsets.items():
                    choice = {
                        "estimator": est,
                        "controls": cname,
                        "fixed_effects": fname,
                        "sample": sname,
                    }
                    if est != "OLS" and fes:
                        reason = (
                            f"{est} does not absorb fixed effects (run with the empty "
                            "fixed-effect level)"
                        )
                    elif est != "OLS" and not controls:
                        reason = f"{est} needs covariates"
                    else:
                        reason = None
                    plan.append((choice, reason, est, sub, controls, fes))

    def fit(item):
        choice, reason, est, sub, controls, fes = item
        if reason is not None:
            return None
        try:
            return _fit(
                est,
                sub,
                design=cs.design,
                cluster=cluster,
                outcome=outcome,
                treatment=treatment,
                controls=controls or None,
                fes=fes or None,
                estimand=estimand,
                scale=scale,
            )
        except WelfareError as e:
            if on_error == "raise":  # parallel_map raises the first failure in spec order
                raise
            return e

    fitted = parallel_map(fit, plan, n_jobs=n_jobs)
    spec_id = 0
    for (choice, reason, est, *_), out in zip(plan, fitted, strict=True):
        if reason is not None:
            skipped.append({**choice, "reason": reason})
            continue
        if isinstance(out, WelfareError):
            if on_error == "raise":
                raise out
            skipped.append({**choice, "reason": f"{type(out).__name__}: {out}"})
            continue
        res, term = out
        spec_id += 1
        stats = term_stats(res, term, alpha)
        results[spec_id] = res
        rows.append(
            {
                "spec_id": spec_id,
                **choice,
                "estimand": estimand if est != "OLS" else "conditional premium",
                "term": term,
                **stats,
                "n_obs": int(res.n_obs),
                "n_clusters": res.vcov_spec.n_clusters,
            }
        )
    if not rows:
        raise DataError(
            "specification curve: expected at least one specification estimated, found none "
            f"({len(skipped)} combinations skipped: {skipped[0]['reason'] if skipped else ''})"
        )
    frame = pd.DataFrame(rows)
    frame["n_clusters"] = frame["n_clusters"].astype("Int64")
    frame["significant"] = frame["p_value"] < alpha
    frame["rank"] = frame["estimate"].rank(method="first").astype(int)
    frame = frame[SPEC_COLUMNS]
    frame.attrs = {"synthetic": cs.synthetic, "data_label": cs.label}
    return SpecificationCurve(
        frame=frame,
        results=MappingProxyType(results),
        skipped=pd.DataFrame(
            skipped, columns=["estimator", "controls", "fixed_effects", "sample", "reason"]
        ),
        sample=cs.sample,
        sample_sizes=MappingProxyType(sizes),
        alpha=float(alpha),
        choices=MappingProxyType(
            {
                "estimator": tuple(ests),
                "controls": tuple(csets),
                "fixed_effects": tuple(fsets),
                "sample": tuple(masks),
            }
        ),
        synthetic=cs.synthetic,
        data_label=cs.label,
        unit=unit,
        options=MappingProxyType(
            {
                "control_sets": {k: tuple(v) for k, v in csets.items()},
                "fixed_effects_sets": {k: tuple(v) for k, v in fsets.items()},
                "estimand": estimand,
                "scale": scale,
            }
        ),
    )
