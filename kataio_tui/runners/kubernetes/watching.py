"""Watch a set of objects (pods of a scenario, events of a namespace) from a background thread.

List once, then watch from that resourceVersion; a 410 Gone (history compacted) re-lists; a broken
connection is retried, and :attr:`Watcher.lost_since` tells the runner how long the API server has
been unreachable, so a lost connection ends the scenario instead of hanging it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

WATCH_SECONDS = 60  # server-side timeout of one watch request; the thread simply watches again
READ_TIMEOUT = 10.0  # no byte for this long: reconnect (and notice a stop request)


class Watcher:
    """Calls ``on_event(kind, obj)`` (kind ADDED, MODIFIED, DELETED; every listed object comes as ADDED)
    from its own thread until :meth:`stop`."""

    def __init__(self, list_fn: Callable[..., Any], namespace: str, on_event: Callable[[str, Any], None],
                 label_selector: str | None = None, field_selector: str | None = None, name: str = "watch") -> None:
        self._list = list_fn
        self._namespace = namespace
        self._on_event = on_event
        self._selectors = {k: v for k, v in (("label_selector", label_selector), ("field_selector", field_selector))
                           if v}
        self._stop = threading.Event()
        self.lost_since: float | None = None
        self.last_error: BaseException | None = None
        self.listed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        from kubernetes import watch

        resource_version: str | None = None
        while not self._stop.is_set():
            try:
                if resource_version is None:
                    listed = self._list(self._namespace, _request_timeout=READ_TIMEOUT, **self._selectors)
                    resource_version = listed.metadata.resource_version
                    for item in listed.items:
                        self._on_event("ADDED", item)
                    self.listed.set()
                stream = watch.Watch().stream(self._list, self._namespace, resource_version=resource_version,
                                              timeout_seconds=WATCH_SECONDS,
                                              _request_timeout=(READ_TIMEOUT, READ_TIMEOUT), **self._selectors)
                self.lost_since = None
                for event in stream:
                    if self._stop.is_set():
                        return
                    obj = event["object"]
                    if event["type"] == "ERROR":
                        resource_version = None  # 410 Gone and the like: start over from a fresh list
                        break
                    resource_version = obj.metadata.resource_version
                    self._on_event(event["type"], obj)
            except Exception as exc:  # noqa: BLE001 - every failure is retried; the runner decides when to give up
                if getattr(exc, "status", None) == 410:
                    resource_version = None
                    continue
                if _is_read_timeout(exc):
                    continue  # an idle watch; watch again from the same version
                self.last_error = exc
                if self.lost_since is None:
                    self.lost_since = time.monotonic()
                if getattr(exc, "status", None) in (401, 403, 404):
                    self._stop.wait(2.0)  # refused: the runner reports it; do not hammer the server
                else:
                    self._stop.wait(0.5)


def _is_read_timeout(exc: BaseException) -> bool:
    from urllib3.exceptions import ProtocolError, ReadTimeoutError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ReadTimeoutError):
            return True
        if isinstance(seen, ProtocolError) and "Read timed out" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
