"""EXIF, IPTC and XMP read from real and made files; damaged or hostile metadata is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from app.processor.embedded import EmbeddedMetadata, read_embedded
from app.processor.exif import ExifData, read_exif
from tests.processor.images import camera_exif, iptc_block, loaded, save_jpeg

XMP = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:DateCreated="2021-08-09T10:11:12">
   <dc:description><rdf:Alt>
     <rdf:li xml:lang="fr">Le port au matin</rdf:li>
     <rdf:li xml:lang="x-default">The harbour in the morning</rdf:li>
   </rdf:Alt></dc:description>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>Grace Hopper</rdf:li></rdf:Seq></dc:creator>
   <dc:subject><rdf:Bag><rdf:li>boats</rdf:li><rdf:li>sea</rdf:li><rdf:li>sea</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def made(tmp_path: Path, **options: object) -> Image.Image:
    return loaded(save_jpeg(tmp_path / "made.jpg", Image.new("RGB", (32, 24), (90, 120, 200)), **options))


def test_camera_fields_and_gps(tmp_path: Path) -> None:
    image = made(tmp_path, exif=camera_exif(lat=-33.856784, lon=151.215297))

    assert read_exif(image) == ExifData(
        make="Fujifilm",
        model="X-T4",
        lens="XF35mmF1.4 R",
        iso=800,
        focal_length=35.0,
        f_number=2.8,
        exposure_time=0.004,
        taken_at="2024-05-17T18:42:07+02:00",
        lat=-33.856784,
        lon=151.215297,
        artist="Ada Lovelace",
        copyright="(c) 2024 Ada Lovelace",
    )


def test_west_is_negative(tmp_path: Path) -> None:
    exif = read_exif(made(tmp_path, exif=camera_exif(lat=40.748433, lon=-73.985656)))
    assert (exif.lat, exif.lon) == (40.748433, -73.985656)


def test_exif_from_real_cameras(corpus: Path) -> None:
    nikon = read_exif(loaded(corpus / "pillow" / "hostile" / "broken_exif_dpi.jpg"))
    assert (nikon.make, nikon.model, nikon.iso, nikon.f_number) == (
        "NIKON CORPORATION",
        "NIKON D800",
        400,
        8.0,
    )
    assert (nikon.exposure_time, nikon.focal_length, nikon.taken_at) == (0.004, 14.0, "2013-09-11T16:45:13")
    canon = read_exif(loaded(corpus / "pillow" / "valid" / "flower.jpg"))
    assert (canon.make, canon.model, canon.taken_at) == (
        "Canon",
        "Canon PowerShot S40",
        "2003-12-14T12:01:44",
    )


def test_the_corpus_gps_file_keeps_what_makes_sense(corpus: Path) -> None:
    """exif_gps.jpg is a fuzzing sample: a one-number latitude, no hemisphere, 4294967295 s."""
    exif = read_exif(loaded(corpus / "pillow" / "valid" / "exif_gps.jpg"))
    assert (exif.make, exif.model, exif.taken_at) == ("Make", "XXX-XXX", "2099-09-29T10:10:10")
    assert (exif.lat, exif.lon, exif.exposure_time) == (None, None, None)


def test_no_exif_is_all_none(corpus: Path) -> None:
    assert read_exif(loaded(corpus / "pillow" / "valid" / "hopper.png")) == ExifData()


def test_iptc(tmp_path: Path) -> None:
    block = iptc_block(
        [(120, "Ein Hafen"), (25, "Boote"), (25, "Meer"), (80, "Émile"), (5, "Hafen"), (55, "20230102")]
    )
    assert read_embedded(made(tmp_path, extra=block)) == EmbeddedMetadata(
        caption="Ein Hafen", keywords=["Boote", "Meer"], creator="Émile", title="Hafen", date="2023-01-02"
    )


def test_xmp(tmp_path: Path) -> None:
    assert read_embedded(made(tmp_path, xmp=XMP)) == EmbeddedMetadata(
        caption="The harbour in the morning",
        keywords=["boats", "sea"],
        creator="Grace Hopper",
        title="Harbour",
        date="2021-08-09",
    )


def test_xmp_wins_and_keywords_are_merged(tmp_path: Path) -> None:
    image = made(tmp_path, xmp=XMP, extra=iptc_block([(120, "IPTC caption"), (25, "sea"), (25, "harbour")]))
    embedded = read_embedded(image)
    assert embedded.caption == "The harbour in the morning"
    assert embedded.keywords == ["boats", "sea", "harbour"]


@pytest.mark.parametrize(
    "xmp",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>',
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<x:xmpmeta this is not xml",
    ],
    ids=["entity expansion", "external entity", "broken"],
)
def test_hostile_xmp_is_ignored(tmp_path: Path, xmp: bytes) -> None:
    assert read_embedded(made(tmp_path, xmp=xmp)) == EmbeddedMetadata()


def test_dates_from_xmp_in_real_files(corpus: Path) -> None:
    assert read_embedded(loaded(corpus / "pillow" / "valid" / "flower2.jpg")).date == "2013-07-04"
    assert read_embedded(loaded(corpus / "pillow" / "valid" / "tiny.png")).date == "2022-05-25"
