"""`%%ygpt --image NAME[,NAME]`: notebook values → the PNG/JPEG pictures a request sends.

NAME is a variable (a matplotlib Figure or Axes, a PIL image, PNG/JPEG bytes or a BytesIO, a file path as
``str`` / ``Path``, an IPython ``Image``), ``Out[N]`` (a cell's output), or a path to an image
file. What a plotting call returns (``plt.plot``'s list of Line2D, ``plt.scatter``'s
PathCollection, ``plt.bar``'s BarContainer, ``plt.hist``'s tuple holding one) stands for the
figure it drew in: that figure is sent, whole, and the note above the reply says so
(:func:`figure_of`). Every picture is opened with Pillow before anything is sent, so bytes that
are not an image and types that are none are refused with a message here, not by the server. A picture over the
limits (:data:`MAX_SIDE` pixels a side, :data:`MAX_BYTES`) is downscaled, and one in another
format Pillow reads (GIF, WebP, ...) is sent as PNG; both say so in the note shown above the reply.
A PNG or JPEG sent as it is goes without its metadata (a photo's EXIF: where and when it was
taken; a PNG's text chunks), its pixels byte for byte (picture_metadata.py).

Pillow and matplotlib are optional (the ``data`` extra); they are imported only when a cell
names a picture. The values made here (chat/pictures.py) are plain: the chat keeps placeholders.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..chat.pictures import Picture, PictureInfo
from ..errors import ImageError
from .picture_metadata import without_metadata

if TYPE_CHECKING:
    from .cells import NotebookCells

#: the longest side a picture is sent with; larger ones are downscaled (multimodal models see
#: far fewer pixels: Gemma 3 looks at 896×896)
MAX_SIDE = 2048
#: the largest picture sent, encoded; larger ones are downscaled until they fit
MAX_BYTES = 4 * 2**20
#: all pictures of one request together (base64 makes them a third larger on the wire)
MAX_TOTAL = 10 * 2**20
#: files larger than this are not read at all
MAX_FILE = 64 * 2**20
EXTRA = "pip install Pillow matplotlib, or pip install -e '.[data]' in a clone"
_OUT = re.compile(r"Out\[(\d+)\]")
#: the pixel count in Pillow's decompression-bomb warning and error: "Image size (N pixels) ..."
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")
_TAKES = "a matplotlib Figure, a PIL image, PNG/JPEG bytes (or a BytesIO), a file path or an IPython Image"
#: how deep a plotting call's result is looked into for its artists: plt.hist of several datasets
#: with histtype="step" gives a tuple holding a list of lists of Polygons
_DEPTH = 3


def is_picture(value: Any) -> bool:
    """Whether a value is plainly a picture (a matplotlib Figure, or what was drawn in one: see
    :func:`figure_of`; a PIL image, an IPython Image): what `{Out[N]}` sends as a picture rather
    than as text."""
    module, name = type(value).__module__, type(value).__name__
    return (figure_of(value) is not None
            or (module.startswith("PIL.") and hasattr(value, "save"))
            or (module.startswith("IPython") and name == "Image"))


def figure_of(value: Any) -> Any | None:
    """The one matplotlib Figure ``value`` is or was drawn in: a Figure itself; an Axes' or an
    artist's (Line2D, PathCollection, AxesImage); the one figure of every artist in a list, a
    tuple, a container (BarContainer), a dict or an object array of them, a tuple's numpy arrays and
    Nones aside (``plt.hist`` returns its counts and bins beside the bars). None when the value
    holds anything else, or artists of several figures or of none. Only types are looked at, and
    the first item that is no artist ends the look: a list of a million numbers costs one check."""
    figures = _figures(value, _DEPTH)
    if not figures or any(figure is not figures[0] for figure in figures):
        return None
    return figures[0]


def _figures(value: Any, depth: int) -> list[Any] | None:
    """The figures of the artists in ``value``; None when something in it is no artist."""
    items = _items(value)
    if items is None:
        if not type(value).__module__.startswith("matplotlib"):
            return None
        figure = getattr(value, "figure", None)  # a Figure's is itself
        figure = getattr(figure, "figure", figure)  # a SubFigure's: the Figure it is part of
        return [figure] if hasattr(figure, "savefig") else None
    if depth == 0:
        return None
    found: list[Any] = []
    for item in items:
        if isinstance(value, tuple) and (item is None or _is_array(item) and item.dtype != object):
            continue  # plt.hist's counts and bins, an errorbar drawn without its line
        inner = _figures(item, depth - 1)
        if inner is None:
            return None
        found += inner
    return found


def _items(value: Any) -> Any | None:
    """The items of a list, a tuple (a matplotlib Container is one), a dict's values (what
    plt.boxplot returns) or an object array."""
    if isinstance(value, (list, tuple)):
        return value
    if type(value) is dict:
        return value.values()
    if _is_array(value) and value.dtype == object:
        return value.flat
    return None


def _is_array(value: Any) -> bool:
    return type(value).__module__ == "numpy" and type(value).__name__ == "ndarray"


def pictures(names: str | None, namespace: Mapping[str, Any], cells: NotebookCells,
             referred: tuple[tuple[str, Any], ...] = ()) -> tuple[Picture, ...]:
    """The pictures a cell sends, checked and ready: those ``--image`` names (comma-separated),
    then those its text referred to (``(name, value)``, from `{Out[N]}`)."""
    listed = [name.strip() for name in names.split(",")] if names else []
    if not all(listed):
        raise ImageError(f"--image {names!r} has an empty name; list names separated by commas, "
                         f"e.g. --image fig,photo.")
    found = tuple(picture(lookup(name, namespace, cells), name) for name in listed)
    found += tuple(picture(value, name) for name, value in referred)
    total = sum(item.info.size for item in found)
    if total > MAX_TOTAL:
        raise ImageError(f"The pictures of this cell are {total / 2**20:.1f} MiB together, over the "
                         f"{MAX_TOTAL // 2**20} MiB a request may carry, so nothing was sent. "
                         f"Send fewer pictures per cell.")
    return found


def lookup(name: str, namespace: Mapping[str, Any], cells: NotebookCells) -> Any:
    """The value ``name`` stands for: a variable, ``Out[N]``, or else an image file's path."""
    out = _OUT.fullmatch(name)
    if out:
        outputs = namespace.get("Out", {})
        number = int(out.group(1))
        lost = cells.lost_output(number, "name it in --image")
        if lost is not None:
            raise ImageError(f"--image {name}: {lost}")
        if number not in outputs:
            raise ImageError(f"--image {name}: cell {number} has no output. Use the number of a cell "
                             f"whose output is a picture, or put the picture in a variable.")
        return outputs[number]
    if name in namespace:
        return namespace[name]
    if Path(name).expanduser().is_file():
        return Path(name)
    raise ImageError(f"--image {name}: there is no variable named {name!r} and no file at that path. "
                     f"Name a variable that holds {_TAKES}, Out[N], or an image file.")


def picture(value: Any, name: str) -> Picture:
    """One value as a Picture (see the module docstring for what is taken). A value drawn in a
    figure (an Axes, plt.plot's lines) sends the whole figure, and its note says so."""
    figure = figure_of(value)
    if figure is None:
        return _checked(_encoded(value, name), name)
    sent = _checked(_drawn(figure), name)
    if figure is value:
        return sent
    note = f"Image '{name}' is {_described(value)}, not a picture; sent the figure it was drawn in."
    return replace(sent, note=" ".join(filter(None, (note, sent.note))))


def _drawn(figure: Any) -> bytes:
    """A matplotlib Figure as PNG bytes."""
    buffer = io.BytesIO()
    # No "Software" text chunk: the bytes (and their hash) depend on the drawing alone.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _described(value: Any) -> str:
    """``an Axes``, ``a list of Line2D``, ``a tuple of ndarray, BarContainer``."""
    kind = "array" if _is_array(value) else type(value).__name__
    items = _items(value) if type(value) in (list, tuple, dict) or kind == "array" else None
    if items is None:
        return _a(kind)
    names = list(dict.fromkeys(type(item).__name__ for item in items if item is not None))
    return f"{_a(kind)} of {', '.join(names[:3])}{', …' if len(names) > 3 else ''}"


def _a(word: str) -> str:
    """The word with its indefinite article: ``a dict``, ``an Axes``."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _encoded(value: Any, name: str) -> bytes:
    """The image bytes of a value that is no figure, in whatever format it holds them."""
    module = type(value).__module__
    if module.startswith("PIL.") and hasattr(value, "save"):
        return _save(value, "jpeg" if getattr(value, "format", None) == "JPEG" else "png")
    if module.startswith("IPython") and type(value).__name__ == "Image":
        if isinstance(value.data, bytes):
            return value.data
        raise ImageError(f"--image {name}: this IPython Image holds a URL, not the picture, and "
                         f"nothing is downloaded. Make it with Image(filename=...) or Image(data=...).")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, io.BytesIO):  # what savefig(buffer) / Image.save(buffer) filled
        return value.getvalue()
    if isinstance(value, (str, os.PathLike)):
        return _read(Path(value).expanduser(), name)
    if _is_array(value):
        raise ImageError(f"--image {name}: {name!r} is an ndarray, which is not a picture. If it "
                         f"holds pixels (uint8, height × width [× 3 or 4]), send "
                         f"PIL.Image.fromarray({name}); --image takes {_TAKES}.")
    raise ImageError(f"--image {name}: {name!r} is {_a(type(value).__name__)}, which is not a "
                     f"picture. --image takes {_TAKES}.")


def _read(path: Path, name: str) -> bytes:
    if not path.is_file():
        raise ImageError(f"--image {name}: {str(path)!r} is not a file. Check the path.")
    if path.stat().st_size > MAX_FILE:
        raise ImageError(f"--image {name}: {str(path)!r} is {path.stat().st_size / 2**20:.0f} MiB, too "
                         f"large to be read as a picture (at most {MAX_FILE // 2**20} MiB). Save a "
                         f"smaller copy first.")
    try:
        return path.read_bytes()
    except OSError as error:
        raise ImageError(f"--image {name}: could not read {str(path)!r} ({error.strerror}).") from None


def _pil() -> ModuleType:
    try:
        from PIL import Image
    except ImportError:
        raise ImageError(f"--image needs Pillow to check and downscale pictures, and it is not "
                         f"installed: {EXTRA}.") from None
    return Image


def _checked(data: bytes, name: str) -> Picture:
    """Open the bytes; downscale or convert when they cannot be sent as they are."""
    image_module = _pil()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", image_module.DecompressionBombWarning)
            image = image_module.open(io.BytesIO(data))
            image.load()
    except (image_module.DecompressionBombWarning, image_module.DecompressionBombError) as bomb:
        raise _bomb(name, bomb, image_module.MAX_IMAGE_PIXELS) from None
    except Exception:
        raise ImageError(f"--image {name}: the data ({len(data):,} bytes) is not an image Pillow can "
                         f"read. Use a PNG or JPEG picture.") from None
    given = (image.format or "").lower()
    kind = given if given in ("png", "jpeg") else "png"
    width, height = image.size
    note = None
    if max(width, height) > MAX_SIDE or len(data) > MAX_BYTES:
        original = len(data)
        data, image = _downscaled(image, kind)
        note = (f"Image '{name}' was {width}×{height} ({original:,} bytes), over the limit of "
                f"{MAX_SIDE} px a side and {MAX_BYTES // 2**20} MiB; sent downscaled to "
                f"{image.size[0]}×{image.size[1]} ({len(data):,} bytes).")
    elif kind != given:
        data = _save(image, kind)
        note = f"Image '{name}' is {given.upper() or 'in another format'}; sent as PNG."
    else:
        data = without_metadata(data, kind, _orientation(image)) or _save(image, kind)
    info = PictureInfo(name, kind, image.size[0], image.size[1], len(data),
                       hashlib.sha256(data).hexdigest()[:16])
    return Picture(info, data, note)


def _orientation(image: Any) -> int:
    """The EXIF orientation of a picture (1, upright, when it has none or a bad one)."""
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # Pillow raises several types for a damaged EXIF; the picture is upright then
        return 1


def _bomb(name: str, bomb: Exception, limit: int) -> ImageError:
    """The refusal of a picture over Pillow's pixel limit. Pillow only warns up to twice the
    limit and then decodes it all (gigabytes from a file of kilobytes: a decompression bomb), so
    its warning is refused like its error, and neither reaches the notebook."""
    found = _BOMB_PIXELS.search(str(bomb))
    size = f"{int(found.group(1)):,} pixels" if found else "more pixels than that"
    return ImageError(
        f"--image {name}: the picture is {size}, over the limit of {limit:,} pixels Pillow opens "
        f"safely (a picture that large may be a decompression bomb: a small file that takes "
        f"gigabytes to decode), so nothing was sent. Save a smaller copy, at most "
        f"{MAX_SIDE}×{MAX_SIDE}, and send that.")


def _downscaled(image: Any, kind: str) -> tuple[bytes, Any]:
    """The picture resized to fit MAX_SIDE, then smaller still until it fits MAX_BYTES."""
    image_module = _pil()
    scale = min(1.0, MAX_SIDE / max(image.size))
    while True:
        size = (max(1, int(image.size[0] * scale)), max(1, int(image.size[1] * scale)))
        smaller = image.resize(size, image_module.Resampling.LANCZOS)
        data = _save(smaller, kind)
        if len(data) <= MAX_BYTES:
            return data, smaller
        scale *= min(0.9, (MAX_BYTES / len(data)) ** 0.5)


def _save(image: Any, kind: str) -> bytes:
    """PNG or JPEG bytes of a PIL image (modes the format cannot hold are converted)."""
    buffer = io.BytesIO()
    if kind == "jpeg":
        image = image if image.mode in ("RGB", "L") else image.convert("RGB")
        image.save(buffer, format="JPEG", quality=90)
    else:
        image = image if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16") else image.convert("RGBA")
        image.save(buffer, format="PNG")
    return buffer.getvalue()
