"""F2 - The income premium of e-households: raw gap, OLS with village fixed effects, the
treatment-effect estimators (regression adjustment, IPW, AIPW, IPWRA, propensity-score and
covariate matching) with their balance and overlap diagnostics, and double ML (PLR, IRM) with
group effects, the best linear projection of the CATE and a causal forest.

Run alone with ``python -m welfare.replicate --only F2``.
"""

from __future__ import annotations

import functools

import pandas as pd
from welfare.replication.f2_robustness import robustness_section

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
from welfare.premium.dml import DMLResults
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
    report = " (report: +80%): " if spec.compare_with_report else ": "
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
        f"raw gap{report}{100 * rel.estimate:+.1f}% (95% CI "
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
    te.update(_double_ml(ctx, out))
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
                    if isinstance(res, TreatmentEffectResults) or (
                        isinstance(res, DMLResults) and res.terms[0] == e
                    ):
                        rows.append(
                            (f"{e}, log points: {name}", res, term, ctx.truth[f"{e.lower()}_log"])
                        )
        out.truth_table = truth_table(rows, title="F2. Premium estimates vs the twin's true values")
    robustness_section(ctx, out)
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


def _learners():
    """The two learner families of the DML rows: linear, and shallow gradient boosting."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LinearRegression, LogisticRegression

    boost = {"max_depth": 3, "learning_rate": 0.05, "max_iter": 150, "min_samples_leaf": 20}
    return {
        # the robustness table's defaults, so that its DML and forest rows equal these
        "linear": (LinearRegression(), LogisticRegression(solver="newton-cholesky", max_iter=1000)),
        "boosting": (
            HistGradientBoostingRegressor(**boost),
            HistGradientBoostingClassifier(**boost),
        ),
    }


#: Grouping columns for the GATE table, with age bands (years) for the head's age.
GATE_GROUPS = (("head_female", None), ("head_age", [0, 35, 50, 200]), ("head_edu", None),
               ("province", None))  # fmt: skip


def _double_ml(ctx: Context, out: FindingResult) -> dict:
    """PLR and IRM by double ML with two learner families, and effect heterogeneity."""
    from welfare.premium import blp, causal_forest, dml_irm, dml_plr, gate

    spec, survey = ctx.spec, ctx.survey
    controls = list(spec.premium_controls)
    if not controls:
        out.skipped.append("double ML: no premium_controls in the codebook")
        return {}
    kw = {"outcome": spec.outcome, "treatment": spec.participation, "covariates": controls,
          "scale": spec.outcome_scale, "random_state": ctx.seed, "n_jobs": ctx.jobs}  # fmt: skip
    rows: dict[str, dict] = {}
    irm_linear = None
    for family, (reg, cls) in _learners().items():
        plr = dml_plr(survey, learner_outcome=reg, learner_treatment=cls, **kw)
        rows[f"DML PLR, {family}"] = {"ATE": (plr, spec.participation)}
        for e in ("ATE", "ATT"):
            irm = dml_irm(survey, learner_outcome=reg, learner_propensity=cls, estimand=e, **kw)
            rows.setdefault(f"DML IRM, {family}", {})[e] = (irm, e)
            if family == "linear" and e == "ATE":
                irm_linear = irm
    for name, by in rows.items():
        for e, (res, _) in by.items():
            out.results[f"{name} {e}"] = res
    truth = None
    if ctx.truth is not None and spec.outcome_scale == "log":
        truth = {"ATE": ctx.truth["ate_log"], "ATT": ctx.truth["att_log"]}
    unit = "log points" if spec.outcome_scale == "log" else f"levels of {spec.outcome}"
    clus = survey.design.psu
    out.tables["F2_double_ml"] = effects_table(
        rows,
        title=f"F2. Participation premium ({unit}) by double ML",
        truth=truth,
        notes=(
            f"Covariates: {', '.join(controls)}. Learners: linear = OLS / logistic regression; "
            "boosting = scikit-learn HistGradientBoosting (depth 3, 150 rounds, rate 0.05, "
            "20 per leaf).",
            "PLR: partialling-out score (a variance-weighted average effect, shown in the ATE "
            "column but not the ATE); IRM: AIPW score. "
            "5-fold cross-fitting"
            + (
                f" with whole villages ({clus!r}) in one fold and the variance clustered by them"
                if clus
                else ""
            )  # fmt: skip
            + f"; seed {ctx.seed}.",
        )
        + (
            (
                "As for weighting and matching, the twin's village effects are not among the "
                "covariates, so these estimates are expected above the truth.",
            )
            if ctx.truth is not None
            else ()
        ),  # fmt: skip
    )
    # heterogeneity from the linear IRM (cluster-robust, pseudo-outcomes)
    gates = {}
    for by, bins in GATE_GROUPS:
        if ctx.has(by) and by in survey.data.columns:
            col = survey.data[by]
            if bins is None and pd.api.types.is_numeric_dtype(col) and col.nunique() > 10:
                continue
            gates[by] = gate(irm_linear, by, bins=bins)
    if not gates:
        out.skipped.append("GATE: none of head_female, head_age, head_edu, province in the data")
        return rows
    body = []
    for g in gates.values():
        t = g.tidy()
        for _, r in t.iterrows():
            body.append({"group": r.term, "GATE": r.estimate, "std_error": r.std_error,
                         "conf_low": r.conf_low, "conf_high": r.conf_high,
                         "n": g.extra["group_sizes"][r.term]})  # fmt: skip
    gt = pd.DataFrame(body)
    if ctx.truth is not None and spec.outcome_scale == "log":
        gt["truth"] = [_group_truth(ctx, term) for term in gt["group"]]
    from welfare.report.tables import Table, format_number

    shown = gt.copy()
    for c in shown.columns:
        if c not in ("group", "n"):
            shown[c] = [format_number(v, 3) for v in shown[c]]
    walds = [
        f"{by}: chi2({g.extra['wald_df']}) = {g.extra['wald_chi2']:.2f}, p = {g.extra['wald_p']:.3f}"
        for by, g in gates.items() if "wald_chi2" in g.extra
    ]  # fmt: skip
    synthetic = irm_linear.synthetic
    out.tables["F2_gate"] = Table(
        title=("SYNTHETIC DATA - " if synthetic else "")
        + f"F2. Group average effects of participation ({unit}), DML IRM (linear learners)",
        body=shown.set_index("group"),
        notes=tuple(
            ([f"SYNTHETIC DATA: {irm_linear.data_label}."] if synthetic else [])
            + [
                "GATE = weighted mean of the cross-fitted AIPW pseudo-outcome within the group; "
                f"{irm_linear.vcov_spec.describe()}.",
                "Wald tests that all groups of a characteristic share one effect: "
                + "; ".join(walds)
                + ".",
            ]
            + (
                ["truth = the twin's mean household effect in the group (population)."]
                if "truth" in gt
                else []
            )  # fmt: skip
        ),
        long=gt,
    )
    out.figures.append(
        coefficient_plot(
            dict(gates),
            ctx.out / "figures" / "F2_gate.png",
            title=f"F2. Effect of participation by group ({unit}), DML IRM",
            xlabel=f"GATE ({unit}, 95% CI)",
            reference=(
                {t: v for t, v in zip(gt["group"], gt["truth"], strict=True)}
                if "truth" in gt
                else None
            ),
        )
    )
    blp_cov = [c for c, _ in GATE_GROUPS if c in controls and c != "province"]
    if blp_cov:
        b = blp(irm_linear, blp_cov)
        out.results["BLP of the CATE"] = b
        out.tables["F2_blp"] = regression_table(
            {"BLP": b},
            title=f"F2. Best linear projection of the participation effect ({unit})",
            stars=True,
            notes=("Least-squares projection of the cross-fitted AIPW pseudo-outcome of the "
                   "linear DML IRM on the characteristics (Semenova & Chernozhukov 2021).",),
        )  # fmt: skip
    reg, cls = _learners()["linear"]
    forest = causal_forest(
        survey, outcome=spec.outcome, treatment=spec.participation, covariates=controls,
        learner_outcome=reg, learner_propensity=cls, n_estimators=200, scale=spec.outcome_scale,
        random_state=ctx.seed,
    )  # fmt: skip
    out.results["causal forest"] = forest
    q = forest.extra["cate_quantiles"]
    t = forest.tidy().iloc[0]
    out.here.append(
        f"causal forest (econml): doubly robust ATE {t.estimate:+.3f} (SE {t.std_error:.3f}, "
        f"{forest.vcov_spec.kind}; econml's own unweighted ate_ "
        f"{forest.extra['econml_ate']:+.3f}); CATE deciles 10/50/90: "
        f"{q['p10']:+.3f} / {q['p50']:+.3f} / {q['p90']:+.3f} {unit}"
    )
    from welfare.report import frame_table

    out.tables["F2_causal_forest"] = frame_table(
        pd.DataFrame(
            {
                "statistic": [
                    "ATE (weighted mean of the doubly robust scores)",
                    "SE",
                    "econml's own ate_ (unweighted mean)",
                    "CATE p10",
                    "CATE p50",
                    "CATE p90",
                ],
                "value": [
                    t.estimate,
                    t.std_error,
                    forest.extra["econml_ate"],
                    q["p10"],
                    q["p50"],
                    q["p90"],
                ],
            }
        ),  # fmt: skip
        title=f"F2. Causal forest (econml CausalForestDML), {unit}",
        synthetic=survey.synthetic,
        data_label=survey.label,
        index="statistic",
        digits=3,
        notes=(
            f"200 trees; SE {forest.vcov_spec.kind} with the nuisances and the forest held "
            "fixed; CATE p10/p50/p90: percentiles of the forest's CATE predictions for the "
            "sample's units.",
        ),
    )
    for name, by in rows.items():
        what = "variance-weighted effect (not the ATE)" if name.startswith("DML PLR") else None
        parts = [
            f"{what or e} {res.params.iloc[0]:+.3f} (SE {res.std_errors.iloc[0]:.3f})"
            for e, (res, _) in by.items()
        ]
        out.here.append(f"{name}: " + ", ".join(parts) + f" {unit}")
    for by, g in gates.items():
        if "wald_chi2" in g.extra:
            out.here.append(
                f"GATE by {by}: equal effects " + ("rejected" if g.extra["wald_p"] < 0.05
                else "not rejected") + f" at 5% (p = {g.extra['wald_p']:.3f})"
            )  # fmt: skip
    return rows


def _group_truth(ctx: Context, term: str) -> float:
    """The twin's population mean effect in a GATE group (``"<column>=<level>"``)."""
    pop = ctx.population
    col, level = term.split("=", 1)
    if level.startswith("["):
        lo, hi = (float(x) for x in level.strip("[)").split(","))
        mask = (pop[col] >= lo) & (pop[col] < hi)
    elif pd.api.types.is_numeric_dtype(pop[col]):
        mask = pop[col] == float(level)
    else:
        mask = pop[col].astype(str) == level
    return float(pop.loc[mask, "tau"].mean())
