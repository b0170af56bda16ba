"""``python -m server.cli``: the ``simrooms`` command."""

from __future__ import annotations

import sys

from server.cli.main import main

sys.exit(main())
