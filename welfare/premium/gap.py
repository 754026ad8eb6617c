"""The raw (unconditional) income gap between participants and others.

Estimated as the weighted regression ``y = a + b d + e`` (so a and a + b are the weighted group
means) with the design variance of :func:`welfare.inference.linear.fit_ols`; the derived
quantities use the delta method on Cov(a, b):

* ``difference``  = b                 (levels, e.g. RMB or US$)
* ``relative_gap`` = b / a            (ratio of means minus one, a fraction: the report's
  "+80%" is 0.80)
* ``log_points``  = log((a + b) / a)  (log of the ratio of means)
* ``mean_treated`` = a + b, ``mean_control`` = a.

The reference distribution is the regression's (t with G - 1 df under clustering), and the
confidence interval of ``relative_gap`` is also given by exponentiating the interval of
``log_points`` in ``extra`` (it respects the positivity of the ratio).
"""

from __future__ import annotations

import numpy as np

from welfare._estimation import check_names, unpack
from welfare._options import strict_keywords
from welfare.data.design import SurveyDesign
from welfare.data.sample import require_columns
from welfare.data.validate import check_binary
from welfare.errors import EmptySampleError
from welfare.inference.linear import fit_ols
from welfare.inference.results import Results

__all__ = ["raw_gap"]


@strict_keywords
def raw_gap(
    data,
    *,
    outcome: str,
    treatment: str,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
) -> Results:
    """Design-weighted raw gap in the outcome between participants (d = 1) and others (d = 0).

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
    outcome : str
        Outcome in levels (e.g. ``"income_pc"``, RMB per person per year).
    treatment : str
        0/1 participation column (e.g. ``"e_household"``).
    design : SurveyDesign, optional
    cluster : str, optional
    vcov : {"iid", "HC1", "CRV1", "design"} or None
        ``None`` follows the design. ``"iid"`` reproduces the conventional OLS standard error of
        a difference in means (pooled variance).

    Returns
    -------
    Results
        Terms ``mean_control, mean_treated, difference, relative_gap, log_points``.

    Raises
    ------
    MissingColumnError, TreatmentError, EmptySampleError, VarianceError

    Notes
    -----
    The ratio terms (``relative_gap``, ``log_points``) need positive group means; otherwise only
    the level terms are returned, with a note. Zero or negative individual values are allowed.
    """
    inp = unpack(data, design)
    require_columns(inp.frame, [outcome, treatment])
    check_names([outcome, treatment])
    check_binary(inp.frame, treatment, role="treatment")
    base = fit_ols(
        f"{outcome} ~ {treatment}",
        data,
        design=design,
        cluster=cluster,
        vcov=vcov,
        estimator="raw gap (difference in means)",
        estimand="raw gap",
    )
    d = inp.frame.loc[base.sample.mask, treatment].astype(float)
    counts = d.value_counts()
    if len(base.params) != 2 or counts.get(0.0, 0) < 2 or counts.get(1.0, 0) < 2:
        raise EmptySampleError(
            f"raw gap: expected at least 2 observations in each group of {treatment!r} in the "
            f"estimation sample, found {int(counts.get(0.0, 0))} with 0 and "
            f"{int(counts.get(1.0, 0))} with 1"
        )
    a, b = base.params.to_numpy()
    V = base.vcov.to_numpy()
    fw = inp.design.weights is not None and inp.design.weight_type == "fweight"
    wt = inp.frame.loc[base.sample.mask, inp.design.weights] if fw else 1.0
    extra = {"n_treated": int(round(float((d * wt).sum())))}
    terms = ["mean_control", "mean_treated", "difference"]
    rows = [[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    est = [a, a + b, b]
    notes = []
    if a > 0 and a + b > 0:
        terms += ["relative_gap", "log_points"]
        est += [b / a, np.log((a + b) / a)]
        rows += [[-b / a**2, 1.0 / a], [1.0 / (a + b) - 1.0 / a, 1.0 / (a + b)]]
    else:
        notes.append(
            f"relative_gap and log_points not reported: they need positive group means, found "
            f"control {a:.6g} and participants {a + b:.6g}."
        )
    est = np.array(est)
    G = np.array(rows)
    vcov_d = G @ V @ G.T
    if "log_points" in terms:
        crit = base.critical_value(0.05)
        se_log = float(np.sqrt(vcov_d[4, 4]))
        extra["relative_gap_ci95_log_based"] = (
            float(np.exp(est[4] - crit * se_log) - 1),
            float(np.exp(est[4] + crit * se_log) - 1),
        )
    return Results(
        terms=terms,
        estimates=est,
        vcov=vcov_d,
        vcov_spec=base.vcov_spec,
        estimator="raw gap (difference in means)",
        estimand=f"raw gap in {outcome} by {treatment}",
        sample=base.sample,
        n_obs=base.n_obs,
        weights=base.weights,
        data_label=base.data_label,
        synthetic=base.synthetic,
        extra=extra,
        notes=(
            "relative_gap = ratio of means - 1 (0.80 = +80%); log_points = log of the ratio of "
            "means; delta-method standard errors.",
            *notes,
        ),
        refit=lambda v: raw_gap(
            data, outcome=outcome, treatment=treatment, design=design, cluster=cluster, vcov=v
        ),
        formula=f"{outcome} ~ {treatment}",
    )
