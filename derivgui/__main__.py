"""``python -m derivgui``: the same entry point as the ``derivgui`` command."""

import sys

from derivgui.app import main

sys.exit(main())
