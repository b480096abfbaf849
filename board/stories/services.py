"""Story business rules: writing, submitting, withdrawing, and the
state changes the moderators' queue asks for.

Services take the acting user, check rules and permissions, change state,
`flush()` and return. The view (or the moderation service) commits once.

Story states: draft → pending → published (or rejected, with the moderator's
reason) → withdrawn by the author at any time → resubmitted (pending again).
An edit of a published story waits in the `pending_*` columns; the public keeps
seeing the approved version until a moderator approves the edit.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import select

from board.domain import Conflict, RuleViolation
from board.extensions import db
from board.limits import STORY_BODY_MAX, STORY_TITLE_MAX
from board.markup import clean_line, clean_text, render_markdown
from board.media import services as media
from board.media.gallery import keep_gallery, text_part
from board.models import Story, StoryTheme, User, utcnow
from board.moderation import intake as moderation
from board.moderation.care import needs_crisis_notice
from board.notifications.services import notify
from board.permissions import PermissionDenied, can_edit_story, can_withdraw_story, require_can_post
from board.stories.catalog import PROMPTS, THEMES, ordered_themes
from board.stories.signatures import STYLE_PARTS, STYLES, normalize_initial, render_signature

DRAFT, PENDING, PUBLISHED, HIDDEN, REJECTED, REMOVED, WITHDRAWN = (
    "draft", "pending", "published", "hidden", "rejected", "removed", "withdrawn",
)
PUBLIC_EDIT_STATUSES = (PUBLISHED, HIDDEN)  # edits of these wait for approval
BODY_MIN, BODY_MAX = 50, STORY_BODY_MAX
TITLE_MAX = STORY_TITLE_MAX


@dataclass
class StoryInput:
    """What the author wrote and chose, as plain values (the view copies them from the form)."""

    body: str = ""
    title: str = ""
    themes: list[str] = field(default_factory=list)
    prompt: str = ""
    signature: str = "first"
    sig_first_name: str = ""
    sig_last_initial: str = ""
    city: str = ""
    region: str = ""
    consent: bool = False


@dataclass
class Submission:
    story: Story
    verdict: object | None = None  # moderation Verdict when the story was sent for review
    draft_crisis: bool = False     # a draft isn't reviewed, but its author still sees the crisis notice

    @property
    def crisis(self) -> bool:
        return self.draft_crisis or bool(getattr(self.verdict, "crisis", False))


def _draft_crisis(*texts: str) -> bool:
    """Crisis wording in a private draft: nobody reviews it, so at least show the author where to get help."""
    return needs_crisis_notice("\n\n".join(t for t in texts if t))


# ---------------------------------------------------------------- cleaning

def _clean_title(title: str | None) -> str:
    title = clean_line(title)
    if len(title) > TITLE_MAX:
        raise RuleViolation(f"Please keep the title to {TITLE_MAX} characters or fewer.", "title")
    return title


def _clean_body(body: str | None, *, draft: bool) -> str:
    body = clean_text(body).strip()
    if len(body) > BODY_MAX:
        raise RuleViolation(
            f"Your story is {len(body):,} characters long; the limit is {BODY_MAX:,}. Please shorten it a little.",
            "body",
        )
    if not draft and len(body) < BODY_MIN:
        raise RuleViolation(f"Please write at least {BODY_MIN} characters so readers can follow your story.", "body")
    return body


def _clean_themes(themes, *, draft: bool) -> list[str]:
    themes = list(themes or [])
    unknown = [t for t in themes if t not in THEMES]
    if unknown:
        raise RuleViolation("Please choose themes from the list.", "themes")
    themes = ordered_themes(themes)
    if not draft and not themes:
        raise RuleViolation("Please choose at least one theme.", "themes")
    return themes


def _clean_prompt(prompt: str | None) -> str:
    prompt = prompt or ""
    if prompt and prompt not in PROMPTS:
        raise RuleViolation("Please choose a question from the list.", "prompt")
    return prompt


def signature_values(author: User, data: StoryInput, *, draft: bool = False) -> dict:
    """The signature columns for this story: only the parts its style shows are kept."""
    style = data.signature if data.signature in STYLES else None
    if style is None:
        raise RuleViolation("Please choose how your story should be signed.", "signature")
    parts = {
        "first_name": clean_line(data.sig_first_name)[:60],
        "last_initial": normalize_initial(data.sig_last_initial),
        "city": clean_line(data.city)[:80],
        "region": clean_line(data.region)[:80],
    }
    if not draft:
        if "first_name" in STYLE_PARTS[style] and not parts["first_name"]:
            raise RuleViolation("Please give the first name to sign with, or choose another way to sign.", "sig_first_name")
        if "last_initial" in STYLE_PARTS[style] and not parts["last_initial"]:
            raise RuleViolation("Please give your last initial, or choose another way to sign.", "sig_last_initial")
        if style == "full" and not (parts["city"] or parts["region"]):
            raise RuleViolation("Please give your town or state, or choose another way to sign.", "city")
    # Drafts keep every part typed so far (only the author sees them); a submitted
    # story stores only what its signature shows.
    kept = parts if draft else {k: (v if k in STYLE_PARTS[style] else "") for k, v in parts.items()}
    return {
        "signature_style": style,
        "sig_first_name": kept["first_name"],
        "sig_last_initial": kept["last_initial"],
        "sig_city": kept["city"],
        "sig_region": kept["region"],
        "signature": render_signature(
            style, parts["first_name"], parts["last_initial"], parts["city"], parts["region"],
            author.public_name if author is not None else "",
        ),
    }


def _apply_signature(story: Story, values: dict) -> None:
    for key, value in values.items():
        setattr(story, key, value)


def _set_themes(story: Story, themes: list[str]) -> None:
    current = {t.theme: t for t in story.themes}
    story.themes = [current.get(slug) or StoryTheme(theme=slug) for slug in themes]


def prefill(author: User) -> StoryInput:
    """Defaults for a new story: town from the profile, name parts from the author's last story."""
    last = db.session.scalar(
        select(Story).where(Story.author_id == author.id, Story.sig_first_name != "")
        .order_by(Story.created_at.desc(), Story.id.desc()).limit(1)
    )
    return StoryInput(
        sig_first_name=last.sig_first_name if last else "",
        sig_last_initial=last.sig_last_initial if last else "",
        city=author.city or "",
        region=author.region or "",
        signature=last.signature_style if last else "first",
    )


def form_values(story: Story) -> StoryInput:
    """What the edit form shows: the author's latest words (a pending edit if there is one)."""
    pending_sig = story.pending_signature or {}
    return StoryInput(
        title=story.pending_title if story.pending_title is not None else story.title,
        body=story.pending_body_source if story.pending_body_source is not None else story.body_source,
        themes=list(story.theme_slugs),
        prompt=story.prompt,
        signature=pending_sig.get("signature_style", story.signature_style),
        sig_first_name=pending_sig.get("sig_first_name", story.sig_first_name),
        sig_last_initial=pending_sig.get("sig_last_initial", story.sig_last_initial),
        city=pending_sig.get("sig_city", story.sig_city),
        region=pending_sig.get("sig_region", story.sig_region),
        consent=False,  # asked again for every submission
    )


# ---------------------------------------------------------------- writing

def _screen(author: User, story_text: str, story: Story | None):
    verdict = moderation.screen(author, story_text, "story", {"story": story})
    if verdict.action == "block":
        raise RuleViolation(verdict.message or "Your story contains wording that isn't allowed here.", "body")
    # Every story is reviewed, whatever the automatic rules say.
    if verdict.action != "review":
        verdict = replace(verdict, action="review")
    return verdict


def _screen_text(title: str, body: str, signature: str) -> str:
    return "\n\n".join(p for p in (title, body, signature) if p)


def _require_consent(data: StoryInput, *, draft: bool) -> None:
    if not draft and not data.consent:
        raise RuleViolation("Please tick the box to agree to your story being published.", "consent")


def _send_for_review(author: User, story: Story, verdict, consent: bool) -> None:
    if not consent:
        raise RuleViolation("Please tick the box to agree to your story being published.", "consent")
    now = utcnow()
    story.status = PENDING
    story.consent_at = now
    story.submitted_at = now
    story.moderator_note = ""
    story.withdrawn_at = None
    story.pending_edit_returned = False
    db.session.flush()
    moderation.after_write(author=author, verdict=verdict, target=story)


def create_story(author: User, data: StoryInput, *, draft: bool = False, images=()) -> Submission:
    """A new story: saved as a draft, or sent to the moderators (never public before review).
    `images`: accepted pictures (board.media.services.collect), shown only once the story is."""
    require_can_post(author)
    title = _clean_title(data.title)
    body = _clean_body(data.body, draft=draft)
    if draft and not body and not title:
        raise RuleViolation("Please write something before saving a draft.", "body")
    themes = _clean_themes(data.themes, draft=draft)
    prompt = _clean_prompt(data.prompt)
    sig = signature_values(author, data, draft=draft)
    _require_consent(data, draft=draft)
    verdict = None if draft else _screen(author, _screen_text(title, body, sig["signature"]), None)
    now = utcnow()
    story = Story(
        author=author, title=title, body_source=body, body_html=render_markdown(body), prompt=prompt,
        status=DRAFT, created_at=now, updated_at=now,
    )
    _apply_signature(story, sig)
    _set_themes(story, themes)
    db.session.add(story)
    db.session.flush()
    media.attach(author, list(images), "story", story.id)
    if not draft:
        _send_for_review(author, story, verdict, data.consent)
    db.session.flush()
    return Submission(story, verdict, draft_crisis=draft and _draft_crisis(title, body))


def update_story(author: User, story: Story, data: StoryInput, *, draft: bool = False) -> Submission:
    """The author edits their story.

    Not public yet (draft, pending, rejected, withdrawn): the text is replaced and,
    unless saved as a draft, (re)sent for review. Published: themes and prompt
    change at once; a new title, text or signature waits for a moderator, and
    the approved version stays public meanwhile. Switching to anonymous is the
    exception: it is a privacy choice and applies at once.
    """
    if not can_edit_story(author, story):
        raise PermissionDenied("You can only edit your own stories.")
    require_can_post(author)
    public = story.status in PUBLIC_EDIT_STATUSES
    if draft and public:
        raise RuleViolation(
            "A published story can't go back to being a draft. Send your changes for review, "
            "or withdraw the story if you'd like it taken down.", None,
        )
    title = _clean_title(data.title)
    body = _clean_body(data.body, draft=draft)
    if draft and not body and not title:
        raise RuleViolation("Please write something before saving a draft.", "body")
    themes = _clean_themes(data.themes, draft=draft)
    prompt = _clean_prompt(data.prompt)
    sig = signature_values(author, data, draft=draft)

    if not public:
        _require_consent(data, draft=draft)
        verdict = None if draft else _screen(author, _screen_text(title, body, sig["signature"]), story)
        story.title = title
        story.body_source = body
        story.body_html = keep_gallery(story.body_html, render_markdown(body))  # its pictures stay
        story.pending_title = story.pending_body_source = story.pending_body_html = None
        story.pending_signature = None
        story.prompt = prompt
        _apply_signature(story, sig)
        _set_themes(story, themes)
        if draft:
            story.status = DRAFT
            story.updated_at = utcnow()
        else:
            _send_for_review(author, story, verdict, data.consent)
        db.session.flush()
        return Submission(story, verdict, draft_crisis=draft and _draft_crisis(title, body))

    # Published (or hidden by reports): themes and prompt at once, the rest waits.
    story.prompt = prompt
    _set_themes(story, themes)
    text_changed = title != story.title or body != story.body_source
    sig_changed = sig["signature"] != story.signature or sig["signature_style"] != story.signature_style
    if sig_changed and sig["signature_style"] == "anonymous":
        _apply_signature(story, sig)
        story.pending_signature = None
        story.updated_at = utcnow()  # feed readers pick up the anonymous signature
        sig_changed = False
    verdict = None
    if text_changed or sig_changed:
        verdict = _screen(author, _screen_text(title, body, sig["signature"]), story)
        if not data.consent:
            raise RuleViolation("Please tick the box to agree to your story being published.", "consent")
    if text_changed:
        story.pending_title = title
        story.pending_body_source = body
        story.pending_body_html = keep_gallery(story.body_html, render_markdown(body))
    else:
        story.pending_title = story.pending_body_source = story.pending_body_html = None
    story.pending_signature = sig if sig_changed else None
    if verdict is not None:
        now = utcnow()
        story.consent_at = now
        story.submitted_at = now
        story.pending_edit_returned = False
        story.moderator_note = ""
        db.session.flush()
        moderation.after_write(author=author, verdict=verdict, target=story)
    db.session.flush()
    return Submission(story, verdict)


def withdraw_story(author: User, story: Story) -> Story:
    """Take a story down at once, no moderator needed. The author can still read and resubmit it."""
    if story.author_id is None or author is None or story.author_id != getattr(author, "id", None):
        raise PermissionDenied("You can only withdraw your own stories.")
    if not can_withdraw_story(author, story):
        raise RuleViolation("This story isn't public or waiting for review, so there is nothing to withdraw.", None)
    story.status = WITHDRAWN
    story.withdrawn_at = utcnow()
    story.featured = False
    story.featured_at = None
    db.session.flush()
    return story


# ---------------------------------------------------------------- called by the moderators' queue

def _story_url(story: Story) -> str:
    return f"/stories/{story.id}"


def _label(story: Story) -> str:
    title = story.pending_title if story.pending_title is not None else story.title
    return f"“{title}”" if title else "your story"


def _apply_pending_edit(story: Story) -> bool:
    changed = False
    if story.pending_title is not None:
        story.title = story.pending_title
        changed = True
    if story.pending_body_source is not None:
        story.body_source = story.pending_body_source
        story.body_html = keep_gallery(story.body_html, text_part(story.pending_body_html or "")
                                       or render_markdown(story.pending_body_source))
        changed = True
    if story.pending_signature:
        _apply_signature(story, {k: v for k, v in story.pending_signature.items() if hasattr(Story, k)})
        changed = True
    story.pending_title = story.pending_body_source = story.pending_body_html = None
    story.pending_signature = None
    story.pending_edit_returned = False
    return changed


def _publish(story: Story) -> str:
    """Make the story (or its pending edit) public; 'new' or 'edit'. No notification."""
    now = utcnow()
    if story.status == PENDING:
        _apply_pending_edit(story)
        story.status = PUBLISHED
        story.published_at = now
        story.updated_at = now
        story.moderator_note = ""
        db.session.flush()
        return "new"
    if story.status in PUBLIC_EDIT_STATUSES and story.has_pending_edit:
        _apply_pending_edit(story)
        story.updated_at = now
        story.moderator_note = ""
        db.session.flush()
        return "edit"
    if story.status == WITHDRAWN:
        raise Conflict("The author withdrew this story, so it can't be published.")
    raise Conflict("This story isn't waiting for review any more.")


def publish_story(story: Story, moderator: User | None) -> Story:
    """Approve: a pending story goes public, or a published story's pending edit goes live."""
    label = _label(story)
    if _publish(story) == "new":
        notify(story.author, "story_published", f"Your story {_label(story)} is now published. Thank you for sharing it.",
               url=_story_url(story), actor=moderator)
    else:
        notify(story.author, "story_edit_published", f"Your changes to {label} are now live.",
               url=_story_url(story), actor=moderator)
    db.session.flush()
    return story


def reject_story(story: Story, moderator: User | None, reason: str) -> Story:
    """Return a story (or a published story's edit) to its author with a reason. Nothing is deleted."""
    reason = clean_text(reason).strip()
    if not reason:
        raise RuleViolation("Please tell the author why, so they can change it.", "reason")
    if story.status == PENDING:
        label = _label(story)
        story.status = REJECTED
        story.moderator_note = reason
        db.session.flush()
        notify(story.author, "story_returned",
               f"A moderator returned {label}: {reason} You can edit it and send it again from My stories.",
               url="/stories/mine", actor=moderator)
    elif story.status in PUBLIC_EDIT_STATUSES and story.has_pending_edit:
        story.pending_edit_returned = True
        story.moderator_note = reason
        db.session.flush()
        notify(story.author, "story_edit_returned",
               f"A moderator returned your changes to {_label(story)}: {reason} The earlier version is still published.",
               url="/stories/mine", actor=moderator)
    elif story.status == WITHDRAWN:
        raise Conflict("The author withdrew this story.")
    else:
        raise Conflict("This story isn't waiting for review any more.")
    db.session.flush()
    return story


def edit_and_publish_story(story: Story, moderator: User | None, title: str, body: str) -> Story:
    """A moderator makes small fixes (a surname, a phone number) and publishes in one step."""
    if story.status not in (PENDING, *PUBLIC_EDIT_STATUSES):
        raise Conflict("This story isn't waiting for review any more.")
    if story.status in PUBLIC_EDIT_STATUSES and not story.has_pending_edit:
        raise Conflict("This story has no changes waiting for review.")
    title = _clean_title(title)
    body = _clean_body(body, draft=False)
    story.pending_title = title
    story.pending_body_source = body
    story.pending_body_html = keep_gallery(story.body_html, render_markdown(body))
    kind = _publish(story)
    notify(story.author, "story_published" if kind == "new" else "story_edit_published",
           f"Your story {_label(story)} is now published. A moderator made small edits before publishing it.",
           url=_story_url(story), actor=moderator)
    db.session.flush()
    return story


def remove_story(story: Story, moderator: User | None, reason: str = "") -> Story:
    """Take a story off the site. The author can still read their words.

    The moderation service that calls this tells the author (with its note), so
    this function sends no notification of its own.
    """
    if story.status == REMOVED:
        raise Conflict("This story has already been removed.")
    story.status = REMOVED
    story.featured = False
    story.featured_at = None
    if reason:
        story.moderator_note = clean_text(reason).strip()
    db.session.flush()
    return story


def return_story_to_pending(story: Story, status: str = PENDING) -> Story:
    """Undo a moderator's decision: the story (or its returned edit) waits for review again.

    `status` lets an undo put a story back exactly as it was before (e.g. `published`
    after undoing the removal of a reported story); by default it waits for review.
    """
    if story.status == WITHDRAWN:
        raise Conflict("The author withdrew this story; it stays withdrawn.")
    if status not in (PENDING, PUBLISHED, HIDDEN):
        raise ValueError(f"cannot return a story to {status!r}")
    if story.status in PUBLIC_EDIT_STATUSES and story.pending_edit_returned:
        story.pending_edit_returned = False
    else:
        story.status = status
        if status == PUBLISHED and story.published_at is None:
            story.published_at = utcnow()
        if status != PUBLISHED:
            story.featured = False
            story.featured_at = None
    story.moderator_note = ""
    db.session.flush()
    return story


def set_featured(story: Story, moderator: User | None, featured: bool = True) -> Story:
    """Feature (or unfeature) a published story: featured stories come first and show on the home page."""
    if featured and story.status != PUBLISHED:
        raise Conflict("Only published stories can be featured.")
    story.featured = bool(featured)
    story.featured_at = utcnow() if featured else None
    db.session.flush()
    return story
