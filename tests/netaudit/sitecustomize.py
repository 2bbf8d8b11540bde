"""Network audit for tests/test_offline.py (loaded only when this folder is on PYTHONPATH).

Python imports ``sitecustomize`` at start-up. This one installs a :func:`sys.addaudithook` hook that appends
one JSON line per network-relevant audit event to the file named by ``PRIORITIZER_NETAUDIT_LOG``:

    {"pid": 123, "event": "socket.connect", "family": "AF_INET", "host": "127.0.0.1", "port": 8501,
     "address": ["127.0.0.1", 8501]}

Audited events (https://docs.python.org/3/library/audit_events.html): ``socket.connect``,
``socket.sendto``, ``socket.sendmsg``, ``socket.bind``, ``socket.getaddrinfo``, ``urllib.Request`` and
``http.client.connect``. The hook only records; it never blocks or raises, so the server behaves exactly as
it would without it. A first ``audit.start`` line proves the hook was installed in that process. Without
the environment variable nothing is installed. No other ``sitecustomize`` exists in this environment; if
one is added later, it is shadowed while this folder is first on PYTHONPATH (tests only).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

_ENV = "PRIORITIZER_NETAUDIT_LOG"
_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind", "socket.getaddrinfo",
                     "urllib.Request", "http.client.connect"})


def _plain(value: object) -> object:
    """A JSON-safe copy of an address (tuples → lists, bytes → text)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def _family(sock: object) -> str | None:
    fam = getattr(sock, "family", None)
    return getattr(fam, "name", None if fam is None else str(fam))


def _record(event: str, args: tuple) -> dict:
    rec: dict = {"pid": os.getpid(), "event": event}
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"):
        sock, address = args[0], args[-1]
        rec["family"] = _family(sock)
        rec["address"] = _plain(address)
        if isinstance(address, tuple) and len(address) >= 2:
            rec["host"], rec["port"] = _plain(address[0]), address[1]
        elif isinstance(address, str | bytes):
            rec["host"] = None
    elif event == "socket.getaddrinfo":
        rec["host"], rec["port"] = _plain(args[0]), _plain(args[1])
        rec["address"] = _plain(args[:2])
    elif event == "urllib.Request":
        rec["url"] = _plain(args[0])
        rec["method"] = _plain(args[3]) if len(args) > 3 else None
    elif event == "http.client.connect":
        rec["host"], rec["port"] = _plain(args[1]), _plain(args[2])
        rec["address"] = [rec["host"], rec["port"]]
    return rec


def _install(path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(rec: dict) -> None:
        # One os.write per line on an O_APPEND descriptor: lines from threads and processes do not interleave.
        os.write(fd, (json.dumps(rec, default=repr) + "\n").encode("utf-8"))

    def hook(event: str, args: tuple) -> None:
        if event not in _EVENTS:
            return
        with contextlib.suppress(Exception):  # an audit hook must never break the audited program
            write(_record(event, args))

    write({"pid": os.getpid(), "event": "audit.start", "argv": list(getattr(sys, "argv", []))})
    sys.addaudithook(hook)


if os.environ.get(_ENV):
    _install(os.environ[_ENV])
