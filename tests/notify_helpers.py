"""Real receivers for notification tests: an HTTP server on loopback that records every
request, and a fake ``sendmail`` (a shell script) that writes each message it is given."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Request] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0  # seconds before answering

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


@pytest.fixture
def receiver():
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            if state.delay:
                time.sleep(state.delay)  # the server is slow: what the client waits for
            with lock:
                state.requests.append(Request(
                    "POST", parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()}, body,
                ))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class FakeSendmail:
    bin_dir: Path  # put first on PATH
    spool: Path  # one file per message

    def messages(self) -> list:
        from email import message_from_bytes
        from email.policy import default

        return [message_from_bytes(p.read_bytes(), policy=default) for p in sorted(self.spool.glob("msg-*"))]

    def args(self) -> list[str]:
        return [p.read_text().strip() for p in sorted(self.spool.glob("args-*"))]


@pytest.fixture
def sendmail(tmp_path):
    bin_dir = tmp_path / "fakebin"
    spool = tmp_path / "spool"
    bin_dir.mkdir()
    spool.mkdir()
    script = bin_dir / "sendmail"
    script.write_text(
        "#!/bin/sh\n"
        f'n=$(date +%s%N)-$$\necho "$@" > "{spool}/args-$n"\ncat > "{spool}/msg-$n"\n'
    )
    script.chmod(0o755)
    return FakeSendmail(bin_dir, spool)


def write_config(tmp_path: Path, text: str) -> Path:
    cfg = tmp_path / "xdg-config" / "schedcli" / "config.toml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(text)
    return cfg
