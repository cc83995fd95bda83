"""``python -m source_check.cli``."""

import sys

from . import main

sys.exit(main())
