"""Robustness and sensitivity tools for reviewers (issue 8).

The one-call robustness table of the premium across estimators, the specification curve,
sensitivity to omitted variables (Cinelli-Hazlett, Oster, Rosenbaum), placebo outcomes and
treatments, and the premium across outcomes with wild-bootstrap and Romano-Wolf p-values.
"""

from welfare.robustness.multiple_outcomes import premium_across_outcomes
from welfare.robustness.placebo import (
    PlaceboTreatmentResult,
    placebo_outcomes,
    placebo_treatment,
)
from welfare.robustness.sensitivity import (
    OmittedVariableSensitivity,
    OsterBounds,
    RosenbaumBounds,
    cinelli_hazlett,
    oster_bounds,
    oster_delta,
    partial_r2,
    robustness_value,
    rosenbaum_bounds,
    sensitivity_stats,
)
from welfare.robustness.speccurve import SpecificationCurve, specification_curve
from welfare.robustness.table import RobustnessTable, robustness_table

__all__ = [
    "robustness_table",
    "RobustnessTable",
    "specification_curve",
    "SpecificationCurve",
    "premium_across_outcomes",
    "placebo_outcomes",
    "placebo_treatment",
    "PlaceboTreatmentResult",
    "OmittedVariableSensitivity",
    "OsterBounds",
    "RosenbaumBounds",
    "cinelli_hazlett",
    "oster_bounds",
    "oster_delta",
    "partial_r2",
    "robustness_value",
    "rosenbaum_bounds",
    "sensitivity_stats",
]
