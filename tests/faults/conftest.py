import os
import sys

# run_harness (tests/e2e): vouchd, the registries, PostgreSQL.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
