import os
import sys

from benchmarks.runner import main

if __name__ == "__main__":
    main()
    # The Temporal core bridge can abort while a short-lived interpreter finalizes
    # (temporalio/sdk-python#300); the server and worker are shut down by now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
