"""The pictures of a post, story or message, as HTML kept at the end of its stored `body_html`.

The thread page (and every other page showing the text) prints `body_html` as it is, so the
pictures cost no query and no change to those pages. The gallery is made here, by the server,
from the picture rows: `src` is always `/media/<hash>.<ext>` and the alt text is escaped.
Members' own text can never produce it (the sanitizer in board/markup.py allows no `class`
attribute), so `with_gallery` finds an existing gallery by its opening tag and replaces it.
"""
from __future__ import annotations

from markupsafe import escape

START = '\n<div class="media-gallery">'

_STATUS_TEXT = {
    "pending": "Image waiting for review",
    "hidden": "Picture hidden while moderators review it",
    "rejected": "A moderator returned this picture",
    "removed": "A moderator removed this picture",
}


def text_part(html: str) -> str:
    at = (html or "").find(START)
    return html if at < 0 else html[:at]


def keep_gallery(old_html: str, new_text_html: str) -> str:
    """The text was edited (re-rendered): keep the pictures the old HTML had."""
    at = (old_html or "").find(START)
    return new_text_html if at < 0 else new_text_html + old_html[at:]


def render(images, *, report: bool = True) -> str:
    shown = [i for i in images if i.status != "deleted"]
    if not shown:
        return ""
    out = [START]
    for image in shown:
        if image.status == "published":
            alt = escape(image.alt)
            out.append(
                f'<figure class="media-image"><a href="/media/{image.name}">'
                f'<img src="/media/{image.thumb_name}" alt="{alt}" width="{image.thumb_width}" '
                f'height="{image.thumb_height}" loading="lazy" decoding="async"></a>')
            if report:
                out.append(f'<figcaption><a class="media-report" href="/images/{image.id}/report">Report'
                           f'<span class="visually-hidden"> this picture</span></a></figcaption>')
            out.append("</figure>")
        else:
            text = _STATUS_TEXT.get(image.status, "Picture not shown")
            out.append(f'<p class="media-placeholder media-{image.status}">{text}</p>')
    out.append("</div>")
    return "".join(out)


def with_gallery(html: str, images, *, report: bool = True) -> str:
    return text_part(html) + render(images, report=report)
