"""Bad and awkward input to the inequality estimators: named errors, never NaN or silent changes.

Each case was found by trying to break the module (adversarial review); the test pins the fix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from welfare.data.design import SurveyDesign
from welfare.errors import (
    DataError,
    DesignError,
    EmptySampleError,
    InvalidWeightError,
    UnknownOptionError,
    VarianceError,
)
from welfare.inequality import (
    IncomeDomainError,
    concentration_share,
    decomposition_frame,
    ge_decomposition,
    gini,
    gini_by_source,
    inequality,
    lorenz_curve,
    quantiles,
    shapley_by_source,
)


@pytest.fixture(scope="module")
def d():
    rng = np.random.default_rng(8)
    n = 120
    y = np.round(rng.lognormal(7, 0.8, n), -1)
    return pd.DataFrame(
        {
            "y": y,
            "a": y * rng.uniform(0.2, 0.8, n),
            "w": rng.uniform(1, 3, n),
            "f": rng.integers(1, 4, n).astype(float),
            "g": rng.integers(0, 3, n),
            "psu": rng.integers(0, 15, n),
            "txt": ["x"] * n,
        }
    ).assign(b=lambda x: x["y"] - x["a"])


def test_quantile_in_a_gap_has_a_finite_se():
    """Stata's rule averages two neighbours at an exact hit; a wide gap must not give SE = inf."""
    y = np.array([645.87, 1310.83, 1607.8, 1736.7, 1953.29, 1983.57, 2374.92, 3191.75, 6635.67,
                  57548.45])  # fmt: skip
    q = quantiles(y, probs=[0.5, 0.9])
    assert np.isfinite(q.std_errors).all() and (q.std_errors > 0).all()
    r = inequality(y, indices="p90/p10")
    assert np.isfinite(r.std_errors.iloc[0]) and r.std_errors.iloc[0] < 5 * r.params.iloc[0]


def test_sources_and_rank_variables_must_be_numeric_columns(d):
    with pytest.raises(UnknownOptionError, match="list of at least 2"):
        gini_by_source(d, "ab")
    with pytest.raises(UnknownOptionError, match="list of at least 2"):
        shapley_by_source(d, "ab")
    for bad in (["a", "txt"], ["txt", "a"]):
        with pytest.raises(DataError, match="'txt'"):
            gini_by_source(d, bad)
    with pytest.raises(DataError, match="rank variable 'txt'"):
        lorenz_curve(d, "y", rank_by="txt")
    with pytest.raises(DataError, match="expected an array of real numbers"):
        inequality(np.array(["1", "2", "3"]))
    with pytest.raises(DataError, match="complex"):
        inequality(np.array([1 + 1j, 2 + 0j]))


def test_bootstrap_does_not_depend_on_row_order(d):
    perm = d.sample(frac=1, random_state=3).reset_index(drop=True)
    kw = {"vcov": "bootstrap", "n_boot": 30, "random_state": 5}
    fw = SurveyDesign(weights="f", weight_type="fweight")
    for fn, args in (
        (ge_decomposition, {"income": "y", "by": "g"}),
        (gini_by_source, {"sources": ["a", "b"]}),
        (shapley_by_source, {"sources": ["a", "b"]}),
        (inequality, {"income": "y", "indices": ("gini", "theil_t")}),
        (inequality, {"income": "y", "indices": ("gini",), "design": fw}),
        (inequality, {"income": "y", "by": "g", "indices": ("gini",)}),
    ):
        a, b = fn(d, **args, **kw), fn(perm, **args, **kw)
        np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-10, atol=1e-14)


def test_design_errors_are_named(d):
    one = SurveyDesign(psu="psu", strata="g")
    dd = d.assign(psu=np.where(d["g"] == 0, 99, d["psu"]))  # stratum 0 has a single PSU
    with pytest.raises(DesignError, match="at least 2 PSUs"):
        inequality(dd, "y", design=one, vcov="bootstrap", random_state=1, n_boot=5)
    with pytest.raises(VarianceError, match="at least 2 PSUs"):
        ge_decomposition(d.assign(psu=1), "y", by="g", design=SurveyDesign(psu="psu"))
    with pytest.raises(UnknownOptionError, match="design= needs a data frame"):
        inequality(d["y"].to_numpy(), design=SurveyDesign(psu="psu"))
    with pytest.raises(UnknownOptionError, match="weight_type= is for arrays"):
        inequality(d, "y", weight_type="fweight")
    with pytest.raises(UnknownOptionError, match="random_state"):
        gini(d, "y", vcov="bootstrap", random_state=-1)


def test_groups(d):
    mixed = d.assign(g=pd.Series([1 if g == 0 else "1" for g in d["g"]], dtype=object))
    with pytest.raises(DataError, match="print alike"):
        inequality(mixed, "y", by="g")
    with pytest.raises(EmptySampleError, match="at least 2 observations in every group"):
        ge_decomposition(d.assign(g=[0] * 119 + [1]), "y", by="g")
    with pytest.raises(UnknownOptionError, match="income column itself"):
        ge_decomposition(d, "y", by="y")
    odd = d.assign(g=np.where(d["g"] == 0, "0=1", "1"))
    f = decomposition_frame(ge_decomposition(odd, "y", by="g", alpha=1))
    share = (odd["g"] == "1").mean()
    assert f.set_index("group").loc["1", "pop_share"] == pytest.approx(share)
    with pytest.raises(UnknownOptionError, match="not estimated"):
        decomposition_frame(ge_decomposition(d, "y", by="g", alpha=1), alpha=2)
    with pytest.raises(UnknownOptionError, match="ge_decomposition"):
        decomposition_frame(gini(d, "y"))


def test_degenerate_and_extreme_values(d):
    eq = d.assign(a=1.0, b=2.0)
    with pytest.raises(IncomeDomainError, match="all units equal"):
        gini_by_source(eq, ["a", "b"])
    with pytest.raises(IncomeDomainError, match="all units equal"):
        shapley_by_source(eq, ["a", "b"])
    for bad in (np.nan, np.inf, 1e6, "2"):
        with pytest.raises(UnknownOptionError, match="alpha"):
            ge_decomposition(d, "y", by="g", alpha=bad)
    ok = ge_decomposition(d, "y", by="g", alpha=np.array([np.int64(2), np.float32(0.5)]))
    assert ok.extra["alphas"] == (2.0, 0.5)
    with pytest.raises(UnknownOptionError, match="finite parameter"):
        inequality(d, "y", indices="ge(1e400)")
    with pytest.raises(UnknownOptionError, match="indices"):
        inequality(d, "y", indices=None)
    r = inequality(d, "y", indices="atkinson(300)")  # extreme aversion: finite, never NaN
    assert np.isfinite(r.params).all() and np.isfinite(r.std_errors).all()
    # scale invariance survives huge and tiny incomes (power-of-two rescaling is exact)
    base = inequality(d, "y", indices=("gini", "ge(2)", "p90/p10", "cv"))
    for k in (2.0**900, 2.0**-900):
        r = inequality(d.assign(y=d["y"] * k), "y", indices=("gini", "ge(2)", "p90/p10", "cv"))
        np.testing.assert_allclose(r.params, base.params, rtol=1e-12)
        np.testing.assert_allclose(r.std_errors, base.std_errors, rtol=1e-9)
    q = quantiles(d.assign(y=d["y"] * 2.0**100), "y", probs=np.float32(0.5))
    q0 = quantiles(d, "y", probs=0.5)
    assert q.params.iloc[0] == pytest.approx(q0.params.iloc[0] * 2.0**100)
    assert q.std_errors.iloc[0] == pytest.approx(q0.std_errors.iloc[0] * 2.0**100)
    with pytest.raises(UnknownOptionError, match="distinct"):
        quantiles(d, "y", probs=[0.5, 0.5])


def test_curves_options(d):
    for bad in ([np.nan], [], [1.5], True):
        with pytest.raises(UnknownOptionError, match="points"):
            lorenz_curve(d, "y", points=bad)
    with pytest.raises(IncomeDomainError) as e:
        lorenz_curve(d.assign(y=d["y"] - 2000), "y")
    assert "nonpositive" not in str(e.value)
    for bad in ("0.25", None, [0.25], 1.0):
        with pytest.raises(UnknownOptionError, match="top"):
            concentration_share(d, "y", top=bad)
    with pytest.raises(InvalidWeightError, match="length"):
        inequality(d["y"].to_numpy(), weights=np.ones(3))


def test_report_functions_name_wrong_input(d, tmp_path):
    from welfare.report import (
        decomposition_plot,
        grid_table,
        lorenz_plot,
        quantile_effects_plot,
        source_contribution_plot,
    )

    g = gini(d, "y")
    with pytest.raises(UnknownOptionError, match="gini_by_source"):
        source_contribution_plot(g, tmp_path / "a.png", title="x")
    with pytest.raises(UnknownOptionError, match="oaxaca"):
        decomposition_plot(g, tmp_path / "b.png", title="x")
    with pytest.raises(UnknownOptionError, match="missing at quantile"):
        quantile_effects_plot({0.5: g}, "x1", tmp_path / "c.png", title="x")
    with pytest.raises(UnknownOptionError, match="columns group, p, share"):
        lorenz_plot(d, tmp_path / "d.png", title="x")
    with pytest.raises(UnknownOptionError, match="'theil_t' is not in"):
        grid_table({"r": {"c": (g, "theil_t")}}, title="x")
