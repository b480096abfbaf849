"""Every picture is decoded and re-encoded here before anything keeps it.

`clean(data, ...)` identifies the file by its content (Pillow's decoders; never the name
or the browser's content type), refuses what is not a JPEG, PNG, WebP or HEIC/HEIF
picture, applies the EXIF orientation, keeps only the first frame of an animation,
resizes to at most `max_side` on the long side and encodes a new file and a thumbnail.
Nothing of the original bytes survives: EXIF (GPS included), XMP, IPTC, ICC-tagged
comments and any trailing data (polyglots) are gone because only pixels are copied.

Output: JPEG (quality 85) for opaque pictures, PNG for pictures with transparency.
"""
from __future__ import annotations

import hashlib
import io
import re
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

try:  # HEIC/HEIF from phones (pillow-heif registers an opener with Pillow)
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - pinned in requirements.txt
    HEIF = False

ACCEPTED = {"JPEG", "PNG", "WEBP", "HEIF", "HEIC"}
ACCEPTED_WORDS = "JPEG, PNG, WebP or HEIC (iPhone) pictures"
THUMB_SIDE = 480
AVATAR_SIDE, AVATAR_THUMB = 512, 128
TYPES = {"jpg": "image/jpeg", "png": "image/png"}

# Pillow's own guard, as an error at twice this (a warning above it): set to our limit so a
# decompression bomb is refused before its pixels are allocated. `clean` checks the size first.
Image.MAX_IMAGE_PIXELS = 50_000_000


class Refused(Exception):
    """A picture we won't take; `message` says exactly why, for the member."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Encoded:
    data: bytes
    ext: str  # "jpg" or "png"
    width: int
    height: int

    @property
    def name(self) -> str:
        return f"{hashlib.sha256(self.data).hexdigest()}.{self.ext}"

    @property
    def content_type(self) -> str:
        return TYPES[self.ext]


@dataclass(frozen=True)
class Cleaned:
    full: Encoded
    thumb: Encoded


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def _open(data: bytes, max_bytes: int, max_pixels: int) -> Image.Image:
    if not data:
        raise Refused("The file is empty: it isn't a picture.")
    if len(data) > max_bytes:
        raise Refused(f"This picture is too large: the limit is {_mb(max_bytes)} per picture. "
                      "Most phones can send a smaller copy (for example, “medium” size).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = (image.format or "").upper()
            if fmt not in ACCEPTED:
                raise Refused(f"This kind of file ({fmt or 'unknown'}) isn't accepted: please send {ACCEPTED_WORDS}.")
            width, height = image.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise Refused(f"This picture has too many pixels ({width:,} × {height:,}); the limit is "
                              f"{max_pixels / 1_000_000:.0f} million. Please send a smaller copy.")
            image.load()  # decode everything now: a truncated or corrupt file fails here
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("This picture has too many pixels; please send a smaller copy.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError,
            KeyError, RuntimeError, MemoryError, struct.error):
        if data.lstrip()[:1] == b"<":
            raise Refused(f"Drawings and web files (SVG, HTML) aren't accepted: please send {ACCEPTED_WORDS}.") from None
        raise Refused(f"This file isn't a picture we can read (it may be damaged or cut short): "
                      f"please send {ACCEPTED_WORDS}.") from None
    return image


_MARKUP = re.compile(rb"<(?:script|html|svg|\?php|iframe|body)\b|javascript:")  # on lowered bytes
_ARCHIVES = (b"PK\x03\x04", b"%PDF-", b"Rar!\x1a", b"7z\xbc\xaf")
_ENDS = {"JPEG": b"\xff\xd9", "PNG": b"IEND\xaeB`\x82"}


def _polyglot(data: bytes, fmt: str) -> bool:
    """A file that is also something else: markup or script anywhere in it (in a comment, a
    metadata field), or an archive or document after the picture's end. (Other trailing data,
    like the video a phone's "motion photo" appends, is simply dropped by re-encoding.)"""
    if _MARKUP.search(data.lower()):  # ASCII case folding, as IGNORECASE on bytes, at half the cost
        return True
    end = _ENDS.get(fmt)
    if end is not None:
        at = data.rfind(end)
        tail = data[at + len(end):] if at >= 0 else b""
        return any(marker in tail for marker in _ARCHIVES)
    return False


_TURN = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
         5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
         8: Image.Transpose.ROTATE_90}  # EXIF orientation -> the turn that makes it upright (as ImageOps.exif_transpose)


def _pixels(image: Image.Image, max_side: int | None = None) -> Image.Image:
    """The first frame, turned upright, in RGB or RGBA only (no palette, no metadata carried),
    at most `max_side` on its long side. Shrunk before it is turned and copied: on a 12 MP
    phone photo that halves the work (the long side is the same whichever way up it is)."""
    try:
        image.seek(0)
    except EOFError:
        pass
    turn = _TURN.get(image.getexif().get(0x0112))  # read first: converting drops the EXIF
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and image.getextrema()[3][0] == 255:
        image = image.convert("RGB")  # an alpha channel that is fully opaque: a JPEG will do
    if max_side is not None:
        image = _fit(image, max_side)
    if turn is not None:
        image = image.transpose(turn)
    # A fresh image with only the pixels: no info dict, no EXIF, no ICC profile, no comments.
    fresh = Image.new(image.mode, image.size)
    fresh.paste(image)
    return fresh


def _encode(image: Image.Image) -> Encoded:
    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, format="PNG", optimize=True)
        ext = "png"
    else:
        image.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
        ext = "jpg"
    return Encoded(out.getvalue(), ext, image.width, image.height)


def _fit(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def clean(data: bytes, *, max_bytes: int, max_pixels: int, max_side: int = 2048) -> Cleaned:
    """The cleaned picture and its thumbnail, or `Refused` with the reason."""
    image = _open(data, max_bytes, max_pixels)
    if _polyglot(data, image.format.upper()):
        raise Refused("This file has something else hidden in it besides the picture, so it isn't accepted. "
                      "Please send the photo straight from your phone or camera.")
    try:
        full = _pixels(image, max_side)
        return Cleaned(_encode(full), _encode(_fit(full, THUMB_SIDE)))
    except (OSError, ValueError, MemoryError):
        raise Refused("This file isn't a picture we can read (it may be damaged): "
                      f"please send {ACCEPTED_WORDS}.") from None


def crop_square(data: bytes, x: float, y: float, size: float, *, max_bytes: int, max_pixels: int) -> Cleaned:
    """A profile picture: the square the member chose (fractions of the upright picture:
    left `x`, top `y`, side `size` of the shorter side), at 512 px and a 128 px thumbnail."""
    image = _open(data, max_bytes, max_pixels)
    if _polyglot(data, image.format.upper()):
        raise Refused("This file has something else hidden in it besides the picture, so it isn't accepted.")
    pixels = _pixels(image)
    if pixels.mode == "RGBA":
        flat = Image.new("RGB", pixels.size, (255, 255, 255))
        flat.paste(pixels, mask=pixels.getchannel("A"))
        pixels = flat
    w, h = pixels.size
    short = min(w, h)
    side = max(1, round(short * min(max(size, 0.1), 1.0)))
    left = round(min(max(x, 0.0), 1.0) * w)
    top = round(min(max(y, 0.0), 1.0) * h)
    left, top = min(left, w - side), min(top, h - side)
    square = pixels.crop((left, top, left + side, top + side))
    full = square.resize((min(side, AVATAR_SIDE),) * 2, Image.Resampling.LANCZOS)
    thumb = square.resize((min(side, AVATAR_THUMB),) * 2, Image.Resampling.LANCZOS)
    return Cleaned(_encode(full), _encode(thumb))
