"""``python -m derivgui``: the same entry point as the ``derivgui`` command."""

import sys

from derivgui.cli import main

sys.exit(main())
