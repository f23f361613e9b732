"""`GET /metrics`: requests by route template, the queue, operations, the processor, per server."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Harness, ServerFactory
from tests.processor.conftest import CORPUS
from tests.test_http_conventions import assert_envelope
from tests.test_uploads_http import FLOWER, upload

Labels = frozenset[tuple[str, str]]


async def scrape(server: Harness) -> dict[tuple[str, Labels], float]:
    """Every sample of the exposition, by name and labels (parsing checks the format)."""
    response = await server.client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, Labels], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_need_a_token(server: Harness) -> None:
    assert_envelope(await server.client.get("/metrics", headers={"Authorization": ""}), 401, "unauthorized")


async def test_metrics_take_any_valid_token(server: Harness) -> None:
    token = await server.new_token(scopes=["api.images.read"])
    response = await server.client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_requests_are_counted_by_route_template_and_status(server: Harness) -> None:
    image = await server.create_image()
    for _ in range(2):
        assert (await server.client.get(f"/v1/images/{image.public_uuid}")).status_code == 200
    assert (await server.client.get("/v1/images/nope")).status_code == 404
    assert (await server.client.get("/no/such/path")).status_code == 404
    assert (await server.client.put("/v1/me")).status_code == 405
    assert (await server.client.request("BREW", "/v1/me")).status_code == 405

    samples = await scrape(server)
    route = "/v1/images/{uuid}"
    count = "darkroom_http_requests_total"
    assert value(samples, count, method="GET", route=route, status="200") == 2
    assert value(samples, count, method="GET", route=route, status="404") == 1
    assert value(samples, count, method="GET", route="<unmatched>", status="404") == 1
    assert value(samples, count, method="PUT", route="/v1/me", status="405") == 1
    assert value(samples, count, method="other", route="/v1/me", status="405") == 1
    # No label is a raw path.
    assert not any(image.public_uuid in value for _, labels in samples for _, value in labels)

    histogram = "darkroom_http_request_duration_seconds"
    labels = {"method": "GET", "route": route, "status": "200"}
    assert value(samples, f"{histogram}_count", **labels) == 2
    assert value(samples, f"{histogram}_bucket", le="+Inf", **labels) == 2
    assert 0 < value(samples, f"{histogram}_sum", **labels) < 10


async def test_operations_are_counted_by_type_and_final_status(server: Harness) -> None:
    image = await server.create_image()
    accepted = await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": "New"})
    assert accepted.status_code == 202, accepted.text
    finished = await server.wait_operation(accepted.json()["uuid"])
    assert finished["status"] == "succeeded"

    samples = await scrape(server)
    name = "darkroom_operations_finished_total"
    assert value(samples, name, type=finished["type"], status="succeeded") == 1
    assert value(samples, name, type=finished["type"], status="failed") == 0


async def test_queue_gauges_are_read_when_scraped(server: Harness) -> None:
    samples = await scrape(server)
    assert value(samples, "darkroom_operations_queued") == 0
    assert value(samples, "darkroom_operations_running") == 0

    await server.runtime.engine.stop()  # nothing is claimed from here on
    image = await server.create_image()
    for title in ("One", "Two", "Three"):
        accepted = await server.write("PATCH", f"/v1/images/{image.public_uuid}", json={"title": title})
        assert accepted.status_code == 202, accepted.text
    # As a worker's claim would leave it.
    async with server.runtime.db.write() as tx:
        await tx.execute(
            "UPDATE operations SET status = 'running' WHERE op_id = (SELECT min(op_id) FROM operations)"
        )

    samples = await scrape(server)
    assert value(samples, "darkroom_operations_queued") == 2
    assert value(samples, "darkroom_operations_running") == 1


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the image corpus is missing")
async def test_processor_time_per_file_by_outcome(server: Harness, tmp_path: Path) -> None:
    assert (await upload(server, FLOWER))["status"] == "succeeded"
    not_an_image = tmp_path / "not-an-image.jpg"
    not_an_image.write_bytes(b"plain text, not a JPEG")
    failed = await upload(server, not_an_image)
    assert failed["status"] == "failed"

    samples = await scrape(server)
    name = "darkroom_processor_file_duration_seconds"
    assert value(samples, f"{name}_count", outcome="ok") == 1
    assert value(samples, f"{name}_sum", outcome="ok") > 0
    assert value(samples, f"{name}_count", outcome=failed["error"]["code"]) == 1


async def test_each_server_counts_only_its_own(server_factory: ServerFactory) -> None:
    first, second = await server_factory(), await server_factory()
    for _ in range(3):
        await first.client.get("/v1/me")
    await second.client.get("/v1/me")

    count = "darkroom_http_requests_total"
    labels = {"method": "GET", "route": "/v1/me", "status": "200"}
    assert value(await scrape(first), count, **labels) == 3
    assert value(await scrape(second), count, **labels) == 1


def test_a_scrape_in_a_thread_survives_requests_observed_meanwhile() -> None:
    import threading

    from app.metrics import Metrics

    metrics = Metrics()
    for status in range(200, 400):
        metrics.requests.observe(("GET", "/v1/images/{uuid}", status), 0.001)
    scrapes: list[bytes] = []
    errors: list[BaseException] = []

    def scrape() -> None:
        try:
            for _ in range(2):
                scrapes.append(metrics.exposition(queued=0, running=0))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    # As on the server: the loop observes (new label sets too) while a thread writes the scrape.
    thread = threading.Thread(target=scrape)
    thread.start()
    status = 0
    while thread.is_alive():
        status += 1
        metrics.requests.observe(("POST", f"/route/{status % 300}", 202), 0.002)
    thread.join()
    assert errors == []
    families = {family.name for family in text_string_to_metric_families(scrapes[-1].decode())}
    assert "darkroom_http_requests" in families
