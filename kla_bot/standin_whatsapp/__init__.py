"""A local stand-in for the WhatsApp Cloud API (Graph API), so a WhatsApp channel runs offline.

One state (:class:`CloudApiStandin`) with two faces: :func:`standin_client` (an httpx client
over an in-process ASGI app, no sockets) and :class:`CloudApiServer` (uvicorn on 127.0.0.1).
Users act through :class:`Person`; :class:`WebhookPoster` signs and delivers what they send.
Requests it does not serve are answered with Graph's error and recorded in ``unexpected``
(``assert_no_surprises()`` fails the test).
"""

from kla_bot.standin_whatsapp.acting import (
    Notification,
    Person,
    WebhookPoster,
    sign,
    status,
)
from kla_bot.standin_whatsapp.app import (
    CloudApiServer,
    LocalServer,
    create_standin_app,
    standin_client,
)
from kla_bot.standin_whatsapp.errors import GraphError
from kla_bot.standin_whatsapp.state import (
    CloudApiStandin,
    Media,
    Outgoing,
    RateLimits,
    WhatsAppUser,
)

__all__ = [
    "CloudApiServer",
    "CloudApiStandin",
    "GraphError",
    "LocalServer",
    "Media",
    "Notification",
    "Outgoing",
    "Person",
    "RateLimits",
    "WebhookPoster",
    "WhatsAppUser",
    "create_standin_app",
    "sign",
    "standin_client",
    "status",
]
