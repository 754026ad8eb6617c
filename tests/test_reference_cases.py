"""Published outputs (../shared/reference/cases.toml) at their printed precision."""

from __future__ import annotations

import pandas as pd

from tests.conftest import assert_printed, reference_case, shared_file
from welfare.data import read_survey
from welfare.participation import probit
from welfare.premium import raw_gap

MROZ_FORMULA = "inlf ~ nwifeinc + educ + exper + expersq + age + kidslt6 + kidsge6"


def test_mroz_probit_matches_stata():
    case = reference_case("mroz_probit")
    df = pd.read_csv(shared_file("data", case["data"]))
    res = probit(MROZ_FORMULA, df, vcov="iid")
    t = res.tidy().set_index("term")
    for var in ("nwifeinc", "educ", "exper", "expersq", "age", "kidslt6", "kidsge6", "_cons"):
        coef, se = case[var]
        term = "Intercept" if var == "_cons" else var
        assert_printed(t.loc[term, "estimate"], coef, f"{var} coefficient")
        assert_printed(t.loc[term, "std_error"], se, f"{var} SE")
    assert_printed(res.extra["log_likelihood"], case["log_likelihood"], "log-likelihood")
    assert res.n_obs == 753
    assert res.df is None  # z reference, as Stata's probit


def test_mroz_probit_ame_matches_stata_margins():
    case = reference_case("mroz_probit")
    df = pd.read_csv(shared_file("data", case["data"]))
    ame = probit(MROZ_FORMULA, df, vcov="iid").ame(["nwifeinc"]).tidy().set_index("term")
    est, se = case["ame_nwifeinc"]
    assert_printed(ame.loc["nwifeinc", "estimate"], est, "AME nwifeinc")
    assert_printed(ame.loc["nwifeinc", "std_error"], se, "AME SE nwifeinc")


def test_nsw_experimental_benchmark_raw_gap():
    case = reference_case("nsw_dw_experimental")
    df = pd.read_csv(shared_file("data", case["data"]))
    gap = raw_gap(df, outcome="re78", treatment="trt", vcov="iid").tidy().set_index("term")
    assert_printed(gap.loc["difference", "estimate"], case["value"], "NSW difference in means")
    assert_printed(gap.loc["difference", "std_error"], case["se"], "NSW OLS SE")


def test_nsw_through_shipped_codebook_gives_the_benchmark():
    from tests.conftest import ROOT

    case = reference_case("nsw_dw_experimental")
    sd = read_survey(
        shared_file("data", case["data"]), ROOT / "replication" / "codebooks" / "nsw_dw.toml"
    )
    assert len(sd.data) == 445 and int(sd.data["e_household"].sum()) == 185
    assert sd.design.weights is None and sd.design.psu is None
    gap = raw_gap(sd, outcome="income_pc", treatment="e_household").tidy().set_index("term")
    # no weights, no PSU: the variance follows the design and is the conventional OLS one
    assert_printed(gap.loc["difference", "estimate"], case["value"], "difference")
    assert_printed(gap.loc["difference", "std_error"], case["se"], "SE")
