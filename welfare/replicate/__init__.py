"""Replication of the report's findings: registry, runner, manifest and REPORT.md."""

from welfare.replicate.context import AnalysisSpec, Context, FindingResult
from welfare.replicate.runner import FINDINGS, analysis_sample, run

__all__ = ["run", "FINDINGS", "analysis_sample", "AnalysisSpec", "Context", "FindingResult"]
