"""Data layer: schema, codebooks, readers, validation, survey design and estimation samples."""

from welfare.data.codebook import Codebook, ColumnSpec, codebook_from_dict, load_codebook
from welfare.data.design import WEIGHT_TYPES, SurveyDesign
from welfare.data.readers import ReadReport, SurveyData, apply_codebook, read_survey, read_table
from welfare.data.sample import EstimationSample, build_sample, require_columns
from welfare.data.schema import EDUCATION_LEVELS, FIELDS, Field, schema_table
from welfare.data.validate import check_binary, validate_survey

__all__ = [
    "Codebook",
    "ColumnSpec",
    "codebook_from_dict",
    "load_codebook",
    "SurveyDesign",
    "WEIGHT_TYPES",
    "ReadReport",
    "SurveyData",
    "apply_codebook",
    "read_survey",
    "read_table",
    "EstimationSample",
    "build_sample",
    "require_columns",
    "EDUCATION_LEVELS",
    "FIELDS",
    "Field",
    "schema_table",
    "check_binary",
    "validate_survey",
]
