"""frame_table and share_plot: formatting, synthetic labels carried into the CSV, bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from welfare.datasets import taobao_village_survey
from welfare.errors import UnknownOptionError
from welfare.inclusion import proportions
from welfare.report import frame_table, share_plot


def test_frame_table_formats_and_labels():
    df = pd.DataFrame(
        {"test": ["a", "b"], "statistic": [1.23456, 2.0], "df": [3, None], "p": [0.00001, 0.5]}
    )
    t = frame_table(df, title="T", synthetic=True, data_label="SYNTHETIC x", index="test",
                    digits={"p": 4})  # fmt: skip
    assert t.title == "SYNTHETIC DATA - T" and t.notes[0].startswith("SYNTHETIC DATA: SYNTHETIC x")
    assert t.body.loc["a"].tolist() == ["1.235", "3", "1e-05"]  # whole numbers without decimals
    assert t.body.loc["b"].tolist() == ["2.000", "", "0.5000"]  # missing shown blank
    csv = pd.read_csv(pd.io.common.StringIO(t.to_csv()))
    assert list(csv["test"]) == ["a", "b"] and csv["synthetic"].all()
    assert csv["p"].iloc[0] == 0.00001  # full precision in the CSV
    # row labels from the index are kept in the CSV
    t2 = frame_table(df.set_index("test"), title="T", synthetic=False, data_label="real")
    csv2 = pd.read_csv(pd.io.common.StringIO(t2.to_csv()))
    assert list(csv2["row"]) == ["a", "b"] and not csv2["synthetic"].any()
    assert t2.title == "T" and t2.notes[0] == "Data: real."
    assert df.columns.tolist() == ["test", "statistic", "df", "p"]  # input not modified
    with pytest.raises(UnknownOptionError, match="expected columns"):
        frame_table(df, title="T", synthetic=False, index="tset")


def test_share_plot_draws_logit_intervals_and_refuses_bad_input(tmp_path):
    inc = taobao_village_survey().inclusion_survey
    women = proportions(inc, ["owner_female"], domain="e_household")
    path = share_plot(
        {"women": (women, "owner_female=1")},
        tmp_path / "s.png",
        title="shares",
        benchmarks={"women": 0.5},
    )
    assert path.stat().st_size > 5_000
    assert share_plot(women, tmp_path / "t.png", title="shares").exists()  # a Results works too
    with pytest.raises(UnknownOptionError, match="term 'nope'"):
        share_plot({"women": (women, "nope")}, tmp_path / "u.png", title="x")
    with pytest.raises(UnknownOptionError, match="benchmarks"):
        share_plot({"women": (women, "owner_female=1")}, tmp_path / "v.png", title="x",
                   benchmarks={"men": 0.5})  # fmt: skip
    with pytest.raises(UnknownOptionError, match="non-empty mapping"):
        share_plot({}, tmp_path / "w.png", title="x")


def test_table_to_html_escapes_title_and_notes():
    from welfare.report.tables import Table

    t = Table(title="a < b & c", body=pd.DataFrame({"x": ["1"]}), notes=("* p<0.1, ** p<0.05",))
    html = t.to_html()
    assert "<h4>a &lt; b &amp; c</h4>" in html and "p&lt;0.1" in html and "p<0.1" not in html
