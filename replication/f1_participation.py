"""F1 - Who participates in e-commerce: probit/logit with AMEs, LPM with village fixed effects.

Run alone with ``python -m welfare.replicate --only F1`` (or ``python replication/f1_participation.py``).
"""

from __future__ import annotations

from welfare.data.design import SurveyDesign
from welfare.participation import logit, lpm, probit
from welfare.premium._common import rhs_terms
from welfare.replicate.context import Context, FindingResult
from welfare.report import coefficient_plot, regression_table, truth_table
from welfare.report.tables import format_number as num

FINDING = "F1"

# (claim, AME term, expected sign) for the report's determinants of participation
CLAIM_CHECKS = (
    ("younger household heads", "head_age", -1),
    ("lower secondary education", "head_edu[lower secondary]", +1),
    ("upper secondary education", "head_edu[upper secondary]", +1),
    ("technical/vocational education", "head_edu[vocational]", +1),
    ("urban work experience", "head_urban_work", +1),
    ("knowledge of e-commerce", "head_ecom_knowledge", +1),
)


def _rhs(ctx: Context) -> str:
    """Right-hand side of the participation model (text/categorical covariates as dummies)."""
    cols = list(ctx.spec.participation_covariates)
    return rhs_terms(cols, ctx.survey.data, "participation covariates")[0]


def run(ctx: Context) -> FindingResult:
    """Estimate the participation models on the analysis sample."""
    out = FindingResult(FINDING)
    spec = ctx.spec
    if not spec.participation_covariates:
        out.skipped.append("no participation covariates declared in the codebook's [analysis]")
        return out
    formula = f"{spec.participation} ~ {_rhs(ctx)}"
    survey = ctx.survey
    design = survey.design
    pr = probit(formula, survey)
    lg = logit(formula, survey)
    models = {"probit AME": pr.ame(), "logit AME": lg.ame()}
    if design.weights is not None:
        unweighted = SurveyDesign(psu=design.psu, strata=design.strata)
        pr_u = probit(formula, survey.data, design=unweighted)
        models["probit AME, unweighted"] = pr_u.ame()
    else:
        out.skipped.append("design-weighted vs unweighted comparison: the data have no weights")
    fe = [f for f in spec.fixed_effects if ctx.has(f)]
    if fe:
        models["LPM, village FE"] = lpm(formula, survey, fixed_effects=fe)
    else:
        out.skipped.append(
            "linear probability model with village fixed effects: the data have no village identifier"
        )
    out.results = {"probit": pr, "logit": lg, **models}
    out.tables["F1_participation_ame"] = regression_table(
        models,
        title=f"F1. Participation: average marginal effects on P({spec.participation} = 1)",
        stars=True,
        notes=(
            f"Participation: {ctx.describe(spec.participation)}.",
            "AMEs are changes in the participation probability per unit of the regressor "
            "(per year of age; 0 -> 1 for indicators; vs the reference level for categories).",
        ),
    )
    out.tables["F1_probit_coefficients"] = regression_table(
        {"probit": pr, "logit": lg},
        title="F1. Participation: probit and logit index coefficients",
        notes=(f"Participation: {ctx.describe(spec.participation)}.",),
    )
    fig = coefficient_plot(
        {"probit": models["probit AME"], "logit": models["logit AME"]},
        ctx.out / "figures" / "F1_participation_ame.png",
        title="F1. Average marginal effects on participation",
        xlabel="change in participation probability (95% CI)",
    )
    out.figures.append(fig)
    ame = models["probit AME"].tidy().set_index("term")
    lines = []
    checks = CLAIM_CHECKS if spec.compare_with_report else ()
    for what, term, sign in checks:
        if term not in ame.index:
            continue
        r = ame.loc[term]
        agrees = (r.conf_high < 0) if sign < 0 else (r.conf_low > 0)
        opposite = (r.conf_low > 0) if sign < 0 else (r.conf_high < 0)
        verdict = (
            ("as in the report" + (" (the twin is built this way)" if ctx.synthetic else ""))
            if agrees
            else "opposite to the report"
            if opposite
            else "not significant at 5%"
        )
        lines.append(
            f"{what} ({term}): AME {num(r.estimate, 3, True)} (95% CI "
            f"{num(r.conf_low, 3, True)} to {num(r.conf_high, 3, True)}) - {verdict}"
        )
    checked = {t for _, t, _ in checks}
    for term, r in ame.iterrows():
        if term not in checked:
            lines.append(
                f"{term}: AME {num(r.estimate, 3, True)} (95% CI {num(r.conf_low, 3, True)} to "
                f"{num(r.conf_high, 3, True)})"
            )
    out.here = lines
    if ctx.truth is not None:
        rows = [
            (f"AME {k}", models["probit AME"], k, v)
            for k, v in ctx.truth["participation_ame"].items()
            if k in ame.index
        ]
        rows += [
            (f"coef {k}", pr, k, v)
            for k, v in ctx.truth["participation_beta_marginal"].items()
            if k in pr.terms
        ]
        out.truth_table = truth_table(rows, title="F1. Probit estimates vs the twin's true values")
    return out


if __name__ == "__main__":
    from welfare.replicate.runner import main

    main(["--only", FINDING])
