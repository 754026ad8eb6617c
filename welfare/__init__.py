"""welfare: household-welfare microeconometrics of e-commerce participation.

Who participates (:mod:`welfare.participation`), how much participants gain
(:mod:`welfare.premium`), read through codebooks (:mod:`welfare.data`), with a labelled
synthetic twin of the Taobao Village Survey as the embedded default (:mod:`welfare.datasets`).
``python -m welfare.replicate`` reproduces the findings of World Bank & Alibaba (2019),
*E-commerce Development: Experience from China*.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("welfare")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
