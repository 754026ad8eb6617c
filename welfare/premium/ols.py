"""The income premium by OLS with controls and fixed effects (F2), via pyfixest.

Model (log scale):  log y_i = a_v + tau d_i + x_i'g [+ d_i (x_i - xbar)'delta] + e_i,
with village effects a_v absorbed. Without interactions, tau is a variance-weighted average of
heterogeneous effects; with ``interactions`` (covariates centred at their weighted
estimation-sample means), tau is the ATE under selection on observables and linear effect
heterogeneity (Wooldridge 2010, §21.3.3). The centring means are treated as fixed in the
variance; the teffects-style regression-adjustment estimator accounts for their sampling error.

References
----------
Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, 2nd ed.,
§21.3. MIT Press.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from welfare._estimation import check_names, prepare, unpack
from welfare._options import as_columns, check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.data.sample import require_columns
from welfare.data.validate import check_binary
from welfare.errors import (
    DataError,
    TreatmentError,
    UnknownOptionError,
)
from welfare.inference.linear import drop_singletons, fit_ols
from welfare.inference.results import Results
from welfare.premium._common import outcome_column, rhs_terms

__all__ = ["ols_premium"]


@strict_keywords
def ols_premium(
    data,
    *,
    outcome: str,
    treatment: str,
    controls: list[str] | None = None,
    fixed_effects: list[str] | None = None,
    interactions: list[str] | None = None,
    scale: str = "log",
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    vcov: str | None = None,
) -> Results:
    """Participation premium by OLS with controls and absorbed fixed effects.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    outcome : str
        Outcome in levels (e.g. ``"income_pc"``).
    treatment : str
        0/1 participation column.
    controls : list of str, optional
        Control columns; text/categorical columns enter as dummies (``C(col)``).
    fixed_effects : list of str, optional
        E.g. ``["village_id"]``; singleton groups dropped and counted.
    interactions : list of str, optional
        Controls whose interaction with the treatment is added, each centred at its weighted
        estimation-sample mean (categorical ones as one centred dummy per non-reference level);
        the treatment coefficient is then the ATE under linear effect heterogeneity.
    scale : {"log", "levels"}, default "log"
        ``"log"`` regresses log(outcome) (coefficient in log points; 100(exp(tau)-1) percent);
        it refuses zero or negative outcomes. ``"levels"`` keeps levels (earnings with zeros).
    design, cluster, vcov
        See :func:`welfare.participation.probit`.

    Returns
    -------
    Results
        All coefficients; the treatment term is named as the treatment column.

    Raises
    ------
    MissingColumnError, ColumnTypeError, TreatmentError, OutcomeError, DataError,
    EmptySampleError, VarianceError, UnknownOptionError
        TreatmentError also when the treatment drops out (collinear with the fixed effects or
        constant in the estimation sample); DataError when a generated column name
        (``log_<outcome>``, ``<treatment>_x_<control>``) is already taken.
    """
    check_option("scale", scale, ("log", "levels"))
    inp = unpack(data, design)
    controls = as_columns("controls", controls)
    interactions = as_columns("interactions", interactions)
    fixed_effects = as_columns("fixed_effects", fixed_effects)
    require_columns(inp.frame, [outcome, treatment] + controls + interactions + fixed_effects)
    check_names([outcome, treatment] + controls + interactions + fixed_effects)
    check_binary(inp.frame, treatment, role="treatment")
    extra = [c for c in interactions if c not in controls]
    if extra:
        raise UnknownOptionError(
            f"interactions: expected a subset of controls (an interaction needs its main effect), "
            f"found {extra} not in controls {controls}"
        )
    frame, dep = outcome_column(inp.frame, outcome, scale)
    terms = [treatment]
    if controls:  # text/categorical controls enter as dummies, one rule for every estimator
        terms += rhs_terms(controls, frame, "controls")[0].split(" + ")
    if interactions:
        # centre at the weighted means of the estimation sample itself (same mask as the fit)
        roles = [("outcome", [dep]), ("regressor", [treatment] + controls + interactions)]
        fes = list(fixed_effects or [])
        if fes:
            roles.append(("fixed effect", fes))
        fw = inp.design.weights if inp.design.weight_type == "fweight" else None
        sample = drop_singletons(frame, prepare(frame, inp.design, roles, cluster), fes, fw)
        mask = sample.mask
        w = frame[inp.design.weights] if inp.design.weights else pd.Series(1.0, index=frame.index)
        for c in interactions:
            col = frame[c]
            if isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col):
                # categorical: one centred dummy per non-reference level present in the sample
                levels = (
                    [v for v in col.cat.categories if (col[mask] == v).any()]
                    if isinstance(col.dtype, pd.CategoricalDtype)
                    else sorted(col[mask].dropna().unique())
                )
                parts = {
                    f"{c}_{i}": (col == lev).astype(float) for i, lev in enumerate(levels) if i
                }
            else:
                parts = {c: col.astype(float)}
            for name, x in parts.items():
                if f"{treatment}_x_{name}" in frame.columns:
                    raise DataError(
                        f"the data already have a column {treatment}_x_{name!s}; expected it free "
                        "for the interaction term (rename that column)"
                    )
                m = float(np.average(x[mask], weights=w[mask]))
                frame[f"{treatment}_x_{name}"] = frame[treatment] * (x - m)
                terms.append(f"{treatment}_x_{name}")
    formula = f"{dep} ~ " + " + ".join(terms)
    from welfare.data.readers import SurveyData

    passed = (
        frame
        if not isinstance(data, SurveyData)
        else SurveyData(
            data=frame,
            design=data.design,
            codebook=data.codebook,
            label=data.label,
            synthetic=data.synthetic,
            sha256=data.sha256,
            report=data.report,
        )
    )
    res = fit_ols(
        formula,
        passed,
        fixed_effects=fixed_effects,
        design=design,
        cluster=cluster,
        vcov=vcov,
        estimator="OLS" + (" with fixed effects" if fixed_effects else ""),
        estimand=(
            "ATE of participation (interacted regression adjustment)"
            if interactions
            else "conditional participation premium"
        )
        + (" in log points" if scale == "log" else " in levels"),
    )
    if treatment not in res.terms:
        raise TreatmentError(
            f"{treatment!r} was dropped from the regression (collinear with the fixed effects or "
            "controls, or constant in the estimation sample); expected a treatment that varies "
            "within the fixed-effect groups"
        )
    return res
