"""The archive format (S11): a round trip, and every way an archive can be
wrong — tampered, truncated, reordered, under another key — is caught
before anything read is trusted."""

from __future__ import annotations

import io
import secrets

import pytest

from terabox_crm.backups import keys
from terabox_crm.backups.archive import (
    MAGIC,
    ArchiveError,
    ArchiveReader,
    ArchiveWriter,
    read_trailer,
)

KEK = secrets.token_bytes(32)
KEK_ID = "testkek000000001"
CHUNK = 64  # small chunks: many of them, so reordering and truncation are exercised


def _keys(kek=KEK, kek_id=KEK_ID):
    salt = secrets.token_bytes(32)
    return (kek_id, salt, *keys.derive(kek, salt))


def _keys_for(kek=KEK, kek_id=KEK_ID):
    def keys_for(header):
        if header["kek_id"] != kek_id:
            raise ArchiveError("other_key", f"needs {header['kek_id']}")
        return keys.derive(kek, bytes.fromhex(header["salt"]))

    return keys_for


DATABASE = bytes(range(256)) * 7 + b"tail"
LEDGER = b'{"line":1}\n{"line":2}\n'


def _archive(*, database=None, format=2, **kwargs) -> tuple[bytes, dict]:
    out = io.BytesIO()
    writer = ArchiveWriter(
        out, keys=_keys(**kwargs), header={"engine": "sqlite"}, chunk_size=CHUNK, format=format
    )
    writer.add_file("database.sqlite3", database or [DATABASE[:1000], DATABASE[1000:]])
    writer.add_file("keys/erasure-ledger.jsonl", [LEDGER])
    manifest = writer.finish({"engine": "sqlite", "created_at": "2026-12-06T00:00:00+00:00"})
    return out.getvalue(), manifest


def _read(data: bytes, keys_for=None) -> tuple[dict[str, bytes], dict]:
    reader = ArchiveReader(io.BytesIO(data), keys_for or _keys_for())
    found = {name: b"".join(chunks) for name, chunks in reader.entries()}
    assert reader.manifest is not None
    return found, reader.manifest


def test_round_trip_restores_every_file_byte_for_byte():
    data, manifest = _archive()
    found, read_manifest = _read(data)
    assert found == {"database.sqlite3": DATABASE, "keys/erasure-ledger.jsonl": LEDGER}
    assert read_manifest == manifest


def test_the_manifest_holds_sizes_hashes_and_the_master_key_id():
    import hashlib

    data, manifest = _archive()
    assert manifest["master_key_id"] == KEK_ID
    assert manifest["engine"] == "sqlite" and manifest["format"] == 2
    assert manifest["files"][0] == {
        "name": "database.sqlite3",
        "size": len(DATABASE),
        "sha256": hashlib.sha256(DATABASE).hexdigest(),
    }
    assert manifest["chunks"] > 10  # many chunks of 64 bytes
    end = manifest["ciphertext_size"]
    assert manifest["ciphertext_sha256"] == hashlib.sha256(data[:end]).hexdigest()
    assert "plaintext_sha256" not in manifest  # a third pass that proved nothing more
    # The plaintext is nowhere in the file; the manifest is readable without the key.
    assert DATABASE[:32] not in data and b"erasure-ledger.jsonl" not in data[:end]


@pytest.mark.parametrize("chunk_reads", [1, 5, 64, 65, 500])
def test_a_file_read_straight_into_the_chunks_round_trips(chunk_reads):
    class Source(io.BytesIO):  # a file that reads at most chunk_reads bytes at a time
        def readinto(self, buffer):
            return super().readinto(memoryview(buffer)[:chunk_reads])

    data, manifest = _archive(database=Source(DATABASE))
    found, read_manifest = _read(data)
    assert found["database.sqlite3"] == DATABASE and read_manifest == manifest
    assert manifest["files"][0]["size"] == len(DATABASE)


def test_an_archive_of_the_first_format_still_reads_and_its_stream_hash_is_checked():
    data, manifest = _archive(format=1)
    assert manifest["format"] == 1 and len(manifest["plaintext_sha256"]) == 64
    found, read_manifest = _read(data)
    assert found["database.sqlite3"] == DATABASE and read_manifest == manifest

    class Forged(ArchiveReader):  # the chunks authenticate, the stream hash differs
        def _check_trailer(self):
            self._pt_hash.update(b"x")
            super()._check_trailer()

    reader = Forged(io.BytesIO(data), _keys_for())
    with pytest.raises(ArchiveError, match="plaintext_sha256") as caught:
        for _name, chunks in reader.entries():
            b"".join(chunks)
    assert caught.value.reason == "tampered"


def test_list_reads_the_trailer_without_the_key(tmp_path):
    data, manifest = _archive()
    path = tmp_path / "a.tbxbak"
    path.write_bytes(data)
    assert read_trailer(path) == manifest
    path.write_bytes(data[:-3])
    assert read_trailer(path) is None


def _chunk_offsets(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each chunk record: flag, length, ciphertext."""
    header_len = int.from_bytes(data[8:12], "big")
    offset = len(MAGIC) + 4 + header_len
    spans = []
    while True:
        flag = data[offset]
        length = int.from_bytes(data[offset + 1 : offset + 5], "big")
        spans.append((offset, offset + 5 + length))
        offset += 5 + length
        if flag == 1:
            return spans


@pytest.mark.parametrize("where", ["first chunk", "middle chunk", "last chunk", "header"])
def test_a_changed_byte_is_tampering(where):
    data, _manifest = _archive()
    spans = _chunk_offsets(data)
    position = {
        "first chunk": spans[0][0] + 10,
        "middle chunk": spans[len(spans) // 2][0] + 20,
        "last chunk": spans[-1][1] - 1,
        "header": 20,
    }[where]
    changed = bytearray(data)
    changed[position] ^= 0x01
    with pytest.raises(ArchiveError) as caught:
        _read(bytes(changed))
    assert caught.value.reason in {"tampered", "format"}


def test_a_changed_manifest_fails_its_mac():
    data, _manifest = _archive()
    # Change only the trailer (the header is covered by every chunk's AAD).
    head_end = _chunk_offsets(data)[-1][1]
    changed = data[:head_end] + data[head_end:].replace(b"2026-12-06", b"2026-12-07")
    with pytest.raises(ArchiveError, match="manifest failed authentication") as caught:
        _read(changed)
    assert caught.value.reason == "tampered"


def test_swapped_chunks_are_detected():
    data, _manifest = _archive()
    spans = _chunk_offsets(data)
    (a0, a1), (b0, b1) = spans[2], spans[3]
    swapped = data[:a0] + data[b0:b1] + data[a0:a1] + data[b1:]
    with pytest.raises(ArchiveError, match="chunk 2 failed authentication"):
        _read(swapped)


def test_a_dropped_chunk_is_detected():
    data, _manifest = _archive()
    spans = _chunk_offsets(data)
    dropped = data[: spans[4][0]] + data[spans[4][1] :]
    with pytest.raises(ArchiveError) as caught:
        _read(dropped)
    assert caught.value.reason == "tampered"


@pytest.mark.parametrize("cut", ["in the header", "between chunks", "inside a chunk", "trailer"])
def test_truncation_is_detected(cut):
    data, _manifest = _archive()
    spans = _chunk_offsets(data)
    at = {
        "in the header": 10,
        "between chunks": spans[5][0],
        "inside a chunk": spans[5][0] + 30,
        "trailer": spans[-1][1] + 5,
    }[cut]
    with pytest.raises(ArchiveError) as caught:
        _read(data[:at])
    assert caught.value.reason == "truncated"


def test_a_final_chunk_cut_off_and_flag_forged_is_detected():
    data, _manifest = _archive()
    spans = _chunk_offsets(data)
    start = spans[-2][0]
    forged = bytearray(data[: spans[-2][1]])
    forged[start] = 1  # claim the second-to-last chunk is the final one
    with pytest.raises(ArchiveError) as caught:
        _read(bytes(forged) + data[spans[-1][1] :])
    assert caught.value.reason == "tampered"


def test_another_master_key_is_named_not_guessed():
    data, _manifest = _archive(kek=secrets.token_bytes(32), kek_id="otherkey00000002")
    with pytest.raises(ArchiveError, match="otherkey00000002") as caught:
        _read(data)
    assert caught.value.reason == "other_key"


def test_the_same_id_with_another_key_fails_authentication():
    data, _manifest = _archive(kek=secrets.token_bytes(32))  # forged id, wrong key
    with pytest.raises(ArchiveError) as caught:
        _read(data)
    assert caught.value.reason == "tampered"


def test_not_an_archive():
    with pytest.raises(ArchiveError) as caught:
        _read(b"SQLite format 3\x00" + b"\x00" * 100)
    assert caught.value.reason == "format"


def test_each_archive_has_its_own_key():
    first, _ = _archive()
    second, _ = _archive()
    assert first[60:200] != second[60:200]
    salt = b"\x00" * 32
    assert keys.derive(KEK, salt) != keys.derive(KEK, b"\x01" * 32)
    enc, mac = keys.derive(KEK, salt)
    assert enc != mac and KEK not in (enc, mac)
