"""The server process freezes its start-up objects out of full GC passes."""

from __future__ import annotations

import gc

from terabox_crm.ops import heap


def test_settle_freezes_the_loaded_application():
    try:
        frozen = heap.settle()
        assert frozen > 10_000  # Django, the product's apps and their URLconfs
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
