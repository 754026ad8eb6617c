"""Consumption growth and county e-commerce development (finding F5)."""

from welfare.consumption.growth import (
    CATEGORY_OUTCOMES,
    GrowthPanel,
    GrowthResults,
    by_category,
    consumption_growth,
    growth_panel,
    split_samples,
)

__all__ = [
    "CATEGORY_OUTCOMES",
    "GrowthPanel",
    "GrowthResults",
    "by_category",
    "consumption_growth",
    "growth_panel",
    "split_samples",
]
