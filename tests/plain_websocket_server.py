"""A websocket server that is not Django (the websockets library's), behind the proxy in tests.

It echoes text and bytes, closes with code 4001 and a reason when sent
``close``, answers pings (the library does), negotiates permessage-deflate
when the client offers it (the library's default), refuses ``/refused``
with HTTP 403 and fails ``/broken`` with HTTP 500, a header and a body.

    python tests/plain_websocket_server.py PORT
"""

from __future__ import annotations

import asyncio
import sys
from http import HTTPStatus

from websockets.asyncio.server import Request, Response, ServerConnection, serve

CLOSE_CODE = 4001
CLOSE_REASON = "asked to close"


async def handler(ws: ServerConnection) -> None:
    async for message in ws:
        if message == "close":
            await ws.close(CLOSE_CODE, CLOSE_REASON)
            return
        await ws.send(message)


def refuse(ws: ServerConnection, request: Request) -> Response | None:
    if request.path == "/refused":
        return ws.respond(HTTPStatus.FORBIDDEN, "not you\n")
    if request.path == "/broken":
        response = ws.respond(HTTPStatus.INTERNAL_SERVER_ERROR, "it broke\n")
        response.headers["X-Why"] = "broken"
        return response
    return None


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, process_request=refuse, max_size=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
