"""F3 - Are the gains broadly shared? Inequality among e-households and others.

* Inequality indices (Gini, Theil T, mean log deviation, Atkinson, P90/P10, Palma, top 10% share)
  for e-households and others with design-based (linearised) SEs and the difference.
* Between/within decomposition of GE(0), GE(1), GE(2) by participation.
* Gini by income source (Lerman-Yitzhaki) with e-commerce income as a source, and the Shapley
  (Shorrocks 2013) decomposition of the Gini by source (sources equalised at their mean),
  Rao-Wu bootstrap by village.
* Lorenz curves by participation; income-source shares of income and of the Gini.

Run alone with ``python -m welfare.replicate --only F3``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from welfare.errors import CollinearityError, DataError, EmptySampleError
from welfare.inequality import (
    ge_decomposition,
    gini_by_source,
    inequality,
    lorenz_curve,
    oaxaca,
    rif_regression,
    shapley_by_source,
)
from welfare.replicate.context import Context, FindingResult
from welfare.report import (
    decomposition_plot,
    grid_table,
    lorenz_plot,
    quantile_effects_plot,
    source_contribution_plot,
    truth_table,
)
from welfare.report.tables import format_number as num

FINDING = "F3"
# defined with zero incomes / needing incomes > 0 (estimated on the positive incomes only)
INDICES = ("gini", "theil_t", "atkinson(0.5)", "palma", "top_share(0.1)")
POSITIVE_INDICES = ("mld", "p90/p10")
SOURCES = {
    "income_ecommerce": "e-commerce",
    "income_wages": "wages",
    "income_farming": "farming",
    "income_transfers": "transfers",
}


def _population_truth(pop, outcome: str, participation: str) -> dict[str, float]:
    """Gini and Theil T of the twin's finite population, by participation (closed forms)."""
    out = {}
    for g in (0, 1):
        y = np.sort(pop.loc[pop[participation] == g, outcome].to_numpy())
        n = len(y)
        out[f"gini[{participation}={g}]"] = float(
            np.sum((2 * np.arange(1, n + 1) - n - 1) * y) / (n * y.sum())
        )
        x = y / y.mean()
        out[f"theil_t[{participation}={g}]"] = float(np.mean(x * np.log(x)))
    y = pop[outcome].to_numpy()
    mu = y.mean()
    between = 0.0
    for g in (0, 1):
        yg = pop.loc[pop[participation] == g, outcome].to_numpy()
        between += len(yg) / len(y) * (yg.mean() / mu) * np.log(yg.mean() / mu)
    out["theil_t: between"] = float(between)
    return out


def _oaxaca_gap(ctx: Context, out: FindingResult) -> None:
    """Twofold Oaxaca-Blinder decomposition of the mean (log) outcome gap by participation."""
    spec, survey = ctx.spec, ctx.survey
    d, y = spec.participation, spec.outcome
    controls = list(dict.fromkeys(spec.premium_controls or spec.participation_covariates))
    if not controls:
        out.skipped.append("Oaxaca-Blinder decomposition: no controls in the codebook's [analysis]")
        return
    data = survey.data.copy()
    regs, sets = [], []
    for c in controls:
        col = data[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            regs.append(c)
        else:  # a categorical: every level a dummy, normalised (Yun 2005)
            cat = col.astype("category")
            levels = [v for v in cat.cat.categories if (col == v).any()]
            names = [f"{c}={v}" for v in levels]
            for v, nm in zip(levels, names, strict=True):
                data[nm] = (col == v).astype(float)
            sets.append(names)
    log = spec.outcome_scale == "log" and bool((data[y] > 0).all())
    ycol = f"log_{y}" if log else y
    if log:
        data[ycol] = np.log(data[y])
    data.attrs = dict(survey.data.attrs)
    _quantile_effects(ctx, out, data, ycol, controls)  # text controls enter as C(...)
    try:
        oax = oaxaca(data, ycol, by=d, regressors=regs, normalize=sets, group1=1,
                     reference="group2", design=survey.design)  # fmt: skip
    except (CollinearityError, EmptySampleError, DataError) as e:
        out.skipped.append(f"Oaxaca-Blinder decomposition: {e}")
        return
    out.results["oaxaca"] = oax
    p, t = oax.params, oax.tidy().set_index("term")
    cells = {
        "difference (participants - others)": {"estimate (SE)": (oax, "difference")},
        "explained by characteristics": {"estimate (SE)": (oax, "explained")},
        "unexplained (returns)": {"estimate (SE)": (oax, "unexplained")},
    }
    for term in oax.terms:
        if term.startswith("explained["):
            cells[f"  explained: {term[10:-1]}"] = {"estimate (SE)": (oax, term)}
    out.tables["F3_oaxaca"] = grid_table(
        cells,
        title=f"F3. Oaxaca-Blinder decomposition of the gap in mean {ycol} by {d}",
        notes=(
            f"Twofold, reference coefficients of the non-participants ({d}=0): explained = "
            "(x1 - x0)'b0, unexplained = x1'(b1 - b0). Categorical controls normalised (Yun "
            "2005); parts add up (asserted).",
        ),
    )
    out.figures.append(
        decomposition_plot(
            oax,
            ctx.out / "figures" / "F3_oaxaca.png",
            title=f"F3. Detailed decomposition of the {ycol} gap",
        )
    )
    ex = t.loc["explained"]
    out.here.append(
        f"Mean {ycol} gap {num(p['difference'])}: {num(ex.estimate)} (95% CI {num(ex.conf_low)} "
        f"to {num(ex.conf_high)}) explained by characteristics, {num(p['unexplained'])} by "
        "different returns (Oaxaca-Blinder, non-participants' coefficients)."
    )
    if ctx.truth is not None and "att_log" in ctx.truth and log:
        out.here.append(
            f"Twin truth for comparison: ATT {num(ctx.truth['att_log'])} log points. The "
            "unexplained part equals the ATT only without unobserved differences (the twin's "
            "village effects raise both participation and income), so it is not a causal "
            "estimate."
        )


QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def _quantile_effects(ctx: Context, out: FindingResult, data, ycol: str, controls) -> None:
    """Unconditional quantile effects of participation (RIF regressions, Firpo et al. 2009)."""
    spec, survey = ctx.spec, ctx.survey
    d = spec.participation
    fe = [f for f in spec.fixed_effects if f in data]
    rhs = [d, *controls]
    effects = {}
    for p in QUANTILES:
        effects[p] = rif_regression(data, ycol, rhs, statistic="quantile", p=p,
                                    fixed_effects=fe or None, design=survey.design)  # fmt: skip
    mean = rif_regression(data, ycol, rhs, statistic="mean", fixed_effects=fe or None,
                          design=survey.design)  # fmt: skip
    out.results["quantile_effects"] = effects
    cells = {f"P{100 * p:g}": {f"effect of {d}": (effects[p], d)} for p in QUANTILES}
    cells["mean (OLS)"] = {f"effect of {d}": (mean, d)}
    out.tables["F3_quantile_effects"] = grid_table(
        cells,
        title=f"F3. Unconditional quantile effects of {d} on {ycol}",
        notes=(
            "RIF-quantile regressions (Firpo, Fortin & Lemieux 2009) on participation and the "
            "controls" + (f", {', '.join(fe)} fixed effects" if fe else "") + "; the RIF's "
            "density is a weighted Gaussian kernel with Silverman's bandwidth. SEs treat the "
            "RIF as known.",
            "An effect at P90 above the one at P10 means participation goes with a wider "
            "upper tail of the distribution. Associations, not causal effects.",
        ),
    )
    out.figures.append(
        quantile_effects_plot(
            effects,
            d,
            ctx.out / "figures" / "F3_quantile_effects.png",
            title=f"F3. Quantile effects of {d} on {ycol}",
            mean_effect=mean,
            ylabel=f"effect on the quantile of {ycol} (95% CI)",
        )
    )
    lo, hi = (
        effects[0.1].tidy().set_index("term").loc[d],
        effects[0.9].tidy().set_index("term").loc[d],
    )
    out.here.append(
        f"Quantile effects of participation on {ycol}: P10 {num(lo.estimate)} (95% CI "
        f"{num(lo.conf_low)} to {num(lo.conf_high)}), P90 {num(hi.estimate)} (95% CI "
        f"{num(hi.conf_low)} to {num(hi.conf_high)}); mean {num(mean.params[d])}."
    )


def run(ctx: Context) -> FindingResult:
    """Estimate inequality by participation, its decompositions and the Lorenz curves."""
    out = FindingResult(FINDING)
    spec, survey = ctx.spec, ctx.survey
    d, y = spec.participation, spec.outcome
    labels = {0: "others", 1: "participants"}
    if survey.synthetic:
        labels = {0: "other households", 1: "e-households"}
    # negative incomes are left out (counted); zeros stay in for the indices defined with them
    ineq = inequality(survey, y, indices=INDICES, by=d, nonpositive="exclude")
    allhh = inequality(survey, y, indices=INDICES, nonpositive="exclude")
    pos = inequality(survey, y, indices=POSITIVE_INDICES, by=d, nonpositive="exclude")
    pos_all = inequality(survey, y, indices=POSITIVE_INDICES, nonpositive="exclude")
    n_nonpos = pos.sample.n_rows - pos.sample.n_obs - (ineq.sample.n_rows - ineq.sample.n_obs)
    alphas = (0, 1, 2) if n_nonpos == 0 else (1, 2)
    dec = ge_decomposition(survey, y, by=d, alpha=alphas, nonpositive="exclude")
    out.results = {"indices": ineq, "all": allhh, "decomposition": dec, "positive": pos}
    lab = {**ineq.extra["labels"], **pos.extra["labels"]}
    cells = {}
    for res, res_all, names in ((ineq, allhh, INDICES), (pos, pos_all, POSITIVE_INDICES)):
        for i in names:
            row = lab[i] + (" (incomes > 0)" if res is pos and n_nonpos else "")
            cells[row] = {
                "all": (res_all, i),
                labels[0]: (res, f"{i}[{d}=0]"),
                labels[1]: (res, f"{i}[{d}=1]"),
                f"difference ({labels[1]} - {labels[0]})": (res, f"{i}[1 - 0]"),
            }
    if n_nonpos:
        out.here.append(
            f"{n_nonpos} zero or negative values of {y} are kept for the Gini, Theil T, "
            "Atkinson(0.5), Palma and top share (negative ones excluded), and left out of the "
            "mean log deviation, P90/P10 and GE(0) (defined for incomes > 0 only)."
        )
    out.tables["F3_inequality_by_participation"] = grid_table(
        cells,
        title=f"F3. Inequality of {y} among {labels[1]} and {labels[0]}",
        notes=(
            f"Income: {ctx.describe(y)}; groups by {ctx.describe(d)}.",
            "Gini: population convention; shares from the Lorenz curve; P90/P10 SEs use the "
            "Woodruff slope of the quantile function.",
        ),
    )
    # ---- between / within
    rows = {}
    for a, name in ((0, "mld"), (1, "theil_t"), (2, "ge(2)")):
        if a not in alphas:
            continue
        rows[f"GE({a})"] = {
            "total": (dec, f"{name}: total"),
            "between": (dec, f"{name}: between"),
            "within": (dec, f"{name}: within"),
            "between share": (dec, f"{name}: between share"),
            f"index, {labels[0]}": (dec, f"{name}: index[{d}=0]"),
            f"index, {labels[1]}": (dec, f"{name}: index[{d}=1]"),
        }
    out.tables["F3_between_within"] = grid_table(
        rows,
        title=f"F3. Between/within decomposition of GE inequality by {d}",
        notes=(
            f"Population shares: {labels[1]} {num(dec.params[f'pop_share[{d}=1]'])}; income "
            f"shares: {labels[1]} {num(dec.params[f'income_share[{d}=1]'])}.",
            "between + within = total (asserted in code).",
        ),
    )
    # ---- income sources
    have = [c for c in SOURCES if ctx.has(c)]
    src_res = None
    if len(have) >= 2 and ctx.has("hh_size"):
        data = survey.data.copy()
        pc = []
        for c in have:  # per-capita sources: they add up to per-capita total income
            data[f"{c}_pc"] = data[c] / data["hh_size"]
            pc.append(f"{c}_pc")
        data.attrs = dict(survey.data.attrs)
        ly = gini_by_source(data, pc, design=survey.design)
        sh = shapley_by_source(
            data,
            pc,
            index="gini",
            elimination="mean",
            design=survey.design,
            vcov="bootstrap",
            n_boot=199,
            random_state=ctx.seed,
        )
        src_res = ly
        out.results.update({"gini_by_source": ly, "shapley_by_source": sh})
        cells = {}
        for c, col in zip(have, pc, strict=True):
            name = SOURCES[c]
            cells[name] = {
                "income share S_k": (ly, f"share[{col}]"),
                "source Gini G_k": (ly, f"gini[{col}]"),
                "Gini correlation R_k": (ly, f"gini_correlation[{col}]"),
                "share of Gini (LY)": (ly, f"contribution_share[{col}]"),
                "elasticity": (ly, f"elasticity[{col}]"),
                "share of Gini (Shapley)": (sh, f"contribution_share[{col}]"),
            }
        cells["total income"] = {"source Gini G_k": (ly, "gini[total]")}
        out.tables["F3_gini_by_source"] = grid_table(
            cells,
            title="F3. Gini of per-capita income by income source",
            notes=(
                "Lerman & Yitzhaki (1985): G = sum_k S_k G_k R_k; elasticity = relative change "
                "of the Gini when source k grows by 1%, divided by 1%. Shapley: Shorrocks "
                "(2013), sources equalised at their mean, 199 Rao-Wu bootstrap replicates by "
                f"village (seed {ctx.seed}). Sources per person: each divided by hh_size.",
            ),
        )
    else:
        out.skipped.append(
            "Gini by income source: the data have fewer than two income-source columns "
            f"({list(SOURCES)}) or no hh_size"
        )
    # ---- figures
    curves = lorenz_curve(survey, y, by=d, design=survey.design)
    curves = curves.replace({"group": {"0": labels[0], "1": labels[1]}})
    out.figures.append(
        lorenz_plot(
            curves,
            ctx.out / "figures" / "F3_lorenz.png",
            title=f"F3. Lorenz curves of {y} by participation",
        )
    )
    if src_res is not None:
        out.figures.append(
            source_contribution_plot(
                src_res,
                ctx.out / "figures" / "F3_sources.png",
                title="F3. Income sources: share of income and of the Gini (Lerman-Yitzhaki)",
                labels={f"{c}_pc": SOURCES[c] for c in have},
            )
        )
    # ---- summary lines
    p, t = ineq.params, ineq.tidy().set_index("term")
    diff = t.loc["gini[1 - 0]"]
    out.here.append(
        f"Gini of {y}: {labels[1]} {num(p[f'gini[{d}=1]'])} vs {labels[0]} "
        f"{num(p[f'gini[{d}=0]'])}; difference {num(diff.estimate, signed=True)} "
        f"(95% CI {num(diff.conf_low)} to {num(diff.conf_high)})."
    )
    margin = 0.05  # equivalence margin in Gini points: chosen here, the report states none
    signif = "not significant" if diff.conf_low <= 0 <= diff.conf_high else "significant"
    if diff.conf_high < margin:
        reading = (
            f"participants' Gini is not more than {margin} above the others' (95% CI; the "
            f"margin of {margin} is this package's choice, the report gives none)"
        )
    else:
        reading = (
            f"a Gini more than {margin} above the others' cannot be ruled out at 95% (the "
            f"margin of {margin} is this package's choice, the report gives none)"
        )
    out.here.append(f"The difference is {signif} at 5%; {reading}.")
    out.here.append(
        "A similar spread within each group does not by itself show that the gains are shared: "
        "the income-source decomposition below says how e-commerce income moves inequality."
    )
    out.here.append(
        f"Sample: the replication's analysis sample ({survey.data.shape[0]} households: "
        "complete cases over every finding's columns, see sample.csv), so households with "
        "income but a missing head characteristic are left out here too."
    )
    bt = dec.tidy().set_index("term").loc["theil_t: between share"]
    out.here.append(
        f"Theil T between participation groups: {num(bt.estimate)} of total inequality "
        f"(95% CI {num(bt.conf_low)} to {num(bt.conf_high)}); the rest is within groups."
    )
    if src_res is not None:
        col = "income_ecommerce_pc"
        lt = src_res.tidy().set_index("term")
        el = lt.loc[f"elasticity[{col}]"]
        direction = (
            "raises inequality at the margin (disequalising)"
            if el.conf_low > 0
            else "lowers inequality at the margin (equalising)"
            if el.conf_high < 0
            else "has no significant marginal effect on inequality"
        )
        out.here.append(
            f"E-commerce income: {num(lt.loc[f'share[{col}]', 'estimate'])} of income but "
            f"{num(lt.loc[f'contribution_share[{col}]', 'estimate'])} of the Gini; elasticity "
            f"{num(el.estimate, signed=True)} (95% CI {num(el.conf_low, signed=True)} to "
            f"{num(el.conf_high, signed=True)}): a 1% rise in e-commerce income {direction}. "
            "On this reading the gains are concentrated, not broadly shared."
            if el.conf_low > 0
            else f"E-commerce income: {num(lt.loc[f'share[{col}]', 'estimate'])} of income, "
            f"{num(lt.loc[f'contribution_share[{col}]', 'estimate'])} of the Gini; elasticity "
            f"{num(el.estimate, signed=True)}: a 1% rise in e-commerce income {direction}."
        )
    # ---- the mean gap: Oaxaca-Blinder
    _oaxaca_gap(ctx, out)
    # ---- truth on the twin
    if ctx.truth is not None and ctx.population is not None:
        tr = _population_truth(ctx.population, y, d)
        rows = [
            (f"Gini, {labels[g]}", ineq, f"gini[{d}={g}]", tr[f"gini[{d}={g}]"]) for g in (0, 1)
        ]
        rows += [
            (f"Theil T, {labels[g]}", ineq, f"theil_t[{d}={g}]", tr[f"theil_t[{d}={g}]"])
            for g in (0, 1)
        ]
        rows.append(("Theil T between", dec, "theil_t: between", tr["theil_t: between"]))
        out.truth_table = truth_table(
            rows, title="F3. Inequality estimates vs the twin's finite population"
        )
    return out
