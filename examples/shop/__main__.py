"""`python -m examples.shop --gateway URL --port N`: run Hoshino Coffee against a gateway."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.shop", description="Hoshino Coffee, an example shop paying through a Stripe-compatible gateway.")
    parser.add_argument("--gateway", default=os.environ.get("SHOP_GATEWAY", "http://127.0.0.1:12111"),
                        help="the Stripe-compatible API the backend's stripe SDK uses (api_base); env SHOP_GATEWAY")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SHOP_PORT", "8000")))
    parser.add_argument("--public-url", help="where browsers and the gateway's webhooks reach the shop (default http://HOST:PORT)")
    parser.add_argument("--stripe-js", default=os.environ.get("SHOP_STRIPE_JS"),
                        help="where pages load Stripe.js from (default https://js.stripe.com/v3/; in a plain browser use GATEWAY/v3/); env SHOP_STRIPE_JS")
    parser.add_argument("--secret-key", default=os.environ.get("SHOP_SECRET_KEY", "sk_test_hoshino_coffee"))
    parser.add_argument("--publishable-key", default=os.environ.get("SHOP_PUBLISHABLE_KEY", "pk_test_hoshino_coffee"))
    parser.add_argument("--request-log", type=Path, help="write every request the shop receives (method, path, body) here, as JSON lines")
    parser.add_argument("--no-webhooks", action="store_true", help="do not register a webhook endpoint on the gateway")
    args = parser.parse_args(argv)
    if not args.gateway.startswith(("http://", "https://")):
        parser.error(f"--gateway must be an http:// or https:// URL, found {args.gateway!r}")
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, found {args.port}")
    if not args.publishable_key.startswith("pk_test_") or not args.secret_key.startswith("sk_test_"):
        parser.error("--publishable-key must start with pk_test_ and --secret-key with sk_test_")

    import uvicorn

    from .app import STRIPE_JS_DEFAULT, ShopConfig, create_app

    public = (args.public_url or f"http://{args.host}:{args.port}").rstrip("/")
    config = ShopConfig(gateway=args.gateway.rstrip("/"), public_url=public, secret_key=args.secret_key,
                        publishable_key=args.publishable_key, stripe_js=args.stripe_js or STRIPE_JS_DEFAULT,
                        request_log=args.request_log, webhooks=not args.no_webhooks)
    print(f"Hoshino Coffee listening on {public} (gateway {config.gateway}, Stripe.js from {config.stripe_js})", file=sys.stderr, flush=True)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
