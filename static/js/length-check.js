/*
 * Circle — check the length of what a member wrote before it is sent.
 *
 * Every page works without this file: text fields declare their limit with
 * `maxlength`, and the browser stops typing there. With it, in forms that post:
 *
 *   1. No words are cut. `maxlength` (which silently cuts a long paste) moves to
 *      `data-maxlength`, so everything pasted stays in the box.
 *   2. A counter appears under a field from 80% of its limit: "You have 120
 *      characters left", "You have 1,234 characters too many". It is visible
 *      text, updated as she types; a polite live region repeats it for screen
 *      readers a moment after typing stops (announcing every keystroke is noise).
 *   3. A form with a field over its limit is not sent. A summary at the top of
 *      the form says which field and by how much, and takes the focus; the text
 *      stays in the box to shorten. (The server refuses the same text with the
 *      same numbers, and refuses any request over its byte limit with a 413.)
 *
 * Characters are counted as the server counts them: Unicode characters, a line
 * break is one (`board/form_fields.py`). No inline scripts anywhere (CSP).
 */
(function () {
  'use strict';

  const SHOW_FROM = 0.8;         // show the counter from this share of the limit
  const ANNOUNCE_AFTER_MS = 1000; // pause in typing before the live region speaks
  const FIELDS = 'textarea[maxlength], input[maxlength]:not([type]), input[maxlength][type="text"]';

  function characters(value) {
    let n = 0;
    // Code points, not UTF-16 units: an emoji is one character, as on the server.
    for (let i = 0; i < value.length; i += 1) {
      const unit = value.charCodeAt(i);
      if (unit >= 0xD800 && unit <= 0xDBFF && i + 1 < value.length) {
        const next = value.charCodeAt(i + 1);
        if (next >= 0xDC00 && next <= 0xDFFF) {
          i += 1;
        }
      }
      n += 1;
    }
    return n;
  }

  function number(n) {
    return n.toLocaleString('en-GB');
  }

  function plural(n, word) {
    return number(n) + ' ' + word + (n === 1 ? '' : 's');
  }

  function labelOf(field) {
    const label = field.labels && field.labels[0];
    return label ? label.textContent.trim() : 'This field';
  }

  function describe(count, limit) {
    if (count > limit) {
      return 'You have ' + plural(count - limit, 'character') + ' too many';
    }
    return 'You have ' + plural(limit - count, 'character') + ' left';
  }

  function setDescribedBy(field, id, on) {
    const ids = (field.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
      .filter(function (each) { return each !== id; });
    if (on) {
      ids.push(id);
    }
    if (ids.length) {
      field.setAttribute('aria-describedby', ids.join(' '));
    } else {
      field.removeAttribute('aria-describedby');
    }
  }

  function limitOf(field) {
    return parseInt(field.getAttribute('data-maxlength'), 10);
  }

  // Fields of `form` over their limit: [{field, limit, count}].
  function problemsIn(form) {
    const problems = [];
    form.querySelectorAll('[data-maxlength]').forEach(function (field) {
      const limit = limitOf(field);
      const count = characters(field.value);
      if (count > limit) {
        problems.push({ field: field, limit: limit, count: count });
      }
    });
    return problems;
  }

  function showSummary(form, problems) {
    let summary = form.querySelector('.length-summary');
    if (!problems.length) {
      if (summary) {
        summary.remove();
      }
      return null;
    }
    if (!summary) {
      summary = document.createElement('div');
      summary.className = 'error-summary length-summary';
      summary.setAttribute('role', 'alert');
      summary.setAttribute('tabindex', '-1');
      form.insertBefore(summary, form.firstChild);
    }
    summary.textContent = '';
    const heading = document.createElement('h2');
    heading.textContent = 'Too long to send yet';
    const intro = document.createElement('p');
    intro.textContent = 'Nothing has been sent and your text is still in the box. ' +
      'Please shorten it, or split it into two posts.';
    const list = document.createElement('ul');
    problems.forEach(function (p) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = '#' + p.field.id;
      link.textContent = labelOf(p.field) + ': ' + plural(p.count, 'character') + ', ' +
        number(p.count - p.limit) + ' over the limit of ' + number(p.limit) + '.';
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.appendChild(heading);
    summary.appendChild(intro);
    summary.appendChild(list);
    return summary;
  }

  function setUp(field) {
    const limit = parseInt(field.getAttribute('maxlength'), 10);
    if (!(limit > 0) || !field.id) {
      return;
    }
    field.setAttribute('data-maxlength', String(limit));
    field.removeAttribute('maxlength');
    const serverSaidInvalid = field.getAttribute('aria-invalid') === 'true';

    const counter = document.createElement('p');
    counter.className = 'char-count';
    counter.id = field.id + '-count';
    counter.hidden = true;
    const spoken = document.createElement('p');
    spoken.className = 'visually-hidden';
    spoken.setAttribute('aria-live', 'polite');
    spoken.id = field.id + '-count-status';
    field.insertAdjacentElement('afterend', spoken);
    field.insertAdjacentElement('afterend', counter);

    let timer = null;

    function update() {
      const count = characters(field.value);
      const over = count > limit;
      const show = count >= limit * SHOW_FROM;
      const text = describe(count, limit);
      counter.hidden = !show;
      counter.textContent = show ? text : '';
      counter.classList.toggle('char-count-over', over);
      setDescribedBy(field, counter.id, show);
      if (over) {
        field.setAttribute('aria-invalid', 'true');
      } else if (!serverSaidInvalid) {
        field.removeAttribute('aria-invalid');
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        spoken.textContent = show ? text : '';
      }, ANNOUNCE_AFTER_MS);
      // A summary shown on an earlier try follows the text (and goes once all is well).
      if (field.form && field.form.querySelector('.length-summary')) {
        showSummary(field.form, problemsIn(field.form));
      }
    }

    field.addEventListener('input', update);
    update();
  }

  function checkBeforeSending(event) {
    const form = event.target;
    if (!form || !form.querySelectorAll) {
      return;
    }
    const summary = showSummary(form, problemsIn(form));
    if (summary) {
      event.preventDefault();
      event.stopPropagation(); // no "are you sure?" for a form that is not going anywhere
      summary.focus();
    }
  }

  function init() {
    document.querySelectorAll('form').forEach(function (form) {
      if ((form.getAttribute('method') || '').toLowerCase() !== 'post') {
        return;
      }
      form.querySelectorAll(FIELDS).forEach(setUp);
    });
    document.addEventListener('submit', checkBeforeSending, true);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
