"""Runs an ASGI app on 127.0.0.1 on an ephemeral port: `python serve.py module:attr port_file`.

The port is written to ``port_file`` (stdout is reserved for the app's log lines).
"""

import importlib
import os
import socket
import sys

import uvicorn


def main() -> None:
    target, port_file = sys.argv[1], sys.argv[2]
    module_name, _, attr = target.partition(":")
    app = getattr(importlib.import_module(module_name), attr)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(sock.getsockname()[1]))
    os.replace(tmp, port_file)  # atomic: the test never reads a half-written port
    # Idle keep-alive longer than httpx's 5 s expiry: with equal timeouts the server can close a
    # pooled connection just as the client reuses it (a ReadError under load, not an app bug).
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", backlog=2048, timeout_keep_alive=75
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
