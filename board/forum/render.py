"""The posts of one thread page as HTML, built in Python.

This is the hottest loop of the site (25–50 posts a page, for every reader), and
a Jinja include with macros and helper calls per post cost about a third of the
thread page's CPU time. Same markup as before, written with f-strings; every
value that comes from a member is escaped here (`escape`), except `body_html`,
which is the sanitizer's stored output (board/markup.py). Tests read the page
as members and visitors see it, so this markup is covered like any template.
"""
from __future__ import annotations

import secrets

from flask import current_app
from markupsafe import Markup, escape

from board.gestures.render import PostGestures, reaction_counts
from board.gestures.services import NO_GESTURES
from board.media.avatars import avatar_html
from board.models.forum import DELETED, PUBLISHED, REMOVED
from board.permissions import can_delete_post, can_edit_post, posting_block_reason
from board.templating import csrf_token, time_tag, user_link
from board.visibility import audience_reads_text, post_text_visible

_PLACEHOLDER = {
    DELETED: "This post was removed by its author.",
    REMOVED: "This post was removed by a moderator.",
}


def render_posts(posts, *, viewer, thread, can_quote: bool, muted_ids=frozenset(), root: str = "",
                 gestures=NO_GESTURES, here: str = "") -> Markup:
    """The posts of one page for one viewer, rendered from scratch (the uncached way).

    `gestures` is the viewer's own part (their reactions, bookmarks); the counts come with
    each post. `here` is the page's path, where reaction and bookmark forms come back to.
    Same HTML as `assemble(shared_posts(...), ...)` for a viewer the shared part fits.
    """
    if not posts:
        return Markup(NO_POSTS)
    tails = ViewerTails(viewer, thread=thread, can_quote=can_quote, root=root, gestures=gestures, here=here)
    page_ids = {p.id for p in posts}
    links: dict[int, Markup] = {}
    out: list[str] = []
    add = out.append
    for post in posts:
        muted = bool(muted_ids) and post.author_id in muted_ids and post.status not in _GONE
        if muted:
            add(_MUTED_OPEN)
        add(post_head(post, text_visible=post_text_visible(viewer, post), own=tails.member and tails.viewer_id == post.author_id,
                      root=root, page_ids=page_ids, links=links))
        add(tails.tail(PostStub.of(post)))
        if muted:
            add(_MUTED_CLOSE)
    return Markup("".join(out))


NO_POSTS = "  <p>There are no posts to show here.</p>\n"
_GONE = (DELETED, REMOVED)
_MUTED_OPEN = '<details class="muted-post"><summary>Post from a member you muted</summary>'
_MUTED_CLOSE = "</details>\n"


def post_head(post, *, text_visible: bool, own: bool, root: str, page_ids, links: dict) -> str:
    """A post's part that is the same for every reader of one audience: from `<article>` to the
    end of its body (author, times, status notes, "in reply to", the words).

    `own`: the reader wrote it (only then is a returned post's moderator note shown; the
    shared part never holds a reader's own returned posts). `links` memoizes author links
    per page. Every value from a member is escaped here, except `body_html` (the sanitizer's
    stored output, board/markup.py).
    """
    status = post.status
    gone = status in _GONE
    pid = post.id
    extra = "" if status == PUBLISHED else f" post-{status}"
    out = [f'<article class="post{extra}" id="post-{pid}" aria-labelledby="post-{pid}-meta">\n'
           f'  <header class="post-meta" id="post-{pid}-meta">\n']
    add = out.append
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
    elif status == "rejected" and own:
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
    if text_visible:
        add(f'    <div class="post-body">{post.body_html}</div>\n')
    return "".join(out)


class PostStub:
    """What a post's per-viewer part needs to know about it (kept with the shared part)."""

    __slots__ = ("id", "author_id", "status", "reaction_counts", "author_name")

    def __init__(self, id, author_id, status, reaction_counts, author_name):
        self.id, self.author_id, self.status = id, author_id, status
        self.reaction_counts, self.author_name = tuple(reaction_counts), author_name

    @classmethod
    def of(cls, post) -> "PostStub":
        author = post.author
        name = str(escape(author.public_name)) if author is not None else "a former member"
        return cls(post.id, post.author_id, post.status, post.reaction_counts, name)


class _OwnPost:
    """A stub seen by the permission rules (which read `thread.locked`)."""

    __slots__ = ("id", "author_id", "status", "thread")

    def __init__(self, stub: PostStub, thread):
        self.id, self.author_id, self.status, self.thread = stub.id, stub.author_id, stub.status, thread


class ViewerTails:
    """The per-viewer end of each post on one page: the reaction bar (or the counts), the
    Reply / Bookmark / Edit / Delete / Report actions and `</article>`. Nothing here is
    shared between viewers: it carries this session's CSRF token and this member's state."""

    def __init__(self, viewer, *, thread, can_quote: bool, root: str, gestures, here: str, token=None):
        self.member = member = bool(getattr(viewer, "is_authenticated", False))
        self.viewer, self.thread, self.can_quote, self.root, self.gestures = viewer, thread, can_quote, root, gestures
        self.viewer_id = viewer.id if member else None
        self.can_report = member and "moderation.report_post" in current_app.view_functions
        if token is None:
            token = escape(csrf_token()) if member else ""
        self.token = token
        # Silenced or unverified members see the counts but no buttons (the same rule as posting)
        self.can_react = member and posting_block_reason(viewer, on_form=False) is None
        self.bars = PostGestures(root=root, token=token, next_url=here) if member else None

    def tail(self, post: PostStub) -> str:
        status, pid, root = post.status, post.id, self.root
        gone = status in _GONE
        own = self.member and post.author_id == self.viewer_id
        out = []
        add = out.append
        if status == PUBLISHED:
            counts = post.reaction_counts
            if self.can_react and not own:
                add(self.bars.reaction_form(pid, counts, self.gestures.reactions_on(pid)))
            elif any(counts):
                add(reaction_counts(counts, who_url=f"{root}/posts/{pid}/reactions" if self.member else None))
        if self.member and not gone:
            add('  <footer class="post-actions">\n')
            if self.can_quote and status == PUBLISHED:
                add(f'    <a class="reply-button" href="{root}/threads/{self.thread.id}/reply?to={pid}"'
                    f' data-reply-to="{pid}" data-author="{post.author_name}">Reply<span class="visually-hidden">'
                    f' to this post</span></a>\n')
            if status == PUBLISHED:
                add(self.bars.bookmark(pid, pid in self.gestures.bookmarked))
            if own:
                ref = _OwnPost(post, self.thread)
                if can_edit_post(self.viewer, ref):
                    add(f'    <a href="{root}/posts/{pid}/edit">Edit<span class="visually-hidden"> your post</span></a>\n')
                if can_delete_post(self.viewer, ref):
                    add(f'  <form method="post" action="{root}/posts/{pid}/delete" class="inline-form">\n'
                        f'    <input type="hidden" name="csrf_token" value="{self.token}">\n'
                        f'    <button type="submit" class="link-button" data-confirm="Delete this post? Replies to it '
                        f'will stay.">Delete</button>\n  </form>\n')
            if self.can_report and not own and status == PUBLISHED:
                add(f'    <a href="{root}/posts/{pid}/report">Report<span class="visually-hidden"> this post</span></a>\n')
            add("  </footer>\n")
        add("</article>\n")
        return "".join(out)


class SharedPosts:
    """The shared part of one thread page for one audience: each post's head (HTML) and stub.

    Holds no viewer's data, so it can be kept for everyone of that audience (board/forum/shared_parts.py).
    """

    __slots__ = ("heads", "stubs", "has_prev", "has_next")

    def __init__(self, heads, stubs, has_prev: bool, has_next: bool):
        self.heads, self.stubs, self.has_prev, self.has_next = tuple(heads), tuple(stubs), has_prev, has_next

    @classmethod
    def build(cls, page, audience: str, root: str) -> "SharedPosts":
        page_ids = {p.id for p in page.posts}
        links: dict[int, Markup] = {}
        heads = [post_head(p, text_visible=audience_reads_text(audience, p.status), own=False, root=root,
                           page_ids=page_ids, links=links) for p in page.posts]
        return cls(heads, [PostStub.of(p) for p in page.posts], page.has_prev, page.has_next)

    # The thread page's template reads these like a PostPage
    @property
    def posts(self):
        return self.stubs

    @property
    def first_id(self):
        return self.stubs[0].id if self.stubs else None

    @property
    def last_id(self):
        return self.stubs[-1].id if self.stubs else None

    def to_json(self) -> list:
        return [list(self.heads), [[s.id, s.author_id, s.status, list(s.reaction_counts), s.author_name]
                                   for s in self.stubs], self.has_prev, self.has_next]

    @classmethod
    def from_json(cls, data) -> "SharedPosts":
        heads, stubs, has_prev, has_next = data
        return cls(heads, [PostStub(*s) for s in stubs], bool(has_prev), bool(has_next))


def assemble(shared: SharedPosts, *, viewer, thread, can_quote: bool, muted_ids=frozenset(), root: str = "",
             gestures=NO_GESTURES, here: str = "", keep=None) -> Markup:
    """The shared heads with this viewer's tails, by string assembly (no template, no query).

    `keep(key, build)`: where a *plain* page can be kept (board/forum/shared_parts.py). A member
    who wrote none of the page's posts, pressed no reaction and bookmarked none of them, and
    muted none of their authors sees the same tails as every such member with the same
    buttons, except the CSRF token: that page is kept once, split at the token, and joined
    with hers (most members' views of most pages)."""
    if not shared.stubs:
        return Markup(NO_POSTS)
    tails = ViewerTails(viewer, thread=thread, can_quote=can_quote, root=root, gestures=gestures, here=here)
    if keep is not None and tails.member and not gestures.reacted and not gestures.bookmarked \
            and not any(stub.author_id == tails.viewer_id or stub.author_id in muted_ids for stub in shared.stubs):
        def build():
            marked = ViewerTails(viewer, thread=thread, can_quote=can_quote, root=root, gestures=NO_GESTURES,
                                 here=here, token=_TOKEN_MARK)
            return tuple(_join(shared, marked.tail, frozenset()).split(_TOKEN_MARK))

        segments = keep(("plain", tails.can_react, can_quote, tails.can_report, here), build)
        html = str(tails.token).join(segments)
        if current_app.config.get("BOARD_SHELL_VERIFY"):
            expected = _join(shared, tails.tail, muted_ids)
            if html != expected:
                raise AssertionError("a plain page's kept tails differ from this viewer's own")
        return Markup(html)
    return Markup(_join(shared, tails.tail, muted_ids))


# Where the token goes in a kept plain page: NUL bytes and a per-process nonce, which no name can hold
_TOKEN_MARK = f"\x00{secrets.token_hex(8)}\x00"


def _join(shared: SharedPosts, tail, muted_ids) -> str:
    out: list[str] = []
    add = out.append
    for head, stub in zip(shared.heads, shared.stubs):
        if muted_ids and stub.author_id in muted_ids and stub.status not in _GONE:
            add(_MUTED_OPEN)
            add(head)
            add(tail(stub))
            add(_MUTED_CLOSE)
        else:
            add(head)
            add(tail(stub))
    return "".join(out)
