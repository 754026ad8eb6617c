"""Awkward and bad input found by an adversarial review: each is refused by name or handled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import statsmodels.api as sm

from welfare.data import SurveyDesign, read_survey
from welfare.datasets import taobao_village_survey
from welfare.errors import (
    CollinearityError,
    DataError,
    DuplicateIdError,
    EmptySampleError,
    ImpossibleValueError,
    InvalidWeightError,
    TreatmentError,
    UnknownOptionError,
    VarianceError,
)
from welfare.inference.linear import fit_ols
from welfare.participation import logit, lpm, probit
from welfare.premium import ols_premium, raw_gap


@pytest.fixture(scope="module")
def D():
    rng = np.random.default_rng(42)
    n = 400
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "g": rng.choice(["a", "b", "c"], n),
            "cl": rng.integers(0, 20, n),
            "w": rng.uniform(1, 5, n),
        }
    )
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-(0.5 * df.x - 0.3)))).astype(float)
    df["d"] = (rng.random(n) < 0.4).astype(float)
    df["inc"] = np.exp(8 + 0.3 * df.d + 0.2 * df.x + rng.normal(0, 0.5, n))
    return df


def test_all_singleton_fixed_effects_raise_instead_of_crashing():
    df = pd.DataFrame({"inc": np.arange(10.0), "x": np.linspace(0, 1, 10), "hh": np.arange(10)})
    with pytest.raises(EmptySampleError):
        fit_ols("inc ~ x", df, fixed_effects=["hh"])


def test_formula_transformations_that_give_nan_are_refused(D):
    with pytest.raises(ImpossibleValueError, match="np.log"):
        fit_ols("inc ~ np.log(x)", D)
    with pytest.raises(ImpossibleValueError):
        probit("y ~ np.log(x)", D)


def test_ame_of_numeric_column_wrapped_in_C_is_by_level(D):
    D2 = D.assign(gi=D.g.map({"a": 1, "b": 2, "c": 3}))
    a = probit("y ~ x + C(gi)", D2).ame().params
    b = probit("y ~ x + C(g)", D2).ame().params
    assert "gi[2]" in a.index and "gi[3]" in a.index
    np.testing.assert_allclose(a[["gi[2]", "gi[3]"]].to_numpy(), b[["g[b]", "g[c]"]].to_numpy())


def test_generated_names_never_overwrite_user_columns(D):
    with pytest.raises(DataError, match="log_inc"):
        ols_premium(D.assign(log_inc=1.0), outcome="inc", treatment="d", controls=["x"])
    with pytest.raises(DataError, match="d_x_x"):
        ols_premium(
            D.assign(d_x_x=1.0), outcome="inc", treatment="d", controls=["x"], interactions=["x"]
        )


def test_treatment_that_drops_out_is_an_error(D):
    df = D.assign(dg=(D.g == "a").astype(float))
    with pytest.raises(TreatmentError, match="dropped"), pytest.warns(Warning):
        ols_premium(df, outcome="inc", treatment="dg", controls=["x"], fixed_effects=["g"])
    const = D.assign(inc=D.inc.where(D.d == 1))
    with pytest.raises(TreatmentError):
        ols_premium(const, outcome="inc", treatment="d", controls=["x"])
    with pytest.raises(EmptySampleError, match="each group"):
        raw_gap(const, outcome="inc", treatment="d")


def test_probit_invariant_to_weight_scale(D):
    for wt in ("pweight", "aweight"):
        vc = "HC1" if wt == "pweight" else "iid"
        a = probit("y ~ x + z", D, design=SurveyDesign(weights="w", weight_type=wt), vcov=vc)
        b = probit(
            "y ~ x + z",
            D.assign(w=D.w * 1e-12),
            design=SurveyDesign(weights="w", weight_type=wt),
            vcov=vc,
        )
        np.testing.assert_allclose(a.params, b.params, rtol=1e-9)
        np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-9)


def test_high_leverage_point_is_not_called_separation(D):
    E = D.copy()
    E.loc[0, ["x", "y"]] = [30.0, 1.0]
    ours = probit("y ~ x + z", E, vcov="iid")
    ref = sm.Probit(E.y, sm.add_constant(E[["x", "z"]])).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params.to_numpy(), rtol=1e-6)


def test_design_variance_without_strata(D):
    a = fit_ols("inc ~ x", D, design=SurveyDesign(psu="cl"), vcov="design")
    b = fit_ols("inc ~ x", D, design=SurveyDesign(psu="cl"), vcov="CRV1")
    n, k = len(D), 2
    np.testing.assert_allclose((b.std_errors / a.std_errors) ** 2, (n - 1) / (n - k), rtol=1e-10)
    assert a.df == 19
    p = probit("y ~ x", D, design=SurveyDesign(psu="cl"), vcov="design")
    q = probit("y ~ x", D, design=SurveyDesign(psu="cl"), vcov="CRV1")
    np.testing.assert_allclose(p.std_errors, q.std_errors, rtol=1e-10)


def test_one_cluster_and_too_few_rows(D):
    with pytest.raises(VarianceError, match="at least 2 clusters"):
        probit("y ~ x", D.assign(one=1), cluster="one")
    with pytest.raises(VarianceError):
        fit_ols("inc ~ x", D.assign(one=1), cluster="one")
    with pytest.raises(EmptySampleError, match="more observations than parameters"):
        fit_ols("inc ~ x + d", D.head(3))


def test_unused_category_level_is_removed_not_used_as_reference(D):
    E = D.assign(g=pd.Categorical(D.g, categories=["zz", "a", "b", "c"]))
    r = lpm("y ~ x + g", E)
    ref = lpm("y ~ x + g", D)
    np.testing.assert_allclose(r.params.to_numpy(), ref.params.to_numpy())
    assert any("zz" in n for n in r.notes)
    p = probit("y ~ x + g", E)
    assert "g[b]" in p.terms and any("zz" in n for n in p.notes)


def test_collinear_regressors_in_probit(D):
    with pytest.raises(CollinearityError):
        probit("y ~ x + x2", D.assign(x2=2 * D.x))


def test_duplicated_and_unusable_column_names(D):
    dup = pd.concat([D, D[["x"]]], axis=1)
    with pytest.raises(DataError, match="duplicated"):
        fit_ols("inc ~ z", dup)
    with pytest.raises(UnknownOptionError, match="identifiers"):
        raw_gap(D.rename(columns={"inc": "income-pc"}), outcome="income-pc", treatment="d")


def test_interactions_must_be_controls(D):
    with pytest.raises(UnknownOptionError, match="subset of controls"):
        ols_premium(D, outcome="inc", treatment="d", controls=["x"], interactions=["z"])


def test_lpm_outcome_checks(D):
    with pytest.raises(UnknownOptionError, match="column name on the left"):
        lpm("I(2*y) ~ x", D)
    with pytest.raises(TreatmentError, match="estimation sample"):
        lpm("y ~ x", D.assign(x=D.x.where(D.y == 1)))


def test_frequency_weights_must_be_counts(D):
    for bad in (100000.5, 1e-9):
        with pytest.raises(InvalidWeightError, match="whole numbers >= 1"):
            fit_ols(
                "inc ~ x",
                D.assign(f=np.where(D.index == 0, bad, 1.0)),
                design=SurveyDesign(weights="f", weight_type="fweight"),
            )


def test_raw_gap_counts_and_levels(D):
    f = D.assign(f=2.0)
    g = raw_gap(
        f, outcome="inc", treatment="d", design=SurveyDesign(weights="f", weight_type="fweight")
    )
    assert g.extra["n_treated"] == 2 * int(D.d.sum())
    neg = raw_gap(D.assign(v=D.x - 5), outcome="v", treatment="d")
    assert neg.terms == ("mean_control", "mean_treated", "difference")
    one = D.assign(d=np.where(D.index == 0, 1.0, 0.0))
    with pytest.raises(EmptySampleError, match="at least 2"):
        raw_gap(one, outcome="inc", treatment="d", vcov="HC1")


def test_formula_and_option_errors(D):
    with pytest.raises(UnknownOptionError, match="one outcome"):
        fit_ols("inc + y ~ x", D)
    with pytest.raises(UnknownOptionError, match="no regressor"):
        probit("y ~ 1", D).ame()
    with pytest.raises(UnknownOptionError, match="maxiter"):
        logit("y ~ x", D, maxiter=-5)
    with pytest.raises(UnknownOptionError, match="tol"):
        logit("y ~ x", D, tol=1000)


def test_stata_labels_that_are_only_missing_codes_or_on_binary_fields(tmp_path):
    df = pd.DataFrame({"hhid": [1, 2, 3], "age": [30, -9, 40], "eshop": [0, 1, 1]})
    path = tmp_path / "f.dta"
    pyreadstat.write_dta(
        df, str(path), variable_value_labels={"age": {-9: "refused"}, "eshop": {0: "no", 1: "yes"}}
    )
    cb = tmp_path / "cb.toml"
    cb.write_text(
        '[codebook]\nmissing_codes = [-9]\n[columns]\nhh_id = "hhid"\nhead_age = "age"\n'
        'e_household = "eshop"\n'
    )
    sd = read_survey(path, cb)
    assert sd.data["head_age"].tolist()[0] == 30 and pd.isna(sd.data["head_age"][1])
    assert sd.data["e_household"].tolist() == [0, 1, 1]
    csv = tmp_path / "ids.csv"
    pd.DataFrame({"hh_id": [1, None, 3]}).to_csv(csv, index=False)
    with pytest.raises(DuplicateIdError, match="missing"):
        read_survey(csv)
    empty = tmp_path / "empty.csv"
    empty.write_text("hh_id,weight\n")
    with pytest.raises(EmptySampleError):
        read_survey(empty)


def test_twin_seed_types_and_frozen_truth():
    t = taobao_village_survey(np.int64(5))
    assert t.truth["seed"] == 5 and t.seed == 5
    for bad in (-1, True, 2.5):
        with pytest.raises(UnknownOptionError):
            taobao_village_survey(bad)
    with pytest.raises(TypeError):
        t.truth["tau"]["tau0"] = 99


def test_linear_models_invariant_to_weight_scale_and_huge_weights(D):
    des = SurveyDesign(weights="w")
    a = fit_ols("inc ~ x", D, design=des, cluster="cl")
    b = fit_ols("inc ~ x", D.assign(w=D.w * 1e300), design=des, cluster="cl")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-10)


def test_text_outcome_is_a_named_error(D):
    from welfare.errors import ColumnTypeError

    with pytest.raises(ColumnTypeError, match="expected numbers"):
        ols_premium(D.assign(s=D.g), outcome="s", treatment="d")
    with pytest.raises(ColumnTypeError, match="expected numbers"):
        raw_gap(D.assign(s=D.g), outcome="s", treatment="d")


def test_fit_ols_huge_pweights_give_the_same_numbers():
    """pweights are scale-free: x 1e300 must not overflow their normalisation."""
    from welfare.datasets import taobao_village_survey
    from welfare.inference.linear import fit_ols

    t = taobao_village_survey()
    big = t.data.assign(weight=t.data["weight"] * 1e300)
    r = fit_ols("income_pc ~ e_household", big, design=t.design)
    r0 = fit_ols("income_pc ~ e_household", t.survey)
    np.testing.assert_allclose(r.params, r0.params, rtol=1e-12)
    np.testing.assert_allclose(r.std_errors, r0.std_errors, rtol=1e-10)


@pytest.mark.parametrize("alpha", [0, 1, 1.5, -0.1, float("nan"), True, "0.05"])
def test_tidy_refuses_an_alpha_outside_0_1(alpha):
    from welfare.datasets import taobao_village_survey
    from welfare.errors import UnknownOptionError
    from welfare.inference.linear import fit_ols

    r = fit_ols("income_pc ~ e_household", taobao_village_survey().survey)
    with pytest.raises(UnknownOptionError, match="alpha"):
        r.tidy(alpha=alpha)


def test_check_option_does_not_read_1_as_true():
    """Python has 1 == True; an option that takes True/False must not accept 1 (or lag=True)."""
    from welfare._options import check_option
    from welfare.errors import UnknownOptionError

    assert check_option("flag", np.True_, (True, False))
    assert check_option("lag", np.int64(1), (0, 1)) == 1
    for value, allowed in ((1, (True, False)), (0, (True, False)), (True, (0, 1))):
        with pytest.raises(UnknownOptionError, match="is not allowed"):
            check_option("x", value, allowed)
