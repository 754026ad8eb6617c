"""F7 - Inclusion: women and young people among e-shop owners; perceived social status.

Design-weighted shares with linearised standard errors and logit 95% intervals (Stata
``svy: proportion``): women among e-shop owners and owners aged 20-29 (domain: e-households,
estimated as a subpopulation), and households whose social status is "same" or higher than five
years ago and who expect "same" or higher in two years, overall and by e-household status. An
ordered probit of each status answer on e-household status (controls: head's age and log income
per person; pweights, village clusters) with the average marginal effect of being an e-household
on P(same or higher).

The report's figures for women (about half of the entrepreneurs on Alibaba platforms) and for age
(three quarters of rural e-tailers aged 20-29) are national platform statistics, not survey
estimates; they are shown beside the survey shares as published values, not as hypotheses with
sampling error.

Run alone with ``python -m welfare.replicate --only F7``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from welfare.inclusion import ordered_probit, proportions, share_in_range
from welfare.replicate.context import Context, FindingResult
from welfare.report import grid_table, regression_table, share_plot, truth_table
from welfare.report.tables import format_number as num

FINDING = "F7"
WOMEN_PUBLISHED = 0.5
YOUNG_PUBLISHED = 0.75
QUESTIONS = {
    "status_change_5y": "status now vs five years ago",
    "status_expect_2y": "status expected in two years vs now",
}


def _ci(res, term):
    t = res.tidy().set_index("term").loc[term]
    return f"{num(t.estimate)} (95% CI {num(t.conf_low)} to {num(t.conf_high)})"


def _difference(res, t1: str, t0: str) -> tuple[float, float, float, float]:
    """Difference of two shares from one result (joint design covariance): d, se, p, df."""
    v = res.vcov
    d = float(res.params[t1] - res.params[t0])
    se = float(np.sqrt(v.loc[t1, t1] + v.loc[t0, t0] - 2 * v.loc[t1, t0]))
    df = res.df
    p = float(2 * (stats.t.sf(abs(d / se), df) if df else stats.norm.sf(abs(d / se))))
    return d, se, p, df


def run(ctx: Context) -> FindingResult:
    """Shares of women and young owners; social status now and expected, by e-household."""
    out = FindingResult(FINDING)
    if ctx.inclusion is None:
        out.skipped.append(
            "inclusion descriptives: the data have no inclusion module (e-shop owners' gender "
            "and age, perceived social status); the synthetic twin has one"
        )
        return out
    inc = ctx.inclusion
    data, design = inc.data, inc.design
    women = proportions(inc, ["owner_female"], domain="e_household")
    young = share_in_range(inc, "owner_age", low=20, high=29, domain="e_household")
    out.results.update({"women": women, "young": young})
    col = "estimate (SE)"
    out.tables["F7_owners"] = grid_table(
        {
            "women among e-shop owners": {
                col: (women, "owner_female=1"),
                "report (platform statistic)": "about 0.5",
            },
            "e-shop owners aged 20-29": {
                col: (young, "20 <= owner_age <= 29"),
                "report (platform statistic)": "0.75 (rural e-tailers)",
            },
        },
        title="F7. Women and young people among e-shop owners (e-households, survey-weighted)",
        notes=(
            "Domain: e-households, estimated as a subpopulation (PSUs kept with zero scores).",
            "Report: about half of the entrepreneurs on Alibaba platforms are women (one quarter "
            "among all entrepreneurs in China); three quarters of rural e-tailers are 20-29. "
            "These are platform statistics, shown as published values.",
        ),
    )
    cells, status = {}, {}
    for q, label in QUESTIONS.items():
        if q not in data:
            out.skipped.append(f"{label}: column {q!r} not in the inclusion data")
            continue
        overall = share_in_range(inc, q, low="same")
        by = share_in_range(inc, q, low="same", by=["e_household"])
        status[q] = (overall, by)
        base = f"{q} >= same"
        cells[f"{label}: same or higher"] = {
            "all households": (overall, base),
            "e-households": (by, f"{base} | e_household=1"),
            "other households": (by, f"{base} | e_household=0"),
        }
        out.results[f"{q}_all"] = overall
        out.results[f"{q}_by"] = by
    if cells:
        out.tables["F7_status"] = grid_table(
            cells,
            title="F7. Households whose social status is the same or higher (survey-weighted)",
            notes=("Ordered answers much lower / lower / same / higher / much higher.",),
        )
    # ordered probit of each status answer
    models = {}
    frame = data
    if {"head_age", "income_pc"}.issubset(data.columns):
        frame = data.assign(
            age10=(data["head_age"] - 46) / 10,
            log_income=np.log(data["income_pc"].where(data["income_pc"] > 0)),
        )
        frame.attrs = dict(data.attrs)
        rhs = "e_household + age10 + log_income"
    else:
        rhs = "e_household"
        out.skipped.append(
            "ordered probit controls: head's age and income per person are not in the "
            "inclusion data; the model has e-household status only"
        )
    ames = {}
    for q, label in QUESTIONS.items():
        if q not in frame:
            continue
        m = ordered_probit(f"{q} ~ {rhs}", frame, design=design)
        models[label] = m
        ames[q] = m.ame("e_household", at_least="same")
        out.results[f"oprobit_{q}"] = m
        out.results[f"ame_{q}"] = ames[q]
    if models:
        out.tables["F7_status_oprobit"] = regression_table(
            models,
            title="F7. Ordered probit of perceived social status (coefficients, cutpoints)",
            labels={
                "age10": "head's age (per 10 years, centred at 46)",
                "log_income": "log income per person",
            },  # fmt: skip
            notes=(
                "Cutpoints cut1..cut4 between much lower / lower / same / higher / much higher "
                "(Stata oprobit convention, no intercept).",
            ),
        )
        out.tables["F7_status_ame"] = grid_table(
            {
                QUESTIONS[q]: {"AME of e-household on P(same or higher)": (a, f"{q}>=same")}
                for q, a in ames.items()
            },
            title="F7. Average marginal effect of being an e-household on P(same or higher)",
            notes=(
                "Delta-method SEs with covariates fixed at their sample values (Stata "
                "margins default).",
            ),  # fmt: skip
        )
    # figure: the shares beside the published values
    bars = {
        "women among e-shop owners": (women, "owner_female=1"),
        "e-shop owners aged 20-29": (young, "20 <= owner_age <= 29"),
    }
    for q, (_, by) in status.items():
        base = f"{q} >= same"
        short = "status vs 5 years ago" if q == "status_change_5y" else "expected in 2 years"
        bars[f"{short}: same or higher, e-households"] = (by, f"{base} | e_household=1")
        bars[f"{short}: same or higher, others"] = (by, f"{base} | e_household=0")
    out.figures.append(
        share_plot(
            bars,
            ctx.out / "figures" / "F7_inclusion_shares.png",
            title="F7. Inclusion: owners and perceived social status",
            benchmarks={
                "women among e-shop owners": WOMEN_PUBLISHED,
                "e-shop owners aged 20-29": YOUNG_PUBLISHED,
            },
            benchmark_label="report (platform statistic)",
        )
    )
    # Here lines
    n_dom = women.extra.get("n_domain", {}).get("owner_female=1")
    out.here.append(
        f"Inclusion module: all {len(data)} sampled households (not only the complete-case "
        "analysis sample of F1-F4)"
        + (f"; owners' shares on the {n_dom} e-households (a subpopulation)" if n_dom else "")
        + "."
    )
    out.here.append(
        f"Women among e-shop owners: {_ci(women, 'owner_female=1')} against about 0.5 on "
        "Alibaba platforms (report)."
    )
    out.here.append(
        f"E-shop owners aged 20-29: {_ci(young, '20 <= owner_age <= 29')} against three "
        "quarters of rural e-tailers (report)."
    )
    for q, (overall, by) in status.items():
        base = f"{q} >= same"
        d, se_d, p, _ = _difference(by, f"{base} | e_household=1", f"{base} | e_household=0")
        out.here.append(
            f"{QUESTIONS[q].capitalize()}: same or higher for {_ci(overall, base)} of households; "
            f"e-households {_ci(by, base + ' | e_household=1')}, others "
            f"{_ci(by, base + ' | e_household=0')}; difference {num(d)} (SE {num(se_d)}, "
            f"p = {p:.3g})."
        )
    for q, a in ames.items():
        t = a.tidy().set_index("term").loc[f"{q}>=same"]
        m = out.results[f"oprobit_{q}"]
        out.here.append(
            f"Ordered probit, {QUESTIONS[q]} (N = {m.n_obs} households with income observed): "
            f"e-households' probability of 'same or higher' is {100 * t.estimate:.1f} "
            f"percentage points higher (AME; 95% CI {100 * t.conf_low:.1f} to "
            f"{100 * t.conf_high:.1f}) given the head's age and log income per person; an "
            "association in cross-section data, not a causal effect."
        )
    tr = ctx.truth
    if tr is not None and "inclusion_share_owner_female" in tr:
        rows_t = [
            ("women among owners", women, "owner_female=1", tr["inclusion_share_owner_female"]),
            (
                "owners aged 20-29",
                young,
                "20 <= owner_age <= 29",
                tr["inclusion_share_owner_age_20_29"],
            ),  # fmt: skip
        ]
        for q, (overall, by) in status.items():
            sh = tr["inclusion_share_same_or_higher"][q]
            base = f"{q} >= same"
            rows_t.append((f"{q} same or higher, all", overall, base, sh["all"]))
            for g in (1, 0):
                rows_t.append(
                    (
                        f"{q} same or higher, e_household={g}",
                        by,
                        f"{base} | e_household={g}",
                        sh[f"e_household={g}"],
                    )  # fmt: skip
                )
        for q in QUESTIONS:
            if f"oprobit_{q}" in out.results:
                rows_t.append(
                    (
                        f"ordered probit {q}: e_household",
                        out.results[f"oprobit_{q}"],
                        "e_household",
                        tr["inclusion_theta"][q],
                    )  # fmt: skip
                )
        out.truth_table = truth_table(
            rows_t,
            title="F7. Inclusion shares and status model vs the twin's population",
            note=(
                "SYNTHETIC DATA: shares are the exact shares of the twin's finite population; the "
                "e_household coefficient is the data-generating value; |z| < 3 expected."
            ),
        )
    return out
