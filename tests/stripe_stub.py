"""A tiny Stripe-like API for tests of the target mode: lists with pagination and nothing else.

It serves GET /v1/payment_intents and /v1/events (limit, starting_after, has_more) and answers
everything else as an API that is not checkout-harness's gateway would: /v1/checkout/sessions and
/_harness/* with a 404 text page (as localstripe does), other paths with a Stripe error envelope.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class StripeStub:
    def __init__(self, intents: int = 0, events: int = 0) -> None:
        self.lists: dict[str, list[dict[str, Any]]] = {
            "/v1/payment_intents": [{"id": f"pi_{i:05d}", "object": "payment_intent", "status": "succeeded", "amount": 100,
                                     "amount_received": 100, "currency": "usd"} for i in range(intents)],
            "/v1/events": [{"id": f"evt_{i:05d}", "object": "event", "type": "payment_intent.succeeded",
                            "data": {"object": {"id": f"pi_{i:05d}"}}} for i in range(events)],
        }
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                stub.requests.append(f"GET {url.path}")
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                if url.path in stub.lists:
                    items = stub.lists[url.path]
                    start = 0
                    if "starting_after" in query:
                        start = next(i for i, o in enumerate(items) if o["id"] == query["starting_after"]) + 1
                    limit = int(query.get("limit", 10))
                    page = items[start:start + limit]
                    self._send(200, {"object": "list", "data": page, "has_more": start + limit < len(items),
                                     "url": url.path})
                elif url.path.startswith(("/v1/checkout/", "/_harness/")):
                    self._send_text(404, "404: Not Found")
                else:
                    self._send(404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL (GET: {url.path})"}})

            def do_POST(self) -> None:  # noqa: N802
                stub.requests.append(f"POST {urlsplit(self.path).path}")
                self._send(404, {"error": {"type": "invalid_request_error", "message": "not here"}})

            do_PUT = do_POST  # noqa: N815

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send_text(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StripeStub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
