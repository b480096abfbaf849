"""Helpers for the search tests: stories straight through the ORM, status changes, result ids."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from board.extensions import db


class SearchKit:
    def __init__(self, app):
        self.app = app

    def story(self, author, *, body, title="", status="published", style="first", signature="Mary",
              themes=(), published_at=None, created_at=None):
        """A Story row made directly (the stories service is built in parallel)."""
        from board.markup import render_markdown
        from board.models import Story, StoryTheme

        with self.app.app_context():
            now = datetime.now(UTC)
            story = Story(
                author_id=author.id, title=title, body_source=body, body_html=render_markdown(body),
                status=status, signature_style=style, signature=signature,
                created_at=created_at or now, updated_at=now,
                published_at=published_at or ((created_at or now) if status == "published" else None),
            )
            story.themes = [StoryTheme(theme=t) for t in themes]
            db.session.add(story)
            db.session.commit()
            return story.id

    def set_post_status(self, post_id, status):
        from board.forum.services import set_post_status
        from board.models import Post

        with self.app.app_context():
            set_post_status(db.session.get(Post, post_id), status)
            db.session.commit()

    def set_story(self, story_id, **values):
        from board.models import Story

        with self.app.app_context():
            story = db.session.get(Story, story_id)
            for key, value in values.items():
                setattr(story, key, value)
            db.session.commit()

    def backdate(self, *, thread=None, post=None, story=None, days: float):
        """Move something `days` into the past (threads: the thread and its opening post)."""
        from board.models import Post, Story, Thread

        when = datetime.now(UTC) - timedelta(days=days)
        with self.app.app_context():
            if thread is not None:
                t = db.session.get(Thread, thread)
                t.created_at = when
                db.session.get(Post, t.first_post_id).created_at = when
            if post is not None:
                db.session.get(Post, post).created_at = when
            if story is not None:
                s = db.session.get(Story, story)
                s.published_at = s.created_at = when
            db.session.commit()

    def run(self, q, viewer=None, cursor=None, **filters):
        """Engine-level search: [(kind, id), …] of one page, plus the Results."""
        from board import search
        from board.models import Topic, User
        from sqlalchemy import select

        with self.app.app_context():
            user = db.session.get(User, viewer.id) if viewer is not None else None
            if "topic" in filters and filters["topic"] is not None:
                filters["topic"] = db.session.scalar(select(Topic).where(Topic.slug == filters["topic"]))
            results = search.search(user, search.parse_query(q), search.Filters(**filters), cursor)
            return [(h.kind, h.item.id) for h in results.hits], results

    def ids(self, q, viewer=None, **filters):
        return self.run(q, viewer, **filters)[0]


@pytest.fixture
def kit(app):
    return SearchKit(app)


_RESULT_LINK = re.compile(r'<h2>(?:<a href="/(threads|posts|stories)/(\d+)[^"]*">)?')


def result_ids(html: str) -> list[tuple[str, int]]:
    """(kind, id) of each result on a results page, in order."""
    kinds = {"threads": "thread", "posts": "post", "stories": "story"}
    block = html.split('<ol class="search-results">', 1)
    if len(block) == 1:
        return []
    block = block[1].split("</ol>", 1)[0]
    return [(kinds[k], int(i)) for k, i in _RESULT_LINK.findall(block) if k]
