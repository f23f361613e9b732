"""The processor benchmark: Darkroom's processor against a plain Pillow script making the same versions.

Both make the default versions (thumb 256, small 640, medium 1280, large 2048 on the long edge,
never upscaled, upright, JPEG quality 85, progressive from 1280 px) of the same real photos, in
the same process, one after the other, alternating for `--rounds` rounds; the medians are
compared. The plain script is what one writes without thinking about speed, in two flavours:
opening the file for each version (`Image.open(...).resize(...)`), and opening it once. The
processor does more on top (stores the original, hashes, reads EXIF/IPTC/XMP, computes the
pHash and colours) and must still be faster than both.

The photos: the largest of the corpus (1800×1200 and 1200×1800 JPEGs with EXIF orientation)
and a 4000×3000 camera-sized JPEG made from one of them.

A second part compares worker processes with threads for small files (the small valid images
of the corpus, each processed fully), which `app/processor/pool.py` quotes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageFilter, ImageOps

from app.processor.pipeline import process_file
from app.processor.pool import ProcessorPool
from app.processor.profiles import DEFAULT_PROFILES
from app.processor.versions import JPEG_QUALITY, PROGRESSIVE_FROM, fit

BENCH_DIR = Path(__file__).resolve().parent
CORPUS = BENCH_DIR.parent.parent / "shared" / "corpus"
RESULTS = BENCH_DIR / "results" / "processor.json"


def plain_per_version(path: Path, out: Path) -> None:
    """The script most people write: open, turn upright, resize, save — for each version."""
    for profile in DEFAULT_PROFILES:
        image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        size = fit(image.width, image.height, profile.size)
        version = image.resize(size, Image.Resampling.LANCZOS)
        version.save(
            out / f"{profile.name}.jpg",
            quality=JPEG_QUALITY,
            progressive=max(size) >= PROGRESSIVE_FROM,
        )


def plain_open_once(path: Path, out: Path) -> None:
    """The same, decoding the file once and resizing every version from the full image."""
    image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    for profile in DEFAULT_PROFILES:
        size = fit(image.width, image.height, profile.size)
        version = image.resize(size, Image.Resampling.LANCZOS)
        version.save(
            out / f"{profile.name}.jpg",
            quality=JPEG_QUALITY,
            progressive=max(size) >= PROGRESSIVE_FROM,
        )


def processor(path: Path, out: Path) -> None:
    process_file(path, media_root=out / "media")


def camera_sized_photo(directory: Path) -> Path:
    """A 4000×3000 JPEG from a corpus photo, with grain so that it compresses like a real one."""
    source = Image.open(CORPUS / "exif-orientation" / "Landscape_1.jpg").convert("RGB")
    large = source.resize((4000, 3000), Image.Resampling.BICUBIC).filter(ImageFilter.SHARPEN)
    grain = Image.effect_noise((4000, 3000), 24).convert("RGB")
    photo = Image.blend(large, grain, 0.08)
    path = directory / "camera-4000x3000.jpg"
    photo.save(path, quality=92, exif=source.getexif())
    return path


def timed(function: Callable[[Path, Path], None], path: Path, out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    function(path, out)
    return time.perf_counter() - started


def compare_scripts(photos: list[Path], rounds: int, work: Path) -> dict[str, dict[str, float]]:
    contenders = {
        "processor": processor,
        "plain_per_version": plain_per_version,
        "plain_open_once": plain_open_once,
    }
    results: dict[str, dict[str, float]] = {}
    for photo in photos:
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for round_number in range(rounds + 1):
            for name, function in contenders.items():
                elapsed = timed(function, photo, work / f"{name}-{round_number}")
                if round_number:  # the first round warms caches and is not counted
                    times[name].append(elapsed)
        with Image.open(photo) as image:
            label = f"{photo.name} ({image.width}×{image.height})"
        results[label] = {name: statistics.median(values) * 1000 for name, values in times.items()}
    return results


def small_files() -> list[Path]:
    valid = CORPUS / "pillow" / "valid"
    return [path for path in sorted(valid.iterdir()) if path.suffix not in (".ico", ".psd")]


async def compare_executors(copies: int, work: Path) -> dict[str, float]:
    files = small_files() * copies
    pool = ProcessorPool(workers=2)
    await pool.start()
    started = time.perf_counter()
    await asyncio.gather(*(pool.process(path, media_root=work / "processes") for path in files))
    processes = time.perf_counter() - started
    await pool.close()

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(2) as threads:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                loop.run_in_executor(threads, process_file, path, 0, DEFAULT_PROFILES, work / "t")
                for path in files
            )
        )
        threaded = time.perf_counter() - started
    return {
        "files": len(files),
        "processes_ms_per_file": processes / len(files) * 1000,
        "threads_ms_per_file": threaded / len(files) * 1000,
    }


def report(scripts: dict[str, dict[str, float]], executors: dict[str, float], rounds: int) -> None:
    print(f"median of {rounds} rounds, ms per photo for the four default versions (ratio: processor / plain)")
    header = f"{'photo (stored size)':36} {'processor':>10} {'plain/version':>14} {'ratio':>6}"
    print(header, f"{'plain/once':>11} {'ratio':>6}")
    for label, row in scripts.items():
        ours, per_version, once = row["processor"], row["plain_per_version"], row["plain_open_once"]
        print(
            f"{label:36} {ours:10.1f} {per_version:14.1f} {ours / per_version:6.2f}"
            f" {once:11.1f} {ours / once:6.2f}"
        )
    processes, threads = executors["processes_ms_per_file"], executors["threads_ms_per_file"]
    files = executors["files"]
    print(
        f"\nsmall files ({files:.0f}), 2 workers, ms a file: processes {processes:.2f}, threads {threads:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--copies", type=int, default=10, help="copies of the small files for part two")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        photos = [
            CORPUS / "exif-orientation" / "Landscape_1.jpg",
            CORPUS / "exif-orientation" / "Portrait_6.jpg",
            camera_sized_photo(work),
        ]
        scripts = compare_scripts(photos, options.rounds, work)
        executors = asyncio.run(compare_executors(options.copies, work))

    report(scripts, executors, options.rounds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"scripts": scripts, "executors": executors}, indent=2))


if __name__ == "__main__":
    main()
