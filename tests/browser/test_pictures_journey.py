"""Pictures in Chromium (issue 18): a member adds a photo to a new thread by drag and drop, with
its description, on a phone-sized screen; the thread appears at once with "Image waiting for
review"; a moderator sees it blurred, chooses to look, approves it; then it shows in the thread
with its alt text. No console errors or CSP violations anywhere."""
from __future__ import annotations

import base64

from tests.browser import axe
from tests.browser.fixtures import screenshot, watched_page
from tests.browser.world import browser_login, cheap_password_hashing
from tests.media import pictures

DROP = """([b64, name]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: 'image/jpeg'}));
  const form = document.querySelector('form[enctype="multipart/form-data"]');
  form.dispatchEvent(new DragEvent('dragover', {dataTransfer: transfer, bubbles: true, cancelable: true}));
  form.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
}"""


def test_a_photo_dropped_in_a_new_thread_waits_for_a_moderator_then_appears(app, make, browser, live_server,
                                                                           monkeypatch):
    cheap_password_hashing(monkeypatch)
    make.user("june", display_name="June P.", trust_level=1)
    make.user("mod", role="moderator", display_name="Mo")
    base = live_server

    member_ctx, member, member_errors = watched_page(browser)
    browser_login(member, base, "june")
    member.goto(base + "/topics/newly-diagnosed/new")
    assert member.locator("[data-media-drop]").is_visible()  # JavaScript offers the drop zone
    assert member.locator('[data-media-slot="2"]').is_hidden()  # spare picture fields wait their turn
    member.get_by_label("Title").fill("The scarf I knitted through infusions")
    member.get_by_label("Your message").fill("Twelve sessions, one scarf. Blue, because the ward was so grey.")
    photo = pictures.jpeg(width=800, height=600, gps=True, orientation=6)
    member.evaluate(DROP, [base64.b64encode(photo).decode(), "scarf.jpg"])
    member.locator('[data-media-slot="1"] .media-preview img').wait_for()
    assert member.locator("#image_1").evaluate("input => input.files.length") == 1
    assert member.evaluate("document.activeElement.id") == "alt_1"  # straight to the description
    member.get_by_label("Description of picture 1").fill("A long blue knitted scarf on a hospital chair")
    found = axe.violations(member)  # the form with its picture fields and the preview: WCAG A and AA
    assert not found, axe.format_violations(found, "new thread with a picture")
    screenshot(member, "pictures-new-thread-with-photo", widths=((390, 844),))
    member.get_by_role("button", name="Post thread").click()  # sent with progress (XMLHttpRequest)
    member.wait_for_url("**/threads/**")
    assert member.get_by_text("Image waiting for review").is_visible()
    assert member.get_by_text("Twelve sessions, one scarf.").is_visible()
    thread_url = member.url

    mod_ctx, mod, mod_errors = watched_page(browser, 1280, 800)
    browser_login(mod, base, "mod")
    mod.goto(base + "/moderation?kind=pending_image")
    with mod.expect_navigation():
        mod.get_by_role("link", name="Pending images #").first.click()
    assert "/moderation/items/" in mod.url
    picture = mod.locator("[data-media-review] img")
    assert "blur" in picture.evaluate("img => getComputedStyle(img).filter")
    found = axe.violations(mod)
    assert not found, axe.format_violations(found, "a pending picture in the queue")
    mod.get_by_role("button", name="Show the picture").click()
    assert picture.evaluate("img => getComputedStyle(img).filter") == "none"
    assert mod.get_by_text("A long blue knitted scarf on a hospital chair").first.is_visible()
    with mod.expect_navigation():
        mod.get_by_role("button", name="Approve", exact=True).click()

    member.goto(thread_url)
    shown = member.get_by_role("img", name="A long blue knitted scarf on a hospital chair")
    assert shown.is_visible()
    natural = shown.evaluate("img => [img.naturalWidth, img.naturalHeight, img.getAttribute('loading')]")
    assert natural[0] > 0 and natural[1] > natural[0] and natural[2] == "lazy"  # loaded, upright (portrait)
    assert member.get_by_text("Image waiting for review").count() == 0
    screenshot(member, "pictures-approved-in-thread", widths=((390, 844),))
    member.goto(base + "/settings/picture")
    found = axe.violations(member)
    assert not found, axe.format_violations(found, "profile picture page")
    for errors in (member_errors, mod_errors):
        assert errors == [], errors
    member_ctx.close()
    mod_ctx.close()


def test_a_member_drags_the_square_for_her_profile_picture(app, make, browser, live_server, monkeypatch):
    cheap_password_hashing(monkeypatch)
    make.user("rosa", display_name="Rosa L.", trust_level=2)
    base = live_server
    context, page, errors = watched_page(browser)
    browser_login(page, base, "rosa")
    page.goto(base + "/settings/picture")
    assert page.locator(".avatar-current .avatar").inner_text() == "RL"
    photo = pictures.jpeg(width=600, height=300)  # red left half, white right half
    page.set_input_files("#picture", {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": photo})
    frame = page.locator(".avatar-crop-frame")
    frame.wait_for()
    box = frame.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 400, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert float(page.get_by_label("From the left").input_value()) == 0.5  # as far right as it goes
    with page.expect_navigation():
        page.get_by_role("button", name="Save picture").click()
    avatar = page.locator(".avatar-current img.avatar")
    assert avatar.is_visible() and avatar.get_attribute("alt") == ""
    colour = avatar.evaluate("""img => { const c = document.createElement('canvas'); c.width = c.height = 8;
        const x = c.getContext('2d'); x.drawImage(img, 0, 0, 8, 8); return Array.from(x.getImageData(4, 4, 1, 1).data); }""")
    assert colour[0] > 200 and colour[1] > 200  # the white right half she chose, not the red left
    assert errors == [], errors
    context.close()
