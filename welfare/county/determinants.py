"""County determinants of e-commerce development (finding F6): indices, regressors, panel OLS.

The report (World Bank & Alibaba 2019, ch. on e-commerce across counties) regresses county
e-commerce indices of about 2,000 counties over 2013-2016 on county characteristics with
province and year fixed effects: e-commerce (online business and online shopping) is more
developed with higher GDP per capita, a smaller secondary sector, larger household savings, a
more developed financial sector and Taobao Villages; online shopping also rises with population
density and fixed-asset investment and falls with the primary-sector share; the link with
initial GDP per capita survives controls.

Three pieces:

* :func:`online_indices` (with :func:`index_reference`) builds the Online Business Index (OBI),
  the Online Shopping Index (OSI) and the e-commerce development index EDI = (OBI + OSI) / 2
  from seller/buyer counts and large-seller/large-buyer shares. **This is a documented
  construction in the spirit of AliResearch's county indices, not Alibaba's (unpublished)
  formula**:

      z1 = (log(sellers per 10,000 population) - m1) / s1,
      z2 = (logit(large seller share) - m2) / s2,
      OBI = 50 + 10 (z1 + z2) / 2,

  and OSI likewise from buyers per 10,000 population and the large-buyer share (z3, z4), where
  m_j and s_j are the mean and the standard deviation (ddof = 1) of component j over the
  counties of the reference year (default 2013). A county one reference-year standard
  deviation above the mean on both components scores 60.
* :func:`county_regressors` derives the F6 regressors from county statistics in levels.
* :func:`county_determinants` (and :func:`initial_gdp_regression`) fits

      index_it = a_p + l_t + X_i,t-lag' beta + u_it

  by OLS with province and year effects absorbed (``welfare.inference.linear.fit_ols``, engine
  pyfixest) and standard errors clustered by county (CRV1, small-sample factor
  (G/(G-1))((N-1)/(N-K)) with t reference and G - 1 df). K counts the regressors plus the
  fixed-effect parameters not nested in the clusters, sum of levels minus (number of fixed
  effects - 1): with province and year effects and county clusters K = k + P + T - 1, the
  column count of the full-rank dummy design with an intercept (pyfixest's default
  ``k_fixef="nonnested"``, as fixest and Stata's ``reghdfe``; checked by hand and against
  statsmodels on explicit dummies in ``tests/test_county_determinants.py``).

References
----------
World Bank & Alibaba Group (2019). *E-commerce Development: Experience from China*. Washington,
DC: World Bank. https://documents.worldbank.org/curated/en/552791574361533437
Correia, S. (2017). Linear models with high-dimensional fixed effects: an efficient and feasible
estimator (``reghdfe``). Working paper. http://scorreia.com/research/hdfe.pdf
Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
*Journal of Human Resources* 50(2), 317-372. doi:10.3368/jhr.50.2.317
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
from scipy import special

from welfare._estimation import check_names, pow2_unit, unpack
from welfare._options import as_columns, check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.data.sample import EstimationSample, require_columns
from welfare.errors import (
    CollinearityError,
    ColumnTypeError,
    DataError,
    DuplicateIdError,
    EmptySampleError,
    ImpossibleValueError,
    OutcomeError,
    UnknownOptionError,
)
from welfare.inference.linear import CollinearityWarning, ScaleWarning, fit_ols
from welfare.inference.results import Results

__all__ = [
    "F6_REGRESSORS",
    "REGRESSOR_DEFINITIONS",
    "INDEX_COMPONENTS",
    "online_indices",
    "index_reference",
    "county_regressors",
    "county_determinants",
    "initial_gdp_regression",
]

#: Regressors of the F6 regression, in the order of the report's claim.
F6_REGRESSORS = (
    "log_gdp_pc",
    "secondary_share",
    "primary_share",
    "log_savings_pc",
    "loans_to_gdp",
    "log_fai_pc",
    "log_pop_density",
    "taobao_village",
)

#: How :func:`county_regressors` derives each regressor from the county statistics.
REGRESSOR_DEFINITIONS = {
    "log_gdp_pc": "log(gdp_pc), gdp_pc in RMB per person",
    "secondary_share": "secondary sector share of GDP (as given, in [0, 1])",
    "primary_share": "primary sector share of GDP (as given, in [0, 1])",
    "log_savings_pc": "log(10^6 savings_deposits / population): household deposits, RMB/person",
    "loans_to_gdp": "loans / (gdp_pc population / 10^6): loans of financial institutions / GDP",
    "log_fai_pc": "log(10^6 fixed_asset_investment / population): RMB per person",
    "log_pop_density": "log(pop_density), persons per km2",
    "taobao_village": "1 if taobao_villages > 0 (the county has at least one Taobao Village)",
}

#: Index components: (index, column option, transform, description).
INDEX_COMPONENTS = (
    ("obi", "sellers", "log_per_10k", "log(online sellers per 10,000 population)"),
    ("obi", "large_seller_share", "logit", "logit(share of large sellers)"),
    ("osi", "buyers", "log_per_10k", "log(online buyers per 10,000 population)"),
    ("osi", "large_buyer_share", "logit", "logit(share of large buyers)"),
)

_LAG_FIRST = "lag 1: no year t-1 in the data (first year {y})"
_LAG_GAP = "lag 1: no row for (county, year - 1) (a gap in the county's years)"
_LAG_ID = "lag 1: missing county or year (the lag cannot be built)"
_MISSING_ID = "missing panel id (county or year)"


# ------------------------------------------------------------------ checks shared by the functions
def _frame(data) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data: expected a pandas DataFrame, found {type(data).__name__}")
    return data


def _flag(name: str, value) -> bool:
    """Return a True/False option as bool; refuse 1, 0 or "yes" rather than read them as one."""
    if not isinstance(value, bool | np.bool_):
        raise UnknownOptionError(f"{name}: expected True or False, found {value!r}")
    return bool(value)


def _name(name: str, value, optional: bool = False) -> None:
    """Refuse a column-name option that is not a str (or None when ``optional``)."""
    if not (isinstance(value, str) or (optional and value is None)):
        raise UnknownOptionError(
            f"{name}: expected a column name (str){' or None' if optional else ''}, found {value!r}"
        )


def _unique(name: str, cols: list[str]) -> None:
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise UnknownOptionError(f"{name}: expected each column once, found {dup} repeated")


def _numeric(frame: pd.DataFrame, cols, role: str) -> None:
    for c in cols:
        col = frame[c]
        if pd.api.types.is_bool_dtype(col):
            continue
        if not pd.api.types.is_numeric_dtype(col):
            raise ColumnTypeError(f"{role} {c!r}: expected numbers, found dtype {col.dtype}")


def _integer_years(frame: pd.DataFrame, year: str) -> pd.Series:
    """Years as int64 (missing kept as <NA>); ColumnTypeError for text or fractional years."""
    col = frame[year]
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        raise ColumnTypeError(
            f"year column {year!r}: expected integer years (e.g. 2013), found dtype {col.dtype}"
        )
    v = col.to_numpy(dtype=float, na_value=np.nan)
    ok = np.isnan(v) | (np.isfinite(v) & (v == np.round(v)))
    if not ok.all():
        raise ColumnTypeError(
            f"year column {year!r}: expected integer years, found {int((~ok).sum())} "
            f"non-integer value(s), e.g. {v[~ok][:3].tolist()}"
        )
    return pd.Series(v, index=frame.index).round().astype("Int64")


def _check_unique(frame: pd.DataFrame, county: str, year: str) -> None:
    ids = frame[[county, year]].dropna()
    dup = ids.duplicated(keep=False)
    if dup.any():
        ex = ids[dup].drop_duplicates().head(3).to_records(index=False).tolist()
        raise DuplicateIdError(
            f"expected one row per ({county}, {year}), found {int(dup.sum())} rows in "
            f"{int(ids[dup].drop_duplicates().shape[0])} duplicated pair(s), e.g. {ex}"
        )


# ------------------------------------------------------------------ indices
def _components(frame: pd.DataFrame, cols: dict[str, str], population: str) -> pd.DataFrame:
    """Return the four transformed components (log densities per 10,000 people, logits)."""
    needed = [population] + list(cols.values())
    require_columns(frame, needed)
    _numeric(frame, needed, "index component")
    n_miss = frame[needed].isna().sum()
    if n_miss.any():
        raise ImpossibleValueError(
            f"index components: expected no missing values, found {n_miss[n_miss > 0].to_dict()}"
            " (drop or impute those rows explicitly before building the indices)"
        )
    pop = frame[population].to_numpy(dtype=float)
    bad = ~np.isfinite(pop) | (pop <= 0)
    if bad.any():
        raise ImpossibleValueError(
            f"{population!r}: expected finite persons > 0, found {int(bad.sum())} other "
            f"value(s), e.g. {pop[bad][:3].tolist()}"
        )
    out = {}
    for _, key, transform, _desc in INDEX_COMPONENTS:
        col = cols[key]
        v = frame[col].to_numpy(dtype=float)
        if transform == "log_per_10k":
            bad = ~np.isfinite(v) | (v <= 0)
            if bad.any():
                raise ImpossibleValueError(
                    f"{col!r}: expected finite counts > 0 (the index takes logs), found "
                    f"{int(bad.sum())} other value(s), e.g. {v[bad][:3].tolist()}"
                )
            with np.errstate(over="ignore", under="ignore", divide="ignore"):
                out[key] = np.log(v / pop * 1e4)
            bad = ~np.isfinite(out[key])
            if bad.any():
                raise ImpossibleValueError(
                    f"{col!r}: expected a finite density per 10,000 {population!r}, found "
                    f"{int(bad.sum())} value(s) over- or underflowing float64"
                )
        else:
            bad = (v <= 0) | (v >= 1)
            if bad.any():
                raise ImpossibleValueError(
                    f"{col!r}: expected shares strictly between 0 and 1 (the index takes "
                    f"logits), found {int(bad.sum())} value(s) outside, e.g. {v[bad][:3].tolist()}"
                )
            out[key] = special.logit(v)
    return pd.DataFrame(out, index=frame.index)


def _index_inputs(data, reference_year, county, year, population, cols):
    frame = _frame(data)
    if isinstance(reference_year, bool) or not isinstance(reference_year, numbers.Integral):
        raise UnknownOptionError(
            f"reference_year: expected an integer year, found {reference_year!r}"
        )
    for key, col in {"county": county, "year": year, "population": population, **cols}.items():
        _name(key, col)
    require_columns(frame, [county, year, population] + list(cols.values()))
    years = _integer_years(frame, year)
    if years.isna().any():
        raise ImpossibleValueError(
            f"year column {year!r}: expected no missing years, found {int(years.isna().sum())}"
        )
    _check_unique(frame, county, year)
    comp = _components(frame, cols, population)
    ref = (years == int(reference_year)).to_numpy(dtype=bool)
    if ref.sum() < 2:
        raise EmptySampleError(
            f"reference_year={reference_year}: expected at least 2 counties in that year, found "
            f"{int(ref.sum())} (years in the data: {sorted(years.unique().tolist())})"
        )
    return comp, ref


def _reference_table(comp: pd.DataFrame, ref: np.ndarray) -> pd.DataFrame:
    rows = []
    for index, key, transform, desc in INDEX_COMPONENTS:
        v = comp[key].to_numpy()[ref]
        sd = float(np.std(v, ddof=1))
        if not sd > 0:
            raise ImpossibleValueError(
                f"index component {key!r}: expected variation across the reference-year "
                f"counties, found standard deviation {sd}"
            )
        rows.append((key, index, transform, desc, float(np.mean(v)), sd, int(ref.sum())))
    return pd.DataFrame(
        rows, columns=["component", "index", "transform", "definition", "mean", "sd", "n_counties"]
    ).set_index("component")


@strict_keywords
def index_reference(
    data,
    *,
    reference_year: int = 2013,
    county: str = "county_id",
    year: str = "year",
    population: str = "population",
    sellers: str = "online_sellers",
    large_seller_share: str = "large_seller_share",
    buyers: str = "online_buyers",
    large_buyer_share: str = "large_buyer_share",
) -> pd.DataFrame:
    """Reference-year means and standard deviations of the four index components.

    Parameters are those of :func:`online_indices`.

    Returns
    -------
    pandas.DataFrame, shape (4, 6)
        Index ``component`` (``sellers``, ``large_seller_share``, ``buyers``,
        ``large_buyer_share``); columns ``index`` (``"obi"``/``"osi"``), ``transform``
        (``"log_per_10k"`` or ``"logit"``), ``definition``, ``mean`` (m_j), ``sd`` (s_j, ddof =
        1, over the counties of the reference year) and ``n_counties``.

    Raises
    ------
    See :func:`online_indices`.
    """
    cols = {
        "sellers": sellers,
        "large_seller_share": large_seller_share,
        "buyers": buyers,
        "large_buyer_share": large_buyer_share,
    }
    comp, ref = _index_inputs(data, reference_year, county, year, population, cols)
    return _reference_table(comp, ref)


@strict_keywords
def online_indices(
    data,
    *,
    reference_year: int = 2013,
    county: str = "county_id",
    year: str = "year",
    population: str = "population",
    sellers: str = "online_sellers",
    large_seller_share: str = "large_seller_share",
    buyers: str = "online_buyers",
    large_buyer_share: str = "large_buyer_share",
) -> pd.DataFrame:
    """Online Business Index, Online Shopping Index and e-commerce development index.

    A documented construction in the spirit of AliResearch's county e-commerce indices (it is
    not Alibaba's formula, which is not published). With m_j, s_j the mean and standard
    deviation (ddof = 1) of component j over the counties of ``reference_year``,

        z1 = (log(10^4 sellers / population) - m1) / s1,
        z2 = (logit(large_seller_share) - m2) / s2,
        z3 = (log(10^4 buyers / population) - m3) / s3,
        z4 = (logit(large_buyer_share) - m4) / s4,

        OBI = 50 + 10 (z1 + z2) / 2,   OSI = 50 + 10 (z3 + z4) / 2,   EDI = (OBI + OSI) / 2.

    In the reference year the indices have mean 50 across counties; later years move with the
    components on the reference year's scale (index points, not re-standardised each year).
    The reference moments are those of ``data`` itself: a subset gives other indices.

    Parameters
    ----------
    data : pandas.DataFrame, shape (n_rows, n_columns)
        County-year panel, one row per county and year; not modified.
    reference_year : int, default 2013
        Year whose counties define m_j and s_j.
    county, year : str, default "county_id", "year"
        County id and (integer) year columns.
    population : str, default "population"
        Resident population (persons).
    sellers : str, default "online_sellers"
        Count of active online seller accounts located in the county (> 0).
    large_seller_share : str, default "large_seller_share"
        Share of those sellers above the size threshold, in (0, 1).
    buyers : str, default "online_buyers"
        Count of residents who bought online (> 0).
    large_buyer_share : str, default "large_buyer_share"
        Share of those buyers above the spending threshold, in (0, 1).

    Returns
    -------
    pandas.DataFrame, shape (n_rows, 3)
        Columns ``obi``, ``osi``, ``edi`` (index points), with the index of ``data``. The moments
        m_j, s_j are returned by :func:`index_reference`.

    Raises
    ------
    MissingColumnError
        A column is not in ``data``.
    ColumnTypeError
        A text column, or non-integer years.
    DuplicateIdError
        More than one row for a (county, year).
    ImpossibleValueError
        Missing components or years, infinite values, counts or population <= 0, shares outside
        (0, 1), a density that over- or underflows float64, a component without variation in
        the reference year.
    EmptySampleError
        Fewer than two counties in ``reference_year``.
    UnknownOptionError
        Unknown keywords, a non-integer ``reference_year``.
    """
    cols = {
        "sellers": sellers,
        "large_seller_share": large_seller_share,
        "buyers": buyers,
        "large_buyer_share": large_buyer_share,
    }
    comp, ref = _index_inputs(data, reference_year, county, year, population, cols)
    table = _reference_table(comp, ref)
    z = (comp - table["mean"]) / table["sd"]
    obi = 50 + 10 * (z["sellers"] + z["large_seller_share"]) / 2
    osi = 50 + 10 * (z["buyers"] + z["large_buyer_share"]) / 2
    return pd.DataFrame({"obi": obi, "osi": osi, "edi": (obi + osi) / 2}, index=data.index)


# ------------------------------------------------------------------ regressors
_SOURCES = (
    "gdp_pc",
    "population",
    "primary_share",
    "secondary_share",
    "savings_deposits",
    "loans",
    "fixed_asset_investment",
    "pop_density",
    "taobao_villages",
)


@strict_keywords
def county_regressors(data, *, overwrite: bool = False) -> pd.DataFrame:
    """Derive the F6 regressors from county statistics in levels.

    ``log_gdp_pc = log(gdp_pc)``; ``log_savings_pc = log(10^6 savings_deposits / population)``;
    ``loans_to_gdp = loans / (10^-6 gdp_pc population)``;
    ``log_fai_pc = log(10^6 fixed_asset_investment / population)``;
    ``log_pop_density = log(pop_density)``; ``taobao_village = 1[taobao_villages > 0]`` (an
    indicator: the report's regressor is the presence of Taobao Villages; counts are mostly 0
    and very skewed). ``primary_share`` and ``secondary_share`` enter as given (tertiary is the
    omitted sector). See :data:`REGRESSOR_DEFINITIONS`.

    Parameters
    ----------
    data : pandas.DataFrame, shape (n_rows, n_columns)
        Needs ``gdp_pc`` (RMB per person), ``population`` (persons), ``primary_share``,
        ``secondary_share`` (of GDP), ``savings_deposits``, ``loans``,
        ``fixed_asset_investment`` (RMB million), ``pop_density`` (persons per km2) and
        ``taobao_villages`` (count). Not modified; missing values stay missing (the estimator
        counts them as a drop reason).
    overwrite : bool, default False
        Replace derived columns already in ``data``; otherwise such a column is an error.

    Returns
    -------
    pandas.DataFrame, shape (n_rows, n_columns + 6)
        A copy of ``data`` with ``log_gdp_pc``, ``log_savings_pc``, ``loans_to_gdp``,
        ``log_fai_pc``, ``log_pop_density`` and ``taobao_village`` (0/1, float when a count is
        missing) added.

    Raises
    ------
    MissingColumnError
        A source column is absent.
    ColumnTypeError
        A text source column.
    ImpossibleValueError
        Infinite values; values <= 0 where a log or ratio is taken, negative loans or Taobao
        Village counts, fractional Taobao Village counts, sector shares outside [0, 1]; values
        so extreme that a derived regressor over- or underflows float64.
    DataError
        A derived column already exists and ``overwrite`` is False.
    UnknownOptionError
        Unknown keywords or a non-bool ``overwrite``.
    """
    frame = _frame(data)
    overwrite = _flag("overwrite", overwrite)
    require_columns(frame, list(_SOURCES))
    _numeric(frame, _SOURCES, "county statistic")
    derived = [r for r in F6_REGRESSORS if r not in ("primary_share", "secondary_share")]
    taken = [c for c in derived if c in frame.columns]
    if taken and not overwrite:
        raise DataError(
            f"county_regressors: expected the derived columns to be free, found {taken} already "
            "in the data (pass overwrite=True to replace them)"
        )

    def values(col, positive=True, lo=None, hi=None, whole=False):
        v = frame[col].to_numpy(dtype=float, na_value=np.nan)
        ok = np.isnan(v) | (np.isfinite(v) & (v > 0 if positive else v >= 0))
        if lo is not None:
            ok = np.isnan(v) | ((v >= lo) & (v <= hi))
        if whole:
            ok &= np.isnan(v) | (v == np.round(v))
        if not ok.all():
            rule = (
                f"in [{lo}, {hi}]"
                if lo is not None
                else ("finite and > 0" if positive else "finite and >= 0")
            ) + (" (whole counts)" if whole else "")
            raise ImpossibleValueError(
                f"{col!r}: expected values {rule}, found {int((~ok).sum())} other value(s), "
                f"e.g. {v[~ok][:3].tolist()}"
            )
        return v

    pop = values("population")
    gdp_pc = values("gdp_pc")
    values("primary_share", lo=0.0, hi=1.0)
    values("secondary_share", lo=0.0, hi=1.0)
    tv = values("taobao_villages", positive=False, whole=True)
    out = frame.copy()
    try:
        # an overflow (or an underflow to 0 under a log) would give inf or 0 without a word
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            out["log_gdp_pc"] = np.log(gdp_pc)
            out["log_savings_pc"] = np.log(values("savings_deposits") * 1e6 / pop)
            out["loans_to_gdp"] = values("loans", positive=False) / (gdp_pc * pop / 1e6)
            out["log_fai_pc"] = np.log(values("fixed_asset_investment") * 1e6 / pop)
            out["log_pop_density"] = np.log(values("pop_density"))
    except FloatingPointError as e:
        raise ImpossibleValueError(
            f"county_regressors: expected county statistics whose ratios are finite in float64, "
            f"found values so large or small that a derived regressor over- or underflows ({e})"
        ) from e
    ind = (tv > 0).astype(float)
    ind[np.isnan(tv)] = np.nan
    out["taobao_village"] = ind if np.isnan(tv).any() else ind.astype(np.int64)
    return out


# ------------------------------------------------------------------ estimator
def _first_year_values(work: pd.DataFrame, county: str, year: str, cols: list[str]) -> pd.DataFrame:
    """Each county's value of ``cols`` in its first year in the data (missing stays missing)."""
    ok = work[[county, year]].notna().all(axis=1)
    first = work.loc[ok].sort_values([county, year], kind="stable").groupby(county).head(1)
    first = first.set_index(county)[cols]
    # plain object keys: Series.map on a Categorical id column returns a Categorical, and a
    # categorical "<c>_initial" would enter the formula as dummies (or be dropped as collinear)
    ids = pd.Series(work[county].to_numpy(dtype=object), index=work.index)
    return pd.DataFrame({f"{c}_initial": ids.map(first[c]) for c in cols}, index=work.index)


def _lagged(
    work: pd.DataFrame, county: str, year: str, cols: list[str]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Regressors of (county, year - 1) by merge; masks of rows without a previous-year row."""
    idok = work[[county, year]].notna().all(axis=1).to_numpy()
    prev = work.loc[idok, [county, year] + cols].copy()
    prev[year] = prev[year] + 1
    prev = prev.rename(columns={c: f"{c}_lag1" for c in cols})
    prev["_has_prev"] = True
    left = work[[county, year]].reset_index(drop=True)
    merged = left.merge(prev, on=[county, year], how="left", validate="many_to_one")
    has_prev = merged["_has_prev"].fillna(False).to_numpy(dtype=bool) & idok
    first_year = work.loc[idok, year].min()
    is_first = idok & (work[year].to_numpy() == first_year)
    lagged = merged[[f"{c}_lag1" for c in cols]]
    lagged.index = work.index
    return lagged, has_prev, is_first, idok


def _weighted_sd(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted population sd, computed on ``x`` divided by a power of two (no overflow)."""
    u = pow2_unit(x)
    xs = x / u
    m = np.average(xs, weights=w)
    return float(np.sqrt(np.average((xs - m) ** 2, weights=w))) * u


@strict_keywords
def county_determinants(
    data,
    *,
    outcome: str = "obi",
    regressors=F6_REGRESSORS,
    fixed_effects=("province", "year"),
    cluster: str | None = "county_id",
    lag: int = 0,
    initial=(),
    standardize: bool = False,
    weights: str | None = None,
    county: str = "county_id",
    year: str = "year",
) -> Results:
    """County determinants of e-commerce development: panel OLS with absorbed fixed effects.

    Model (finding F6), for county i in province p and year t, with L = ``lag``:

        y_it = a_p + l_t + X_i,t-L' beta + Z_i0' gamma + u_it,

    y an index (OBI, OSI or EDI, :func:`online_indices`), X the county characteristics
    (:data:`F6_REGRESSORS`, from :func:`county_regressors`), Z_i0 their values in the county's
    first year in the data (``initial``), a_p and l_t absorbed (``fixed_effects``), standard
    errors clustered by county (CRV1, see the module docstring). The regressors are read as
    correlates, not causes: the report's claim is about association.

    Parameters
    ----------
    data : pandas.DataFrame, shape (n_rows, n_columns)
        County-year panel, one row per (county, year); not modified.
    outcome : str, default "obi"
        Outcome column (index points).
    regressors : sequence of str, default :data:`F6_REGRESSORS`
        Numeric regressor columns (units as in :data:`REGRESSOR_DEFINITIONS`).
    fixed_effects : sequence of str, default ("province", "year")
        Effects absorbed (singleton groups dropped and counted).
    cluster : str or None, default "county_id"
        Cluster column for CRV1 standard errors; ``None`` gives iid standard errors.
    lag : {0, 1}, default 0
        0: contemporaneous regressors. 1: the regressors of the same county in year t - 1,
        joined on (county, year - 1); rows of the first year of the data, and rows whose county
        has no row for year t - 1 (a gap), have no lag and are counted as drop reasons. Terms
        are named ``<regressor>_lag1``.
    initial : sequence of str, default ()
        Columns whose value in the county's first year in the data (2013 in the twin) enters as
        a time-constant regressor ``<column>_initial`` (e.g. ``("log_gdp_pc",)``). Collinear
        with county fixed effects, so refused when ``county`` is among ``fixed_effects``.
    standardize : bool, default False
        Report beta coefficients b_k sd(x_k) / sd(y), sds over the estimation sample (weighted
        when ``weights``; population formula), with standard errors scaled by the same factor
        (the sds are treated as fixed). Identical to the regression of z-scored y on z-scored x.
        Without fixed effects the intercept has no beta coefficient and is omitted.
    weights : str or None, default None
        Analytic weights (``aweight``, e.g. population); scale-free (estimates and standard
        errors do not change when the weights are multiplied by a constant).
    county, year : str, default "county_id", "year"
        County id and integer year columns. Rows missing either are always dropped and
        counted (``"missing panel id (county or year)"``; with ``lag=1`` the lag reason), so the
        sample does not depend on ``cluster`` (the variance choice).

    Returns
    -------
    Results
        One term per regressor (and ``<column>_initial``); estimates in index points per unit
        of the regressor (per log point for the logs, per unit share for the shares). The
        sample counts every dropped row by reason (lag, missing values, singletons); notes and
        ``extra`` give the lag, the fixed effects and the number of clusters (of the variance
        in use, also after ``with_vcov``). :func:`welfare.inference.linear.fit_ols` fits with the
        outcome and the regressors divided by powers of two near their standard deviations
        (undone exactly), so results do not depend on their units (pyfixest's demeaning and
        collinearity tolerances are absolute).

    Raises
    ------
    MissingColumnError
        The outcome, a regressor, a fixed effect, the cluster, county, year or weight column is
        absent.
    ColumnTypeError
        A text outcome or regressor; non-integer years.
    DuplicateIdError
        More than one row for a (county, year).
    CollinearityError
        A regressor without variation within the fixed effects (or collinear with the other
        regressors); ``initial`` with county fixed effects.
    DataError
        A generated column name (``_lag1``, ``_initial``) clashes with a regressor.
    OutcomeError
        An outcome without variation in the estimation sample, or one the fixed effects and
        regressors fit exactly (zero standard errors would make every statistic NaN).
    ImpossibleValueError
        Infinite outcome or regressor values; estimates or variances that over- or underflow
        float64 in the units of the data (e.g. a regressor multiplied by 1e200).
    EmptySampleError, VarianceError, InvalidWeightError
        Too few rows or clusters; invalid weights.
    UnknownOptionError
        Unknown keywords; ``lag`` not the integer 0 or 1; ``standardize`` not True/False; a
        string where a list of columns is expected, a column name that is not a str; a column
        repeated in ``regressors``, ``initial`` or ``fixed_effects``; the outcome among the
        regressors.
    """
    frame = _frame(data)
    inp = unpack(frame, None)  # duplicated column names refused; label and synthetic flag
    if isinstance(lag, bool | np.bool_) or not isinstance(lag, numbers.Integral):
        raise UnknownOptionError(f"lag: expected the integer 0 or 1, found {lag!r}")
    lag = int(check_option("lag", lag, (0, 1)))
    standardize = _flag("standardize", standardize)
    regressors = as_columns("regressors", regressors)
    fixed_effects = as_columns("fixed_effects", fixed_effects)
    initial = as_columns("initial", initial)
    if not regressors and not initial:
        raise UnknownOptionError("regressors: expected at least one regressor, found none")
    _name("outcome", outcome)
    _name("weights", weights, optional=True)
    _name("cluster", cluster, optional=True)
    _name("county", county)
    _name("year", year)
    _unique("regressors", regressors)
    _unique("initial", initial)
    _unique("fixed_effects", fixed_effects)
    if outcome in regressors + initial:
        raise UnknownOptionError(
            f"outcome {outcome!r}: expected a column that is not also a regressor, found it in "
            f"regressors={regressors} / initial={initial}"
        )
    require_columns(frame, [outcome], role="outcome")
    require_columns(frame, regressors + initial, role="regressor")
    require_columns(frame, fixed_effects, role="fixed effect")
    require_columns(frame, [county, year], role="panel id")
    if cluster is not None:
        require_columns(frame, [cluster], role="cluster")
    if weights is not None:
        require_columns(frame, [weights], role="weight")
    check_names([outcome] + regressors + initial + fixed_effects + [county, year])
    _numeric(frame, [outcome], "outcome")
    _numeric(frame, regressors + initial, "regressor")
    if initial and county in fixed_effects:
        raise CollinearityError(
            f"initial={initial}: first-year values are constant within a county, so they are "
            f"collinear with the county fixed effects {county!r}; expected fixed effects without "
            f"{county!r} (e.g. province and year), found {fixed_effects}"
        )
    years = _integer_years(frame, year)
    _check_unique(frame, county, year)

    used = list(
        dict.fromkeys(
            [outcome, county, year]
            + regressors
            + initial
            + fixed_effects
            + ([cluster] if cluster else [])
            + ([weights] if weights else [])
        )
    )
    # positional index: the row index of ``data`` may be non-unique or carry level names equal
    # to column names (set_index(..., drop=False)), which the merges and groupbys below refuse
    work = frame[used].reset_index(drop=True)
    yv = years.astype("int64") if not years.isna().any() else years.astype(float)
    work[year] = yv.to_numpy()
    work.attrs = dict(frame.attrs)
    n = len(work)
    # a row without its county or year is dropped whatever the options: with cluster=None it
    # would otherwise stay in and the sample would change with the variance choice
    pre_keep = work[[county, year]].notna().all(axis=1).to_numpy()
    pre_dropped: list[tuple[str, int]] = []
    if lag == 0 and not pre_keep.all():
        pre_dropped.append((_MISSING_ID, int((~pre_keep).sum())))
    notes: list[str] = []
    terms = list(regressors)
    if lag == 1:
        lagged, has_prev, is_first, idok = _lagged(work, county, year, regressors)
        clash = [c for c in lagged.columns if c in work.columns]
        if clash:
            raise DataError(f"lag: expected free names for the lagged regressors, found {clash}")
        work = pd.concat([work, lagged], axis=1)
        first_year = int(work.loc[idok, year].min()) if idok.any() else None
        for reason, miss in (
            (_LAG_ID, ~idok),
            (_LAG_FIRST.format(y=first_year), idok & is_first),
            (_LAG_GAP, idok & ~is_first & ~has_prev),
        ):
            if miss.any():
                pre_dropped.append((reason, int(miss.sum())))
        pre_keep = has_prev
        terms = [f"{r}_lag1" for r in regressors]
        notes.append(
            "Regressors at lag 1: values of the same county in year t - 1 (joined on county "
            "and year - 1)."
        )
    if initial:
        init = _first_year_values(work, county, year, initial)
        clash = [c for c in init.columns if c in work.columns]
        if clash:
            raise DataError(f"initial: expected free names for the initial values, found {clash}")
        work = pd.concat([work, init], axis=1)
        terms += list(init.columns)
        notes.append(
            f"{', '.join(init.columns)}: the county's value in its first year in the data."
        )
    if pre_keep.sum() < 2:
        raise EmptySampleError(
            "county_determinants: expected at least 2 rows"
            + (" with a lagged row" if lag else "")
            + f", found {int(pre_keep.sum())} of {n} in the data"
            + (f" ({'; '.join(f'{r}: {k}' for r, k in pre_dropped)})" if pre_dropped else "")
        )
    sub = work.loc[pre_keep].reset_index(drop=True)
    sub.attrs = dict(frame.attrs)
    design = SurveyDesign(weights=weights, weight_type="aweight") if weights else None
    if design is not None:
        design.check(sub)  # named errors on the weights as given, before the rescaling
        top = sub[weights].max()
        if pd.api.types.is_numeric_dtype(sub[weights]) and np.isfinite(top) and top > 0:
            # aweights are scale-free; dividing by the largest keeps huge weights from
            # overflowing the mean-one normalisation downstream
            sub[weights] = sub[weights].astype(float) / float(top)
    # fit_ols divides the outcome and every regressor by a power of two near its sd and undoes
    # it exactly: an outcome with sd 1e11 no longer fails to demean, nor is a regressor with
    # sd 1e-7 dropped as collinear (pyfixest's tolerances are absolute)
    formula = f"{outcome} ~ " + " + ".join(terms)
    fe_text = " and ".join(fixed_effects) if fixed_effects else "no"
    estimator = f"OLS with {fe_text} fixed effects (county determinants)"
    with warnings.catch_warnings():
        # a dropped regressor is an error below; pyfixest's own warning would only repeat it
        warnings.simplefilter("ignore", CollinearityWarning)
        warnings.filterwarnings("ignore", message=r"(?s).*dropped due to multicollinearity")
        # a variance beyond float64 in the units of the data (0 or inf) would read as a perfect
        # fit below, or give standard errors of 0 or inf: refused by name
        warnings.simplefilter("error", ScaleWarning)
        try:
            fit = fit_ols(
                formula,
                sub,
                fixed_effects=fixed_effects,
                design=design,
                cluster=cluster,
                vcov="CRV1" if cluster else "iid",
                estimator=estimator,
                estimand="coefficients",
            )
        except ScaleWarning as e:
            raise ImpossibleValueError(f"{estimator}: {e}") from None
    lost = [t for t in terms if t not in fit.terms]
    if lost:
        raise CollinearityError(
            f"regressor(s) {lost}: expected variation within the fixed effects "
            f"({', '.join(fixed_effects) or 'none'}) and no collinearity with the other "
            "regressors, found none left (the term was dropped)"
        )
    se = np.sqrt(np.diag(fit.vcov.to_numpy()))
    if not np.all(np.isfinite(se) & (se > 0)):
        # zero residuals: every t statistic would be 0/0 (a NaN result); a constant outcome is
        # refused by fit_ols itself (OutcomeError)
        raise OutcomeError(
            f"outcome {outcome!r}: expected variation left after the fixed effects and the "
            f"regressors, found it fitted exactly by the fixed effects "
            f"({', '.join(fixed_effects) or 'none'}) and the regressors (residuals all 0, "
            "standard errors 0)"
        )

    # the sample on the rows of `data`: lag reasons first, then fit_ols's own reasons
    mask = np.zeros(n, dtype=bool)
    mask[np.flatnonzero(pre_keep)] = fit.sample.mask
    mask.setflags(write=False)
    sample = EstimationSample(
        mask=mask, n_rows=n, dropped=tuple(pre_dropped) + tuple(fit.sample.dropped)
    )
    if standardize:
        est_rows = sub.loc[fit.sample.mask]
        w = (
            est_rows[weights].to_numpy(dtype=float)
            if weights
            else np.ones(len(est_rows), dtype=float)
        )
        sd_y = _weighted_sd(est_rows[outcome].to_numpy(dtype=float), w)
        # the intercept (no fixed effects) has no beta coefficient (sd(1) = 0 would scale it to
        # 0 +/- 0, a NaN statistic); it is left out, as in Stata's regress, beta
        beta_terms = [t for t in fit.terms if t != "Intercept"]
        sd_x = np.array([_weighted_sd(est_rows[t].to_numpy(dtype=float), w) for t in beta_terms])
        scale = sd_x / sd_y
        notes.append(
            "Standardised (beta) coefficients b sd(x)/sd(y); sds over the estimation sample"
            + (f" weighted by {weights!r}" if weights else "")
            + ", treated as fixed in the standard errors"
            + (
                "; the intercept has no beta coefficient and is omitted."
                if "Intercept" in fit.terms
                else "."
            )
        )
    else:
        beta_terms = list(fit.terms)
        scale = np.ones(len(beta_terms))
    extra = dict(fit.extra)
    extra.update(
        {"lag": lag, "fixed_effects": ", ".join(fixed_effects), "standardized": standardize}
    )
    if standardize:
        extra["sd_outcome"] = sd_y
        extra["sd_regressors"] = dict(zip(beta_terms, sd_x.tolist(), strict=True))

    def wrap(res: Results) -> Results:
        est = res.params.to_numpy()
        v = res.vcov.to_numpy()
        keep = [list(res.terms).index(t) for t in beta_terms]
        out_terms = list(beta_terms)
        est = est[keep] * scale
        v = v[np.ix_(keep, keep)] * np.outer(scale, scale)
        var = np.diag(v)
        bad = [t for t, s2 in zip(out_terms, var, strict=True) if not 0 < s2 < np.inf]
        bad += [t for t, b in zip(out_terms, est, strict=True) if not np.isfinite(b)]
        if bad:
            raise ImpossibleValueError(
                f"terms {sorted(set(bad))}: expected estimates and variances within float64 in "
                "the units of the data, found them over- or underflowing (a variance is the "
                "square of a standard error); rescale the outcome or those regressors (e.g. to "
                "thousands or logs)"
            )
        # the variance note and cluster count follow this result's variance (with_vcov too)
        spec = res.vcov_spec
        se_text = (
            f"standard errors clustered by {spec.cluster!r} ({spec.n_clusters} clusters)."
            if spec.cluster
            else f"{spec.kind} standard errors."
        )
        return Results(
            terms=out_terms,
            estimates=est,
            vcov=v,
            vcov_spec=spec,
            estimator=estimator,
            estimand=("standardised (beta) coefficients" if standardize else "coefficients")
            + f" of county characteristics on {outcome}",
            sample=sample,
            n_obs=res.n_obs,
            weights=res.weights,
            data_label=inp.label,
            synthetic=inp.synthetic,
            extra={**extra, "n_clusters": spec.n_clusters},
            notes=list(res.notes)
            + notes
            + [
                f"Fixed effects absorbed: {', '.join(fixed_effects) or 'none'}; regressors at "
                f"lag {lag}; " + se_text
            ],
            refit=lambda new_vcov: wrap(res.with_vcov(new_vcov)),
            formula=res.formula,
        )

    return wrap(fit)


@strict_keywords
def initial_gdp_regression(
    data,
    *,
    outcome: str = "obi",
    controls=tuple(r for r in F6_REGRESSORS if r != "log_gdp_pc"),
    gdp: str = "log_gdp_pc",
    fixed_effects=("province", "year"),
    cluster: str | None = "county_id",
    county: str = "county_id",
    year: str = "year",
) -> Results:
    """Index on initial (first-year) log GDP per capita with time-varying controls.

    The report's robustness check ("the link with initial GDP per capita survives controls"):

        y_it = a_p + l_t + gamma log_gdp_pc_i0 + W_it' delta + u_it,

    with log_gdp_pc_i0 the county's value in its first year in the data (2013), W the other
    F6 regressors, province and year effects absorbed and county-clustered CRV1 standard
    errors. Equivalent to ``county_determinants(data, regressors=controls,
    initial=(gdp,), ...)``; the term is named ``<gdp>_initial``.

    Parameters
    ----------
    data : pandas.DataFrame
        County-year panel; not modified.
    outcome : str, default "obi"
    controls : sequence of str, default the F6 regressors without ``log_gdp_pc``
    gdp : str, default "log_gdp_pc"
        Column whose first-year value enters.
    fixed_effects, cluster, county, year
        As in :func:`county_determinants` (county fixed effects are refused).

    Returns
    -------
    Results
        Terms: the controls and ``<gdp>_initial``.

    Raises
    ------
    As :func:`county_determinants`; UnknownOptionError if ``gdp`` is also among ``controls``.
    """
    controls = as_columns("controls", controls)
    _name("gdp", gdp)
    if gdp in controls:
        raise UnknownOptionError(
            f"controls: expected the time-varying controls without {gdp!r} (its initial value "
            f"enters instead), found {controls}"
        )
    return county_determinants(
        data,
        outcome=outcome,
        regressors=controls,
        fixed_effects=fixed_effects,
        cluster=cluster,
        initial=(gdp,),
        county=county,
        year=year,
    )
