"""--image sends a picture's pixels, not its metadata (findings/redteam3.md 6): a PNG's text
chunks (here a key, which the credential guard never sees: it reads a picture's description) and
a phone photo's EXIF (its GPS position) are left out, losslessly: the compressed pixels go byte
for byte, and a photo's orientation stays."""

from __future__ import annotations

import hashlib
import io

from conftest import cell
from pictures import MODEL, pics  # noqa: F401 (the fixture)
from PIL import Image, PngImagePlugin

from ygpt_magic.context.picture_metadata import without_metadata

KEY = "AQVNAb3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zA7bC"
GPS, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F


def png(text: dict[str, str] | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def test_a_png_goes_without_its_text_chunks_and_with_its_pixels_as_they_were(pics, ygpt_server, tmp_path):
    (tmp_path / "shot.png").write_bytes(png({"Comment": f"staging key {KEY}", "Location": "55.75N 37.62E"}))
    run = cell(pics, f"%%ygpt --once --image {tmp_path / 'shot.png'} --model {MODEL}\nWhat colour is it?")
    assert run.ok, run.message
    sent = ygpt_server.requests[-1].images
    assert [image["sha256"] for image in sent] == [short_hash(png())], "the same file, its text chunks left out"


def photo(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[MAKE], exif[ORIENTATION] = "PhoneCam", orientation
    exif.get_ifd(GPS).update({1: "N", 2: (55.0, 45.0, 0.0)})
    buffer = io.BytesIO()
    Image.radial_gradient("L").convert("RGB").save(buffer, format="JPEG", exif=exif, quality=80)
    return buffer.getvalue()


def test_a_photo_goes_without_its_exif_but_its_orientation_and_its_pixels_byte_for_byte():
    original = photo(orientation=6)
    stripped = without_metadata(original, "jpeg", orientation=6)
    assert stripped is not None and len(stripped) < len(original)
    exif = Image.open(io.BytesIO(stripped)).getexif()
    assert dict(exif) == {ORIENTATION: 6}, "no camera, no GPS position: the orientation alone"
    scan = original.index(b"\xff\xda")  # the compressed pixels, from the start of the scan
    assert stripped.endswith(original[scan:]), "not re-encoded"
    assert Image.open(io.BytesIO(stripped)).tobytes() == Image.open(io.BytesIO(original)).tobytes()
    assert b"PhoneCam" not in without_metadata(photo(orientation=1), "jpeg")  # type: ignore[operator]


def test_a_file_that_cannot_be_walked_is_left_to_be_encoded_again():
    assert without_metadata(png()[:-20], "png") is None and without_metadata(photo(1)[:300], "jpeg") is None
