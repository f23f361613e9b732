"""The ingest benchmark: camera-sized JPEGs through the whole server, against two Pillow scripts.

Darkroom runs as a real server (`python -m app serve` on a loopback port, one worker per core)
and takes every file through the upload ticket flow: `POST /v1/uploads`, the multipart upload,
then the `upload` operation followed with `Prefer: wait` until it is finished. The clock runs
from the first request to the last operation finished; a small photo per worker goes through
first, since the pool starts its workers on their first file (the scripts' pools are warmed too).
Against it, on the same files in the same run, two scripts spread the files over all cores with
a process pool and write the same versions (the default profiles: 256, 640, 1280 and 2048 px on
the long edge, upright, LANCZOS, JPEG quality 85, progressive from 1280 px) to disk:

- **plain**: decode the whole file once, `exif_transpose`, then `resize()` every version from the
  full image (already kinder than opening the file again for each version);
- **best**: DCT scaling (`draft`) to the largest version, upright only after that first resize,
  each smaller version from the previous one with `reducing_gap` (`reduce()` first).

Every round checks that Darkroom's versions have the scripts' sizes, photo by photo. Darkroom
does more for each file (stores and hashes the original, fsyncs every file, reads EXIF, IPTC and
XMP, computes the pHash and colours, writes its database) and carries the HTTP traffic and this
client on the same cores. The goals: ≥ 1.5× the plain script's images/s, ≥ 0.9× the best one's.
Beside images/s, CPU time per image (every process involved, the client included for Darkroom)
is the figure that other load on a shared machine disturbs least.

Peak RSS is the largest sum of the resident sets of the server and all its descendants (the
processor workers and their forkserver), sampled every 100 ms, for the timed runs and for a long
run (`--rss-images`) whose files each differ by a JPEG comment, so that every one is a new file,
stored and processed. The photos are made once from the corpus (cropped, upscaled, with grain
and texture so that they compress like real ones: 4.2–5.6 MB at 12–16 MP, 8.6 MB at 24 MP) and
cached in `bench/.cache/ingest/`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
from library import server as library_server
from PIL import Image, ImageChops, ImageOps

from app.processor.profiles import DEFAULT_PROFILES
from app.processor.versions import JPEG_QUALITY, PROGRESSIVE_FROM, fit

PLAIN_GOAL, BEST_GOAL = 1.5, 0.9
BENCH_DIR = Path(__file__).resolve().parent
CORPUS = BENCH_DIR.parent.parent / "shared" / "corpus"
CACHE = BENCH_DIR / ".cache" / "ingest"
RESULTS = BENCH_DIR / "results" / "ingest.json"
CPUS = os.cpu_count() or 1
TERMINAL = {"succeeded", "failed", "canceled"}
_ORIENTATION = 0x0112

# --- photos ---------------------------------------------------------------------------------

# Bump when the photos change, so that a stale cache is not reused.
_GENERATION = 1
# (stored size, EXIF orientation, corpus photo): 12 to 24 MP, landscape and portrait, and
# cameras held upright that store the pixels sideways with an orientation tag.
_PHOTOS = [
    ((4000, 3000), 1, "exif-orientation/Landscape_1.jpg"),
    ((4032, 3024), 6, "exif-orientation/Portrait_1.jpg"),
    ((4000, 3000), 1, "pillow/valid/flower.jpg"),
    ((3000, 4000), 1, "exif-orientation/Portrait_1.jpg"),
    ((4608, 3456), 1, "pillow/valid/exif-72dpi-int.jpg"),
    ((4000, 3000), 8, "exif-orientation/Portrait_1.jpg"),
    ((4032, 3024), 1, "pillow/valid/flower2.jpg"),
    ((6000, 4000), 1, "exif-orientation/Landscape_1.jpg"),
    ((4000, 3000), 3, "pillow/valid/flower.jpg"),
    ((4000, 3000), 1, "pillow/valid/exif-72dpi-int.jpg"),
    ((3024, 4032), 1, "exif-orientation/Portrait_1.jpg"),
    ((4000, 3000), 6, "exif-orientation/Portrait_1.jpg"),
]
# The turn that stores an upright scene the way a camera held sideways does (undone by the tag).
_SIDEWAYS = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def make_photo(index: int, path: Path) -> None:
    """A camera-like JPEG: a corpus photo cropped and upscaled, with grain and mid-scale texture."""
    (width, height), orientation, source_name = _PHOTOS[index]
    rng = random.Random(index)
    upright = (height, width) if orientation in (6, 8) else (width, height)
    source = ImageOps.exif_transpose(Image.open(CORPUS / source_name)).convert("RGB")
    share = rng.uniform(0.6, 1.0)
    crop_w, crop_h = int(source.width * share), int(source.height * share)
    left, top = rng.randint(0, source.width - crop_w), rng.randint(0, source.height - crop_h)
    scene = source.crop((left, top, left + crop_w, top + crop_h)).resize(upright, Image.Resampling.BICUBIC)
    # Sensor grain plus texture at a third of the resolution: what real photos spend their bytes on.
    texture = Image.effect_noise((upright[0] // 3, upright[1] // 3), 12).resize(upright)
    grain = ImageChops.add(texture, Image.effect_noise(upright, 5), 1.0, -128)
    photo = ImageChops.add(scene, Image.merge("RGB", (grain, grain, grain)), 1.0, -128)
    if orientation in _SIDEWAYS:
        photo = photo.transpose(_SIDEWAYS[orientation])
    exif = Image.Exif()
    exif.update({0x010F: "Darkroom", 0x0110: "Bench Camera", 0x0132: "2024:05:17 10:42:07"})
    if orientation != 1:
        exif[_ORIENTATION] = orientation
    photo.save(path, "JPEG", quality=92, exif=exif.tobytes())


def photos() -> list[Path]:
    """The photos, made on the first run and cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, ((width, height), orientation, _source) in enumerate(_PHOTOS):
        path = CACHE / f"g{_GENERATION}-{index:02d}-{width}x{height}-o{orientation}.jpg"
        if not path.exists():
            partial = path.with_suffix(".part")
            make_photo(index, partial)
            partial.replace(path)
        paths.append(path)
    return paths


def with_comment(data: bytes, text: str) -> bytes:
    """The same JPEG with a comment segment after its APPn segments: new bytes, same pixels."""
    position = 2
    while data[position] == 0xFF and 0xE0 <= data[position + 1] <= 0xEF:
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    comment = text.encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:position] + segment + data[position:]


def distinct_files(sources: Sequence[Path], count: int, directory: Path) -> list[Path]:
    """`count` files cycling through `sources`, each one made distinct by a comment."""
    directory.mkdir(parents=True, exist_ok=True)
    contents = [source.read_bytes() for source in sources]
    files = []
    for index in range(count):
        path = directory / f"photo-{index:04d}.jpg"
        path.write_bytes(with_comment(contents[index % len(contents)], f"ingest {index}"))
        files.append(path)
    return files


# --- the two scripts ------------------------------------------------------------------------

_ORIENT: dict[int, tuple[Image.Transpose, ...]] = {
    1: (),
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _save(version: Image.Image, out: Path, path: Path, name: str) -> None:
    progressive = max(version.size) >= PROGRESSIVE_FROM
    version.save(out / f"{path.stem}-{name}.jpg", quality=JPEG_QUALITY, progressive=progressive)


def plain_script(path: Path, out: Path) -> None:
    """Decode once, turn upright, resize every version from the full image."""
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened)
    for profile in DEFAULT_PROFILES:
        size = fit(image.width, image.height, profile.size)
        _save(image.resize(size, Image.Resampling.LANCZOS), out, path, profile.name)


def best_script(path: Path, out: Path) -> None:
    """Decode at the smallest DCT scale that covers the largest version, resize once, turn upright,
    then each smaller version from the previous one."""
    with Image.open(path) as image:
        orientation = image.getexif().get(_ORIENTATION, 1)
        sideways = orientation in (5, 6, 7, 8)
        upright = (image.height, image.width) if sideways else image.size
        largest = fit(*image.size, max(profile.size for profile in DEFAULT_PROFILES))
        image.draft("RGB", largest)
        source = image.resize(largest, Image.Resampling.LANCZOS, reducing_gap=3.0)
    for transpose in _ORIENT.get(orientation, ()):
        source = source.transpose(transpose)
    for profile in sorted(DEFAULT_PROFILES, key=lambda profile: profile.size, reverse=True):
        size = fit(*upright, profile.size)
        if size != source.size:
            source = source.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        _save(source, out, path, profile.name)


def _cpu_timed(script: Callable[[Path, Path], None], path: Path, out: Path) -> float:
    started = time.process_time()
    script(path, out)
    return time.process_time() - started


@dataclass
class Timing:
    seconds: float
    # CPU seconds of every process involved: the measure that other load on the machine disturbs least.
    cpu_seconds: float


def run_script(script: Callable[[Path, Path], None], files: Sequence[Path], out: Path) -> Timing:
    """`script` over every file, on a warm process pool with one process per core."""
    out.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(CPUS, mp_context=get_context("forkserver")) as pool:
        list(pool.map(time.sleep, [0.2] * CPUS))  # every worker started and warm
        started = time.perf_counter()
        cpu = sum(pool.map(_cpu_timed, repeat(script), files, repeat(out)))
        return Timing(time.perf_counter() - started, cpu)


# --- the server and its memory --------------------------------------------------------------


@contextmanager
def server(data_dir: Path, workers: int) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    """Darkroom with a fresh data dir and the default settings (the scripts make the default
    versions): the process, its base URL, a token."""
    data_dir.mkdir(parents=True)
    with library_server(data_dir, workers=workers) as (process, base):
        yield process, base, (data_dir / "dev-token").read_text().strip()


def _descendants(pid: int) -> list[int]:
    """`pid` and every process under it (children are listed per thread that started them)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except FileNotFoundError:  # it has exited meanwhile
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as children:
                    queue.extend(int(child) for child in children.read().split())
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of the processes under `pid`, and of the children they have reaped."""
    ticks = 0
    for process in _descendants(pid):
        try:
            with open(f"/proc/{process}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _memory_kb(pid: int) -> dict[str, int]:
    try:
        with open(f"/proc/{pid}/status") as status:
            lines = status.read().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    return {
        key: int(value.split()[0])
        for key, _, value in (line.partition(":") for line in lines)
        if key in ("VmRSS", "VmHWM")
    }


@dataclass
class MemorySampler:
    """Every 100 ms: the resident set of the process tree under `pid`, summed."""

    pid: int
    peak_tree_kb: int = 0
    peak_server_kb: int = 0
    peak_worker_kb: int = 0
    # (seconds since start, tree RSS in kB, server process RSS in kB)
    samples: list[tuple[float, int, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        started = time.monotonic()
        tree: list[int] = []
        for tick in range(sys.maxsize):
            if self._stop.wait(0.1):
                return
            # Walking every thread of the server for its children costs more than reading the
            # memory, and the tree changes only when a worker is recycled (every 200 files):
            # walked once a second, a new worker counts from the next walk.
            if tick % 10 == 0:
                tree = _descendants(self.pid)
            total = server_rss = 0
            for pid in tree:
                memory = _memory_kb(pid)
                total += memory.get("VmRSS", 0)
                if pid == self.pid:
                    server_rss = memory.get("VmRSS", 0)
                    self.peak_server_kb = max(self.peak_server_kb, memory.get("VmHWM", 0))
                else:
                    self.peak_worker_kb = max(self.peak_worker_kb, memory.get("VmHWM", 0))
            self.peak_tree_kb = max(self.peak_tree_kb, total)
            self.samples.append((time.monotonic() - started, total, server_rss))


# --- the client -----------------------------------------------------------------------------


@dataclass
class Ingest:
    seconds: float
    failures: list[str]
    # In the order of the files; None where the upload failed.
    images: list[str | None]


def upload_one(client: httpx.Client, name: str, data: bytes) -> dict[str, Any]:
    """Ticket, upload, then follow the operation to its end; the finished operation."""
    ticket = client.post(
        "/v1/uploads", json={"filename": name}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    if ticket.status_code != 201:
        raise RuntimeError(f"POST /v1/uploads answered {ticket.status_code}: {ticket.text}")
    body = ticket.json()
    sent = client.post(
        body["upload_url"], data=body["fields"], files={body["file_field"]: (name, data, "image/jpeg")}
    )
    if sent.status_code != 202:
        raise RuntimeError(f"the upload answered {sent.status_code}: {sent.text}")
    operation: dict[str, Any] = sent.json()
    while operation["status"] not in TERMINAL:
        answer = client.get(f"/v1/operations/{operation['uuid']}", headers={"Prefer": "wait=30"})
        answer.raise_for_status()
        operation = answer.json()
    return operation


def ingest(base: str, token: str, count: int, content: Callable[[int], bytes], window: int) -> Ingest:
    """Upload `count` files (`content(i)`), `window` of them at a time, each followed to its end.

    Threads, not asyncio: httpx's async client tries to import sniffio on every request, and
    where it is not installed that failed import cost more CPU than the rest of the client.
    """
    failures: list[str] = []
    limits = httpx.Limits(max_connections=window, max_keepalive_connections=window)
    headers = {"Authorization": f"Bearer {token}"}
    # Plain HTTP on loopback: verify=False only spares loading the CA bundle, which costs CPU.
    client = httpx.Client(base_url=base, headers=headers, timeout=120, limits=limits, verify=False)

    def one(index: int) -> str | None:
        operation = upload_one(client, f"photo-{index:04d}.jpg", content(index))
        if operation["status"] != "succeeded":
            failures.append(f"photo {index}: {operation['status']} {operation.get('error')}")
            return None
        image: str = operation["result"]["image_public_uuid"]
        return image

    with client, ThreadPoolExecutor(window) as uploads:
        started = time.perf_counter()
        images = list(uploads.map(one, range(count)))
        seconds = time.perf_counter() - started
    return Ingest(seconds, failures, images)


def warm_up(base: str, token: str) -> None:
    """One small photo per worker, one after the other: the processor pool starts its workers on
    their first file, and the scripts' pools are warm before their clocks start too."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "grey").save(buffer, "JPEG")
    for _ in range(CPUS):
        done = ingest(base, token, 1, lambda _index: buffer.getvalue(), 1)
        if done.failures:
            raise RuntimeError(f"the warm-up upload failed: {done.failures}")


Sizes = dict[str, tuple[int, int]]


def darkroom_versions(base: str, token: str, images: Sequence[str | None]) -> list[Sizes]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        made = []
        for image in images:
            answer = client.get(f"/v1/images/{image}/versions")
            answer.raise_for_status()
            made.append({version["name"]: (version["width"], version["height"]) for version in answer.json()})
        return made


def script_versions(out: Path, path: Path) -> Sizes:
    sizes = {}
    for profile in DEFAULT_PROFILES:
        with Image.open(out / f"{path.stem}-{profile.name}.jpg") as version:
            sizes[profile.name] = version.size
    return sizes


@dataclass
class ServerRun:
    ingest: Ingest
    timing: Timing
    # Of `timing.cpu_seconds`: what this process spent (the client and the memory sampler).
    client_cpu_seconds: float
    memory: MemorySampler
    # Each file's versions, when asked for.
    versions: list[Sizes]


def run_darkroom(
    work: Path, count: int, content: Callable[[int], bytes], window: int, *, versions: bool = False
) -> ServerRun:
    """A fresh server and data dir; the data dir is removed afterwards (1 000 photos fill 5 GB)."""
    data_dir = work / f"darkroom-{uuid.uuid4().hex[:8]}"
    try:
        with server(data_dir, CPUS) as (process, base, token), MemorySampler(process.pid) as memory:
            warm_up(base, token)
            server_cpu, client_cpu = tree_cpu_seconds(process.pid), time.process_time()
            done = ingest(base, token, count, content, window)
            server_cpu = tree_cpu_seconds(process.pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
            if done.failures:
                raise SystemExit("\n".join(done.failures[:10]))
            made = darkroom_versions(base, token, done.images) if versions else []
        return ServerRun(done, Timing(done.seconds, server_cpu + client_cpu), client_cpu, memory, made)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# --- the report -----------------------------------------------------------------------------


def _mb(kb: int) -> float:
    return kb / 1024


def memory_summary(run: ServerRun, images: int) -> dict[str, float]:
    """Peaks, and the server's own RSS early in the run against the end: growth per image shows."""
    memory = run.memory
    end = memory.samples[-1][0] if memory.samples else 0.0

    def server_mb(start: float, stop: float) -> float:
        window = [server for at, _tree, server in memory.samples if start * end <= at <= stop * end]
        return _mb(max(window, default=0))

    return {
        "images": images,
        "images_per_s": images / run.ingest.seconds,
        "peak_tree_mb": _mb(memory.peak_tree_kb),
        "peak_server_mb": _mb(memory.peak_server_kb),
        "peak_worker_mb": _mb(memory.peak_worker_kb),
        "server_mb_first_tenth": server_mb(0.0, 0.1),
        "server_mb_last_tenth": server_mb(0.9, 1.0),
    }


def report(results: dict[str, Any]) -> None:
    rate, cpu = results["images_per_s"], results["cpu_ms_per_image"]
    print(
        f"{results['images']} photos ({results['megapixels']:.0f} MP, {results['megabytes']:.0f} MB),"
        f" {CPUS} cores, median of {results['rounds']} rounds"
    )
    print(f"{'':9} {'images/s':>9} {'CPU ms/image':>13}   rounds (images/s)")
    for name in CONTENDERS:
        rounds = ", ".join(f"{value:.2f}" for value in results["rounds_images_per_s"][name])
        print(f"{name:9} {rate[name]:9.2f} {cpu[name]:13.0f}   {rounds}")
    client = results["client_cpu_ms_per_image"]
    load = f"{results['load_average_before']:.1f} before, {results['load_average_after']:.1f} after"
    print(f"(of Darkroom's CPU, the client's: {client:.0f} ms/image; load average {load})")
    for name, goal in (("plain", PLAIN_GOAL), ("best", BEST_GOAL)):
        ratio, cpu_ratio = rate["darkroom"] / rate[name], cpu[name] / cpu["darkroom"]
        verdict = "met" if ratio >= goal else "missed"
        print(
            f"darkroom / {name:5} = {ratio:.2f} in images/s (goal ≥ {goal}: {verdict}),"
            f" {cpu_ratio:.2f} in CPU per image"
        )
    print("peak RSS of the server tree (server + forkserver + workers), MB:")
    for memory in results["memory"].values():
        first, last = memory["server_mb_first_tenth"], memory["server_mb_last_tenth"]
        print(
            f"  {memory['images']:5.0f} images ({memory['images_per_s']:.2f}/s):"
            f" tree {memory['peak_tree_mb']:4.0f}, server {memory['peak_server_mb']:3.0f}"
            f" (first tenth of the run {first:.0f}, last {last:.0f}),"
            f" largest worker {memory['peak_worker_mb']:3.0f}"
        )


CONTENDERS = ("darkroom", "plain", "best")


def timed_rounds(files: list[Path], rounds: int, window: int, work: Path) -> tuple[dict[str, Any], ServerRun]:
    """Alternate the three over the same files; every round checks that they made the same sizes."""
    timings: dict[str, list[Timing]] = {name: [] for name in CONTENDERS}
    client_cpu: list[float] = []
    largest: ServerRun | None = None
    for round_number in range(rounds):
        for name, script in (("plain", plain_script), ("best", best_script)):
            timings[name].append(run_script(script, files, work / f"{name}-out"))
        run = run_darkroom(work, len(files), lambda index: files[index].read_bytes(), window, versions=True)
        timings["darkroom"].append(run.timing)
        client_cpu.append(run.client_cpu_seconds)
        for name in ("plain", "best"):
            for path, ours in zip(files, run.versions, strict=True):
                theirs = script_versions(work / f"{name}-out", path)
                if ours != theirs:
                    raise SystemExit(f"{path.name}: Darkroom made {ours}, the {name} script {theirs}")
            shutil.rmtree(work / f"{name}-out")
        if largest is None or run.memory.peak_tree_kb > largest.memory.peak_tree_kb:
            largest = run
        shown = ", ".join(f"{name} {len(files) / timings[name][-1].seconds:.2f}/s" for name in CONTENDERS)
        print(f"round {round_number + 1}: {shown}", flush=True)
    assert largest is not None
    results = {
        "images_per_s": {
            name: statistics.median(len(files) / timing.seconds for timing in values)
            for name, values in timings.items()
        },
        "cpu_ms_per_image": {
            name: statistics.median(timing.cpu_seconds for timing in values) / len(files) * 1000
            for name, values in timings.items()
        },
        "client_cpu_ms_per_image": statistics.median(client_cpu) / len(files) * 1000,
        "rounds_images_per_s": {
            name: [len(files) / timing.seconds for timing in values] for name, values in timings.items()
        },
    }
    return results, largest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24, help="photos in each timed run")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds, alternating the three")
    parser.add_argument("--rss-images", type=int, default=300, help="photos in the memory run (0: skip)")
    parser.add_argument("--window", type=int, default=3 * CPUS, help="files in the server at once")
    options = parser.parse_args()
    if options.images < 1 or options.rounds < 1:
        parser.error("--images and --rounds must be at least 1")

    sources = photos()
    with tempfile.TemporaryDirectory(prefix="darkroom-ingest-") as temporary:
        work = Path(temporary)
        files = distinct_files(sources, options.images, work / "files")
        sizes = [Image.open(path).size for path in files]
        results: dict[str, Any] = {
            "images": len(files),
            "megapixels": sum(width * height for width, height in sizes) / 1e6,
            "megabytes": sum(path.stat().st_size for path in files) / 1e6,
            "cores": CPUS,
            "rounds": options.rounds,
            "window": options.window,
            "load_average_before": os.getloadavg()[0],
        }
        timed, largest = timed_rounds(files, options.rounds, options.window, work)
        results.update(timed)
        results["memory"] = {"timed": memory_summary(largest, len(files))}
        if options.rss_images:
            contents = [source.read_bytes() for source in sources]

            def content(index: int) -> bytes:
                return with_comment(contents[index % len(contents)], f"rss {index}")

            long = run_darkroom(work, options.rss_images, content, options.window)
            results["memory"]["long"] = memory_summary(long, options.rss_images)
    results["load_average_after"] = os.getloadavg()[0]
    report(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
