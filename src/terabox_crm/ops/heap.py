"""Keep the garbage collector's full passes short in a long-running process.

A request allocates thousands of short-lived objects; some survive a young
collection while the request runs, and every few dozen requests CPython
makes a full pass over *every* object in the process — Django, DRF, the
URL and template caches, about 120,000 objects once warm. Measured in the
benchmark, each full pass took about 90 ms and made the slowest 1 % of
requests three to five times slower than the median.

``settle()`` loads what the first request would load (URL patterns,
templates are loaded lazily and stay small), collects once, and moves the
survivors to the permanent generation (``gc.freeze``), which later passes
skip. It is called once per process after start-up: by the ASGI entry point
that ``serve`` runs, and by the benchmark so it measures the same thing.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Warm the process, collect, freeze what is left; returns how many objects froze."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - import every URLconf now
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
