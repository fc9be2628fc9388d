"""Loaded by pytest before Django (``-p`` in pyproject): gives the test run
its own data dir so tests never touch ./var or a developer's keys."""

import os
import tempfile

os.environ.setdefault("CRM_DATA_DIR", tempfile.mkdtemp(prefix="tbx-test-"))
os.environ.setdefault("CRM_JOBS_IMMEDIATE", "true")
