"""Readers for ``.csv``, ``.parquet`` and Stata ``.dta`` files, mapped through a codebook.

Flow: file -> raw frame (value labels of ``.dta`` files kept) -> codebook (rename, missing
codes -> missing values, declared recodes/labels) -> schema validation -> :class:`SurveyData`.
The raw frame is never modified in place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from welfare._options import strict_keywords
from welfare.data.codebook import Codebook, ColumnSpec, load_codebook
from welfare.data.design import SurveyDesign
from welfare.data.schema import FIELDS
from welfare.data.validate import validate_survey
from welfare.errors import CodebookError, DataError, EmptySampleError, MissingColumnError

__all__ = ["SurveyData", "ReadReport", "read_table", "read_survey", "apply_codebook", "file_sha256"]


@dataclass(frozen=True)
class ReadReport:
    """What reading and mapping did to the file.

    Attributes
    ----------
    n_rows : int
        Rows in the file (all kept).
    missing_codes : dict of str to int
        Per column, how many values were missing codes turned into missing values.
    missing : dict of str to int
        Per column, how many values are missing after mapping.
    """

    n_rows: int
    missing_codes: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """Per-column counts of missing codes and missing values."""
        cols = sorted(set(self.missing_codes) | set(self.missing))
        return pd.DataFrame(
            {
                "column": cols,
                "missing_codes_replaced": [self.missing_codes.get(c, 0) for c in cols],
                "missing_after_mapping": [self.missing.get(c, 0) for c in cols],
            }
        )


@dataclass(frozen=True)
class SurveyData:
    """A validated survey frame with its design and provenance.

    Attributes
    ----------
    data : pandas.DataFrame
        Schema-named columns (and declared extras).
    design : SurveyDesign
        Weights, PSUs and strata declared by the codebook.
    codebook : Codebook or None
        The codebook used, if any.
    label : str
        Shown in every table built from this data (e.g. ``"SYNTHETIC twin ..."``).
    synthetic : bool
        True for the embedded synthetic twin.
    sha256 : str or None
        Hash of the file read.
    report : ReadReport or None
        What mapping did.
    """

    data: pd.DataFrame
    design: SurveyDesign
    codebook: Codebook | None
    label: str
    synthetic: bool = False
    sha256: str | None = None
    report: ReadReport | None = None

    @property
    def fields(self) -> list[str]:
        """Columns available for analysis."""
        return list(self.data.columns)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_table(path: str | Path) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Read a ``.csv``, ``.parquet`` or ``.dta`` file without changing any value.

    Returns
    -------
    frame : pandas.DataFrame
        Raw values (codes, not labels, for labelled Stata variables).
    value_labels : dict
        ``{column: {code: label}}`` from a Stata file; empty for other formats.

    Raises
    ------
    FileNotFoundError, DataError
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"data file {str(path)!r} not found")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path), {}
    if suffix == ".parquet":
        return pd.read_parquet(path), {}
    if suffix == ".dta":
        import pyreadstat

        frame, meta = pyreadstat.read_dta(str(path), apply_value_formats=False)
        labels = {
            col: meta.value_labels[name]
            for col, name in meta.variable_to_label.items()
            if name in meta.value_labels
        }
        return frame, labels
    raise DataError(f"data file {str(path)!r}: expected .csv, .parquet or .dta, found {suffix!r}")


def _map_column(
    raw: pd.Series, spec: ColumnSpec, global_codes, file_labels
) -> tuple[pd.Series, int]:
    col = raw.copy()
    codes = set(spec.missing_codes) | set(global_codes)
    n_codes = 0
    if codes and pd.api.types.is_numeric_dtype(col):
        is_code = col.isin(list(codes))
        n_codes = int(is_code.sum())
        col = col.mask(is_code)
    if spec.values is not None:
        present = col.dropna().unique()
        unmapped = [_key(v) for v in present if _key(v) not in spec.values]
        if unmapped:
            raise CodebookError(
                f"column {spec.source!r} -> {spec.name!r}: values {unmapped[:5]} have no entry in "
                f"'values' {spec.values}"
            )
        col = col.map(lambda v: spec.values[_key(v)] if pd.notna(v) else np.nan)
    labels = spec.labels if spec.labels is not None else file_labels.get(spec.source)
    if labels is not None and spec.labels is None:
        # Stata labels from the file: not for numeric schema fields (a 0/1 'no'/'yes' flag stays
        # 0/1), and not when every labelled value is a missing code (e.g. only -9 "refused")
        numeric_field = spec.name in FIELDS and FIELDS[spec.name].kind != "category"
        only_codes = all(k in codes for k in labels)
        if numeric_field or only_codes:
            labels = None
    if labels is not None and spec.values is None:
        present = col.dropna().unique()
        unlabelled = [_key(v) for v in present if _key(v) not in labels]
        if unlabelled:
            raise CodebookError(
                f"column {spec.source!r} -> {spec.name!r}: values {unlabelled[:5]} have no value "
                f"label (labels: {labels})"
            )
        keys = sorted(k for k in labels if k not in codes)  # missing codes are not levels
        cats = list(dict.fromkeys(labels[k] for k in keys))
        col = pd.Categorical(
            [labels[_key(v)] if pd.notna(v) else None for v in col], categories=cats, ordered=False
        )
        col = pd.Series(col, index=raw.index)
    return col, n_codes


def _key(v):
    """Codes as plain Python numbers (2.0 and np.int64(2) -> 2) to look up value maps."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def apply_codebook(
    frame: pd.DataFrame, codebook: Codebook, value_labels=None
) -> tuple[pd.DataFrame, ReadReport]:
    """Map a raw frame onto the schema as the codebook says; ``frame`` is not modified.

    Raises
    ------
    MissingColumnError
        A source column of the codebook is not in the file.
    CodebookError
        A value without an entry in a declared ``values``/``labels`` map.
    """
    value_labels = value_labels or {}
    missing = [s.source for s in codebook.all_specs if s.source not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"codebook {codebook.name!r} expects file column(s) {missing}; the file has "
            f"{list(frame.columns)[:30]}"
        )
    out = {}
    codes_count = {}
    if codebook.row_ids and "hh_id" not in [c.name for c in codebook.columns]:
        out["hh_id"] = pd.Series(np.arange(1, len(frame) + 1), index=frame.index)
    for spec in codebook.all_specs:
        col, n = _map_column(frame[spec.source], spec, codebook.missing_codes, value_labels)
        out[spec.name] = col
        if n:
            codes_count[spec.name] = n
    data = pd.DataFrame(out, index=frame.index).reset_index(drop=True)
    report = ReadReport(
        n_rows=len(data),
        missing_codes=codes_count,
        missing={c: int(data[c].isna().sum()) for c in data.columns if data[c].isna().any()},
    )
    return data, report


@strict_keywords
def read_survey(path: str | Path, codebook: str | Path | Codebook | None = None) -> SurveyData:
    """Read a user's survey file and map it onto the ``welfare`` schema.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv``, ``.parquet`` or ``.dta`` file.
    codebook : str, pathlib.Path, Codebook or None, default None
        Codebook file or object. ``None``: the file's columns must already carry schema names
        (Stata value labels still become categoricals) and there is no design.

    Returns
    -------
    SurveyData

    Raises
    ------
    FileNotFoundError, MissingColumnError, CodebookError, DataError
        See :func:`read_table`, :func:`apply_codebook` and
        :func:`welfare.data.validate.validate_survey`.

    Examples
    --------
    >>> sd = read_survey("nsw.csv", codebook="replication/codebooks/nsw_dw.toml")  # doctest: +SKIP
    """
    frame, labels = read_table(path)
    if len(frame) == 0:
        raise EmptySampleError(f"data file {str(path)!r}: expected rows, found none")
    if codebook is None:
        from welfare.data.codebook import codebook_from_dict

        cb = codebook_from_dict({"codebook": {"name": Path(path).stem}, "extra": {}}, path=None)
        data = frame.copy()
        for col, lab in labels.items():
            spec = ColumnSpec(name=col, source=col, labels=lab)
            data[col], _ = _map_column(frame[col], spec, (), {})
        report = ReadReport(n_rows=len(data))
        design = SurveyDesign()
    else:
        cb = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        data, report = apply_codebook(frame, cb, labels)
        design = cb.design
    validate_survey(data)
    design.check(data)
    label = cb.analysis.get("label", cb.name)
    return SurveyData(
        data=data,
        design=design,
        codebook=cb,
        label=str(label),
        synthetic=False,
        sha256=file_sha256(path),
        report=report,
    )
