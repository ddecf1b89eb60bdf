"""Attach to a client pod's stdin (the start gate's go line) over the API server's websocket.

``kubernetes.stream.stream`` swaps ``call_api`` on the shared ApiClient while it connects, which is not
safe with other requests in flight on other threads; this opens the websocket directly instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from kataio_tui.runners.kubernetes.manifests import CONTAINER

CONNECT_TIMEOUT = 15.0


def open_stdin(configuration: Any, namespace: str, pod: str, container: str = CONTAINER) -> Any:
    """An open attach stream (kubernetes WSClient) to the pod's container stdin."""
    from kubernetes.stream.ws_client import WSClient, get_websocket_url

    url = get_websocket_url(
        f"{configuration.host}/api/v1/namespaces/{quote(namespace)}/pods/{quote(pod)}/attach",
        [("container", container), ("stdin", "true"), ("stdout", "false"), ("stderr", "false"), ("tty", "false")])
    headers = {}
    token = configuration.auth_settings().get("BearerToken")
    if token and token.get("value"):
        headers["authorization"] = token["value"]
    return WSClient(configuration, url, headers, capture_all=False)


def send_line(stream: Any, line: bytes) -> None:
    stream.write_stdin(line.decode())


def close_quietly(stream: Any) -> None:
    try:
        stream.close()
    except Exception:  # noqa: BLE001 - the pod may be gone already
        pass
