"""A slow link in front of the running app: a TCP proxy on loopback, as a cheap phone on
3G sees the server — 400 ms round trip, 50 KB/s down, 20 KB/s up, one link shared by
every connection the browser opens (the bytes of all of them queue on it).

Each direction is a queue: a chunk waits for the link to be free, takes its size ÷ the
rate to pass, and arrives half a round trip later. A connection reads its next chunk
only when its last one is on the link, so parallel downloads share the link in turns.
"""

import asyncio
import contextlib
import threading

CHUNK = 1460  # one TCP segment's payload


class Link:
    """One direction of the shared link."""

    def __init__(self, rate, delay):
        self.rate, self.delay, self.free_at, self.bytes = rate, delay, 0.0, 0

    def send(self, size, now):
        """-> (when the chunk starts to pass, when it arrives)."""
        start = max(now, self.free_at)
        self.free_at = start + size / self.rate
        self.bytes += size
        return start, self.free_at + self.delay


class ThrottlingProxy:
    """``with ThrottlingProxy(port) as proxy:`` → ``proxy.port`` reaches the app slowly."""

    def __init__(self, target_port, *, rtt=0.4, down=50 * 1024, up=20 * 1024):
        self.target_port = target_port
        self.down, self.up = Link(down, rtt / 2), Link(up, rtt / 2)
        self.port = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._writers, self._server = set(), None

    def __enter__(self):
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        # the connections still open are closed first: a loop stopped under them leaves
        # tasks that complain at exit ("Event loop is closed")
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(15)
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def _close(self):
        self._server.close()  # no new connections (Chromium may open one as it closes)
        for _ in range(100):
            for writer in list(self._writers):
                writer.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            if not tasks:
                return
            await asyncio.wait(tasks, timeout=0.1)

    def reset_counts(self):
        self.down.bytes = self.up.bytes = 0

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _connection(self, client_reader, client_writer):
        try:
            self._writers.add(client_writer)
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            self._writers.discard(client_writer)
            return
        self._writers.add(server_writer)
        await asyncio.gather(self._pipe(client_reader, server_writer, self.up),
                             self._pipe(server_reader, client_writer, self.down),
                             return_exceptions=True)
        for writer in (server_writer, client_writer):
            writer.close()
            self._writers.discard(writer)

    async def _pipe(self, reader, writer, link):
        loop = asyncio.get_running_loop()
        queue = asyncio.Queue()

        async def deliver():
            while (item := await queue.get()) is not None and not writer.is_closing():
                arrival, data = item
                await asyncio.sleep(max(0.0, arrival - loop.time()))
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()

        delivering = asyncio.create_task(deliver())
        try:
            while data := await reader.read(CHUNK):
                start, arrival = link.send(len(data), loop.time())
                queue.put_nowait((arrival, data))
                await asyncio.sleep(max(0.0, start - loop.time()))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait(None)
            with contextlib.suppress(ConnectionError, OSError):
                await delivering
