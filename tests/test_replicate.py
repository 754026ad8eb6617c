"""End to end: python -m welfare.replicate on the twin and on the NSW data via its codebook."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, assert_printed, reference_case, shared_file
from welfare.errors import ReplicationError
from welfare.replicate import run


@pytest.fixture(scope="module")
def twin_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep")
    res = run(out=out, progress=False)
    return out, res


def test_report_manifest_tables_figures(twin_run):
    out, res = twin_run
    assert set(res) == {"F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8"}
    report = (out / "REPORT.md").read_text()
    assert "SYNTHETIC DATA" in report and "not evidence about China" in report
    assert "80 percent higher" in report and "[synthetic twin]" in report
    assert "not implemented in this version" not in report
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 20190601 and m["data"]["synthetic"] is True
    assert len(m["data"]["sha256"]) == 64 and m["data"]["analysis_sample"] == 1073
    assert {"numpy", "pandas", "pyfixest", "statsmodels", "python"} <= set(m["versions"])
    for stem in (
        "F1_participation_ame",
        "F2_ols_premium",
        "F2_raw_gap",
        "F2_treatment_effects",
        "F2_balance_IPW",
        "F2_balance_PS_matching",
    ):
        for ext in ("md", "tex", "csv"):
            assert (out / "tables" / f"{stem}.{ext}").exists()
    for fig in ("F1_participation_ame", "F2_love_IPW", "F2_love_PS_matching", "F2_overlap"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000
    effects = (out / "tables" / "F2_treatment_effects.md").read_text()
    assert effects.startswith("**SYNTHETIC DATA") and "truth (data-generating process)" in effects
    for method in ("RA", "IPW", "AIPW", "IPWRA", "PS matching", "NN matching within village"):
        assert f"| {method}" in effects
    truth = pd.read_csv(out / "tables" / "F2_truth.csv")
    assert (truth["z_vs_truth"].abs() < 3).all()  # every estimator within 3 SE of the truth
    assert truth["label"].str.contains("DML IRM, boosting").any()
    dml = (out / "tables" / "F2_double_ml.md").read_text()
    assert "| DML PLR, linear" in dml and "| DML IRM, boosting" in dml and "truth" in dml
    gate = pd.read_csv(out / "tables" / "F2_gate.csv")
    assert {"head_female=0.0", "head_age=[0, 35)"} <= set(gate["group"])
    assert (gate["n"] > 0).all() and "truth" in gate
    assert (out / "figures" / "F2_gate.png").exists() and (out / "tables" / "F2_blp.md").exists()
    csv = pd.read_csv(out / "tables" / "F2_ols_premium.csv")
    assert csv["synthetic"].all()


def test_inequality_findings_on_the_twin(twin_run):
    """F3, F4, F8: tables, figures, report lines, and estimates against the twin's truth."""
    out, res = twin_run
    report = (out / "REPORT.md").read_text()
    for fid, stems, figs in (
        ("F3", ["F3_inequality_by_participation", "F3_between_within", "F3_gini_by_source",
                "F3_oaxaca", "F3_quantile_effects"],
         ["F3_lorenz", "F3_sources", "F3_oaxaca", "F3_quantile_effects"]),
        ("F4", ["F4_eshop_wages", "F4_eshop_wages_share"], []),
        ("F8", ["F8_concentration"], ["F8_lorenz_counties"]),
    ):  # fmt: skip
        assert f"## {fid}" in report and res[fid].here
        for stem in stems:
            text = (out / "tables" / f"{stem}.md").read_text()
            assert text.startswith("**SYNTHETIC DATA")
        for fig in figs:
            assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000
    assert "45,761" in report and "0.90" in report
    for fid in ("F3", "F4"):  # sampling estimates within 3 SE of the finite population
        truth = pd.read_csv(out / "tables" / f"{fid}_truth.csv")
        assert (truth["z_vs_truth"].abs() < 3).all(), truth
    # the counties are a census: the estimates are the realised values exactly
    f8 = pd.read_csv(out / "tables" / "F8_truth.csv")
    assert (f8["estimate"] - f8["truth"]).abs().max() < 1e-12
    src = pd.read_csv(out / "tables" / "F3_gini_by_source.csv")
    ly = src[
        src["term"].str.startswith("contribution_share[") & (src["column"] == "share of Gini (LY)")
    ]
    assert ly["estimate"].sum() == pytest.approx(1.0, abs=1e-12)
    oax = res["F3"].results["oaxaca"].params
    assert oax["explained"] + oax["unexplained"] == pytest.approx(oax["difference"], abs=1e-12)
    assert oax["difference"] > 0  # participants minus others, as the table says


def test_consumption_county_inclusion_findings_on_the_twin(twin_run):
    """F5, F6, F7: labelled tables and figures, report lines, estimates within 3 SE of truth."""
    out, res = twin_run
    report = (out / "REPORT.md").read_text()
    for fid, stems, figs in (
        ("F5", ["F5_consumption_growth", "F5_slopes_by_group", "F5_equal_slopes",
                "F5_split_samples", "F5_wild_bootstrap", "F5_categories"],
         ["F5_slopes_by_group"]),
        ("F6", ["F6_county_determinants", "F6_county_determinants_standardised",
                "F6_initial_gdp"], ["F6_county_coefficients"]),
        ("F7", ["F7_owners", "F7_status", "F7_status_oprobit", "F7_status_ame"],
         ["F7_inclusion_shares"]),
    ):  # fmt: skip
        assert f"## {fid}" in report and res[fid].here and not res[fid].skipped
        for stem in stems:
            text = (out / "tables" / f"{stem}.md").read_text()
            assert text.startswith("**SYNTHETIC DATA") and "_SYNTHETIC DATA: SYNTHETIC" in text
            assert (out / "tables" / f"{stem}.csv").exists()
        for fig in figs:
            assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000
        truth = pd.read_csv(out / "tables" / f"{fid}_truth.csv")
        assert len(truth) >= 8 and (truth["z_vs_truth"].abs() < 3).all(), truth
    # F5: the twin's slopes are larger for rural, inland and poor households
    co = res["F5"].results["main"].params
    assert all(co[f"edi_lag:{g}"] > 0 for g in ("rural", "inland", "poor"))
    assert "significant at 5% for rural, inland, poor" in report
    # F5 categories: Romano-Wolf p-values never below the single bootstrap p-values
    cat = pd.read_csv(out / "tables" / "F5_categories.csv")
    assert (cat["p (Romano-Wolf)"] >= cat["p (wild bootstrap)"] - 1e-12).all()
    assert cat["synthetic"].all() and cat["row"].str.contains("durables: index x rural").any()
    # F6: every sign the report claims is found; lagged regressions lose the 2013 rows, counted
    assert "13 of 13 signs claimed by the report" in report
    lag = res["F6"].results["F6 OBI (t-1 regressors)"]
    assert lag.n_obs == 6000 and lag.sample.n_dropped == 2000
    # F7: domain estimates (owners are e-households only) beside the published figures
    assert res["F7"].results["women"].n_obs == 1400
    assert "about 0.5" in (out / "tables" / "F7_owners.md").read_text()


def test_same_seed_gives_identical_tables(twin_run, tmp_path):
    out, _ = twin_run
    run(out=tmp_path, progress=False, only=["F2"])
    for name in ("F2_ols_premium.csv", "F2_raw_gap.csv", "F2_treatment_effects.csv"):
        assert (tmp_path / "tables" / name).read_text() == (out / "tables" / name).read_text()


def test_unknown_and_unimplemented_findings_raise(tmp_path, monkeypatch):
    from welfare.replicate import runner

    with pytest.raises(ReplicationError, match="unknown"):
        run(out=tmp_path, only=["F9"], progress=False)
    monkeypatch.setitem(runner.FINDINGS, "F5", None)  # every finding is implemented now
    with pytest.raises(ReplicationError, match="not implemented"):
        run(out=tmp_path, only=["F5"], progress=False)
    with pytest.raises(ReplicationError, match="codebook"):
        run(out=tmp_path, data=ROOT / "README.md", progress=False)


def test_cli_on_nsw_codebook(tmp_path):
    case = reference_case("nsw_dw_experimental")
    data = shared_file("data", case["data"])
    cb = ROOT / "replication" / "codebooks" / "nsw_dw.toml"
    out = tmp_path / "nsw"
    p = _cli("--data", data, "--codebook", cb, "--out", out, "--only", "F1,F2")
    assert p.returncode == 0, p.stderr
    report = (out / "REPORT.md").read_text()
    assert "SYNTHETIC" not in report
    assert "the data have no village identifier" in report
    assert "analysed in levels" in report
    gap = pd.read_csv(out / "tables" / "F2_raw_gap.csv").set_index("term")
    assert_printed(gap.loc["difference", "estimate"], case["value"], "NSW gap via CLI")
    assert_printed(gap.loc["difference", "std_error"], case["se"], "NSW SE via CLI")
    effects = (out / "tables" / "F2_treatment_effects.md").read_text()
    assert "SYNTHETIC" not in effects and "truth" not in effects
    assert "| PS matching (1-NN)" in effects and "within village" not in effects


def test_inequality_findings_on_nsw(tmp_path):
    """Real data without worker module or county table: F3 runs (zero earnings kept where the
    index allows them, counted), F4 and F8 say why they are skipped."""
    data = shared_file("data", "daag_nsw74demo.csv")
    cb = ROOT / "replication" / "codebooks" / "nsw_dw.toml"
    res = run(data=data, codebook=cb, out=tmp_path / "o", only=["F3", "F4", "F8"], progress=False)
    assert "zero or negative values" in res["F3"].here[0]
    t = pd.read_csv(tmp_path / "o" / "tables" / "F3_inequality_by_participation.csv")
    gini_all = t[(t["row"] == "Gini") & (t["column"] == "all")]["estimate"].iloc[0]
    y = pd.read_csv(data)["re78"].to_numpy()
    n = len(y)
    ys = np.sort(y)
    assert gini_all == pytest.approx(
        np.sum((2 * np.arange(1, n + 1) - n - 1) * ys) / (n * ys.sum())
    )
    assert "no worker module" in res["F4"].skipped[0]
    res2 = run(data=data, codebook=cb, out=tmp_path / "o2", only=["F5", "F6", "F7"],
               progress=False)  # fmt: skip
    assert "no household panel" in res2["F5"].skipped[0]
    assert "no county panel" in res2["F6"].skipped[0]
    assert "no inclusion module" in res2["F7"].skipped[0]
    assert not any((tmp_path / "o2" / "tables").iterdir())
    assert "no county table" in res["F8"].skipped[0]
    assert not (tmp_path / "o" / "tables" / "F3_gini_by_source.md").exists()
    oax = res["F3"].results["oaxaca"]  # earnings in levels (zeros present): no log
    assert "re78" in oax.estimand or "income_pc" in oax.estimand
    d = pd.read_csv(data)
    raw = d.loc[d["trt"] == 1, "re78"].mean() - d.loc[d["trt"] == 0, "re78"].mean()
    assert oax.params["difference"] == pytest.approx(raw, rel=1e-10)


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "welfare.replicate", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_cli_errors_are_one_line_messages(tmp_path):
    data = shared_file("data", "daag_nsw74demo.csv")
    bad = tmp_path / "bad.toml"
    text = (ROOT / "replication" / "codebooks" / "nsw_dw.toml").read_text()
    bad.write_text(text.replace('source = "re78"', 'source = "re_78"'))
    p = _cli("--data", data, "--codebook", bad, "--out", tmp_path / "o1")
    assert p.returncode == 2 and "Traceback" not in p.stderr and "re_78" in p.stderr
    bad.write_text(text.replace('"earnings_1975"]', '"earnings_1976"]'))
    p = _cli("--data", data, "--codebook", bad, "--out", tmp_path / "o2")
    assert p.returncode == 2 and "earnings_1976" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "o2" / "tables").exists() or not any(
        (tmp_path / "o2" / "tables").iterdir()
    )


def test_shipped_codebook_by_name_from_any_folder(tmp_path):
    data = shared_file("data", "daag_nsw74demo.csv")
    p = _cli(
        "--data",
        data,
        "--codebook",
        "nsw_dw",
        "--out",
        "out",
        "--only",
        "F2",
        "--quiet",
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stderr
    assert "context only" in (tmp_path / "out" / "REPORT.md").read_text()


def test_output_folder_is_protected_and_stale_files_removed(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("x")
    with pytest.raises(ReplicationError, match="not a welfare output"):
        run(out=foreign, progress=False, only=["F1"])
    assert (foreign / "thesis.tex").exists()
    out = tmp_path / "out"
    run(out=out, progress=False, only=["F2"])
    assert (out / "tables" / "F2_raw_gap.csv").exists()
    run(out=out, progress=False, only=["F1"])
    assert not (out / "tables" / "F2_raw_gap.csv").exists()
    assert (out / "tables" / "F1_participation_ame.csv").exists()


def test_a_run_that_fails_on_its_input_leaves_the_earlier_output_alone(tmp_path):
    out = tmp_path / "out"
    run(out=out, progress=False, only=["F1"])
    before = sorted(p.name for p in (out / "tables").iterdir())
    with pytest.raises(ReplicationError, match="codebook"):
        run(out=out, data=ROOT / "README.md", progress=False)
    p = _cli("--data", tmp_path / "missing.dta", "--codebook", "nsw_dw", "--out", out)
    assert p.returncode == 2
    assert (out / "REPORT.md").exists() and (out / "manifest.json").exists()
    assert sorted(p.name for p in (out / "tables").iterdir()) == before
    run(out=out, progress=False, only=["F1"])  # and the folder is still usable


def test_cli_on_the_sipp_codebook_runs_double_ml(tmp_path):
    case = reference_case("sipp1991_facts")
    out = tmp_path / "sipp"
    p = _cli("--data", shared_file("data", case["data"]), "--codebook", "sipp401k", "--out", out,
             "--only", "F2")  # fmt: skip
    assert p.returncode == 0, p.stderr
    report = (out / "REPORT.md").read_text()
    assert "SYNTHETIC" not in report and "DML IRM, boosting" in report
    gap = pd.read_csv(out / "tables" / "F2_raw_gap.csv").set_index("term")
    assert_printed(gap.loc["difference", "estimate"], case["raw_gap_e401"], "SIPP e401 gap")
    dml = (out / "tables" / "F2_double_ml.md").read_text()
    assert "truth" not in dml and "| DML PLR, linear" in dml
    assert (out / "tables" / "F2_gate.csv").exists() and (out / "figures" / "F2_gate.png").exists()
