"""Pilot tests wait for the app's workers with ``app.workers.wait_for_complete()``. A load
started while another of its exclusive group runs cancels the older one, and Textual's
``Worker.wait`` raises ``WorkerCancelled`` for it: for a test that only waits for the app
to be idle, a cancelled worker is a finished one (it once failed a test at random)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

import pytest
from textual.worker import Worker, WorkerCancelled
from textual.worker_manager import WorkerManager


async def _wait_for_complete(self: WorkerManager,
                             workers: Iterable[Worker] | None = None) -> None:
    async def one(worker: Worker) -> None:
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()

    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*[one(worker) for worker in (workers or self)])


@pytest.fixture(autouse=True)
def cancelled_workers_count_as_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WorkerManager, "wait_for_complete", _wait_for_complete)
