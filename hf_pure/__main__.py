"""``python -m hf_pure``: see :mod:`hf_pure.cli`."""

import sys

from hf_pure.cli import main

sys.exit(main())
