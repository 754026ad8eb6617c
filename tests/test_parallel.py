"""Parallel resampling and fits: the same numbers for any n_jobs; Results survive pickling.

The reference for every n_jobs > 1 run is the serial run (n_jobs = 1), which the estimators'
own tests check against peer packages and hand computations; here equality is exact (==), not
approximate, because the package promises byte-identical output for any number of workers.
"""

from __future__ import annotations

import pickle

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from welfare._parallel import check_n_jobs, parallel_map
from welfare.datasets import taobao_village_survey
from welfare.errors import UnknownOptionError
from welfare.premium import balance, dml_irm, nn_match, ols_premium
from welfare.robustness import placebo_treatment, robustness_table, specification_curve

CONTROLS = ["head_age", "head_female", "head_edu", "head_urban_work", "head_ecom_knowledge"]


@pytest.fixture(scope="module")
def twin():
    return taobao_village_survey()


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "2"])
def test_check_n_jobs_refuses_bad_values(bad):
    with pytest.raises(UnknownOptionError, match="n_jobs: expected None, -1 or a positive"):
        check_n_jobs(bad)


def test_check_n_jobs_values():
    import os

    assert check_n_jobs(None) == 1 and check_n_jobs(3) == 3
    assert check_n_jobs(-1) == max(1, os.cpu_count() or 1)


def test_parallel_map_keeps_task_order_and_values():
    rng = np.random.default_rng(7)
    mats = [rng.standard_normal((300, 300)) for _ in range(5)]

    def f(a):
        return a @ a.T  # a BLAS product: equal bits only with equal thread counts

    serial = parallel_map(f, mats, n_jobs=1)
    par = parallel_map(f, mats, n_jobs=2)
    assert len(par) == 5
    for s, p, a in zip(serial, par, mats, strict=True):
        assert np.array_equal(s, p)
        np.testing.assert_allclose(s, a @ a.T, rtol=1e-12)  # and they are the product


def test_robustness_table_rows_identical_for_any_n_jobs(twin):
    kw = {"treatment": "e_household", "outcome": "income_pc", "controls": CONTROLS,
          "cluster": "village_id", "estimators": ["raw", "ols_fe", "nn_match", "ipw", "dml_irm"],
          "learner_outcome": LinearRegression(),
          "learner_propensity": LogisticRegression(max_iter=2000)}  # fmt: skip
    a = robustness_table(twin.survey, n_jobs=1, **kw)
    b = robustness_table(twin.survey, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    assert a.to_markdown() == b.to_markdown()
    # results shipped back from the workers are whole: balance needs the estimator's context
    pd.testing.assert_frame_equal(
        balance(a.results["ipw"], covariates=CONTROLS),
        balance(b.results["ipw"], covariates=CONTROLS),
    )
    with pytest.raises(UnknownOptionError, match="n_jobs"):
        robustness_table(twin.survey, n_jobs=0, **kw)


def test_specification_curve_identical_for_any_n_jobs(twin):
    kw = {"treatment": "e_household", "outcome": "income_pc",
          "control_sets": {"none": [], "head": CONTROLS[:2], "all": CONTROLS},
          "fixed_effects_sets": {"none": [], "village": ["village_id"]},
          "estimators": ("OLS", "IPW", "NN matching"), "on_error": "skip"}  # fmt: skip
    a = specification_curve(twin.survey, n_jobs=1, **kw)
    b = specification_curve(twin.survey, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    pd.testing.assert_frame_equal(a.skipped, b.skipped)
    with pytest.raises(UnknownOptionError, match="n_jobs"):
        specification_curve(twin.survey, n_jobs=True, **kw)


def test_placebo_treatment_identical_for_any_n_jobs_and_blocks(twin):
    d = twin.data.dropna(subset=["income_pc", *CONTROLS]).reset_index(drop=True)
    d.attrs = dict(twin.data.attrs)
    kw = {
        "treatment": "e_household",
        "outcome": "income_pc",
        "controls": CONTROLS,
        "fixed_effects": ["village_id"],
        "design": twin.design,
        "strata": "village_id",
        "reps": 601,
        "random_state": 3,
    }  # fmt: skip  (601: blocks of 250, 250, 101)
    a = placebo_treatment(d, n_jobs=1, **kw)
    b = placebo_treatment(d, n_jobs=2, **kw)
    assert np.array_equal(a.placebo_estimates, b.placebo_estimates) and a.p_value == b.p_value
    # the blocked computation is the premium on the permuted data (outside check: ols_premium
    # refitted on the permutation the seed draws, first and last block)
    rng = np.random.default_rng(3)
    sub = d.loc[a.results.sample.mask].sort_index().reset_index(drop=True)
    groups = pd.factorize(sub["village_id"], sort=True)[0]
    idx = [np.flatnonzero(groups == g) for g in range(groups.max() + 1)]
    dvec = sub["e_household"].to_numpy(dtype=float)
    for r in range(601):
        dp = dvec.copy()
        for ix in idx:
            dp[ix] = dvec[ix][rng.permutation(len(ix))]
        if r in (0, 600):
            perm = sub.assign(e_household=dp)
            perm.attrs = dict(d.attrs)
            ref = ols_premium(perm, outcome="income_pc", treatment="e_household",
                              controls=CONTROLS, fixed_effects=["village_id"], design=twin.design)  # fmt: skip
            assert a.placebo_estimates[r] == pytest.approx(ref.params["e_household"], rel=1e-9)
    with pytest.raises(UnknownOptionError, match="n_jobs"):
        placebo_treatment(d, n_jobs=-3, **kw)


def test_dml_identical_for_any_n_jobs_with_boosting(twin):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    boost = {"max_depth": 3, "max_iter": 40, "min_samples_leaf": 20}
    kw = {"outcome": "income_pc", "treatment": "e_household", "covariates": CONTROLS,
          "learner_outcome": HistGradientBoostingRegressor(**boost),
          "learner_propensity": HistGradientBoostingClassifier(**boost), "random_state": 11}  # fmt: skip
    a = dml_irm(twin.survey, n_jobs=1, **kw)
    b = dml_irm(twin.survey, n_jobs=2, **kw)
    assert a.params.equals(b.params) and a.std_errors.equals(b.std_errors)
    with pytest.raises(UnknownOptionError, match="n_jobs"):
        dml_irm(twin.survey, n_jobs=0, **kw)


def test_results_pickle_round_trip(twin):
    r = ols_premium(twin.survey, outcome="income_pc", treatment="e_household", controls=CONTROLS)
    back = pickle.loads(cloudpickle.dumps(r))
    assert type(back) is type(r) and back.params.equals(r.params)
    assert back.vcov.equals(r.vcov) and back.sample.n_obs == r.sample.n_obs
    assert back.synthetic and back.data_label == r.data_label
    # immutable and read-only after the trip, and the refit closure still works
    with pytest.raises(AttributeError, match="immutable"):
        back.n_obs = 3
    assert not back._est.flags.writeable
    assert back.with_vcov("HC1").std_errors.equals(r.with_vcov("HC1").std_errors)
    # a subclass with instance attributes (matching's context) and read-only arrays in extra
    m = nn_match(twin.survey, outcome="income_pc", treatment="e_household",
                 covariates=CONTROLS, estimand="ATT")  # fmt: skip
    mb = pickle.loads(cloudpickle.dumps(m))
    assert np.array_equal(mb.extra["treated_minus_matched"], m.extra["treated_minus_matched"])
    assert not mb.extra["treated_minus_matched"].flags.writeable
    pd.testing.assert_frame_equal(balance(mb, covariates=CONTROLS), balance(m, covariates=CONTROLS))
    # the standard pickle handles a Results without a closure
    from welfare.inference.results import Results

    bare = Results(terms=["a"], estimates=[1.5], vcov=[[0.25]], vcov_spec=r.vcov_spec,
                   estimator="hand", estimand="x", sample=r.sample, n_obs=3,
                   extra={"k": np.arange(2)})  # fmt: skip
    again = pickle.loads(pickle.dumps(bare))
    assert again.params.equals(bare.params) and again.tidy().equals(bare.tidy())
    assert list(again.extra["k"]) == [0, 1]


def _warn_or_fail(i):
    import warnings

    if i in (1, 4):
        warnings.warn(f"task {i} warns", UserWarning, stacklevel=1)
    if i == 3:
        raise KeyError(f"task {i}")
    if i == 5:
        raise ValueError(f"task {i}")  # finishes first in a worker, but comes later in order
    return i * 10


def test_parallel_map_reissues_warnings_and_raises_the_first_error_in_task_order():
    import warnings

    for nj in (1, 2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert parallel_map(_warn_or_fail, [0, 1, 2], n_jobs=nj) == [0, 10, 20]
        assert [str(w.message) for w in caught] == ["task 1 warns"], nj
        with pytest.raises(KeyError, match="task 3"):
            parallel_map(_warn_or_fail, [5, 4, 3, 0][::-1], n_jobs=nj)  # 0, 3 (fails), 4, 5


def test_learners_own_threads_are_set_to_one():
    """A random forest with n_jobs=2 sums tree predictions in thread-finishing order; the DML
    clones it with n_jobs=1, so two runs (and any n_jobs of the estimator) agree exactly."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    from welfare.premium import dml_plr
    from welfare.premium.dml import _seeded

    rf = RandomForestRegressor(n_estimators=30, n_jobs=2, min_samples_leaf=5)
    assert _seeded(rf, 4).get_params()["n_jobs"] == 1 and rf.get_params()["n_jobs"] == 2
    tw = taobao_village_survey()
    kw = {"outcome": "income_pc", "treatment": "e_household", "covariates": CONTROLS,
          "learner_outcome": rf, "random_state": 5,
          "learner_treatment": RandomForestClassifier(n_estimators=30, n_jobs=2,
                                                      min_samples_leaf=5)}  # fmt: skip
    runs = [dml_plr(tw.survey, n_jobs=nj, **kw).params.iloc[0] for nj in (1, 1, 2)]
    assert runs[0] == runs[1] == runs[2]


def test_pickle_keeps_nested_masks_read_only_under_every_protocol(twin):
    r = ols_premium(twin.survey, outcome="income_pc", treatment="e_household", controls=CONTROLS)
    for proto in (2, 4, 5):
        back = pickle.loads(cloudpickle.dumps(r, protocol=proto))
        assert not back.sample.mask.flags.writeable, proto
        assert back.sample.dropped == r.sample.dropped and back.sample.n_obs == r.sample.n_obs


def test_results_replace_copies_every_field_but_the_changed_ones(twin):
    r = ols_premium(twin.survey, outcome="income_pc", treatment="e_household", controls=CONTROLS)
    s = r.replace(notes=("hand note",), weights="w")
    assert s.params.equals(r.params) and s.vcov.equals(r.vcov) and s.sample is r.sample
    assert s.notes == ("hand note",) and s.weights == "w" and r.weights != "w"
    assert s.with_vcov("HC1").std_errors.equals(r.with_vcov("HC1").std_errors)  # refit kept
    with pytest.raises(TypeError, match="expected fields among"):
        r.replace(colour="red")
