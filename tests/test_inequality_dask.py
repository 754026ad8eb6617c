"""The Dask path (data larger than memory) equals the in-memory estimators on the same rows.

Run on a local distributed cluster (in-process workers) with small data.
"""

from __future__ import annotations

import logging

import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd
import pytest

from welfare.data.design import SurveyDesign
from welfare.errors import InvalidWeightError, MissingColumnError
from welfare.inequality import IncomeDomainError, ge_decomposition, gini
from welfare.inequality.large import (
    _gini_assemble,
    _gini_sorted,
    ge_decomposition_dask,
    gini_dask,
)


@pytest.fixture(scope="module")
def client():
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 4000
    df = pd.DataFrame(
        {
            "y": np.round(rng.lognormal(5, 1, n), 0),  # ties
            "w": rng.uniform(1, 5, n),
            "f": rng.integers(1, 4, n).astype(float),
            "g": rng.choice(["a", "b", "c"], n),
            "psu": rng.integers(0, 40, n),
        }
    )
    df["h"] = df["psu"] % 4
    df.loc[:6, "y"] = np.nan
    df.loc[7:9, "g"] = None
    return df


DESIGNS = [
    ({}, None),
    ({"weights": "w"}, SurveyDesign(weights="w")),
    ({"weights": "f", "weight_type": "fweight"}, SurveyDesign(weights="f", weight_type="fweight")),
    ({"weights": "w", "psu": "psu"}, SurveyDesign(weights="w", psu="psu")),
    (
        {"weights": "w", "psu": "psu", "strata": "h"},
        SurveyDesign(weights="w", psu="psu", strata="h"),
    ),
]


@pytest.mark.parametrize(("kw", "design"), DESIGNS)
def test_ge_decomposition_dask_equals_memory(client, frame, kw, design):
    ddf = dd.from_pandas(frame, npartitions=6)
    a = ge_decomposition(frame, "y", by="g", alpha=(0, 1, 2, 0.5), design=design)
    b = ge_decomposition_dask(ddf, "y", by="g", alpha=(0, 1, 2, 0.5), **kw)
    assert a.terms == b.terms
    np.testing.assert_allclose(b.params, a.params, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(b.std_errors, a.std_errors, rtol=1e-9, atol=1e-13)
    assert b.df == a.df and b.n_obs == a.n_obs
    assert b.sample.n_obs == a.sample.n_obs
    assert dict(b.sample.dropped) == dict(a.sample.dropped)


@pytest.mark.parametrize(("kw", "design"), DESIGNS)
def test_gini_dask_equals_memory(client, frame, kw, design):
    ddf = dd.from_pandas(frame.drop(columns="g"), npartitions=5)
    a = gini(frame.drop(columns="g"), "y", design=design)
    b = gini_dask(ddf, "y", npartitions=9, **kw)
    assert b.params["gini"] == pytest.approx(a.params["gini"], rel=1e-12)
    assert b.std_errors["gini"] == pytest.approx(a.std_errors["gini"], rel=1e-10)
    assert b.df == a.df
    assert dict(b.sample.dropped) == dict(a.sample.dropped)


@pytest.mark.parametrize("psu", [None, "psu"])
def test_gini_merge_with_ties_split_across_partitions(frame, psu):
    """Partitions cut inside runs of equal incomes: global mid-ranks make the result exact."""
    rng = np.random.default_rng(1)
    df = frame.dropna(subset=["y"]).assign(y=lambda d: rng.choice([0.0, 1, 2, 5], len(d)))
    df = df.sort_values("y", kind="stable").reset_index(drop=True)
    cuts = np.linspace(0, len(df), 9).astype(int)
    parts = [df.iloc[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    cfg = {"income": "y", "weights": "w", "wtype": "pweight", "psu": psu, "strata": None}

    def run(fn, ps, *args):
        return [fn(p, *a) for p, *a in zip(ps, *args, strict=True)]

    W, Y, n_units, _, ties, p2 = _gini_sorted(parts, cfg, run)
    assert len(ties) >= 2
    G, V, _ = _gini_assemble(W, Y, n_units, p2, psu, None)
    ref = gini(df, "y", design=SurveyDesign(weights="w", psu=psu))
    assert G == pytest.approx(ref.params["gini"], rel=1e-12)
    assert np.sqrt(V[0, 0]) == pytest.approx(ref.std_errors["gini"], rel=1e-10)


def test_dask_bad_input(client, frame):
    ddf = dd.from_pandas(frame.assign(w=frame["w"] - 2), npartitions=3)
    with pytest.raises(InvalidWeightError):
        ge_decomposition_dask(ddf, "y", by="g", weights="w")
    with pytest.raises(InvalidWeightError):
        gini_dask(ddf, "y", weights="w")
    ddf = dd.from_pandas(frame, npartitions=3)
    with pytest.raises(IncomeDomainError, match="mld"):
        ge_decomposition_dask(dd.from_pandas(frame.fillna({"y": 0.0}), npartitions=3), "y", by="g")
    with pytest.raises(MissingColumnError):
        gini_dask(ddf, "income")
    excl = ge_decomposition_dask(
        dd.from_pandas(frame.fillna({"y": 0.0}), npartitions=3), "y", by="g", nonpositive="exclude"
    )
    assert ("income <= 0 (mld)", 7) in excl.sample.dropped


def test_dask_categorical_groups_keep_category_order(client, frame):
    cat = frame.assign(g=pd.Categorical(frame["g"], categories=["c", "a", "b"]))
    a = ge_decomposition(cat, "y", by="g", alpha=1)
    b = ge_decomposition_dask(dd.from_pandas(cat, npartitions=4), "y", by="g", alpha=1)
    assert a.terms == b.terms
    np.testing.assert_allclose(b.params, a.params, rtol=1e-10)


def test_dask_type_checks(client, frame):
    with pytest.raises(InvalidWeightError, match="real numbers"):
        gini_dask(dd.from_pandas(frame.assign(w=frame["w"].astype(str)), npartitions=2), "y",
                  weights="w")  # fmt: skip
    from welfare.errors import DataError, UnknownOptionError

    with pytest.raises(DataError, match="real numbers"):
        ge_decomposition_dask(dd.from_pandas(frame.assign(y=frame["y"] > 100), npartitions=2),
                              "y", by="g")  # fmt: skip
    with pytest.raises(UnknownOptionError, match="npartitions"):
        gini_dask(dd.from_pandas(frame, npartitions=2), "y", npartitions=0)
