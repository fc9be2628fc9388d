"""Loaded by pytest before Django (``-p`` in pyproject): gives the test run
its own data dir so tests never touch ./var or a developer's keys.

Under pytest-xdist each worker process gets a data dir of its own (keys,
the SQLite cache file, the job queue) and its own cache key prefix and job
queue name on Redis, so workers never see each other's throttle counters or
jobs; pytest-django already gives each worker its own test database.
"""

import os
import tempfile

import pytest

os.environ.setdefault("CRM_DATA_DIR", tempfile.mkdtemp(prefix="tbx-test-"))
os.environ.setdefault("CRM_JOBS_IMMEDIATE", "true")

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    _data_dir = os.path.join(os.environ["CRM_DATA_DIR"], _worker)
    os.makedirs(_data_dir, mode=0o700, exist_ok=True)
    os.environ["CRM_DATA_DIR"] = _data_dir
    os.environ["CRM_CACHE_PREFIX"] = f"{os.environ.get('CRM_CACHE_PREFIX', 'tbx')}-{_worker}"
    os.environ["CRM_JOBS_NAME"] = f"{os.environ.get('CRM_JOBS_NAME', 'terabox-crm')}-{_worker}"


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # xdist's hook: unknown without it
def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker more than there are cores. The browser and
    process tests spend much of their time waiting on the servers and the
    browser they started; a third worker on two cores keeps both busy
    meanwhile. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    return len(os.sched_getaffinity(0)) + 1


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The tests marked ``slow`` (real servers, subprocesses, the browser) run
    first. Under ``--dist loadfile`` with ``--no-loadscope-reorder`` (in
    pyproject's addopts; by default xdist hands out the files with the most
    tests first) files go out in the order their first test appears, so a
    long file started last keeps one core busy after the other ran dry;
    started first, the many short files fill the gaps.
    Runs after pytest-django's own ordering, which a stable sort keeps within
    each group; a transactional test (which empties the database after it)
    is never moved ahead of the others."""

    def moved_first(item) -> bool:
        if item.get_closest_marker("slow") is None:
            return False
        marker = item.get_closest_marker("django_db")
        transactional = marker is not None and (
            marker.kwargs.get("transaction") or (marker.args and marker.args[0])
        )
        fixtures = getattr(item, "fixturenames", ())
        return not transactional and "transactional_db" not in fixtures

    items.sort(key=lambda item: not moved_first(item))
