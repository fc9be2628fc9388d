"""Loaded by pytest before Django (``-p`` in pyproject): gives the test run
its own data dir so tests never touch ./var or a developer's keys.

Under pytest-xdist each worker process gets a data dir of its own (keys,
the SQLite cache file, the job queue) and its own cache key prefix and job
queue name on Redis, so workers never see each other's throttle counters or
jobs; pytest-django already gives each worker its own test database.
"""

import os
import tempfile

os.environ.setdefault("CRM_DATA_DIR", tempfile.mkdtemp(prefix="tbx-test-"))
os.environ.setdefault("CRM_JOBS_IMMEDIATE", "true")

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    _data_dir = os.path.join(os.environ["CRM_DATA_DIR"], _worker)
    os.makedirs(_data_dir, mode=0o700, exist_ok=True)
    os.environ["CRM_DATA_DIR"] = _data_dir
    os.environ["CRM_CACHE_PREFIX"] = f"{os.environ.get('CRM_CACHE_PREFIX', 'tbx')}-{_worker}"
    os.environ["CRM_JOBS_NAME"] = f"{os.environ.get('CRM_JOBS_NAME', 'terabox-crm')}-{_worker}"
