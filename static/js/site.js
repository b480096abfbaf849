/*
 * Circle — small progressive enhancements.
 *
 * Every page works without this file. It is loaded with `defer`, so the
 * document has been parsed by the time it runs. No inline scripts are used
 * anywhere (the Content-Security-Policy forbids them).
 *
 *   1. Confirm before destructive submits       ([data-confirm] on a form or button)
 *   2. Move focus to the form error summary     (#error-summary)
 *   3. Text-size control                        (.text-size-control [data-text-size])
 *   4. Live story signature preview            ([data-signature-preview])
 *   5. Exact local time as a tooltip            (time[datetime])
 */
(function () {
  'use strict';

  const TEXT_SIZES = ['normal', 'large', 'larger'];
  const ANONYMOUS = 'A member of Circle';

  /* ---------------------------------------------------------------- */
  /* 1. Confirm before submitting                                       */
  /* ---------------------------------------------------------------- */

  // Remember the last submit button clicked, for browsers without
  // SubmitEvent.submitter.
  let lastSubmitter = null;

  document.addEventListener('click', function (event) {
    const button = event.target.closest && event.target.closest('button, input[type="submit"]');
    if (button && button.form) {
      lastSubmitter = button;
    }
  }, true);

  document.addEventListener('submit', function (event) {
    const form = event.target;
    let submitter = event.submitter;
    if (!submitter && lastSubmitter && lastSubmitter.form === form) {
      submitter = lastSubmitter;
    }
    lastSubmitter = null;

    const text = (submitter && submitter.getAttribute('data-confirm')) ||
                 form.getAttribute('data-confirm');
    if (text && !window.confirm(text)) {
      event.preventDefault();
    }
  });

  /* ---------------------------------------------------------------- */
  /* 2. Focus the error summary so it is read out first                */
  /* ---------------------------------------------------------------- */

  function focusErrorSummary() {
    const summary = document.getElementById('error-summary');
    if (!summary) {
      return;
    }
    if (!summary.hasAttribute('tabindex')) {
      summary.setAttribute('tabindex', '-1');
    }
    summary.focus();
  }

  /* ---------------------------------------------------------------- */
  /* 3. Text-size control                                              */
  /* ---------------------------------------------------------------- */

  function applyTextSize(size) {
    const root = document.documentElement;
    TEXT_SIZES.forEach(function (name) {
      root.classList.remove('text-' + name);
    });
    root.classList.add('text-' + size);
  }

  function currentTextSize() {
    const root = document.documentElement;
    for (const name of TEXT_SIZES) {
      if (root.classList.contains('text-' + name)) {
        return name;
      }
    }
    return 'normal';
  }

  function markPressed(size) {
    document.querySelectorAll('.text-size-control [data-text-size]').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-text-size') === size));
    });
  }

  function saveTextSizeCookie(size) {
    let cookie = 'text_size=' + encodeURIComponent(size) +
                 '; path=/; max-age=31536000; SameSite=Lax';
    if (window.location.protocol === 'https:') {
      cookie += '; Secure';
    }
    document.cookie = cookie;
  }

  function setUpTextSizeControl() {
    markPressed(currentTextSize());

    document.addEventListener('click', function (event) {
      const button = event.target.closest && event.target.closest('[data-text-size]');
      if (!button) {
        return;
      }
      const form = button.closest('form.text-size-control');
      if (!form) {
        return;
      }
      const size = button.getAttribute('data-text-size');
      if (TEXT_SIZES.indexOf(size) === -1) {
        return;
      }

      applyTextSize(size);
      markPressed(size);
      saveTextSizeCookie(size);

      // Members' choice is also saved on the server: let those forms submit.
      if (!form.hasAttribute('data-submit')) {
        event.preventDefault();
      }
    });
  }

  /* ---------------------------------------------------------------- */
  /* 4. Story signature preview                                        */
  /* ---------------------------------------------------------------- */

  const SIGNATURE_FIELDS = ['signature', 'sig_first_name', 'sig_last_initial', 'city', 'region'];

  // The value of a named control (text input, select or radio group),
  // or null when the form has no such control.
  function fieldValue(form, name) {
    const control = form.elements ? form.elements.namedItem(name) : null;
    if (!control) {
      return null;
    }
    return String(control.value || '').trim();
  }

  // "l." / "Lee" -> "L"
  function initialOf(value) {
    const letters = Array.from(String(value || '').replace(/[.\s]/g, ''));
    return letters.length ? letters[0].toUpperCase() : '';
  }

  function signatureText(style, parts) {
    const name = [parts.first, parts.initial ? parts.initial + '.' : '']
      .filter(Boolean).join(' ');

    switch (style) {
      case 'full':
        return [name, parts.city, parts.region].filter(Boolean).join(', ');
      case 'initial':
        return name;
      case 'first':
        return parts.first;
      case 'display':
        return parts.displayName;
      case 'anonymous':
        return ANONYMOUS;
      default:
        return null; // unknown style: leave the preview as the server drew it
    }
  }

  function setUpSignaturePreview() {
    const preview = document.querySelector('[data-signature-preview]');
    if (!preview) {
      return;
    }
    const styleControl = document.querySelector('[name="signature"]');
    const form = preview.closest('form') || (styleControl && styleControl.form);
    if (!form) {
      return;
    }

    function update() {
      const firstInput = fieldValue(form, 'sig_first_name');
      const initialInput = fieldValue(form, 'sig_last_initial');
      const parts = {
        first: firstInput !== null ? firstInput : (preview.getAttribute('data-first-name') || '').trim(),
        initial: initialOf(initialInput !== null ? initialInput : preview.getAttribute('data-last-initial')),
        city: fieldValue(form, 'city') || '',
        region: fieldValue(form, 'region') || '',
        displayName: (preview.getAttribute('data-display-name') || '').trim()
      };
      const text = signatureText(fieldValue(form, 'signature'), parts);
      if (text !== null) {
        // Never show an empty signature: fall back to the anonymous form.
        preview.textContent = text || ANONYMOUS;
      }
    }

    function onChange(event) {
      const name = event.target && event.target.name;
      if (SIGNATURE_FIELDS.indexOf(name) !== -1) {
        update();
      }
    }

    form.addEventListener('input', onChange);
    form.addEventListener('change', onChange);
    update();
  }

  /* ---------------------------------------------------------------- */
  /* 5. Exact local time on hover                                      */
  /* ---------------------------------------------------------------- */

  function formatLocal(date) {
    try {
      return date.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
    } catch (error) {
      return date.toLocaleString(); // older engines without dateStyle
    }
  }

  function setUpTimeTitles() {
    document.querySelectorAll('time[datetime]').forEach(function (el) {
      if (el.hasAttribute('title')) {
        return;
      }
      const date = new Date(el.getAttribute('datetime'));
      if (!isNaN(date.getTime())) {
        el.setAttribute('title', formatLocal(date));
      }
    });
  }

  /* The browser's time zone, remembered in a `tz` cookie on the first visit, so the server can
     show times in it (until a member chooses one in her profile). Without JavaScript: UTC. */
  function rememberTimeZone() {
    let zone = '';
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
    } catch (e) {
      return;
    }
    if (!zone || zone.length > 64 || document.cookie.split('; ').indexOf('tz=' + encodeURIComponent(zone)) !== -1) {
      return;
    }
    let cookie = 'tz=' + encodeURIComponent(zone) + '; path=/; max-age=31536000; SameSite=Lax';
    if (window.location.protocol === 'https:') {
      cookie += '; Secure';
    }
    document.cookie = cookie;
  }

  /* The "Text size and theme" drop-down on wide screens closes with Escape (focus back on its
     button) or a click elsewhere, as a menu does. Without script it opens and closes on click. */
  function setUpDisplayMenu() {
    const menu = document.querySelector('.display-menu');
    if (!menu) {
      return;
    }
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && menu.open) {
        menu.open = false;
        menu.querySelector('summary').focus();
      }
    });
    document.addEventListener('click', function (event) {
      if (menu.open && !menu.contains(event.target)) {
        menu.open = false;
      }
    });
  }

  /* ---------------------------------------------------------------- */
  /* Start                                                             */
  /* ---------------------------------------------------------------- */

  function init() {
    setUpTextSizeControl();
    setUpDisplayMenu();
    setUpSignaturePreview();
    setUpTimeTitles();
    rememberTimeZone();
    focusErrorSummary();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
