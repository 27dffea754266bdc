"""Ids: random UUIDs for most rows, time-ordered UUIDs (version 7) for bulk-written ones."""

from __future__ import annotations

import time
import uuid

from app.core.types import new_id, new_sequential_id, new_sequential_ids


def test_sequential_ids_are_uuid7_and_sort_in_creation_order():
    ids = [new_sequential_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # text order is creation order: indexes take them in a row
    for value in ids[:50]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value  # canonical lower-case form, 36 characters
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_ids_made_at_once_ascend_between_the_ids_made_before_and_after():
    before = new_sequential_id()
    made = new_sequential_ids(5000)
    after = new_sequential_id()
    assert len(set(made)) == 5000
    assert [before, *made, after] == sorted([before, *made, after])
    for value in made[:50] + made[-50:]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
    low_bits = {uuid.UUID(v).int & ((1 << 62) - 1) for v in made}
    assert len(low_bits) == 5000 and max(low_bits) > 1 << 58
    assert new_sequential_ids(0) == []


def test_sequential_ids_carry_their_creation_millisecond():
    before = time.time_ns() // 1_000_000
    value = new_sequential_id()
    after = time.time_ns() // 1_000_000
    assert before <= uuid.UUID(value).int >> 80 <= after


def test_sequential_ids_keep_62_random_bits():
    low_bits = {uuid.UUID(new_sequential_id()).int & ((1 << 62) - 1) for _ in range(2000)}
    assert len(low_bits) == 2000
    assert max(low_bits) > 1 << 58  # spread over the whole range, not a counter


def test_other_ids_stay_random():
    assert uuid.UUID(new_id()).version == 4


def test_a_forked_child_draws_its_own_random_bits():
    import os

    new_sequential_id()  # the parent has a buffer of random bytes in hand
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the low bits of its next id, then leave at once
        os.write(write, new_sequential_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    parent = new_sequential_id()
    low = (1 << 62) - 1
    assert uuid.UUID(child).int & low != uuid.UUID(parent).int & low
