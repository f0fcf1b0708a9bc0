"""Recording and merging: per-process batches merge into the same numbers one process would have."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.load.aggregate import ALL, Aggregator
from harness.load.hdr import new_histogram, record, stats
from harness.load.recorder import Recorder, error_kind

HEADER = {"model": "open", "shape": {"kind": "soak", "rate": 1}, "duration_s": 10.0}


def _response(status, injected=None):
    headers = {"harness-injected-delay-ms": injected} if injected is not None else {}
    return SimpleNamespace(status_code=status, headers=headers)


requests = st.lists(
    st.tuples(
        st.sampled_from(["POST /v1/payment_intents", "POST /v1/payment_intents/{id}/confirm", "GET /v1/payment_intents"]),
        st.floats(0.05, 5000.0),  # ms
        st.sampled_from([200, 200, 200, 402, 503, 0]),
        st.integers(0, 1),  # which worker
    ),
    min_size=1,
    max_size=300,
)


@given(requests)
@settings(max_examples=10, deadline=None)
def test_merged_workers_equal_one_process(tmp_path_factory, reqs):
    t0 = time.time() - 5
    parts = [Recorder("w0", t0), Recorder("w1", t0)]
    whole = Recorder("w0", t0)
    for endpoint, ms, status, worker in reqs:
        method, name = endpoint.split(" ", 1)
        exc = TimeoutError("timed out") if status == 0 else None
        for rec in (parts[worker], whole):
            rec.request(method, name, ms, _response(status), exc)
    out = tmp_path_factory.mktemp("agg")
    merged = Aggregator(out / "merged", HEADER, ["w0", "w1"], t0)
    for rec in parts:
        merged.add(rec.take(final=True))
    single = Aggregator(out / "single", HEADER, ["w0"], t0)
    single.add(whole.take(final=True))
    a, b = merged.summary(False, 5.0), single.summary(False, 5.0)
    assert a["endpoints"] == b["endpoints"] and a["errors_by_kind"] == b["errors_by_kind"]
    assert a["requests"] == len(reqs) == sum(w["requests"] for w in a["workers"].values())
    for endpoint, numbers in a["endpoints"].items():
        assert numbers["count"] == sum(w["endpoints"].get(endpoint, 0) for w in a["workers"].values())
    assert a["failures"] == sum(1 for r in reqs if r[2] in (503, 0))
    assert a["errors_by_kind"].get("card_declined", 0) == sum(1 for r in reqs if r[2] == 402)
    merged.flush(everything=True)
    merged.close()
    lines = [json.loads(line) for line in (out / "merged" / "timeseries.jsonl").read_text().splitlines()]
    all_lines = [line for line in lines if line["endpoint"] == ALL]
    assert sum(line["count"] for line in all_lines) == len(reqs)
    total = new_histogram()
    for line in all_lines:
        total.add(HdrHistogram.decode(line["hdr"]))
    assert total.get_total_count() == len(reqs)


def test_numpy_percentiles_agree_with_the_hdrhistogram_package():
    hist = new_histogram()
    for v in [1, 5, 5, 120, 900, 1500, 20_000, 20_001, 3_000_000, 7_200_000_000]:
        record(hist, v)
    got = stats(hist)
    for name, p in (("p50_ms", 50), ("p90_ms", 90), ("p99_ms", 99), ("p999_ms", 99.9)):
        assert got[name] == round(hist.get_value_at_percentile(p) / 1000, 3)
    assert got["max_ms"] == round(hist.get_max_value() / 1000, 3) and got["max_ms"] >= 3_600_000
    assert got["mean_ms"] == pytest.approx(hist.get_mean_value() / 1000, rel=1e-9)


def test_timeseries_waits_for_every_worker_and_records_arrivals(tmp_path):
    t0 = time.time() - 3.5
    agg = Aggregator(tmp_path, HEADER, ["w0", "w1"], t0)
    w0, w1 = Recorder("w0", t0), Recorder("w1", t0)
    for rec in (w0, w1):
        rec.arrival(0.2, started=True)
        rec.arrival(1.5, started=False)
    w0.request("GET", "/v1/payment_intents", 3.0, _response(200, "200.5"))
    agg.add(w0.take())  # w0 has completed seconds 0..2; w1 has not reported
    agg.flush()
    assert (tmp_path / "timeseries.jsonl").read_text() == ""
    agg.add(w1.take())
    agg.flush()
    lines = [json.loads(x) for x in (tmp_path / "timeseries.jsonl").read_text().splitlines()]
    assert [(x["t"], x["endpoint"], x["offered"], x["started"], x["not_started"]) for x in lines] == [
        (0, ALL, 2, 2, 0), (1, ALL, 2, 0, 2), (2, ALL, 0, 0, 0)]
    agg.add(w0.take(final=True))
    agg.add(w1.take(final=True))
    agg.flush(everything=True)
    summary = agg.summary(False, 3.5)
    assert summary["offered"] == 4 and summary["not_started"] == 2 and summary["offered_rate"] == 0.4
    assert summary["injected_delay_ms"]["GET /v1/payment_intents"]["p50_ms"] == pytest.approx(200.5, rel=0.001)


@pytest.mark.parametrize(
    "status, exception, kind",
    [
        (200, None, None), (303, None, None), (402, None, "card_declined"), (503, None, "http_503"),
        (0, TimeoutError("timed out"), "timeout"), (0, ConnectionResetError(104, "Connection reset by peer"), "connection_reset"),
        (0, ConnectionRefusedError(111, "Connection refused"), "connection_refused"), (0, ValueError("odd"), "exception_valueerror"),
    ],
)
def test_error_kinds(status, exception, kind):
    assert error_kind(status, exception) == kind
