"""F6 - Where is e-commerce more developed? County determinants of the online indices.

Panel OLS of the Online Business Index (OBI) and the Online Shopping Index (OSI) of about 2,000
counties over 2013-2016 on county characteristics (log GDP per capita, secondary- and
primary-sector shares, log household savings per person, loans / GDP, log fixed-asset investment
per person, log population density, a Taobao Village indicator), with province and year fixed
effects and standard errors clustered by county; with contemporaneous and one-year-lagged
regressors (both reported), standardised (beta) coefficients, and the coefficient on initial
(2013) log GDP per capita given the time-varying controls.

Run alone with ``python -m welfare.replicate --only F6``.
"""

from __future__ import annotations

from welfare.county import (
    F6_REGRESSORS,
    county_determinants,
    county_regressors,
    initial_gdp_regression,
)
from welfare.replicate.context import Context, FindingResult
from welfare.report import coefficient_plot, regression_table, truth_table
from welfare.report.tables import format_number as num

FINDING = "F6"
LABELS = {
    "log_gdp_pc": "log GDP per capita",
    "secondary_share": "secondary-sector share of GDP",
    "primary_share": "primary-sector share of GDP",
    "log_savings_pc": "log household savings per person",
    "loans_to_gdp": "loans / GDP",
    "log_fai_pc": "log fixed-asset investment per person",
    "log_pop_density": "log population density",
    "taobao_village": "has a Taobao Village",
}
# the report's claim as signs: (index, regressor) -> +1 / -1
CLAIMS = {
    ("obi", "log_gdp_pc"): 1,
    ("obi", "secondary_share"): -1,
    ("obi", "log_savings_pc"): 1,
    ("obi", "loans_to_gdp"): 1,
    ("obi", "taobao_village"): 1,
    ("osi", "log_gdp_pc"): 1,
    ("osi", "secondary_share"): -1,
    ("osi", "log_savings_pc"): 1,
    ("osi", "loans_to_gdp"): 1,
    ("osi", "taobao_village"): 1,
    ("osi", "log_pop_density"): 1,
    ("osi", "log_fai_pc"): 1,
    ("osi", "primary_share"): -1,
}
NEEDED = (
    "county_id",
    "year",
    "province",
    "obi",
    "osi",
    "gdp_pc",
    "primary_share",
    "secondary_share",
    "savings_deposits",
    "loans",
    "fixed_asset_investment",
    "pop_density",
    "taobao_villages",
    "population",
)


def _labels(lag: int) -> dict[str, str]:
    if lag == 0:
        return LABELS
    return {f"{k}_lag1": f"{v} (t-1)" for k, v in LABELS.items()}


def run(ctx: Context) -> FindingResult:
    """OBI and OSI on county characteristics: contemporaneous, lagged, standardised."""
    out = FindingResult(FINDING)
    c = ctx.counties
    missing = [] if c is None else [v for v in NEEDED if v not in c.columns]
    if c is None or missing:
        out.skipped.append(
            "county determinants: the data have no county panel with the online indices and "
            "county characteristics"
            + (f" (missing columns {missing})" if missing else "")
            + "; the synthetic county panel has them"
        )
        return out
    data = county_regressors(c)
    models, std = {}, {}
    for index, name in (("obi", "OBI"), ("osi", "OSI")):
        for lag in (0, 1):
            key = f"{name} (t)" if lag == 0 else f"{name} (t-1 regressors)"
            models[key] = county_determinants(data, outcome=index, lag=lag)
        std[name] = county_determinants(data, outcome=index, lag=0, standardize=True)
    out.results.update({f"F6 {k}": v for k, v in models.items()})
    out.results.update({f"F6 {k} standardised": v for k, v in std.items()})
    labels = {**_labels(0), **_labels(1)}
    terms = list(F6_REGRESSORS) + [f"{k}_lag1" for k in F6_REGRESSORS]
    common = (
        "Province and year fixed effects absorbed; SEs clustered by county (CRV1, t with G - 1 "
        "df). Indices: 50 + 10 x mean of two components standardised on the 2013 counties "
        "(OBI: log sellers per 10,000 people and logit share of large sellers; OSI: the same "
        "for buyers); a documented construction, not Alibaba's formula.",
        "Lagged columns use each regressor of year t-1 of the same county: 2013 rows have no "
        "lag and are counted as left out.",
        "Units: index points per unit of the regressor. Sector shares and loans / GDP are "
        "fractions (0-1), so -21.8 on the secondary share is -0.22 index points per percentage "
        "point; log regressors: index points per log point.",
    )
    out.tables["F6_county_determinants"] = regression_table(
        models,
        title="F6. County e-commerce indices on county characteristics (2013-2016)",
        terms=terms,
        labels=labels,
        stars=True,
        notes=common,
    )
    out.tables["F6_county_determinants_standardised"] = regression_table(
        std,
        title="F6. Standardised (beta) coefficients, contemporaneous regressors",
        terms=list(F6_REGRESSORS),
        labels=LABELS,
        stars=True,
        notes=(
            common[0],
            "Beta coefficients b x sd(x) / sd(y) over the estimation sample; SEs scaled the same "
            "way (the standard deviations treated as fixed).",
        ),
    )
    initial = {
        name: initial_gdp_regression(data, outcome=index)
        for index, name in (("obi", "OBI"), ("osi", "OSI"))
    }
    out.results.update({f"F6 {k} initial GDP": v for k, v in initial.items()})
    out.tables["F6_initial_gdp"] = regression_table(
        initial,
        title="F6. Initial (2013) GDP per capita with time-varying controls",
        labels={"log_gdp_pc_initial": "log GDP per capita in 2013", **LABELS},
        stars=True,
        notes=(
            common[0],
            "Initial = the county's 2013 log GDP per capita; controls: the other time-varying "
            "characteristics (current log GDP per capita left out: the question is whether the "
            "initial income level predicts e-commerce given the other characteristics).",
        ),
    )
    out.figures.append(
        coefficient_plot(
            std,
            ctx.out / "figures" / "F6_county_coefficients.png",
            title="F6. Standardised coefficients of county characteristics",
            terms=list(F6_REGRESSORS),
            xlabel="standardised coefficient (95% CI)",
            labels=LABELS,
        )
    )
    # the report's signs
    agree, disagree = [], []
    for (index, reg), sign in CLAIMS.items():
        name = index.upper()
        t = models[f"{name} (t)"].tidy().set_index("term").loc[reg]
        ok = (t.estimate * sign > 0) and t.p_value < 0.05
        (agree if ok else disagree).append(f"{name}: {LABELS[reg]} ({num(t.estimate)})")
    n_total = len(CLAIMS)
    out.here.append(
        f"{len(agree)} of {n_total} signs claimed by the report are found with p < 0.05 "
        f"(contemporaneous regressors, {models['OBI (t)'].n_obs} county-years, "
        f"{models['OBI (t)'].vcov_spec.n_clusters} counties)"
        + (
            "; the synthetic twin's indices are built with these signs, so here this checks the "
            "pipeline (coefficients against the true ones below), not the report's claim."
            if models["OBI (t)"].synthetic
            else "."
        )
    )
    if disagree:
        out.here.append("Not found at p < 0.05 with the claimed sign: " + "; ".join(disagree) + ".")
    lag_agree = 0
    for (index, reg), sign in CLAIMS.items():
        t = models[f"{index.upper()} (t-1 regressors)"].tidy().set_index("term").loc[f"{reg}_lag1"]
        lag_agree += int((t.estimate * sign > 0) and t.p_value < 0.05)
    out.here.append(
        f"With one-year-lagged regressors: {lag_agree} of {n_total} claimed signs at p < 0.05 "
        f"({models['OBI (t-1 regressors)'].n_obs} county-years)."
    )
    for name, res in initial.items():
        t = res.tidy().set_index("term").loc["log_gdp_pc_initial"]
        out.here.append(
            f"{name}: initial (2013) log GDP per capita {num(t.estimate)} index points per log "
            f"point (95% CI {num(t.conf_low)} to {num(t.conf_high)}) given the other "
            "time-varying characteristics."
        )
    tr = ctx.county_truth
    if tr is not None and "f6_beta" in tr:
        rows = []
        for index in ("obi", "osi"):
            res = models[f"{index.upper()} (t)"]
            for reg in F6_REGRESSORS:
                rows.append((f"{index.upper()}: {reg}", res, reg, tr["f6_beta"][index][reg]))
        out.truth_table = truth_table(
            rows,
            title="F6. County regressions (contemporaneous) vs the twin's true coefficients",
            note=(
                "SYNTHETIC DATA: the truth is the county panel's data-generating process, in index "
                "points per unit of the regressor; |z| < 3 expected. Lagged regressions have no "
                "structural truth (the twin's indices depend on year-t characteristics)."
            ),
        )
    return out
