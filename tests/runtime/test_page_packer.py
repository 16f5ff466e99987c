"""The page packer alone: a bounded zlib stream cut at an item, and the log walk feeding it."""

from __future__ import annotations

import zlib

from wstream.page_packer import PACK_END_BYTES, Packer, pack_log


def _pieces(count: int) -> list[bytes]:
    """Pieces that compress poorly (hex of distinct numbers), so a small bound fills."""
    return [f"{i:08d}".encode().hex().encode() * 3 + b";" for i in range(count)]


def test_a_packer_takes_pieces_up_to_its_bound_and_cuts_at_one() -> None:
    packer = Packer(4_000, 6, opening=b"<", separator=b",")
    pieces = _pieces(5_000)
    taken = packer.add(pieces)
    assert 0 < taken < len(pieces)
    packed = packer.finish(b">")
    assert len(packed) <= 4_000 + PACK_END_BYTES
    assert zlib.decompress(packed) == b"<" + b",".join(pieces[:taken]) + b">"
    # Once full, it takes no more, and says so.
    assert Packer(len(packed) // 2, 6).add(pieces[:taken]) < taken


def test_one_piece_alone_always_goes_however_large() -> None:
    packer = Packer(10, 1)
    large = bytes(range(256)) * 40
    assert packer.add([large, b"next"]) == 1
    assert zlib.decompress(packer.finish()) == large


def test_the_log_walk_skips_other_topics_and_stops_at_the_source_bound() -> None:
    topics = ["a", "b"] * 50
    data = [f"item{i:03d}" for i in range(100)]
    packer = Packer(10**6, 1, separator=b"|")
    next_offset = pack_log(
        packer,
        topics,
        data,
        base_offset=1_000,
        from_offset=1_010,
        wanted={"b"},
        source_limit=60,
        render=lambda topic, wire, offset: f"{offset}:{wire}".encode(),
    )
    # "1011:item011" is 12 bytes and its separator 1: four of them fit in 60 source bytes.
    expected = [f"{1_000 + i}:item{i:03d}" for i in range(11, 19, 2)]
    assert zlib.decompress(packer.finish()).decode().split("|") == expected
    assert next_offset == 1_019
    # Without a bound it reads to the log's end, and says so.
    whole = Packer(10**6, 1)
    end = pack_log(
        whole,
        topics,
        data,
        base_offset=1_000,
        from_offset=0,
        wanted=None,
        source_limit=10**6,
        render=lambda topic, wire, offset: wire.encode(),
    )
    assert end == 1_100 and whole.count == 100
