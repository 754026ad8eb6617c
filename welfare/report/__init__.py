"""Tables (markdown, LaTeX, HTML, CSV) and figures, all drawn from the tidy schema."""

from welfare.report.figures import (
    coefficient_plot,
    decomposition_plot,
    lorenz_plot,
    love_plot,
    overlap_plot,
    quantile_effects_plot,
    sensitivity_contour_plot,
    share_plot,
    source_contribution_plot,
    specification_curve_plot,
)
from welfare.report.tables import (
    Table,
    balance_table,
    effects_table,
    frame_table,
    grid_table,
    regression_table,
    tidy_frame,
    truth_table,
)

__all__ = [
    "Table",
    "regression_table",
    "effects_table",
    "grid_table",
    "frame_table",
    "balance_table",
    "tidy_frame",
    "truth_table",
    "coefficient_plot",
    "love_plot",
    "overlap_plot",
    "lorenz_plot",
    "source_contribution_plot",
    "decomposition_plot",
    "quantile_effects_plot",
    "share_plot",
    "sensitivity_contour_plot",
    "specification_curve_plot",
]
