"""F5 - Does e-commerce development go with faster household consumption growth?

Growth of log consumption per person between consecutive waves of a household panel regressed on
the county e-commerce development index one year before the end of the interval (the index of
the county where the household lived at the start of the interval), with its interactions with
rural, inland and poor households; wave fixed effects (and, as a robustness check, household
fixed effects), survey weights, standard errors clustered by county. Reported: the slope for
each group with its 95% CI, tests that the slopes are equal, split-sample slopes with the test
of their difference, a wild cluster bootstrap by province (few clusters), and the slopes by
consumption category with Romano-Wolf p-values across categories.

Run alone with ``python -m welfare.replicate --only F5``.
"""

from __future__ import annotations

from welfare.consumption import (
    by_category,
    consumption_growth,
    growth_panel,
    split_samples,
)
from welfare.inference.wild import wild_cluster_bootstrap
from welfare.replicate.context import Context, FindingResult
from welfare.report import (
    coefficient_plot,
    frame_table,
    grid_table,
    regression_table,
    truth_table,
)
from welfare.report.tables import format_number as num

FINDING = "F5"
GROUPS = ("rural", "inland", "poor")
INDEX = "edi"
CATEGORIES = {
    "cons_durables": "durables",
    "cons_in_style": "in-style goods",
    "cons_local_services": "local services",
    "cons_other": "other consumption",
}
NEEDED_HOUSEHOLDS = ("hh_id", "wave", "county_id", "weight", "consumption_pc", *GROUPS)
WILD_REPS = 9999


def _truth_label(label: str) -> str | None:
    """Slope label of :meth:`GrowthResults.slopes` -> the twin's ``group_slopes`` key."""
    if label.startswith("base"):
        on: set[str] = set()
    else:
        on = {g.strip() for g in label.split("&")}
        if not on <= set(GROUPS):
            return None
    return ",".join(f"{g}={int(g in on)}" for g in GROUPS)


def run(ctx: Context) -> FindingResult:
    """Consumption-growth slopes on the lagged county index, by group and category."""
    out = FindingResult(FINDING)
    hh, counties = ctx.households, ctx.counties
    missing_h = [] if hh is None else [c for c in NEEDED_HOUSEHOLDS if c not in hh.columns]
    if hh is None or missing_h:
        out.skipped.append(
            "consumption growth: the data have no household panel (households observed in "
            "several waves with consumption, rural/inland/poor flags and a county id)"
            + (f"; missing columns {missing_h}" if missing_h else "")
            + "; the synthetic twin has one"
        )
        return out
    if counties is None or INDEX not in counties.columns:
        out.skipped.append(
            f"consumption growth: no county panel with the e-commerce index {INDEX!r} to link"
        )
        return out
    cats = [c for c in CATEGORIES if c in hh.columns]
    gp = growth_panel(hh, counties, consumption=("consumption_pc", *cats), index=(INDEX,))
    idx = f"{INDEX}_lag"
    main = consumption_growth(gp, index=idx, groups=GROUPS)
    hhfe = consumption_growth(gp, index=idx, groups=GROUPS, fixed_effects=("hh_id", "wave"))
    out.results.update({"main": main.coefficients, "hh_fe": hhfe.coefficients})
    slopes = main.slopes()
    slopes_fe = hhfe.slopes()
    out.results.update({"slopes": slopes, "slopes_hh_fe": slopes_fe})
    inter = [f"{idx}:{g}" for g in GROUPS]
    labels = {
        idx: "county index (t-1)",
        **{f"{idx}:{g}": f"index x {g}" for g in GROUPS},
    }
    waves = ", ".join(str(w) for w in gp.waves)
    common = (
        f"Outcome: growth of log consumption per person between consecutive waves ({waves}), "
        "in log points over the 2-year interval. Index: the county e-commerce development "
        "index EDI = (OBI + OSI) / 2 (index points; 2013 county mean 50) in the year before "
        "the end wave, of the county where the household lived at the start wave. "
        "Coefficients: log points of 2-year growth per index point.",
    )
    out.tables["F5_consumption_growth"] = regression_table(
        {"wave FE": main.coefficients, "household and wave FE": hhfe.coefficients},
        title="F5. Consumption growth on the lagged county e-commerce index",
        terms=[idx, *inter, *GROUPS],
        labels=labels,
        digits=4,
        stars=True,
        notes=common,
    )
    out.tables["F5_slopes_by_group"] = regression_table(
        {"wave FE": slopes, "household and wave FE": slopes_fe},
        title="F5. Slope of consumption growth on the county index, by group",
        digits=4,
        notes=(
            "Slope = index coefficient + the interactions of the groups the household belongs "
            "to (linear combinations; covariance from the coefficient covariance).",
        ),
    )
    eq = main.equal_slopes()
    out.tables["F5_equal_slopes"] = frame_table(
        eq,
        title="F5. Tests that the slope is the same for rural, inland and poor households",
        synthetic=slopes.synthetic,
        data_label=slopes.data_label,
        index="test",
        digits={"statistic": 3, "p_value": 4},
        notes=("Wave FE model; CRV1 by county; joint test F(q, G - 1) as Stata's test.",),
    )
    split_cells = {}
    for g in GROUPS:
        s = split_samples(gp, by=g, index=idx)
        out.results[f"split_{g}"] = s
        split_cells[g] = {
            "slope, group = 0": (s, f"{idx} [{g}=0]"),
            "slope, group = 1": (s, f"{idx} [{g}=1]"),
            "difference (1 - 0)": (s, "difference (1 - 0)"),
        }
    out.tables["F5_split_samples"] = grid_table(
        split_cells,
        title="F5. Split samples: slope of consumption growth on the county index",
        digits=4,
        notes=(
            "Separate regressions by group (wave FE, pweights); the difference is tested in "
            "the stacked, fully interacted regression so that the covariance between the two "
            "subsamples (shared counties) is kept.",
        ),
    )
    # few clusters: wild cluster restricted bootstrap with provinces as clusters
    fml = f"dlog_consumption_pc ~ {idx} + " + " + ".join(inter) + " + " + " + ".join(GROUPS)
    wild_rows = []
    for term in [idx, *inter]:
        w = wild_cluster_bootstrap(
            fml,
            gp.data,
            param=term,
            cluster="province",
            fixed_effects=["wave"],
            weights="weight",
            reps=WILD_REPS,
            weights_type="webb",
            random_state=ctx.seed,
        )
        out.results[f"wild_{term}"] = w.results
        crv = main.coefficients.tidy().set_index("term").loc[term]
        wild_rows.append(
            {
                "term": labels[term],
                "estimate": w.estimate,
                "p (CRV1 by county)": crv.p_value,
                "t (CRV1 by province)": w.statistic,
                "p (wild bootstrap by province)": w.p_value,
                "provinces": w.n_clusters,
                "bootstrap draws": w.reps,
            }
        )
    import pandas as pd

    wild_frame = pd.DataFrame(wild_rows)
    out.tables["F5_wild_bootstrap"] = frame_table(
        wild_frame,
        title="F5. Few clusters: wild cluster bootstrap with provinces as clusters",
        synthetic=slopes.synthetic,
        data_label=slopes.data_label,
        index="term",
        digits={"estimate": 4, "p (CRV1 by county)": 4, "p (wild bootstrap by province)": 4},
        notes=(
            f"Wild cluster restricted bootstrap (Cameron, Gelbach & Miller 2008), Webb weights, "
            f"{WILD_REPS} draws, seed {ctx.seed}; pweights; wave FE. p counts bootstrap |t*| >= "
            f"|t|; 0.0000 means no draw reached |t| (p < {1 / WILD_REPS:.1g}).",
        ),
    )
    # consumption categories, Romano-Wolf across categories
    if cats:
        cat_frame = by_category(
            gp,
            outcomes=tuple(f"dlog_{c}" for c in cats),
            index=idx,
            groups=GROUPS,
            reps=WILD_REPS,
            random_state=ctx.seed,
        )
        show = cat_frame.assign(
            outcome=cat_frame["outcome"].str.replace("dlog_", "").map(CATEGORIES),
            term=cat_frame["term"].map(labels),
        )[
            [
                "outcome",
                "term",
                "estimate",
                "std_error",
                "p_value",
                "p_value_wild",
                "p_value_romano_wolf",
                "p_value_holm",
            ]
        ]
        show = show.assign(row=show["outcome"] + ": " + show["term"]).drop(
            columns=["outcome", "term"]
        )
        show = show.rename(
            columns={
                "std_error": "SE",
                "p_value": "p (t, CRV1)",
                "p_value_wild": "p (wild bootstrap)",
                "p_value_romano_wolf": "p (Romano-Wolf)",
                "p_value_holm": "p (Holm)",
            }
        )
        out.tables["F5_categories"] = frame_table(
            show,
            index="row",
            title="F5. Consumption growth by category with Romano-Wolf p-values",
            synthetic=slopes.synthetic,
            data_label=slopes.data_label,
            digits={
                "estimate": 5,
                "SE": 5,
                "p (t, CRV1)": 4,
                "p (wild bootstrap)": 4,
                "p (Romano-Wolf)": 4,
                "p (Holm)": 4,
            },
            notes=(
                "Each row: the index slope or an interaction in the growth regression of one "
                "category (wave FE, pweights, CRV1 by county), log points per index point. "
                "p (t, CRV1): t with G - 1 df; p (wild bootstrap): wild cluster restricted "
                "bootstrap by county, share of draws with |t*| >= |t| (0.0000: none); "
                "p (Romano-Wolf): Romano & Wolf (2005) stepdown across the categories for the "
                f"same term, from the same bootstrap draws ({WILD_REPS}, seed {ctx.seed}), with "
                "the (1 + count) / (1 + draws) convention, so never below 1 / (1 + draws); "
                "p (Holm): Holm's adjustment of p (t, CRV1).",
            ),
        )
        for c in cats:
            out.results[f"category_{c}"] = consumption_growth(
                gp, outcome=f"dlog_{c}", index=idx, groups=GROUPS
            ).coefficients
    # figure: slopes by group with CIs (truth marked on the twin)
    tr = ctx.household_truth
    reference = None
    if tr is not None and "group_slopes" in tr:
        reference = {}
        for label in slopes.terms:
            key = _truth_label(label)
            if key is not None and key in tr["group_slopes"]["total"]:
                reference[label] = tr["group_slopes"]["total"][key]
    out.figures.append(
        coefficient_plot(
            {"wave FE": slopes, "household and wave FE": slopes_fe},
            ctx.out / "figures" / "F5_slopes_by_group.png",
            title="F5. Growth slope per index point, by group",
            xlabel="slope per EDI point, 2-year log growth (95% CI)",
            reference=reference,
        )
    )
    # Here lines
    t = slopes.tidy().set_index("term")
    base = t.index[0]

    def ci(term: str) -> str:
        return (
            f"{num(t.loc[term, 'estimate'], 4)} (95% CI {num(t.loc[term, 'conf_low'], 4)} to "
            f"{num(t.loc[term, 'conf_high'], 4)})"
        )

    everything = " & ".join(GROUPS)
    out.here.append(
        "Slope of 2-year consumption growth (log points) per point of the county e-commerce "
        f"index: {ci(base)} for urban, coastal, non-poor households; "
        + "; ".join(
            f"{g} only (not {', '.join(x for x in GROUPS if x != g)}) {ci(g)}"
            for g in GROUPS
            if g in t.index
        )  # fmt: skip
        + (f"; rural, inland and poor {ci(everything)}" if everything in t.index else "")
        + ". The index is 50 + 10 x the mean of its standardised components (2013 county "
        "units), so 10 points is one 2013 standard deviation of a component."
    )
    ct = main.coefficients.tidy().set_index("term")
    larger = [g for g in GROUPS if ct.loc[f"{idx}:{g}", "estimate"] > 0]
    signif = [g for g in GROUPS if ct.loc[f"{idx}:{g}", "p_value"] < 0.05 and g in larger]
    joint = eq.set_index("test").loc["all interactions = 0"]
    out.here.append(
        f"Larger slope (interaction > 0) for {', '.join(larger) or 'none'}; significant at 5% "
        f"for {', '.join(signif) or 'none'}; equal slopes rejected with "
        f"F({int(joint.df_num)}, {int(joint.df_den)}) = {joint.statistic:.2f}, "
        f"p = {joint.p_value:.3g}."
    )
    w = wild_frame.set_index("term")
    out.here.append(
        f"With {int(w['provinces'].iloc[0])} provinces as clusters (wild cluster bootstrap): "
        + "; ".join(
            f"{k} p = {v:.3g}" if v > 0 else f"{k} p < {1 / WILD_REPS:.1g}"
            for k, v in w["p (wild bootstrap by province)"].items()
        )
        + "."
    )
    fe = hhfe.coefficients.tidy().set_index("term")
    ssc = hhfe.coefficients.vcov_spec.small_sample
    out.here.append(
        "With household fixed effects (identified only from changes in the index within "
        "households, so much less precise; the CRV1 small-sample factor "
        f"{ssc:.3f} counts the absorbed household effects, which households moving county make "
        "not nested in the county clusters): "
        + "; ".join(
            f"{labels[k]} {num(fe.loc[k, 'estimate'], 4)} (SE {num(fe.loc[k, 'std_error'], 4)})"
            for k in [idx, *inter]
        )
        + "."
    )
    if tr is not None and "growth_beta" in tr:
        rows = [
            (f"total: {labels[k]}", main.coefficients, k, tr["growth_beta"]["total"][k])
            for k in [idx, *inter]
        ]
        for c in cats:
            key = c.removeprefix("cons_")
            truth_c = tr["growth_beta"].get(key)
            if truth_c is None:
                continue
            rows += [
                (f"{CATEGORIES[c]}: {labels[k]}", out.results[f"category_{c}"], k, truth_c[k])
                for k in [idx, *inter]
            ]
        out.truth_table = truth_table(
            rows,
            title="F5. Consumption-growth slopes (wave FE) vs the twin's true slopes",
            note=(
                "SYNTHETIC DATA: the truth is the household panel's data-generating process "
                "(slopes per index point of 2-year log growth); 'other consumption' is a "
                "residual category with no true slope; |z| < 3 expected."
            ),
        )
    return out
