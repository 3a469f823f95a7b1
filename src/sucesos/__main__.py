import sys

from sucesos.cli import main

sys.exit(main())
