"""Gate expressions as written in a scenario: `p99_ms["POST /v1/payment_intents/{id}/confirm"] <= 800`.

A gate names a metric of the run's summary (with a key for per-endpoint or per-variant metrics),
a comparison and a threshold. Evaluation lives in reports/gates.py; this only parses and checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ScenarioError

# metric -> (what it measures, whether it takes a key and what the key names)
METRICS: dict[str, tuple[str, str | None]] = {
    "p50_ms": ("load latency p50 in ms", "endpoint or \"*\""),
    "p90_ms": ("load latency p90 in ms", "endpoint or \"*\""),
    "p95_ms": ("load latency p95 in ms", "endpoint or \"*\""),
    "p99_ms": ("load latency p99 in ms", "endpoint or \"*\""),
    "p999_ms": ("load latency p99.9 in ms", "endpoint or \"*\""),
    "max_ms": ("load latency max in ms", "endpoint or \"*\""),
    "error_rate": ("share of load requests that failed (declines are not errors)", None),
    "achieved_rate": ("requests per second the load achieved", None),
    "not_started": ("open-model arrivals that could not be started", None),
    "conversion": ("share of journeys that paid", "variant or \"*\""),
    "completion_median_s": ("median completion time of converted journeys, s", "variant or \"*\""),
    "failed_journeys": ("journeys that failed for a technical reason (page crash, timeout)", None),
    "integrity": ("reconciliation found nothing lost, duplicated or stuck", None),
    "webhook_p95_ms": ("webhook delivery latency p95 in ms", None),
    "webhook_failed": ("webhook deliveries that never succeeded", None),
    "receipt_p95_s": ("time from payment to receipt mail in the sink, p95 in s", None),
    "involuntary_churn_rate": ("[churn] share of the cohort lost to failed payments", "policy or \"*\" (the worst)"),
    "churn_reconciled": ("[churn] every policy's invoices paid once or not at all, amounts equal", None),
}

_EXPR = re.compile(
    r"""^\s*(?P<metric>[a-z0-9_]+)\s*(?:\[\s*(?P<q>["'])(?P<key>.*?)(?P=q)\s*\])?\s*(?P<op><=|>=|==|<|>)\s*(?P<value>\S+)\s*$"""
)
OPS = ("<=", ">=", "==", "<", ">")


@dataclass(frozen=True)
class Gate:
    expression: str
    metric: str
    key: str | None
    op: str
    threshold: float | bool

    @property
    def name(self) -> str:
        return self.expression.strip()


def parse_gate(expression: object, file: str, key: str) -> Gate:
    expected = 'a gate such as \'p99_ms["POST /v1/payment_intents/{id}/confirm"] <= 800\', \'error_rate <= 0.01\' or \'integrity == true\''
    if not isinstance(expression, str):
        raise ScenarioError(file, key, expected, expression)
    m = _EXPR.match(expression)
    if not m:
        raise ScenarioError(file, key, expected, expression)
    metric, gate_key, op, raw = m.group("metric"), m.group("key"), m.group("op"), m.group("value")
    if metric not in METRICS:
        raise ScenarioError(file, key, "a metric among " + ", ".join(METRICS), metric)
    wants_key = METRICS[metric][1]
    if wants_key and gate_key is None:
        gate_key = "*"
    if not wants_key and gate_key is not None:
        raise ScenarioError(file, key, f"{metric} without a [key]", expression)
    threshold: float | bool
    if raw in ("true", "false"):
        threshold = raw == "true"
        if op != "==":
            raise ScenarioError(file, key, f"'== true' or '== false' for {metric}", expression)
    else:
        try:
            threshold = float(raw)
        except ValueError:
            raise ScenarioError(file, key, "a number or true/false after the comparison", raw) from None
    if metric == "integrity" and not isinstance(threshold, bool):
        raise ScenarioError(file, key, "integrity == true", expression)
    return Gate(expression, metric, gate_key, op, threshold)
