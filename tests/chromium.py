"""A headless chromium for the browser tests and the report benchmark, driven over the
DevTools protocol (``--remote-debugging-pipe``): Debian's chromium, nothing downloaded,
a fresh profile per browser. :data:`CHROMIUM` is None where no chromium is installed
(the tests then skip).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


# Chromium reads DevTools commands from fd 3 and writes replies to fd 4: put the pipes
# there, then exec chromium (copies first, so that neither pipe end is overwritten).
TRAMPOLINE = """import os, sys
a, b = os.dup(int(sys.argv[1])), os.dup(int(sys.argv[2]))
os.dup2(a, 3)
os.dup2(b, 4)
os.set_inheritable(3, True)  # dup2 onto itself keeps the close-on-exec flag of dup
os.set_inheritable(4, True)
os.execv(sys.argv[3], sys.argv[3:])
"""


class DevTools:
    """A headless chromium driven over ``--remote-debugging-pipe`` (fds 3 and 4)."""

    def __init__(self, profile: Path, timeout: float = 60.0) -> None:
        commands_r, self._commands = os.pipe()
        self._replies, replies_w = os.pipe()
        self.log = (profile.parent / "chromium.log").open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                TRAMPOLINE,
                str(commands_r),
                str(replies_w),
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(commands_r, replies_w),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
        )
        os.close(commands_r)
        os.close(replies_w)
        self.deadline = time.monotonic() + timeout
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._next = 0

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._replies], [], [], left)
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                assert "error" not in reply, reply
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str | None = None) -> dict[str, Any]:
        """The first event ``method`` (of the tab ``session``, if given) seen or to come."""

        def wanted(event: dict[str, Any]) -> bool:
            return event.get("method") == method and session in (None, event.get("sessionId"))

        for event in self.events:
            if wanted(event):
                return event
        while True:
            event = self._read()
            self.events.append(event)
            if wanted(event):
                return event

    def open(self, url: str, size: tuple[int, int] | None = None) -> str:
        """Load ``url`` in a new tab (Page, Runtime, Log and Network events on; a viewport
        of ``size`` pixels); its session."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session)
        if size is not None:
            self.send(
                "Emulation.setDeviceMetricsOverride",
                session,
                width=size[0],
                height=size[1],
                deviceScaleFactor=1,
                mobile=False,
            )
        self.send("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        reply = self.send(
            "Runtime.evaluate",
            session,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        assert "exceptionDetails" not in reply, reply["exceptionDetails"]
        return reply["result"].get("value")

    def errors(self, session: str) -> list[dict[str, Any]]:
        """Exceptions, console errors, error log entries and failed loads of a tab."""
        return [
            e["params"]
            for e in self.events
            if e.get("sessionId") == session
            and (
                e["method"] in ("Runtime.exceptionThrown", "Network.loadingFailed")
                or (
                    e["method"] == "Runtime.consoleAPICalled"
                    and e["params"]["type"] in {"error", "assert"}
                )
                or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
            )
        ]

    def requested(self, session: str) -> list[str]:
        """Every URL a tab asked for."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("sessionId") == session and e["method"] == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._commands)
        os.close(self._replies)
        self.log.close()
