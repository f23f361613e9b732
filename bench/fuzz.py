"""The long fuzzing run (`make fuzz`): schemathesis' command line against a real Darkroom's
/openapi.json, every phase (explicit examples, coverage, fuzzing, and stateful sequences along
the document's links), with the checks of tests/test_fuzz.py: no 5xx, and every answer's
status, content type, headers and body as documented.

The server is app.testing.DarkroomServer (uvicorn on a free loopback port, a temporary data
dir, an all-scopes token). A few images, a set and an archive are made first, so that the
stateful phase has objects to read, change and delete. The exit status is schemathesis'
(non-zero on any failure); its report is printed, and the counts kept in bench/results/fuzz.json.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.testing import DarkroomServer
from tests.test_fuzz import CHECKS

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "fuzz.json"
ST = Path(sys.executable).with_name("st")


def seed(url: str, token: str, images: int) -> None:
    """Uploads, a set holding them and an archive of it, each waited for."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=auth, timeout=60) as client:

        def finished(answer: httpx.Response) -> dict[str, object]:
            answer.raise_for_status()
            operation: dict[str, object] = answer.json()
            while operation["status"] not in ("succeeded", "failed", "canceled"):
                polled = client.get(f"/v1/operations/{operation['uuid']}", headers={"Prefer": "wait=10"})
                operation = polled.json()
            if operation["status"] != "succeeded":
                raise RuntimeError(f"seeding failed: {operation}")
            return operation

        def write(method: str, path: str, body: object) -> dict[str, object]:
            key = {"Idempotency-Key": str(uuid.uuid4())}
            return finished(client.request(method, path, json=body, headers=key))

        made = []
        for index in range(images):
            buffer = io.BytesIO()
            Image.new("RGB", (64 + index, 48), (40 * index % 256, 90, 160)).save(buffer, "JPEG")
            ticket = client.post(
                "/v1/uploads", json={"filename": f"seed-{index}.jpg"}, headers={"Idempotency-Key": str(index)}
            ).json()
            files = {ticket["file_field"]: (f"seed-{index}.jpg", buffer.getvalue(), "image/jpeg")}
            result = finished(client.post(ticket["upload_url"], data=ticket["fields"], files=files))["result"]
            assert isinstance(result, dict)
            made.append(result["image_public_uuid"])
        created = write("POST", "/v1/sets", {"name": "Seed"})["result"]
        assert isinstance(created, dict)
        write("POST", f"/v1/sets/{created['set_public_uuid']}/images", {"image_public_uuids": made})
        write("POST", "/v1/archives", {"set_public_uuid": created["set_public_uuid"]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100, help="per operation and phase")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--seed", type=int, default=None, help="schemathesis' seed, to replay a run")
    parser.add_argument("--seed-images", type=int, default=3)
    args = parser.parse_args()

    with DarkroomServer() as server:
        seed(server.url, server.token, args.seed_images)
        command = [
            str(ST), "run", f"{server.url}/openapi.json",
            "--header", f"Authorization: Bearer {server.token}",
            "--checks", ",".join(CHECKS),
            "--phases", args.phases,
            "--max-examples", str(args.max_examples),
            "--workers", "1",
            "--no-color",
        ]  # fmt: skip
        if args.seed is not None:
            command += ["--seed", str(args.seed)]
        started = time.monotonic()
        finished = subprocess.run(command, capture_output=True, text=True)
        seconds = time.monotonic() - started
    report = finished.stdout + finished.stderr
    print(report)
    generated = re.search(r"(\d+) generated", report)
    seed_used = re.search(r"Seed: (\d+)", report)
    RESULTS.parent.mkdir(exist_ok=True)
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "phases": args.phases,
        "max_examples": args.max_examples,
        "test_cases": int(generated[1]) if generated else None,
        "seed": seed_used[1] if seed_used else None,
        "seconds": seconds,
        "exit_status": finished.returncode,
        "failures": re.findall(r"❌ (ST\d+ [^:]+): (\d+)", report),
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print(f"{document['test_cases']} test cases in {seconds:.0f} s, exit status {finished.returncode}")
    return finished.returncode


if __name__ == "__main__":
    sys.exit(main())
