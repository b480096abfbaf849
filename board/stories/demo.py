"""Demo stories for `flask --app board seed --demo`.

Written for Circle; every person here is invented. The stories stay general and
personal — what helped, how it felt — and make no medical claims beyond
"talk to your care team". Idempotent: does nothing if any story exists.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from board.extensions import db
from board.models import Story, User, utcnow
from board.stories import services

# preferred author username, signature style, first name, last initial, city, region,
# title, themes, prompt, featured, body
DEMO_STORIES = [
    (
        "june_b", "full", "June", "B", "Oregon", "WI",
        "The notebook on the kitchen table",
        ["newly-diagnosed", "coping-and-outlook"], "what-helped-most", True,
        "The week I learned the cancer had spread, I couldn't hold on to a single thing anyone told me. "
        "My daughter bought a plain spiral notebook and left it on the kitchen table with a pen on top.\n\n"
        "Everything went in there: questions for my oncologist, names of the nurses, the times I felt sick "
        "and the times I didn't, the little things that made me laugh. At appointments I read my questions "
        "straight from the page, and I stopped apologising for having so many.\n\n"
        "I'm on my third notebook now. If you're at the beginning, I'd say: write it down, bring someone "
        "with you when you can, and ask your care team everything. Nothing you wonder about is silly.",
    ),
    (
        "rosa_m", "initial", "Rosa", "M", "", "",
        "Knitting through the waiting",
        ["treatment-experiences", "exercise-rest-and-wellness"], "hard-days", False,
        "I always bring knitting to the infusion chair. Not because I'm good at it — my scarves are "
        "famously crooked — but because my hands need something to do while my mind wanders.\n\n"
        "On hard days I keep the rules small. One short walk, even if it's only to the end of the street. "
        "A shower. Something warm to drink. Then I'm allowed to rest without feeling guilty about it.\n\n"
        "Rest used to feel like giving up. Now I think of it as part of the work. When the tiredness is "
        "new or different, I tell my nurse instead of waiting to see if it passes.",
    ),
    (
        "dan_caregiver", "first", "Dan", "", "", "",
        "Learning to be the one who stays",
        ["caregiving", "family-and-friends"], "", False,
        "My wife was diagnosed with metastatic breast cancer two years ago. I'm a fixer by nature, and the "
        "hardest lesson has been that I can't fix this.\n\n"
        "What I can do is show up. I keep the calendar, I drive, I cook the three things she can face on "
        "bad days. I learned to ask her what she needs instead of guessing, and to accept when the answer "
        "is \"nothing, just sit with me\".\n\n"
        "To other caregivers: find one person you can be honest with. Mine is my brother. He doesn't try to "
        "cheer me up; he just listens. And reading this community at night has made me feel a lot less alone.",
    ),
    (
        "priya_k", "anonymous", "", "", "", "",
        "What I'd tell myself on the first day",
        ["newly-diagnosed", "hope"], "advice-for-newly-diagnosed", True,
        "I'm writing this without my name because some people in my life still don't know, and that's "
        "allowed.\n\n"
        "On my first day I thought my life had ended in that room. It hadn't. It changed shape. There are "
        "appointments and scans and a lot of waiting, but there are also birthdays and slow breakfasts and "
        "ordinary Tuesdays that feel like mine again.\n\n"
        "If you're newly diagnosed: you don't have to read everything tonight. Choose one trusted source, "
        "write your questions down, and let your care team walk you through what it means for you. Be as "
        "gentle with yourself as you would be with a friend.",
    ),
    (
        "helen_w", "display", "", "", "", "",
        "My sister taught me how to listen",
        ["family-and-friends", "coping-and-outlook"], "", False,
        "When my sister told me about her diagnosis I went straight into research mode. I sent her articles "
        "and statistics and long messages full of questions. She finally told me, kindly, that she needed a "
        "sister, not a search engine.\n\n"
        "So I changed. Now I ask, \"Do you want to talk about it or not today?\" and I follow her lead. Some "
        "days we talk about treatment. Most days we talk about her garden and terrible television.\n\n"
        "If you love someone living with MBC, you don't need the right words. Being there counts for more.",
    ),
    (
        "rosa_m", "first", "Rosa", "", "", "",
        "Small hopes count too",
        ["hope", "faith-and-meaning", "advocacy-and-giving-back"], "what-gives-hope", True,
        "People sometimes ask how I stay hopeful. The honest answer is that my hopes have got smaller and "
        "closer, and that has made them easier to hold.\n\n"
        "I hope for a good morning. I hope the tomatoes ripen. I hope to see my nephew graduate. Each one "
        "that comes true feels like a gift.\n\n"
        "I also find hope in helping. I volunteer to sit with people at their first infusion, and I share my "
        "story because reading other people's stories helped me. If something here helps you, that is the "
        "best thing I could ask for.",
    ),
]


def _author_for(users, preferred: str, n: int) -> User | None:
    if isinstance(users, dict):
        if preferred in users:
            return users[preferred]
        pool = list(users.values())
    else:
        pool = list(users)
        for user in pool:
            if getattr(user, "username", None) == preferred:
                return user
    return pool[n % len(pool)] if pool else None


def seed_demo_stories(users) -> list[str]:
    """Create a handful of published demo stories (first time only). `users`: dict username→User or a list."""
    if db.session.scalar(select(func.count(Story.id))):
        return ["Demo stories: some stories exist already, none added."]
    if not users:
        return ["Demo stories: no members to write them, none added."]
    now = utcnow()
    created = 0
    for n, (username, style, first, initial, city, region, title, themes, prompt, featured, body) in enumerate(
            DEMO_STORIES):
        author = _author_for(users, username, n)
        if author is None:
            continue
        data = services.StoryInput(
            title=title, body=body, themes=themes, prompt=prompt, signature=style, sig_first_name=first,
            sig_last_initial=initial, city=city, region=region, consent=True,
        )
        # Demo content is written by us, so it skips the queue: built as a draft, then published.
        story = services.create_story(author, data, draft=True).story
        # Store only what the signature shows, exactly as a real submission does.
        services._apply_signature(story, services.signature_values(author, data))
        story.status = services.PENDING
        story.consent_at = story.submitted_at = now - timedelta(days=len(DEMO_STORIES) - n + 1)
        services._publish(story)  # no "your story is published" notification for invented members
        when = now - timedelta(days=len(DEMO_STORIES) - n, hours=2)
        story.published_at = story.updated_at = story.created_at = when
        if featured:
            services.set_featured(story, None, True)
        created += 1
    db.session.flush()
    return [f"Demo stories: {created} published ({sum(1 for s in DEMO_STORIES if s[9])} featured)."]
