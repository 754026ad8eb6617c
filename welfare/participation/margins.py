"""Average marginal effects of probit/logit models, rebuilt from the formula.

For a continuous regressor x the AME is the weighted sample mean of the derivative of the
probability, computed through the formula's design so that polynomials and interactions enter
(fault kind K06):

    AME_x = sum_i w_i f(x_i'b) (d x_i / d x)' b / sum_i w_i,

where ``d x_i / d x`` is the derivative of the design row (central difference, exact for
polynomials of degree <= 2 and interactions). For a 0/1 regressor (``binary="discrete"``, the
default) and for every non-reference level of a categorical regressor, it is the discrete change

    AME = sum_i w_i [F(x_i(1)'b) - F(x_i(0)'b)] / sum_i w_i,

with every row set to the level and to the reference. Standard errors are by the delta method,
V(AME) = G V(b) G', with the analytic gradient G = dAME/db, and the covariates held at their
sample values (Stata ``margins, dydx(*)``, default ``vce(delta)``). z reference.

References
----------
Stata Corp., ``margins`` manual, Methods and formulas.
Cameron, A. C. & Trivedi, P. K. (2005). *Microeconometrics*, §14.3. Cambridge University Press.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from welfare._options import as_columns, check_option, strict_keywords
from welfare.errors import UnknownOptionError
from welfare.inference.results import Results

__all__ = ["average_marginal_effects"]


def _design(spec, frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(spec.get_model_matrix(frame), dtype=float)


@strict_keywords
def average_marginal_effects(
    model, variables: list[str] | None = None, *, binary: str = "discrete"
) -> Results:
    """Average marginal effects of a fitted :func:`~welfare.participation.probit`/``logit``.

    Parameters
    ----------
    model : BinaryChoiceResults
    variables : list of str, optional
        Data columns (not design terms) to compute AMEs for; default all right-hand variables.
    binary : {"discrete", "derivative"}, default "discrete"
        Treatment of 0/1 numeric regressors: discrete change 0 -> 1, or the derivative.

    Returns
    -------
    Results
        One term per continuous/binary variable (``"x"``) and per non-reference level of a
        categorical one (``"x[level]"``), estimand ``"AME"``; its variance metadata is the
        model's.

    Raises
    ------
    UnknownOptionError
        A variable not on the right-hand side, or an unknown ``binary`` option.
    """
    check_option("binary", binary, ("discrete", "derivative"))
    ctx = model._ctx
    link, spec, frame, w = ctx["link"], ctx["spec"], ctx["frame"], ctx["weights"]
    rhs = ctx["rhs"]
    variables = list(rhs) if variables is None else as_columns("variables", variables)
    bad = [v for v in variables if v not in rhs]
    if bad:
        raise UnknownOptionError(f"variables {bad} are not in the model; expected some of {rhs}")
    if not variables:
        raise UnknownOptionError(
            f"no regressor to compute AMEs for: the model {model.formula!r} has none"
        )
    import re

    wrapped = {
        v for v in variables if re.search(rf"C\(\s*{re.escape(v)}\s*[,)]", model.formula or "")
    }
    b = model.params.to_numpy()
    V = model.vcov.to_numpy()
    X = ctx["X"]
    wn = w / w.sum()
    names, est, grads = [], [], []
    for var in variables:
        col = frame[var]
        is_cat = (
            isinstance(col.dtype, pd.CategoricalDtype)
            or not pd.api.types.is_numeric_dtype(col)
            or var in wrapped  # C(x) on a numeric column: levels, not a slope
        )
        vals = set(pd.unique(col.dropna()).tolist()) if not is_cat else set()
        is_bin = (not is_cat) and vals <= {0, 1} and binary == "discrete"
        if is_cat:
            levels = (
                list(col.cat.categories)
                if isinstance(col.dtype, pd.CategoricalDtype)
                else sorted(pd.unique(col.dropna()))
            )
            ref = levels[0]
            f0 = frame.copy()
            f0[var] = (
                pd.Categorical([ref] * len(f0), categories=levels)
                if isinstance(col.dtype, pd.CategoricalDtype)
                else ref
            )
            X0 = _design(spec, f0)
            for lev in levels[1:]:
                f1 = frame.copy()
                f1[var] = (
                    pd.Categorical([lev] * len(f1), categories=levels)
                    if isinstance(col.dtype, pd.CategoricalDtype)
                    else lev
                )
                X1 = _design(spec, f1)
                e, g = _discrete(link, X1, X0, b, wn)
                names.append(f"{var}[{lev}]")
                est.append(e)
                grads.append(g)
        elif is_bin:
            f1, f0 = frame.copy(), frame.copy()
            f1[var] = 1
            f0[var] = 0
            e, g = _discrete(link, _design(spec, f1), _design(spec, f0), b, wn)
            names.append(var)
            est.append(e)
            grads.append(g)
        else:
            x = col.to_numpy(dtype=float)
            h = 1e-4 * (1.0 + np.std(x))
            fp, fm = frame.copy(), frame.copy()
            fp[var] = x + h
            fm[var] = x - h
            D = (_design(spec, fp) - _design(spec, fm)) / (2 * h)
            eta = X @ b
            db = D @ b
            e = float(np.sum(wn * link.pdf(eta) * db))
            g = (X * (wn * link.dpdf(eta) * db)[:, None]).sum(0) + (
                D * (wn * link.pdf(eta))[:, None]
            ).sum(0)
            names.append(var)
            est.append(e)
            grads.append(g)
    G = np.vstack(grads)
    return Results(
        terms=names,
        estimates=np.array(est),
        vcov=G @ V @ G.T,
        vcov_spec=model.vcov_spec,
        estimator=model.estimator,
        estimand="AME (average marginal effect on the probability)",
        sample=model.sample,
        n_obs=model.n_obs,
        weights=model.weights,
        data_label=model.data_label,
        synthetic=model.synthetic,
        notes=(
            "AMEs: derivative for continuous regressors, discrete change for 0/1 and categorical "
            "ones (vs the reference level); delta-method SEs, covariates at sample values.",
        ),
        formula=model.formula,
        refit=lambda v: average_marginal_effects(
            model.with_vcov(v), variables=variables, binary=binary
        ),
    )


def _discrete(link, X1, X0, b, wn):
    e1, e0 = X1 @ b, X0 @ b
    est = float(np.sum(wn * (link.cdf(e1) - link.cdf(e0))))
    g = (X1 * (wn * link.pdf(e1))[:, None]).sum(0) - (X0 * (wn * link.pdf(e0))[:, None]).sum(0)
    return est, g
