import uuid

from terabox_crm.crypto import blind_index, search_index


def test_index_length_follows_the_ciphersweet_rule():
    for rows in (10**5, 10**6):
        length = blind_index.bits_for(rows)
        assert 2 <= rows / 2**length <= rows**0.5
        assert rows / 2 ** (length + 1) < 2  # the longest such length
    assert blind_index.bits_for(10**5) == 15
    assert blind_index.bits_for(10**6) == 18


def test_terms_find_the_row_and_are_replaced(db):
    search_index.register("tests.thing.email", expected_rows=10**5)
    workspace, row = uuid.uuid4(), uuid.uuid4()
    search_index.replace(workspace, "tests.thing.email", row, ["a@example.jp"])
    found = list(search_index.candidates(workspace, "tests.thing.email", "a@example.jp"))
    assert {item["object_id"] for item in found} == {row}
    search_index.replace(workspace, "tests.thing.email", row, ["b@example.jp"])
    assert not search_index.candidates(workspace, "tests.thing.email", "a@example.jp").exists()


def test_the_same_value_gives_different_terms_in_different_workspaces(db):
    search_index.register("tests.thing.phone", expected_rows=10**6)
    first = search_index.term(uuid.uuid4(), "tests.thing.phone", "+81312345678")
    second = search_index.term(uuid.uuid4(), "tests.thing.phone", "+81312345678")
    assert first != second or first == second == 0  # keys differ per workspace
    assert 0 <= first < 2**18
