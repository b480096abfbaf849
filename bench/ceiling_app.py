"""The ceiling: the fastest a Flask page of Circle's size can be on this machine.

A bare Flask app (no database, no extensions) rendering a Jinja page of 50
items (`/`, `/items/50`) or 25 items (`/items/25`) of about 400 characters each, with autoescaped names and titles and
pre-rendered bodies marked safe, as Circle's thread page does. `bench/run.py`
serves it with the same gunicorn config as Circle (2 sync workers) and
compares every Circle page with the ceiling page of the same number of items
(a 25-post thread page with the 25-item page, 50 with 50).

    gunicorn -c gunicorn.conf.py 'bench.ceiling_app:app'
"""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, render_template

HERE = Path(__file__).resolve().parent

WORDS = (
    "scan results came back stable and my oncologist was pleased with how the new line of treatment is "
    "going although fatigue is still hard most afternoons so I rest after lunch and walk a little in the "
    "evening when the air is cool my daughter drives me to infusions and we make a game of the crossword"
).split()


def _item(i: int, rng: random.Random, now: datetime) -> dict:
    words = []
    while sum(len(w) + 1 for w in words) < 360:
        words.append(rng.choice(WORDS))
    half = len(words) // 2
    body = (
        "<p>" + " ".join(words[:half]).capitalize() + ".</p>\n<p>"
        + " ".join(words[half:]).capitalize() + " <em>thank you</em> all.</p>"
    )
    return {
        "id": 1000 + i,
        "author": f"member_{rng.randrange(1, 500)}",
        "display": rng.choice(["June B.", "Rosa", "Dan", "Priya K.", "Helen & family"]),
        "created_at": now - timedelta(minutes=37 * (50 - i)),
        "body_html": body,  # ~400 characters, already safe HTML (like Post.body_html)
    }


def create_app() -> Flask:
    app = Flask(__name__, template_folder=str(HERE / "templates"))
    rng = random.Random(7)
    now = datetime.now(UTC)
    items = [_item(i, rng, now) for i in range(50)]
    app.config["ITEMS"] = items

    @app.get("/")
    def page():
        return render_template("ceiling.html", title="A thread about getting through treatment", items=items)

    @app.get("/items/<int:n>")
    def page_of(n: int):
        if n not in (25, 50):
            return "25 or 50", 404
        return render_template("ceiling.html", title="A thread about getting through treatment", items=items[:n])

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


app = create_app()
