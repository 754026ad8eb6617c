"""``python -m welfare.replicate``.

The command runs with a fixed string-hash seed (``PYTHONHASHSEED=0`` unless the caller set one):
when it is unset or ``random`` the command re-executes itself once with it set. Reason:
pyfixest (0.60) demeans with two or more fixed effects in an order that follows Python's
randomised string hashing, so coefficients of findings F5 and F6 differ in their last digits
between two processes unless the hash seed is fixed; with it fixed, tables and figures are
byte-identical between runs and for any ``--jobs`` (the worker processes inherit it).
"""

import os
import subprocess
import sys

if os.environ.get("PYTHONHASHSEED", "random") in ("", "random"):
    os.environ["PYTHONHASHSEED"] = "0"
    argv = list(getattr(sys, "orig_argv", [])) or [sys.executable, "-m", "welfare.replicate"]
    if os.name == "posix":
        os.execv(sys.executable, [sys.executable, *argv[1:]])
    sys.exit(subprocess.call([sys.executable, *argv[1:]]))

from welfare.replicate.runner import main  # noqa: E402

sys.exit(main())
