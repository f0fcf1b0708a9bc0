"""The floor the gateway is compared with: the same server stack doing almost nothing.

Starlette on uvicorn, the same listening socket options and worker processes as the gateway
(`mock_gateway.server.listen/serve`), two routes shaped like create and confirm that parse the
form body and answer a small JSON object. Whatever the gateway costs above this is the gateway's.

    python bench/minimal_server.py --port 0 --workers 2    # prints "listening on http://..."
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_gateway.server import die_with_supervisor, listen, serve  # noqa: E402

_ids = itertools.count()


async def create(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    body = {"id": f"pi_{os.getpid()}x{next(_ids)}", "object": "payment_intent", "amount": int(form.get("amount", 0)),
            "status": "requires_confirmation"}
    return Response(orjson.dumps(body), media_type="application/json")


async def confirm(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    body = {"id": request.path_params["id"], "object": "payment_intent", "status": "succeeded", "params": len(form)}
    return Response(orjson.dumps(body), media_type="application/json")


def create_app() -> Starlette:
    die_with_supervisor()
    return Starlette(routes=[
        Route("/v1/payment_intents", create, methods=["POST"]),
        Route("/v1/payment_intents/{id}/confirm", confirm, methods=["POST"]),
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    args = parser.parse_args()
    sock = listen(args.host, args.port)
    host, port = sock.getsockname()[:2]
    print(f"minimal server listening on http://{host}:{port} ({args.workers} process(es))", flush=True)
    serve("minimal_server:create_app", sock, workers=args.workers, server=args.server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
