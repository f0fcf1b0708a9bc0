"""A gateway for the payment-method, webhook, mail and clock tests: started with a mail sink
(--smtp), a compressed webhook retry schedule and a fast real-time sweep. Test modules import
the fixtures they use from here (`from methods_support import env, sdk  # noqa: F401`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from harness.mail_sink import MailSink
from harness.servers import GatewayProcess

KEY = "sk_test_methods"
RETRIES = "0.2,0.4,0.8"


def gateway_args(sink: MailSink | None, retries: str = RETRIES, sweep: float = 0.1) -> list[str]:
    args = ["--webhook-retry-schedule", retries, "--sweep-interval", str(sweep)]
    return args + (["--smtp", sink.address] if sink is not None else [])


@dataclass
class Env:
    gateway: GatewayProcess
    sink: MailSink
    http: httpx.Client

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def admin(self) -> dict[str, str]:
        """Headers for the gateway's /_harness/ endpoints."""
        return {"Authorization": f"Bearer {self.gateway.admin_token}"}

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]] | None = None) -> httpx.Response:
        """A form POST; a list of pairs allows repeated keys such as enabled_events[]."""
        if isinstance(data, list):
            return self.http.post(path, content=urlencode(data), headers={"Content-Type": "application/x-www-form-urlencoded"})
        return self.http.post(path, data=data)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    base = tmp_path_factory.mktemp("methods")
    with MailSink(base / "mail") as sink:
        with GatewayProcess(base / "gateway.sqlite3", extra_args=gateway_args(sink)) as gateway:
            with httpx.Client(base_url=gateway.url, auth=(KEY, ""), timeout=30, trust_env=False) as http:
                yield Env(gateway, sink, http)


@pytest.fixture()
def sdk(env: Env):
    """The official stripe package pointed at this module's gateway."""
    import stripe

    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = KEY, env.url, 0
    yield stripe
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = check()
    assert value, f"condition not met within {timeout} s (last: {value!r})"
    return value


def event_types(sdk: Any, object_id: str) -> list[str]:
    """The types of the events recorded for one object, oldest first."""
    events = sdk.Event.list(object_id=object_id, limit=100)
    return [e.type for e in reversed(events.data)]
