"""A loopback TCP proxy that can "go down": the outage test's safe mode.

`load_posting.py --outage-proxy` puts this between gunicorn and PostgreSQL.
down() resets every open connection and refuses new ones, as a stopped
PostgreSQL does, but only for the app under test, so other programs using the
same PostgreSQL server on this machine are not disturbed. up() accepts again.
"""
from __future__ import annotations

import socket
import threading


class FlakyProxy:
    def __init__(self, upstream: tuple[str, int], listen: tuple[str, int] = ("127.0.0.1", 0)):
        self.upstream = upstream
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(listen)
        self.sock.listen(128)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.is_down = False
        self._stop = False
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def start(self) -> "FlakyProxy":
        self._thread.start()
        return self

    def _accept_loop(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            if self.is_down:
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                if self.is_down:  # went down while we were connecting
                    _reset(client)
                    _reset(server)
                    continue
                self._open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def down(self) -> None:
        """Refuse new connections and reset every open one."""
        with self._lock:
            self.is_down = True
            sockets, self._open = self._open, []
        for s in sockets:
            _reset(s)

    def up(self) -> None:
        self.is_down = False

    def close(self) -> None:
        self._stop = True
        self.down()
        self.sock.close()
        self._thread.join(timeout=2)


def _reset(s: socket.socket) -> None:
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
    except OSError:
        pass
    try:
        # close() alone does not wake a pump thread blocked in recv() on this socket, so the
        # kernel would keep the connection open (PostgreSQL would never notice); shutdown() does.
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass
