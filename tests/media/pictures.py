"""Pictures made in code for the tests (Pillow): no binary fixtures in the repository."""
from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(width=60, height=40, *, gps=False, orientation=None, colour=(200, 30, 30), comment=None) -> bytes:
    """A JPEG; `gps` adds coordinates (EXIF GPS IFD), `orientation` an EXIF Orientation tag.
    The left half is `colour` and the right half white, so rotation can be checked."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    image.paste(Image.new("RGB", (width // 2, height), colour), (0, 0))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.9)}
    out = io.BytesIO()
    extra = {"comment": comment} if comment else {}
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90, **extra)
    return out.getvalue()


def png(width=50, height=50, *, alpha=False) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", (width, height), (10, 120, 90, 128) if alpha else (10, 120, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def webp(width=40, height=30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 60, 200)).save(out, format="WEBP")
    return out.getvalue()


def gif(frames=2) -> bytes:
    out = io.BytesIO()
    images = [Image.new("P", (20, 20), i * 40) for i in range(frames)]
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:])
    return out.getvalue()


def animated_webp(frames=3) -> bytes:
    out = io.BytesIO()
    images = [Image.new("RGB", (30, 20), (i * 80, 0, 0)) for i in range(frames)]
    images[0].save(out, format="WEBP", save_all=True, append_images=images[1:], duration=100)
    return out.getvalue()


def heic(width=64, height=48) -> bytes:
    from pillow_heif import from_pillow, register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    from_pillow(Image.new("RGB", (width, height), (120, 40, 160))).save(out, quality=80)
    return out.getvalue()


def bomb_png(width=30000, height=30000) -> bytes:
    """A small file that claims a huge picture (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    row = b"\0" + b"\0" * ((width + 7) // 8)
    body = zlib.compress(row * 64, 9)  # far fewer rows than claimed: never decoded anyway
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


def upright(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


# The only markup a gallery may hold: what board/media/gallery.py writes (src always /media/<hash>).
_FIGURE = (r'<figure class="media-image"><a href="/media/[0-9a-f]{64}\.(?:jpg|png)">'
           r'<img src="/media/[0-9a-f]{64}\.(?:jpg|png)" alt="[^"<>]*" width="\d+" height="\d+" loading="lazy" '
           r'decoding="async"></a>(?:<figcaption><a class="media-report" href="/images/\d+/report">Report'
           r'<span class="visually-hidden"> this picture</span></a></figcaption>)?</figure>')
_PLACEHOLDER = r'<p class="media-placeholder media-[a-z]+">[A-Za-z ]+</p>'


def gallery_problems(html: str) -> list[str]:
    """Stored HTML with pictures: the text part is checked by the sanitizer's checker; the
    gallery after it must be exactly what the server writes."""
    import re as _re

    from board.media.gallery import START, text_part

    gallery = html[len(text_part(html)):]
    if not gallery:
        return []
    if not _re.fullmatch(_re.escape(START) + f"(?:{_FIGURE}|{_PLACEHOLDER})+</div>", gallery):
        return [f"unexpected gallery markup: {gallery[:200]!r}"]
    return []
