from core.lru import BoundedLRU


def test_keeps_the_most_recently_used_entries():
    lru = BoundedLRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "a" is now the most recent
    lru.put("c", 3)
    assert "b" not in lru and lru.get("a") == 1 and lru.get("c") == 3


def test_clear():
    lru = BoundedLRU(4)
    lru.put("a", 1)
    lru.clear()
    assert lru.get("a") is None
