"""`python -m harness` is `checkout-harness`."""

import sys

from harness.cli import main

sys.exit(main())
