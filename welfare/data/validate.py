"""Validation of a survey frame against the schema, with named errors.

Nothing is recoded or dropped here: a value that breaks the schema raises an error that says
what was expected and what was found.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from welfare.data.schema import FIELDS
from welfare.errors import (
    ColumnTypeError,
    DuplicateIdError,
    ImpossibleValueError,
    TreatmentError,
)

__all__ = ["validate_survey", "check_binary"]


def check_binary(data: pd.DataFrame, column: str, role: str = "participation") -> None:
    """Check that ``column`` is coded 0/1 (missing allowed) and takes both values.

    Raises
    ------
    TreatmentError
        Values other than 0 and 1, or a column with no variation.
    """
    col = data[column]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        raise TreatmentError(
            f"{role} {column!r}: expected 0/1 numbers, found dtype {col.dtype} "
            f"(values such as {col.dropna().unique()[:3].tolist()}); recode it in the codebook"
        )
    v = col.dropna().astype(float)
    bad = sorted(set(v.unique()) - {0.0, 1.0})
    if bad:
        raise TreatmentError(f"{role} {column!r}: expected values 0/1, found also {bad[:5]}")
    if v.nunique() < 2:
        raise TreatmentError(
            f"{role} {column!r}: expected both 0 and 1, found only {v.unique().tolist()} "
            f"in {len(v)} non-missing rows (no variation)"
        )


def validate_survey(data: pd.DataFrame, id_columns: tuple[str, ...] = ("hh_id",)) -> None:
    """Validate every schema field present in ``data``.

    Checks types by field kind (numbers for binary/count/continuous/money, 0/1 for binary,
    whole numbers for counts), admissible ranges, and uniqueness of ``id_columns`` jointly.
    Columns not in the schema are not checked. ``data`` is not modified.

    Parameters
    ----------
    data : pandas.DataFrame
        Frame with schema column names.
    id_columns : tuple of str, default ("hh_id",)
        Columns that must identify rows uniquely (``("hh_id", "person_id")`` for
        individual-level files). Ignored if absent.

    Raises
    ------
    ColumnTypeError, ImpossibleValueError, DuplicateIdError, TreatmentError
    """
    for name, f in FIELDS.items():
        if name not in data.columns:
            continue
        col = data[name]
        if f.kind in ("binary", "count", "continuous", "money"):
            if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                if not pd.api.types.is_bool_dtype(col):
                    raise ColumnTypeError(
                        f"{name!r} ({f.description}): expected numbers, found dtype {col.dtype} "
                        f"with values such as {col.dropna().unique()[:3].tolist()}"
                    )
            v = col.dropna().astype(float)
            if f.kind == "binary":
                bad = sorted(set(v.unique()) - {0.0, 1.0})
                if bad:
                    raise TreatmentError(
                        f"{name!r}: expected 0/1, found also {bad[:5]}; map the codes in the codebook"
                    )
            if f.kind == "count" and not np.allclose(v, np.round(v)):
                raise ImpossibleValueError(
                    f"{name!r}: expected whole numbers ({f.units}), found e.g. "
                    f"{v[~np.isclose(v, np.round(v))].head(3).tolist()}"
                )
            lo = -np.inf if f.min is None else f.min
            hi = np.inf if f.max is None else f.max
            out = (v < lo) | (v > hi) | ~np.isfinite(v)
            if out.any():
                raise ImpossibleValueError(
                    f"{name!r}: expected values in [{lo}, {hi}] ({f.units or 'no units'}), found "
                    f"{int(out.sum())} outside, e.g. {v[out].head(3).tolist()}"
                )
        if f.kind == "category" and f.levels is not None:
            v = col.dropna().astype(str)
            bad = sorted(set(v.unique()) - set(f.levels))
            if bad:
                raise ImpossibleValueError(
                    f"{name!r}: expected levels {list(f.levels)}, found also {bad[:5]}; "
                    "map the labels in the codebook"
                )
    ids = [c for c in id_columns if c in data.columns]
    for c in ids:
        n_missing = int(data[c].isna().sum())
        if n_missing:
            raise DuplicateIdError(
                f"id column {c!r}: expected an identifier in every row, found {n_missing} missing"
            )
    if ids:
        dup = data.duplicated(subset=ids, keep=False)
        if dup.any():
            ex = data.loc[dup, ids].drop_duplicates().head(3).to_dict("records")
            raise DuplicateIdError(
                f"expected unique {ids}, found {int(dup.sum())} rows sharing "
                f"{int(data.loc[dup, ids].drop_duplicates().shape[0])} id(s), e.g. {ex}"
            )
