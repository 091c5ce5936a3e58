"""The stand-in's two faces: an ASGI app (in-process through ``httpx.ASGITransport``, any host
name, so a client hard-wired to graph.facebook.com reaches it) and the same app served by
uvicorn on 127.0.0.1 for subprocess tests."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Self

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from kla_bot.standin_whatsapp import errors
from kla_bot.standin_whatsapp.errors import GraphError
from kla_bot.standin_whatsapp.state import CloudApiStandin, Media

CHUNK = 1 << 16
_MAX_UPLOAD = 100 * 1024 * 1024


def _error(error: GraphError) -> JSONResponse:
    return JSONResponse(error.payload(), status_code=error.status)


def create_standin_app(state: CloudApiStandin) -> Starlette:
    async def messages(request: Request) -> Response:
        path = request.url.path
        state.check_token(request.headers.get("authorization"))
        state.check_phone(request.path_params["phone"], "POST", path)
        try:
            payload = json.loads(await request.body())
        except ValueError:
            raise errors.invalid_parameter("The request body is not JSON.") from None
        if not isinstance(payload, dict):
            raise errors.invalid_parameter("The request body must be a JSON object.")
        return JSONResponse(state.send(payload))

    async def upload(request: Request) -> Response:
        state.check_token(request.headers.get("authorization"))
        state.check_phone(request.path_params["phone"], "POST", request.url.path)
        async with request.form(max_part_size=_MAX_UPLOAD) as form:
            part = form.get("file")
            if form.get("messaging_product") != "whatsapp" or isinstance(part, str | None):
                raise errors.invalid_parameter("Upload needs messaging_product and a file.")
            content = await part.read()
            mime = str(form.get("type") or part.content_type or "")
            media = state.store_media(content, mime, filename=part.filename)
        return JSONResponse({"id": media.media_id})

    async def media_info(request: Request) -> Response:
        state.check_token(request.headers.get("authorization"))
        return JSONResponse(state.media_info(request.path_params["media_id"]))

    async def download(request: Request) -> Response:
        state.check_token(request.headers.get("authorization"))
        media = state.download(request.query_params.get("mid", ""))
        return StreamingResponse(
            _chunks(media),
            media_type=media.mime_type,
            headers={"content-length": str(media.file_size)},
        )

    async def surprise(request: Request) -> Response:
        state.unexpected.append(f"{request.method} {request.url.path}")
        raise errors.unsupported(request.method, request.url.path)

    async def graph_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GraphError)
        return _error(exc)

    verbs = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    return Starlette(
        routes=[
            Route("/{version}/{phone}/messages", messages, methods=["POST"]),
            Route("/{version}/{phone}/media", upload, methods=["POST"]),
            Route("/whatsapp_business/attachments/", download, methods=["GET"]),
            Route("/{version}/{media_id}", media_info, methods=["GET"]),
            Route("/{rest:path}", surprise, methods=verbs),
        ],
        exception_handlers={GraphError: graph_error},
    )


async def _chunks(media: Media) -> AsyncIterator[bytes]:
    if media.content is not None:
        for start in range(0, len(media.content), CHUNK):
            yield media.content[start : start + CHUNK]
        return
    for start in range(0, media.file_size, CHUNK):
        yield bytes(min(CHUNK, media.file_size - start))


def standin_client(state: CloudApiStandin, **kwargs: object) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose every request goes to the in-process stand-in."""
    transport = httpx.ASGITransport(app=create_standin_app(state))
    return httpx.AsyncClient(transport=transport, **kwargs)  # type: ignore[arg-type]


class LocalServer:
    """An ASGI app served by uvicorn on 127.0.0.1 on a free port, in the current event loop:
    ``async with LocalServer(app) as server:`` then use ``server.url``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        config.load()
        self._server = uvicorn.Server(config)
        self._socket = sock
        # Server.serve() would take over SIGINT and block; startup() listens and returns.
        self._server.lifespan = config.lifespan_class(config)
        await self._server.startup(sockets=[sock])

    async def stop(self) -> None:
        if self._server is not None and self._socket is not None:
            await self._server.shutdown(sockets=[self._socket])
            self._socket.close()
        self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class CloudApiServer(LocalServer):
    """The stand-in over HTTP: ``server.url`` is the Graph API base URL, and media URLs point
    back at it."""

    def __init__(self, state: CloudApiStandin) -> None:
        super().__init__(create_standin_app(state))
        self.state = state

    async def start(self) -> None:
        await super().start()
        self.state.media_base = self.url
