"""Double ML (issue 4): closed-form cross-fitting, DoubleML on identical folds, clusters, seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from tests.conftest import assert_printed, reference_case, shared_file
from welfare.data import SurveyDesign
from welfare.errors import DesignError, TreatmentError, UnknownOptionError
from welfare.premium import blp, dml_irm, dml_plr, gate, make_folds, raw_gap

X = ["age", "inc", "educ", "fsize", "marr", "twoearn", "db", "pira", "hown"]


@pytest.fixture(scope="module")
def sipp():
    df = pd.read_stata(shared_file("data", "sipp1991.dta"))
    df["fold"] = make_folds(len(df), 5, random_state=3)
    return df


def _rel(a, b):
    return abs(a - b) / abs(b)


def _doubleml(df, model, ml_1, ml_2, y="net_tfa", **kw):
    """DoubleML on the same data, covariates and folds (column ``fold``)."""
    import doubleml

    data = doubleml.DoubleMLData(df.astype(float), y_col=y, d_cols="e401", x_cols=X)
    smpls = [[(np.flatnonzero(df.fold != k), np.flatnonzero(df.fold == k)) for k in range(5)]]
    cls = doubleml.DoubleMLPLR if model == "plr" else doubleml.DoubleMLIRM
    m = cls(data, ml_1, ml_2, n_folds=5, draw_sample_splitting=False, **kw)
    m.set_sample_splitting(smpls)
    m.fit()
    return m


def test_sipp_facts(sipp):
    case = reference_case("sipp1991_facts")
    assert len(sipp) == case["n_obs"]
    assert int(sipp["e401"].sum()) == case["n_eligible"]
    assert int(sipp["p401"].sum()) == case["n_participants"]
    gap = raw_gap(sipp, outcome="net_tfa", treatment="e401", vcov="iid").params["difference"]
    assert_printed(gap, case["raw_gap_e401"], "raw_gap_e401")
    # Convention: the file stores net_tfa as float32 and the published p401 gap is pandas'
    # float32 arithmetic (it prints np.float32(27371.582)); in float64 the gap is 27371.5834,
    # 0.0014 away, which is within float32's resolution at this magnitude (2 ulp = 0.0039).
    m = sipp.groupby("p401")["net_tfa"].mean()
    assert sipp["net_tfa"].dtype == np.float32
    assert repr(float(m[1] - m[0])) == repr(float(np.float32(case["raw_gap_p401"])))
    gap = raw_gap(sipp, outcome="net_tfa", treatment="p401", vcov="iid").params["difference"]
    assert abs(gap - case["raw_gap_p401"]) <= 2 * np.spacing(np.float32(case["raw_gap_p401"]))


def _residuals_by_hand(df, folds):
    """Cross-fitted residuals y - l(x) and d - m(x) by numpy least squares on each fold."""
    Xm = np.column_stack([np.ones(len(df)), df[X].to_numpy(float)])
    y, d = df["net_tfa"].to_numpy(float), df["e401"].to_numpy(float)
    ell, m = np.empty(len(df)), np.empty(len(df))
    for k in np.unique(folds):
        tr, te = folds != k, folds == k
        ell[te] = Xm[te] @ np.linalg.lstsq(Xm[tr], y[tr], rcond=None)[0]
        m[te] = Xm[te] @ np.linalg.lstsq(Xm[tr], d[tr], rcond=None)[0]
    return y, ell, d - m


def _plr_by_hand(df, folds, clusters=None):
    """Cross-fitted partialling-out estimator written out with numpy least squares."""
    y, ell, v = _residuals_by_hand(df, folds)
    theta = np.sum(v * (y - ell)) / np.sum(v * v)
    psi = (y - ell - theta * v) * v
    J = np.sum(v * v)
    if clusters is None:
        return theta, np.sqrt(np.sum(psi**2)) / J
    sums = pd.Series(psi).groupby(clusters).sum().to_numpy()
    g = len(sums)
    return theta, np.sqrt(g / (g - 1) * np.sum(sums**2)) / J


def test_plr_equals_closed_form_cross_fitting_and_doubleml(sipp):
    ours = dml_plr(sipp, outcome="net_tfa", treatment="e401", covariates=X, folds="fold",
                   learner_outcome=LinearRegression(), learner_treatment=LinearRegression(),
                   scale="levels")  # fmt: skip
    theta, se = _plr_by_hand(sipp, sipp["fold"].to_numpy())
    assert _rel(ours.params["e401"], theta) < 1e-8
    assert _rel(ours.std_errors["e401"], se) < 1e-8
    m = _doubleml(sipp, "plr", LinearRegression(), LinearRegression())
    assert _rel(ours.params["e401"], m.coef[0]) < 1e-8
    assert _rel(ours.std_errors["e401"], m.se[0]) < 1e-8


@pytest.mark.parametrize("estimand, score", [("ATE", "ATE"), ("ATT", "ATTE")])
def test_irm_equals_doubleml_on_the_same_folds(sipp, estimand, score):
    kw = {"learner_outcome": LinearRegression(),
          "learner_propensity": LogisticRegression(max_iter=1000)}  # fmt: skip
    ours = dml_irm(sipp, outcome="net_tfa", treatment="e401", covariates=X, folds="fold",
                   estimand=estimand, scale="levels", **kw)  # fmt: skip
    m = _doubleml(sipp, "irm", LinearRegression(), LogisticRegression(max_iter=1000), score=score)
    assert _rel(ours.params[estimand], m.coef[0]) < 1e-8
    assert _rel(ours.std_errors[estimand], m.se[0]) < 1e-8


def test_clustered_se_is_the_cluster_sandwich_of_the_scores(sipp):
    df = sipp.assign(cl=np.arange(len(sipp)) // 50)  # 199 clusters of 50 rows
    kw = {"outcome": "net_tfa", "treatment": "e401", "covariates": X, "cluster": "cl",
          "learner_outcome": LinearRegression(), "learner_treatment": LinearRegression(),
          "scale": "levels", "random_state": 11}  # fmt: skip
    res = dml_plr(df, vcov="CRV1", **kw)
    jack = dml_plr(df, **kw)  # the default with clusters: delete-one-cluster jackknife
    folds = make_folds(len(df), 5, df["cl"].to_numpy(), np.random.default_rng(
        np.random.SeedSequence(11).spawn(1)[0]))  # fmt: skip
    # every cluster sits in one fold
    assert (pd.Series(folds).groupby(df["cl"]).nunique() == 1).all()
    theta, se = _plr_by_hand(df, folds, clusters=df["cl"].to_numpy())
    assert res.vcov_spec.kind == "CRV1" and res.vcov_spec.n_clusters == 199
    assert res.df == 198  # t with G - 1 degrees of freedom
    assert _rel(res.params["e401"], theta) < 1e-8
    assert _rel(res.std_errors["e401"], se) < 1e-8
    # CRV3 by hand: re-solve the final stage without each cluster, nuisances held fixed
    y, ell, v = _residuals_by_hand(df, folds)
    loo = np.array([
        np.sum((v * (y - ell))[df["cl"] != c]) / np.sum((v * v)[df["cl"] != c])
        for c in np.unique(df["cl"])
    ])  # fmt: skip
    g = len(loo)
    se3 = np.sqrt((g - 1) / g * np.sum((loo - loo.mean()) ** 2))
    assert jack.vcov_spec.kind == "CRV3" and jack.df == 198
    assert _rel(jack.std_errors["e401"], se3) < 1e-8


def test_same_seed_same_numbers_whatever_else_is_drawn(twin):
    from sklearn.ensemble import RandomForestRegressor

    from welfare.replicate.context import TWIN_SPEC

    kw = {"outcome": "income_pc", "treatment": "e_household",
          "covariates": list(TWIN_SPEC.premium_controls), "n_rep": 2,
          "learner_outcome": RandomForestRegressor(n_estimators=20, min_samples_leaf=10),
          "learner_treatment": LogisticRegression(max_iter=2000)}  # fmt: skip
    a = dml_plr(twin.survey, random_state=5, **kw)
    np.random.seed(123)
    np.random.uniform(size=1000)
    b = dml_plr(twin.survey, random_state=5, n_jobs=2, **kw)
    c = dml_plr(twin.survey, random_state=6, **kw)
    assert a.params.iloc[0] == b.params.iloc[0] and a.std_errors.iloc[0] == b.std_errors.iloc[0]
    assert a.params.iloc[0] != c.params.iloc[0]
    # the median aggregation rule, by hand from the stored repetitions
    th, se = np.array(a.extra["theta_by_rep"]), np.array(a.extra["se_by_rep"])
    med = np.median(th)
    assert a.params.iloc[0] == pytest.approx(med, rel=1e-14)
    assert a.std_errors.iloc[0] == pytest.approx(np.sqrt(np.median(se**2 + (th - med) ** 2)))
    assert "median" in a.extra["aggregation"] and a.extra["random_state"] == 5


def test_one_group_gate_is_the_ate_and_blp_intercept_only_too(twin):
    from welfare.replicate.context import TWIN_SPEC

    df = twin.survey.data.assign(all_units=1)
    from welfare.data.readers import SurveyData

    sd = SurveyData(data=df, design=twin.survey.design, codebook=twin.survey.codebook,
                    label=twin.survey.label, synthetic=True, sha256=twin.survey.sha256,
                    report=twin.survey.report)  # fmt: skip
    r = dml_irm(sd, outcome="income_pc", treatment="e_household",
                covariates=list(TWIN_SPEC.premium_controls), learner_outcome=LinearRegression(),
                learner_propensity=LogisticRegression(max_iter=2000))  # fmt: skip
    g = gate(r, "all_units")
    assert g.params.iloc[0] == pytest.approx(r.params["ATE"], rel=1e-12)
    assert g.std_errors.iloc[0] == pytest.approx(r.std_errors["ATE"], rel=1e-10)
    two = gate(r, "head_female")
    assert two.extra["wald_df"] == 1
    diff = two.contrasts().tidy().iloc[0]
    t = two.tidy()
    assert diff.estimate == pytest.approx(t.estimate.iloc[1] - t.estimate.iloc[0])
    b = blp(r, ["head_age"])
    phi_mean = g.params.iloc[0]
    assert b.params["Intercept"] + b.params["head_age"] * np.average(
        r._ctx["prep"].frame["head_age"], weights=r._ctx["prep"].w
    ) == pytest.approx(phi_mean, rel=1e-10)  # OLS passes through the weighted means


def test_folds_keep_clusters_and_refuse_too_few():
    cl = np.repeat(np.arange(7), 10)
    f = make_folds(70, 5, cl, 1)
    assert (pd.Series(f).groupby(cl).nunique() == 1).all() and len(np.unique(f)) == 5
    with pytest.raises(DesignError, match="at least n_folds = 5 clusters"):
        make_folds(40, 5, np.repeat(np.arange(4), 10), 1)


def test_bad_inputs_give_named_errors(sipp):
    from sklearn.neighbors import KNeighborsRegressor

    kw = {"outcome": "net_tfa", "treatment": "e401", "covariates": X, "scale": "levels"}
    with pytest.raises(UnknownOptionError, match="predict_proba"):
        dml_irm(sipp, learner_outcome=LinearRegression(), learner_propensity=LinearRegression(),
                **kw)  # fmt: skip
    with pytest.raises(TreatmentError):
        dml_plr(sipp.assign(e401=1), learner_outcome=LinearRegression(),
                learner_treatment=LinearRegression(), **kw)  # fmt: skip
    with pytest.raises(DesignError, match="clusters"):
        dml_plr(
            sipp.assign(cl=np.arange(len(sipp)) % 3),
            cluster="cl",
            learner_outcome=LinearRegression(),
            learner_treatment=LinearRegression(),
            **kw,
        )
    with pytest.raises(DesignError, match="split across folds"):
        dml_plr(
            sipp.assign(cl=np.arange(len(sipp)) % 40),
            cluster="cl",
            folds="fold",
            learner_outcome=LinearRegression(),
            learner_treatment=LinearRegression(),
            **kw,
        )
    with pytest.raises(UnknownOptionError, match="sample_weight"):
        dml_plr(
            sipp.assign(w=1.5),
            design=SurveyDesign(weights="w"),
            learner_outcome=KNeighborsRegressor(),
            learner_treatment=LinearRegression(),
            **kw,
        )
    with pytest.raises(UnknownOptionError, match="random_state"):
        dml_plr(sipp, learner_outcome=LinearRegression(), learner_treatment=LinearRegression(),
                random_state=None, **kw)  # fmt: skip


def test_equal_survey_weights_change_nothing(sipp):
    kw = {"outcome": "net_tfa", "treatment": "e401", "covariates": X, "scale": "levels",
          "folds": "fold", "learner_outcome": LinearRegression(),
          "learner_propensity": LogisticRegression(max_iter=1000)}  # fmt: skip
    a = dml_irm(sipp.assign(w=3.0), design=SurveyDesign(weights="w"), vcov="HC0", **kw)
    b = dml_irm(sipp, **kw)
    assert a.params["ATE"] == pytest.approx(b.params["ATE"], rel=1e-8)
    assert a.std_errors["ATE"] == pytest.approx(b.std_errors["ATE"], rel=1e-8)


# ---------------------------------------------------------------- K10 (slow)
def _k10_draw(rng, G=50, m=20):
    v = np.repeat(np.arange(G), m)
    xv = rng.normal(size=G)
    d = np.repeat((rng.uniform(size=G) < 1 / (1 + np.exp(-xv))).astype(float), m)
    x = xv[v] + rng.normal(size=G * m)
    u = np.sqrt(0.3) * rng.normal(size=G)[v]
    y = 1.0 * d + x + 0.5 * xv[v] + u + np.sqrt(0.7) * rng.normal(size=G * m)
    return pd.DataFrame({"y": y, "d": d, "x": x, "xv": xv[v], "v": v})


@pytest.mark.slow
def test_k10_cluster_folds_and_cluster_variance_cover():
    rng = np.random.default_rng(10)
    hits, naive = [], []
    for r in range(1000):
        df = _k10_draw(rng)
        kw = {"outcome": "y", "treatment": "d", "covariates": ["x", "xv"], "scale": "levels",
              "learner_outcome": LinearRegression(), "learner_treatment": LinearRegression(),
              "random_state": r}  # fmt: skip
        t = dml_plr(df, cluster="v", **kw).tidy().iloc[0]  # CRV3, t(G - 1)
        hits.append(t.conf_low <= 1.0 <= t.conf_high)
        t = dml_plr(df, **kw).tidy().iloc[0]  # rows as folds, iid variance: the fault
        naive.append(t.conf_low <= 1.0 <= t.conf_high)
    cover, cover_naive = float(np.mean(hits)), float(np.mean(naive))
    print(f"K10 coverage of 95% CIs: clustered {cover:.3f}, unclustered {cover_naive:.3f}")
    assert 0.93 <= cover <= 0.97
    assert cover_naive < 0.85


# ---------------------------------------------------------------- adversarial review (issue 4)
def test_classifier_outcome_learner_uses_probabilities_as_doubleml(sipp):
    from sklearn.ensemble import RandomForestClassifier

    df = sipp.assign(pos=(sipp["net_tfa"] > 0).astype(float), inc=sipp["inc"] / 1e4)
    df = df.astype({c: "float64" for c in X})
    lrn = RandomForestClassifier(n_estimators=30, min_samples_leaf=20, random_state=0)
    ours = dml_irm(df, outcome="pos", treatment="e401", covariates=X, folds="fold",
                   scale="levels", learner_outcome=lrn,
                   learner_propensity=LogisticRegression(max_iter=2000))  # fmt: skip
    m = _doubleml(df, "irm", lrn, LogisticRegression(max_iter=2000), y="pos")
    # the forests are seeded differently (ours from random_state), so compare loosely in SEs
    assert abs(ours.params["ATE"] - m.coef[0]) < 3 * m.se[0]
    with pytest.raises(UnknownOptionError, match="0/1 outcome"):
        dml_irm(df, outcome="net_tfa", treatment="e401", covariates=X, scale="levels",
                learner_outcome=lrn, learner_propensity=LogisticRegression())  # fmt: skip


def test_trimming_scores_at_zero_or_one_is_finite_and_counted():
    rng = np.random.default_rng(4)
    n = 600
    x = rng.normal(size=n)
    sep = (x > 1.2).astype(float)  # these units are all treated: propensity 1
    d = np.where(sep == 1, 1.0, (rng.uniform(size=n) < 0.5).astype(float))
    df = pd.DataFrame({"x": x, "sep": sep, "d": d, "y": x + d + rng.normal(size=n)})
    from sklearn.tree import DecisionTreeClassifier

    r = dml_irm(df, outcome="y", treatment="d", covariates=["x", "sep"], scale="levels",
                learner_outcome=LinearRegression(), overlap="trim",
                learner_propensity=DecisionTreeClassifier(min_samples_leaf=5))  # fmt: skip
    ov = r.extra["overlap"]
    assert ov["n_above"] > 0 and np.isfinite(r.std_errors["ATE"])
    assert r.n_obs == n - ov["n_below"] - ov["n_above"]


def test_gate_and_blp_guard_their_inputs(twin):
    from welfare.data.readers import SurveyData
    from welfare.errors import VarianceError
    from welfare.replicate.context import TWIN_SPEC

    sv = twin.survey
    sd = SurveyData(data=sv.data.assign(village_name=sv.data["village_id"].astype(str)),
                    design=sv.design, codebook=sv.codebook, label=sv.label, synthetic=True,
                    sha256=sv.sha256, report=sv.report)  # fmt: skip
    r = dml_irm(sd, outcome="income_pc", treatment="e_household",
                covariates=list(TWIN_SPEC.premium_controls), learner_outcome=LinearRegression(),
                learner_propensity=LogisticRegression(max_iter=2000))  # fmt: skip
    with pytest.raises(VarianceError, match="single cluster"):
        gate(r, "village_name")  # every village is one cluster
    with pytest.raises(UnknownOptionError, match="increasing"):
        gate(r, "head_age", bins=[50, 35, 16])
    with pytest.raises(UnknownOptionError, match="outcome"):
        blp(r, ["income_pc"])
    b = blp(r, ["head_age"])
    assert b.sample.describe() == r.sample.describe()  # rows left out are the DML fit's
    g = gate(r, "hh_size", bins=[1, 3, 5, 20])
    assert list(g.terms) == ["hh_size=[1, 3)", "hh_size=[3, 5)", "hh_size=[5, 20)"]


def test_causal_forest_keeps_row_labels_and_covariates_without_intercept():
    from welfare.premium import causal_forest

    rng = np.random.default_rng(2)
    n = 400
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)},
                      index=np.arange(1000, 1000 + n))  # fmt: skip
    df["d"] = (rng.uniform(size=n) < 0.5).astype(float)
    df["y"] = df["x1"] + df["d"] * (1 + df["x1"]) + rng.normal(size=n)
    df.loc[1003, "x2"] = np.nan
    kw = {"outcome": "y", "treatment": "d", "scale": "levels", "n_estimators": 100,
          "learner_outcome": LinearRegression(), "learner_propensity": LogisticRegression()}  # fmt: skip
    a = causal_forest(df, covariates=["x1", "x2"], **kw)
    b = causal_forest(df, covariates="0 + x1 + x2", **kw)
    assert a.params["ATE"] == pytest.approx(b.params["ATE"], rel=1e-9)
    cate = a.cate()
    assert 1003 not in cate.index and cate.index[0] == 1000 and len(cate) == n - 1
    with pytest.raises(UnknownOptionError, match="random_state"):
        causal_forest(df, covariates=["x1"], random_state=None, **kw)


def test_make_folds_checks_its_input():
    with pytest.raises(UnknownOptionError, match="n_folds"):
        make_folds(100, 1)
    with pytest.raises(DesignError, match="missing"):
        make_folds(4, 2, [1, 2, None, 2])
    with pytest.raises(DesignError, match="expected 5 ids"):
        make_folds(5, 2, [1, 2, 3])


def test_causal_forest_ate_is_econml_unweighted_and_weighted_mean_of_its_scores():
    """Unweighted: econml's ate_ and ate_stderr_ (HC0) exactly. With pweights: the weighted
    mean of the same doubly robust scores (econml's ate_ ignores the weights; a Monte Carlo on
    the twin measured it 0.10 log points off the population ATE)."""
    from econml.dml import CausalForestDML

    from welfare.data.design import SurveyDesign
    from welfare.premium import causal_forest
    from welfare.premium.dml import make_folds

    rng = np.random.default_rng(5)
    n = 600
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["d"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-df["x1"]))).astype(float)
    df["y"] = df["x1"] + df["d"] * (1 + df["x2"]) + rng.normal(size=n)
    # weights that favour units with a large effect: the weighted ATE differs from the mean
    df["w"] = np.where(df["x2"] > 0, 3.0, 1.0)
    kw = {"outcome": "y", "treatment": "d", "scale": "levels", "n_estimators": 100,
          "covariates": ["x1", "x2"], "random_state": 3, "n_folds": 3,
          "learner_outcome": LinearRegression(), "learner_propensity": LogisticRegression()}  # fmt: skip
    a = causal_forest(df, **kw)
    assert a.vcov_spec.kind == "HC0"
    assert a.params["ATE"] == pytest.approx(a.extra["econml_ate"], rel=1e-12)
    assert a.std_errors["ATE"] == pytest.approx(a.extra["econml_ate_stderr"], rel=1e-10)
    # weighted: rebuild the scores from an econml fit with the same folds, weights and seeds
    b = causal_forest(df, design=SurveyDesign(weights="w"), **kw)
    X = df[["x1", "x2"]].to_numpy()
    folds = make_folds(n, 3, None, 3)
    est = CausalForestDML(
        model_y=LinearRegression(), model_t=LogisticRegression(random_state=3),
        discrete_treatment=True, cv=[(np.flatnonzero(folds != k), np.flatnonzero(folds == k))
                                     for k in range(3)],
        n_estimators=100, min_samples_leaf=5, random_state=3, n_jobs=1)  # fmt: skip
    wn = df["w"].to_numpy() / df["w"].mean()  # pweights reach the learners scaled to mean 1
    est.fit(df["y"].to_numpy(), df["d"].to_numpy().astype(int), X=X,
            sample_weight=wn, cache_values=True)  # fmt: skip
    yr, tr, _, _ = est.residuals_
    tau = np.ravel(est.model_final_.oob_predict(X))
    t = np.ravel(tr)
    p = df["d"].to_numpy() - t
    psi = tau + (np.ravel(yr) - tau * t) * t / np.clip(p * (1 - p), 1e-2, None)
    w = df["w"].to_numpy()
    ate = np.sum(w * psi) / np.sum(w)
    assert b.params["ATE"] == pytest.approx(ate, rel=1e-10)
    assert b.extra["econml_ate"] == pytest.approx(np.mean(psi), rel=1e-10)
    assert abs(b.params["ATE"] - b.extra["econml_ate"]) > 0.1  # the weights matter here
    # HC0 of a weighted mean: sum w^2 (psi - ate)^2 / (sum w)^2
    se = np.sqrt(np.sum(w**2 * (psi - ate) ** 2)) / np.sum(w)
    assert b.std_errors["ATE"] == pytest.approx(se, rel=1e-10)
