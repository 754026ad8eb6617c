"""Household consumption growth and county e-commerce development (finding F5).

Luo, Wang & Zhang (2019) regress the growth of log household consumption per person between
consecutive CFPS waves on the e-commerce development index of the household's county, with
interactions for rural, inland and poor households, household and wave fixed effects and
standard errors clustered by county:

    dlog c_iw = log c_iw - log c_i,w-1
              = (b0 + sum_g b_g G_ig) EDI_c(i,w-1), w-lag + sum_g m_g G_ig + x_iw'd
                + alpha_i + lambda_w + e_iw,

where w-1 is the previous wave, c(i, w-1) the household's county at the START of the interval
and ``w - lag`` the index year (biennial waves, ``lag=1``: the year between the two waves, 2013
for 2012->2014). The slope of the index for a group is ``b0 + sum_{g in group} b_g``.

* :func:`growth_panel` builds the growth frame from a long household panel and a county panel,
  counting every household-wave that gives no growth observation by reason;
* :func:`consumption_growth` estimates the model by WLS (pweights) with absorbed fixed effects
  and CRV1 by county (:func:`welfare.inference.linear.fit_ols`); :class:`GrowthResults` gives
  group slopes (linear combinations) and Wald tests of equal slopes;
* :func:`split_samples` estimates the slope separately by a 0/1 group and tests equality in the
  fully interacted (stacked) regression;
* :func:`by_category` repeats the model for consumption categories with Romano-Wolf adjusted
  p-values from a joint wild cluster bootstrap (the same county draws for all categories).

References
----------
Luo, X., Wang, C. & Zhang, X. (2019). E-commerce development and household consumption growth
in China. World Bank Policy Research Working Paper 8810. doi:10.1596/1813-9450-8810

World Bank & Alibaba Group (2019). *E-commerce Development: Experience from China*. Washington,
DC: World Bank. https://documents.worldbank.org/curated/en/552791574361533437
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from welfare._estimation import check_names
from welfare._options import as_columns, check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.data.sample import require_columns
from welfare.data.validate import check_binary
from welfare.errors import (
    CollinearityError,
    ColumnTypeError,
    DataError,
    DuplicateIdError,
    EmptySampleError,
    ImpossibleValueError,
    OutcomeError,
    PanelStructureError,
    UnknownOptionError,
    VarianceError,
)
from welfare.inference.linear import fit_ols
from welfare.inference.multiple import holm
from welfare.inference.multiple import romano_wolf as _romano_wolf
from welfare.inference.results import Results

__all__ = [
    "GrowthPanel",
    "GrowthResults",
    "growth_panel",
    "consumption_growth",
    "split_samples",
    "by_category",
]

CATEGORY_OUTCOMES = (
    "dlog_cons_durables",
    "dlog_cons_in_style",
    "dlog_cons_local_services",
    "dlog_cons_other",
)


# ============================================================================ growth frame
@dataclass(frozen=True)
class GrowthPanel:
    """Growth observations (one row per household and consecutive-wave interval).

    Attributes
    ----------
    data : pandas.DataFrame, shape (n_intervals, n_columns)
        ``<household>, wave`` (end wave), ``wave_start``, ``<county>`` (START county of the
        interval: the cluster and the county of the index), ``<county>_end``, ``mover`` (0/1),
        the household's other columns at the start wave, ``dlog_<c>`` per consumption column
        (log points; NaN where missing or, with ``nonpositive="exclude"``, non-positive at
        either end), ``<index>_lag`` per index column (the start county's index in year
        ``wave - lag``), and the county panel's other columns for that county-year. ``attrs``
        carry the household frame's ``welfare_label`` / ``welfare_synthetic``; a synthetic
        county panel makes the growth panel synthetic too (its label is added).
    counts : tuple of (str, int)
        Household-waves and intervals by reason (see :meth:`summary`).
    waves : tuple of int
        The wave sequence used.
    index_columns, outcome_columns : tuple of str
        ``<index>_lag`` and ``dlog_<c>`` column names.
    lag : int
        Years between the end wave and the index year.
    """

    data: pd.DataFrame
    counts: tuple[tuple[str, int], ...]
    waves: tuple[int, ...]
    index_columns: tuple[str, ...]
    outcome_columns: tuple[str, ...]
    lag: int = 1

    def summary(self) -> pd.DataFrame:
        """Table of the counts: ``reason, n``."""
        return pd.DataFrame(list(self.counts), columns=["reason", "n"])

    def notes(self) -> list[str]:
        """One line for table notes."""
        return ["Growth panel: " + "; ".join(f"{r}: {n}" for r, n in self.counts) + "."]


def _check_int(name: str, value, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise UnknownOptionError(f"{name}: expected an integer >= {minimum}, found {value!r}")
    return int(value)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _check_ids(frame: pd.DataFrame, cols: list[str], what: str) -> None:
    miss = frame[cols].isna().any(axis=1)
    if miss.any():
        raise DataError(
            f"{what}: expected no missing values in {cols}, found {int(miss.sum())} row(s) "
            "with a missing id"
        )
    dup = frame.duplicated(cols, keep=False)
    if dup.any():
        ex = frame.loc[dup, cols].drop_duplicates().head(3).to_dict("records")
        raise DuplicateIdError(
            f"{what}: expected one row per {' x '.join(cols)}, found {int(dup.sum())} rows in "
            f"{int(frame.loc[dup, cols].drop_duplicates().shape[0])} duplicated keys, e.g. {ex}"
        )


@strict_keywords
def growth_panel(
    households: pd.DataFrame,
    counties: pd.DataFrame,
    *,
    household: str = "hh_id",
    wave: str = "wave",
    county: str = "county_id",
    year: str = "year",
    consumption: tuple[str, ...] | list[str] = ("consumption_pc",),
    index: tuple[str, ...] | list[str] = ("edi",),
    lag: int = 1,
    waves: tuple[int, ...] | list[int] | None = None,
    nonpositive: str = "raise",
) -> GrowthPanel:
    """Consumption growth between consecutive waves, with the start county's lagged index.

    Parameters
    ----------
    households : pandas.DataFrame, shape (n_household_waves, n_columns)
        Long household panel, one row per household and wave; ``county`` is the county of
        residence at that wave. Not modified.
    counties : pandas.DataFrame, shape (n_county_years, n_columns)
        Long county panel, one row per county and year. Not modified.
    household, wave, county, year : str
        Column names (defaults ``hh_id, wave, county_id, year``).
    consumption : sequence of str, default ("consumption_pc",)
        Consumption columns (RMB per person per year, > 0); ``dlog_<c>`` is made for each.
    index : sequence of str, default ("edi",)
        County index columns; ``<index>_lag`` is made for each.
    lag : int, default 1
        Index year = end wave - ``lag``. With biennial waves, ``lag=1`` is the year between the
        two waves (2013 for the interval 2012->2014, 2015 for 2014->2016); ``lag=2`` the start
        wave year.
    waves : sequence of int, optional
        The full wave sequence, strictly increasing. Default: the sorted waves in the data,
        which must then be equally spaced (a missing survey wave would otherwise make a
        four-year interval look consecutive).
    nonpositive : {"raise", "exclude"}, default "raise"
        Non-positive consumption at either end of an interval: raise, or set that ``dlog_<c>``
        to missing and count it.

    Returns
    -------
    GrowthPanel
        ``dlog_<c>_iw = log c_iw - log c_i,w_prev`` for consecutive waves (``w_prev`` the wave
        before ``w`` in ``waves``), ``<index>_lag`` the index of the household's county at
        ``w_prev`` in year ``w - lag``. Counts (reasons): household-waves in the data; first
        observed wave of a household (no earlier wave: not an error); previous consecutive
        wave missing (gap); growth intervals; movers (county changed, kept, index and cluster
        of the start county); missing consumption and (excluded) non-positive consumption per
        column; county missing at the start wave (so no index); index missing for the start
        county-year per index column (intervals with a start county). The index columns always
        come from the county panel; another county column is added only when the household
        frame has no column of that name (the household's start-wave value is kept).

    Raises
    ------
    MissingColumnError
        A named column is absent.
    ColumnTypeError
        Non-numeric consumption or index; waves that are not numbers (e.g. text years).
    ImpossibleValueError
        Infinite consumption or index values.
    DataError, DuplicateIdError
        Missing household/wave/county-year ids; duplicated household-wave or county-year rows;
        a generated column name (``dlog_<c>``, ``<index>_lag``, ``mover``, ...) already taken.
    UnknownOptionError
        ``waves`` not strictly increasing or not numbers; bad ``lag``, ``nonpositive`` or column
        lists (including a column named twice).
    PanelStructureError
        Data waves not in ``waves``; unequal wave spacing without explicit ``waves``; county
        ids absent from the county panel; an index year ``w - lag`` absent from it.
    OutcomeError
        Non-positive consumption with ``nonpositive="raise"`` (the message gives the count).
    """
    check_option("nonpositive", nonpositive, ("raise", "exclude"))
    lag = _check_int("lag", lag)
    consumption = as_columns("consumption", consumption)
    index = as_columns("index", index)
    if not consumption or not index:
        raise UnknownOptionError("consumption and index: expected at least one column each")
    for name, cols in (("consumption", consumption), ("index", index)):
        dup = sorted({c for c in cols if cols.count(c) > 1})
        if dup:
            raise UnknownOptionError(f"{name}: expected distinct column names, found {dup} twice")
    for name, frame in (("households", households), ("counties", counties)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name}: expected a pandas DataFrame, found {type(frame).__name__}")
    require_columns(households, [household, wave, county] + consumption, role="household column")
    require_columns(counties, [county, year] + index, role="county column")
    for c in consumption:
        if not pd.api.types.is_numeric_dtype(households[c]) or pd.api.types.is_bool_dtype(
            households[c]
        ):
            raise ColumnTypeError(
                f"consumption {c!r}: expected numbers, found dtype {households[c].dtype}"
            )
    for c in index:
        if not pd.api.types.is_numeric_dtype(counties[c]):
            raise ColumnTypeError(f"index {c!r}: expected numbers, found dtype {counties[c].dtype}")
    for name, frame, cols in (
        ("consumption", households, consumption),
        ("index", counties, index),
    ):
        for c in cols:
            vals = frame[c].to_numpy(dtype=float, na_value=np.nan)
            if np.isinf(vals).any():
                raise ImpossibleValueError(
                    f"{name} {c!r}: expected finite numbers or missing values, found "
                    f"{int(np.isinf(vals).sum())} infinite value(s)"
                )
    _check_ids(households, [household, wave], "households")
    _check_ids(counties, [county, year], "counties")

    data_waves = sorted(pd.unique(households[wave]).tolist())
    bad = [w for w in data_waves if not _is_number(w)]
    if bad:
        raise ColumnTypeError(
            f"wave {wave!r}: expected numeric survey years (e.g. 2012), found "
            f"{bad[:5]} (dtype {households[wave].dtype})"
        )
    if waves is None:
        steps = np.diff(np.asarray(data_waves, dtype=float))
        if len(steps) and not np.allclose(steps, steps[0]):
            raise PanelStructureError(
                f"waves: expected equally spaced waves in the data, found {data_waves} (steps "
                f"{steps.tolist()}); pass waves=[...] with the full survey wave sequence"
            )
        waves = data_waves
    else:
        waves = list(waves)
        bad = [w for w in waves if not _is_number(w)]
        if bad:
            raise UnknownOptionError(
                f"waves: expected numeric survey years (e.g. [2012, 2014]), found {bad[:5]}"
            )
        if any(b <= a for a, b in zip(waves[:-1], waves[1:], strict=True)):
            raise UnknownOptionError(
                f"waves: expected a strictly increasing sequence, found {waves}"
            )
        absent = [w for w in data_waves if w not in waves]
        if absent:
            raise PanelStructureError(
                f"waves: expected every wave of the data in waves={waves}, found data waves "
                f"{absent} not in it"
            )
    known = set(pd.unique(counties[county]).tolist())
    hh_c = households[county].dropna()
    unknown = sorted(set(hh_c.unique().tolist()) - known, key=str)
    if unknown:
        raise PanelStructureError(
            f"county ids: expected every household county in the county panel, found "
            f"{len(unknown)} not in it, e.g. {unknown[:5]}"
        )
    years = set(pd.unique(counties[year]).tolist())
    present = set(data_waves)
    need = [
        w - lag
        for wp, w in zip(waves[:-1], waves[1:], strict=True)
        if w in present and wp in present
    ]
    missing_years = sorted({y for y in need if y not in years})
    if missing_years:
        raise PanelStructureError(
            f"lag={lag}: expected index years {sorted(set(need))} (end wave - lag) in the county "
            f"panel, found {missing_years} absent (county panel years {sorted(years)})"
        )

    generated = ["wave_start", f"{county}_end", "mover", "_pos", "_year"]
    generated += [f"dlog_{c}" for c in consumption] + [f"{c}_lag" for c in index]
    taken = [c for c in generated if c in households.columns or c in counties.columns]
    if taken:
        raise DataError(
            f"expected the generated column names {taken} to be free, found them in the input "
            "(rename those columns)"
        )
    hh = households.copy()  # never modify the input
    pos = {w: i for i, w in enumerate(waves)}
    hh["_pos"] = hh[wave].map(pos).astype(int)
    hh = hh.sort_values([household, "_pos"], kind="stable")
    first = ~hh.duplicated(household, keep="first")
    prev_pos = hh.groupby(household, sort=False)["_pos"].shift(1)
    consecutive = (~first) & (prev_pos == hh["_pos"] - 1)
    gap = (~first) & ~consecutive
    counts: list[tuple[str, int]] = [
        ("household-waves in data", len(hh)),
        ("first observed wave of a household (no earlier wave)", int(first.sum())),
        ("previous consecutive wave missing (gap)", int(gap.sum())),
    ]
    end = hh.loc[consecutive]
    start = hh.set_index([household, "_pos"])
    key = pd.MultiIndex.from_arrays([end[household], end["_pos"] - 1])
    st = start.loc[key].reset_index()
    en = end.reset_index(drop=True)
    other = [c for c in households.columns if c not in {household, wave, county} | set(consumption)]
    # .array keeps the columns' dtypes (nullable, categorical, string): no silent recode
    out = pd.DataFrame({household: en[household].array})
    out[wave] = en[wave].array
    out["wave_start"] = st[wave].array
    out[county] = st[county].array
    out[f"{county}_end"] = en[county].array
    moved = (
        (st[county].to_numpy() != en[county].to_numpy())
        & st[county].notna().to_numpy()
        & en[county].notna().to_numpy()
    )
    out["mover"] = moved.astype(int)
    for c in other:
        out[c] = st[c].array
    counts.append(("growth intervals (consecutive waves)", len(out)))
    counts.append(("movers (county changed; kept, start county used)", int(moved.sum())))
    outcome_cols = []
    for c in consumption:
        a = st[c].to_numpy(dtype=float, na_value=np.nan)
        b = en[c].to_numpy(dtype=float, na_value=np.nan)
        miss = np.isnan(a) | np.isnan(b)
        nonpos = ~miss & ((a <= 0) | (b <= 0))
        if nonpos.any() and nonpositive == "raise":
            raise OutcomeError(
                f"consumption {c!r}: expected positive values at both ends of every interval "
                f"(logs), found {int(nonpos.sum())} interval(s) with a value <= 0; pass "
                "nonpositive='exclude' to leave them out (counted)"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(miss | nonpos, np.nan, np.log(b) - np.log(a))
        name = f"dlog_{c}"
        out[name] = g
        outcome_cols.append(name)
        counts.append((f"missing consumption {c!r} (either wave)", int(miss.sum())))
        if nonpositive == "exclude":
            counts.append((f"non-positive consumption {c!r} (excluded)", int(nonpos.sum())))
    # county attributes and index of the START county in year (end wave - lag); the index
    # always comes from the county panel, other county columns only when the household frame
    # has no column of that name
    cp_cols = index + [
        c for c in counties.columns if c not in (county, year, *index) and c not in out.columns
    ]
    cp = counties[[county, year] + cp_cols].rename(
        columns={year: "_year", **{c: f"{c}_lag" for c in index}}
    )
    no_county = out[county].isna().to_numpy()
    out["_year"] = out[wave].to_numpy(dtype=float) - lag  # numbers (checked), any dtype
    merged = out.merge(cp, how="left", on=[county, "_year"], validate="m:1")
    merged = merged.drop(columns=["_year"])
    counts.append(("county missing at the start wave (no index)", int(no_county.sum())))
    index_cols = []
    for c in index:
        name = f"{c}_lag"
        index_cols.append(name)
        n_miss = int((merged[name].isna().to_numpy() & ~no_county).sum())
        counts.append((f"index {c!r} missing for the start county-year", n_miss))
    label = str(households.attrs.get("welfare_label", ""))
    h_syn = bool(households.attrs.get("welfare_synthetic", False))
    c_syn = bool(counties.attrs.get("welfare_synthetic", False))
    if c_syn and not h_syn:  # synthetic county data make the growth panel synthetic too
        c_label = str(counties.attrs.get("welfare_label", "")) or "SYNTHETIC county panel"
        label = f"{label} with {c_label}" if label else c_label
    merged.attrs = {"welfare_label": label, "welfare_synthetic": h_syn or c_syn}
    return GrowthPanel(
        data=merged,
        counts=tuple(counts),
        waves=tuple(waves),
        index_columns=tuple(index_cols),
        outcome_columns=tuple(outcome_cols),
        lag=lag,
    )


# ============================================================================ estimators
def _check_growth_columns(panel, outcomes, index) -> None:
    """With a GrowthPanel, the outcome must be a growth column and the index a lagged index.

    The growth frame also carries the start-wave levels of other columns (e.g. a category
    that was not passed to ``consumption=``); a regression of such a level would run and
    report "growth coefficients" in RMB, so it is refused here.
    """
    if not isinstance(panel, GrowthPanel):
        return
    for o in outcomes:
        if o not in panel.outcome_columns:
            raise UnknownOptionError(
                f"outcome {o!r}: expected a growth column of this GrowthPanel "
                f"{list(panel.outcome_columns)} (growth_panel(consumption=...) makes dlog_<c> "
                f"for each consumption column c), found {o!r}"
            )
    if index not in panel.index_columns:
        raise UnknownOptionError(
            f"index {index!r}: expected a lagged index column of this GrowthPanel "
            f"{list(panel.index_columns)}, found {index!r}"
        )


def _panel_frame(panel) -> tuple[pd.DataFrame, list[str]]:
    if isinstance(panel, GrowthPanel):
        return panel.data, panel.notes()
    if isinstance(panel, pd.DataFrame):
        return panel, []
    raise TypeError(f"panel: expected a GrowthPanel or DataFrame, found {type(panel).__name__}")


@dataclass(frozen=True)
class _Spec:
    formula: str
    rhs: list[str]
    interactions: list[str]
    absorbed: list[str]
    design: SurveyDesign | None


def _spec(frame, outcome, index, groups, controls, fixed_effects, weights, cluster) -> _Spec:
    groups = as_columns("groups", groups)
    controls = as_columns("controls", controls)
    fixed_effects = as_columns("fixed_effects", fixed_effects)
    if not isinstance(outcome, str) or not isinstance(index, str):
        raise UnknownOptionError(
            f"outcome and index: expected column names, found {outcome!r}, {index!r}"
        )
    seen: dict[str, str] = {}
    for role, names in (
        ("outcome", [outcome]),
        ("index", [index]),
        ("groups", groups),
        ("controls", controls),
    ):
        for c in names:
            if c in seen:
                raise UnknownOptionError(
                    f"{c!r}: expected each column once among outcome, index, groups and "
                    f"controls, found it in {seen[c]} and {role}"
                )
            seen[c] = role
    cols = [outcome, index] + groups + controls + fixed_effects
    cols += [c for c in (weights, cluster) if c is not None]
    require_columns(frame, cols)
    if len(frame) == 0:
        raise EmptySampleError(
            "panel: expected growth observations, found none (see the growth panel's counts: "
            "e.g. a single wave or no consecutive waves)"
        )
    check_names([outcome, index] + groups + controls)
    if not pd.api.types.is_numeric_dtype(frame[outcome]):
        raise ColumnTypeError(
            f"outcome {outcome!r}: expected numbers, found {frame[outcome].dtype}"
        )
    for g in groups:
        check_binary(frame, g, role="group")
    absorbed = []
    for g in groups:  # a household-constant group is absorbed by household fixed effects
        for fe in fixed_effects:
            if (frame.groupby(fe, observed=True)[g].nunique(dropna=True) <= 1).all():
                absorbed.append(g)
                break
    inter = [f"{index}:{g}" for g in groups]
    mains = [g for g in groups if g not in absorbed]
    rhs = [index] + inter + mains + controls
    design = SurveyDesign(weights=weights, weight_type="pweight") if weights else None
    return _Spec(f"{outcome} ~ " + " + ".join(rhs), rhs, inter, absorbed, design)


def _check_fit(res: Results, frame: pd.DataFrame, outcome: str, needed: list[str]) -> None:
    """Refuse a fit whose tested terms were dropped or whose standard errors are not usable.

    Raises
    ------
    CollinearityError
        A term of ``needed`` (the index and its interactions) dropped as collinear.
    OutcomeError
        The outcome is constant in the estimation sample.
    VarianceError
        A perfect fit (R2 = 1), or a zero or non-finite standard error (no variation left
        after the fixed effects).
    """
    gone = [t for t in needed if t not in res.terms]
    if gone:
        raise CollinearityError(
            f"expected the index and its interactions {needed} to be estimable, found {gone} "
            "dropped as collinear (with the fixed effects, the groups or the controls)"
        )
    y = frame.loc[res.sample.mask, outcome].to_numpy(dtype=float, na_value=np.nan)
    if np.ptp(y) == 0:
        raise OutcomeError(
            f"outcome {outcome!r}: expected variation in the estimation sample, found the "
            f"constant value {float(y[0])!r} in all {len(y)} rows"
        )
    if res.extra.get("r2") is not None and res.extra["r2"] >= 1.0:
        raise VarianceError(
            f"outcome {outcome!r}: expected residual variation, found a perfect fit (R2 = 1: "
            "the outcome is an exact function of the regressors and fixed effects), so the "
            "standard errors are rounding noise"
        )
    se, est = res.std_errors.to_numpy(), res.params.to_numpy()
    bad = [
        t
        for t, s, b in zip(res.terms, se, est, strict=True)
        if not (s > 0 and np.isfinite(s) and np.isfinite(b))
    ]
    if bad:
        raise VarianceError(
            f"outcome {outcome!r}: expected finite, positive standard errors, found zero or "
            f"non-finite ones for {bad} (no variation left after the fixed effects, or values "
            "beyond floating-point range)"
        )


def _with_notes(res: Results, notes: list[str], estimator: str | None = None) -> Results:
    """Return the same Results with further notes (a refit with another vcov keeps them)."""
    base_refit = res._refit

    def refit(new_vcov: str) -> Results:
        return _with_notes(base_refit(new_vcov), notes, estimator)

    return res.replace(
        estimator=estimator or res.estimator,
        notes=list(res.notes) + list(notes),
        refit=refit if base_refit is not None else None,
    )


@dataclass(frozen=True)
class GrowthResults:
    """Coefficients of the growth regression and the group slopes derived from them.

    Attributes
    ----------
    coefficients : Results
        All coefficients (index, ``index:group`` interactions, group main effects, controls).
    index : str
    groups : tuple of str
    panel_counts : tuple of (str, int)
        Counts of the growth panel (also in ``coefficients.notes``).
    patterns : tuple of tuple of int
        0/1 group patterns present in the estimation sample (order of ``groups``).
    """

    coefficients: Results
    index: str
    groups: tuple[str, ...]
    panel_counts: tuple[tuple[str, int], ...]
    patterns: tuple[tuple[int, ...], ...]

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Tidy table of the coefficients."""
        return self.coefficients.tidy(alpha)

    def with_vcov(self, vcov: str) -> GrowthResults:
        """Return the same fit with another variance (``"iid"``, ``"HC1"``, ``"CRV1"``).

        The coefficients, the sample and the groups are unchanged; :meth:`slopes` and
        :meth:`equal_slopes` of the result use the new covariance.
        """
        return dataclasses.replace(self, coefficients=self.coefficients.with_vcov(vcov))

    def summary(self, alpha: float = 0.05, digits: int = 4) -> str:
        """Text summary of the coefficients (as :meth:`Results.summary`)."""
        return self.coefficients.summary(alpha=alpha, digits=digits)

    def __repr__(self) -> str:
        return (
            f"GrowthResults(index={self.index!r}, groups={self.groups}, "
            f"n_obs={self.coefficients.n_obs}, vcov={self.coefficients.vcov_spec.kind!r}; "
            ".summary(), .slopes(), .equal_slopes())"
        )

    def _combos(self) -> list[tuple[int, ...]]:
        m = len(self.groups)
        base = tuple([0] * m)
        singles = [tuple(int(i == j) for i in range(m)) for j in range(m)]
        rest = sorted(
            (p for p in self.patterns if sum(p) >= 2), key=lambda p: (sum(p), [-x for x in p])
        )
        return [base] + singles + rest

    def _label(self, p: tuple[int, ...]) -> str:
        on = [g for g, x in zip(self.groups, p, strict=True) if x]
        if on:
            return " & ".join(on)
        if not self.groups:
            return "all"
        return "base (" + ", ".join(f"{g}=0" for g in self.groups) + ")"

    def slopes(self) -> Results:
        """Slope of the index per group: ``b_index + sum_{g in group} b_{index:g}``.

        Rows: the base group (all groups 0), each group alone, and every other combination
        present in the estimation sample (e.g. ``rural & inland & poor``). Linear combinations
        ``L b`` with covariance ``L V L'`` from the coefficient covariance (same df).
        """
        res = self.coefficients
        terms = list(res.terms)
        combos = self._combos()
        L = np.zeros((len(combos), len(terms)))
        for r, p in enumerate(combos):
            L[r, terms.index(self.index)] = 1.0
            for g, x in zip(self.groups, p, strict=True):
                if x:
                    L[r, terms.index(f"{self.index}:{g}")] = 1.0
        b = res.params.to_numpy()
        V = res.vcov.to_numpy()
        present = set(self.patterns)
        notes = [f"Slope of {self.index!r} by group (linear combinations of the coefficients)."] + [
            f"group {self._label(p)!r} has no observation in the estimation sample "
            "(extrapolated slope)"
            for p in combos
            if p not in present
        ]
        return Results(
            terms=[self._label(p) for p in combos],
            estimates=L @ b,
            vcov=L @ V @ L.T,
            vcov_spec=res.vcov_spec,
            estimator=res.estimator,
            estimand=f"slope of {self.index} by group",
            sample=res.sample,
            n_obs=res.n_obs,
            weights=res.weights,
            data_label=res.data_label,
            synthetic=res.synthetic,
            extra={"L": L},
            notes=list(res.notes) + notes,
            formula=res.formula,
        )

    def equal_slopes(self) -> pd.DataFrame:
        """Wald tests that the index slope is the same for all groups.

        Each interaction ``b_{index:g} = 0``: t test with the coefficient df. All jointly:
        ``F = (R b)' (R V R')^-1 (R b) / q`` with reference F(q, df), df = G - 1 under CRV1 (as
        Stata's ``test`` after ``regress, vce(cluster)``).

        Returns
        -------
        pandas.DataFrame
            Columns ``test, statistic, df_num, df_den, p_value, distribution``.
        """
        res = self.coefficients
        terms = list(res.terms)
        b = res.params.to_numpy()
        V = res.vcov.to_numpy()
        df = res.df
        rows = []
        inter = [f"{self.index}:{g}" for g in self.groups]
        for t in inter:
            i = terms.index(t)
            stat = b[i] / np.sqrt(V[i, i])
            p = 2 * (stats.t.sf(abs(stat), df) if df is not None else stats.norm.sf(abs(stat)))
            rows.append((f"{t} = 0", stat, 1, df, p, "t" if df is not None else "z"))
        if inter:
            idx = [terms.index(t) for t in inter]
            R = np.zeros((len(idx), len(terms)))
            R[np.arange(len(idx)), idx] = 1.0
            rb = R @ b
            W = float(rb @ np.linalg.solve(R @ V @ R.T, rb))
            q = len(idx)
            if df is not None:
                rows.append(("all interactions = 0", W / q, q, df, stats.f.sf(W / q, q, df), "F"))
            else:
                rows.append(("all interactions = 0", W, q, None, stats.chi2.sf(W, q), "chi2"))
        return pd.DataFrame(
            rows, columns=["test", "statistic", "df_num", "df_den", "p_value", "distribution"]
        )


@strict_keywords
def consumption_growth(
    panel,
    *,
    outcome: str = "dlog_consumption_pc",
    index: str = "edi_lag",
    groups: tuple[str, ...] | list[str] = ("rural", "inland", "poor"),
    controls: list[str] | None = None,
    fixed_effects: tuple[str, ...] | list[str] | None = ("wave",),
    weights: str | None = "weight",
    cluster: str | None = "county_id",
    vcov: str | None = None,
) -> GrowthResults:
    """Consumption growth on the lagged county index with group interactions (F5).

    Parameters
    ----------
    panel : GrowthPanel or pandas.DataFrame
        From :func:`growth_panel` (its counts go into the notes). Not modified.
    outcome : str, default "dlog_consumption_pc"
        Growth of log consumption per person between consecutive waves (log points).
    index : str, default "edi_lag"
        Start county's index (index points).
    groups : sequence of str, default ("rural", "inland", "poor")
        0/1 columns interacted with the index; their main effects enter unless constant
        within a fixed effect (then absorbed, noted).
    controls : list of str, optional
    fixed_effects : sequence of str, default ("wave",)
        Absorbed, e.g. ``("hh_id", "wave")``; singleton groups dropped and counted.
    weights : str or None, default "weight"
        pweights.
    cluster : str or None, default "county_id"
        Clusters (the start county).
    vcov : {"iid", "HC1", "CRV1"} or None
        None: CRV1 with ``cluster`` (df = G - 1).

    Returns
    -------
    GrowthResults
        ``.coefficients`` (terms ``index``, ``index:g``, ``g``, controls), ``.slopes()``,
        ``.equal_slopes()``.

    Raises
    ------
    MissingColumnError, ColumnTypeError, TreatmentError (a group not 0/1 or constant),
    EmptySampleError, VarianceError, UnknownOptionError
        As :func:`welfare.inference.linear.fit_ols`; EmptySampleError also for a panel with
        no rows.
    CollinearityError
        The index or an ``index:group`` interaction dropped as collinear (e.g. an index that
        does not vary, or two identical groups).
    OutcomeError
        An outcome that is constant in the estimation sample.
    VarianceError
        Also a perfect fit (R2 = 1) or a zero or non-finite standard error (no variation left
        after the fixed effects).
    UnknownOptionError
        Also a column given twice among ``outcome``, ``index``, ``groups`` and ``controls``.

    Notes
    -----
    ``dlog c_iw = (b0 + sum_g b_g G_ig) I_i,w + sum_g m_g G_ig + x'd + FE + e``; WLS with
    pweights, CRV1 ``G/(G-1) (N-1)/(N-K)``. Source: Luo, Wang & Zhang (2019),
    doi:10.1596/1813-9450-8810.
    """
    _check_growth_columns(panel, [outcome], index)
    frame, notes = _panel_frame(panel)
    sp = _spec(frame, outcome, index, groups, controls, fixed_effects, weights, cluster)
    fes = as_columns("fixed_effects", fixed_effects)
    res = fit_ols(
        sp.formula,
        frame,
        fixed_effects=fes or None,
        design=sp.design,
        cluster=cluster,
        vcov=vcov,
        estimator="WLS consumption growth" if weights else "OLS consumption growth",
        estimand="growth coefficients",
    )
    _check_fit(res, frame, outcome, [index] + sp.interactions)
    extra_notes = list(notes)
    if sp.absorbed:
        extra_notes.append(
            f"main effect(s) of {sp.absorbed} constant within the fixed effects: absorbed"
        )
    res = _with_notes(res, extra_notes)
    gs = as_columns("groups", groups)
    sub = frame.loc[res.sample.mask, gs]
    patterns = tuple(
        sorted({tuple(int(v) for v in r) for r in sub.to_numpy(dtype=float)}) if gs else [()]
    )
    return GrowthResults(
        coefficients=res,
        index=index,
        groups=tuple(gs),
        panel_counts=panel.counts if isinstance(panel, GrowthPanel) else (),
        patterns=patterns,
    )


@strict_keywords
def split_samples(
    panel,
    *,
    by: str = "rural",
    outcome: str = "dlog_consumption_pc",
    index: str = "edi_lag",
    controls: list[str] | None = None,
    fixed_effects: tuple[str, ...] | list[str] | None = ("wave",),
    weights: str | None = "weight",
    cluster: str | None = "county_id",
    vcov: str | None = None,
) -> Results:
    """Index slope estimated separately for ``by = 0`` and ``by = 1``, and their difference.

    The two slopes are the coefficients of the fully interacted (stacked) regression
    ``y = sum_v 1(by=v) (b_v I + x'd_v) + FE x by + e`` (fixed effects interacted with
    ``by``), whose coefficients equal those of separate regressions on each subsample; its
    CRV1 covariance over all clusters keeps the covariance between the subsample slopes
    (counties with households in both groups), so ``b_1 - b_0`` is tested with the right
    standard error (Wald t, df = G - 1 of the pooled clustering).

    Parameters
    ----------
    panel : GrowthPanel or pandas.DataFrame
    by : str, default "rural"
        0/1 column defining the subsamples.
    outcome, index, controls, fixed_effects, weights, cluster, vcov
        As :func:`consumption_growth` (no group interactions).

    Returns
    -------
    Results
        Terms ``"<index> [<by>=0]"``, ``"<index> [<by>=1]"``, ``"difference (1 - 0)"``;
        ``extra["separate_std_errors"]``: the CRV1 SEs of the separate regressions (their own
        G and small-sample factor), ``extra["separate_estimates"]``.

    Raises
    ------
    TreatmentError
        ``by`` not 0/1 or constant.
    DataError
        A generated column name (``_<index>__<by>0``, ``_const__<by>1``, ...) already taken.
    MissingColumnError, ColumnTypeError, EmptySampleError, VarianceError, UnknownOptionError,
    CollinearityError, OutcomeError
        As :func:`consumption_growth` (in either subsample).

    Notes
    -----
    Rows with a missing ``by`` are left out and counted under the first generated regressor of
    the stacked regression (a note says so).
    """
    if not isinstance(by, str):
        raise UnknownOptionError(f"by: expected one column name (str), found {by!r}")
    _check_growth_columns(panel, [outcome], index)
    frame, notes = _panel_frame(panel)
    require_columns(frame, [by])
    check_binary(frame, by, role="split group")
    sp = _spec(frame, outcome, index, [], controls, fixed_effects, weights, cluster)
    fes = as_columns("fixed_effects", fixed_effects)
    ctr = as_columns("controls", controls)
    generated = [f"_{c}__{by}{v}" for v in (0, 1) for c in [index] + ctr]
    generated += [f"_const__{by}{v}" for v in (0, 1)] + [f"_{fe}__by_{by}" for fe in fes]
    taken = [c for c in generated if c in frame.columns]
    if taken:
        raise DataError(
            f"expected the generated column names {taken} to be free, found them in the input "
            "(rename those columns)"
        )
    sep_est, sep_se = [], []
    for v in (0, 1):
        sub = frame.loc[frame[by] == v]
        try:
            r = fit_ols(
                sp.formula,
                sub,
                fixed_effects=fes or None,
                design=sp.design,
                cluster=cluster,
                vcov=vcov,
            )
            _check_fit(r, sub, outcome, [index])
        except (EmptySampleError, VarianceError, OutcomeError, CollinearityError) as e:
            raise type(e)(f"split_samples, subsample {by}={v}: {e}") from e  # which one failed
        sep_est.append(float(r.params[index]))
        sep_se.append(float(r.std_errors[index]))
    st = frame.copy()
    st.attrs = dict(frame.attrs)
    b = st[by]
    names = {}
    for v in (0, 1):
        ind = (b == v).astype(float).where(b.notna())
        for c in [index] + ctr:
            names[(c, v)] = f"_{c}__{by}{v}"
            st[names[(c, v)]] = st[c] * ind
        st[f"_const__{by}{v}"] = ind
    new_fe = []
    for fe in fes:
        name = f"_{fe}__by_{by}"
        st[name] = st[fe].astype(str).where(st[fe].notna()) + "|" + b.astype(str)
        st.loc[b.isna() | st[fe].isna(), name] = np.nan
        new_fe.append(name)
    rhs = [names[(c, v)] for v in (0, 1) for c in [index] + ctr]
    if not fes:
        rhs = [f"_const__{by}1"] + rhs  # intercept + shift = one intercept per group
    formula = f"{outcome} ~ " + " + ".join(rhs)
    res = fit_ols(
        formula,
        st,
        fixed_effects=new_fe or None,
        design=sp.design,
        cluster=cluster,
        vcov=vcov,
        estimator="WLS split samples (stacked)" if weights else "OLS split samples (stacked)",
    )
    _check_fit(res, st, outcome, [names[(index, 0)], names[(index, 1)]])
    terms = list(res.terms)
    i0, i1 = terms.index(names[(index, 0)]), terms.index(names[(index, 1)])
    n_by = int(frame[by].isna().sum())
    by_note = [f"{n_by} row(s) with missing {by!r} are counted under {rhs[0]!r}."] if n_by else []
    L = np.zeros((3, len(terms)))
    L[0, i0] = L[1, i1] = L[2, i1] = 1.0
    L[2, i0] = -1.0
    bb, V = res.params.to_numpy(), res.vcov.to_numpy()
    return Results(
        terms=[f"{index} [{by}=0]", f"{index} [{by}=1]", "difference (1 - 0)"],
        estimates=L @ bb,
        vcov=L @ V @ L.T,
        vcov_spec=res.vcov_spec,
        estimator=res.estimator,
        estimand=f"slope of {index} by {by}",
        sample=res.sample,
        n_obs=res.n_obs,
        weights=res.weights,
        data_label=res.data_label,
        synthetic=res.synthetic,
        extra={"separate_estimates": tuple(sep_est), "separate_std_errors": tuple(sep_se)},
        notes=list(res.notes)
        + list(notes)
        + [
            "Slopes from the fully interacted (stacked) regression (equal to separate "
            "regressions); the difference uses the pooled cluster covariance."
        ]
        + by_note,
        formula=res.formula,
    )


@strict_keywords
def by_category(
    panel,
    *,
    outcomes: tuple[str, ...] | list[str] | None = None,
    index: str = "edi_lag",
    groups: tuple[str, ...] | list[str] = ("rural", "inland", "poor"),
    controls: list[str] | None = None,
    fixed_effects: tuple[str, ...] | list[str] | None = ("wave",),
    weights: str | None = "weight",
    cluster: str = "county_id",
    romano_wolf: bool = True,
    reps: int = 9999,
    weights_type: str = "rademacher",
    random_state: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """Index slope and interactions per consumption category with multiple-testing p-values.

    For each tested term (the index and each ``index:group`` interaction) the S categories are
    a family: ``p_value`` is the CRV1 t p-value (df = G - 1), ``p_value_wild`` the single-test
    wild cluster restricted bootstrap p-value, ``p_value_romano_wolf`` the Romano-Wolf (2005)
    stepdown adjusted p-value computed from WCR bootstrap t statistics that use the SAME county
    draws for all categories and terms (so the dependence across categories is kept), and
    ``p_value_holm`` Holm's adjustment of ``p_value`` for comparison.

    Parameters
    ----------
    panel : GrowthPanel or pandas.DataFrame
    outcomes : sequence of str, optional
        Growth columns (one family). Default: with a GrowthPanel, every growth column it has
        except ``dlog_consumption_pc`` (the categories passed to ``growth_panel``); with a
        DataFrame, :data:`CATEGORY_OUTCOMES` (the four ``dlog_cons_*`` categories).
    index, groups, controls, fixed_effects, weights, cluster
        As :func:`consumption_growth`.
    romano_wolf : bool, default True
        False: skip the bootstrap (no ``p_value_wild``/``p_value_romano_wolf`` columns).
    reps : int, default 9999
    weights_type : {"rademacher", "webb", "mammen", "norm"}, default "rademacher"
    random_state : int or numpy.random.Generator, default 0

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome, term, estimate, std_error, statistic, p_value, conf_low, conf_high,
        p_value_holm`` [``, p_value_wild, p_value_romano_wolf``], ``n_obs, n_clusters``;
        ``attrs``: data label, synthetic flag, reps and seed.

    Raises
    ------
    UnknownOptionError
        Bad ``reps``, ``weights_type`` or ``random_state`` (checked also with
        ``romano_wolf=False``), duplicated ``outcomes``; otherwise as
        :func:`consumption_growth` and :func:`welfare.inference.wild.wild_bootstrap_t`.
    """
    from welfare.datasets._common import rng_from
    from welfare.inference.wild import _check_common, wild_bootstrap_t

    check_option("romano_wolf", romano_wolf, (True, False))
    _check_common(reps, weights_type, True)  # checked whether or not the bootstrap runs
    rng_from(random_state)
    if outcomes is None:
        outcomes = (
            [o for o in panel.outcome_columns if o != "dlog_consumption_pc"]
            if isinstance(panel, GrowthPanel)
            else list(CATEGORY_OUTCOMES)
        )
    outcomes = as_columns("outcomes", outcomes)
    if not outcomes:
        raise UnknownOptionError("outcomes: expected at least one outcome column, found none")
    dup = sorted({o for o in outcomes if outcomes.count(o) > 1})
    if dup:
        raise UnknownOptionError(f"outcomes: expected distinct column names, found {dup} twice")
    frame, _ = _panel_frame(panel)
    fits = {
        o: consumption_growth(
            panel,
            outcome=o,
            index=index,
            groups=groups,
            controls=controls,
            fixed_effects=fixed_effects,
            weights=weights,
            cluster=cluster,
        )
        for o in outcomes
    }
    tested = [index] + [f"{index}:{g}" for g in as_columns("groups", groups)]
    rows = []
    for o, f in fits.items():
        t = f.tidy().set_index("term")
        for term in tested:
            r = t.loc[term]
            rows.append(
                {
                    "outcome": o,
                    "term": term,
                    **r.to_dict(),
                    "n_obs": f.coefficients.n_obs,
                    "n_clusters": f.coefficients.vcov_spec.n_clusters,
                }
            )
    out = pd.DataFrame(rows)
    out["p_value_holm"] = np.nan
    for term in tested:
        m = out["term"] == term
        out.loc[m, "p_value_holm"] = holm(out.loc[m, "p_value"].to_numpy())
    attrs = {
        "welfare_label": frame.attrs.get("welfare_label", ""),
        "welfare_synthetic": bool(frame.attrs.get("welfare_synthetic", False)),
    }
    if romano_wolf:
        fes = as_columns("fixed_effects", fixed_effects)
        formulas, params = [], []
        for o in outcomes:
            sp = _spec(frame, o, index, groups, controls, fixed_effects, weights, cluster)
            for term in tested:
                formulas.append(sp.formula)
                params.append(term)
        boot = wild_bootstrap_t(
            formulas,
            frame,
            params=params,
            cluster=cluster,
            fixed_effects=fes or None,
            weights=weights,
            reps=reps,
            weights_type=weights_type,
            impose_null=True,
            random_state=random_state,
        )
        pw = boot.p_values()
        out["p_value_wild"] = pw
        out["p_value_romano_wolf"] = np.nan
        T = len(tested)
        for j, term in enumerate(tested):
            cols = [s * T + j for s in range(len(outcomes))]
            out.loc[out["term"] == term, "p_value_romano_wolf"] = _romano_wolf(
                boot.t_stats[cols], boot.boot_t[:, cols]
            )
        attrs.update(
            reps=boot.reps,
            seed=boot.seed,
            full_enumeration=boot.full_enumeration,
            weights_type=weights_type,
        )
    out.attrs = attrs
    return out
