"""``python -m wstream_gen``: the ``wstream-gen`` command (``wstream tail --schema`` runs it so)."""

import sys

from wstream_gen.cli import main

sys.exit(main())
