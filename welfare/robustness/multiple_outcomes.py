"""The premium on several outcomes with few-cluster and multiple-testing corrections.

:func:`premium_across_outcomes` regresses each outcome on the participation indicator (same
controls, fixed effects, weights and clusters) and reports, per outcome, the CRV1 t p-value,
the wild cluster restricted bootstrap p-value (:func:`welfare.inference.wild_cluster_bootstrap`,
Cameron, Gelbach & Miller 2008, doi:10.1162/rest.90.3.414), Holm's adjustment and the
Romano & Wolf (2005, doi:10.1111/j.1468-0262.2005.00615.x) stepdown adjustment computed from
bootstrap t statistics that use the same cluster draws for every outcome.

Where pyfixest applies and where not: pyfixest's ``Feols.wildboottest`` and ``pyfixest.rwolf``
refuse weighted (WLS) models, and survey data have sampling weights, so the bootstrap here is
welfare's own (:mod:`welfare.inference.wild`). On unweighted models its bootstrap t statistics
equal the ``wildboottest`` package's exactly under full enumeration, and its Romano-Wolf
p-values equal ``pyfixest.rwolf``'s up to the treatment of the exact ties |t*| = |t|
(``tests/test_wild_bootstrap.py``, ``tests/test_placebo.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from welfare._estimation import unpack
from welfare._options import as_columns, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.errors import DataError, UnknownOptionError
from welfare.inference.multiple import holm, romano_wolf
from welfare.inference.wild import wild_bootstrap_t

__all__ = ["premium_across_outcomes"]


@strict_keywords
def premium_across_outcomes(
    data,
    *,
    treatment: str,
    outcomes: list[str],
    controls: list[str] | None = None,
    fixed_effects: list[str] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    reps: int = 9999,
    weights_type: str = "rademacher",
    random_state: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """Premium on each outcome with wild-bootstrap, Holm and Romano-Wolf p-values.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
        Not modified. Outcomes enter in levels (take logs beforehand if wanted).
    treatment : str
        0/1 participation column.
    outcomes : list of str
        The family of outcomes (at least one, distinct, none equal to the treatment).
    controls : list of str, optional
        Text/categorical controls enter as dummies (``C(col)``).
    fixed_effects : list of str, optional
    design : SurveyDesign, optional
        Weights (pweights/aweights) and the PSU used as the cluster (or ``cluster=``).
    cluster : str, optional
        Cluster column when the design has no PSU (one bootstrap draw per cluster).
    reps : int, default 9999
        Bootstrap draws (full enumeration with Rademacher draws when 2^G <= reps).
    weights_type : {"rademacher", "webb", "mammen", "norm"}, default "rademacher"
    random_state : int or numpy.random.Generator, default 0

    Returns
    -------
    pandas.DataFrame
        One row per outcome: ``outcome, estimate, statistic, p_value`` (CRV1 t, df = G - 1 as
        the wild bootstrap counts it), ``p_value_wild``, ``p_value_holm``,
        ``p_value_romano_wolf``, ``n_obs``, ``n_clusters``, ``n_dropped`` (rows of ``data`` left
        out of that outcome's regression); ``attrs`` carry reps, seed, weights type, the data
        label and ``dropped``: per outcome, the rows left out by reason (missing values,
        singleton fixed-effect groups), so samples that differ between outcomes show.

    Raises
    ------
    DataError
        An outcome that is the treatment, controls that include the treatment or an outcome,
        or fixed effects that include either.
    UnknownOptionError
        No or repeated outcomes, no clusters, unknown options.
    Others
        As :func:`welfare.inference.wild_bootstrap_t`.
    """
    outcomes = as_columns("outcomes", outcomes)
    controls = as_columns("controls", controls)
    fixed_effects = as_columns("fixed_effects", fixed_effects)
    if not outcomes or len(set(outcomes)) != len(outcomes):
        raise UnknownOptionError(f"outcomes: expected distinct column names, found {outcomes}")
    if treatment in outcomes:
        raise DataError(f"outcome {treatment!r} is the treatment: expected other outcomes")
    if treatment in controls:
        raise DataError(
            f"controls include the treatment {treatment!r}: expected controls other than it"
        )
    both = [o for o in outcomes if o in controls]
    if both:
        raise DataError(
            f"controls include the outcome(s) {both}: expected controls other than the outcomes"
        )
    both = [c for c in [treatment] + outcomes if c in fixed_effects]
    if both:
        raise DataError(
            f"fixed_effects include {both}: expected fixed effects other than the treatment "
            "and the outcomes"
        )
    inp = unpack(data, design)
    clus = cluster or inp.design.psu
    if clus is None:
        raise UnknownOptionError(
            "cluster: expected a cluster column (design PSU or cluster=), found none"
        )
    frame = inp.frame
    rhs = [treatment] + [
        c
        if pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
        else f"C({c})"
        for c in controls
    ]
    formulas = [f"{o} ~ " + " + ".join(rhs) for o in outcomes]
    boot = wild_bootstrap_t(
        formulas,
        frame,
        params=[treatment],
        cluster=clus,
        fixed_effects=fixed_effects or None,
        weights=inp.design.weights,
        reps=reps,
        weights_type=weights_type,
        random_state=random_state,
    )
    from scipy import stats

    G = np.array([int(r.vcov_spec.n_clusters) for r in boot.results])
    p_t = 2 * stats.t.sf(np.abs(boot.t_stats), G - 1)
    out = pd.DataFrame(
        {
            "outcome": outcomes,
            "estimate": boot.estimates,
            "statistic": boot.t_stats,
            "p_value": p_t,
            "p_value_wild": boot.p_values(),
            "p_value_holm": holm(p_t),
            "p_value_romano_wolf": romano_wolf(boot.t_stats, boot.boot_t),
            "n_obs": [r.n_obs for r in boot.results],
            "n_clusters": G,
            "n_dropped": [sum(n for _, n in r.sample.dropped) for r in boot.results],
        }
    )
    out.attrs = {
        "reps": boot.reps,
        "full_enumeration": boot.full_enumeration,
        "weights_type": weights_type,
        "seed": boot.seed,
        "welfare_label": inp.label,
        "welfare_synthetic": inp.synthetic,
        "dropped": {o: dict(r.sample.dropped) for o, r in zip(outcomes, boot.results, strict=True)},
    }
    return out
