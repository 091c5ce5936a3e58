"""The HTTP face: a tiny HTTP/1.1 server on 127.0.0.1 speaking the Bot API from the state.

It runs on the current event loop, so a test can start it, point a bot subprocess (or an
``Application`` built with ``base_url``/``base_file_url``) at it, and read the same state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from kla_bot.standin import params as P
from kla_bot.standin.files import FileNotKnown
from kla_bot.standin.model import ApiError, DropConnection, Upload
from kla_bot.standin.state import BotApiStandin

MAX_BODY = 100 * 1024 * 1024


@dataclass
class _Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"


class _BodyTooLarge(Exception):
    pass


class StandinServer:
    """``await server.start()`` then use ``base_url``/``base_file_url``; ``await stop()``."""

    def __init__(self, state: BotApiStandin, *, port: int = 0, control: bool = False) -> None:
        self.state = state
        self.port = port
        self.control = control
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and end open connections (long polls included)."""
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> StandinServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ connections
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                try:
                    request = await _read_request(reader)
                except _BodyTooLarge:
                    await _respond(
                        writer,
                        413,
                        ApiError(413, "Request Entity Too Large").body(),
                        keep_alive=False,
                    )
                    break
                if request is None:
                    break
                if not await self._dispatch(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            # Only stop() cancels us; ending quietly keeps asyncio's stream callback from
            # logging the cancellation as an unhandled exception.
            writer.transport.abort()
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _dispatch(self, request: _Request, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False closes the connection."""
        path = request.path
        if path.startswith("/file/bot"):
            return await self._download(request, writer)
        if path.startswith("/_control/") and self.control:
            status, body = await self._control(request)
            await _respond(writer, status, body, keep_alive=request.keep_alive)
            return request.keep_alive
        segments = path.strip("/").split("/")
        if len(segments) != 2 or not segments[0].startswith("bot"):
            await _respond(
                writer, 404, ApiError(404, "Not Found").body(), keep_alive=request.keep_alive
            )
            return request.keep_alive
        if segments[0] != f"bot{self.state.token}":
            await _respond(
                writer, 401, ApiError(401, "Unauthorized").body(), keep_alive=request.keep_alive
            )
            return request.keep_alive
        try:
            wire, files = _parse_body(request)
        except ValueError as exc:
            await _respond(
                writer,
                400,
                ApiError(400, f"Bad Request: {exc}").body(),
                keep_alive=request.keep_alive,
            )
            return request.keep_alive
        try:
            status, body = await self.state.handle(segments[1], wire, files)
        except DropConnection:
            writer.transport.abort()
            return False
        await _respond(writer, status, body, keep_alive=request.keep_alive)
        return request.keep_alive

    async def _download(self, request: _Request, writer: asyncio.StreamWriter) -> bool:
        token, _, file_path = request.path.removeprefix("/file/bot").partition("/")
        if token != self.state.token:
            await _respond(writer, 401, b"Unauthorized", keep_alive=request.keep_alive)
            return request.keep_alive
        try:
            stored = self.state.files.by_path(file_path)
        except FileNotKnown:
            await _respond(
                writer, 404, ApiError(404, "Not Found").body(), keep_alive=request.keep_alive
            )
            return request.keep_alive
        head = (
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"Content-Length: {stored.blob.size}\r\n"
            f"Connection: {'keep-alive' if request.keep_alive else 'close'}\r\n\r\n"
        )
        writer.write(head.encode())
        async for chunk in self.state.files.iter_download(file_path):
            writer.write(chunk)
            await writer.drain()
        await writer.drain()
        return request.keep_alive

    # ------------------------------------------------------------------ control API
    async def _control(self, request: _Request) -> tuple[int, bytes]:
        """A minimal JSON API for a bench or a console in another process."""
        name = request.path.removeprefix("/_control/").strip("/")
        try:
            body: dict[str, Any] = json.loads(request.body or b"{}")
            query = dict(parse_qsl(request.query))
            action = _CONTROL.get(name)
            if action is None:
                return 404, json.dumps({"ok": False, "description": f"no action {name}"}).encode()
            result = action(self.state, body, query)
        except (KeyError, TypeError, ValueError, LookupError) as exc:
            return 400, json.dumps({"ok": False, "description": repr(exc)}).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()


def _driver(state: BotApiStandin, body: dict[str, Any]) -> Any:
    user = state.users[int(body["user_id"])]
    group = state.groups[int(body["group_id"])] if body.get("group_id") else None
    return state.chat(user, group)


def _sent_json(state: BotApiStandin, body: dict[str, Any], query: dict[str, str]) -> Any:
    since = int(query.get("since", body.get("since", 0)))
    return [
        {
            "index": since + i,
            "chat_id": m.chat_id,
            "message_id": m.message_id,
            "method": m.method,
            "text": m.plain,
            "raw": m.body,
            "buttons": m.buttons,
            "document": m.document.file_name if m.document else None,
            "deleted": m.deleted,
        }
        for i, m in enumerate(state.sent[since:])
    ]


def _update_ids(update: Any) -> dict[str, int]:
    message = update.effective_message
    return {"update_id": update.update_id, "message_id": message.message_id if message else 0}


_CONTROL: dict[str, Callable[[BotApiStandin, dict[str, Any], dict[str, str]], Any]] = {
    "add_user": lambda s, b, q: {
        "id": s.add_user(
            b["first_name"],
            user_id=b.get("user_id"),
            last_name=b.get("last_name"),
            username=b.get("username"),
            language_code=b.get("language_code", "id"),
        ).id
    },
    "add_group": lambda s, b, q: {"id": s.add_group(b["title"]).id},
    "send": lambda s, b, q: _update_ids(_driver(s, b).send(b["text"])),
    "send_document": lambda s, b, q: _update_ids(
        _driver(s, b).send_document(
            Path(b["path"]),
            file_name=b.get("file_name") or Path(b["path"]).name,
            mime_type=b.get("mime_type", "application/pdf"),
            caption=b.get("caption"),
        )
    ),
    "press": lambda s, b, q: _update_ids(_driver(s, b).press(int(b["message_id"]), b["button"])),
    "block": lambda s, b, q: s.users[int(b["user_id"])].block(),
    "stats": lambda s, b, q: s.stats.as_dict() | {"unexpected": s.unexpected},
    "sent": _sent_json,
}


# ---------------------------------------------------------------------- HTTP plumbing
async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, _version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        key, _, value = raw.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        total = 0
        while True:
            size = int((await reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readline()
                break
            total += size
            if total > MAX_BODY:
                raise _BodyTooLarge
            parts.append(await reader.readexactly(size))
            await reader.readline()
        body = b"".join(parts)
    else:
        length = int(headers.get("content-length", "0"))
        if length > MAX_BODY:
            raise _BodyTooLarge
        body = await reader.readexactly(length) if length else b""
    split = urlsplit(target)
    return _Request(method.upper(), unquote(split.path), split.query, headers, body)


async def _respond(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    *,
    keep_alive: bool,
    content_type: str = "application/json",
) -> None:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()


def _parse_body(request: _Request) -> tuple[dict[str, str], dict[str, Upload]]:
    """Bot API parameters (wire strings) and uploaded files from any accepted encoding."""
    wire: dict[str, str] = dict(parse_qsl(request.query, keep_blank_values=True))
    files: dict[str, Upload] = {}
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";", 1)[0].strip().lower()
    if not request.body:
        return wire, files
    if kind == "application/json":
        values = json.loads(request.body)
        if not isinstance(values, dict):
            raise ValueError("JSON body must be an object")
        wire.update(P.to_wire(values))
    elif kind == "application/x-www-form-urlencoded":
        wire.update(parse_qsl(request.body.decode(), keep_blank_values=True))
    elif kind == "multipart/form-data":
        header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=policy.HTTP).parsebytes(header + request.body)
        if not isinstance(message, EmailMessage) or not message.is_multipart():
            raise ValueError("malformed multipart body")
        for part in message.iter_parts():
            assert isinstance(part, EmailMessage)
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                raise ValueError("multipart part without a name")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None or part.get_content_type() not in ("text/plain",):
                files[name] = Upload(
                    filename=filename, mime_type=part.get_content_type(), content=data
                )
            else:
                wire[name] = data.decode(part.get_content_charset() or "utf-8")
    else:
        raise ValueError(f"unsupported content type {kind!r}")
    return wire, files
