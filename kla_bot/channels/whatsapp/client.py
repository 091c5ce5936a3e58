"""The WhatsApp Cloud API client: pywa's async ``WhatsApp``, pointed at the configured Graph API.

pywa always talks to ``https://graph.facebook.com/v<version>`` (it has no base-URL option), but it
takes the ``httpx.AsyncClient`` to use. :func:`graph_session` gives it one whose transport sends
Graph API requests to ``[whatsapp] base_url`` instead — the real Graph API in production, the local
stand-in (:mod:`kla_bot.standin_whatsapp`) in tests and the console. Media URLs (absolute, on
Meta's CDN or on the stand-in) are left as they are.
"""

from __future__ import annotations

import httpx
from pywa_async.client import WhatsApp

from kla_bot.config import WhatsAppSettings

GRAPH_HOST = "graph.facebook.com"
# Short enough that one send ends inside the outbox lease; media downloads stream in chunks,
# so the read time-out is per chunk, not for the whole file.
TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=5.0)


class _BaseUrlTransport(httpx.AsyncBaseTransport):
    """Sends requests for the Graph API host to ``base_url``; everything else unchanged."""

    def __init__(self, base_url: str, inner: httpx.AsyncBaseTransport) -> None:
        self._base = httpx.URL(base_url)
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == GRAPH_HOST and self._base.host != GRAPH_HOST:
            prefix = self._base.path.rstrip("/")
            request.url = request.url.copy_with(
                scheme=self._base.scheme, host=self._base.host, port=self._base.port,
                path=prefix + request.url.path)
            request.headers["host"] = self._base.netloc.decode("ascii")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def graph_session(settings: WhatsAppSettings,
                  transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """An HTTP client for pywa that reaches ``settings.base_url``. ``transport``: the real
    network by default; tests pass the in-process stand-in's."""
    inner = transport if transport is not None else httpx.AsyncHTTPTransport(retries=0)
    return httpx.AsyncClient(transport=_BaseUrlTransport(settings.base_url, inner),
                             timeout=TIMEOUT)


def make_client(settings: WhatsAppSettings, session: httpx.AsyncClient) -> WhatsApp:
    """pywa's async client for sending (no webhook server of pywa's own: ours checks the
    signature and dedupes, :mod:`kla_bot.channels.whatsapp.webhook`)."""
    return WhatsApp(phone_id=settings.phone_number_id, token=settings.token, session=session,
                    api_version=settings.api_version.removeprefix("v"))
