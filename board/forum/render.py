"""The posts of one thread page as HTML, built in Python.

This is the hottest loop of the site (25–50 posts a page, for every reader), and
a Jinja include with macros and helper calls per post cost about a third of the
thread page's CPU time. Same markup as before, written with f-strings; every
value that comes from a member is escaped here (`escape`), except `body_html`,
which is the sanitizer's stored output (board/markup.py). Tests read the page
as members and visitors see it, so this markup is covered like any template.
"""
from __future__ import annotations

from flask import current_app
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from board.gestures.render import PostGestures, reaction_counts
from board.gestures.services import NO_GESTURES
from board.media.avatars import avatar_html
from board.models.forum import DELETED, PUBLISHED, REMOVED
from board.permissions import can_delete_post, can_edit_post, posting_block_reason
from board.templating import time_tag, user_link
from board.visibility import post_text_visible

_PLACEHOLDER = {
    DELETED: "This post was removed by its author.",
    REMOVED: "This post was removed by a moderator.",
}


def render_posts(posts, *, viewer, thread, can_quote: bool, muted_ids=frozenset(), root: str = "",
                 gestures=NO_GESTURES, here: str = "") -> Markup:
    """`gestures` is the viewer's own part (their reactions, bookmarks); the counts come with
    each post. `here` is the page's path, where reaction and bookmark forms come back to."""
    if not posts:
        return Markup("  <p>There are no posts to show here.</p>\n")
    member = bool(getattr(viewer, "is_authenticated", False))
    viewer_id = viewer.id if member else None
    can_report = member and "moderation.report_post" in current_app.view_functions
    token = escape(generate_csrf()) if member else ""
    # Silenced or unverified members see the counts but no buttons (the same rule as posting)
    can_react = member and posting_block_reason(viewer, on_form=False) is None
    page_ids = {p.id for p in posts}
    bars = PostGestures(root=root, token=token, next_url=here) if member else None
    out: list[str] = []
    add = out.append
    links: dict[int, Markup] = {}  # an author's link, built once per page
    names: dict[int, str] = {}  # an author's escaped public name ("Reply": data-author), once per page
    for post in posts:
        status = post.status
        gone = status in (DELETED, REMOVED)
        muted = bool(muted_ids) and post.author_id in muted_ids and not gone
        pid = post.id
        if muted:
            add('<details class="muted-post"><summary>Post from a member you muted</summary>')
        extra = "" if status == PUBLISHED else f" post-{status}"
        add(f'<article class="post{extra}" id="post-{pid}" aria-labelledby="post-{pid}-meta">\n'
            f'  <header class="post-meta" id="post-{pid}-meta">\n')
        if gone:
            add(f'      <span class="placeholder">{_PLACEHOLDER[status]}</span>\n')
        else:
            author = post.author
            link = links.get(post.author_id)
            if link is None:
                link = links[post.author_id] = user_link(author, root=root)
            add(f"      {avatar_html(author, 32, root)}{link}\n")
            if author is not None and author.identity_label and author.identity:
                add(f'      <span class="identity">· {escape(author.identity_label)}</span>\n')
            add(f'      · <a href="{root}/posts/{pid}" class="permalink">{time_tag(post.created_at)}</a>\n')
            if post.edited_at:
                add(f'      · <a class="edited" href="{root}/posts/{pid}/history">edited {time_tag(post.edited_at)}</a>\n')
        add("  </header>\n")
        if status == "pending":
            add('  <p class="awaiting-review">Awaiting review — a moderator will look at it soon.</p>\n')
        elif status == "rejected":
            note = f": {escape(post.moderator_note)}" if post.moderator_note else ""
            add(f'  <p class="awaiting-review">A moderator returned this post to you{note}. Only you can see it. '
                f'You can edit it and send it again.</p>\n')
        elif status == "hidden":
            add('  <p class="placeholder">Hidden while moderators review it.</p>\n')
        if post.reply_to_id is not None and not gone:
            gone_to = post.reply_to_status in (DELETED, REMOVED, None)
            name = "an earlier post" if gone_to else f"{escape(post.reply_to_name)}"
            href = f"#post-{post.reply_to_id}" if post.reply_to_id in page_ids else f"{root}/posts/{post.reply_to_id}"
            add(f'  <p class="in-reply-to"><a href="{href}">in reply to {name}</a></p>\n')
        if post_text_visible(viewer, post):
            add(f'    <div class="post-body">{post.body_html}</div>\n')
        if status == PUBLISHED:
            counts = post.reaction_counts
            if can_react and post.author_id != viewer_id:
                add(bars.reaction_form(pid, counts, gestures.reactions_on(pid)))
            elif any(counts):
                add(reaction_counts(counts, who_url=f"{root}/posts/{pid}/reactions" if member else None))
        if member and not gone:
            add('  <footer class="post-actions">\n')
            if can_quote and status == PUBLISHED:
                name = names.get(post.author_id)
                if name is None:
                    name = names[post.author_id] = escape(post.author.public_name) if post.author else "a former member"
                add(f'    <a class="reply-button" href="{root}/threads/{thread.id}/reply?to={pid}" data-reply-to="{pid}"'
                    f' data-author="{name}">Reply<span class="visually-hidden"> to this post</span></a>\n')
            if status == PUBLISHED:
                add(bars.bookmark(pid, pid in gestures.bookmarked))
            if can_edit_post(viewer, post):
                add(f'    <a href="{root}/posts/{pid}/edit">Edit<span class="visually-hidden"> your post</span></a>\n')
            if can_delete_post(viewer, post):
                add(f'  <form method="post" action="{root}/posts/{pid}/delete" class="inline-form">\n'
                    f'    <input type="hidden" name="csrf_token" value="{token}">\n'
                    f'    <button type="submit" class="link-button" data-confirm="Delete this post? Replies to it '
                    f'will stay.">Delete</button>\n  </form>\n')
            if can_report and post.author_id != viewer_id and status == PUBLISHED:
                add(f'    <a href="{root}/posts/{pid}/report">Report<span class="visually-hidden"> this post</span></a>\n')
            add("  </footer>\n")
        add("</article>\n")
        if muted:
            add("</details>\n")
    return Markup("".join(out))
