"""F2 - The income premium of e-households: raw gap, OLS with village fixed effects, and the
treatment-effect estimators (regression adjustment, IPW, AIPW, IPWRA, propensity-score and
covariate matching) with their balance and overlap diagnostics.

Run alone with ``python -m welfare.replicate --only F2``. Double ML joins this finding with
its own issue.
"""

from __future__ import annotations

import functools

from welfare.premium import (
    aipw,
    balance,
    ipw,
    ipwra,
    nn_match,
    ols_premium,
    propensity_overlap,
    ps_match,
    ra,
    raw_gap,
)
from welfare.premium.weighting import TreatmentEffectResults
from welfare.replicate.context import Context, FindingResult
from welfare.report import (
    balance_table,
    coefficient_plot,
    effects_table,
    love_plot,
    overlap_plot,
    regression_table,
    truth_table,
)

FINDING = "F2"
#: The report's raw gap: per-capita income of e-households 80% higher (ratio of means - 1).
REPORTED_GAP = 0.80


def run(ctx: Context) -> FindingResult:
    """Raw gap and OLS premium on the analysis sample."""
    out = FindingResult(FINDING)
    spec, survey = ctx.spec, ctx.survey
    gap = raw_gap(survey, outcome=spec.outcome, treatment=spec.participation)
    out.results["raw gap"] = gap
    out.tables["F2_raw_gap"] = regression_table(
        {"raw gap": gap},
        title=f"F2. Raw gap in {spec.outcome}: participants vs others"
        + (" (design-weighted)" if survey.design.weights else " (unweighted)"),
        digits=3,
        show_ci=True,
        notes=(
            f"Outcome: {ctx.describe(spec.outcome)}; participation: "
            f"{ctx.describe(spec.participation)}.",
            "relative_gap = mean_treated / mean_control - 1 (0.80 means +80%).",
        ),
    )
    g = gap.tidy().set_index("term")
    report = "(report: +80%): " if spec.compare_with_report else ": "
    rel = g.loc["relative_gap"]
    verdict = ""
    if spec.compare_with_report:
        inside = rel.conf_low <= REPORTED_GAP <= rel.conf_high
        verdict = (
            " - consistent with the report's +80% (inside the 95% CI)"
            if inside
            else f" - {'below' if rel.conf_high < REPORTED_GAP else 'above'} the report's +80%"
        ) + (" (the twin is calibrated to it)" if ctx.synthetic else "")
    out.here.append(
        f"raw gap {report}{100 * rel.estimate:+.1f}% (95% CI "
        f"{100 * rel.conf_low:+.1f}% to {100 * rel.conf_high:+.1f}%), "
        f"{g.loc['log_points', 'estimate']:.3f} log points; difference "
        f"{g.loc['difference', 'estimate']:,.2f} (SE {g.loc['difference', 'std_error']:,.2f}) "
        f"in levels of {ctx.describe(spec.outcome)}{verdict}"
    )
    fe = [f for f in spec.fixed_effects if ctx.has(f)]
    if not fe:
        out.skipped.append("village fixed effects: the data have no village identifier")
    scale = spec.outcome_scale
    if scale == "levels":
        out.skipped.append(
            f"log outcome: {spec.outcome} is analysed in levels (codebook: outcome_scale = 'levels')"
        )
    fit = functools.partial(
        ols_premium,
        survey,
        outcome=spec.outcome,
        treatment=spec.participation,
        fixed_effects=fe,
        scale=scale,
    )
    controls = list(spec.premium_controls)
    inter = [c for c in spec.interactions if ctx.has(c)]
    models = {"no controls": fit()}
    if controls:
        models["controls"] = fit(controls=controls)
    if controls and inter:
        models["controls x participation"] = fit(controls=controls, interactions=inter)
    out.results.update(models)
    unit = "log points" if scale == "log" else "levels"
    out.tables["F2_ols_premium"] = regression_table(
        models,
        title=f"F2. Participation premium in {spec.outcome} ({unit}), OLS"
        + (" with village fixed effects" if fe else ""),
        terms=[spec.participation],
        stars=True,
        extra_rows={
            "Fixed effects": [", ".join(fe) or "none"] * len(models),
            "Controls": ["no"] + ["yes"] * (len(models) - 1),
            "Controls x participation": ["no"] * min(2, len(models)) + ["yes"] * (len(models) - 2),
        },
        notes=(
            f"Outcome: {ctx.describe(spec.outcome)}"
            + (", in logs" if scale == "log" else ", in levels")
            + f"; participation: {ctx.describe(spec.participation)}.",
            f"Controls: {', '.join(controls) or 'none'}."
            + (
                f" Interacted with participation (centred at weighted sample means, so the "
                f"coefficient is the ATE under linear heterogeneity): {', '.join(inter)}."
                if controls and inter
                else ""
            ),
        ),
    )
    fig = coefficient_plot(
        models,
        ctx.out / "figures" / "F2_premium.png",
        title=f"F2. Participation premium ({unit})",
        terms=[spec.participation],
        xlabel=f"premium in {spec.outcome} ({unit}, 95% CI)",
    )
    out.figures.append(fig)
    for name, res in models.items():
        t = res.tidy().set_index("term").loc[spec.participation]
        extra = ""
        if scale == "log":
            import math

            extra = f" = {100 * (math.exp(t.estimate) - 1):+.1f}%"
        fe_text = ", village FE" if fe else ""
        out.here.append(
            f"OLS ({name}{fe_text}): {t.estimate:+.3f} {unit}{extra} (95% CI "
            f"{t.conf_low:+.3f} to {t.conf_high:+.3f} {unit})"
        )
    te = _treatment_effects(ctx, out, models, fe)
    if ctx.truth is not None:
        rows = [
            (
                "raw gap, ratio of means - 1 (population)",
                gap,
                "relative_gap",
                ctx.truth["population_raw_gap_percent"],
            )
        ]
        if "controls x participation" in models:
            rows.append(
                (
                    "ATE, log points: OLS, controls x participation",
                    models["controls x participation"],
                    spec.participation,
                    ctx.truth["ate_log"],
                )
            )
        if scale == "log":
            for name, by in te.items():
                for e, (res, term) in by.items():
                    if isinstance(res, TreatmentEffectResults):
                        rows.append(
                            (f"{e}, log points: {name}", res, term, ctx.truth[f"{e.lower()}_log"])
                        )
        out.truth_table = truth_table(rows, title="F2. Premium estimates vs the twin's true values")
    return out


def _treatment_effects(ctx: Context, out: FindingResult, ols: dict, fe: list[str]) -> dict:
    """Regression adjustment, weighting and matching beside OLS, with balance and overlap.

    Returns the rows of the effects table: method -> estimand -> (results, term).
    """
    spec, survey = ctx.spec, ctx.survey
    controls = list(spec.premium_controls)
    ps_cov = list(spec.participation_covariates) or controls
    if not controls:
        out.skipped.append("treatment-effect estimators: no premium_controls in the codebook")
        return {}
    kw = {"outcome": spec.outcome, "treatment": spec.participation, "scale": spec.outcome_scale}
    rows: dict[str, dict] = {}
    if "controls x participation" in ols:
        rows["OLS, controls x participation" + (", village FE" if fe else "")] = {
            "ATE": (ols["controls x participation"], spec.participation)
        }
    fits = {
        "RA": lambda e: ra(survey, covariates=controls, estimand=e, **kw),
        "IPW": lambda e: ipw(survey, propensity=ps_cov, estimand=e, **kw),
        "AIPW": lambda e: aipw(survey, covariates=controls, propensity=ps_cov, estimand=e, **kw),
        "IPWRA": lambda e: ipwra(survey, covariates=controls, propensity=ps_cov, estimand=e, **kw),
        "PS matching (1-NN)": lambda e: ps_match(survey, propensity=ps_cov, estimand=e, **kw),
        "NN matching, bias-adjusted": lambda e: nn_match(
            survey, covariates=controls, bias_adjust=True, estimand=e, **kw
        ),
    }
    if fe:
        fits["NN matching within village, bias-adjusted"] = lambda e: nn_match(
            survey, covariates=controls, exact=fe, bias_adjust=True, unmatched="drop",
            estimand=e, **kw,
        )  # fmt: skip
    for name, f in fits.items():
        rows[name] = {}
        for e in ("ATE", "ATT"):
            res = f(e)
            rows[name][e] = (res, e)
            out.results[f"{name} {e}"] = res
    truth = None
    if ctx.truth is not None and spec.outcome_scale == "log":
        truth = {"ATE": ctx.truth["ate_log"], "ATT": ctx.truth["att_log"]}
    unit = "log points" if spec.outcome_scale == "log" else f"levels of {spec.outcome}"
    out.tables["F2_treatment_effects"] = effects_table(
        rows,
        title=f"F2. Participation premium ({unit}): regression adjustment, weighting, matching",
        truth=truth,
        notes=(
            f"Outcome-model and matching covariates: {', '.join(controls)}; propensity "
            f"covariates (logit): {', '.join(ps_cov)}.",
        )
        + (
            (
                "Weighting and matching adjust for observed household characteristics only; the "
                "OLS row and within-village matching also remove village effects.",
            )
            if fe
            else ()
        )
        + (
            (
                "In the twin, participation and income share village effects (correlation 0.6), "
                "so estimators that ignore villages are expected to overstate the effect; this "
                "is the twin's design, shown as a bias against its truth.",
            )
            if ctx.truth is not None and fe
            else ()
        ),
    )
    fig_models = {name: by["ATE"][0] for name, by in rows.items() if "ATE" in by}
    out.figures.append(
        coefficient_plot(
            {k: v for k, v in fig_models.items() if isinstance(v, TreatmentEffectResults)},
            ctx.out / "figures" / "F2_treatment_effects.png",
            title=f"F2. ATE of participation ({unit}) by estimator",
            terms=["ATE"],
            xlabel=f"ATE ({unit}, 95% CI)",
            reference=({"ATE": truth["ATE"]} if truth else None),
        )
    )
    for name, key in (("IPW", "IPW"), ("PS matching (1-NN)", "PS_matching")):
        res = rows[name]["ATT"][0]
        tab = balance(res, covariates=controls)
        out.tables[f"F2_balance_{key}"] = balance_table(
            tab, title=f"F2. Covariate balance before and after {name} (ATT weights)"
        )
        out.figures.append(
            love_plot(tab, ctx.out / "figures" / f"F2_love_{key}.png",
                      title=f"F2. Balance, {name} (ATT)")
        )  # fmt: skip
    out.figures.append(
        overlap_plot(
            propensity_overlap(rows["IPW"]["ATE"][0]),
            ctx.out / "figures" / "F2_overlap.png",
            title="F2. Propensity-score overlap",
        )
    )
    for name, by in rows.items():
        if not any(isinstance(r, TreatmentEffectResults) for r, _ in by.values()):
            continue  # the OLS row is reported above
        parts = []
        for e, (res, term) in by.items():
            t = res.tidy().set_index("term").loc[term]
            parts.append(f"{e} {t.estimate:+.3f} (SE {t.std_error:.3f})")
        out.here.append(f"{name}: " + ", ".join(parts) + f" {unit}")
    return rows


if __name__ == "__main__":
    from welfare.replicate.runner import main

    main(["--only", FINDING])
