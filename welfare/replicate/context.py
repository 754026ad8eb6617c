"""What a replication script receives (:class:`Context`) and returns (:class:`FindingResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from welfare.data.readers import SurveyData
from welfare.inference.results import Results
from welfare.report.tables import Table

__all__ = ["Context", "FindingResult", "AnalysisSpec", "TWIN_SPEC"]


@dataclass(frozen=True)
class AnalysisSpec:
    """Which columns the findings use (from the codebook's ``[analysis]`` or the twin's)."""

    participation: str = "e_household"
    outcome: str = "income_pc"
    outcome_scale: str = "log"
    participation_covariates: tuple[str, ...] = ()
    premium_controls: tuple[str, ...] = ()
    fixed_effects: tuple[str, ...] = ()
    interactions: tuple[str, ...] = ()
    label: str = ""
    compare_with_report: bool = True

    @classmethod
    def from_codebook(cls, analysis: dict[str, Any], label: str) -> AnalysisSpec:
        """Spec from a codebook's ``[analysis]`` table."""
        return cls(
            participation=analysis.get("participation", "e_household"),
            outcome=analysis.get("outcome", "income_pc"),
            outcome_scale=analysis.get("outcome_scale", "log"),
            participation_covariates=tuple(analysis.get("participation_covariates", ())),
            premium_controls=tuple(analysis.get("premium_controls", ())),
            fixed_effects=tuple(analysis.get("fixed_effects", ())),
            label=analysis.get("label", label),
            compare_with_report=bool(analysis.get("compare_with_report", True)),
        )

    @property
    def columns(self) -> list[str]:
        """Every column the findings use."""
        return list(
            dict.fromkeys(
                [self.participation, self.outcome]
                + list(self.participation_covariates)
                + list(self.premium_controls)
                + list(self.interactions)
                + list(self.fixed_effects)
            )
        )


_HEAD = ("head_age", "head_female", "head_edu", "head_urban_work", "head_ecom_knowledge")
_HOUSEHOLD = ("hh_size", "hh_labour", "land_mu")

TWIN_SPEC = AnalysisSpec(
    participation="e_household",
    outcome="income_pc",
    outcome_scale="log",
    participation_covariates=_HEAD,
    premium_controls=_HEAD + _HOUSEHOLD,
    fixed_effects=("village_id",),
    # every control is interacted with participation: the ATE under linear heterogeneity,
    # without using knowledge of which characteristics drive the twin's heterogeneity
    interactions=_HEAD + _HOUSEHOLD,
)


@dataclass(frozen=True)
class Context:
    """Input of a replication script.

    Attributes
    ----------
    survey : SurveyData
    spec : AnalysisSpec
    truth : mapping or None
        True parameters when the data are a synthetic twin.
    out : pathlib.Path
        Output folder (``tables/`` and ``figures/`` inside).
    seed : int
    population : pandas.DataFrame or None
        The synthetic twin's population with each household's true effect (``tau``).
    workers : SurveyData or None
        The e-shop workers module (finding F4), with its design; None when the data have none.
    counties : pandas.DataFrame or None
        The county panel (findings F6, F8); None when the data have none.
    county_truth : mapping or None
        The synthetic county panel's truth.
    households : pandas.DataFrame or None
        The household panel (finding F5: one row per household and wave, linked to
        ``counties`` by county id); None when the data have none.
    household_truth : mapping or None
        The synthetic household panel's truth.
    inclusion : SurveyData or None
        The inclusion module (finding F7: e-shop owners' gender and age, perceived social
        status), with its design; None when the data have none.
    jobs : int
        Workers for the resampling and the independent fits inside a finding (``--jobs``);
        results do not depend on it (:mod:`welfare._parallel`).
    """

    survey: SurveyData
    spec: AnalysisSpec
    truth: Any
    out: Path
    seed: int
    population: Any = None
    workers: Any = None
    counties: Any = None
    county_truth: Any = None
    households: Any = None
    household_truth: Any = None
    inclusion: Any = None
    jobs: int = 1

    @property
    def synthetic(self) -> bool:
        """True on the synthetic twin."""
        return self.survey.synthetic

    def describe(self, column: str) -> str:
        """``column (description; units)`` from the codebook, else from the schema."""
        from welfare.data.schema import FIELDS

        spec = None
        if self.survey.codebook is not None:
            spec = next((c for c in self.survey.codebook.all_specs if c.name == column), None)
        desc = (spec.description if spec else None) or (
            FIELDS[column].description if column in FIELDS else None
        )
        units = (spec.units if spec else None) or (
            FIELDS[column].units if column in FIELDS else None
        )
        extra = "; ".join(x for x in (desc, units) if x)
        return f"{column} ({extra})" if extra else column

    def has(self, *columns: str) -> bool:
        """Return True if every column is in the data."""
        return all(c in self.survey.data.columns for c in columns)


@dataclass
class FindingResult:
    """Output of a replication script."""

    finding: str
    here: list[str] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    results: dict[str, Results] = field(default_factory=dict)
    truth_table: Table | None = None
