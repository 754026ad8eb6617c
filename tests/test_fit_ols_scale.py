"""fit_ols and design_rank do not depend on the units of the data.

``fit_ols`` divides the outcome and every model-matrix column by a power of two near its
standard deviation (``welfare._estimation.pow2_unit``) before pyfixest runs, and multiplies the
coefficients and covariances back; ``design_rank`` divides each column by a power of two near
its largest value. Outside checks: statsmodels OLS/WLS on the data at scale 1 (coefficients and
standard errors), bit-for-bit equality of fits on data times ``2**k`` with the fit at scale 1
times the factor, ``numpy.linalg.matrix_rank`` of the unscaled design, and hand-known values
(the constant of a constant outcome).

Before the change (measured on ``_data()`` below with the previous code): ``y * 1e150`` with
fixed effects raised pyfixest's ``ValueError: Demeaning failed after 10000 iterations.``;
``y * 1e153`` and ``y * 1e160`` raised numpy's ``LinAlgError: SVD did not converge``;
``x * 1e155`` raised ``ValueError: array must not contain infs or NaNs``; all columns times
1e-160 with fixed effects raised a ``ValueError`` with an empty message; a constant outcome
(3.0) gave a slope of -2.6e-16 with standard error 5.6e-17 and p = 5e-6 instead of a decision;
``design_rank(X * 1e200)`` was 0 and ``design_rank(X * 1e-200)`` 1 for a rank-4 ``X``
(squares overflowed/underflowed), which callers report as a CollinearityError.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from welfare._estimation import design_rank, pow2_unit
from welfare.data.design import SurveyDesign
from welfare.errors import ImpossibleValueError, OutcomeError
from welfare.inference.linear import ScaleWarning, fit_ols

K = 2.0**500


def _data(seed: int = 1, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n) + 3.0
    g = rng.integers(0, 20, n)
    f = rng.integers(0, 5, n)
    y = 1.0 + 0.5 * x - 0.25 * z + 0.1 * f + rng.normal(size=n)
    w = rng.uniform(0.5, 3.0, n)
    return pd.DataFrame({"y": y, "x": x, "z": z, "g": g, "f": f, "w": w, "h": g % 4})


def _sm_vcov(vcov, df):
    if vcov == "iid":
        return {"cov_type": "nonrobust"}
    if vcov == "HC1":
        return {"cov_type": "HC1"}
    return {"cov_type": "cluster", "cov_kwds": {"groups": df["g"]}}


@pytest.mark.parametrize("vcov", ["iid", "HC1", "CRV1"])
@pytest.mark.parametrize("weighted", [False, True])
def test_statsmodels_at_scale_one_equals_fit_ols_at_two_to_the_500(vcov, weighted):
    df = _data()
    big = df.assign(y=df.y * K)
    if weighted:
        design = SurveyDesign(weights="w", weight_type="aweight")
        sm = smf.wls("y ~ x + z", df, weights=df.w).fit(**_sm_vcov(vcov, df))
    else:
        design = None
        sm = smf.ols("y ~ x + z", df).fit(**_sm_vcov(vcov, df))
    cl = "g" if vcov == "CRV1" else None
    ours = fit_ols("y ~ x + z", big, design=design, cluster=cl, vcov=vcov)
    assert list(ours.terms) == ["Intercept", "x", "z"]
    np.testing.assert_allclose(ours.params.to_numpy() / K, sm.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.std_errors.to_numpy() / K, sm.bse.to_numpy(), rtol=1e-9)
    # bit for bit: the fit at 2**500 is the fit at scale 1 times 2**500
    one = fit_ols("y ~ x + z", df, design=design, cluster=cl, vcov=vcov)
    np.testing.assert_array_equal(ours.params.to_numpy(), one.params.to_numpy() * K)
    np.testing.assert_array_equal(ours.vcov.to_numpy(), one.vcov.to_numpy() * K**2)
    np.testing.assert_array_equal(ours.tidy()["p_value"], one.tidy()["p_value"])
    assert ours.extra["r2"] == one.extra["r2"]


def test_regressor_scales_divide_their_coefficient_exactly():
    df = _data()
    one = fit_ols("y ~ x + z", df, cluster="g")
    k = np.array([1.0, 2.0**-300, 2.0**40])  # x * 2**300, z * 2**-40
    res = fit_ols("y ~ x + z", df.assign(x=df.x * 2.0**300, z=df.z * 2.0**-40), cluster="g")
    np.testing.assert_array_equal(res.params.to_numpy(), one.params.to_numpy() * k)
    np.testing.assert_array_equal(res.vcov.to_numpy(), one.vcov.to_numpy() * np.outer(k, k))


def test_fixed_effects_and_design_variance_are_scale_equivariant():
    df = _data()
    sm = smf.ols("y ~ x + z + C(f)", df).fit(cov_type="cluster", cov_kwds={"groups": df["g"]})
    one = fit_ols("y ~ x + z", df, fixed_effects=["f"], cluster="g")
    big = fit_ols("y ~ x + z", df.assign(y=df.y * K), fixed_effects=["f"], cluster="g")
    np.testing.assert_allclose(one.params.to_numpy(), sm.params[["x", "z"]], rtol=1e-10)
    np.testing.assert_allclose(one.std_errors.to_numpy(), sm.bse[["x", "z"]], rtol=1e-9)
    np.testing.assert_array_equal(big.params.to_numpy(), one.params.to_numpy() * K)
    np.testing.assert_array_equal(big.vcov.to_numpy(), one.vcov.to_numpy() * K**2)
    # stratified design variance (scores and bread computed on the scaled columns)
    des = SurveyDesign(weights="w", psu="g", strata="h")
    d1 = fit_ols("y ~ x + z", df, design=des)
    d2 = fit_ols("y ~ x + z", df.assign(y=df.y * K), design=des)
    assert d1.vcov_spec.kind == "design"
    np.testing.assert_array_equal(d2.params.to_numpy(), d1.params.to_numpy() * K)
    np.testing.assert_array_equal(d2.vcov.to_numpy(), d1.vcov.to_numpy() * K**2)


def test_formula_transformations_keep_their_names_and_values():
    """The scaling acts on model-matrix columns, so log, powers, dummies and interactions are
    evaluated on the data as given (statsmodels/patsy evaluates the same formula)."""
    df = _data().assign(c=lambda d: np.where(d.g % 3 == 0, "a", np.where(d.g % 3 == 1, "b", "c")))
    fml = "y ~ x + I(x**2) + np.log(w) + C(c) + x:C(c)"
    sm = smf.ols(fml, df).fit()
    ours = fit_ols(fml, df.assign(y=df.y * K))
    assert list(ours.terms) == [
        "Intercept", "x", "I(x ** 2)", "np.log(w)", "c[b]", "c[c]", "x:C(c)[T.b]", "x:C(c)[T.c]"
    ]  # fmt: skip
    sm_names = [t.replace("c[", "C(c)[T.") for t in ours.terms]  # patsy's names and order
    np.testing.assert_allclose(ours.params.to_numpy() / K, sm.params[sm_names], rtol=1e-9)
    np.testing.assert_allclose(ours.std_errors.to_numpy() / K, sm.bse[sm_names], rtol=1e-9)
    # no intercept
    sm0 = smf.ols("y ~ 0 + x + z", df).fit()
    ours0 = fit_ols("y ~ 0 + x + z", df)
    assert list(ours0.terms) == ["x", "z"]
    np.testing.assert_allclose(ours0.params.to_numpy(), sm0.params.to_numpy(), rtol=1e-10)


@pytest.mark.parametrize(
    ("cols", "k", "fe"),
    [
        ("y", 1e150, ["f"]),  # was: ValueError: Demeaning failed after 10000 iterations.
        ("y", 1e153, None),  # was: LinAlgError: SVD did not converge
        ("yxz", 1e160, ["f"]),  # was: ValueError: Demeaning failed after 10000 iterations.
        ("yxz", 1e-160, ["f"]),  # was: a ValueError with an empty message
        ("y", 1e-150, ["f"]),
    ],
)
def test_huge_and_tiny_values_that_failed_before(cols, k, fe):
    df = _data()
    one = fit_ols("y ~ x + z", df, fixed_effects=fe, cluster="g")
    res = fit_ols(
        "y ~ x + z", df.assign(**{c: df[c] * k for c in cols}), fixed_effects=fe, cluster="g"
    )
    factor = np.array([k if t == "Intercept" or cols == "y" else 1.0 for t in one.terms])
    np.testing.assert_allclose(res.params.to_numpy(), one.params.to_numpy() * factor, rtol=1e-9)
    np.testing.assert_allclose(
        res.std_errors.to_numpy(), one.std_errors.to_numpy() * factor, rtol=1e-9
    )
    np.testing.assert_allclose(res.tidy()["statistic"], one.tidy()["statistic"], rtol=1e-9)


def test_variances_beyond_float64_in_data_units_are_flagged():
    """A variance of y * 1e160 is near 1e320 (was: SVD did not converge); one of x * 1e155
    near 1e-313, subnormal (was: 'array must not contain infs or NaNs'). The estimates are
    right (checked against the fit at scale 1); the variances are named in a warning and a
    note; an estimate beyond float64 is refused."""
    df = _data()
    one = fit_ols("y ~ x + z", df, cluster="g")
    with pytest.warns(ScaleWarning, match=r"terms \['Intercept', 'x', 'z'\]: variances"):
        r = fit_ols("y ~ x + z", df.assign(y=df.y * 1e160), cluster="g")
    np.testing.assert_allclose(r.params / 1e160, one.params, rtol=1e-12)
    assert any("over- or underflow" in n for n in r.notes)
    with pytest.warns(ScaleWarning, match=r"terms \['x'\]: variances"):
        r = fit_ols("y ~ x + z", df.assign(x=df.x * 1e155), cluster="g")
    np.testing.assert_allclose(r.params["x"] * 1e155, one.params["x"], rtol=1e-12)
    with pytest.raises(ImpossibleValueError, match=r"terms \['x'\]: expected estimates"):
        fit_ols("y ~ x + z", df.assign(y=df.y * 1e300, x=df.x * 1e-100), cluster="g")


def test_constant_outcome_is_refused_with_its_value():
    df = _data()
    with pytest.raises(
        OutcomeError, match=r"'y': expected variation .* constant value 3.0 in all 300"
    ):
        fit_ols("y ~ x", df.assign(y=3.0))
    with pytest.raises(OutcomeError, match="constant value"):
        fit_ols("y ~ x", df.assign(y=3.0 * K), fixed_effects=["f"], cluster="g")
    with pytest.raises(OutcomeError, match=r"'np.log\(y\)'.* constant value 0.0"):
        fit_ols("np.log(y) ~ x", df.assign(y=1.0))
    # varying only outside the estimation sample is still constant inside it
    with pytest.raises(OutcomeError, match="in all 299 rows"):
        fit_ols(
            "y ~ x",
            df.assign(
                y=2.0,
                x=df.x.where(df.index > 0),
            ).assign(y=lambda d: d.y.where(d.index > 0, 7.0)),
        )
    # two distinct values are fine
    r = fit_ols("y ~ x", df.assign(y=(df.x > 0).astype(float)))
    assert np.isfinite(r.tidy()["p_value"]).all()


@pytest.mark.parametrize("k", [1e200, 1e-200, 2.0**1000])
def test_design_rank_ignores_units(k):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 3))
    full = np.column_stack([np.ones(50), x])
    deficient = np.column_stack([np.ones(50), x, x[:, 0] - 2 * x[:, 1]])
    for X, rank in ((full, 4), (deficient, 4)):
        assert np.linalg.matrix_rank(X) == rank
        assert design_rank(X * k) == rank
        assert design_rank(X) == rank
    # one column huge, another tiny, a zero column: rank of the design itself
    mixed = np.column_stack([np.ones(50), x[:, 0] * 1e200, x[:, 1] * 1e-200, np.zeros(50)])
    assert (
        design_rank(mixed)
        == np.linalg.matrix_rank(np.column_stack([np.ones(50), x[:, 0], x[:, 1], np.zeros(50)]))
        == 3
    )


def test_pow2_unit_is_an_exact_equivariant_power_of_two():
    rng = np.random.default_rng(4)
    v = rng.normal(size=100) * 37.0 + 5.0
    u = pow2_unit(v)
    assert np.frexp(u)[0] == 0.5  # a power of two
    assert 0.5 <= np.std(v) / u < 1.0
    for k in (-1000, -300, 7, 500, 900):
        assert pow2_unit(v * 2.0**k) == u * 2.0**k
    assert pow2_unit(np.full(4, 3.0)) == 4.0  # no spread: max |v| / unit in [0.5, 1)
    assert pow2_unit(np.zeros(3)) == 1.0
    assert pow2_unit(np.array([])) == 1.0
    # mean far above the spread: the unit still keeps max |v| / unit below 2**64
    w = 1e300 + np.arange(5.0) * 1e270
    assert np.max(np.abs(w)) / pow2_unit(w) < 2.0**64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pow2_unit(np.array([1e308, -1e308, np.nan, np.inf]))  # no overflow warning


def test_frequency_weighted_singleton_groups_are_counted_by_their_weights():
    """A row with fweight 3 alone in its fixed-effect group is a group of 3 in the expanded
    data, not a singleton: collapsed data must give the expanded data's fit."""
    from welfare.data.design import SurveyDesign
    from welfare.inference.linear import fit_ols

    rng = np.random.default_rng(8)
    n = 300
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.integers(0, 20, n).astype(str),
                       "fw": rng.integers(1, 4, n).astype(float)})  # fmt: skip
    df["y"] = df["x"] + rng.normal(size=n)
    df.loc[0, ["g", "fw"]] = ["single", 3.0]
    df.loc[1, ["g", "fw"]] = ["one", 1.0]  # a true singleton: dropped in both
    a = fit_ols("y ~ x", df, fixed_effects=["g"], vcov="iid",
                design=SurveyDesign(weights="fw", weight_type="fweight"))  # fmt: skip
    b = fit_ols("y ~ x", df.loc[df.index.repeat(df["fw"].astype(int))].reset_index(drop=True),
                fixed_effects=["g"], vcov="iid")  # fmt: skip
    assert a.n_obs == b.n_obs
    assert a.params["x"] == pytest.approx(b.params["x"], rel=1e-10)
    assert a.std_errors["x"] == pytest.approx(b.std_errors["x"], rel=1e-10)
    assert dict(a.sample.dropped) == {"singleton fixed-effect group (g)": 1}


def test_variances_outside_float64_give_nan_tests_not_wrong_ones():
    """y * 1e150 with x * 1e-150: the slope's variance overflows. Its t used to print 0 with
    p = 1 (statsmodels at scale 1: t = 12.7); now NaN with a ScaleWarning and a note."""
    import statsmodels.formula.api as smf

    from welfare.inference.linear import ScaleWarning, fit_ols

    rng = np.random.default_rng(9)
    df = pd.DataFrame({"x": rng.normal(size=500), "z": rng.normal(size=500)})
    df["y"] = 1 + 0.5 * df.x - 0.2 * df.z + rng.normal(size=500)
    d2 = df.assign(y=df.y * 1e150, x=df.x * 1e-150)
    with pytest.warns(ScaleWarning, match=r"\['x'\].*set to NaN"):
        r = fit_ols("y ~ x + z", d2, vcov="HC1")
    t = r.tidy().set_index("term")
    ref = smf.ols("y ~ x + z", df).fit(cov_type="HC1")
    assert t.loc["x", "estimate"] == pytest.approx(ref.params["x"] * 1e300, rel=1e-9)
    assert np.isnan(t.loc["x", ["std_error", "statistic", "p_value", "conf_low"]]).all()
    # z's variance fits: its t is the scale-1 t
    assert t.loc["z", "statistic"] == pytest.approx(ref.tvalues["z"], rel=1e-9)
    assert any("set to NaN" in n for n in r.notes)


def test_two_way_fixed_effects_converge_to_the_dummy_regression():
    """pyfixest's absolute demeaning tolerance (1e-8) left 8e-7 relative error in a slope on
    slowly converging two-way FE; fit_ols asks for 1e-10 (statsmodels with dummies: exact)."""
    import statsmodels.formula.api as smf

    from welfare.inference.linear import fit_ols

    rng = np.random.default_rng(4)
    n = 3000
    df = pd.DataFrame({"a": rng.integers(0, 300, n)})
    df["b"] = (df["a"] // 8 + rng.integers(0, 2, n)).astype(int)  # b nearly nested in a
    df["x"] = rng.normal(size=n) + 0.05 * df["a"]
    df["y"] = 0.5 * df.x + 0.01 * df.a - 0.02 * df.b + rng.normal(size=n)
    for scale in (1.0, 1e4, 1e-4):
        d = df.assign(y=df.y * scale)
        r = fit_ols("y ~ x", d, fixed_effects=["a", "b"], vcov="iid")
        ref = smf.ols("y ~ x + C(a) + C(b)", d).fit()
        assert r.params["x"] == pytest.approx(ref.params["x"], rel=1e-12), scale
        assert r.std_errors["x"] == pytest.approx(ref.bse["x"], rel=1e-9), scale


def test_a_regressor_far_off_centre_is_named_in_a_warning():
    """1e7 + v next to an intercept: its slope came out 3% off (regression on v: the truth),
    silently; fit_ols now says which regressor and why (centre it)."""
    from welfare.inference.linear import CollinearityWarning

    rng = np.random.default_rng(2)
    x, v = rng.normal(size=400), rng.normal(size=400)
    df = pd.DataFrame({"x": x, "y": 1 + 0.5 * x + 0.3 * v + rng.normal(size=400), "big": 1e7 + v})
    with pytest.warns(CollinearityWarning, match=r"big \(\|mean\|/sd = 1\.0e\+07\).*centre"):
        fit_ols("y ~ x + big", df)
    centred = fit_ols("y ~ x + v", df.assign(v=v))  # no warning, and the right slope
    assert centred.params["v"] == pytest.approx(
        np.linalg.lstsq(np.column_stack([np.ones(400), x, v]), df["y"], rcond=None)[0][2]
    )
