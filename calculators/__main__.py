"""``python -m calculators``: see :mod:`calculators.cli`."""

from calculators.cli import main

raise SystemExit(main())
