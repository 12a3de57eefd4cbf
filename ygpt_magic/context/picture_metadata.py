"""A PNG's or JPEG's metadata left out, its pixels untouched: what ``--image`` sends of a file.

A phone photo's EXIF holds where it was taken (GPS), when, and the camera's serial number; a
PNG's text chunks hold whatever a tool wrote there (a comment, a prompt, a path, once a key).
None of it is the picture, the user never sees it, and the credential guard reads only a
picture's description, so it is left out here, losslessly: the file's chunks (PNG) or segments
(JPEG) are copied but those that only describe, and the compressed pixels byte for byte (no
re-encoding, no quality lost). Kept is what changes how the pixels look: PNG's palette,
transparency, gamma, colours and colour profile, physical size and animation chunks; JPEG's
JFIF header, ICC profile and Adobe colour transform, and its EXIF orientation, written again as
an EXIF of that one tag, so a phone photo is not sent on its side. A JPEG ends at its end
marker: what a camera appends after it (a second picture: a depth or gain map) stays behind.

A file this reader cannot walk (cut short, malformed) gives None: the caller re-encodes it.
"""

from __future__ import annotations

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: ancillary PNG chunks that change how the pixels look (critical chunks, capitalised, all stay)
_PNG_KEPT = frozenset({b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD", b"pHYs", b"hIST",
                       b"cICP", b"mDCV", b"cLLI", b"acTL", b"fcTL", b"fdAT"})
#: the JPEG application segments kept, by marker and the signature their data starts with
_JPEG_KEPT = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
_SOI, _EOI, _SOS, _APP1 = b"\xff\xd8", 0xD9, 0xDA, 0xE1
_ORIENTATION = 0x0112


def without_metadata(data: bytes, kind: str, orientation: int = 1) -> bytes | None:
    """``data`` (``kind``: "png" or "jpeg") without its metadata; a JPEG keeps ``orientation``
    (EXIF's 1-8) when it is not the upright 1. None when the file cannot be walked."""
    return _png(data) if kind == "png" else _jpeg(data, orientation)


def _png(data: bytes) -> bytes | None:
    if not data.startswith(PNG_SIGNATURE):
        return None
    kept, position = [PNG_SIGNATURE], len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind, end = data[position + 4:position + 8], position + 12 + length
        if end > len(data):
            return None
        if not kind[0] & 0x20 or kind in _PNG_KEPT:  # bit 5 of the first letter: ancillary
            kept.append(data[position:end])
        position = end
        if kind == b"IEND":
            return b"".join(kept)
    return None


def _jpeg(data: bytes, orientation: int) -> bytes | None:
    if not data.startswith(_SOI):
        return None
    kept, position = [_SOI], len(_SOI)
    while position + 1 < len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # a fill byte before a marker
            position += 1
            continue
        if marker == _EOI:
            return _oriented(kept, orientation) + b"\xff\xd9"
        if position + 4 > len(data):
            return None
        end = position + 2 + struct.unpack(">H", data[position + 2:position + 4])[0]
        if end > len(data) or end < position + 4:
            return None
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE) or data[position + 4:end].startswith(
                _JPEG_KEPT.get(marker, b"\xff")):
            kept.append(data[position:end])
        position = end
        if marker == _SOS:
            scanned = _scan_end(data, position)
            if scanned is None:
                return None
            kept.append(data[position:scanned])
            position = scanned
    return None


def _scan_end(data: bytes, position: int) -> int | None:
    """Where the compressed data of a scan ends: at the first marker, a 0xFF followed by neither
    a stuffed zero nor a restart marker (nor another 0xFF)."""
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= len(data):
            return None
        following = data[position + 1]
        if following and not 0xD0 <= following <= 0xD7 and following != 0xFF:
            return position
        position += 1


def _oriented(kept: list[bytes], orientation: int) -> bytes:
    """The kept segments with an EXIF of the orientation alone, after JFIF's header if any."""
    if 2 <= orientation <= 8:
        tiff = b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">HHHIHHI", 1, _ORIENTATION, 3, 1, orientation, 0, 0)
        body = b"Exif\x00\x00" + tiff
        segment = struct.pack(">BBH", 0xFF, _APP1, len(body) + 2) + body
        at = 2 if len(kept) > 1 and kept[1][4:9] == _JPEG_KEPT[0xE0] else 1
        kept = [*kept[:at], segment, *kept[at:]]
    return b"".join(kept)
