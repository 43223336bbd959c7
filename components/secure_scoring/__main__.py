import sys

from secure_scoring.cli import main

sys.exit(main())
