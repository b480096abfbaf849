"""Ids that no row can have, typed into addresses: never a 500, on either engine.

PostgreSQL refuses an INTEGER parameter past 2**31 - 1 outright ("integer out of
range"), so /threads/99999999999999 used to be a 500 there while SQLite said 404.
Every `<int:…>` route is bounded (board.IdConverter) and every id read from a
query string or form goes through board.ids.parse_id.
"""
from __future__ import annotations

import pytest

from board.ids import MAX_ID, parse_id
from tests.attack.conftest import routes

HUGE_IDS = (str(MAX_ID + 1), "99999999999999", "9" * 30)
ODD_IDS = ("²", "١٢", "0", "-1", "1e3", " 1", "9" * 5000)


def test_parse_id_accepts_only_ascii_ids_in_range():
    assert parse_id("1") == 1
    assert parse_id(str(MAX_ID)) == MAX_ID
    for bad in (*HUGE_IDS, *ODD_IDS, "", None):
        assert parse_id(bad) is None, bad


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_every_id_route_answers_404_for_an_id_past_integer(app, world, huge):
    clients = world.clients(("anonymous", "member", "admin"))
    checked = 0
    for endpoint, rule in routes(app):
        if "int:" not in rule.rule or "GET" not in rule.methods:
            continue
        url = world.url(rule)
        for arg in rule.arguments:
            url = url.replace(str(world.values.get(arg, "x")), huge) if arg.endswith("_id") else url
        for role, client in clients.items():
            response = client.get(url)
            assert response.status_code != 500, (role, url)
            assert response.status_code in (302, 404), (role, url, response.status_code)
        checked += 1
    assert checked >= 10  # the thread, post, story, item… pages are all covered


@pytest.mark.parametrize("value", HUGE_IDS + ODD_IDS)
def test_thread_page_cursors_and_quotes_never_fail(world, value):
    member = world.clients(("member",))["member"]
    thread = world.values["thread_id"]
    for query in ("before", "after", "from", "per_page"):
        response = member.get(f"/threads/{thread}", query_string={query: value})
        assert response.status_code in (200, 404), (query, value, response.status_code)
    response = member.get(f"/threads/{thread}/reply", query_string={"quote": value})
    assert response.status_code in (200, 404), (value, response.status_code)
    response = member.get("/notifications", query_string={"before": value})
    assert response.status_code in (200, 404), (value, response.status_code)


def test_the_last_page_of_a_thread_still_opens(world):
    """The last page reads below a sentinel bound larger than any id (a BIGINT parameter)."""
    member = world.clients(("member",))["member"]
    response = member.get(f"/threads/{world.values['thread_id']}?page=last")
    assert response.status_code == 200
    assert b"Owner reply" in response.data
