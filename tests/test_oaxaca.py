"""Oaxaca-Blinder: Stata's published threefold decomposition, statsmodels on identical input,
fault kind K12, frequency weights, normalisation, influence-function variances, bad input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import assert_printed, reference_case, shared_file

from welfare.data.design import SurveyDesign
from welfare.errors import CollinearityError, DataError, EmptySampleError, UnknownOptionError
from welfare.inequality import oaxaca

EDU = ["LTHS", "some_college", "college", "high_school", "advanced_degree"]


@pytest.fixture(scope="module")
def chicago():
    return pd.read_stata(shared_file("data", "chicago_mod.dta"))


def test_chicago_threefold_matches_stata(chicago):
    case = reference_case("oaxaca_chicago_threefold")
    r = oaxaca(chicago, "ln_real_wage", by="female", regressors=["age"], normalize=[EDU])
    p = r.params
    assert r.sample.n_obs == 666
    for key, term in (
        ("mean_group_1", "mean[female=0]"),
        ("mean_group_2", "mean[female=1]"),
        ("difference", "difference"),
        ("endowments", "endowments"),
        ("coefficients", "coefficients"),
        ("interaction", "interaction"),
    ):
        assert_printed(p[term], case[key], key)
    # every detailed term printed in the notes
    for part in ("endowments", "coefficients"):
        block = re.search(rf"Detailed {part}: (.*?)\.\n", case["notes"] + "\n", re.S).group(1)
        for name, value in re.findall(r"(\w+) (-?\d+\.\d+)", block):
            assert_printed(p[f"{part}[{name}]"], float(value), f"{part}[{name}]")
    assert r.extra["group1"] == "0" and r.extra["gap"] == "mean(female=0) - mean(female=1)"


@pytest.mark.parametrize(
    ("sm_type", "ours"),
    [("pooled", "pooled"), ("nuemark", "neumark"), ("cotton", "cotton"), ("reimers", "reimers")],
)
def test_twofold_equals_statsmodels(chicago, sm_type, ours):
    from statsmodels.stats.oaxaca import OaxacaBlinder

    d = chicago.dropna()
    regs = ["age", "high_school", "some_college", "college", "advanced_degree"]
    X = np.column_stack([np.ones(len(d)), d[regs].to_numpy(float), d["female"].to_numpy(float)])
    sm = OaxacaBlinder(d["ln_real_wage"].to_numpy(), X, bifurcate=X.shape[1] - 1, swap=True)
    unexplained, explained, gap = sm.two_fold(two_fold_type=sm_type).params
    r = oaxaca(d, "ln_real_wage", by="female", regressors=regs, reference=ours).params
    assert r["explained"] == pytest.approx(explained, rel=1e-10)
    assert r["unexplained"] == pytest.approx(unexplained, rel=1e-10)
    assert r["difference"] == pytest.approx(gap, rel=1e-12)
    e, c, i, _ = sm.three_fold().params
    t = oaxaca(d, "ln_real_wage", by="female", regressors=regs).params
    assert [t["endowments"], t["coefficients"], t["interaction"]] == pytest.approx([e, c, i])


def test_k12_adds_up_reference_and_sign():
    rng = np.random.default_rng(12)
    n = 400
    g = rng.integers(0, 2, n)
    x = rng.normal(1 + g, 1, n)
    y = 2 + 0.5 * x + 0.3 * g + rng.normal(size=n)
    d = pd.DataFrame({"y": y, "x": x, "g": g})
    for ref in ("group1", "group2", "reimers", "cotton", "neumark", "pooled", "threefold"):
        r = oaxaca(d, "y", by="g", regressors=["x"], reference=ref)
        p = r.params
        parts = ["explained", "unexplained"] if ref != "threefold" else [
            "endowments", "coefficients", "interaction"]  # fmt: skip
        assert abs(sum(p[t] for t in parts) - p["difference"]) < 1e-12
        assert "coefficients[_cons]" in p or "unexplained[_cons]" in p  # intercept always in
        assert r.extra["reference"] == ref
    a = oaxaca(d, "y", by="g", regressors=["x"])
    b = oaxaca(d, "y", by="g", regressors=["x"], group1=1)
    assert b.params["difference"] == pytest.approx(-a.params["difference"], rel=1e-12)
    assert (a.extra["group1"], b.extra["group1"]) == ("0", "1")
    assert "mean(g=1) - mean(g=0)" in b.estimand
    with pytest.raises(UnknownOptionError, match="reference"):
        oaxaca(d, "y", by="g", regressors=["x"], reference="blinder")
    with pytest.raises(DataError, match="group1"):
        oaxaca(d, "y", by="g", regressors=["x"], group1=2)


def test_normalisation_does_not_depend_on_the_omitted_category(chicago):
    a = oaxaca(chicago, "ln_real_wage", by="female", regressors=["age"], normalize=[EDU])
    b = oaxaca(chicago, "ln_real_wage", by="female", regressors=["age"],
               normalize=[EDU[::-1]])  # fmt: skip
    np.testing.assert_allclose(b.params[list(a.terms)], a.params, atol=1e-12)
    np.testing.assert_allclose(b.std_errors[list(a.terms)], a.std_errors, rtol=1e-9, atol=1e-14)


def test_fweights_equal_expanded_and_numerical_influence():
    rng = np.random.default_rng(3)
    n = 300
    d = pd.DataFrame(
        {
            "g": rng.integers(0, 2, n),
            "x": rng.integers(0, 4, n).astype(float),
            "z": rng.integers(0, 2, n).astype(float),
            "psu": rng.integers(0, 12, n),
        }
    )
    d["y"] = np.round(1 + 0.4 * d["x"] + 0.2 * d["g"] + 0.3 * d["z"] + rng.normal(0, 1, n), 1)
    keys = ["g", "x", "z", "psu", "y"]
    c = d.groupby(keys).size().rename("f").reset_index()
    for psu in (None, "psu"):
        for ref in ("threefold", "pooled"):
            a = oaxaca(d, "y", by="g", regressors=["x", "z"], reference=ref,
                       design=SurveyDesign(psu=psu) if psu else None)  # fmt: skip
            b = oaxaca(c, "y", by="g", regressors=["x", "z"], reference=ref,
                       design=SurveyDesign(weights="f", weight_type="fweight", psu=psu))  # fmt: skip
            np.testing.assert_allclose(b.params, a.params, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(b.std_errors, a.std_errors, rtol=1e-9, atol=1e-12)
    # variance = c * sum_PSU (sum_i w_i dT/dw_i)^2, the derivative taken numerically
    w0 = rng.uniform(1, 3, n)
    dw = d.assign(w=w0)
    des = SurveyDesign(weights="w", psu="psu")
    res = oaxaca(dw, "y", by="g", regressors=["x", "z"], reference="cotton", design=des)
    for term in ("explained", "unexplained[x]", "difference"):
        u = []
        for i in range(n):
            h = 1e-6 * w0[i]
            wp, wm = w0.copy(), w0.copy()
            wp[i] += h
            wm[i] -= h
            fp = oaxaca(dw.assign(w=wp), "y", by="g", regressors=["x", "z"], reference="cotton",
                        design=des).params[term]  # fmt: skip
            fm = oaxaca(dw.assign(w=wm), "y", by="g", regressors=["x", "z"], reference="cotton",
                        design=des).params[term]  # fmt: skip
            u.append(w0[i] * (fp - fm) / (2 * h))
        us = pd.Series(u).groupby(d["psu"].to_numpy()).sum().to_numpy()
        G = len(us)
        assert res.std_errors[term] ** 2 == pytest.approx(G / (G - 1) * np.sum(us**2), rel=1e-5)


def test_bootstrap_and_bad_input(chicago):
    d = chicago.dropna()
    kw = {"by": "female", "regressors": ["age"], "normalize": [EDU]}
    a = oaxaca(d, "ln_real_wage", vcov="bootstrap", n_boot=40, random_state=2, **kw)
    b = oaxaca(d.sample(frac=1, random_state=1), "ln_real_wage", vcov="bootstrap", n_boot=40,
               random_state=2, **kw)  # fmt: skip
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-9)
    lin = oaxaca(d, "ln_real_wage", **kw)
    assert a.std_errors["difference"] == pytest.approx(lin.std_errors["difference"], rel=0.35)
    one = pd.concat([d[d["female"] == 0], d[d["female"] == 1].head(1)])
    with pytest.raises(EmptySampleError, match="female=1"):
        oaxaca(one, "ln_real_wage", by="female", regressors=["age"])
    const = d.assign(k=np.where(d["female"] == 1, 1.0, d["age"]))
    with pytest.raises(CollinearityError, match=r"female=1.*\['k'\]"):
        oaxaca(const, "ln_real_wage", by="female", regressors=["k"])
    with pytest.raises(DataError, match="exactly 2 groups"):
        oaxaca(d.assign(g3=d["age"] % 3), "ln_real_wage", by="g3", regressors=["age"])
    with pytest.raises(DataError, match="sum to 1"):
        oaxaca(d, "ln_real_wage", by="female", regressors=["age"], normalize=[EDU[:3]])
    with pytest.raises(UnknownOptionError, match="normalize"):
        oaxaca(d, "ln_real_wage", by="female", regressors=["age", "LTHS"], normalize=[EDU])
