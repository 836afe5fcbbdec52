"""Loopback helpers for the IMAP tests: a TCP proxy that records what the client sends (to
prove a password never crossed in clear), and an RFC 7662 token-introspection endpoint for
Dovecot's oauth2 passdb."""
from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class RecordingProxy:
    """127.0.0.1:port → upstream, connecting from `source` (Dovecot counts a client whose
    address equals its own as secure and then allows plaintext logins; 127.0.0.2 is not)."""

    def __init__(self, upstream: tuple[str, int], source: str = "127.0.0.2"):
        self.upstream, self.source = upstream, source
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sent = bytearray()          # everything the client sent, as it went on the wire
        self._sockets: list[socket.socket] = [self.listener]
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> "RecordingProxy":
        self._spawn(self._accept)
        return self

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream, source_address=(self.source, 0))
            with self._lock:
                self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream, True)
            self._spawn(self._pump, upstream, client, False)

    def _pump(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    with self._lock:
                        self.sent += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        with self._lock:
            for s in self._sockets:
                try:
                    s.close()
                except OSError:
                    pass
        for thread in self._threads:
            thread.join(5)


class IntrospectionServer:
    """POST token=... → {"active": true, "username": "dmarc"} for the good token,
    {"active": false} for any other; every request's (time, token) is kept."""

    def __init__(self, username: str = "dmarc"):
        self.good_token = "ya29." + secrets.token_urlsafe(24)
        self.username = username
        self.requests: list[tuple[float, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                token = (form.get("token") or [""])[0]
                outer.requests.append((time.monotonic(), token))
                answer = ({"active": True, "username": outer.username}
                          if token == outer.good_token else {"active": False})
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):   # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/introspect"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "IntrospectionServer":
        self._thread.start()
        return self

    def tokens(self) -> list[str]:
        return [token for _, token in self.requests]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)
