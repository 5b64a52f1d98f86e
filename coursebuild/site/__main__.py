"""``python -m coursebuild.site``: render pages into test-output/site/."""

import sys

from .page import main

sys.exit(main())
