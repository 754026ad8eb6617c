"""F4 - Do e-shop workers earn as much as urban private-sector workers?

The design-weighted mean and quantiles of e-shop workers' annual wages (worker module; pweights
of the employer household, clustered by village) with 95% confidence intervals, set against the
NBS 2017 average annual wage of urban private-unit employees (RMB 45,761; eastern region
50,592). The benchmark is a published population figure, taken as known (no sampling error).

Run alone with ``python -m welfare.replicate --only F4``.
"""

from __future__ import annotations

from welfare.inequality import quantiles
from welfare.inference.linear import fit_ols
from welfare.replicate.context import Context, FindingResult
from welfare.report import grid_table, truth_table
from welfare.report.tables import format_number as num

FINDING = "F4"
BENCHMARK = 45761  # NBS 2017, urban private-unit employees, average annual wage (RMB)
BENCHMARK_EAST = 50592  # same, eastern region
EAST = ("Zhejiang", "Jiangsu", "Guangdong", "Fujian", "Shandong", "Hebei")


def _mean(data, column, survey):
    """Design-weighted mean (OLS on a constant with the survey's variance)."""
    return fit_ols(
        f"{column} ~ 1",
        data,
        design=survey.design,
        estimator="design-weighted mean",
        estimand=f"mean of {column}",
    )


def run(ctx: Context) -> FindingResult:
    """Compare e-shop workers' wages with the published urban private-sector average."""
    out = FindingResult(FINDING)
    if ctx.workers is None:
        out.skipped.append(
            "e-shop workers' wages: the data have no worker module (a table of e-shop workers "
            "with annual wages); the synthetic twin has one"
        )
        return out
    w = ctx.workers
    data = w.data.assign(
        wage_gap=w.data["annual_wage"] - BENCHMARK,
        at_or_above=(w.data["annual_wage"] >= BENCHMARK).astype(float),
    )
    data.attrs = dict(w.data.attrs)
    mean = _mean(data, "annual_wage", w)
    gap = _mean(data, "wage_gap", w)
    share = _mean(data, "at_or_above", w)
    q = quantiles(data, "annual_wage", probs=(0.25, 0.5, 0.75), design=w.design)
    out.results = {"mean": mean, "gap": gap, "share": share, "quantiles": q}
    cells = {
        "mean annual wage (RMB)": {"estimate (SE)": (mean, "Intercept")},
        "mean - 45,761 (RMB)": {"estimate (SE)": (gap, "Intercept")},
        "25th percentile (RMB)": {"estimate (SE)": (q, "p25")},
        "median (RMB)": {"estimate (SE)": (q, "p50")},
        "75th percentile (RMB)": {"estimate (SE)": (q, "p75")},
    }
    east = data["province"].isin(EAST) if "province" in data else None
    if east is not None and east.any() and (~east).any():
        de = data.loc[east].assign(gap_east=lambda x: x["annual_wage"] - BENCHMARK_EAST)
        de.attrs = dict(w.data.attrs)
        me = _mean(de, "annual_wage", w)
        ge = _mean(de, "gap_east", w)
        out.results.update({"mean_east": me, "gap_east": ge})
        cells["mean, eastern provinces (RMB)"] = {"estimate (SE)": (me, "Intercept")}
        cells["mean east - 50,592 (RMB)"] = {"estimate (SE)": (ge, "Intercept")}
    for k in cells:
        cells[k]["benchmark"] = "45,761" if "east" not in k else ("50,592" if "mean" in k else "")
    out.tables["F4_eshop_wages"] = grid_table(
        cells,
        title="F4. E-shop workers' annual wages against the urban private-sector average",
        digits=0,
        notes=(
            "Benchmark: NBS, average annual wage of employees of urban private units, 2017 "
            "(RMB 45,761; eastern region 50,592), taken as known.",
            "Workers carry their employer household's design weight; SEs clustered by village "
            "(t reference with G - 1 df); quantile SEs linearised (Woodruff density).",
        ),
    )
    out.tables["F4_eshop_wages_share"] = grid_table(
        {"share earning >= 45,761": {"estimate (SE)": (share, "Intercept")}},
        title="F4. Share of e-shop workers earning at least the urban private-sector average",
        digits=3,
    )
    t = mean.tidy().iloc[0]
    g = gap.tidy().iloc[0]
    verdict = (
        "consistent with the report (the CI lies at or above the benchmark)"
        if g.conf_low >= 0
        else "at the benchmark within sampling error (the CI covers it)"
        if g.conf_high >= 0
        else "below the benchmark (the CI lies below it)"
    )
    out.here.append(
        f"Mean annual wage of e-shop workers RMB {num(t.estimate, 0)} (95% CI "
        f"{num(t.conf_low, 0)} to {num(t.conf_high, 0)}) against RMB 45,761: {verdict}."
    )
    sh = share.tidy().iloc[0]
    out.here.append(
        f"Share earning at least RMB 45,761: {num(sh.estimate)} (95% CI {num(sh.conf_low)} to "
        f"{num(sh.conf_high)}); median RMB {num(q.params['p50'], 0)}."
    )
    if "gap_east" in out.results:
        ge_t = out.results["gap_east"].tidy().iloc[0]
        out.here.append(
            f"Eastern provinces against the eastern benchmark (RMB 50,592): difference RMB "
            f"{num(ge_t.estimate, 0)} (95% CI {num(ge_t.conf_low, 0)} to {num(ge_t.conf_high, 0)})."
        )
    n_emp = data["hh_id"].nunique() if "hh_id" in data else None
    out.here.append(
        f"{len(data)} workers" + (f" of {n_emp} employers" if n_emp else "") + " in the module."
    )
    if ctx.truth is not None and "worker_wage_mean" in ctx.truth:
        tr = ctx.truth
        out.truth_table = truth_table(
            [
                ("mean annual wage", mean, "Intercept", tr["worker_wage_mean"]),
                ("median annual wage", q, "p50", tr["worker_wage_median"]),
                ("share >= 45,761", share, "Intercept", tr["worker_share_above_benchmark"]),
            ],
            title="F4. E-shop workers' wages vs the twin's worker population",
        )
    return out
