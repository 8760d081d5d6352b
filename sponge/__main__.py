"""``python -m sponge``: the ``sponge`` command line (see :mod:`sponge.cli`)."""

import sys

from sponge.cli import main

sys.exit(main())
