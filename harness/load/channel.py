"""The messages the harness sends over Locust's master/worker channel, and the extension point.

master -> worker  CONFIG  the run (the [load] table, target, seed, t0, this worker's index/count)
worker -> master  BATCH   a Recorder batch, once a second and a final one when the test stops

Extension point (journeys will use it to share work across machines): a module registers a
handler for its own message type on workers with `on_worker(type, handler)` and on the master
with `on_master(type, handler)`; handlers get `(environment, msg)` as Locust gives them and may
answer with `environment.runner.send_message(...)`. Register before the runner is created
(at import); process_main.py and locust_worker.py install every registered handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CONFIG = "harness_config"
BATCH = "harness_batch"

Handler = Callable[..., Any]
WORKER_HANDLERS: dict[str, Handler] = {}
MASTER_HANDLERS: dict[str, Handler] = {}


def on_worker(msg_type: str, handler: Handler) -> None:
    if msg_type in (CONFIG, BATCH):
        raise ValueError(f"{msg_type} is the harness's own message type")
    WORKER_HANDLERS[msg_type] = handler


def on_master(msg_type: str, handler: Handler) -> None:
    if msg_type in (CONFIG, BATCH):
        raise ValueError(f"{msg_type} is the harness's own message type")
    MASTER_HANDLERS[msg_type] = handler


def install(runner: Any, handlers: dict[str, Handler]) -> None:
    for msg_type, handler in handlers.items():
        runner.register_message(msg_type, handler)
