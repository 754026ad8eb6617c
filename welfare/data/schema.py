"""The household-survey schema: field names, levels, kinds, units and admissible ranges.

The schema is documented in ``schema.toml`` beside this module (it doubles as the codebook of
the synthetic twin). :data:`FIELDS` maps each field name to a :class:`Field`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

__all__ = ["Field", "FIELDS", "EDUCATION_LEVELS", "schema_table"]


@dataclass(frozen=True)
class Field:
    """One schema field.

    Attributes
    ----------
    name : str
        Field name used throughout ``welfare``.
    level : {"village", "household", "individual"}
        Unit the field describes.
    kind : {"id", "category", "binary", "count", "continuous", "money"}
        Measurement type; drives validation.
    description : str
        What the field means.
    units : str or None
        Units, e.g. ``"RMB per person per year"``.
    min, max : float or None
        Admissible range (inclusive).
    levels : tuple of str or None
        Ordered category labels for ``kind="category"`` fields that have a fixed set.
    """

    name: str
    level: str
    kind: str
    description: str
    units: str | None = None
    min: float | None = None
    max: float | None = None
    levels: tuple[str, ...] | None = None


def _load() -> dict[str, Field]:
    raw = tomllib.loads(resources.files("welfare.data").joinpath("schema.toml").read_text())
    out = {}
    for name, spec in raw["fields"].items():
        levels = tuple(spec["levels"]) if "levels" in spec else None
        out[name] = Field(
            name=name,
            level=spec["level"],
            kind=spec["kind"],
            description=spec["description"],
            units=spec.get("units"),
            min=spec.get("min"),
            max=spec.get("max"),
            levels=levels,
        )
    return out


FIELDS: dict[str, Field] = _load()
EDUCATION_LEVELS: tuple[str, ...] = FIELDS["head_edu"].levels or ()


def schema_table():
    """Return the schema as a :class:`pandas.DataFrame` (one row per field)."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "field": f.name,
                "level": f.level,
                "kind": f.kind,
                "units": f.units,
                "min": f.min,
                "max": f.max,
                "description": f.description,
            }
            for f in FIELDS.values()
        ]
    )
