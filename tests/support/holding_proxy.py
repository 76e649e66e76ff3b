"""A proxy on 127.0.0.1 in front of an engine's unix socket that can hold the engine's answers back.

While held, requests still reach the engine, so the engine really acts on them, but
nothing comes back: a slow or wedged network in front of a host. `hold_on` holds the
answers from the moment a request containing those bytes passes (the request itself
goes through): the engine does the work, the caller never hears of it.
"""

from __future__ import annotations

import socket
import threading


class HoldingProxy:
    """127.0.0.1:port → the engine's socket; `hold` stops the engine's answers, `release` lets them go."""

    def __init__(self, target: str, *, hold_on: bytes | None = None) -> None:
        self.target = target
        self.hold_on = hold_on
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self.triggered = threading.Event()  # set when `hold_on` passed and the answers were held
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self) -> None:
        self.flowing.clear()

    def release(self) -> None:
        self.hold_on = None
        self.flowing.set()

    def close(self) -> None:
        self.closed.set()
        self.flowing.set()
        for sock in [self.server, *self.sockets]:
            sock.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                continue
            engine = socket.socket(socket.AF_UNIX)
            engine.connect(self.target)
            self.sockets += [client, engine]
            threading.Thread(target=self._pump, args=(client, engine, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(engine, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, answers: bool) -> None:
        try:
            while data := source.recv(65536):
                if answers:
                    self.flowing.wait()
                elif self.hold_on is not None and self.hold_on in data:
                    self.hold()  # before the request goes on: its answer cannot slip through
                    self.triggered.set()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
