"""Demo content for `flask --app board seed --demo`: a few members, a moderator and
conversations written for Circle. Idempotent: does nothing once the demo members exist.

Everything here is invented for this site. Medical remarks stay general; the site's
disclaimer applies ("not medical advice; talk with your care team").
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from board.extensions import db
from board.models import MailMessage, Post, Thread, Topic, User, utcnow

DEMO_DOMAIN = "demo.circle.invalid"

MEMBERS = [
    # username, display name, identity, city, region, bio
    ("june_b", "June B.", "living", "Oregon", "WI",
     "Diagnosed de novo at 52. Gardener, grandmother, slow walker, fast talker."),
    ("rosa_m", "Rosa", "living", "Tucson", "AZ",
     "Living with bone mets since 2021. I knit through every infusion."),
    ("dan_caregiver", "Dan", "caregiver", "Leeds", "",
     "My wife has MBC. I'm learning as I go and I'm grateful for this place."),
    ("priya_k", "Priya K.", "living", "Columbus", "OH",
     "HER2-positive, two kids, one very patient dog."),
    ("helen_w", "Helen", "family", "Portland", "ME",
     "My sister is living with MBC. I'm here to understand how to help."),
]
MODERATOR = ("circle_mod", "Sam (moderator)")

# topic slug, title, author, opening post, [(author, reply), ...]
THREADS = [
    ("newly-diagnosed", "Just told it has spread. How did you get through the first month?", "priya_k",
     "I had my results on Tuesday and I still can't quite believe them. My oncologist was kind and explained "
     "the plan, but I came home and couldn't remember half of it.\n\nHow did you get through the first few weeks? "
     "What do you wish someone had told you?",
     [("june_b", "The first month was the hardest for me too. Two things helped: I brought a friend to every "
                 "appointment to take notes, and I kept one notebook for all my questions. Be gentle with yourself."),
      ("rosa_m", "Ask your team if there is a nurse navigator. Mine answered so many small questions I felt silly "
                 "asking the doctor. And it's fine to take a break from reading about it online."),
      ("priya_k", "Thank you both. The notebook idea is going on my list for tomorrow.")]),
    ("bone-metastases", "Staying active with bone mets: what do you do?", "rosa_m",
     "My care team encouraged me to keep moving, within limits they set for my spine. I've been doing short "
     "walks and gentle stretching.\n\nWhat kind of activity works for you? Did a physiotherapist help you plan it?",
     [("june_b", "A physical therapist who knew about my mets made all the difference. She showed me which "
                 "movements to avoid and I felt much less afraid to move."),
      ("helen_w", "My sister swims now, slowly. She says the water takes the weight off her hips.")]),
    ("side-effects-and-symptom-relief", "Fatigue that sleep doesn't fix", "june_b",
     "Does anyone else have the kind of tiredness that a night's sleep doesn't touch? I've told my team and "
     "they're checking a few things.\n\nMeanwhile I'd love to hear small things that help you get through a day.",
     [("rosa_m", "Pacing. I plan one \"big\" thing a day and I let the rest go. Short naps before 3pm help me."),
      ("priya_k", "I keep a simple energy diary to show my nurse. It helped us spot that my worst days follow "
                  "treatment days, so we plan around them now."),
      ("dan_caregiver", "From the caregiver side: my wife finds it easier when I take the decisions off her "
                        "plate on low days, like what's for dinner. Small, but it helps.")]),
    ("caregivers-and-family", "How do you look after yourself as a caregiver?", "dan_caregiver",
     "I've been so focused on appointments and medicines that I've stopped seeing friends. I don't want to "
     "complain when she's the one who is ill, but I'm running on empty.\n\nOther caregivers: what helps you?",
     [("helen_w", "It isn't complaining. I joined a caregivers' group at the hospital and it helped to talk to "
                  "people who understand. One evening a week is mine, no matter what."),
      ("june_b", "Speaking as the one with MBC: I *want* my husband to see his friends. Ask her — she may "
                 "feel the same.")]),
    ("clinical-trials", "Questions to ask before joining a trial", "priya_k",
     "My oncologist mentioned a trial that might suit me. I'm interested but nervous.\n\nWhat questions did you "
     "ask before deciding? I've started a list:\n\n- How often are the visits, and where?\n- What costs are "
     "covered?\n- What happens if I want to stop?",
     [("rosa_m", "Good list. I also asked who to call out of hours and whether I could keep my usual oncologist "
                 "involved."),
      ("june_b", "Ask for the consent form to take home. Reading it slowly, with a cup of tea, helped me a lot.")]),
    ("living-with-mbc", "Telling people at work", "june_b",
     "I'm going back to work part-time. I haven't decided how much to tell my colleagues.\n\nHow did you "
     "handle it?",
     [("priya_k", "I told my manager and one friend, and asked my manager to share a short, agreed message "
                  "with the team. It saved me repeating it."),
      ("helen_w", "My sister wrote a short email so she didn't have to answer the same questions in the "
                  "corridor. People were kinder than she expected.")]),
    ("hormonal-therapy", "Joint aches on hormonal therapy", "rosa_m",
     "My hands are stiff in the mornings since I started my current treatment. My team says it's a known "
     "side effect and we're keeping an eye on it.\n\nWhat has eased it for you?",
     [("june_b", "Warm water on my hands first thing, and gentle hand exercises my nurse showed me. Mention it "
                 "at every visit — there are options to try.")]),
    ("brain-metastases", "Memory and focus after radiation", "helen_w",
     "My sister finished radiation for brain mets last month. She gets frustrated when she loses words.\n\n"
     "How can I help without taking over?",
     [("rosa_m", "Patience, and letting her finish her sentences. A shared calendar on the fridge helped our "
                 "family a lot."),
      ("dan_caregiver", "Ask her team about a referral to an occupational therapist. They had practical ideas "
                        "for us.")]),
]


def _make_user(username: str, display: str, identity: str = "", city: str = "", region: str = "",
               bio: str = "", role: str = "member", password: str | None = None) -> User:
    from board.auth.passwords import hash_password
    from board.markup import render_markdown

    user = User(
        username=username, email=f"{username}@{DEMO_DOMAIN}",
        password_hash=hash_password(password or secrets.token_urlsafe(16)),
        role=role, trust_level=1, display_name=display, identity=identity, city=city, region=region,
        bio_source=bio, bio_html=render_markdown(bio), email_verified_at=utcnow(),
        created_at=utcnow() - timedelta(days=90),
    )
    db.session.add(user)
    return user


def seed_demo() -> list[str]:
    from board.forum import services

    lines: list[str] = []
    if db.session.scalar(select(User).where(User.username == MODERATOR[0])) is not None:
        return ["Demo content already present; nothing to do."]

    mod_password = secrets.token_urlsafe(12)
    moderator = _make_user(MODERATOR[0], MODERATOR[1], "supporter", role="moderator", password=mod_password,
                           bio="Volunteer moderator. Here to keep Circle kind and safe.")
    members_password = secrets.token_urlsafe(12)
    users = {m[0]: _make_user(*m, password=members_password) for m in MEMBERS}
    users[moderator.username] = moderator
    db.session.flush()

    topics = {t.slug: t for t in db.session.scalars(select(Topic))}
    start = utcnow() - timedelta(days=len(THREADS) + 2)
    for n, (slug, title, author, body, replies) in enumerate(THREADS):
        thread = services.create_thread(users[author], topics[slug], title, body)
        when = start + timedelta(days=n, hours=3)
        _backdate(thread, when)
        for m, (replier, text) in enumerate(replies):
            post = services.create_reply(users[replier], thread, text)
            _backdate_post(thread, post, when + timedelta(hours=2 * (m + 1)))
    db.session.flush()
    for topic in topics.values():
        latest = db.session.execute(
            select(Thread.id, Thread.last_activity_at).where(Thread.topic_id == topic.id, Thread.status == "published")
            .order_by(Thread.last_activity_at.desc()).limit(1)
        ).first()
        if latest:
            topic.last_thread_id, topic.last_activity_at = latest
    db.session.flush()

    try:
        from board.stories.demo import seed_demo_stories
    except ModuleNotFoundError:
        pass
    else:
        lines.extend(seed_demo_stories(users))

    # Moderators must use a second factor: the demo one has an authenticator app already.
    totp_secret, recovery_codes = _enrol_demo_second_factor(moderator)

    # The invented members follow and mention each other: the mail that writing queued for them
    # would go nowhere (.invalid), so none is kept.
    db.session.flush()
    db.session.execute(delete(MailMessage).where(MailMessage.to_address.like(f"%@{DEMO_DOMAIN}"),
                                                 MailMessage.sent_at.is_(None)))
    lines += [
        f"Demo content: {len(MEMBERS)} members, {len(THREADS)} threads.",
        "Demo moderator login (lost it? `flask --app board seed --demo --reset-passwords` prints fresh ones):",
        f"  username: {MODERATOR[0]}",
        f"  password: {mod_password}",
        f"  authenticator-app key: {totp_secret} (add it to an app by hand, or get the current code with",
        f"    .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{totp_secret}').now())\")",
        f"  recovery codes (each works once): {', '.join(recovery_codes[:3])}",
        f"Demo members ({', '.join(m[0] for m in MEMBERS)}) share the password: {members_password}",
    ]
    return lines


def _enrol_demo_second_factor(moderator: User) -> tuple[str, list[str]]:
    import pyotp

    from board.auth.twofactor import new_recovery_codes
    from board.models import TotpSecret

    secret = pyotp.random_base32(32)
    db.session.add(TotpSecret(user_id=moderator.id, secret=secret, confirmed_at=utcnow()))
    db.session.flush()
    return secret, new_recovery_codes(moderator)
def reset_demo_passwords() -> list[str]:
    """Fresh passwords for the demo moderator and members (only those accounts), printed once more."""
    from board.auth.passwords import hash_password

    names = [MODERATOR[0], *(m[0] for m in MEMBERS)]
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))}
    if MODERATOR[0] not in users:
        return ["No demo accounts here; run `flask --app board seed --demo` first."]
    mod_password, members_password = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    for name, user in users.items():
        user.password_hash = hash_password(mod_password if name == MODERATOR[0] else members_password)
        user.rotate_session_token()  # old sessions of the demo accounts end
    db.session.flush()
    return [
        "Fresh demo logins:",
        f"  moderator: {MODERATOR[0]}  password: {mod_password}",
        f"  members ({', '.join(n for n in names[1:] if n in users)}) share the password: {members_password}",
    ]


def _backdate(thread: Thread, when) -> None:
    thread.created_at = when
    thread.last_activity_at = when
    first = db.session.get(Post, thread.first_post_id)
    first.created_at = when
    thread.topic.last_activity_at = max(thread.topic.last_activity_at or when, when)


def _backdate_post(thread: Thread, post: Post, when) -> None:
    post.created_at = when
    thread.last_activity_at = when
    if thread.topic.last_activity_at is None or when >= thread.topic.last_activity_at:
        thread.topic.last_activity_at = when
        thread.topic.last_thread_id = thread.id
