"""Every route in the URL map × every kind of visitor → the expected status.

A route missing from EXPECTED fails `test_every_route_is_in_the_table` (add it),
and a row for a route that no longer exists fails too. Each role gets a fresh
board, so one role's POST (a delete, a logout) cannot change another's answer.
GET routes are fetched with GET, POST routes are POSTed with no data (CSRF off).

Notation: one row per (METHOD endpoint), one column per role, in this order:

    anon  unver  new  member  owner  other  silenced  susp  mod  admin

`L` = 302 to the login page; a number = that status (302 = a redirect elsewhere,
400 = the empty form was refused, 403 = forbidden, 404 = not yours / not found).
"""
from __future__ import annotations

import pytest

from tests.attack.conftest import ROLES, routes

# Shorthands for the common rows.
PUBLIC = "200 200 200 200 200 200 200 200 200 200"
MEMBERS = "L 200 200 200 200 200 200 L 200 200"          # any logged-in, not suspended
STAFF = "L 403 403 403 403 403 403 L 200 200"            # moderators and admins
ADMIN = "L 403 403 403 403 403 403 L 403 200"
STAFF_POST = "L 403 403 403 403 403 403 L 302 302"
STAFF_FORM = "L 403 403 403 403 403 403 L 400 400"        # allowed, but the empty form is refused
ADMIN_POST = "L 403 403 403 403 403 403 L 403 302"
ADMIN_FORM = "L 403 403 403 403 403 403 L 403 400"
MEMBER_FORM = "L 400 400 400 400 400 400 L 400 400"
OWNER_ONLY = "L 403 403 403 200 403 403 L 403 403"

EXPECTED: dict[str, str] = {
    # ------------------------------------------------------------------ GET
    #                                        anon unver new member owner other silenced susp mod admin
    "GET forum.index":                       PUBLIC,
    "GET auth.check_email":                  PUBLIC,
    "GET auth.login":                        "200 302 302 302 302 302 302 200 302 302",
    "GET auth.register":                     "200 302 302 302 302 302 302 200 302 302",
    "GET auth.reset_request":                PUBLIC,
    "GET auth.reset_password":               "400 400 400 400 400 400 400 400 400 400",  # bogus token: a kind page
    "GET auth.reset_sent":                   PUBLIC,
    "GET auth.verify":                       "400 400 400 400 400 400 400 400 400 400",  # bogus token
    "GET auth.resend_verification":          PUBLIC,   # asks for the address; same for everyone
    "GET health.healthz":                    PUBLIC,
    "GET moderation.queue":                  STAFF,
    "GET moderation.item":                   STAFF,
    "GET moderation.log":                    STAFF,
    "GET moderation.reasons":                ADMIN,
    "GET moderation.manage_thread":          STAFF,
    "GET moderation.words":                  ADMIN,
    "GET notifications.index":               MEMBERS,
    "GET forum.post_permalink":              "302 302 302 302 302 302 302 302 302 302",
    "GET forum.edit_post":                   OWNER_ONLY,
    "GET forum.post_history":                PUBLIC,
    "GET moderation.report_post":            MEMBERS,
    "GET search.search":                     PUBLIC,
    "GET auth.settings_account":             MEMBERS,
    "GET auth.settings_profile":             MEMBERS,
    "GET stories.index":                     PUBLIC,
    "GET media.file":                        PUBLIC,   # a published picture in a public thread
    "GET media.report":                      MEMBERS,
    "GET media.picture":                     MEMBERS,
    "GET stories.story":                     PUBLIC,
    "GET stories.edit":                      OWNER_ONLY,
    "GET stories.report":                    "L 200 200 200 302 200 200 L 200 200",  # not your own story
    "GET stories.feed":                      PUBLIC,
    "GET stories.mine":                      MEMBERS,
    "GET stories.new":                       MEMBERS,
    "GET forum.thread":                      PUBLIC,
    "GET forum.reply":                       "L 403 200 200 200 200 403 L 200 200",  # why not, instead of a form
    "GET forum.topic":                       PUBLIC,
    "GET forum.new_thread":                  "L 403 200 200 200 200 403 L 200 200",
    "GET pages.page":                        PUBLIC,
    "GET pages.edit":                        ADMIN,
    "GET moderation.guide":                  STAFF,
    "GET moderation.edit_guide":             ADMIN,
    "GET welcome.welcome":                   MEMBERS,
    "GET auth.profile":                      PUBLIC,
    "GET moderation.moderate_user":          STAFF,
    "GET profile.for_you":                   PUBLIC,
    "GET profile.diagnosis":                 MEMBERS,
    "GET following.settings":                MEMBERS,
    "GET following.unsubscribe":             "404 404 404 404 404 404 404 404 404 404",  # bogus token
    "GET privacy.settings":                  MEMBERS,
    "GET privacy.topics":                    ADMIN,
    "GET privacy.memorial":                  ADMIN,
    "GET gestures.bookmarks":                MEMBERS,
    "GET gestures.drafts":                   MEMBERS,
    "GET gestures.post_reactions":           MEMBERS,
    "GET gestures.story_reactions":          MEMBERS,
    "GET messages.inbox":                    MEMBERS,
    "GET messages.requests":                 MEMBERS,
    "GET messages.new":                      MEMBERS,
    "GET messages.settings":                 MEMBERS,
    "GET messages.conversation":             "L 404 404 404 200 200 404 L 404 404",  # its two members only
    "GET messages.report":                   "L 404 404 404 404 200 404 L 404 404",  # the owner's message: "other" only
    "GET messages.outreach":                 "L 403 403 403 403 403 403 L 404 404",  # a pending item: nobody to reach
    # ------------------------------------------------------------------ POST
    #                                        anon unver new member owner other silenced susp mod admin
    "POST auth.login":                       "400 302 302 302 302 302 302 400 302 302",
    "POST auth.register":                    "400 302 302 302 302 302 302 400 302 302",
    "POST auth.reset_request":               "400 400 400 400 400 400 400 400 400 400",
    "POST auth.reset_password":              "400 400 400 400 400 400 400 400 400 400",
    "POST auth.verify":                      "400 400 400 400 400 400 400 400 400 400",
    "POST auth.resend_verification":         "400 302 302 302 302 302 302 400 302 302",
    "POST auth.logout":                      "302 302 302 302 302 302 302 302 302 302",
    "POST auth.logout_everywhere":           "L L L L L L L L L L",  # ends every session, back to login
    "POST auth.change_email":                MEMBER_FORM,
    "POST auth.change_password":             MEMBER_FORM,
    "POST auth.settings_profile":            MEMBER_FORM,
    "POST display.text_size":                "302 400 400 400 400 400 400 302 400 400",
    "POST moderation.bulk":                  STAFF_POST,
    "POST moderation.approve":               STAFF_POST,
    "POST moderation.claim":                 STAFF_POST,
    "POST moderation.dismiss":               STAFF_POST,
    "POST moderation.edit":                  STAFF_FORM,
    "POST moderation.reject":               STAFF_FORM,   # a reason is required
    "POST moderation.release":               STAFF_POST,
    "POST moderation.remove":                STAFF_POST,   # the reason check (tests/moderation/test_moderation_polish.py) comes after the item state
    "POST pages.edit":                       ADMIN_FORM,
    "POST moderation.edit_guide":            ADMIN_FORM,
    "POST welcome.welcome":                  "L 302 302 302 302 302 302 L 302 302",  # every part optional
    "POST moderation.undo":                  STAFF_POST,
    "POST moderation.next_item":             STAFF_POST,
    "POST moderation.reasons":               ADMIN_FORM,
    "POST moderation.change_reason":         ADMIN_FORM,
    "POST moderation.delete_reason":         ADMIN_POST,
    "POST moderation.words":                 ADMIN_FORM,
    "POST moderation.change_word":           ADMIN_POST,
    "POST moderation.delete_word":           ADMIN_POST,
    "POST moderation.feature_story":         STAFF_POST,
    "POST moderation.lock_thread":           STAFF_POST,
    "POST moderation.unlock_thread":         STAFF_POST,
    "POST moderation.pin_thread":            STAFF_POST,
    "POST moderation.unpin_thread":          STAFF_POST,
    "POST moderation.move_thread":           STAFF_FORM,
    "POST moderation.rename_thread":         STAFF_FORM,
    "POST moderation.moderate_user":         STAFF_FORM,
    "POST moderation.report_post":           MEMBER_FORM,
    "POST notifications.open_one":           "L 404 404 404 302 404 404 L 404 404",
    "POST notifications.mark_read":          "L 302 302 302 302 302 302 L 302 302",
    "POST forum.edit_post":                  "L 403 403 403 400 403 403 L 403 403",
    "POST forum.delete_post":                "L 403 403 403 302 403 403 L 403 403",
    "POST forum.reply":                      MEMBER_FORM,
    "POST forum.new_thread":                 MEMBER_FORM,
    "POST stories.new":                      MEMBER_FORM,
    "POST stories.edit":                     "L 403 403 403 400 403 403 L 403 403",
    "POST stories.helped":                   "L 302 302 302 302 302 302 L 302 302",
    "POST stories.report":                   "L 400 400 400 302 400 400 L 400 400",
    "POST stories.withdraw":                 "L 403 403 403 302 403 403 L 403 403",
    "POST profile.diagnosis":                "L 302 302 302 302 302 302 L 302 302",
    "POST following.settings":               "L 302 302 302 302 302 302 L 302 302",
    "POST following.follow_thread":          "L 302 302 302 302 302 302 L 302 302",
    "POST following.follow_topic":           "L 302 302 302 302 302 302 L 302 302",
    "POST following.mute":                   "L 302 302 302 302 302 302 L 302 302",
    "POST following.unsubscribe_confirm":    "404 404 404 404 404 404 404 404 404 404",  # bogus token
    "POST privacy.export":                   "L 200 200 200 200 200 200 L 200 200",  # your own data, a download
    "POST privacy.delete":                   MEMBER_FORM,
    "POST privacy.members_only":             ADMIN_FORM,
    "POST privacy.memorial":                 ADMIN_FORM,
    # ------------------------------------------------------------------ two-factor and sessions (issue 19)
    "GET auth.settings_security":            MEMBERS,
    "GET auth.security_totp":                "L 200 200 200 200 200 200 L 302 302",  # staff already have an app
    "GET auth.security_codes_once":          "L 302 302 302 302 302 302 L 302 302",  # nothing to show: back
    "GET auth.two_factor":                   "L 302 302 302 302 302 302 L 302 302",  # no login half-way
    "GET auth.end_session_from_mail":        "404 404 404 404 404 404 404 404 404 404",  # bogus token
    "POST auth.two_factor":                  "L 302 302 302 302 302 302 L 302 302",
    "POST auth.two_factor_recovery":         "L L L L L L L L L L",
    "POST auth.two_factor_passkey_options":  "401 401 401 401 401 401 401 401 401 401",
    "POST auth.two_factor_passkey":          "401 401 401 401 401 401 401 401 401 401",
    "POST auth.security_totp":               "L 400 400 400 400 400 400 L 302 302",
    "POST auth.security_totp_off":           MEMBER_FORM,
    "POST auth.security_recovery_codes":     MEMBER_FORM,
    "POST auth.security_passkey_options":    MEMBERS,
    "POST auth.security_passkey_add":        MEMBER_FORM,
    "POST auth.security_passkey_remove":     "L 404 404 404 404 404 404 L 404 404",  # not theirs
    "POST auth.security_end_session":        "L 404 404 404 404 404 404 L 404 404",  # not theirs
    "POST auth.security_end_others":         "L 302 302 302 302 302 302 L 302 302",
    "POST auth.end_session_from_mail":       "404 404 404 404 404 404 404 404 404 404",
    "POST auth.welcomer":                    "L 302 302 302 302 302 302 L 302 302",
    "GET moderation.health_dashboard":       STAFF,
    "POST moderation.health_settings":       ADMIN_FORM,
    "POST gestures.react_post":              "L 400 400 400 400 400 400 L 400 400",  # no reaction named
    "POST gestures.react_story":             "L 400 400 400 400 400 400 L 400 400",
    "POST gestures.bookmark_post":           "L 303 303 303 303 303 303 L 303 303",  # a toggle
    "POST gestures.bookmark_thread":         "L 303 303 303 303 303 303 L 303 303",
    "POST gestures.bookmark_story":          "L 303 303 303 303 303 303 L 303 303",
    "POST gestures.save_draft":              "L 404 404 404 404 404 404 L 404 404",  # no place named
    "POST gestures.delete_draft":            "L 404 404 404 303 404 404 L 404 404",  # only your own
    "POST messages.new":                     MEMBER_FORM,
    "POST media.report":                     MEMBER_FORM,
    "POST media.picture":                    MEMBER_FORM,  # no picture chosen (or may not post): refused
    "POST messages.settings":                MEMBER_FORM,
    "POST messages.reply":                   "L 404 404 404 400 400 404 L 404 404",
    "POST messages.archive":                 "L 404 404 404 302 302 404 L 404 404",
    "POST messages.leave":                   "L 404 404 404 302 302 404 L 404 404",
    "POST messages.accept":                  "L 404 404 404 404 404 404 L 404 404",  # no request is waiting
    "POST messages.decline":                 "L 404 404 404 404 404 404 L 404 404",
    "POST messages.report":                  "L 404 404 404 404 400 404 L 404 404",
    "POST messages.block":                   "L 302 302 302 302 302 302 L 302 302",  # toggles; yourself: refused kindly
    "POST messages.outreach":                "L 403 403 403 403 403 403 L 404 404",
}


def _requests(app):
    out = []
    for endpoint, rule in routes(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((f"{method} {endpoint}", method, rule))
    # GETs first, then POSTs; the destructive ones late and logging out last, so they
    # cannot change the answer of the requests after them.
    late = ("delete", "withdraw", "remove", "reject", "undo", "leave")
    out.sort(key=lambda r: ("logout" in r[0], r[1] == "POST", any(w in r[0] for w in late), r[2].rule))
    return out


def _code(response) -> str:
    code = response.status_code
    if code in (301, 302, 303) and "/auth/login" in response.headers.get("Location", ""):
        return "L"
    return str(code)


def test_every_route_is_in_the_table(app):
    keys = {key for key, _, _ in _requests(app)}
    missing = sorted(keys - set(EXPECTED))
    assert missing == [], f"routes missing from the access table (add a row): {missing}"
    assert sorted(set(EXPECTED) - keys) == [], "the table lists routes that no longer exist"
    for key, row in EXPECTED.items():
        assert len(row.split()) == len(ROLES), key


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, world, role):
    client = world.clients((role,))[role]
    failures = []
    for key, method, rule in _requests(app):
        if key not in EXPECTED:
            continue
        response = client.open(world.url(rule), method=method)
        got = _code(response)
        want = EXPECTED[key].split()[ROLES.index(role)]
        if got != want:
            failures.append(f"{key} {rule.rule} as {role}: expected {want}, got {got}")
    assert failures == [], "\n".join(failures)
