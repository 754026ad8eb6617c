"""The synthetic twin: calibration targets, labels, reproducibility, recovery of its truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import twin_ate
from welfare.datasets import SYNTHETIC_LABEL, taobao_village_survey
from welfare.participation import probit
from welfare.premium import raw_gap
from welfare.replicate.context import TWIN_SPEC
from welfare.replicate.runner import analysis_sample

F1 = "e_household ~ head_age + head_female + C(head_edu) + head_urban_work + head_ecom_knowledge"


@pytest.fixture(scope="module")
def analysis(twin):
    return analysis_sample(twin.survey, TWIN_SPEC)


def test_published_structure(twin, analysis):
    d = twin.data
    assert len(d) == 1400
    assert d["village_id"].nunique() == 80 and d["province"].nunique() == 8
    sub, sample = analysis
    assert sample.n_obs == 1073
    assert int(sub.data["e_household"].sum()) == 453
    assert (d["weight"] > 0).all()
    # e-households over-sampled: their weights are smaller than the others'
    assert d.loc[d.e_household == 1, "weight"].mean() < d.loc[d.e_household == 0, "weight"].mean()
    # income sources add up to the total; per-capita income = total / size
    src = d[["income_ecommerce", "income_wages", "income_farming", "income_transfers"]].sum(axis=1)
    ok = d["income_total"].notna()
    np.testing.assert_allclose(src[ok], d.loc[ok, "income_total"], rtol=1e-9)
    np.testing.assert_allclose(d.loc[ok, "income_pc"], (d.income_total / d.hh_size)[ok], atol=0.01)
    assert (d.loc[d.e_household == 0, "income_ecommerce"].dropna() == 0).all()


def test_truth_calibration(twin):
    t = twin.truth
    assert 0.20 < t["population_share_e_households"] < 0.30
    assert 0.70 < t["population_raw_gap_percent"] < 0.90
    assert t["att_log"] > t["ate_log"] > 0
    assert np.log1p(t["population_raw_gap_percent"]) > t["att_log"]  # raw gap > causal effect


def test_labelled_synthetic_everywhere(twin):
    assert twin.survey.synthetic and twin.survey.label == SYNTHETIC_LABEL
    assert twin.data.attrs["welfare_synthetic"] is True
    res = probit("e_household ~ head_age", twin.survey)
    assert res.synthetic and "SYNTHETIC" in res.summary()
    from welfare.report import regression_table

    tab = regression_table({"m": res}, title="x")
    assert tab.title.startswith("SYNTHETIC DATA") and "SYNTHETIC" in tab.to_latex()


def test_same_seed_identical_other_seed_different():
    a = taobao_village_survey(7).data
    b = taobao_village_survey(7).data
    c = taobao_village_survey(8).data
    pd.testing.assert_frame_equal(a, b)
    assert not a["income_pc"].equals(c["income_pc"])


def test_probit_recovers_true_ames_within_3_se(twin, analysis):
    sub, _ = analysis
    ame = probit(F1, sub).ame().tidy().set_index("term")
    for term, truth in twin.truth["participation_ame"].items():
        z = (ame.loc[term, "estimate"] - truth) / ame.loc[term, "std_error"]
        assert abs(z) < 3, (term, z)


def test_probit_recovers_marginal_coefficients_within_3_se(twin, analysis):
    sub, _ = analysis
    t = probit(F1, sub).tidy().set_index("term")
    for term, truth in twin.truth["participation_beta_marginal"].items():
        z = (t.loc[term, "estimate"] - truth) / t.loc[term, "std_error"]
        assert abs(z) < 3, (term, z)


def test_ols_with_interactions_recovers_the_ate(twin, analysis):
    sub, _ = analysis
    res = twin_ate(sub)
    t = res.tidy().set_index("term").loc["e_household"]
    assert abs(t.estimate - twin.truth["ate_log"]) < 3 * t.std_error
    assert res.df == 79 and res.vcov_spec.kind == "CRV1"


def test_raw_gap_recovers_population_gap(twin, analysis):
    sub, _ = analysis
    g = raw_gap(sub, outcome="income_pc", treatment="e_household").tidy().set_index("term")
    assert (
        abs(g.loc["relative_gap", "estimate"] - twin.truth["population_raw_gap_percent"])
        < 3 * g.loc["relative_gap", "std_error"]
    )


def test_weights_matter_for_choice_based_sample(twin, analysis):
    """Unweighted participation share is the over-sampled one; weighted is the population's."""
    sub, _ = analysis
    d = sub.data
    unweighted = d.e_household.mean()
    weighted = np.average(d.e_household, weights=d.weight)
    assert unweighted > 0.38
    assert abs(weighted - twin.truth["population_share_e_households"]) < 0.05
