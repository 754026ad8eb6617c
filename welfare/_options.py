"""Validation of options and keyword arguments in one place (fault kind K04)."""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

from welfare.errors import UnknownOptionError

F = TypeVar("F", bound=Callable[..., Any])


def strict_keywords(func: F) -> F:
    """Make a misspelled keyword argument raise :class:`UnknownOptionError`.

    Python already refuses unknown keywords with a ``TypeError``; this decorator adds the list of
    allowed names and the closest match, so ``cluster_var=`` for ``cluster=`` can not pass
    unnoticed and the user sees what to type instead.
    """
    sig = inspect.signature(func)
    allowed = [
        p.name
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"
    ]
    name = func.__qualname__.replace(".__init__", "")

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        unknown = [k for k in kwargs if k not in allowed]
        if unknown:
            hints = []
            for k in unknown:
                close = difflib.get_close_matches(k, allowed, n=1)
                hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise UnknownOptionError(
                f"{name}() got unknown keyword argument(s) {', '.join(hints)}; "
                f"allowed: {', '.join(allowed)}"
            )
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``; otherwise raise :class:`UnknownOptionError`.

    Booleans match only booleans: ``1`` is not ``True`` and ``True`` is not ``1`` here (Python
    would say they are equal), so ``romano_wolf=1`` or ``lag=True`` is refused, not reinterpreted.
    """
    allowed = list(allowed)

    def is_bool(x: Any) -> bool:
        return isinstance(x, bool | np.bool_)

    try:
        ok = any(a == value and is_bool(a) == is_bool(value) for a in allowed)
    except (TypeError, ValueError):  # e.g. an array compared with a string
        ok = False
    if not ok:
        close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownOptionError(
            f"{name}={value!r} is not allowed{hint}; expected one of {allowed}"
        )
    return value


def as_columns(name: str, value: Any) -> list[str]:
    """A list of column names from ``None``, a list or a tuple; a bare string is refused.

    Raises
    ------
    UnknownOptionError
        ``value`` is a string (``"age"`` would otherwise be read as ``["a", "g", "e"]``) or
        holds something other than strings.
    """
    if value is None:
        return []
    if isinstance(value, str):
        raise UnknownOptionError(
            f"{name}: expected a list of column names, found the string {value!r} "
            f"(write {name}=[{value!r}])"
        )
    out = list(value)
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        raise UnknownOptionError(f"{name}: expected column names (str), found {bad[:3]}")
    return out
