"""Who can open a conversation: its members only. Not other members, not moderators (no page
lists or opens conversations for them), not visitors."""
from __future__ import annotations

import pytest

from tests.messages.conftest import friends, send

PRIVATE_WORDS = "zqprivatewords about my daughter's wedding"


@pytest.fixture
def board(app, make, browser):
    alice = make.user("alice", display_name="Alice")
    bob = make.user("bob", display_name="Bob")
    carol = make.user("carol", display_name="Carol")
    mod = make.user("mod", role="moderator")
    admin = make.user("boss", role="admin")
    a, b = browser(alice), browser(bob)
    cid = friends(app, a, b, bob, PRIVATE_WORDS)
    return {"alice": a, "bob": b, "carol": browser(carol), "mod": browser(mod), "admin": browser(admin),
            "anonymous": app.test_client(), "cid": cid}


def test_members_of_a_conversation_read_it(board):
    for who in ("alice", "bob"):
        page = board[who].get(f"/messages/{board['cid']}")
        assert page.status_code == 200
        assert PRIVATE_WORDS in page.get_data(as_text=True)


@pytest.mark.parametrize("who", ["carol", "mod", "admin"])
def test_anyone_else_gets_404_everywhere_even_moderators(board, who):
    client, cid = board[who], board["cid"]
    assert client.get(f"/messages/{cid}").status_code == 404
    assert client.post(f"/messages/{cid}/reply", data={"body": "let me in"}).status_code == 404
    assert client.post(f"/messages/{cid}/leave").status_code == 404
    assert client.post(f"/messages/{cid}/archive").status_code == 404
    assert client.post(f"/messages/requests/{cid}/accept").status_code == 404
    assert client.post(f"/messages/requests/{cid}/decline").status_code == 404
    for path in ("/messages", "/messages/requests", "/moderation", "/moderation/log"):
        response = client.get(path)
        assert PRIVATE_WORDS not in response.get_data(as_text=True), path


def test_visitors_are_sent_to_log_in(board):
    anon, cid = board["anonymous"], board["cid"]
    for path in ("/messages", f"/messages/{cid}", "/messages/new", "/messages/requests", "/settings/messages"):
        response = anon.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], path
    response = anon.post(f"/messages/{cid}/reply", data={"body": "hi"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_an_id_that_does_not_exist_is_404_like_one_you_are_not_in(board):
    assert board["alice"].get("/messages/999999").status_code == 404
    assert board["alice"].get("/messages/99999999999999999999").status_code == 404


def test_a_member_who_left_can_no_longer_open_it(board):
    cid = board["cid"]
    assert board["bob"].post(f"/messages/{cid}/leave").status_code == 302
    assert board["bob"].get(f"/messages/{cid}").status_code == 404
    page = board["alice"].get(f"/messages/{cid}").get_data(as_text=True)
    assert "Bob left" in page and "Not delivered. This conversation has ended" in page


def test_private_pages_are_never_cached_or_indexed(board):
    response = board["alice"].get(f"/messages/{board['cid']}")
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers.get("X-Robots-Tag", "")


def test_messages_never_appear_in_search_or_profiles(app, board):
    for who in ("alice", "bob", "carol", "anonymous"):
        client = board[who]
        for path in ("/search?q=daughter", "/search?q=wedding", "/users/alice", "/users/bob", "/",
                     "/stories/feed.atom"):
            assert "zqprivatewords" not in client.get(path).get_data(as_text=True), (who, path)


def test_a_request_is_seen_only_by_its_recipient(app, make, browser):
    alice, bob, carol = make.user("alice"), make.user("bob"), make.user("carol")
    a, b, c = browser(alice), browser(bob), browser(carol)
    cid = int(send(a, bob, "zqrequestwords hello").headers["Location"].rsplit("/", 1)[1])
    assert "zqrequestwords" in b.get("/messages/requests").get_data(as_text=True)
    assert "zqrequestwords" not in c.get("/messages/requests").get_data(as_text=True)
    assert b.get(f"/messages/{cid}").status_code == 404  # a request is read on the requests page until accepted
    assert c.post(f"/messages/requests/{cid}/accept").status_code == 404
