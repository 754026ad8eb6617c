"""F8 - How concentrated are the online sales of poverty-stricken counties?

On the county table (all counties: a census), for the poverty-stricken counties over
2013-2016 (sums over the four years per county):

* the share of online sales made by the top quarter of counties (ranked by sales), its Gini,
  and the Lorenz curve;
* the shares of packages sent and of online stores held by that same top quarter
  (concentration curves ranked by sales), and the top quarter's share of online purchases
  (ranked by purchases);
* the central and eastern counties' shares of population and of online sales.

Standard errors treat the counties as draws from a superpopulation (iid linearisation): with a
census, the shares themselves are exact.

Run alone with ``python -m welfare.replicate --only F8``.
"""

from __future__ import annotations

import pandas as pd

from welfare.inequality import concentration_share, inequality, lorenz_curve
from welfare.replicate.context import Context, FindingResult
from welfare.report import grid_table, lorenz_plot, truth_table
from welfare.report.tables import format_number as num

FINDING = "F8"
PUBLISHED = {  # World Bank & Alibaba (2019): poverty-stricken counties, 2013-2016
    "sales": 0.90,
    "packages": 0.90,
    "stores": 0.70,
    "purchases": 0.60,
    "central_east_population": 0.46,
    "central_east_sales": 0.77,
}
AMOUNTS = ("online_sales", "packages_sent", "online_stores", "online_purchases", "population")


def county_totals(counties: pd.DataFrame) -> pd.DataFrame:
    """Poverty counties with their 2013-2016 sums (one row per county)."""
    pov = counties[counties["poverty_county"] == 1]
    sums = pov.groupby("county_id")[list(AMOUNTS)].sum()
    region = pov.groupby("county_id")["region"].first()
    out = sums.assign(
        central_east=region.isin(["east", "central"]).astype(float),
        sales_central_east=sums["online_sales"] * region.isin(["east", "central"]),
        pop_central_east=sums["population"] * region.isin(["east", "central"]),
    ).reset_index()
    out.attrs = dict(counties.attrs)
    return out


def run(ctx: Context) -> FindingResult:
    """Concentration of poverty counties' online sales, stores, packages and purchases."""
    out = FindingResult(FINDING)
    c = ctx.counties
    needed = {"poverty_county", "county_id", "region", *AMOUNTS}
    if c is None or not needed <= set(c.columns):
        out.skipped.append(
            "concentration of county online sales: the data have no county table with "
            f"{sorted(needed)}; the synthetic twin has one"
        )
        return out
    tot = county_totals(c)
    sales = inequality(tot, "online_sales", indices=("top_share(0.25)", "gini"))
    purch = inequality(tot, "online_purchases", indices=("top_share(0.25)",))
    packages = concentration_share(tot, "packages_sent", top=0.25, rank_by="online_sales")
    stores = concentration_share(tot, "online_stores", top=0.25, rank_by="online_sales")
    ce_sales = tot["sales_central_east"].sum() / tot["online_sales"].sum()
    ce_pop = tot["pop_central_east"].sum() / tot["population"].sum()
    out.results = {"sales": sales, "purchases": purch}
    cells = {
        "online sales (top quarter by sales)": {
            "published": "0.90",
            "here (SE)": (sales, "top_share(0.25)"),
        },
        "packages sent (top quarter by sales)": {"published": "0.90", "here (SE)": num(packages)},
        "online stores (top quarter by sales)": {"published": "0.70", "here (SE)": num(stores)},
        "online purchases (top quarter by purchases)": {
            "published": "0.60",
            "here (SE)": (purch, "top_share(0.25)"),
        },
        "Gini of online sales": {"published": "", "here (SE)": (sales, "gini")},
        "central + east: share of population": {"published": "0.46", "here (SE)": num(ce_pop)},
        "central + east: share of online sales": {
            "published": "0.77",
            "here (SE)": num(ce_sales),
        },
    }
    out.tables["F8_concentration"] = grid_table(
        cells,
        title=f"F8. Concentration among the {len(tot)} poverty-stricken counties, 2013-2016",
        notes=(
            "Shares of the 2013-2016 totals held by the top quarter of poverty counties. Counties "
            "are a census: SEs (where shown) treat them as draws from a superpopulation.",
            "Published: World Bank & Alibaba (2019).",
        ),
    )
    curves = pd.concat(
        [
            lorenz_curve(tot, "online_sales").assign(group="online sales"),
            lorenz_curve(tot, "online_purchases").assign(group="online purchases"),
            lorenz_curve(tot, "online_stores", rank_by="online_sales").assign(
                group="online stores (ranked by sales)"
            ),
        ],
        ignore_index=True,
    )
    curves.attrs = {"welfare_synthetic": bool(c.attrs.get("welfare_synthetic", False))}
    out.figures.append(
        lorenz_plot(
            curves,
            ctx.out / "figures" / "F8_lorenz_counties.png",
            title="F8. Poverty counties: Lorenz/concentration curves",
            xlabel="cumulative share of poverty counties",
            ylabel="cumulative share of the total",
            marks={"report: top 25% make 90% of sales": (0.75, 0.10)},
        )
    )
    t = sales.tidy().set_index("term").loc["top_share(0.25)"]
    out.here.append(
        f"The top quarter of poverty counties made {num(t.estimate)} of their 2013-2016 online "
        f"sales (report: 0.90; superpopulation 95% CI {num(t.conf_low)} to {num(t.conf_high)}); "
        f"Gini of county sales {num(sales.params['gini'])}."
    )
    out.here.append(
        f"Same counties: {num(packages)} of packages (report 0.90) and {num(stores)} of online "
        f"stores (report 0.70); the top quarter by purchases made "
        f"{num(purch.params['top_share(0.25)'])} of purchases (report 0.60)."
    )
    out.here.append(
        f"Central and eastern poverty counties: {num(ce_pop)} of the population, "
        f"{num(ce_sales)} of online sales (report: 0.46 and 0.77)."
    )
    if c.attrs.get("welfare_synthetic", False):
        out.here.append(
            "The SYNTHETIC county panel is calibrated to these published shares, so agreement "
            "with the report is by construction; what this checks is the estimators, which "
            "must return the panel's census values exactly (table below)."
        )
    tr = ctx.county_truth
    if tr is not None and "realised_top_quarter_sales_share" in tr:
        out.truth_table = truth_table(
            [
                ("top quarter: sales", sales, "top_share(0.25)", tr["realised_top_quarter_sales_share"]),
                ("Gini of sales", sales, "gini", tr["realised_gini_sales_poverty"]),
                ("top quarter: purchases", purch, "top_share(0.25)", tr["realised_top_quarter_purchases_share"]),
            ],
            title="F8. Concentration estimates vs the county census",
            note="SYNTHETIC DATA: the counties are a census, so estimate = truth exactly (z = 0).",
        )  # fmt: skip
    return out
