"""Helpers shared by the synthetic-twin generators: the random_state check and frozen truth."""

from __future__ import annotations

import numbers
from types import MappingProxyType

import numpy as np

from welfare.errors import UnknownOptionError

__all__ = ["freeze", "rng_from"]


def rng_from(random_state: int | np.random.Generator) -> tuple[int | None, np.random.Generator]:
    """The seed (``None`` for a Generator) and the generator a twin draws from.

    Raises
    ------
    UnknownOptionError
        ``random_state`` is not a non-negative integer or a :class:`numpy.random.Generator`
        (a bool, a float, a string or a negative integer).
    """
    if isinstance(random_state, bool) or not isinstance(
        random_state, numbers.Integral | np.random.Generator
    ):
        raise UnknownOptionError(
            f"random_state: expected a non-negative integer or numpy Generator, found "
            f"{random_state!r}"
        )
    if isinstance(random_state, numbers.Integral) and random_state < 0:
        raise UnknownOptionError(f"random_state: expected an integer >= 0, found {random_state}")
    seed = int(random_state) if isinstance(random_state, numbers.Integral) else None
    return seed, np.random.default_rng(seed if seed is not None else random_state)


def freeze(obj):
    """Read-only view, recursively (truth values cannot be changed by accident)."""
    if isinstance(obj, dict):
        return MappingProxyType({k: freeze(v) for k, v in obj.items()})
    return obj
