"""Sandwich covariance matrices from per-observation scores.

All estimators that compute their own scores (probit, logit, ratio and mean estimators, the
stratified design variance of linear models) use :func:`sandwich`. The formulas:

* ``HC``:      V = B (sum_i s_i s_i') B * c
* ``CRV``:     V = B (sum_g u_g u_g') B * c,  u_g = sum_{i in g} s_i
* ``design``:  V = B [sum_h n_h/(n_h - 1) sum_{c in h} (u_hc - ubar_h)(u_hc - ubar_h)'] B
  (Taylor linearisation with PSUs treated as drawn with replacement within strata; Binder 1983,
  Stata ``svy`` default), where ``B`` is the bread (inverse of the negative Hessian, or of
  X'WX for linear models) and ``c`` the small-sample factor chosen by the caller.

The small-sample factor and the reference distribution are part of the returned
:class:`VcovSpec`, so tables can print them.

References
----------
Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex surveys.
*International Statistical Review* 51(3), 279-292. doi:10.2307/1402588
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from welfare.errors import DesignError

__all__ = ["VcovSpec", "sandwich", "meat"]


@dataclass(frozen=True)
class VcovSpec:
    """Metadata of a covariance matrix.

    Attributes
    ----------
    kind : str
        ``"iid"``, ``"HC0"``, ``"HC1"``, ``"CRV1"``, ``"CRV3"`` (cluster jackknife),
        ``"design"``, ``"AI-robust"`` (Abadie-Imbens matching variance),
        ``"linearized"`` (influence-function design variance) or ``"bootstrap (...)"``.
    cluster : str or None
        Cluster/PSU column.
    strata : str or None
        Strata column (``"design"`` only).
    n_clusters : int or None
        Number of clusters/PSUs.
    n_strata : int or None
        Number of strata.
    df : int or None
        Degrees of freedom of the t reference; ``None`` means the normal (z) reference.
    small_sample : float
        Factor applied to the meat.
    """

    kind: str
    cluster: str | None = None
    strata: str | None = None
    n_clusters: int | None = None
    n_strata: int | None = None
    df: int | None = None
    small_sample: float = 1.0

    def describe(self) -> str:
        """Text for table notes."""
        if self.kind == "iid":
            base = "model-based (iid) variance"
        elif self.kind == "HC1":
            base = "heteroskedasticity-robust variance (HC1)"
        elif self.kind == "HC0":
            base = "robust sandwich variance of the stacked estimating equations (HC0)"
        elif self.kind == "AI-robust":
            base = "Abadie-Imbens robust variance"
        elif self.kind == "CRV1":
            base = f"cluster-robust variance (CRV1) by {self.cluster!r}, G = {self.n_clusters}"
        elif self.kind == "CRV3":
            base = (
                f"cluster jackknife variance (CRV3, delete one cluster) by {self.cluster!r}, "
                f"G = {self.n_clusters}"
            )
        elif self.kind == "linearized" or self.kind.startswith("bootstrap"):
            what = (
                "linearised (influence-function) design variance"
                if self.kind == "linearized"
                else f"{self.kind[:9]} variance{self.kind[9:]}"
            )
            if self.cluster is None:
                base = f"{what}; each observation its own PSU"
            elif self.strata is None:
                base = f"{what}; {self.n_clusters} PSUs ({self.cluster!r})"
            else:
                base = (
                    f"{what}; {self.n_clusters} PSUs ({self.cluster!r}) in {self.n_strata} "
                    f"strata ({self.strata!r})"
                )
        else:
            base = (
                f"design-based variance (linearisation): {self.n_clusters} PSUs "
                f"({self.cluster!r}) in {self.n_strata} strata ({self.strata!r})"
            )
        ref = f"t with {self.df} df" if self.df is not None else "normal (z)"
        return f"{base}; small-sample factor {self.small_sample:.4f}; reference {ref}"


def _group_sums(scores: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros((n_groups, scores.shape[1]))
    np.add.at(out, codes, scores)
    return out


def meat(
    scores: np.ndarray,
    *,
    clusters: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    fweights: np.ndarray | None = None,
) -> tuple[np.ndarray, int | None, int | None]:
    """Middle term of the sandwich.

    Parameters
    ----------
    scores : numpy.ndarray, shape (n_obs, k)
        Per-observation scores, already multiplied by analytic/probability weights. With
        frequency weights pass the score of one unit and the weights in ``fweights``.
    clusters : numpy.ndarray, shape (n_obs,), optional
        Cluster/PSU ids.
    strata : numpy.ndarray, shape (n_obs,), optional
        Stratum ids (requires ``clusters``); PSUs are nested within strata.
    fweights : numpy.ndarray, shape (n_obs,), optional
        Frequency weights.

    Returns
    -------
    meat : numpy.ndarray, shape (k, k)
    n_clusters : int or None
    n_strata : int or None

    Raises
    ------
    DesignError
        A stratum with a single PSU.
    """
    s = np.asarray(scores, dtype=float)
    if clusters is None:
        if fweights is not None:
            return (s * fweights[:, None]).T @ s, None, None
        return s.T @ s, None, None
    if fweights is not None:
        s = s * fweights[:, None]
    if strata is None:
        codes, uniq = pd.factorize(pd.Series(clusters), sort=True)
        u = _group_sums(s, codes, len(uniq))
        return u.T @ u, len(uniq), None
    key = pd.MultiIndex.from_arrays([pd.Series(strata), pd.Series(clusters)])
    codes, uniq = pd.factorize(key, sort=True)
    u = _group_sums(s, codes, len(uniq))
    h_of_psu = np.asarray(uniq.get_level_values(0))
    h_codes, h_uniq = pd.factorize(pd.Series(h_of_psu), sort=True)
    m = np.zeros((s.shape[1], s.shape[1]))
    for h in range(len(h_uniq)):
        uh = u[h_codes == h]
        nh = uh.shape[0]
        if nh < 2:
            raise DesignError(
                f"stratum {h_uniq[h]}: expected at least 2 PSUs in the estimation sample, found "
                f"{nh}; collapse strata or drop the stratum explicitly"
            )
        d = uh - uh.mean(axis=0)
        m += nh / (nh - 1) * d.T @ d
    return m, len(uniq), len(h_uniq)


def sandwich(bread: np.ndarray, meat_: np.ndarray, factor: float = 1.0) -> np.ndarray:
    """Return ``factor * bread @ meat @ bread`` symmetrised."""
    v = factor * bread @ meat_ @ bread
    return (v + v.T) / 2
