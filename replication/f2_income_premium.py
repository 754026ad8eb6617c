"""F2 - The income premium of e-households: raw gap and OLS with village fixed effects.

Run alone with ``python -m welfare.replicate --only F2``. Matching, weighting and double ML
estimators join this finding as they are added to ``welfare.premium``.
"""

from __future__ import annotations

import functools

from welfare.premium import ols_premium, raw_gap
from welfare.replicate.context import Context, FindingResult
from welfare.report import coefficient_plot, regression_table, truth_table

FINDING = "F2"


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
    out.here.append(
        f"raw gap {report}{100 * g.loc['relative_gap', 'estimate']:+.1f}% (95% CI "
        f"{100 * g.loc['relative_gap', 'conf_low']:+.1f}% to {100 * g.loc['relative_gap', 'conf_high']:+.1f}%), "
        f"{g.loc['log_points', 'estimate']:.3f} log points; difference "
        f"{g.loc['difference', 'estimate']:,.2f} (SE {g.loc['difference', 'std_error']:,.2f}) "
        f"in levels of {ctx.describe(spec.outcome)}"
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
        out.here.append(
            f"OLS ({name}): {t.estimate:+.3f} {unit}{extra} (95% CI {t.conf_low:+.3f} to {t.conf_high:+.3f})"
        )
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
                    "ATE, log points",
                    models["controls x participation"],
                    spec.participation,
                    ctx.truth["ate_log"],
                )
            )
        out.truth_table = truth_table(rows, title="F2. Premium estimates vs the twin's true values")
    return out


if __name__ == "__main__":
    from welfare.replicate.runner import main

    main(["--only", FINDING])
