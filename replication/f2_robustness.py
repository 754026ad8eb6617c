"""F2 robustness section: what a referee asks of the premium, in one place.

Called by ``f2_income_premium.run`` after the main F2 tables. On one estimation sample:

* the robustness table: raw difference, OLS with controls, OLS with village FE, PS matching,
  bias-adjusted covariate matching, IPW, AIPW, DML PLR, DML IRM, causal forest (with the truth
  line on the twin);
* sensitivity to an omitted confounder: Cinelli & Hazlett (2020) robustness values and bounds
  benchmarked on the observed covariates, with the contour plot; Oster (2019) delta and
  bias-adjusted beta (both on the premium regression, design-weighted on the twin, with the
  classical WLS t as R sensemakr on a weighted lm; the design-based SE is shown beside it);
  Rosenbaum (2002) Gamma bounds for the 1:1 nearest-neighbour matched pairs;
* placebo outcomes (pre-determined household characteristics) and placebo treatments
  (participation permuted within villages);
* the specification curve over control sets, fixed effects and estimators.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from welfare.inference.wild import wild_cluster_bootstrap
from welfare.premium import nn_match
from welfare.replicate.context import Context, FindingResult
from welfare.report import frame_table, sensitivity_contour_plot
from welfare.report.tables import format_number as num
from welfare.robustness import (
    cinelli_hazlett,
    oster_bounds,
    placebo_outcomes,
    placebo_treatment,
    premium_across_outcomes,
    robustness_table,
    rosenbaum_bounds,
    specification_curve,
)

PLACEBO_REPS = 999
GAMMAS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0)


def _numeric(frame: pd.DataFrame, cols: list[str]) -> list[str]:
    return [
        c
        for c in cols
        if pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
    ]


def robustness_section(ctx: Context, out: FindingResult) -> None:
    """Add the F2 robustness tables, figures and REPORT lines to ``out``."""
    spec = ctx.spec
    survey = ctx.survey
    frame = survey.data
    d, y = spec.participation, spec.outcome
    controls = [c for c in spec.premium_controls if ctx.has(c)]
    fe = [f for f in spec.fixed_effects if ctx.has(f)]
    scale = spec.outcome_scale
    unit = "log points" if scale == "log" else f"levels of {y}"
    truth = None
    if ctx.truth is not None and scale == "log":
        truth = {"ATE": ctx.truth["ate_log"], "ATT": ctx.truth["att_log"]}
    # ---- 1. the robustness table
    tab = robustness_table(
        survey,
        treatment=d,
        outcome=y,
        controls=controls,
        propensity=list(spec.participation_covariates) or None,
        fixed_effects=fe,
        scale=scale,
        random_state=ctx.seed,
        truth=truth,
        n_jobs=ctx.jobs,
    )
    out.results["robustness_table"] = tab
    out.tables["F2_robustness"] = tab.table(
        title=f"F2. Robustness table: the premium by {len(tab.frame)} estimators on one sample"
    )
    out.figures.append(tab.plot(ctx.out / "figures" / "F2_robustness.png", truth=truth))
    fr = tab.frame
    lo, hi = fr["estimate"].min(), fr["estimate"].max()
    adj = fr[fr["estimator"].str.lower() != "raw difference"] if "estimator" in fr else fr
    out.here.append(
        f"Robustness table ({len(fr)} estimators, one sample of {tab.sample.n_obs} observations): "
        f"premium from {num(lo)} to {num(hi)} {unit}"
        + (
            f"; adjusted estimators {num(adj['estimate'].min())} to {num(adj['estimate'].max())}"
            if len(adj) < len(fr)
            else ""
        )
        + "."
        + (
            " (The raw difference here is the difference in mean log outcome; the raw-gap "
            "table's figure is the log of the ratio of means.)"
            if scale == "log"
            else ""
        )
        + (
            " On the twin only OLS with village FE is consistent for the true ATE: the village "
            "factor drives both participation and income, so rows without village effects carry "
            "an omitted-village bias (about +0.09 log points in a Monte Carlo over 100 twins, "
            "`tests/test_robustness_mc.py`)."
            if truth is not None
            else ""
        )
    )
    # ---- 2. omitted-variable sensitivity (the design-weighted regression; classical WLS t)
    sub = frame.loc[tab.sample.mask].reset_index(drop=True)
    sub.attrs = dict(frame.attrs)
    placebo_cols = [
        c for c in ("hh_size", "land_mu") if c in sub.columns and c not in (y, d)
    ]  # pre-determined characteristics
    few_ok = "province" in sub.columns and sub["province"].nunique() >= 2
    y_ols, sub_ols = y, sub
    if scale == "log":  # the sensitivity formulas take the regression as it is: log outcome
        y_ols = f"log_{y}"
        sub_ols = sub.assign(**{y_ols: np.log(sub[y])})
        sub_ols.attrs = dict(frame.attrs)
    bench = _numeric(sub, controls)
    bench = [b for b in ("head_ecom_knowledge", "head_urban_work") if b in bench] or bench[:1]
    ch = cinelli_hazlett(
        sub_ols,
        outcome=y_ols,
        treatment=d,
        controls=controls,
        fixed_effects=fe or None,
        benchmark_covariates=bench or None,
        kd=(1, 2, 3),
        design=survey.design,
    )
    out.results["cinelli_hazlett"] = ch
    ob = oster_bounds(
        sub_ols,
        outcome=y_ols,
        treatment=d,
        controls=controls,
        fixed_effects=fe or None,
        design=survey.design,
    )
    out.results["oster"] = ob
    summ = ch.summary().iloc[0]
    what = "WLS, design weights" if survey.design.weights is not None else "OLS"
    design_se = ch.design_model.tidy().set_index("term").loc[d, "std_error"]
    rows = [
        {"statistic": f"estimate ({what})", "value": summ["estimate"]},
        {"statistic": f"SE, classical ({what})", "value": summ["std_error"]},
        {
            "statistic": f"SE, {ch.design_model.vcov_spec.kind} (the design's rule)",
            "value": design_se,
        },
        {"statistic": "partial R2 of participation with the outcome", "value": ch.partial_r2_yd_x},
        {"statistic": "robustness value RV (q = 1)", "value": ch.rv_q},
        {"statistic": "robustness value RV (q = 1, alpha = 0.05)", "value": ch.rv_qa},
    ]
    for _, b in ch.bounds.iterrows():
        rows.append(
            {
                "statistic": f"adjusted estimate, confounder {b['bound']}",
                "value": b["adjusted_estimate"],
            }
        )
    ot = ob.table().iloc[0]
    rows += [
        {
            "statistic": "Oster: R2 without controls and fixed effects / with them",
            "value": f"{ot['r2_short']:.3f} / {ot['r2_long']:.3f}",
        },  # fmt: skip
        {"statistic": "Oster: R_max (1.3 x R2 with controls)", "value": ob.r_max},
        {"statistic": "Oster: bias-adjusted beta (delta = 1)", "value": ob.beta_star},
        {"statistic": "Oster: delta that would make beta = 0", "value": ob.delta_for_beta},
    ]
    out.tables["F2_sensitivity"] = frame_table(
        pd.DataFrame(rows),
        title=f"F2. Sensitivity of the premium ({unit}) to an omitted confounder",
        synthetic=survey.synthetic,
        data_label=survey.label,
        index="statistic",
        digits=3,
        notes=(
            "Cinelli & Hazlett (2020), doi:10.1111/rssb.12348: RV is the share of residual "
            "variance of both participation and the outcome a confounder must explain to bring "
            "the estimate to 0 (alpha: to make it insignificant); bounds: a confounder k times "
            f"as strong as {', '.join(bench) or 'the benchmark'}.",
            "Oster (2019), doi:10.1080/07350015.2016.1227711, as Stata psacalc.",
            f"Both use the premium regression ({what}) with the same controls and fixed "
            "effects; the sensitivity statistics use its classical t, dof = rows - parameters"
            + (
                " (weights as analytic weights, as R sensemakr on a weighted lm)"
                if survey.design.weights is not None
                else ""
            )
            + "; the SE by the design's rule is the row above.",
        ),
    )
    out.figures.append(
        sensitivity_contour_plot(
            ch,
            ctx.out / "figures" / "F2_sensitivity_contour.png",
            title="F2. Premium under an omitted confounder (Cinelli-Hazlett)",
        )  # fmt: skip
    )
    out.here.append(
        "The "
        + _and(
            ["sensitivity", "placebo-treatment"]
            + (["placebo-outcome"] if placebo_cols else [])
            + (["few-cluster"] if few_ok else [])
        )
        + f" checks below stress-test the constant-effect premium ({what} with the controls"
        + (" and fixed effects (" + ", ".join(fe) + ")" if fe else "")
        + f", {num(summ['estimate'])}); the robustness table's OLS rows interact the controls "
        "with participation and so estimate the ATE."
    )
    out.here.append(
        f"Omitted confounder ({what} {num(summ['estimate'])}): RV = {ch.rv_q:.3f} "
        f"(alpha 0.05: {ch.rv_qa:.3f}); a confounder as strong as "
        f"{bench[0] if bench else 'the benchmark'} would move it to "
        f"{num(ch.bounds['adjusted_estimate'].iloc[0])}; Oster delta for beta = 0: "
        f"{ob.delta_for_beta:.2f}, bias-adjusted beta (delta = 1) {num(ob.beta_star)}."
    )
    # ---- Rosenbaum bounds on 1:1 matched pairs (ATT)
    mcov = _numeric(sub, list(spec.participation_covariates) or controls)
    m = nn_match(sub, outcome=y, treatment=d, covariates=mcov, estimand="ATT", scale=scale)
    rb = rosenbaum_bounds(m.extra["treated_minus_matched"], gamma=GAMMAS)
    out.results["rosenbaum"] = rb
    out.tables["F2_rosenbaum"] = frame_table(
        rb.table,
        title=(
            f"F2. Rosenbaum bounds ({len(m.extra['treated_minus_matched'])} matched pairs, "
            f"{unit}): hidden bias needed to overturn the matched-pair test"
        ),
        synthetic=survey.synthetic,
        data_label=survey.label,
        index="gamma",
        digits={"p_lower": 4, "p_upper": 4},
        notes=(
            "Wilcoxon signed-rank test of the 1:1 nearest-neighbour matched pairs (treated minus "
            f"matched control; covariates {', '.join(mcov)}; unweighted, as the test assumes); "
            "Gamma: odds of participation within a pair may differ by up to this factor "
            "(Rosenbaum 2002, doi:10.1007/978-1-4757-3692-2). p_upper is the worst case.",
        ),
    )
    g_ok = [g for g, p in zip(rb.table["gamma"], rb.table["p_upper"], strict=True) if p < 0.05]
    out.here.append(
        f"Rosenbaum bounds ({len(m.extra['treated_minus_matched'])} matched pairs): the "
        + (
            f"positive premium stays significant at 5% up to Gamma = {max(g_ok):g}"
            if g_ok
            else "matched-pair test is not significant at 5% even without hidden bias"
        )
        + "."
    )
    # ---- placebo outcomes and treatments
    if not placebo_cols:
        out.skipped.append(
            "placebo outcomes: none of the pre-determined characteristics hh_size, land_mu in "
            "the data"
        )
    if placebo_cols:
        po = placebo_outcomes(sub, treatment=d, outcomes=placebo_cols,
                              controls=[c for c in controls if c not in placebo_cols],
                              fixed_effects=fe or None, design=survey.design)  # fmt: skip
        out.results["placebo_outcomes"] = po
        t = po.tidy().set_index("term")
        out.tables["F2_placebo_outcomes"] = frame_table(
            po.tidy(),
            title="F2. Placebo outcomes: the premium on pre-determined characteristics (levels)",
            synthetic=survey.synthetic,
            data_label=survey.label,
            index="term",
            digits={"p_value": 4},
            notes=(
                "OLS of each characteristic (in levels) on participation with the premium's "
                "controls other than the placebo outcomes, the same fixed effects, weights and "
                "clusters; participation cannot have changed them, so a clearly non-zero "
                "'effect' points to selection the controls do not absorb.",
            ),
        )
        out.here.append(
            "Placebo outcomes (pre-determined): "
            + "; ".join(
                f"{c} {num(t.loc[c, 'estimate'])} (p = {t.loc[c, 'p_value']:.2f})"
                for c in placebo_cols
            )
            + "."
        )
    pt = placebo_treatment(
        sub,
        treatment=d,
        outcome=y,
        controls=controls,
        fixed_effects=fe or None,
        design=survey.design,
        scale=scale,
        strata=fe[0] if fe else None,
        reps=PLACEBO_REPS,
        random_state=ctx.seed,
        n_jobs=ctx.jobs,
    )
    out.results["placebo_treatment"] = pt
    out.tables["F2_placebo_treatment"] = frame_table(
        pt.tidy().drop(columns=["term"]).assign(test="OLS premium vs permuted participation"),
        title=(
            f"F2. Placebo treatments ({unit}): the premium against premiums of permuted "
            "participation"
        ),
        synthetic=survey.synthetic,
        data_label=survey.label,
        index="test",
        digits={"p_value": 4},
        notes=(
            f"Participation permuted {PLACEBO_REPS} times"
            + (f" within {fe[0]}" if fe else "")
            + f" (seed {ctx.seed}); same controls, fixed effects and weights; p = (1 + "
            "#{|b*| >= |b|}) / (1 + permutations).",
        ),
    )
    out.here.append(
        f"Placebo treatments: permuted participation gives premiums with sd "
        f"{num(float(pt.placebo_estimates.std(ddof=1)))} around "
        f"{num(float(pt.placebo_estimates.mean()))}; permutation p = {pt.p_value:.4f}."
    )
    # ---- few clusters: the premium with provinces as clusters (wild cluster bootstrap)
    if not few_ok:
        out.skipped.append(
            "few-cluster check (wild cluster bootstrap with provinces as clusters): the data "
            "have no province column with at least 2 provinces"
        )
    else:
        yy = f"log_{y}" if scale == "log" else y
        frm = sub_ols if scale == "log" else sub
        rhs = [d] + [c if pd.api.types.is_numeric_dtype(frm[c]) else f"C({c})" for c in controls]
        wb = wild_cluster_bootstrap(
            f"{yy} ~ " + " + ".join(rhs),
            frm,
            param=d,
            cluster="province",
            fixed_effects=fe or None,
            weights=survey.design.weights,
            reps=9999,
            random_state=ctx.seed,
        )
        out.results["wild_province"] = wb.results
        out.tables["F2_few_clusters"] = frame_table(
            pd.DataFrame(
                {
                    "clusters": [f"{wb.n_clusters} provinces"],
                    "estimate": [wb.estimate],
                    "CRV1 t": [wb.statistic],
                    "wild bootstrap p": [wb.p_value],
                    "draws": [wb.reps],
                    "full enumeration": ["yes" if wb.full_enumeration else "no"],
                    "smallest attainable p": [2 / wb.reps if wb.full_enumeration else 1 / wb.reps],
                }
            ),
            title=f"F2. The premium ({unit}) with few clusters: wild cluster restricted bootstrap",
            synthetic=survey.synthetic,
            data_label=survey.label,
            index="clusters",
            digits={"wild bootstrap p": 4, "smallest attainable p": 4, "CRV1 t": 2},
            notes=(
                "The constant-effect OLS premium with the controls and fixed effects, clusters: "
                "provinces; Rademacher draws (all sign vectors when 2^G <= 9999), the null "
                f"imposed (Cameron, Gelbach & Miller 2008, doi:10.1162/rest.90.3.414); seed "
                f"{ctx.seed}.",
            ),
        )
        out.here.append(
            f"Few clusters: with the {wb.n_clusters} provinces as clusters the premium "
            f"{num(wb.estimate)} (CRV1 t = {wb.statistic:.2f}) has a wild cluster bootstrap "
            f"p = {wb.p_value:.4f} ({'all ' + str(wb.reps) + ' sign draws' if wb.full_enumeration else str(wb.reps) + ' draws'}; "
            "Cameron, Gelbach & Miller 2008)"
            + (
                f"; with {wb.n_clusters} clusters no p below {2 / wb.reps:.4f} is possible."
                if wb.full_enumeration
                else "."
            )
        )
    # ---- several outcomes: Romano-Wolf across income and consumption
    fam = [c for c in (y, "consumption_pc") if c in sub.columns]
    if not (len(fam) > 1 and scale == "log" and (sub[fam] > 0).all().all()):
        out.skipped.append(
            "several outcomes (Romano-Wolf across log income and log consumption): needs a "
            "positive consumption_pc column and the log scale"
        )
    else:
        logs = {f"log_{c}": np.log(sub[c]) for c in fam}
        frm = sub.assign(**logs)
        frm.attrs = dict(frame.attrs)
        multi = premium_across_outcomes(
            frm,
            treatment=d,
            outcomes=list(logs),
            controls=controls,
            fixed_effects=fe or None,
            design=survey.design,
            reps=9999,
            random_state=ctx.seed,
        )
        out.results["across_outcomes"] = multi
        out.tables["F2_across_outcomes"] = frame_table(
            multi,
            title="F2. The premium on income and consumption with multiple-testing p-values",
            synthetic=survey.synthetic,
            data_label=survey.label,
            index="outcome",
            digits={
                "p_value": 4,
                "p_value_wild": 4,
                "p_value_holm": 4,
                "p_value_romano_wolf": 4,
            },  # fmt: skip
            notes=(
                "OLS with the controls and fixed effects (constant effect), pweights, clusters: "
                "villages. p_value: CRV1 t; p_value_wild: wild cluster restricted bootstrap; "
                "p_value_holm: Holm; p_value_romano_wolf: Romano & Wolf (2005) stepdown from the "
                f"same bootstrap draws (9999, seed {ctx.seed}). pyfixest's rwolf refuses "
                "weighted models, so welfare's bootstrap is used.",
            )
            + (
                (
                    "p_value_wild 0.0000: no bootstrap |t*| reached |t| in the 9999 draws "
                    "(p < 1/9999).",
                )
                if (multi["p_value_wild"] == 0).any()
                else ()
            ),
        )
    # ---- specification curve
    base = [c for c in list(spec.participation_covariates) if c in controls] or controls[:2]
    control_sets = {"none": [], "head": base, "all": controls}
    if set(base) == set(controls):  # one set, not two identical specifications
        control_sets = {"none": [], "all": controls}
    fe_sets = {"none": []} | ({"village": fe} if fe else {})
    curve = specification_curve(
        sub,
        treatment=d,
        outcome=y,
        control_sets=control_sets,
        fixed_effects_sets=fe_sets,
        estimators=("OLS", "IPW", "NN matching"),
        design=survey.design,
        scale=scale,
        on_error="skip",
        n_jobs=ctx.jobs,
    )
    out.results["specification_curve"] = curve
    out.tables["F2_specification_curve"] = curve.table(
        title="F2. Specification curve of the premium"
    )
    out.figures.append(
        curve.plot(
            ctx.out / "figures" / "F2_specification_curve.png", truth=(truth or {}).get("ATE")
        )  # fmt: skip
    )
    out.here.append(
        f"Specification curve: {len(curve.frame)} specifications, estimates "
        f"{num(curve.frame['estimate'].min())} to {num(curve.frame['estimate'].max())}; "
        f"{100 * curve.share_significant_same_sign:.0f}% significant at 5% with the sign of "
        "the median."
    )


def _and(items: list[str]) -> str:
    """``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
