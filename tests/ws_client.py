#!/usr/bin/python3
"""A third-party WebSocket client (Debian's python3-websockets) against
chatd's /api/ws: connect, receive an event, send a line, see it echoed.
Usage: ws_client.py PORT SID.  Exits 0 on success."""
import asyncio
import json
import sys

import websockets


async def main(port, sid):
    url = "ws://127.0.0.1:%d/api/ws?sid=%s" % (port, sid)
    async with websockets.connect(url) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert first["type"] == "join" and "id" in first, first
        await ws.send("hello from python \u00e9")
        while True:
            ev = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if ev["type"] == "msg":
                break
        assert ev["text"] == "hello from python \u00e9", ev
        assert ev["id"] > first["id"], ev
        pong = await ws.ping(b"py")
        await asyncio.wait_for(pong, 5)
    assert ws.close_code == 1000, ws.close_code


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
