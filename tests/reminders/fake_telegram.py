"""A minimal Bot API double for sender unit tests: records sends, plays scripted failures."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT = {"id": 42, "is_bot": True, "first_name": "KLA", "username": "kla_bot"}


class FakeTelegram(BaseRequest):
    """Answers getMe/setMyCommands/sendMessage/sendDocument; ``fail(chat, code, ...)`` scripts
    the next answers for one chat."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.script: dict[int, deque[tuple[int, dict[str, Any]]]] = {}
        self.next_id = 100

    def fail(self, chat_id: int, code: int, description: str = "", **parameters: Any) -> None:
        self.script.setdefault(chat_id, deque()).append((code, {
            "ok": False, "error_code": code, "description": description,
            **({"parameters": parameters} if parameters else {})}))

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None
                         ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        if name == "getMe":
            return 200, json.dumps({"ok": True, "result": BOT}).encode()
        if name in ("sendMessage", "sendDocument"):
            chat_id = int(params["chat_id"])
            queue = self.script.get(chat_id)
            if queue:
                code, body = queue.popleft()
                return code, json.dumps(body).encode()
            self.next_id += 1
            self.sent.append({"method": name, "chat_id": chat_id, **params,
                              "message_id": self.next_id})
            result = {"message_id": self.next_id, "date": 0,
                      "chat": {"id": chat_id, "type": "private"},
                      "text": params.get("text", ""), "from": BOT}
            return 200, json.dumps({"ok": True, "result": result}).encode()
        return 200, json.dumps({"ok": True, "result": True}).encode()
