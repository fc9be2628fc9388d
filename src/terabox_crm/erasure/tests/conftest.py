import pytest

from terabox_crm.erasure import ledger


@pytest.fixture(autouse=True)
def _own_ledger(tmp_path):
    """Each test its own ledger file: the session's data dir is shared."""
    ledger.use_path(tmp_path / "erasure-ledger.jsonl")
    yield
    ledger.use_path(None)
