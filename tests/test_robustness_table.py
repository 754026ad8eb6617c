"""The one-call robustness table and the specification curve (issue 8, items 1 and 3).

Every number is checked against something outside the two modules: each table row and each
specification against the individual :mod:`welfare.premium` estimator refitted here on a sample
built independently with pandas (exact equality), the sample against the twin's published
analysis sample (1,073 households) and a pandas count of the missing items, the raw difference
and the no-control OLS against numpy hand computations, the premium against the synthetic
twin's known truth (within 3 standard errors), and the significance shares against the p-values
of the refitted results.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from welfare.errors import DataError, MissingColumnError, UnknownOptionError
from welfare.replicate.context import TWIN_SPEC
from welfare.robustness.speccurve import specification_curve
from welfare.robustness.table import ESTIMATORS, robustness_table

Y, D = "income_pc", "e_household"
CONTROLS = list(TWIN_SPEC.premium_controls)
HEAD = list(TWIN_SPEC.participation_covariates)
#: the twin's published analysis sample (1,073 households, 453 e-households) of 1,400 sampled
N_ANALYSIS, N_ANALYSIS_E, N_SAMPLED = 1073, 453, 1400


def _same_sample(twin, columns):
    """The complete cases over ``columns`` and the design, built with pandas only."""
    design = twin.survey.design
    cols = list(dict.fromkeys(columns + [design.weights, design.psu]))
    sub = twin.data.dropna(subset=cols).copy()
    sub.attrs = dict(twin.data.attrs)
    return dataclasses.replace(twin.survey, data=sub)


@pytest.fixture(scope="module")
def table(twin):
    truth = {"ATE": twin.truth["ate_log"], "ATT": twin.truth["att_log"]}
    return robustness_table(twin.survey, treatment=D, outcome=Y, controls=CONTROLS, truth=truth)


@pytest.fixture(scope="module")
def same(twin):
    return _same_sample(twin, [Y, D] + CONTROLS + ["village_id"])


# ---------------------------------------------------------------- robustness table
def test_every_row_uses_the_one_published_analysis_sample(twin, table, same):
    assert list(table.frame["key"]) == list(ESTIMATORS)
    assert table.sample.n_rows == N_SAMPLED and table.sample.n_obs == N_ANALYSIS
    assert len(same.data) == N_ANALYSIS and int(same.data[D].sum()) == N_ANALYSIS_E
    # rows left out by reason: the first missing column in the order outcome, treatment, controls
    left = twin.data.copy()
    expected = []
    for role, c in [("outcome", Y), ("treatment", D)] + [("control", c) for c in CONTROLS]:
        n = int(left[c].isna().sum())
        if n:
            expected.append((f"missing {role} {c!r}", n))
        left = left[left[c].notna()]
    assert table.sample.dropped == tuple(expected)
    assert sum(n for _, n in table.sample.dropped) == N_SAMPLED - N_ANALYSIS
    assert np.array_equal(table.sample.mask, twin.data.index.isin(same.data.index))
    for key, res in table.results.items():
        # each estimator saw exactly the common rows and dropped none of them
        assert res.sample.n_rows == N_ANALYSIS and res.sample.n_dropped == 0, key
        assert res.n_obs == N_ANALYSIS, key
    assert (table.frame["n_obs"] == N_ANALYSIS).all()
    # the caller's data are untouched (compared with a freshly generated twin)
    from welfare.datasets import taobao_village_survey

    pd.testing.assert_frame_equal(twin.data, taobao_village_survey().data)


def test_every_row_equals_the_individual_estimator_on_the_same_sample(table, same):
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from welfare.premium import (
        aipw,
        causal_forest,
        dml_irm,
        dml_plr,
        ipw,
        nn_match,
        ols_premium,
        ps_match,
        raw_gap,
    )

    kw = {"outcome": Y, "treatment": D}
    lin = {"learner_outcome": LinearRegression(), "covariates": CONTROLS, "random_state": 20190601}
    logit = LogisticRegression(solver="newton-cholesky", max_iter=1000)
    logged = same.data.assign(log_income_pc=np.log(same.data[Y]))
    direct = {
        "raw": (
            raw_gap(dataclasses.replace(same, data=logged), outcome="log_income_pc", treatment=D),
            "difference",
        ),
        "ols": (ols_premium(same, controls=CONTROLS, interactions=CONTROLS, **kw), D),
        "ols_fe": (
            ols_premium(
                same, controls=CONTROLS, interactions=CONTROLS, fixed_effects=["village_id"], **kw
            ),
            D,
        ),
        "ps_match": (ps_match(same, propensity=CONTROLS, **kw), "ATE"),
        "nn_match": (nn_match(same, covariates=CONTROLS, bias_adjust=True, **kw), "ATE"),
        "ipw": (ipw(same, propensity=CONTROLS, **kw), "ATE"),
        "aipw": (aipw(same, covariates=CONTROLS, propensity=CONTROLS, **kw), "ATE"),
        "dml_plr": (dml_plr(same, learner_treatment=logit, **lin, **kw), D),
        "dml_irm": (dml_irm(same, learner_propensity=logit, **lin, **kw), "ATE"),
        "causal_forest": (
            causal_forest(same, learner_propensity=logit, n_estimators=200, **lin, **kw),
            "ATE",
        ),
    }
    cols = ["estimate", "std_error", "p_value", "conf_low", "conf_high"]
    for _, row in table.frame.iterrows():
        res, term = direct[row["key"]]
        t = res.tidy().set_index("term").loc[term]
        assert row["term"] == term
        for c in cols:  # exact (the forest fits its trees on one thread)
            assert row[c] == t[c], (row["key"], c, row[c], t[c])
        g = res.vcov_spec.n_clusters
        assert pd.isna(row["n_clusters"]) if g is None else row["n_clusters"] == g
    # clusters follow the design: 80 villages everywhere, the forest's SE included
    assert set(table.frame["n_clusters"].dropna()) == {80}
    assert table.frame.set_index("key").loc["causal_forest", "n_clusters"] == 80


def test_diagnostics_equal_the_balance_tables_and_learner_fits(table):
    from sklearn.metrics import roc_auc_score

    from welfare.premium import balance, propensity_overlap

    f = table.frame.set_index("key")
    for key in ("ps_match", "nn_match", "ipw", "aipw"):
        b = balance(table.results[key], covariates=CONTROLS)
        assert f.loc[key, "max_abs_smd"] == b["smd_after"].abs().max()
    for key in ("ps_match", "ipw", "aipw"):
        ov = propensity_overlap(table.results[key])
        auc = roc_auc_score(ov["treated"], ov["score"], sample_weight=ov["weight"])
        assert f.loc[key, "propensity_auc"] == auc
    assert (
        f.loc["dml_irm", "propensity_auc"]
        == (table.results["dml_irm"].extra["learner_diagnostics"]["m(x) = P(d=1|x)"]["auc"])
    )
    # the raw difference's SMD (before adjustment) equals balance()'s "before" column
    b = balance(table.results["ipw"], covariates=CONTROLS)
    assert f.loc["raw", "max_abs_smd"] == pytest.approx(b["smd_before"].abs().max(), rel=1e-12)
    # overlap="error" held: nothing outside the bounds; rows without a trimming rule show none
    trim_rows = ["ps_match", "ipw", "aipw", "dml_irm", "ols_fe"]
    assert (f.loc[trim_rows, "share_trimmed"] == 0).all()
    assert f.drop(index=trim_rows)["share_trimmed"].isna().all()
    assert np.isnan(
        f.loc[["ols", "ols_fe", "dml_plr", "dml_irm", "causal_forest"], "max_abs_smd"]
    ).all()


def test_ate_rows_recover_the_twins_truth_and_the_raw_gap_exceeds_it(twin, table):
    f = table.frame.set_index("key")
    ate = twin.truth["ate_log"]
    # only OLS with village FE is consistent for the ATE on the twin: the village factor drives
    # both participation and income, so rows without village effects carry an omitted-village
    # bias of about +0.095 (the slow Monte Carlo, tests/test_robustness_mc.py, measures it)
    for key in ("ols_fe",):
        est, se = f.loc[key, "estimate"], f.loc[key, "std_error"]
        assert abs(est - ate) < 3 * se, (key, est, se, ate)
        assert f.loc[key, "truth"] == ate
    assert f.loc["aipw", "truth"] == ate
    # the design of the twin: the raw difference overstates the causal effect
    assert f.loc["raw", "conf_low"] > ate
    assert np.isnan(f.loc["dml_plr", "truth"]) and np.isnan(f.loc["raw", "truth"])


def test_exports_and_plot_are_labelled_and_byte_identical(table, tmp_path):
    md, tex, html = table.to_markdown(), table.to_latex(), table.to_html()
    for label in ESTIMATORS.values():
        assert label in md and label in html
    assert md.startswith("**SYNTHETIC DATA - ") and "N = 1073 of 1400 rows" in md
    assert "| 0.275 | 0.043 | [0.189, 0.361] | 1073 | 80 |" in md  # OLS with village FE
    assert tex.startswith(r"\begin{table}") and r"\end{tabular}" in tex
    assert "<table" in html and "SYNTHETIC" in html
    a = table.plot(tmp_path / "a.png")
    b = table.plot(tmp_path / "b.png")
    assert a.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert a.read_bytes() == b.read_bytes()
    c = table.plot(tmp_path / "c.png", truth=0.0)
    assert c.read_bytes() != a.read_bytes()


def test_hand_computation_on_a_tiny_dataset_and_input_untouched():
    # 10 households; unweighted, no clusters: raw difference of mean logs and OLS by numpy
    df = pd.DataFrame(
        {
            "y": [10.0, 12.0, 9.0, 20.0, 25.0, 18.0, 30.0, 11.0, 14.0, 22.0],
            "d": [0, 0, 0, 1, 1, 1, 1, 0, 0, 1],
            "x": [1.0, 2.0, 0.5, 2.5, 3.0, 1.5, 4.0, 1.0, 3.5, 2.0],
        }
    )
    before = df.copy()
    tab = robustness_table(
        df,
        treatment="d",
        outcome="y",
        controls=["x"],
        fixed_effects=(),
        estimators=("raw", "ols"),
        interact=False,
    )
    pd.testing.assert_frame_equal(df, before)  # input not modified
    ly, d = np.log(df["y"].to_numpy()), df["d"].to_numpy()
    f = tab.frame.set_index("key")
    assert f.loc["raw", "estimate"] == pytest.approx(
        ly[d == 1].mean() - ly[d == 0].mean(), rel=1e-12
    )
    X = np.column_stack([np.ones(10), d, df["x"]])
    beta, *_ = np.linalg.lstsq(X, ly, rcond=None)
    e = ly - X @ beta
    V = (e @ e / (10 - 3)) * np.linalg.inv(X.T @ X)  # iid OLS variance
    assert f.loc["ols", "estimate"] == pytest.approx(beta[1], rel=1e-10)
    assert f.loc["ols", "std_error"] == pytest.approx(np.sqrt(V[1, 1]), rel=1e-10)
    assert f.loc["ols", "estimand"] == "conditional premium"
    assert tab.sample.n_obs == 10 and tab.sample.dropped == ()


def test_att_rows_target_the_att(twin, same):
    from welfare.premium import aipw

    tab = robustness_table(
        twin.survey,
        treatment=D,
        outcome=Y,
        controls=CONTROLS,
        propensity=HEAD,
        estimators=("aipw",),
        estimand="ATT",
        truth={"ATE": twin.truth["ate_log"], "ATT": twin.truth["att_log"]},
    )
    r = tab.frame.iloc[0]
    t = (
        aipw(same, outcome=Y, treatment=D, covariates=CONTROLS, propensity=HEAD, estimand="ATT")
        .tidy()
        .set_index("term")
        .loc["ATT"]
    )
    assert (r["estimand"], r["estimate"], r["std_error"]) == ("ATT", t.estimate, t.std_error)
    assert r["truth"] == twin.truth["att_log"]
    assert abs(r["estimate"] - r["truth"]) < 3 * r["std_error"]


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"controls": CONTROLS + [D]}, DataError, "controls include the treatment"),
        ({"controls": CONTROLS + [Y]}, DataError, "controls include the outcome"),
        ({"outcome": D}, DataError, "is the treatment"),
        ({"propensity": [D]}, DataError, "propensity covariates include the treatment"),
        ({"fixed_effects": [Y]}, DataError, "fixed effects include the outcome"),
        ({"estimators": ["ols", "lasso"]}, UnknownOptionError, "lasso"),
        ({"estimators": ["ols", "ols"]}, UnknownOptionError, "once"),
        ({"estimators": ["ols_fe"], "fixed_effects": ()}, UnknownOptionError, "fixed_effects"),
        ({"estimand": "ATC"}, UnknownOptionError, "estimand"),
        ({"controls": "head_age"}, UnknownOptionError, "string"),
        ({"controls": ["head_agee"]}, MissingColumnError, "head_agee"),
        ({"truth": {"LATE": 0.3}}, UnknownOptionError, "truth"),
        ({"random_state": None}, UnknownOptionError, "random_state"),
        ({"contrls": CONTROLS}, UnknownOptionError, "did you mean 'controls'"),
    ],
)
def test_bad_input_gives_named_errors(twin, change, error, match):
    kw = {"treatment": D, "outcome": Y, "controls": CONTROLS, "estimators": ("raw",)}
    kw.update(change)
    with pytest.raises(error, match=match):
        robustness_table(twin.survey, **kw)


# ---------------------------------------------------------------- specification curve
CSETS = {"none": [], "head": HEAD, "all": CONTROLS}
FSETS = {"none": [], "village": ["village_id"]}


@pytest.fixture(scope="module")
def curve(twin):
    young = (twin.data["head_age"] < 50).to_numpy()
    return specification_curve(
        twin.survey,
        treatment=D,
        outcome=Y,
        control_sets=CSETS,
        fixed_effects_sets=FSETS,
        samples={"all": None, "head under 50": young},
        estimators=("OLS", "IPW"),
    )


def test_curve_counts_every_specification_and_skipped_combination(curve):
    # OLS: 3 control sets x 2 FE levels x 2 samples; IPW: 2 non-empty control sets x the empty
    # FE level x 2 samples; the 8 other IPW combinations are listed with their reason
    assert curve.n_specs == 3 * 2 * 2 + 2 * 1 * 2 == 16
    assert len(curve.skipped) == 3 * 2 * 2 - 4 == 8
    assert curve.frame["spec_id"].tolist() == list(range(1, 17))
    assert sorted(curve.frame["rank"]) == list(range(1, 17))
    combos = curve.frame[["estimator", "controls", "fixed_effects", "sample"]]
    assert not combos.duplicated().any()
    assert curve.sample.n_obs == N_ANALYSIS
    assert curve.sample_sizes["all"] == N_ANALYSIS


def test_each_specification_equals_a_direct_fit(twin, curve):
    from welfare.premium import ipw, ols_premium

    base = _same_sample(twin, [Y, D] + CONTROLS + ["village_id"])
    young = base.data["head_age"] < 50
    assert curve.sample_sizes["head under 50"] == int(young.sum())
    for _, r in curve.frame.iterrows():
        data = base if r["sample"] == "all" else dataclasses.replace(base, data=base.data[young])
        cs, fe = CSETS[r["controls"]], FSETS[r["fixed_effects"]]
        if r["estimator"] == "OLS":
            res = ols_premium(
                data, outcome=Y, treatment=D, controls=cs or None, fixed_effects=fe or None
            )
            term = D
        else:
            res = ipw(data, outcome=Y, treatment=D, propensity=cs)
            term = "ATE"
        t = res.tidy().set_index("term").loc[term]
        for c in ("estimate", "std_error", "p_value", "conf_low", "conf_high"):
            assert r[c] == t[c], (r["spec_id"], c)
        assert r["n_obs"] == res.n_obs


def test_curve_shares_and_the_no_control_spec_by_hand(twin, curve):
    p = np.array(
        [
            curve.results[i]
            .tidy()
            .set_index("term")["p_value"]
            .iloc[list(curve.results[i].terms).index(t)]
            for i, t in zip(curve.frame["spec_id"], curve.frame["term"], strict=True)
        ]
    )
    est = curve.frame["estimate"].to_numpy()
    assert curve.share_significant == np.mean(p < 0.05)
    sign = np.sign(np.median(est))
    assert curve.share_significant_same_sign == np.mean((p < 0.05) & (np.sign(est) == sign))
    # OLS without controls or FE = difference of weighted mean logs (numpy)
    base = _same_sample(twin, [Y, D] + CONTROLS + ["village_id"]).data
    ly, w, d = np.log(base[Y]), base["weight"], base[D] == 1
    hand = np.average(ly[d], weights=w[d]) - np.average(ly[~d], weights=w[~d])
    row = curve.frame.query(
        "estimator == 'OLS' and controls == 'none' and fixed_effects == 'none' and sample == 'all'"
    )
    assert row["estimate"].item() == pytest.approx(hand, rel=1e-10)


def test_curve_plot_and_table(curve, twin, tmp_path):
    a = curve.plot(tmp_path / "a.png", truth=twin.truth["ate_log"])
    b = curve.plot(tmp_path / "b.png", truth=twin.truth["ate_log"])
    assert a.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and a.read_bytes() == b.read_bytes()
    # the report-layer function on the frame alone draws the same figure (synthetic from attrs)
    from welfare.report import specification_curve_plot

    c = specification_curve_plot(
        curve.frame,
        tmp_path / "c.png",
        title="Specification curve of the participation premium (log points)",
        truth=twin.truth["ate_log"],
        ylabel="premium (log points, 95% CI)",
    )
    assert c.read_bytes() == a.read_bytes()
    with pytest.raises(UnknownOptionError, match="expected columns"):
        specification_curve_plot(curve.frame.drop(columns="sample"), tmp_path / "d.png", title="x")
    md = curve.table().to_markdown()
    assert md.startswith("**SYNTHETIC DATA - ") and "16 specifications (8 combinations" in md


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"control_sets": {"bad": HEAD + [D]}}, DataError, "include the treatment"),
        ({"fixed_effects_sets": {"bad": [Y]}}, DataError, "include the outcome"),
        ({"outcome": D}, DataError, "is the treatment"),
        ({"estimators": ("OLS", "Lasso")}, UnknownOptionError, "Lasso"),
        ({"estimators": "OLS"}, UnknownOptionError, "estimators"),
        ({"samples": {"half": np.ones(3, dtype=bool)}}, DataError, "boolean mask of length"),
        ({"control_sets": "head_age"}, UnknownOptionError, "control_sets"),
        ({"alpha": 1.5}, UnknownOptionError, "alpha"),
        ({"control_sets": {"x": ["nope"]}}, MissingColumnError, "nope"),
    ],
)
def test_curve_bad_input_gives_named_errors(twin, change, error, match):
    kw = {"treatment": D, "outcome": Y, "control_sets": {"head": HEAD}}
    kw.update(change)
    with pytest.raises(error, match=match):
        specification_curve(twin.survey, **kw)


def test_nsw_real_data_table_reproduces_the_experimental_benchmark():
    """Real public data through the shipped codebook: levels, no villages, no weights."""
    from tests.conftest import ROOT, assert_printed, reference_case, shared_file
    from welfare.data import read_survey

    case = reference_case("nsw_dw_experimental")
    sd = read_survey(
        shared_file("data", case["data"]), ROOT / "replication" / "codebooks" / "nsw_dw.toml"
    )
    controls = list(sd.codebook.analysis["premium_controls"])
    # every row but OLS with fixed effects (the data have no villages)
    keys = [k for k in ESTIMATORS if k != "ols_fe"]
    tab = robustness_table(
        sd,
        treatment=D,
        outcome=Y,
        controls=controls,
        fixed_effects=(),
        scale="levels",
        estimators=keys,
    )
    f = tab.frame.set_index("key")
    assert list(f.index) == keys
    with pytest.raises(UnknownOptionError, match="'ols_fe' expected fixed_effects"):
        robustness_table(
            sd,
            treatment=D,
            outcome=Y,
            controls=controls,
            fixed_effects=(),
            scale="levels",
            estimators=["ols_fe"],
        )
    assert (f["n_obs"] == 445).all() and tab.sample.dropped == ()
    # Dehejia & Wahba (1999) Table 3: regress re78 trt (difference in means, OLS SE)
    assert_printed(f.loc["raw", "estimate"], case["value"], "NSW raw difference")
    assert_printed(f.loc["raw", "std_error"], case["se"], "NSW raw difference SE")
    assert f["n_clusters"].isna().all() and not tab.synthetic
    assert "SYNTHETIC" not in tab.to_markdown()
