"""The in-process face: a PTB ``BaseRequest`` that answers from the stand-in's state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from kla_bot.standin.files import FileNotKnown
from kla_bot.standin.model import ApiError, DropConnection, NoAnswer, Upload
from kla_bot.standin.state import BotApiStandin


class StandinRequest(BaseRequest):
    """Inject with ``ApplicationBuilder().request(...).get_updates_request(...)``.

    Each Bot API call runs against ``state`` on the current event loop; no socket is opened.
    """

    def __init__(self, state: BotApiStandin) -> None:
        self.state = state

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        path = urlsplit(url).path
        if method == "GET" and "/file/bot" in path:
            return await self._download(path)
        segments = path.rstrip("/").split("/")
        api_method = segments[-1]
        if len(segments) < 2 or segments[-2] != f"bot{self.state.token}":
            return 401, ApiError(401, "Unauthorized").body()
        wire = request_data.json_parameters if request_data else {}
        files: dict[str, Upload] = {}
        if request_data is not None and request_data.contains_files:
            for name, (filename, content, mime_type) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                files[name] = Upload(filename=filename, mime_type=mime_type, content=data)
        try:
            return await self.state.handle(api_method, wire, files)
        except NoAnswer:
            raise TimedOut("stand-in did not answer in time (injected)") from None
        except DropConnection:
            raise NetworkError("stand-in dropped the connection (injected)") from None

    async def _download(self, path: str) -> tuple[int, bytes]:
        token_and_path = path.split("/file/bot", 1)[1]
        token, _, file_path = token_and_path.partition("/")
        if token != self.state.token:
            return 401, b"Unauthorized"
        try:
            chunks = [chunk async for chunk in self.state.files.iter_download(file_path)]
        except FileNotKnown:
            return 404, ApiError(404, "Not Found").body()
        return 200, b"".join(chunks)


class StandinFileSource:
    """The bot's evidence downloads (a ``kla_bot.files.FileSource``) served in-process."""

    def __init__(self, state: BotApiStandin) -> None:
        self.state = state

    def stream(self, file_path: str) -> AsyncIterator[bytes]:
        iterator: AsyncIterator[bytes] = self.state.open_download(file_path)
        return iterator

    async def aclose(self) -> None:
        """Nothing to close."""
