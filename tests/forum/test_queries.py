"""A page runs the same small number of SQL queries whatever its size."""
import pytest


@pytest.mark.parametrize("replies", [4, 199])
def test_thread_page_query_count_is_constant(client, make, count_queries, replies):
    thread = make.thread(make.user("alice"), replies=replies, reply_author=make.user("bob"))
    with count_queries() as q:
        assert client.get(f"/threads/{thread.id}").status_code == 200
    assert len(q) <= 4, q


def test_thread_page_same_count_for_5_and_200_posts(client, make, count_queries):
    alice, bob = make.user("alice"), make.user("bob")
    small = make.thread(alice, replies=4, reply_author=bob)
    big = make.thread(alice, replies=199, reply_author=bob)
    counts = []
    for t in (small, big):
        with count_queries() as q:
            client.get(f"/threads/{t.id}")
        counts.append(len(q))
    assert counts[0] == counts[1]


def test_logged_in_thread_page_query_budget(client, make, count_queries, login_as):
    alice = make.user("alice")
    thread = make.thread(alice, replies=30)
    login_as(make.user("bob"))
    with count_queries() as q:
        assert client.get(f"/threads/{thread.id}").status_code == 200
    assert len(q) <= 6, q


def test_topic_and_home_query_counts_are_constant(client, make, count_queries):
    alice = make.user("alice")
    make.thread(alice)
    with count_queries() as q1:
        client.get("/topics/newly-diagnosed")
    with count_queries() as h1:
        client.get("/")
    for i in range(20):
        make.thread(make.user(f"user{i}"), topic="newly-diagnosed" if i % 2 else "chemotherapy")
    with count_queries() as q2:
        client.get("/topics/newly-diagnosed")
    with count_queries() as h2:
        client.get("/")
    assert len(q1) == len(q2) <= 4
    assert len(h1) == len(h2)


def test_get_pages_never_write(client, make, count_queries, login_as):
    alice = make.user("alice")
    thread = make.thread(alice, replies=3)
    login_as(alice)
    with count_queries() as q:
        for url in ("/", "/topics/newly-diagnosed", f"/threads/{thread.id}", "/users/alice", "/settings/profile",
                    f"/posts/{thread.first_post_id}/history"):
            client.get(url)
    writes = [s for s in q if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
