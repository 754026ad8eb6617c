"""Tables (markdown, LaTeX, HTML, CSV) and figures, all drawn from the tidy schema."""

from welfare.report.figures import coefficient_plot
from welfare.report.tables import Table, regression_table, tidy_frame, truth_table

__all__ = ["Table", "regression_table", "tidy_frame", "truth_table", "coefficient_plot"]
