"""/dev/mail: in development only, the mail Circle would have sent, with clickable links.

Every mail is already kept in the outbox (`mail_outbox`, board/mail.py) until and after it is
sent, so this page only reads it. The blueprint is registered when ENV_NAME is "development"
and not otherwise, so in testing and production the address does not exist (404).
"""
from __future__ import annotations

import re

from flask import Blueprint, render_template
from markupsafe import Markup, escape
from sqlalchemy import select

from board.extensions import db
from board.models import MailMessage

bp = Blueprint("dev_mail", __name__, url_prefix="/dev/mail")

_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Plain text, escaped, with every http(s) address made a link (only our own mail is shown here)."""
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        out.append(escape(text[last:match.start()]))
        out.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match.start() + len(url)
    out.append(escape(text[last:]))
    return Markup("").join(out)


@bp.get("")
def index():
    messages = list(db.session.scalars(select(MailMessage).order_by(MailMessage.id.desc()).limit(100)))
    return render_template("dev_mail/index.html", messages=messages, noindex=True)


@bp.get("/<int:message_id>")
def message(message_id: int):
    mail = db.get_or_404(MailMessage, message_id)
    return render_template("dev_mail/message.html", mail=mail, body=linkify(mail.body_text), noindex=True)
