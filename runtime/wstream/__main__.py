"""``python -m wstream``: the ``wstream`` command."""

import sys

from wstream.cli import main

sys.exit(main())
