"""Fixtures of the client tests: a bounded wait, and real IPython kernels."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

#: Variables that would point a kernel at some other room host.
DISCOVERY_VARS = ("PARTYWIDGET_URL", "PARTYWIDGET_TOKEN", "PARTYWIDGET_JUPYTER_URL",
                  "PARTYWIDGET_JUPYTER_TOKEN", "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_API_TOKEN",
                  "JPY_PARENT_PID")

Waiter = Callable[..., None]


def _wait_until(condition: Callable[[], Any], timeout: float = 20.0, what: str = "") -> None:
    """Poll ``condition`` until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.02)


@pytest.fixture
def wait_until() -> Waiter:
    return _wait_until


class Kernel:
    """A real ipykernel started with jupyter_client; ``run`` executes and returns output."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env, cwd=str(cwd))
        self.client: BlockingKernelClient = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 60.0) -> str:
        """Execute ``code``; its stdout, results and displays as text. Errors fail the test."""
        output: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                output.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                output.append(content["data"].get("text/plain", "") + "\n")
            elif kind == "error":
                output.append("\n".join(content["traceback"]))

        reply = self.client.execute_interactive(code, timeout=timeout, output_hook=hook,
                                                allow_stdin=False)
        self.last_reply = reply["content"]
        if reply["content"]["status"] != "ok":
            raise AssertionError(f"kernel raised on {code!r}:\n{''.join(output)}")
        return "".join(output)

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def start_kernel(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Kernel]]:
    """Start kernels whose environment holds exactly the given discovery variables."""
    kernels: list[Kernel] = []
    base = {k: v for k, v in os.environ.items() if k not in DISCOVERY_VARS}

    def start(env: dict[str, str]) -> Kernel:
        kernel = Kernel({**base, **env}, tmp_path)
        kernels.append(kernel)
        return kernel

    try:
        yield start
    finally:
        for kernel in kernels:
            kernel.shutdown()
