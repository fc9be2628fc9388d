"""``terabox-crm search reindex``'s progress file: what it writes it reads back,
and anything else (another selection, a damaged file) starts over."""

from __future__ import annotations

from terabox_crm.ops import search


def test_progress_round_trips(tmp_path):
    progress = {
        "ws-1": {
            "contacts.company": {"cursor": "c-9", "rows": 9, "done": True},
            "contacts.contact": {"cursor": None, "rows": 0, "done": False},
            "__done__": True,
        },
        "ws-2": {"deals.deal": {"cursor": "d-3", "rows": 3, "done": False}},
    }
    path = tmp_path / "reindex.progress"
    path.write_bytes(search._dump("*", progress))
    assert search._load(path, "*") == progress


def test_another_selection_or_a_damaged_file_starts_over(tmp_path):
    path = tmp_path / "reindex.progress"
    path.write_bytes(search._dump("ws-1", {"ws-1": {"__done__": True}}))
    assert search._load(path, "*") == {}
    path.write_text("key *\nnot a line this command writes\n", encoding="utf-8")
    assert search._load(path, "*") == {}
    assert search._load(tmp_path / "missing", "*") == {}
