"""The item every scenario publishes: a ~150-byte record, the same for both implementations."""

from __future__ import annotations

import time

from pydantic import BaseModel


class Record(BaseModel):
    """One stream item; ``sent_at`` (wall clock at publish) gives publish→receive latency."""

    order_id: str
    seq: int
    state: str
    note: str
    sent_at: float


def record(i: int, sent_at: float | None = None) -> Record:
    """The ``i``-th record (~150 bytes of JSON)."""
    return Record(
        order_id=f"order-{i:08d}",
        seq=i,
        state="shipped" if i % 3 else "paid",
        note="item payload for the workflow stream benchmark; " + "x" * 17,
        sent_at=time.time() if sent_at is None else sent_at,
    )


def record_bytes() -> int:
    """JSON size of one record."""
    return len(record(0, 1.7e9).model_dump_json())
