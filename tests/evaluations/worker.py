"""A real procrastinate worker for tests: in its own thread (the session's Playwright fixture keeps an
event loop in the main thread), on the test database, until the queue is empty."""

from __future__ import annotations

import threading


def run_worker_until_idle(timeout_s: float = 60.0) -> None:
    from procrastinate.contrib.django import app

    errors: list[BaseException] = []

    def work():
        try:
            with app.replace_connector(app.connector.get_worker_connector()) as worker_app:
                worker_app.run_worker(queues=["evaluations"], wait=False, install_signal_handlers=False,
                                      listen_notify=False)
        except BaseException as exc:  # surfaced in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=work, name="test-procrastinate-worker")
    thread.start()
    thread.join(timeout_s)
    assert not thread.is_alive(), "the worker did not finish within the timeout"
    if errors:
        raise errors[0]
