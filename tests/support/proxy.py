"""A loopback TCP proxy in front of the test database that can refuse or black-hole traffic.

It lets tests take the database away and bring it back without touching the real server:
``down`` closes every connection and refuses new ones (a stopped server), ``hang`` accepts
connections and never answers (a paused or partitioned server).
"""

from __future__ import annotations

import asyncio
import contextlib
from enum import Enum

from sqlalchemy.engine import make_url


class Mode(Enum):
    UP = "up"
    DOWN = "down"
    HANG = "hang"


class FaultProxy:
    def __init__(self, target_url: str) -> None:
        url = make_url(target_url)
        socket_dir = url.query.get("host")
        self._unix_path = (
            f"{socket_dir}/.s.PGSQL.{url.port or 5432}" if isinstance(socket_dir, str) else None
        )
        self._target = (url.host or "127.0.0.1", url.port or 5432)
        self._target_url = url
        self.mode = Mode.UP
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """The database URL, pointed at the proxy over TCP."""
        url = self._target_url.difference_update_query(["host"]).set(
            host="127.0.0.1", port=self.port
        )
        return url.render_as_string(hide_password=False)

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        if mode is not Mode.UP:
            for writer in list(self._writers):
                writer.close()

    async def stop(self) -> None:
        self.set_mode(Mode.DOWN)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode is Mode.DOWN:
            writer.close()
            return
        if self.mode is Mode.HANG:
            self._writers.add(writer)
            with contextlib.suppress(Exception):
                await reader.read()  # swallow everything, answer nothing
            return
        if self._unix_path:
            up_reader, up_writer = await asyncio.open_unix_connection(self._unix_path)
        else:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._writers.update({writer, up_writer})
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        await asyncio.gather(*pumps, return_exceptions=True)
        self._tasks.difference_update(pumps)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)
