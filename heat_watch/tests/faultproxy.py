"""A TCP proxy a test controls, to cut a daemon off from its database or
its broker without touching the machine's services.

    with FaultProxy('127.0.0.1', 5432) as proxy:
        url = 'postgresql://postgres@127.0.0.1:%d/db' % proxy.port
        ...
        proxy.refuse()   # existing connections reset, new ones refused
        proxy.drop()     # a partition: connections stay open, bytes vanish
        proxy.resume()   # forward again (connections cut meanwhile are closed)

Threads: one accepts, one per connection pumps bytes both ways.
"""

import contextlib
import selectors
import socket
import threading

FORWARD, DROP, REFUSE = 'forward', 'drop', 'refuse'
_POLL = 0.1
_CHUNK = 65536


class _Pair:
    """A client connection and (while forwarding) its upstream connection."""

    def __init__(self, client: socket.socket, upstream: socket.socket | None):
        self.client = client
        self.upstream = upstream
        # Set when the bytes of this connection were dropped: the streams
        # are corrupt, so it can never forward again.
        self.dropped = upstream is None
        self.closed = threading.Event()

    def close(self, reset: bool = False) -> None:
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            with contextlib.suppress(OSError):
                if reset:  # RST, as a server that went away sends
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    b'\x01\x00\x00\x00\x00\x00\x00\x00')
                sock.close()
        self.closed.set()


class FaultProxy:
    """Forwards 127.0.0.1:``port`` to ``host``:``target_port`` until told
    to refuse or to drop connections."""

    def __init__(self, host: str, target_port: int, port: int = 0):
        self.target = (host, target_port)
        self.port = port
        self.mode = FORWARD
        self._lock = threading.Lock()
        self._pairs: list[_Pair] = []
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()
        self._accepting: threading.Thread | None = None
        self.accepted = 0

    # -- control ---------------------------------------------------------

    def start(self) -> 'FaultProxy':
        self._listen()
        self._accepting = threading.Thread(target=self._accept_loop, daemon=True,
                                           name='faultproxy-%d' % self.port)
        self._accepting.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._close_listener()
        if self._accepting is not None:
            self._accepting.join(5)
        self._close_pairs(reset=False)

    def refuse(self) -> None:
        """The service is down: connections reset, new ones refused."""
        with self._lock:
            self.mode = REFUSE
            self._close_listener()
        self._close_pairs(reset=True)

    def drop(self) -> None:
        """A partition: open connections and new ones get no byte through."""
        with self._lock:
            self.mode = DROP
            for pair in self._pairs:
                pair.dropped = True

    def resume(self) -> None:
        """Forward again; connections whose bytes were dropped are closed."""
        with self._lock:
            self.mode = FORWARD
            if self._listener is None:
                self._listen()
            dropped = [pair for pair in self._pairs if pair.dropped]
        for pair in dropped:
            pair.close(reset=True)

    def __enter__(self) -> 'FaultProxy':
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- internals -------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('127.0.0.1', self.port))
        listener.listen(128)
        listener.settimeout(_POLL)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            # shutdown() stops listening at once (on Linux), even while the
            # accepting thread polls the socket, which delays close().
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                self._listener.close()
            self._listener = None

    def _close_pairs(self, reset: bool) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            pair.close(reset=reset)

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            listener = self._listener
            if listener is None:
                self._stopped.wait(_POLL)
                continue
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by refuse() or stop()
                continue
            self.accepted += 1
            self._serve(client)

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        if self.mode == FORWARD:
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                return
        pair = _Pair(client, upstream)
        with self._lock:
            if self.mode == REFUSE:
                pair.close(reset=True)
                return
            self._pairs.append(pair)
        threading.Thread(target=self._pump, args=(pair,), daemon=True,
                         name='faultproxy-pump').start()

    def _pump(self, pair: _Pair) -> None:
        selector = selectors.DefaultSelector()
        try:
            selector.register(pair.client, selectors.EVENT_READ, pair.upstream)
            if pair.upstream is not None:
                selector.register(pair.upstream, selectors.EVENT_READ, pair.client)
            while not pair.closed.is_set():
                for key, _ in selector.select(_POLL):
                    data = key.fileobj.recv(_CHUNK)
                    if not data:
                        return
                    if pair.dropped:
                        continue  # into the void
                    key.data.sendall(data)
        except (OSError, ValueError):  # reset, or closed under select() by refuse()
            pass
        finally:
            selector.close()
            with self._lock:
                if pair in self._pairs:
                    self._pairs.remove(pair)
            pair.close()
