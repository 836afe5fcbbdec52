"""`python -m connectors.cli ...` = the `bouncepipe` console script."""
import sys

from connectors.cli import main

sys.exit(main())
