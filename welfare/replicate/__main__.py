"""``python -m welfare.replicate``."""

import sys

from welfare.replicate.runner import main

sys.exit(main())
