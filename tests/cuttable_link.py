"""A TCP link to a server that a test can cut and mend: what a database gone for a moment looks
like to its clients, without stopping the server the other tests share."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

from sqlalchemy.engine import make_url


class CuttableLink:
    """Forwards the connections made to a free local port to the server of `url` (a
    ``postgresql://`` URL), until `cut`: then every connection through it is closed at once
    and new ones are closed as they come, until `mend`. `url` (after `__aenter__`) is the same
    URL through the link."""

    def __init__(self, url: str) -> None:
        self._target = make_url(url)
        self._cut = False
        self._open: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.url = ""

    async def __aenter__(self) -> CuttableLink:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = self._target.set(host="127.0.0.1", port=port).render_as_string(False)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        self._close_all()
        await self._server.wait_closed()

    def cut(self) -> None:
        self._cut = True
        self._close_all()

    def mend(self) -> None:
        self._cut = False

    def _close_all(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self._target.host or "127.0.0.1", self._target.port or 5432
            )
        except OSError:
            writer.transport.abort()
            return
        if self._cut:  # cut while the upstream connection was being made
            writer.transport.abort()
            upstream_writer.transport.abort()
            return
        pair = {writer, upstream_writer}
        self._open |= pair
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            for end in pair:
                end.transport.abort()
            self._open -= pair


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()
