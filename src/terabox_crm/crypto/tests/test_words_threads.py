"""Word segmentation from many threads at once (S3).

Under ASGI each request's view runs in a thread of its own, so the search
box's suggestions and the search page can segment text at the same moment.
A SudachiPy tokenizer used by two threads at once fails ("Already
borrowed"); each thread must get its own, on the one shared dictionary.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

from terabox_crm.crypto import words

NAMES = ["さくら物流株式会社", "みなと精工", "東京海上日動", "テラボックス合同会社"] * 50


def test_many_threads_segment_at_once_and_agree_with_one_thread():
    expected = {name: words.words(name) for name in set(NAMES)}
    expected_short = {name: words.short_words(name) for name in set(NAMES)}
    start = threading.Barrier(8)

    def segment(name: str) -> tuple[str, list[str], list[str]]:
        # Only the first eight meet at the barrier; from then on they overlap anyway.
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=0.2)
        return name, words.words(name), words.short_words(name)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(segment, NAMES))

    assert len(results) == len(NAMES)
    for name, found, short in results:
        assert found == expected[name]
        assert short == expected_short[name]
    assert "物流" in expected["さくら物流株式会社"]


def test_each_thread_has_its_own_tokenizer_on_one_dictionary():
    seen = []

    def grab() -> None:
        seen.append(words._tokenizer())

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(tokenizer) for tokenizer in seen}) == 3
    assert words._tokenizer() is words._tokenizer()  # the same thread keeps its own
