/*
 * Circle — gestures, as progressive enhancement (board/gestures). Every feature
 * below also works without this file: the forms POST and come back to the page.
 *
 *   1. Reactions and bookmarks update in place      (form[data-react], form[data-bookmark])
 *   2. A linked post is focused and highlighted      (#post-N in the address)
 *   3. "Reply" on a post opens the reply box in place (a.reply-button[data-reply-to])
 *   4. Drafts save themselves; warning before leaving unsaved text (form[data-draft])
 *
 * No inline script or style anywhere (the Content-Security-Policy forbids them).
 */
(function () {
  'use strict';

  const SAVE_AFTER_MS = 2500;
  let announcer = null;

  // One polite live region for messages ("You sent “Sending love”.").
  function announce(text) {
    if (!announcer) {
      announcer = document.createElement('div');
      announcer.className = 'visually-hidden';
      announcer.setAttribute('role', 'status');
      announcer.setAttribute('aria-live', 'polite');
      document.body.appendChild(announcer);
    }
    announcer.textContent = '';
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function post(url, data) {
    return window.fetch(url, {
      method: 'POST',
      body: data,
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json' }
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; }).then(function (json) {
        json.status = response.status;
        return json;
      });
    });
  }

  /* ---------------------------------------------------------------- */
  /* 1. Reactions and bookmarks                                        */
  /* ---------------------------------------------------------------- */

  function updateReactions(form, result) {
    form.querySelectorAll('button[name="reaction"]').forEach(function (button) {
      const kind = button.value;
      const count = result.counts[kind] || 0;
      if (kind === result.reaction) {
        button.setAttribute('aria-pressed', String(result.reacted));
      }
      // The page leaves out the count and its spoken phrase while there is none.
      let countEl = button.querySelector('.reaction-count');
      let phraseEl = button.querySelector('.reaction-phrase');
      if (!countEl) {
        countEl = document.createElement('span');
        countEl.className = 'reaction-count';
        countEl.setAttribute('aria-hidden', 'true');
        phraseEl = document.createElement('span');
        phraseEl.className = 'visually-hidden reaction-phrase';
        button.append(countEl, phraseEl);
      }
      countEl.textContent = count ? String(count) : '';
      phraseEl.textContent = result.phrases[kind] ? ', ' + result.phrases[kind] : '';
    });
  }

  function onReact(event) {
    const form = event.target;
    const button = event.submitter;
    if (!button || button.name !== 'reaction') { return; }
    event.preventDefault();
    if (button.getAttribute('aria-busy') === 'true') { return; } // a double click sends once
    const data = new FormData(form);
    data.set('reaction', button.value);
    // Say what we want, so a repeated request can't undo the first one.
    data.set('state', button.getAttribute('aria-pressed') === 'true' ? 'off' : 'on');
    button.setAttribute('aria-busy', 'true');
    post(form.action, data).then(function (result) {
      if (result.ok) {
        updateReactions(form, result);
        announce(result.message);
      } else {
        announce(result.message || 'That didn’t work. Please try again.');
      }
    }).catch(function () {
      form.submit(); // no connection to answer in place: do it the plain way
    }).finally(function () {
      button.removeAttribute('aria-busy');
    });
  }

  function onBookmark(event) {
    const form = event.target;
    const button = form.querySelector('.bookmark-button');
    event.preventDefault();
    if (!button || button.getAttribute('aria-busy') === 'true') { return; }
    button.setAttribute('aria-busy', 'true');
    post(form.action, new FormData(form)).then(function (result) {
      if (result.ok) {
        button.setAttribute('aria-pressed', String(result.bookmarked));
        const label = button.querySelector('.bookmark-label');
        if (label) { label.textContent = result.bookmarked ? 'Bookmarked' : 'Bookmark'; }
      }
      announce(result.message || 'That didn’t work. Please try again.');
    }).catch(function () {
      form.submit();
    }).finally(function () {
      button.removeAttribute('aria-busy');
    });
  }

  document.addEventListener('submit', function (event) {
    if (!window.fetch || !window.FormData || event.defaultPrevented) { return; }
    if (event.target.matches('form[data-react]')) { onReact(event); }
    else if (event.target.matches('form[data-bookmark]')) { onBookmark(event); }
  });

  /* ---------------------------------------------------------------- */
  /* 2. The post a link led to                                         */
  /* ---------------------------------------------------------------- */

  function focusTarget() {
    const match = /^#post-(\d+)$/.exec(window.location.hash);
    if (!match) { return; }
    const post = document.getElementById('post-' + match[1]);
    if (!post) { return; }
    post.setAttribute('tabindex', '-1');
    post.classList.add('is-target');
    post.focus({ preventScroll: false });
    window.setTimeout(function () { post.classList.remove('is-target'); }, 4000);
  }

  /* ---------------------------------------------------------------- */
  /* 3. Reply to a post, in place                                      */
  /* ---------------------------------------------------------------- */

  function shortQuote(post) {
    const body = post.querySelector('.post-body');
    if (!body) { return ''; }
    let text = '';
    for (const child of body.children) {
      if (child.tagName !== 'BLOCKQUOTE' && child.textContent.trim()) { text = child.textContent.trim(); break; }
    }
    text = text.replace(/\s+/g, ' ');
    if (text.length > 280) { text = text.slice(0, 280).replace(/\s+\S*$/, '') + ' …'; }
    return text;
  }

  function setUpReplyInPlace() {
    const box = document.querySelector('#reply form[data-draft]');
    if (!box) { return; }
    const field = box.querySelector('textarea[name="body"]');
    const replyTo = box.querySelector('[data-reply-to-field]');
    const note = box.querySelector('[data-replying-to]');
    if (!field || !replyTo || !note) { return; }

    function clearReply() {
      replyTo.value = '';
      note.hidden = true;
      note.textContent = '';
    }

    document.addEventListener('click', function (event) {
      const link = event.target.closest && event.target.closest('a.reply-button[data-reply-to]');
      if (!link) { return; }
      const post = link.closest('article.post');
      if (!post) { return; }
      event.preventDefault();
      const name = link.getAttribute('data-author') || 'a member';
      const quote = shortQuote(post);
      const lines = quote ? name + ' wrote:\n\n> ' + quote + '\n\n' : '';
      const kept = field.value.trim() ? field.value.replace(/\s+$/, '') + '\n\n' : '';
      field.value = kept + lines;
      replyTo.value = link.getAttribute('data-reply-to');
      note.textContent = '';
      note.append('Replying to ');
      const back = document.createElement('a');
      back.href = '#' + post.id;
      back.textContent = name;
      note.append(back, ' ');
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.className = 'link-button';
      cancel.textContent = 'Not a reply to ' + name;
      cancel.addEventListener('click', function () { clearReply(); field.focus(); });
      note.append(cancel);
      note.hidden = false;
      field.dispatchEvent(new Event('input', { bubbles: true }));
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);
      field.scrollIntoView({ block: 'center' });
    });
  }

  /* ---------------------------------------------------------------- */
  /* 4. Drafts                                                         */
  /* ---------------------------------------------------------------- */

  function setUpDrafts() {
    const forms = document.querySelectorAll('form[data-draft]');
    let leaving = false;
    const dirtyForms = new Set();

    forms.forEach(function (form) {
      const url = form.getAttribute('data-draft-url');
      const status = form.querySelector('[data-draft-status]');
      let timer = null;
      let saving = false;

      function snapshot() {
        const title = form.elements.namedItem('title');
        const body = form.elements.namedItem('body');
        return (title && title.value ? title.value : '') + '\u0000' + (body ? body.value : '');
      }
      let saved = snapshot();

      function say(text, error) {
        if (!status) { return; }
        status.textContent = text;
        status.classList.toggle('is-error', Boolean(error));
      }

      function draftData() {
        const data = new FormData(form);
        const keep = ['csrf_token', 'place', 'title', 'body', 'reply_to'];
        Array.from(data.keys()).forEach(function (key) {
          if (keep.indexOf(key) === -1) { data.delete(key); }
        });
        return data;
      }

      function save() {
        timer = null;
        const current = snapshot();
        if (current === saved || saving) { return; }
        saving = true;
        say('Saving…');
        post(url, draftData()).then(function (result) {
          if (result.ok) {
            saved = current;
            if (snapshot() === saved) { dirtyForms.delete(form); }
            say(result.saved ? 'Draft saved' : '');
          } else {
            say(result.message || 'Your draft couldn’t be saved. Your text is still here.', true);
          }
        }).catch(function () {
          say('Not saved: no connection. Your text is still here; we’ll try again.', true);
        }).finally(function () {
          saving = false;
          if (snapshot() !== saved && !timer) { timer = window.setTimeout(save, SAVE_AFTER_MS); }
        });
      }

      form.addEventListener('input', function (event) {
        const name = event.target && event.target.name;
        if (name !== 'body' && name !== 'title') { return; }
        if (snapshot() === saved) { dirtyForms.delete(form); } else { dirtyForms.add(form); }
        if (timer) { window.clearTimeout(timer); }
        timer = window.setTimeout(save, SAVE_AFTER_MS);
      });

      form.addEventListener('submit', function (event) {
        const button = event.submitter;
        if (button && button.hasAttribute('data-save-draft') && window.fetch) {
          event.preventDefault();
          if (timer) { window.clearTimeout(timer); }
          saved = null; // save now, even if nothing changed since the last autosave
          save();
          return;
        }
        leaving = true; // posting: the server keeps it (and deletes the draft once posted)
      });

      // Leaving the page (closing the tab, following a link): send what's unsaved.
      window.addEventListener('pagehide', function () {
        if (leaving || snapshot() === saved || !navigator.sendBeacon) { return; }
        if (navigator.sendBeacon(url, draftData())) { saved = snapshot(); }
      });
    });

    window.addEventListener('beforeunload', function (event) {
      if (leaving || dirtyForms.size === 0) { return; }
      event.preventDefault();
      event.returnValue = ''; // browsers show their own "leave site?" words
    });
  }

  /* ---------------------------------------------------------------- */
  /* Start                                                             */
  /* ---------------------------------------------------------------- */

  function init() {
    focusTarget();
    window.addEventListener('hashchange', focusTarget);
    setUpReplyInPlace();
    setUpDrafts();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
