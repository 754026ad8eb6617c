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
    # the NBS figure is an average wage per employee-year: compare full-year equivalents
    full_year = "months_worked" in w.data
    wage = (
        w.data["annual_wage"] * 12 / w.data["months_worked"] if full_year else w.data["annual_wage"]
    )
    data = w.data.assign(
        wage_fy=wage,
        wage_gap=wage - BENCHMARK,
        at_or_above=(wage >= BENCHMARK).astype(float),
    )
    data.attrs = dict(w.data.attrs)
    earned = _mean(data, "annual_wage", w)
    mean = _mean(data, "wage_fy", w)
    gap = _mean(data, "wage_gap", w)
    share = _mean(data, "at_or_above", w)
    q = quantiles(data, "wage_fy", probs=(0.25, 0.5, 0.75), design=w.design)
    q_earned = quantiles(data, "annual_wage", probs=(0.5,), design=w.design)
    out.results = {"earned": earned, "mean": mean, "gap": gap, "share": share, "quantiles": q}
    fy = " (full-year equivalent)" if full_year else ""
    col = "estimate (SE), RMB"
    cells = {
        f"mean annual wage{fy}": {col: (mean, "Intercept"), "benchmark": "45,761"},
        "difference from the benchmark": {col: (gap, "Intercept")},
        f"25th percentile{fy}": {col: (q, "p25")},
        f"median{fy}": {col: (q, "p50")},
        f"75th percentile{fy}": {col: (q, "p75")},
    }
    if full_year:
        cells["mean wage earned in the year (months worked)"] = {col: (earned, "Intercept")}
    east = data["province"].isin(EAST) if "province" in data else None
    if east is not None and east.any() and (~east).any():
        de = data.loc[east].assign(gap_east=lambda x: x["wage_fy"] - BENCHMARK_EAST)
        de.attrs = dict(w.data.attrs)
        me = _mean(de, "wage_fy", w)
        ge = _mean(de, "gap_east", w)
        out.results.update({"mean_east": me, "gap_east": ge})
        cells[f"mean, eastern provinces{fy}"] = {col: (me, "Intercept"), "benchmark": "50,592"}
        cells["difference from the eastern benchmark"] = {col: (ge, "Intercept")}
    out.tables["F4_eshop_wages"] = grid_table(
        cells,
        title="F4. E-shop workers' annual wages against the urban private-sector average",
        digits=0,
        notes=(
            "Benchmark: NBS, average annual wage of employees of urban private units, 2017 "
            "(RMB 45,761; eastern region 50,592), a mean per employee-year, taken as known.",
            "Full-year equivalent: the wage earned in the year times 12 / months worked, so that "
            "seasonal workers are compared with the NBS wage per employee-year.",
            "Workers carry their employer household's design weight; SEs clustered by village "
            "(t reference with G - 1 df); quantile SEs linearised (Woodruff density).",
        ),
    )
    out.tables["F4_eshop_wages_share"] = grid_table(
        {f"share at or above 45,761{fy}": {"estimate (SE)": (share, "Intercept")}},
        title="F4. Share of e-shop workers earning at least the urban private-sector average",
        digits=3,
    )

    def rmb(x):
        return f"{x:,.0f}"

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
        f"Mean annual wage of e-shop workers{fy} RMB {rmb(t.estimate)} (95% CI "
        f"{rmb(t.conf_low)} to {rmb(t.conf_high)}) against RMB 45,761: {verdict}."
    )
    if full_year:
        te = earned.tidy().iloc[0]
        out.here.append(
            f"Wage actually earned in the year (months worked): mean RMB {rmb(te.estimate)}, "
            f"median RMB {rmb(q_earned.params['p50'])}."
        )
    sh = share.tidy().iloc[0]
    out.here.append(
        f"Share at or above RMB 45,761{fy}: {num(sh.estimate)} (95% CI {num(sh.conf_low)} to "
        f"{num(sh.conf_high)}); median RMB {rmb(q.params['p50'])}."
    )
    if "gap_east" in out.results:
        ge_t = out.results["gap_east"].tidy().iloc[0]
        out.here.append(
            f"Eastern provinces against the eastern benchmark (RMB 50,592): difference RMB "
            f"{rmb(ge_t.estimate)} (95% CI {rmb(ge_t.conf_low)} to {rmb(ge_t.conf_high)})."
        )
    n_emp = data["hh_id"].nunique() if "hh_id" in data else None
    out.here.append(
        f"{len(data)} workers" + (f" of {n_emp} employers" if n_emp else "") + " in the module."
    )
    if ctx.truth is not None and "worker_wage_mean" in ctx.truth:
        tr = ctx.truth
        out.truth_table = truth_table(
            [
                ("mean wage earned in the year", earned, "Intercept", tr["worker_wage_mean"]),
                ("median wage earned in the year", q_earned, "p50", tr["worker_wage_median"]),
            ],
            title="F4. E-shop workers' wages vs the twin's worker population",
        )
    return out
