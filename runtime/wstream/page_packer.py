"""Packs a page of retained items into one zlib stream, chunk by chunk, within a byte bound."""

import zlib
from collections.abc import Callable, Collection, Sequence
from typing import Final

#: Source bytes compressed between two looks at the packed size.
_PACK_CHUNK_BYTES: Final = 128 * 1024
#: Most bytes ending the zlib stream adds after a sync flush: a closing piece in a final
#: block, and the Adler-32 checksum.
PACK_END_BYTES: Final = 16

#: Turns one retained item (topic, wire form, offset) into the bytes the page carries.
Render = Callable[[str, str, int], bytes]


class Packer:
    """Compresses a page's pieces (one per item) chunk by chunk, keeping the output bounded.

    After every chunk a sync flush tells the exact packed size so far; a chunk that would
    pass the bound is undone (from a copy of the compressor) and tried in halves, so the
    page is cut at an item, not at a chunk.
    """

    def __init__(
        self, max_packed: int, level: int, *, opening: bytes = b"", separator: bytes = b""
    ) -> None:
        """Pack at most ``max_packed`` bytes at zlib ``level``; the stream starts ``opening``.

        ``separator`` goes between two pieces (a JSON list's comma; nothing for pieces
        that carry their own length).
        """
        self.max_packed = max_packed
        self.separator = separator
        self.compressor = zlib.compressobj(level)
        self.packed = [self.compressor.compress(opening)]
        self.size = len(self.packed[0])
        #: Pieces packed so far.
        self.count = 0

    def add(self, pieces: list[bytes]) -> int:
        """Pack as many of ``pieces`` as fit, in order; returns how many."""
        done = 0
        while done < len(pieces):
            take = len(pieces) - done
            while True:
                saved = self.compressor.copy()
                chunk = self.separator.join(pieces[done : done + take])
                lead = self.separator if self.count else b""
                out = self.compressor.compress(lead + chunk)
                out += self.compressor.flush(zlib.Z_SYNC_FLUSH)
                # One item alone always goes: a page carries at least one.
                if self.size + len(out) <= self.max_packed or (self.count == 0 and take == 1):
                    self.packed.append(out)
                    self.size += len(out)
                    self.count += take
                    done += take
                    break
                self.compressor = saved
                if take == 1:
                    return done
                take //= 2
        return done

    def finish(self, closing: bytes = b"") -> bytes:
        """End the stream with ``closing`` and return all the packed bytes."""
        self.packed.append(self.compressor.compress(closing) + self.compressor.flush())
        return b"".join(self.packed)


def pack_log(
    packer: Packer,
    topics: Sequence[str],
    data: Sequence[str],
    *,
    base_offset: int,
    from_offset: int,
    wanted: Collection[str] | None,
    source_limit: int,
    render: Render,
) -> int:
    """Pack the log's items from ``from_offset`` until the packer or ``source_limit`` is full.

    Args:
        packer: Receives each item's rendered bytes.
        topics: The retained items' topics, the first at ``base_offset``.
        data: Their wire forms, index for index.
        base_offset: The offset of the first retained item.
        from_offset: The first offset asked for (below ``base_offset``: from the base).
        wanted: The topics asked for, or None for every topic.
        source_limit: The most bytes the packed pieces may unpack to (one alone may pass).
        render: Each item's bytes in the page.

    Returns:
        The offset the next page starts at (the log's end when every item went in).
    """
    end_offset = base_offset + len(data)
    pending: list[bytes] = []
    pending_offsets: list[int] = []
    pending_bytes = 0
    source = 0
    for index in range(max(from_offset, base_offset) - base_offset, len(data)):
        topic = topics[index]
        if wanted is not None and topic not in wanted:
            continue
        offset = base_offset + index
        piece = render(topic, data[index], offset)
        source += len(piece) + len(packer.separator)
        if source > source_limit and (packer.count or pending):
            return _flush(packer, pending, pending_offsets, offset)
        pending.append(piece)
        pending_offsets.append(offset)
        pending_bytes += len(piece)
        if pending_bytes >= _PACK_CHUNK_BYTES:
            taken = packer.add(pending)
            if taken < len(pending):
                return pending_offsets[taken]
            pending, pending_offsets, pending_bytes = [], [], 0
    return _flush(packer, pending, pending_offsets, end_offset)


def _flush(packer: Packer, pending: list[bytes], offsets: list[int], next_offset: int) -> int:
    """Pack the pending pieces; where the next page starts (``next_offset`` if all fit)."""
    if pending:
        taken = packer.add(pending)
        if taken < len(pending):
            return offsets[taken]
    return next_offset
