"""Codebooks: how a user's file maps onto the ``welfare`` schema.

A codebook is a small TOML or YAML file::

    [codebook]
    name = "My survey 2018"
    source = "where the file comes from"
    row_ids = false            # true: make hh_id from the row number (files without ids)
    missing_codes = [-9, -8]   # codes that mean "missing" in every numeric column

    [columns]                  # schema field = { source = file column, ... }
    hh_id = { source = "hhid" }
    e_household = { source = "eshop", values = { 1 = 1, 2 = 0 } }   # explicit recode
    income_pc = { source = "inc_pc", units = "RMB per person per year", missing_codes = [-1] }
    head_edu = { source = "edu", labels = { 1 = "primary or less", 2 = "lower secondary" } }

    [extra]                    # non-schema columns to keep under a new name
    educ_years = { source = "educ", units = "years" }

    [design]
    weights = "weight"         # schema names, after mapping
    weight_type = "pweight"
    psu = "village_id"
    strata = "stratum"

    [analysis]                 # what the replication scripts may run on this file
    outcome = "income_pc"
    outcome_scale = "log"      # or "levels" (e.g. earnings with zeros)
    participation_covariates = ["head_age", "head_edu"]
    premium_controls = ["head_age", "head_edu"]
    fixed_effects = ["village_id"]
    label = "short label shown in tables"
    compare_with_report = true # false: no verdicts against the report's claims (other settings)

Missing-value codes become missing values and are counted per column in
:class:`ReadReport`; nothing else is recoded unless the codebook says so (``values``/``labels``).
A value with no entry in a declared ``values`` or ``labels`` map raises
:class:`~welfare.errors.CodebookError`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from welfare.data.design import SurveyDesign
from welfare.data.schema import FIELDS
from welfare.errors import CodebookError

__all__ = ["Codebook", "ColumnSpec", "load_codebook"]

_COLUMN_KEYS = {"source", "units", "missing_codes", "values", "labels", "description"}
_TOP_KEYS = {"codebook", "columns", "extra", "design", "analysis"}
_ANALYSIS_KEYS = {
    "outcome",
    "outcome_scale",
    "participation",
    "participation_covariates",
    "premium_controls",
    "fixed_effects",
    "label",
    "compare_with_report",
}


@dataclass(frozen=True)
class ColumnSpec:
    """How one schema (or extra) column is made from a file column."""

    name: str
    source: str
    units: str | None = None
    missing_codes: tuple[float, ...] = ()
    values: dict[Any, Any] | None = None
    labels: dict[Any, str] | None = None
    description: str | None = None


@dataclass(frozen=True)
class Codebook:
    """A parsed codebook (see module docstring for the file format)."""

    name: str
    source: str = ""
    row_ids: bool = False
    missing_codes: tuple[float, ...] = ()
    columns: tuple[ColumnSpec, ...] = ()
    extra: tuple[ColumnSpec, ...] = ()
    design: SurveyDesign = field(default_factory=SurveyDesign)
    analysis: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    @property
    def fields(self) -> list[str]:
        """Schema fields the file provides (after mapping), plus ``hh_id`` if made from rows."""
        out = [c.name for c in self.columns]
        if self.row_ids and "hh_id" not in out:
            out.insert(0, "hh_id")
        return out

    @property
    def all_specs(self) -> tuple[ColumnSpec, ...]:
        """Schema and extra column specifications."""
        return self.columns + self.extra


def _parse_key(k: Any) -> Any:
    """TOML keys are strings; codes in files are usually numbers: '1' -> 1, '-9' -> -9."""
    if isinstance(k, str):
        try:
            f = float(k)
            return int(f) if f.is_integer() else f
        except ValueError:
            return k
    return k


def _spec(name: str, raw: Any, where: str) -> ColumnSpec:
    if isinstance(raw, str):
        raw = {"source": raw}
    if not isinstance(raw, dict) or "source" not in raw:
        raise CodebookError(f"{where}.{name}: expected a table with a 'source' key, found {raw!r}")
    unknown = set(raw) - _COLUMN_KEYS
    if unknown:
        raise CodebookError(
            f"{where}.{name}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_COLUMN_KEYS)}"
        )
    values = {_parse_key(k): v for k, v in raw["values"].items()} if "values" in raw else None
    labels = {_parse_key(k): str(v) for k, v in raw["labels"].items()} if "labels" in raw else None
    return ColumnSpec(
        name=name,
        source=str(raw["source"]),
        units=raw.get("units"),
        missing_codes=tuple(float(x) for x in raw.get("missing_codes", ())),
        values=values,
        labels=labels,
        description=raw.get("description"),
    )


def codebook_from_dict(raw: dict[str, Any], path: str | None = None) -> Codebook:
    """Build a :class:`Codebook` from a parsed TOML/YAML mapping.

    Raises
    ------
    CodebookError
        Unknown sections or keys, schema fields that do not exist, design columns not declared.
    """
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise CodebookError(f"unknown section(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    meta = raw.get("codebook", {})
    cols = []
    for name, spec in raw.get("columns", {}).items():
        if name not in FIELDS:
            raise CodebookError(
                f"[columns] {name!r} is not a schema field; expected one of {sorted(FIELDS)} "
                "(put other columns under [extra])"
            )
        cols.append(_spec(name, spec, "columns"))
    extra = []
    for name, spec in raw.get("extra", {}).items():
        if name in FIELDS:
            raise CodebookError(f"[extra] {name!r} is a schema field; declare it under [columns]")
        extra.append(_spec(name, spec, "extra"))
    sources = [c.source for c in cols + extra]
    dup = sorted({s for s in sources if sources.count(s) > 1})
    if dup:
        raise CodebookError(f"file column(s) {dup} mapped more than once")
    d = raw.get("design", {})
    unknown = set(d) - {"weights", "weight_type", "psu", "strata"}
    if unknown:
        raise CodebookError(f"[design] unknown key(s) {sorted(unknown)}")
    design = SurveyDesign(**d)
    known = {c.name for c in cols + extra} | ({"hh_id"} if meta.get("row_ids") else set())
    for c in design.columns:
        if c not in known:
            raise CodebookError(f"[design] column {c!r} is not declared under [columns]/[extra]")
    analysis = dict(raw.get("analysis", {}))
    unknown = set(analysis) - _ANALYSIS_KEYS
    if unknown:
        raise CodebookError(
            f"[analysis] unknown key(s) {sorted(unknown)}; allowed: {sorted(_ANALYSIS_KEYS)}"
        )
    scale = analysis.get("outcome_scale", "log")
    if scale not in ("log", "levels"):
        raise CodebookError(
            f"[analysis] outcome_scale: expected 'log' or 'levels', found {scale!r}"
        )
    return Codebook(
        name=str(meta.get("name", Path(path).stem if path else "codebook")),
        source=str(meta.get("source", "")),
        row_ids=bool(meta.get("row_ids", False)),
        missing_codes=tuple(float(x) for x in meta.get("missing_codes", ())),
        columns=tuple(cols),
        extra=tuple(extra),
        design=design,
        analysis=analysis,
        path=path,
    )


def load_codebook(path: str | Path) -> Codebook:
    """Read a codebook from a ``.toml`` or ``.yaml``/``.yml`` file.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    CodebookError
        Unsupported extension or malformed content.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"codebook {str(path)!r} not found")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            raw = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            raise CodebookError(f"codebook {str(path)!r}: invalid TOML ({e})") from e
    elif suffix in (".yaml", ".yml"):
        import yaml

        raw = yaml.safe_load(path.read_text()) or {}
    else:
        raise CodebookError(
            f"codebook {str(path)!r}: expected .toml, .yaml or .yml, found {suffix!r}"
        )
    return codebook_from_dict(raw, path=str(path))
