"""Readers, codebooks, validation and survey design: named errors, nothing changed in place."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from welfare.data import (
    SurveyDesign,
    build_sample,
    codebook_from_dict,
    load_codebook,
    read_survey,
    validate_survey,
)
from welfare.errors import (
    CodebookError,
    ColumnTypeError,
    DesignError,
    DuplicateIdError,
    EmptySampleError,
    ImpossibleValueError,
    InvalidWeightError,
    MissingColumnError,
    TreatmentError,
    UnknownOptionError,
)


@pytest.fixture
def labelled_dta(tmp_path):
    """A Stata file with value labels and negative missing codes (CFPS style)."""
    df = pd.DataFrame(
        {
            "hhid": [101, 102, 103, 104, 105, 106],
            "vid": [1, 1, 2, 2, 3, 3],
            "wt": [10.0, 12.0, 8.0, 9.5, 11.0, 7.0],
            "eshop": [1, 2, 1, 2, 2, -8],
            "edu": [1, 4, 2, -9, 3, 5],
            "inc": [12000.0, -1.0, 8000.0, 15000.0, -2.0, 9000.0],
            "age": [35, 48, 29, 61, 52, 44],
        }
    )
    path = tmp_path / "survey.dta"
    pyreadstat.write_dta(
        df,
        str(path),
        variable_value_labels={
            "eshop": {1: "yes", 2: "no", -8: "don't know"},
            "edu": {
                1: "primary or less",
                2: "lower secondary",
                3: "upper secondary",
                4: "vocational",
                5: "tertiary",
                -9: "refused",
            },
        },
    )
    return path, df


CODEBOOK = """
[codebook]
name = "test survey"
missing_codes = [-8, -9]

[columns]
hh_id = { source = "hhid" }
village_id = { source = "vid" }
weight = { source = "wt" }
e_household = { source = "eshop", values = { 1 = 1, 2 = 0 } }
head_edu = { source = "edu" }
income_pc = { source = "inc", missing_codes = [-1, -2], units = "RMB per person per year" }
head_age = { source = "age" }

[design]
weights = "weight"
psu = "village_id"

[analysis]
outcome_scale = "log"
"""


def test_dta_value_labels_and_negative_missing_codes(labelled_dta, tmp_path):
    path, raw = labelled_dta
    cb = tmp_path / "cb.toml"
    cb.write_text(CODEBOOK)
    before = path.read_bytes()
    sd = read_survey(path, cb)
    d = sd.data
    assert isinstance(d["head_edu"].dtype, pd.CategoricalDtype)
    assert d["head_edu"].tolist()[:3] == ["primary or less", "vocational", "lower secondary"]
    assert pd.isna(d.loc[3, "head_edu"])  # -9 "refused" is a missing code, not a level
    assert "refused" not in list(d["head_edu"].cat.categories)
    assert d["e_household"].tolist()[:5] == [1, 0, 1, 0, 0] and pd.isna(d.loc[5, "e_household"])
    assert d["income_pc"].isna().sum() == 2
    assert sd.report.missing_codes == {"e_household": 1, "head_edu": 1, "income_pc": 2}
    assert sd.design == SurveyDesign(weights="weight", psu="village_id")
    assert path.read_bytes() == before
    assert len(sd.sha256) == 64


def test_yaml_codebook_equals_toml(tmp_path):
    import tomllib

    import yaml

    raw = tomllib.loads(CODEBOOK)
    y = tmp_path / "cb.yaml"
    y.write_text(yaml.safe_dump(raw))
    t = tmp_path / "cb.toml"
    t.write_text(CODEBOOK)
    a, b = load_codebook(y), load_codebook(t)

    def by_name(cb):
        return sorted(cb.columns, key=lambda c: c.name)

    assert by_name(a) == by_name(b) and a.design == b.design


def test_codebook_errors_are_named():
    with pytest.raises(CodebookError, match="not a schema field"):
        codebook_from_dict({"columns": {"incme": {"source": "x"}}})
    with pytest.raises(CodebookError, match="unknown key"):
        codebook_from_dict({"columns": {"income_pc": {"source": "x", "unit": "RMB"}}})
    with pytest.raises(CodebookError, match="unknown section"):
        codebook_from_dict({"colums": {}})
    with pytest.raises(CodebookError, match="not declared"):
        codebook_from_dict({"columns": {"income_pc": "x"}, "design": {"weights": "weight"}})


def test_unmapped_code_raises(labelled_dta, tmp_path):
    path, _ = labelled_dta
    cb = tmp_path / "cb.toml"
    cb.write_text(CODEBOOK.replace("values = { 1 = 1, 2 = 0 }", "values = { 1 = 1 }"))
    with pytest.raises(CodebookError, match=r"values \[2\]"):
        read_survey(path, cb)


def test_missing_source_column(labelled_dta, tmp_path):
    path, _ = labelled_dta
    cb = tmp_path / "cb.toml"
    cb.write_text(CODEBOOK.replace('source = "age"', 'source = "agee"'))
    with pytest.raises(MissingColumnError, match="agee"):
        read_survey(path, cb)


def _frame():
    return pd.DataFrame(
        {
            "hh_id": [1, 2, 3, 4],
            "e_household": [1.0, 0.0, 1.0, 0.0],
            "head_age": [30.0, 40.0, 50.0, 60.0],
            "income_pc": [10.0, 20.0, 30.0, 40.0],
            "weight": [1.0, 2.0, 3.0, 4.0],
            "head_edu": ["primary or less", "vocational", "tertiary", "lower secondary"],
        }
    )


def test_validation_errors_name_expected_and_found():
    df = _frame()
    validate_survey(df)
    with pytest.raises(DuplicateIdError, match="hh_id"):
        validate_survey(df.assign(hh_id=[1, 1, 2, 3]))
    with pytest.raises(TreatmentError, match="0/1"):
        validate_survey(df.assign(e_household=[1, 2, 0, 1]))
    with pytest.raises(ImpossibleValueError, match="head_age"):
        validate_survey(df.assign(head_age=[30, 250, 40, 50]))
    with pytest.raises(ColumnTypeError, match="numbers"):
        validate_survey(df.assign(income_pc=["a", "b", "c", "d"]))
    with pytest.raises(ImpossibleValueError, match="levels"):
        validate_survey(df.assign(head_edu=["primary", "x", "y", "z"]))


def test_design_errors():
    df = _frame()
    with pytest.raises(InvalidWeightError, match="> 0"):
        SurveyDesign(weights="weight").check(df.assign(weight=[1.0, 0.0, -2.0, 1.0]))
    with pytest.raises(InvalidWeightError, match="whole numbers"):
        SurveyDesign(weights="weight", weight_type="fweight").check(
            df.assign(weight=[1.5, 1, 1, 1])
        )
    with pytest.raises(UnknownOptionError, match="pweight"):
        SurveyDesign(weights="weight", weight_type="probability")
    with pytest.raises(DesignError, match="strata without PSUs"):
        SurveyDesign(strata="s")
    with pytest.raises(MissingColumnError, match="wgt"):
        SurveyDesign(weights="wgt").check(df)


def test_sample_counts_drops_by_reason_and_refuses_inf():
    df = _frame().assign(income_pc=[10.0, np.nan, 30.0, 40.0], head_age=[np.nan, np.nan, 1.0, 2.0])
    s = build_sample(df, [("outcome", ["income_pc"]), ("regressor", ["head_age"])])
    assert s.n_obs == 2 and dict(s.dropped) == {
        "missing outcome 'income_pc'": 1,
        "missing regressor 'head_age'": 1,
    }
    with pytest.raises(ImpossibleValueError, match="infinite"):
        build_sample(df.assign(income_pc=[1.0, np.inf, 2.0, 3.0]), [("outcome", ["income_pc"])])
    with pytest.raises(EmptySampleError):
        build_sample(df.assign(income_pc=np.nan), [("outcome", ["income_pc"])])
