"""The client's options, declared once: their names, types, defaults and meaning."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Final, TypedDict, TypeVar, cast

from wstream import limits

F = TypeVar("F", bound=Callable[..., Any])


class ClientOptions(TypedDict, total=False):
    """Keyword options of every way to make a stream client, typed wrappers' included.

    ``WorkflowStreamClient(...)``, ``WorkflowStreamClient.create``,
    ``WorkflowStreamClient.from_within_activity`` and the ``create`` and
    ``from_within_activity`` of every generated client take them; defaults in parentheses.

    Attributes:
        batch_interval: How often the background flusher sends buffered items (2 s).
        max_batch_size: Most items in one batch (``None``: no item bound, only bytes).
        max_retry_duration: How long one batch is retried before ``flush`` raises
            ``TimeoutError`` (600 s); ``get_offset`` retries as long.
        max_batch_bytes: Byte budget of one publish signal; bursts become several batches
            (192 KiB).
        max_buffer_items: Most items buffered before ``publish`` raises ``BufferFullError``
            (100,000).
        max_buffer_bytes: Most bytes buffered before ``publish`` raises ``BufferFullError``
            (32 MiB).
        stamp_publish_time: Give every item its publish time (``published_at`` on the
            subscriber's item, and the ``wstream_delivery_latency`` metric), at about 40
            bytes of payload metadata per item (``False``).
    """

    batch_interval: timedelta
    max_batch_size: int | None
    max_retry_duration: timedelta
    max_batch_bytes: int
    max_buffer_items: int
    max_buffer_bytes: int
    stamp_publish_time: bool


#: The value of every option that is not given.
CLIENT_DEFAULTS: Final[ClientOptions] = {
    "batch_interval": timedelta(seconds=2),
    "max_batch_size": None,
    "max_retry_duration": timedelta(seconds=600),
    "max_batch_bytes": limits.DEFAULT_MAX_BATCH_BYTES,
    "max_buffer_items": limits.DEFAULT_MAX_BUFFER_ITEMS,
    "max_buffer_bytes": limits.DEFAULT_MAX_BUFFER_BYTES,
    "stamp_publish_time": False,
}


def client_settings(given: Mapping[str, Any]) -> ClientOptions:
    """Every option: those given over the defaults.

    Raises:
        TypeError: an option name is unknown, as for any misspelt keyword argument.
    """
    unknown = sorted(set(given) - set(CLIENT_DEFAULTS))
    if unknown:
        raise TypeError(
            f"unexpected keyword argument {unknown[0]!r}; the client's options are "
            + ", ".join(CLIENT_DEFAULTS)
        )
    return cast(ClientOptions, {**CLIENT_DEFAULTS, **given})


def with_client_options(function: F) -> F:
    """Show ``function``'s ``**options`` as the keyword parameters they stand for.

    Type checkers read ``**options: Unpack[ClientOptions]``; ``inspect.signature`` (``help``,
    IDEs without TypedDict support, the parity check with the official client) then sees
    each option with its default, as if written out in every signature.
    """
    signature = inspect.signature(function)
    kept = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    # The TypedDict keeps its annotations as forward references; a signature shows text.
    annotations = {
        name: getattr(hint, "__forward_arg__", hint)
        for name, hint in ClientOptions.__annotations__.items()
    }
    options = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                          annotation=annotations[name])
        for name, default in CLIENT_DEFAULTS.items()
    ]  # fmt: skip
    function.__signature__ = signature.replace(parameters=[*kept, *options])  # type: ignore[attr-defined]
    return function
