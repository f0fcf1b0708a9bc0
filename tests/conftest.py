"""Shared fixtures: a real gateway process on a free loopback port, and the official stripe SDK."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_fixtures import browser  # noqa: E402,F401  (one Chromium per session, for Playwright tests)
from hypothesis import settings

from harness.servers import GatewayProcess

# No per-example time limit: how long an example takes on a shared 2-core machine (CI's included)
# is not what a property test checks, and Hypothesis's default 200 ms deadline made them flaky.
settings.register_profile("checkout-harness", deadline=None)
settings.load_profile("checkout-harness")


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    db = tmp_path_factory.mktemp("gateway") / "gateway.sqlite3"
    with GatewayProcess(db) as proc:
        yield proc


@pytest.fixture()
def stripe_sdk(gateway: GatewayProcess):
    """The official `stripe` package pointed at the mock gateway, as a merchant would configure it."""
    import stripe

    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key = "sk_test_checkout_harness"
    stripe.api_base = gateway.url
    stripe.max_network_retries = 0
    yield stripe
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave things for people to look at (screenshots, reports)."""
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
