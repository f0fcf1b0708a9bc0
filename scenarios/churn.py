"""The [churn] table: a cohort of subscribers billed by the gateway month after month under two or
more dunning policies side by side (docs/subscriptions.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .errors import ScenarioError
from .reading import Table

AFTER_RETRIES = ("cancel", "unpaid", "past_due")
INTERVALS = ("day", "week", "month", "year")


@dataclass(frozen=True)
class Policy:
    """What the gateway does after a failed renewal, and whether it mails the customer."""

    name: str
    retry_days: tuple[float, ...] = ()
    after_retries: str = "cancel"
    notices: bool = False


@dataclass(frozen=True)
class ChurnPlan:
    subscribers: int = 10_000
    months: int = 12
    start: int = 1_767_225_600  # 2026-01-01 00:00 UTC
    amount: int = 1980
    currency: str = "jpy"
    card_validity_months: tuple[int, int] = (1, 48)  # months each card has left, uniform
    decline_rate: float = 0.04  # a renewal meets a card that starts declining
    decline_recovery: tuple[tuple[int | None, float], ...] = ((2, 0.4), (7, 0.3), (None, 0.3))  # days (None: never), share
    update_after_failed_mail: float = 0.35
    update_after_expiry_mail: float = 0.5
    update_delay_days: tuple[int, int] = (0, 5)
    voluntary_churn: float = 0.015  # per month
    processes: int = 3  # gateways billing at once
    shards: int = 3  # parts each policy's cohort is split into, each billed by a gateway of its own
    batch: int = 1000
    policies: tuple[Policy, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChurnPlan:
        data = dict(data)
        data.setdefault("shards", 1)  # a plan written before there were shards
        data["policies"] = tuple(Policy(**{**p, "retry_days": tuple(p["retry_days"])}) for p in data["policies"])
        for key in ("card_validity_months", "update_delay_days"):
            data[key] = tuple(data[key])
        data["decline_recovery"] = tuple(tuple(x) for x in data["decline_recovery"])
        return cls(**data)


DEFAULT_POLICIES = (
    Policy("no-retries", (), "cancel", False),
    Policy("retries", (1, 3, 5), "cancel", False),
    Policy("retries+notices", (1, 3, 5), "cancel", True),
)


def _range(t: Table, name: str, default: tuple[int, int], low: int, high: int) -> tuple[int, int]:
    value = t.get(name)
    if value is None:
        return default
    sub = Table(value, t.file, t.key(name))
    lo = sub.integer("min", default[0], min=low, max=high)
    hi = sub.integer("max", default[1], min=low, max=high)
    sub.done()
    assert lo is not None and hi is not None
    if lo > hi:
        raise ScenarioError(t.file, t.key(f"{name}.min"), f"at most {name}.max ({hi})", lo)
    return lo, hi


def _start(t: Table) -> int:
    value = t.get("start")
    if value is None:
        return ChurnPlan.start
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise ScenarioError(t.file, t.key("start"), "a date such as 2026-01-01", t.data.get("start"))
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())


def _recovery(t: Table) -> tuple[tuple[int | None, float], ...]:
    value = t.get("decline_recovery_days")
    if value is None:
        return ChurnPlan.decline_recovery
    key = t.key("decline_recovery_days")
    if not isinstance(value, dict) or not value:
        raise ScenarioError(t.file, key, "a table of days = share, e.g. { 2 = 0.4, 7 = 0.3, never = 0.3 }", value)
    out: list[tuple[int | None, float]] = []
    for days, share in value.items():
        if days != "never" and not (days.isdigit() and 0 < int(days) <= 365):
            raise ScenarioError(t.file, f"{key}.{days}", "a number of days from 1 to 365, or never", days)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or share < 0:
            raise ScenarioError(t.file, f"{key}.{days}", "a share of zero or more", share)
        out.append((None if days == "never" else int(days), float(share)))
    total = sum(s for _, s in out)
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError(t.file, key, "shares that add up to 1", round(total, 6))
    return tuple(out)


def _policy(raw: Any, file: str, key: str) -> Policy:
    t = Table(raw, file, key)
    name = t.text("name")
    if not name or not name.replace("-", "").replace("+", "").replace("_", "").isalnum():
        raise ScenarioError(file, t.key("name"), "a name of letters, digits, -, + or _", name)
    retries = t.get("retry_days", [])
    if not isinstance(retries, list) or len(retries) > 10 or any(
            isinstance(d, bool) or not isinstance(d, (int, float)) or not 0 < d <= 60 for d in retries):
        raise ScenarioError(file, t.key("retry_days"), "a list of up to 10 delays in days (each above 0, at most 60)", retries)
    policy = Policy(name, tuple(float(d) for d in retries), t.text("after_retries", "cancel", choices=AFTER_RETRIES) or "cancel",
                    bool(t.flag("notices", False)))
    t.done()
    return policy


def parse_churn(raw: Any, file: str) -> ChurnPlan:
    """The [churn] table, or a ScenarioError naming the key."""
    t = Table(raw, file, "churn")
    plan = ChurnPlan(
        subscribers=t.integer("subscribers", 10_000, min=1, max=1_000_000) or 10_000,
        months=t.integer("months", 12, min=1, max=60) or 12,
        start=_start(t),
        amount=t.integer("amount", 1980, min=1, max=99_999_999) or 1980,
        currency=(t.text("currency", "jpy") or "jpy").lower(),
        card_validity_months=_range(t, "card_validity_months", (1, 48), 1, 240),
        decline_rate=t.decimal("decline_rate", 0.04, min=0.0, max=1.0) or 0.0,
        decline_recovery=_recovery(t),
        update_after_failed_mail=t.decimal("update_after_failed_mail", 0.35, min=0.0, max=1.0) or 0.0,
        update_after_expiry_mail=t.decimal("update_after_expiry_mail", 0.5, min=0.0, max=1.0) or 0.0,
        update_delay_days=_range(t, "update_delay_days", (0, 5), 0, 60),
        voluntary_churn=t.decimal("voluntary_churn", 0.015, min=0.0, max=1.0) or 0.0,
        processes=t.integer("processes", 3, min=1, max=16) or 3,
        shards=t.integer("shards", 3, min=1, max=16) or 3,
        batch=t.integer("batch", 1000, min=1, max=1000) or 1000,
        policies=tuple(_policy(p, file, f"churn.policies[{i}]") for i, p in enumerate(_list(t, "policies"))) or DEFAULT_POLICIES,
    )
    if len(plan.currency) != 3 or not plan.currency.isalpha():
        raise ScenarioError(file, t.key("currency"), "a three-letter currency code such as jpy", plan.currency)
    names = [p.name for p in plan.policies]
    if len(set(names)) != len(names):
        raise ScenarioError(file, t.key("policies"), "policies with distinct names", names)
    t.done()
    return plan


def _list(t: Table, name: str) -> list[Any]:
    value = t.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ScenarioError(t.file, t.key(name), "an array of tables ([[churn.policies]])", value)
    return value
