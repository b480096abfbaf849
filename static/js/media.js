/* Pictures (board/media), progressive enhancement only: every form works without this file.
   - Upload fieldsets [data-media-upload]: drag and drop, paste, a preview of each picture,
     the spare picture fields revealed one at a time, and upload progress.
   - Moderation cards [data-media-review]: the picture stays blurred until "Show the picture".
   - Profile picture [data-avatar-form]: drag a square frame over the photo to choose the crop.
   Previews use data: URLs (the CSP allows img-src 'self' data:, not blob:). */
(function () {
  'use strict';

  function readAsDataURL(file, done) {
    if (!window.FileReader || !file || !/^image\//.test(file.type || '')) { return; }
    const reader = new FileReader();
    reader.onload = function () { done(reader.result); };
    reader.readAsDataURL(file);
  }

  function preview(slot, file) {
    const box = slot.querySelector('[data-media-preview]');
    if (!box) { return; }
    box.textContent = '';
    if (!file) { return; }
    const note = document.createElement('p');
    note.className = 'meta';
    note.textContent = 'Chosen: ' + file.name + ' (' + Math.max(1, Math.round(file.size / 1024)) + ' KB)';
    box.appendChild(note);
    readAsDataURL(file, function (url) {
      const img = document.createElement('img');
      img.src = url;
      img.alt = '';
      box.insertBefore(img, note);
    });
  }

  function setUpUploads(fieldset) {
    fieldset.classList.add('js-media');
    const slots = Array.from(fieldset.querySelectorAll('[data-media-slot]'));
    const drop = fieldset.querySelector('[data-media-drop]');
    const form = fieldset.closest('form');

    function reveal(slot) { slot.classList.remove('media-slot-spare'); }
    function isFree(slot) {
      const input = slot.querySelector('[data-media-file]');
      return input && input.files.length === 0 && !slot.querySelector('input[name^="kept_"]');
    }
    function place(files) {
      let placed = 0;
      Array.from(files).forEach(function (file) {
        if (!/^image\//.test(file.type || '') && !/\.(heic|heif)$/i.test(file.name || '')) { return; }
        const slot = slots.find(isFree);
        if (!slot || !window.DataTransfer) { return; }
        const transfer = new DataTransfer();
        transfer.items.add(file);
        const input = slot.querySelector('[data-media-file]');
        input.files = transfer.files;
        reveal(slot);
        preview(slot, file);
        placed += 1;
        const next = slots[slots.indexOf(slot) + 1];
        if (next) { reveal(next); }
        const alt = slot.querySelector('[data-media-alt]');
        if (alt && placed === 1) { alt.focus(); }
      });
      return placed;
    }

    slots.forEach(function (slot, i) {
      const input = slot.querySelector('[data-media-file]');
      input.addEventListener('change', function () {
        preview(slot, input.files[0]);
        if (input.files.length && slots[i + 1]) { reveal(slots[i + 1]); }
      });
    });

    if (drop && 'draggable' in drop && window.DataTransfer) {
      drop.hidden = false;
      ['dragenter', 'dragover'].forEach(function (name) {
        form.addEventListener(name, function (event) {
          if (!event.dataTransfer || Array.from(event.dataTransfer.types || []).indexOf('Files') === -1) { return; }
          event.preventDefault();
          drop.classList.add('is-over');
        });
      });
      ['dragleave', 'drop'].forEach(function (name) {
        form.addEventListener(name, function () { drop.classList.remove('is-over'); });
      });
      form.addEventListener('drop', function (event) {
        if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
        event.preventDefault();
        place(event.dataTransfer.files);
      });
    }
    form.addEventListener('paste', function (event) {
      const files = event.clipboardData && event.clipboardData.files;
      if (files && files.length && place(files)) { event.preventDefault(); }
    });

    // Upload progress: send the form with XMLHttpRequest when it carries files, then show
    // where the server sent us (or the refused form, with its messages, as the server wrote it).
    const progress = fieldset.querySelector('[data-media-progress]');
    form.addEventListener('submit', function (event) {
      const submitter = event.submitter;
      if (event.defaultPrevented || !window.FormData || !progress) { return; }
      if (submitter && submitter.hasAttribute('formaction')) { return; }  // "Save draft" goes its own way
      const hasFiles = slots.some(function (slot) { return slot.querySelector('[data-media-file]').files.length; });
      if (!hasFiles) { return; }
      event.preventDefault();
      const data = new FormData(form);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
      const xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      progress.hidden = false;
      progress.setAttribute('aria-label', 'Sending your pictures');
      xhr.upload.addEventListener('progress', function (e) {
        if (e.lengthComputable) {
          progress.value = Math.round((e.loaded / e.total) * 100);
          progress.textContent = progress.value + '%';
        }
      });
      xhr.addEventListener('load', function () {
        // Show the page the server answered with (the post after its redirect, with its "thank you"
        // message, or the refused form with its messages), at the address it came from.
        const moved = xhr.responseURL && xhr.responseURL !== form.action;
        document.open();
        document.write(xhr.responseText);
        document.close();
        if (moved && window.history && history.replaceState) { history.replaceState(null, '', xhr.responseURL); }
      });
      xhr.addEventListener('error', function () { progress.hidden = true; form.submit(); });
      Array.from(form.querySelectorAll('button[type="submit"]')).forEach(function (b) { b.disabled = true; });
      xhr.send(data);
    });
  }

  function setUpReview(figure) {
    const button = figure.querySelector('[data-media-reveal]');
    if (!button) { return; }
    button.addEventListener('click', function () {
      const shown = figure.classList.toggle('is-revealed');
      button.setAttribute('aria-pressed', shown ? 'true' : 'false');
      button.textContent = shown ? 'Blur the picture again' : 'Show the picture';
    });
  }

  function setUpAvatar(form) {
    const file = form.querySelector('[data-avatar-file]');
    const box = form.querySelector('[data-avatar-crop]');
    const fields = {x: form.querySelector('[data-crop="x"]'), y: form.querySelector('[data-crop="y"]'),
                    size: form.querySelector('[data-crop="size"]')};
    if (!file || !box || !fields.x) { return; }
    file.addEventListener('change', function () {
      box.textContent = '';
      box.hidden = true;
      readAsDataURL(file.files[0], function (url) {
        const img = document.createElement('img');
        img.alt = 'Your photo: drag the square to choose what shows';
        const frame = document.createElement('div');
        frame.className = 'avatar-crop-frame';
        box.appendChild(img);
        box.appendChild(frame);
        box.hidden = false;
        img.onload = function () {
          let size = 1;
          let x = 0;
          let y = 0;
          function draw() {
            const w = img.clientWidth;
            const h = img.clientHeight;
            const side = Math.min(w, h) * size;
            x = Math.min(Math.max(x, 0), 1 - side / w);
            y = Math.min(Math.max(y, 0), 1 - side / h);
            frame.style.width = side + 'px';
            frame.style.height = side + 'px';
            frame.style.left = (x * w) + 'px';
            frame.style.top = (y * h) + 'px';
            fields.x.value = x.toFixed(3);
            fields.y.value = y.toFixed(3);
            fields.size.value = size.toFixed(3);
          }
          let start = null;
          frame.addEventListener('pointerdown', function (e) {
            start = {px: e.clientX, py: e.clientY, x: x, y: y};
            frame.setPointerCapture(e.pointerId);
          });
          frame.addEventListener('pointermove', function (e) {
            if (!start) { return; }
            x = start.x + (e.clientX - start.px) / img.clientWidth;
            y = start.y + (e.clientY - start.py) / img.clientHeight;
            draw();
          });
          frame.addEventListener('pointerup', function () { start = null; });
          ['x', 'y', 'size'].forEach(function (key) {
            fields[key].addEventListener('input', function () {
              const v = parseFloat(fields[key].value);
              if (isNaN(v)) { return; }
              if (key === 'x') { x = v; } else if (key === 'y') { y = v; } else { size = Math.min(Math.max(v, 0.1), 1); }
              draw();
            });
          });
          draw();
        };
        img.src = url;
      });
    });
  }

  document.querySelectorAll('[data-media-upload]').forEach(setUpUploads);
  document.querySelectorAll('[data-media-review]').forEach(setUpReview);
  document.querySelectorAll('[data-avatar-form]').forEach(setUpAvatar);
}());
