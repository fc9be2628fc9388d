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


# --- Prefix terms ---------------------------------------------------------------------------


def test_prefixes_start_at_three_latin_letters_or_two_kana_or_kanji():
    assert search_index.prefixes("smith") == ["smi", "smit", "smith"]
    assert search_index.prefixes("やまだ") == ["やま", "やまだ"]
    assert search_index.prefixes("山田") == ["山田"]
    assert search_index.prefixes("li") == []
    assert search_index.prefixes("山") == []


def test_prefixes_stop_at_the_maximum_length():
    assert search_index.prefixes("alexandrina") == ["ale", "alex", "alexa", "alexan"]
    assert max(len(p) for p in search_index.prefixes("たかはしゆうすけ")) == search_index.PREFIX_MAX


def test_prefix_domains_truncate_harder_than_whole_token_ones():
    search_index.register("tests.thing.name", expected_rows=4 * 10**6)
    search_index.register_prefixes("tests.thing.name", expected_terms=4 * 10**6)
    whole = search_index.bits("tests.thing.name")
    for name in search_index.prefix_domains("tests.thing.name"):
        assert search_index.bits(name) == whole - 3  # 16+ rows per term instead of 2+
        assert 4 * 10**6 / 2 ** search_index.bits(name) >= search_index.PREFIX_MIN_COINCIDENCES


def test_a_long_query_is_looked_up_by_its_indexed_prefix_and_compared_in_full(db):
    search_index.register_prefixes("tests.thing.name", expected_terms=10**5)
    workspace, row = uuid.uuid4(), uuid.uuid4()
    search_index.replace_prefixes(workspace, "tests.thing.name", {row: ["alexandrina"]})
    found = search_index.prefix_candidates(workspace, "tests.thing.name", "alexandra")
    assert {item["object_id"] for item in found} == {row}  # "alexan" is shared…
    assert not search_index.prefix_matches(["alexandrina"], "alexandra")  # …the name is not
    assert search_index.prefix_matches(["alexandrina"], "alexandr")
    assert search_index.prefix_candidates(workspace, "tests.thing.name", "al") is None


def test_short_tokens_match_only_whole():
    assert search_index.prefix_matches(["li", "smith"], "li")
    assert not search_index.prefix_matches(["lily"], "li")
    assert search_index.prefix_matches(["やまだ"], "やま")
    assert not search_index.prefix_matches(["やまだ"], "や")


def test_replacing_prefixes_keeps_only_the_current_ones(db):
    search_index.register_prefixes("tests.thing.name", expected_terms=10**5)
    workspace, row = uuid.uuid4(), uuid.uuid4()
    search_index.replace_prefixes(workspace, "tests.thing.name", {row: ["smith"]})
    assert search_index.prefix_candidates(workspace, "tests.thing.name", "smi").exists()
    search_index.replace_prefixes(workspace, "tests.thing.name", {row: ["jones"]})
    assert not search_index.prefix_candidates(workspace, "tests.thing.name", "smi").exists()
    assert search_index.prefix_candidates(workspace, "tests.thing.name", "jon").exists()
    search_index.forget(workspace, row)
    assert not search_index.prefix_candidates(workspace, "tests.thing.name", "jon").exists()


def test_few_candidates_become_a_list_of_ids_and_many_stay_a_subquery(db, monkeypatch):
    search_index.register("test.name", expected_rows=10**5)
    workspace = uuid.uuid4()
    rows = [uuid.uuid4() for _ in range(4)]
    for row in rows[:3]:
        search_index.replace(workspace, "test.name", row, ["tanaka"])
    search_index.replace(workspace, "test.name", rows[3], ["suzuki"])
    few = search_index.id_filter(search_index.candidates(workspace, "test.name", "tanaka"))
    assert few.children == [("pk__in", sorted(rows[:3]))]

    monkeypatch.setattr(search_index, "MATERIALISE_LIMIT", 2)
    many = search_index.id_filter(
        search_index.candidates(workspace, "test.name", "tanaka"),
        search_index.candidates(workspace, "test.name", "suzuki"),
    )
    assert many.connector == "OR" and len(many.children) == 2
    assert all(not isinstance(value, list) for _name, value in many.children)


def test_a_terms_entries_are_in_object_order_and_a_search_reads_the_index_alone(db):
    """The lookup index ends in ``object_id`` (docs/performance.md "Retention
    (P5)"): deleting a batch of objects taken in id order then takes out runs
    of neighbouring entries of each shared term instead of one random page
    per entry, and a search's candidate ids come from the index alone."""
    from django.db import connection

    from terabox_crm.crypto.models import SearchTerm

    lookup = next(i for i in SearchTerm._meta.indexes if i.name == "search_term_lookup")
    assert list(lookup.fields) == ["workspace_id", "domain", "term", "object_id"]
    if connection.vendor != "sqlite":
        return
    search_index.register("tests.thing.name", expected_rows=10**5)
    sql, params = search_index.candidates(
        uuid.uuid4(), "tests.thing.name", "山田"
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)  # nosec B608  # Django's own SQL
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX search_term_lookup" in plan, plan
