"""The cache file shared by every process of one machine (``ops/sqlite_cache.py``):
Django's cache semantics, atomic ``add`` and ``incr`` across processes, and the
sign-in throttle (S7) seeing one set of counters from any process."""

from __future__ import annotations

import gc
import multiprocessing
import os
import stat
import threading
from unittest import mock

import pytest
from django.conf import settings

from terabox_crm.accounts import throttle
from terabox_crm.ops.sqlite_cache import SQLiteCache

PROCESSES = 4


def open_cache(path, **options) -> SQLiteCache:
    return SQLiteCache(str(path), {"OPTIONS": options})


@pytest.fixture
def cache(tmp_path):
    return open_cache(tmp_path / "cache.sqlite3")


def test_add_stores_a_missing_key_and_leaves_a_present_one(cache):
    assert cache.add("k", 1) is True
    assert cache.add("k", 2) is False
    assert cache.get("k") == 1


def test_add_replaces_an_entry_past_its_expiry(cache):
    with mock.patch("time.time", return_value=1_000.0):
        cache.set("k", "old", timeout=10)
    with mock.patch("time.time", return_value=1_011.0):
        assert cache.add("k", "new", timeout=10) is True
        assert cache.get("k") == "new"


def test_an_entry_past_its_expiry_is_not_returned(cache):
    with mock.patch("time.time", return_value=1_000.0):
        cache.set("k", "v", timeout=10)
        assert cache.get("k") == "v"
    with mock.patch("time.time", return_value=1_010.0):
        assert cache.get("k", "gone") == "gone"
        assert cache.has_key("k") is False


def test_entry_without_timeout_never_expires(cache):
    with mock.patch("time.time", return_value=1_000.0):
        cache.set("k", "v", timeout=None)
    with mock.patch("time.time", return_value=10_000_000_000.0):
        assert cache.get("k") == "v"


def test_values_come_back_with_their_type(cache):
    values = {"int": 7, "bool": True, "float": 1.5, "text": "日本語", "dict": {"a": [1, 2]}}
    for key, value in values.items():
        cache.set(key, value)
    for key, value in values.items():
        assert cache.get(key) == value
        assert type(cache.get(key)) is type(value)


def test_incr_adds_and_returns_the_new_value(cache):
    cache.set("n", 40)
    assert cache.incr("n", 2) == 42
    assert cache.decr("n") == 41


def test_incr_of_a_missing_key_raises_value_error(cache):
    with pytest.raises(ValueError):
        cache.incr("missing")


def test_incr_of_an_expired_key_raises_value_error(cache):
    with mock.patch("time.time", return_value=1_000.0):
        cache.set("n", 1, timeout=5)
    with mock.patch("time.time", return_value=1_006.0), pytest.raises(ValueError):
        cache.incr("n")


def test_incr_of_text_raises_type_error(cache):
    cache.set("n", "one")
    with pytest.raises(TypeError):
        cache.incr("n")


def test_get_many_returns_the_live_keys_under_their_names(cache):
    with mock.patch("time.time", return_value=1_000.0):
        cache.set("a", 1, timeout=100)
        cache.set("b", 2, timeout=5)
    with mock.patch("time.time", return_value=1_010.0):
        assert cache.get_many(["a", "b", "c"]) == {"a": 1}


def test_touch_delete_and_clear(cache):
    cache.set("k", 1, timeout=5)
    assert cache.touch("k", timeout=100) is True
    assert cache.touch("missing") is False
    assert cache.delete("k") is True
    assert cache.delete("k") is False
    cache.set_many({"x": 1, "y": 2})
    cache.delete_many(["x"])
    assert cache.get_many(["x", "y"]) == {"y": 2}
    cache.clear()
    assert cache.get("y") is None


def test_two_instances_on_one_file_see_each_others_entries(tmp_path):
    first = open_cache(tmp_path / "shared.sqlite3")
    second = open_cache(tmp_path / "shared.sqlite3")
    first.set("k", "v")
    assert second.get("k") == "v"


def test_expired_entries_are_swept_and_live_ones_kept_under_max_entries(tmp_path):
    from terabox_crm.ops import sqlite_cache

    cache = open_cache(tmp_path / "c.sqlite3", MAX_ENTRIES=1_000)
    with mock.patch("time.time", return_value=1_000.0):
        for i in range(10):
            cache.set(f"old{i}", i, timeout=1)
    with mock.patch("time.time", return_value=2_000.0):
        for i in range(sqlite_cache.CULL_EVERY):
            cache.set(f"new{i}", i, timeout=100)
    assert cache._fetch("SELECT count(*) FROM cache_entry WHERE ? > 0") == [
        (sqlite_cache.CULL_EVERY,)
    ]


def test_cache_file_is_readable_by_the_service_user_only(cache):
    cache.set("k", "v")
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600


def test_default_cache_without_redis_is_the_shared_file_in_the_data_dir():
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: the default cache is Redis")
    default = settings.CACHES["default"]
    assert default["BACKEND"] == "terabox_crm.ops.sqlite_cache.SQLiteCache"
    assert default["LOCATION"] == str(settings.DATA_DIR / "cache.sqlite3")


# --- several processes -------------------------------------------------------------------


def _increment(path: str, times: int, start) -> None:
    cache = open_cache(path)
    start.wait()
    for _ in range(times):
        cache.incr("counter")


def _add(path: str, keys: int, start, won) -> None:
    cache = open_cache(path)
    start.wait()
    won.put(sum(1 for i in range(keys) if cache.add(f"key{i}", 1)))


def test_increments_from_several_processes_are_never_lost(tmp_path):
    path = str(tmp_path / "c.sqlite3")
    open_cache(path).set("counter", 0)
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    processes = [
        context.Process(target=_increment, args=(path, 250, start)) for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    assert open_cache(path).get("counter") == PROCESSES * 250


def _increment_in_two_halves(path: str, times: int, steps) -> None:
    cache = open_cache(path)
    steps.wait(timeout=120)
    for _ in range(times // 2):
        cache.incr("counter")
    steps.wait(timeout=120)  # the parent closes its connection now
    steps.wait(timeout=120)
    for _ in range(times - times // 2):
        cache.incr("counter")


def test_a_parent_closing_its_connection_while_children_write_loses_nothing(tmp_path):
    """The parent's connection is open when it forks, and closed (by the garbage
    collector, as a dropped cache's is) while the children write: it must not
    take itself for the file's last connection and delete the -wal under them."""
    path = str(tmp_path / "c.sqlite3")
    parent = open_cache(path)
    parent.set("counter", 0)
    context = multiprocessing.get_context("fork")
    steps = context.Barrier(PROCESSES + 1)
    processes = [
        context.Process(target=_increment_in_two_halves, args=(path, 250, steps))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    steps.wait(timeout=120)
    steps.wait(timeout=120)
    del parent
    gc.collect()
    steps.wait(timeout=120)
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    assert open_cache(path).get("counter") == PROCESSES * 250


def test_a_cache_in_use_in_the_parent_still_works_after_a_fork(tmp_path):
    path = str(tmp_path / "c.sqlite3")
    cache = open_cache(path)
    cache.set("counter", 0)
    context = multiprocessing.get_context("fork")
    process = context.Process(target=_increment, args=(path, 10, context.Barrier(1)))
    process.start()
    process.join(timeout=120)
    assert process.exitcode == 0
    assert cache.incr("counter") == 11


def _files_open_on(path: str) -> list[str]:
    """The files this process has open whose name starts with ``path`` (Linux)."""
    names = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            name = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the descriptor listdir itself used
            continue
        if name.startswith(path):
            names.append(name)
    return sorted(names)


def _report_files_open_on(path: str, report) -> None:
    report.put(_files_open_on(path))


def test_no_connection_to_the_file_crosses_a_fork(tmp_path):
    """Neither this thread's connection, another thread's, nor a dropped cache's
    (Python 3.11 frees a sqlite3 connection only in the cyclic collector) is
    open in a forked child; the parent's caches reopen theirs on next use."""
    path = str(tmp_path / "c.sqlite3")
    kept = open_cache(path)
    kept.set("k", 1)
    open_cache(path).set("dropped", 2)
    used, release = threading.Event(), threading.Event()

    def other_thread() -> None:
        assert kept.get("k") == 1
        used.set()
        release.wait(timeout=120)

    thread = threading.Thread(target=other_thread)
    thread.start()
    try:
        assert used.wait(timeout=120)
        assert f"{path}-wal" in _files_open_on(path)
        context = multiprocessing.get_context("fork")
        report = context.Queue()
        process = context.Process(target=_report_files_open_on, args=(path, report))
        process.start()
        assert report.get(timeout=120) == []
        process.join(timeout=120)
        assert process.exitcode == 0
    finally:
        release.set()
        thread.join(timeout=120)
    assert kept.get("k") == 1
    assert kept.get("dropped") == 2


def test_exactly_one_of_several_processes_adds_each_key(tmp_path):
    path = str(tmp_path / "c.sqlite3")
    open_cache(path).clear()  # the file exists before the race starts
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    won = context.Queue()
    processes = [
        context.Process(target=_add, args=(path, 200, start, won)) for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    total = sum(won.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=120)
    assert total == 200


def test_a_lockout_counted_in_two_processes_holds_in_a_third(tmp_path):
    path = tmp_path / "c.sqlite3"
    clock = lambda: 1_700_000_000.0  # noqa: E731 - a frozen clock
    first, second, third = (
        throttle.LoginThrottle(cache=open_cache(path), clock=clock) for _ in range(3)
    )
    for _ in range(3):
        assert first.failure(ip="192.0.2.50", email="shared@example.com") == []
    assert second.failure(ip="192.0.2.51", email="shared@example.com") == []
    [started] = second.failure(ip="192.0.2.51", email="shared@example.com")
    assert started.scope == "account"
    assert third.check(ip="192.0.2.52", email="shared@example.com").retry_after == 900
