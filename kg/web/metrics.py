"""Prometheus metrics: request counts and latencies, query timeouts and refusals.

Under gunicorn, :func:`kg.serve.run` sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers
start, so ``/metrics`` adds up every worker (prometheus-client's multiprocess mode).

>>> b"kg_sparql_timeouts_total" in exposition(None)
True
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

__all__ = ["REQUESTS", "LATENCY", "TIMEOUTS", "REFUSED", "exposition", "CONTENT_TYPE"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter("kg_http_requests", "HTTP requests answered.", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "kg_http_request_duration_seconds", "Time to answer an HTTP request.", ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TIMEOUTS = Counter("kg_sparql_timeouts", "SPARQL queries stopped at the time limit.")
REFUSED = Counter("kg_sparql_refused", "SPARQL operations refused by policy.", ["reason"])


class _StoreCollector:
    """Store statistics of the answering worker's snapshot, as gauges."""

    def __init__(self, stats: dict[str, Any]) -> None:
        self.stats = stats

    def collect(self):
        quads = GaugeMetricFamily("kg_store_quads", "Quads in the served snapshot.")
        quads.add_metric([], self.stats.get("quads", 0))
        articles = GaugeMetricFamily("kg_store_articles", "Articles in the served snapshot.")
        articles.add_metric([], self.stats.get("articles", 0))
        entities = GaugeMetricFamily("kg_store_entities", "Entities per class.", labels=["class"])
        for name, n in self.stats.get("classes", {}).items():
            entities.add_metric([name], n)
        return [quads, articles, entities]


def exposition(stats: dict[str, Any] | None) -> bytes:
    """The metrics page: every worker's counters (multiprocess mode) plus store gauges."""
    from prometheus_client import REGISTRY

    multiproc = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    registry = REGISTRY
    if multiproc:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    text = generate_latest(registry)
    if stats is not None:
        extra = CollectorRegistry()
        extra.register(_StoreCollector(stats))
        text += generate_latest(extra)
    return text
