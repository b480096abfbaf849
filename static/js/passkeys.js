/* Passkeys and security keys (WebAuthn) for Circle: adding one on /settings/security and
   using one as the second step of logging in. Progressive enhancement: the parts of the
   page marked .js-only stay hidden unless this script runs in a browser that has WebAuthn;
   the authenticator-app code and recovery codes work without it. */
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function b64urlToBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function bufferToB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: body === undefined ? "{}" : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok || data.ok === false) {
          throw new Error(data.error || (response.status === 429
            ? "Too many tries. Please wait a few minutes and try again."
            : "Something went wrong. Please try again."));
        }
        return data;
      });
    });
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      var d = { type: c.type, id: b64urlToBuffer(c.id) };
      if (c.transports) { d.transports = c.transports; }
      return d;
    });
  }

  function credentialJSON(credential) {
    var r = credential.response;
    var out = { id: credential.id, rawId: bufferToB64url(credential.rawId), type: credential.type,
                clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
                response: { clientDataJSON: bufferToB64url(r.clientDataJSON) } };
    if (credential.authenticatorAttachment) { out.authenticatorAttachment = credential.authenticatorAttachment; }
    if (r.attestationObject) {
      out.response.attestationObject = bufferToB64url(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = bufferToB64url(r.authenticatorData);
      out.response.signature = bufferToB64url(r.signature);
      if (r.userHandle) { out.response.userHandle = bufferToB64url(r.userHandle); }
    }
    return out;
  }

  function say(button, text) {
    var scope = button.closest("section, .js-only") || document;
    var status = scope.querySelector("[data-passkey-status]") || document.querySelector("[data-passkey-status]");
    if (status) { status.textContent = text; }
  }

  function failed(button, error) {
    button.disabled = false;
    var message = error && error.name === "NotAllowedError"
      ? "The passkey request was cancelled or timed out. You can try again."
      : (error && error.message) || "Something went wrong. Please try again.";
    say(button, message);
  }

  function register(button) {
    var csrf = button.getAttribute("data-csrf");
    var nameInput = document.getElementById("passkey-name");
    button.disabled = true;
    say(button, "Follow your browser's steps to create the passkey…");
    post(button.getAttribute("data-options-url"), csrf).then(function (options) {
      var publicKey = Object.assign({}, options, {
        challenge: b64urlToBuffer(options.challenge),
        user: Object.assign({}, options.user, { id: b64urlToBuffer(options.user.id) }),
        excludeCredentials: descriptors(options.excludeCredentials)
      });
      return navigator.credentials.create({ publicKey: publicKey });
    }).then(function (credential) {
      return post(button.getAttribute("data-verify-url"), csrf, {
        name: nameInput ? nameInput.value : "", credential: credentialJSON(credential)
      });
    }).then(function (data) {
      say(button, "Your passkey is added.");
      window.location.assign(data.redirect);
    }).catch(function (error) { failed(button, error); });
  }

  function login(button) {
    var csrf = button.getAttribute("data-csrf");
    button.disabled = true;
    say(button, "Follow your browser's steps to use your passkey…");
    post(button.getAttribute("data-options-url"), csrf).then(function (options) {
      var publicKey = Object.assign({}, options, {
        challenge: b64urlToBuffer(options.challenge),
        allowCredentials: descriptors(options.allowCredentials)
      });
      return navigator.credentials.get({ publicKey: publicKey });
    }).then(function (credential) {
      return post(button.getAttribute("data-verify-url"), csrf, credentialJSON(credential));
    }).then(function (data) {
      say(button, "Confirmed. Logging you in…");
      window.location.assign(data.redirect);
    }).catch(function (error) { failed(button, error); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll("[data-passkey-register]").forEach(function (button) {
      button.addEventListener("click", function () { register(button); });
    });
    document.querySelectorAll("[data-passkey-login]").forEach(function (button) {
      button.addEventListener("click", function () { login(button); });
    });
  });
}());
