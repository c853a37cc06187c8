import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SRC = HERE.parent / "src"
FIXTURES = HERE / "fixtures"


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Service:
    """A real uvicorn process on 127.0.0.1; its stdout (the log lines) goes to a file."""

    url: str
    log_path: Path
    process: subprocess.Popen
    stderr_path: Path
    _lines: list = field(default_factory=list)

    def raw_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8").split("\n")

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.raw_lines() if line.strip()]

    def wait_for(self, predicate, timeout: float = 10.0) -> list[dict]:
        """Log lines are flushed per line, but the process writes them after responding."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.lines()
            if predicate(lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)


def start_service(tmp: Path, name: str, env: dict[str, str] | None = None) -> Service:
    port_file = tmp / f"{name}.port"
    log_path = tmp / f"{name}.log"
    stderr_path = tmp / f"{name}.err"
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE / "apps")]),
        "SERVICE": name,
        "HOPSCOPE_LOG_FORMAT": "json",
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, str(HERE / "apps" / "serve.py"), "service_app:app", str(port_file)],
        stdout=open(log_path, "w"),
        stderr=open(stderr_path, "w"),
        env=full_env,
    )
    deadline = time.monotonic() + 30
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"service {name} did not start: {stderr_path.read_text()}")
        time.sleep(0.05)
    port = int(port_file.read_text())
    return Service(f"http://127.0.0.1:{port}", log_path, process, stderr_path)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Starts services for a whole test module (each test filters lines by its request IDs)."""
    started: list[Service] = []
    tmp = tmp_path_factory.mktemp("services")

    def start(name: str, **env: str) -> Service:
        service = start_service(tmp, name, env)
        started.append(service)
        return service

    yield start
    for service in started:
        service.process.terminate()
    for service in started:
        try:
            service.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            service.process.kill()


@pytest.fixture
def captured() -> Iterator:
    """Routes hopscope's output into a buffer and restores the settings afterwards."""
    import io

    import hopscope
    from hopscope.config import settings
    from hopscope.log.sink import sink

    saved = dict(vars(settings))
    buffer = io.StringIO()
    hopscope.configure("test-service", stream=buffer, pretty=False, level="debug")

    def read() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().split("\n") if line]

    read.buffer = buffer  # type: ignore[attr-defined]
    yield read
    for key, value in saved.items():
        setattr(settings, key, value)
    sink.reconfigure()


