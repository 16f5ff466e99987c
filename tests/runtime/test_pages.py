"""Reading poll pages: each item once, from any offset, and clear errors for what does not fit."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from tests.runtime.helpers import start_host
from tests.runtime.stream_workflows import Event, GarbledPollWorkflow, HostInput, HostWorkflow
from wstream import ItemDecodeError, StreamNotFoundError, WorkflowStreamClient
from wstream.codec import codec_for
from wstream.pages import PageReader, PollStats


def _reader(client: Client, workflow_id: str, type_hint: Any, from_offset: int = 0) -> PageReader:
    codec = codec_for(type_hint, client.data_converter.payload_converter)
    return PageReader(
        lambda: client.get_workflow_handle(workflow_id),
        topics=[],
        from_offset=from_offset,
        codec_for_topic=lambda _topic: codec,
        poll_cooldown=0.05,
        stats=PollStats(),
    )


async def _host_with_items(client: Client, task_queue: str, count: int) -> WorkflowHandle[Any, Any]:
    handle = await start_host(client, task_queue, HostInput(publish_from_workflow=count))
    stream = WorkflowStreamClient.create(client, handle.id)
    while await stream.get_offset() < count:
        await asyncio.sleep(0.05)
    return handle


async def test_a_page_decoded_twice_yields_its_items_once(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await _host_with_items(client, task_queue, 5)
    reader = _reader(client, handle.id, Event)
    page = await reader.query()
    first = reader.decode(page)
    assert [(i.topic, i.offset, i.data) for i in first] == [
        ("events", n, Event(name="from-workflow", n=n)) for n in range(5)
    ]
    assert reader.offset == 5
    # An implementation may answer with a page again; what was read is not read twice.
    assert reader.decode(page) == []
    assert reader.stats.queries == 1
    await handle.signal(HostWorkflow.finish_now)


async def test_a_reader_moved_back_mid_page_reads_from_there(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await _host_with_items(client, task_queue, 5)
    reader = _reader(client, handle.id, Event, from_offset=3)
    assert [i.offset for i in reader.decode(await reader.query())] == [3, 4]
    reader.offset = 1
    assert [i.offset for i in reader.decode(await reader.query())] == [1, 2, 3, 4]
    await handle.signal(HostWorkflow.finish_now)


async def test_an_item_that_does_not_decode_names_topic_and_offset_and_stays_unread(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await _host_with_items(client, task_queue, 2)
    reader = _reader(client, handle.id, int)
    page = await reader.query()
    with pytest.raises(ItemDecodeError, match=r"item at offset 0 on topic 'events'"):
        reader.decode(page)
    assert reader.offset == 0  # nothing is skipped: the item can still be read raw
    await handle.signal(HostWorkflow.finish_now)


async def test_a_poll_answer_that_is_not_a_page_is_refused_naming_the_workflow(
    client: Client, worker: Worker, task_queue: str
) -> None:
    workflow_id = f"garbled-{uuid.uuid4().hex[:10]}"
    handle = await client.start_workflow(
        GarbledPollWorkflow.run, id=workflow_id, task_queue=task_queue
    )
    reader = _reader(client, workflow_id, Event)
    with pytest.raises(
        ValueError,
        match=rf"workflow '{workflow_id}' answered the poll with a malformed answer: "
        "poll answer must be a JSON object, got list",
    ):
        await reader.query()
    await handle.signal(GarbledPollWorkflow.finish_now)
    await handle.result()


async def test_a_missing_workflow_is_an_error_not_a_retry(client: Client) -> None:
    reader = _reader(client, f"absent-{uuid.uuid4().hex[:10]}", Event)
    with pytest.raises(StreamNotFoundError, match="not found"):
        await asyncio.wait_for(reader.query(), 30)
    assert reader.stats.queries == 1


async def test_the_next_page_is_asked_for_while_this_one_is_read(
    client: Client, worker: Worker, task_queue: str
) -> None:
    """A full page sends the next page's query at once; the next query() takes its answer."""
    count = 12_000  # several pages of ~500 KB
    handle = await _host_with_items(client, task_queue, count)
    reader = _reader(client, handle.id, Event)
    page = await reader.query()
    assert page.more_ready
    await asyncio.sleep(0)  # one turn of the loop: the read-ahead leaves
    assert reader.stats.queries == 2
    offsets = [item.offset for item in reader.decode(page)]
    pages = 1
    while page.more_ready:
        page = await reader.query()
        offsets += [item.offset for item in reader.decode(page)]
        pages += 1
    assert offsets == list(range(count))
    # Every read-ahead was taken: one query per page, and none after the last (not full).
    assert reader.stats.queries == pages
    assert pages >= 3
    await handle.signal(HostWorkflow.finish_now)


async def test_a_reader_moved_elsewhere_drops_its_read_ahead(
    client: Client, worker: Worker, task_queue: str
) -> None:
    count = 12_000
    handle = await _host_with_items(client, task_queue, count)
    reader = _reader(client, handle.id, Event)
    first = reader.decode(await reader.query())
    assert first[-1].offset + 1 == reader.offset < count
    await asyncio.sleep(0)  # the read-ahead leaves
    assert reader.stats.queries == 2
    # Moved back (a subscriber yielded only part of the page): the read-ahead asked for the
    # offset after the page, so it is dropped and the page from here asked for anew.
    reader.offset = 10
    again = reader.decode(await reader.query())
    assert again[0].offset == 10
    assert reader.stats.queries == 3  # page, read-ahead (dropped), the page from 10
    reader.close()  # its own read-ahead never leaves
    await asyncio.sleep(0)
    assert reader.stats.queries == 3
    await handle.signal(HostWorkflow.finish_now)
