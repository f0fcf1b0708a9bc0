"""Locust's own views of a load run, beside the harness's files: its web UI for a live look, its
CSV files and its HTML report. Asked for in the scenario (`[load.locust]`), by `start_load(...,
web_ui=..., locust_csv=..., locust_html=...)`, or by the environment of `checkout-harness run`
(`--web-ui`, `--locust-csv`, `--locust-html` set these variables for the load process):

    CHECKOUT_HARNESS_WEB_UI=HOST:PORT   (or 1 for 127.0.0.1:8089)
    CHECKOUT_HARNESS_LOCUST_CSV=1       load/locust_stats.csv, _stats_history.csv, _failures.csv, _exceptions.csv
    CHECKOUT_HARNESS_LOCUST_HTML=1      load/locust_report.html

They read Locust's statistics (the same requests the harness records in its HDR histograms);
the harness's summary, timeseries and gates do not depend on them. The web UI shows the run as
it goes; its start/stop buttons act on Locust directly and are best left alone during a run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent

from scenarios.load import LocustOutputs

from .launch import ENV_LOCUST_CSV as ENV_CSV
from .launch import ENV_LOCUST_HTML as ENV_HTML
from .launch import ENV_WEB_UI

DEFAULT_WEB_UI = "127.0.0.1:8089"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Outputs:
    web_ui: str | None
    csv: bool
    html: bool

    @property
    def web_ui_url(self) -> str | None:
        if not self.web_ui:
            return None
        host, _, port = self.web_ui.rpartition(":")
        shown = "127.0.0.1" if host in ("0.0.0.0", "*", "") else host
        return f"http://{shown}:{port}"

    def start(self, environment: Any, runner: Any, out_dir: Path) -> LocustOutputsRun | None:
        if not (self.web_ui or self.csv or self.html):
            return None
        return LocustOutputsRun(self, environment, runner, out_dir)


def outputs_from(config: LocustOutputs, spec: Mapping[str, Any] | None, environ: Mapping[str, str] = os.environ) -> Outputs:
    """The scenario's choices, then start_load's, then the environment's (each may only add)."""
    spec = spec or {}
    web_ui = spec.get("web_ui") or config.web_ui
    env_ui = environ.get(ENV_WEB_UI, "").strip()
    if env_ui:
        web_ui = DEFAULT_WEB_UI if _truthy(env_ui) else env_ui
    return Outputs(web_ui, bool(spec.get("csv") or config.csv or _truthy(environ.get(ENV_CSV))),
                   bool(spec.get("html") or config.html or _truthy(environ.get(ENV_HTML))))


class LocustOutputsRun:
    """The web UI, the CSV writer and the HTML report of one load process (master or alone)."""

    def __init__(self, outputs: Outputs, environment: Any, runner: Any, out_dir: Path) -> None:
        self.outputs = outputs
        self.environment = environment
        self.out_dir = out_dir
        self.csv_writer: Any = None
        self.greenlets: list[Any] = []
        self.finished = False
        if outputs.web_ui:
            host, _, port = outputs.web_ui.rpartition(":")
            environment.create_web_ui(host, int(port))
            print(f"Locust web UI: {outputs.web_ui_url}", file=sys.stderr, flush=True)
        if outputs.csv or outputs.html:
            from locust.stats import stats_history

            self.greenlets.append(gevent.spawn(stats_history, runner))  # the HTML report's charts and the history CSV
        if outputs.csv:
            from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter

            out_dir.mkdir(parents=True, exist_ok=True)
            self.csv_writer = StatsCSVFileWriter(environment, PERCENTILES_TO_REPORT, str(out_dir / "locust"), full_history=True)
            self.greenlets.append(gevent.spawn(self.csv_writer.stats_writer))

    def finish(self) -> None:
        """At the end of the test: a last CSV write, the HTML report."""
        if self.finished:
            return
        self.finished = True
        if self.csv_writer is not None:
            from locust.stats import CSV_STATS_INTERVAL_SEC

            gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.1)  # one more pass of the writer, with the final figures
        if self.outputs.html:
            from locust.html import get_html_report

            self.out_dir.mkdir(parents=True, exist_ok=True)
            (self.out_dir / "locust_report.html").write_text(get_html_report(self.environment, show_download_link=False),
                                                              encoding="utf-8")

    def close(self) -> None:
        for greenlet in self.greenlets:
            greenlet.kill(block=False)
        if self.csv_writer is not None:
            self.csv_writer.close_files()
            self.csv_writer = None
        web_ui = getattr(self.environment, "web_ui", None)
        if web_ui is not None:
            web_ui.stop()
