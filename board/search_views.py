"""GET /search: full-text search. Read-only; the engine details live in board.search."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from board import search as engine
from board.extensions import limiter
from board.forum.queries import BadCursor

bp = Blueprint("search", __name__)

KIND_LABELS = {"all": "Everything", "threads": "Thread titles", "posts": "Posts", "stories": "Stories"}
WHEN_LABELS = {"any": "Any time", "week": "Past week", "month": "Past month", "year": "Past year"}
SORT_LABELS = {"relevance": "Best match", "newest": "Newest first"}


def _choice(name: str, choices, default: str) -> str:
    value = request.args.get(name, default)
    return value if value in choices else default


@bp.get("/search")
@limiter.limit("120 per minute")
def search():
    query = engine.parse_query(request.args.get("q", ""))
    topics = engine.search_topics(current_user)
    by_slug = {t.slug: t for t in topics}
    filters = engine.Filters(
        kind=_choice("kind", engine.KINDS, "all"),
        topic=by_slug.get(request.args.get("topic", "")),  # unknown or not visible: any topic
        when=_choice("when", engine.WHEN, "any"),
        sort=_choice("sort", engine.SORTS, "relevance"),
    )
    results = None
    if not query.is_empty:
        try:
            results = engine.search(current_user, query, filters, request.args.get("after") or None)
        except BadCursor:  # a mangled "next page" link: start again from the first page
            results = engine.search(current_user, query, filters)

    def page_url(**changes) -> str:
        args = {"q": query.text, "kind": filters.kind, "topic": filters.topic.slug if filters.topic else "",
                "when": filters.when, "sort": filters.sort}
        args.update(changes)
        return url_for(".search", **{k: v for k, v in args.items() if v and v not in ("all", "any", "relevance")})

    return render_template(
        "search/search.html", query=query, filters=filters, results=results, topics=topics,
        kind_labels=KIND_LABELS, when_labels=WHEN_LABELS, sort_labels=SORT_LABELS,
        next_url=page_url(after=results.next_cursor) if results and results.next_cursor else None,
        first_url=page_url() if request.args.get("after") else None,
        newest_url=page_url(sort="newest"),
        noindex=True,
    )
