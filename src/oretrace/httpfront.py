"""A small HTTP/1.1 server for the gateway: requests are read by one asyncio loop, answered by a few threads.

Reading a request costs no thread, so idle and slow clients hold none: a request must arrive whole
(request line, headers and body) within `request_s` of its first byte, a kept-alive connection is
closed after `idle_s` without a new request, and an answer that the client does not read within
`write_s` is dropped. Bodies are capped at `max_body` bytes: a larger Content-Length gets 413 before
any of the body is read, a chunked body gets 413 as soon as it passes the cap. At most `workers`
requests are answered at once; up to `max_waiting` more wait up to `queue_s` in line, and beyond
that a request gets 503 with Retry-After ("busy, retry"), which is not the answer to a query that
ran too long (504).
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import string
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

_TOKEN = set(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes = b""
    version: str = "HTTP/1.1"

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict = field(default_factory=dict)
    file: Path | None = None  # streamed instead of body


def text_reply(status: int, msg: str, **headers) -> Reply:
    return Reply(status, (msg.rstrip() + "\n").encode(), headers=headers)


@dataclass
class FrontLimits:
    max_body: int = 1 << 20          # bytes of a request body
    max_head: int = 16 << 10         # bytes of the request line and headers
    request_s: float = 10.0          # to receive a whole request once it has begun
    idle_s: float = 15.0             # a kept-alive connection waits this long for the next request
    write_s: float = 30.0            # for the client to take each part of the answer
    workers: int = 8                 # requests answered at once
    max_waiting: int = 256           # requests waiting for a worker; beyond, 503 at once
    queue_s: float = 10.0            # longest wait for a worker before 503
    retry_after_s: int = 1


class _Reject(Exception):
    def __init__(self, reply: Reply):
        self.reply = reply


def _busy(limits: FrontLimits, why: str) -> Reply:
    return text_reply(503, f"busy, retry: {why}; try again in {limits.retry_after_s} s",
                      **{"Retry-After": str(limits.retry_after_s)})


class Front:
    """Serves `respond(Request) -> Reply` (run in a worker thread) on 127.0.0.1:`port` until `stop()`."""

    def __init__(self, respond: Callable[[Request], Reply], limits: FrontLimits, port: int = 0,
                 headers: dict | None = None, log: Callable[[str], None] | None = None):
        self.respond, self.limits, self.port = respond, limits, port
        self.extra_headers, self.log = headers or {}, log
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.pool = ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="oretrace-http")
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stopping: asyncio.Event | None = None
        self._waiting = 0
        self._slots: asyncio.Semaphore | None = None

    # ---- lifecycle
    def start(self) -> "Front":
        self.thread = threading.Thread(target=self._run, name="oretrace-http-loop", daemon=True)
        self.thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as e:  # noqa: BLE001 - reported to start()
            self._error = e
            self._ready.set()
        finally:
            self.loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        self._slots = asyncio.Semaphore(self.limits.workers)
        server = await asyncio.start_server(self._connection, "127.0.0.1", self.port, limit=self.limits.max_head,
                                            backlog=512, reuse_address=True)
        self.port = server.sockets[0].getsockname()[1]
        self.address = server.sockets[0].getsockname()[:2]
        self._ready.set()
        async with server:
            await self._stopping.wait()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        if self.loop is not None and self._stopping is not None and self.thread and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self._stopping.set)
            self.thread.join(10)
        self.pool.shutdown(wait=False, cancel_futures=True)

    # ---- one connection
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = True
        try:
            while True:
                try:
                    req = await self._read(reader, writer, first)
                except _Reject as r:
                    await self._send(writer, r.reply, head=False, close=True)
                    return
                if req is None:
                    return
                first = False
                conn = req.header("connection").lower()
                close = "close" in conn or (req.version == "HTTP/1.0" and "keep-alive" not in conn)
                reply = await self._answer(req)
                await self._send(writer, reply, head=req.method == "HEAD", close=close)
                if close:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError, OSError):
            return
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)

    async def _read(self, reader, writer, first: bool) -> Request | None:
        lim = self.limits
        try:  # the first byte: an idle kept-alive connection is simply closed
            start = await asyncio.wait_for(reader.read(1), lim.request_s if first else lim.idle_s)
        except asyncio.TimeoutError:
            if first:
                raise _Reject(text_reply(408, f"no request within {lim.request_s:g} s")) from None
            return None
        if not start:
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lim.request_s

        async def within(aw):
            left = deadline - loop.time()
            if left <= 0:
                raise asyncio.TimeoutError
            return await asyncio.wait_for(aw, left)

        try:
            head = start + await within(reader.readuntil(b"\r\n\r\n"))
            req = self._parse_head(head)
            req.body = await self._body(req, reader, writer, within)
        except asyncio.TimeoutError:
            raise _Reject(text_reply(408, f"the request did not arrive whole within {lim.request_s:g} s")) from None
        except asyncio.LimitOverrunError:
            raise _Reject(text_reply(431, f"the request line and headers are larger than {lim.max_head} bytes")) from None
        except asyncio.IncompleteReadError:
            return None
        return req

    def _parse_head(self, head: bytes) -> Request:
        lines = head[:-4].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[0] or set(parts[0]) - _TOKEN or not parts[1]:
            raise _Reject(text_reply(400, "malformed request line"))
        method, target, version = parts
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise _Reject(text_reply(505, f"{version[:20]!r} is not HTTP/1.0 or HTTP/1.1"))
        headers: dict[str, str] = {}
        if len(lines) > 101:
            raise _Reject(text_reply(431, "more than 100 header lines"))
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or set(name) - _TOKEN:
                raise _Reject(text_reply(400, "malformed header line"))
            key = name.lower()
            value = value.strip(" \t")
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return Request(method, target, headers, version=version)

    async def _body(self, req: Request, reader, writer, within) -> bytes:
        lim = self.limits
        te, cl = req.header("transfer-encoding"), req.header("content-length")
        if te and cl:
            raise _Reject(text_reply(400, "a request may not give both Content-Length and Transfer-Encoding"))
        if te:
            if te.lower() != "chunked":
                raise _Reject(text_reply(501, f"Transfer-Encoding {te[:40]!r} is not supported (only chunked)"))
            self._continue(req, writer)
            return await self._chunked(reader, within)
        if not cl:
            return b""
        if not (cl.isascii() and cl.isdigit()) or len(cl) > 18:
            raise _Reject(text_reply(400, "Content-Length must be one number of bytes"))
        n = int(cl)
        if n > lim.max_body:
            raise _Reject(self._too_large(n))
        self._continue(req, writer)
        return await within(reader.readexactly(n)) if n else b""

    def _too_large(self, n: int | None = None) -> Reply:
        size = f"{n} bytes" if n is not None else f"more than {self.limits.max_body} bytes"
        return text_reply(413, f"request body too large: {size}; this server reads at most {self.limits.max_body} bytes")

    @staticmethod
    def _continue(req: Request, writer) -> None:
        if req.header("expect").lower() == "100-continue" and req.version == "HTTP/1.1":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    async def _chunked(self, reader, within) -> bytes:
        chunks, total = [], 0
        while True:
            line = await within(reader.readuntil(b"\r\n"))
            size_text = line[:-2].split(b";", 1)[0].strip()
            if not size_text or len(size_text) > 16 or set(size_text.decode("latin-1")) - set(string.hexdigits):
                raise _Reject(text_reply(400, "malformed chunk size"))
            size = int(size_text, 16)
            if size == 0:
                while (await within(reader.readuntil(b"\r\n"))) != b"\r\n":  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > self.limits.max_body:
                raise _Reject(self._too_large())
            data = await within(reader.readexactly(size + 2))
            if data[-2:] != b"\r\n":
                raise _Reject(text_reply(400, "a chunk does not end with CRLF"))
            chunks.append(data[:-2])

    async def _answer(self, req: Request) -> Reply:
        lim = self.limits
        if self._waiting >= lim.max_waiting:
            return _busy(lim, f"{lim.max_waiting} requests are already waiting")
        self._waiting += 1
        try:
            try:
                await asyncio.wait_for(self._slots.acquire(), lim.queue_s)
            except asyncio.TimeoutError:
                return _busy(lim, f"no worker was free within {lim.queue_s:g} s")
            try:
                return await asyncio.get_running_loop().run_in_executor(self.pool, self._safe_respond, req)
            finally:
                self._slots.release()
        finally:
            self._waiting -= 1

    def _safe_respond(self, req: Request) -> Reply:
        try:
            reply = self.respond(req)
        except Exception as e:  # noqa: BLE001 - a bug must not take the server down; say what happened
            reply = text_reply(500, f"internal error: {type(e).__name__}: {e}")
        if self.log:
            self.log(f"{req.method} {req.target[:200]} {reply.status}")
        return reply

    async def _send(self, writer, reply: Reply, head: bool, close: bool) -> None:
        size = reply.file.stat().st_size if reply.file is not None else len(reply.body)
        try:
            phrase = http.HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Status"
        hdr = {"Content-Type": reply.content_type, "Content-Length": str(size), **self.extra_headers, **reply.headers}
        if close:
            hdr["Connection"] = "close"
        lines = [f"HTTP/1.1 {reply.status} {phrase}"] + [f"{k}: {v}" for k, v in hdr.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace"))
        if not head:
            if reply.file is None:
                writer.write(reply.body)
            else:
                with open(reply.file, "rb") as f:
                    while chunk := f.read(1 << 18):
                        writer.write(chunk)
                        await asyncio.wait_for(writer.drain(), self.limits.write_s)
        await asyncio.wait_for(writer.drain(), self.limits.write_s)
