"""``python -m govsim`` runs the command line."""

from __future__ import annotations

import sys

from govsim.cli import main

sys.exit(main())
