"""The Prometheus metrics of one running Darkroom, in a registry of its own.

A registry per server rather than prometheus_client's global one, so that several servers in
one process (the test suite) each count only their own requests and operations.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric

# The classic text format: what `generate_latest` writes and every Prometheus version reads.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# A `304` poll takes a fraction of a millisecond, and `Prefer: wait` may hold one for 60 s.
REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# Their `le` labels, as prometheus_client writes them ("1.0", "+Inf").
_BUCKET_NAMES = (*(repr(float(bound)) for bound in REQUEST_BUCKETS), "+Inf")
# Small files take a few milliseconds; the processor's timeout is 60 s by default.
PROCESSING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

RequestLabels = tuple[str, str, int]  # method, route template, status


class _Times:
    """One label set's requests: a count per bucket (the last is +Inf), and their sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(REQUEST_BUCKETS) + 1)
        self.total = 0.0


class RequestTimes:
    """Requests counted and timed in plain lists, made into a counter and a histogram when scraped.

    prometheus_client's own `inc()` and `observe()` take a lock per value and check their
    arguments: about 9 µs a request on the development machine, more than a tenth of a `304`
    poll. Requests are observed on the event loop and scraped in a thread (see
    `Metrics.exposition`) without a lock: the scrape copies what it reads, a copy Python makes
    whole, so it may miss a request observed meanwhile but never fails on one.
    """

    def __init__(self) -> None:
        self._times: dict[RequestLabels, _Times] = {}

    def observe(self, labels: RequestLabels, seconds: float) -> None:
        times = self._times.get(labels)
        if times is None:
            times = self._times[labels] = _Times()
        times.counts[bisect_left(REQUEST_BUCKETS, seconds)] += 1
        times.total += seconds

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        requests, durations = self._families()
        for (method, route, status), times in list(self._times.items()):
            labels = [method, route, str(status)]
            cumulative, buckets = 0, []
            for name, count in zip(_BUCKET_NAMES, list(times.counts), strict=True):
                cumulative += count
                buckets.append((name, cumulative))
            requests.add_metric(labels, cumulative)
            durations.add_metric(labels, buckets, times.total)
        yield requests
        yield durations

    def _families(self) -> tuple[CounterMetricFamily, HistogramMetricFamily]:
        labels = ["method", "route", "status"]
        return (
            CounterMetricFamily(
                "darkroom_http_requests",
                "HTTP requests answered, by method, route template and status.",
                labels=labels,
            ),
            HistogramMetricFamily(
                "darkroom_http_request_duration_seconds",
                "Time from a request's arrival to the end of its answer.",
                labels=labels,
            ),
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = RequestTimes()
        registry.register(self.requests)
        self._queued = Gauge(
            "darkroom_operations_queued", "Operations waiting for a worker.", registry=registry
        )
        self._running = Gauge("darkroom_operations_running", "Operations a worker runs.", registry=registry)
        self._operations = Counter(
            "darkroom_operations_finished",
            "Operations the engine ran to a final status, by type and status "
            "(one canceled before it started is not counted).",
            ["type", "status"],
            registry=registry,
        )
        self._files = Histogram(
            "darkroom_processor_file_duration_seconds",
            "Time a file spent in a processor worker (decoding and every version), "
            "by outcome: ok, the item error's code, error or abandoned.",
            ["outcome"],
            buckets=PROCESSING_BUCKETS,
            registry=registry,
        )
        # CPU, memory and open files of the server process, read from /proc when scraped.
        ProcessCollector(registry=registry)

    def operation_finished(self, operation_type: str, status: str) -> None:
        self._operations.labels(operation_type, status).inc()

    def file_processed(self, outcome: str, seconds: float) -> None:
        self._files.labels(outcome).observe(seconds)

    def exposition(self, *, queued: int, running: int) -> bytes:
        """The text format, with the queue's gauges set to what the caller just read. Safe in
        a thread while requests are observed: a few hundred label sets (a fuzzer's every
        method and status on every route) take some 150 ms to write, too long for the loop."""
        self._queued.set(queued)
        self._running.set(running)
        return generate_latest(self.registry)
