"""The Atom feed: valid XML, only published stories, signatures as chosen."""
from xml.etree import ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_parses_and_holds_only_published_stories(app, client, make, make_story):
    alice = make.user("alice", display_name="Alice Display")
    make_story(alice, title="Published & <proud>", signature="full")
    make_story(alice, title="Anonymous one", signature="anonymous")
    for status in ("draft", "pending", "rejected", "withdrawn"):
        make_story(alice, title=f"Hidden {status}", status=status)
    r = client.get("/stories/feed.atom")
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    root = ET.fromstring(r.data)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    entries = root.findall(f"{ATOM}entry")
    titles = {e.findtext(f"{ATOM}title") for e in entries}
    assert titles == {"Published & <proud>", "Anonymous one"}
    by_title = {e.findtext(f"{ATOM}title"): e for e in entries}
    assert by_title["Published & <proud>"].findtext(f"{ATOM}author/{ATOM}name") == "Mary G., Oregon, WI"
    assert by_title["Anonymous one"].findtext(f"{ATOM}author/{ATOM}name") == "A member of Circle"
    for entry in entries:
        assert entry.findtext(f"{ATOM}id").startswith("http")
        assert entry.find(f"{ATOM}link").get("href").startswith("http")
        assert entry.findtext(f"{ATOM}updated") and entry.findtext(f"{ATOM}published")
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html" and content.text.startswith("<p>")
        assert entry.find(f"{ATOM}category").get("term") == "hope"
    assert "Alice Display" not in r.get_data(as_text=True) and "alice" not in r.get_data(as_text=True)


def test_empty_feed_is_still_valid(client):
    root = ET.fromstring(client.get("/stories/feed.atom").data)
    assert root.findall(f"{ATOM}entry") == [] and root.findtext(f"{ATOM}updated")


def test_story_list_links_to_the_feed(client):
    page = client.get("/stories").text
    assert 'type="application/atom+xml"' in page and 'href="/stories/feed.atom"' in page
