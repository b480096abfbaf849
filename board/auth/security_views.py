"""Two-factor authentication and sessions: the login's second step, /settings/security,
and the "was this you?" link. Thin: board/auth/twofactor.py and sessions.py decide."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from board.auth import bp, sessions, twofactor
from board.auth.forms import ConfirmForm
from board.auth.passwords import verify_password
from board.auth.security_forms import CodeForm, PasswordConfirmForm, RecoveryForm, WelcomerForm
from board.auth.twofactor import TwoFactorError
from board.extensions import db
from board.models import Welcomer
from board.permissions import staff_second_factor_detour
from board.security import second_factor_limits

WEBAUTHN_CHALLENGE = "circle_webauthn"


# ---------------------------------------------------------------- every request

@bp.before_app_request
def _staff_second_factor_and_last_seen():
    sessions.touch()
    return staff_second_factor_detour()


bp.after_app_request(sessions.set_device_cookie)


def _json_error(message: str, code: int = 400):
    return jsonify(ok=False, error=message), code


def _challenge(purpose: str) -> bytes | None:
    data = session.pop(WEBAUTHN_CHALLENGE, None)
    if not isinstance(data, dict) or data.get("p") != purpose or not isinstance(data.get("c"), str):
        return None
    try:
        return bytes.fromhex(data["c"])
    except ValueError:
        return None


def _keep_challenge(purpose: str, challenge: bytes) -> None:
    session[WEBAUTHN_CHALLENGE] = {"p": purpose, "c": challenge.hex()}


# ---------------------------------------------------------------- the login's second step

def _pending_or_login():
    pending = sessions.pending_login()
    if pending is None:
        flash("Please log in again (the second step waits only a few minutes).", "info")
    return pending


def _second_step_page(user, code_form=None, recovery_form=None, code=200):
    return render_template(
        "auth/two_factor.html", status=twofactor.status(user), code_form=code_form or CodeForm(),
        recovery_form=recovery_form or RecoveryForm(), noindex=True,
    ), code


@bp.route("/auth/two-factor", methods=["GET", "POST"])
@second_factor_limits
def two_factor():
    if current_user.is_authenticated:
        return redirect(url_for("forum.index"))
    pending = _pending_or_login()
    if pending is None:
        return redirect(url_for("auth.login"))
    user, data = pending
    form = CodeForm()
    if request.method == "GET":
        return _second_step_page(user)
    if form.validate_on_submit():
        if twofactor.verify_totp(user, form.code.data):
            target = sessions.finish_pending_login(user, data, "totp")
            db.session.commit()
            flash("You're logged in. Welcome back.", "success")
            return redirect(target)
        db.session.rollback()
        form.code.errors.append("That code didn't work. Codes change every 30 seconds and each works once: "
                                "wait for the next one and try again.")
    return _second_step_page(user, code_form=form, code=400)


@bp.post("/auth/two-factor/recovery")
@second_factor_limits
def two_factor_recovery():
    pending = _pending_or_login()
    if pending is None:
        return redirect(url_for("auth.login"))
    user, data = pending
    form = RecoveryForm()
    if form.validate_on_submit():
        if twofactor.use_recovery_code(user, form.recovery_code.data):
            left = twofactor.status(user).recovery_left
            target = sessions.finish_pending_login(user, data, "recovery")
            sessions.security_mail(user, "recovery_used", "A recovery code was used to log in to Circle",
                                   left=left)
            db.session.commit()
            flash(f"You're logged in with a recovery code. It can't be used again; you have {left} left. "
                  "If you lost your phone or key, set up a new one now.", "warning")
            return redirect(url_for("auth.settings_security"))
        db.session.rollback()
        form.recovery_code.errors.append("That recovery code didn't work. Each code works once.")
    return _second_step_page(user, recovery_form=form, code=400)


@bp.post("/auth/two-factor/passkey/options")
def two_factor_passkey_options():
    pending = sessions.pending_login()
    if pending is None:
        return _json_error("Please log in again.", 401)
    try:
        options, challenge = twofactor.authentication_options(pending[0])
    except TwoFactorError as exc:
        return _json_error(exc.message)
    _keep_challenge("login", challenge)
    return _options_json(options)


@bp.post("/auth/two-factor/passkey")
@second_factor_limits
def two_factor_passkey():
    pending = sessions.pending_login()
    if pending is None:
        return _json_error("Please log in again.", 401)
    user, data = pending
    try:
        twofactor.verify_passkey(user, request.get_data(cache=False, as_text=True), _challenge("login"))
    except TwoFactorError as exc:
        db.session.rollback()
        return _json_error(exc.message)
    target = sessions.finish_pending_login(user, data, "passkey")
    db.session.commit()
    flash("You're logged in. Welcome back.", "success")
    return jsonify(ok=True, redirect=target)


def _options_json(options_json: str):
    """The options exactly as the library serialised them."""
    return current_app.response_class(options_json, mimetype="application/json")


# ---------------------------------------------------------------- /settings/security

def _security_page(code=200, password_form=None):
    info = sessions.current()
    return render_template(
        "auth/settings_security.html", status=twofactor.status(current_user), passkeys=twofactor.passkeys_of(current_user),
        sessions=sessions.active_sessions(current_user), this_session=info.id if info else None,
        password_form=password_form or PasswordConfirmForm(), confirm_form=ConfirmForm(),
        origin_ok=request.host_url.rstrip("/") == twofactor.expected_origin(), origin=twofactor.expected_origin(),
        noindex=True,
    ), code


@bp.get("/settings/security")
@login_required
def settings_security():
    return _security_page()


@bp.route("/settings/security/app", methods=["GET", "POST"])
@login_required
@second_factor_limits
def security_totp():
    try:
        pending = twofactor.pending_totp(current_user)
    except TwoFactorError as exc:
        flash(exc.message, "info")
        return redirect(url_for("auth.settings_security"))
    form = CodeForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            codes = twofactor.confirm_totp(current_user, form.code.data)
        except TwoFactorError as exc:
            db.session.commit()  # keep the key being set up
            form.code.errors.append(exc.message)
        else:
            sessions.mark_second_factor("totp")
            db.session.commit()
            return render_template("auth/security_recovery_codes.html", codes=codes, first=True, noindex=True)
    else:
        db.session.commit()
    uri = twofactor.provisioning_uri(current_user, pending.secret)
    return render_template(
        "auth/security_totp.html", form=form, qr=twofactor.qr_data_uri(uri), key=twofactor.spaced(pending.secret),
        noindex=True,
    ), 400 if request.method == "POST" else 200


def _password_ok(form) -> bool:
    if not form.validate_on_submit():
        return False
    if not verify_password(current_user.password_hash or "", form.password.data or ""):
        form.password.errors.append("That isn't your password. Please try again.")
        return False
    return True


def _staff_keeps_one(removing_all: bool = False) -> bool:
    """Moderators and admins can't turn their last second factor off."""
    if not current_user.is_staff:
        return False
    status = twofactor.status(current_user)
    remaining = (0 if removing_all else (status.passkeys if status.totp else status.passkeys - 1))
    return remaining < 1


@bp.post("/settings/security/app/off")
@login_required
def security_totp_off():
    form = PasswordConfirmForm()
    if not _password_ok(form):
        return _security_page(400, password_form=form)
    if _staff_keeps_one(removing_all=not twofactor.status(current_user).passkeys):
        flash("Moderators and admins must keep two-factor authentication on. Add a passkey first if you want "
              "to stop using the app.", "error")
        return redirect(url_for("auth.settings_security"))
    if twofactor.disable_totp(current_user):
        twofactor.after_factor_removed(current_user)
        _factor_removed_mail("authenticator app")
    db.session.commit()
    flash("Your authenticator app no longer works for Circle.", "info")
    return redirect(url_for("auth.settings_security"))


@bp.post("/settings/security/recovery-codes")
@login_required
def security_recovery_codes():
    form = PasswordConfirmForm()
    if not _password_ok(form):
        return _security_page(400, password_form=form)
    if not twofactor.status(current_user).enabled:
        flash("Turn on two-factor authentication first.", "info")
        return redirect(url_for("auth.settings_security"))
    codes = twofactor.new_recovery_codes(current_user)
    db.session.commit()
    return render_template("auth/security_recovery_codes.html", codes=codes, first=False, noindex=True)


@bp.post("/settings/security/passkeys/options")
@login_required
def security_passkey_options():
    try:
        options, challenge = twofactor.registration_options(current_user)
    except TwoFactorError as exc:
        return _json_error(exc.message)
    _keep_challenge("register", challenge)
    return _options_json(options)


@bp.post("/settings/security/passkeys")
@login_required
@second_factor_limits
def security_passkey_add():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _json_error("That passkey response couldn't be read.")
    name = payload.get("name") if isinstance(payload.get("name"), str) else ""
    try:
        twofactor.register_passkey(current_user, payload.get("credential"), _challenge("register"), name)
    except TwoFactorError as exc:
        db.session.rollback()
        return _json_error(exc.message)
    first = not twofactor.status(current_user).recovery_left
    codes = twofactor.new_recovery_codes(current_user) if first else []
    sessions.mark_second_factor("passkey")
    db.session.commit()
    if codes:
        session["circle_show_codes"] = codes  # shown once, on the next page
        return jsonify(ok=True, redirect=url_for("auth.security_codes_once"))
    flash("Your passkey is added. You can use it when you log in.", "success")
    return jsonify(ok=True, redirect=url_for("auth.settings_security"))


@bp.get("/settings/security/new-codes")
@login_required
def security_codes_once():
    codes = session.pop("circle_show_codes", None)
    if not codes:
        return redirect(url_for("auth.settings_security"))
    return render_template("auth/security_recovery_codes.html", codes=codes, first=True, noindex=True)


@bp.post("/settings/security/passkeys/<int:credential_id>/remove")
@login_required
def security_passkey_remove(credential_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if credential_id not in {key.id for key in twofactor.passkeys_of(current_user)}:
        abort(404)
    if _staff_keeps_one():
        flash("Moderators and admins must keep two-factor authentication on: add another passkey or the "
              "authenticator app before removing this one.", "error")
        return redirect(url_for("auth.settings_security"))
    twofactor.remove_passkey(current_user, credential_id)
    twofactor.after_factor_removed(current_user)
    _factor_removed_mail("passkey")
    db.session.commit()
    flash("That passkey is removed.", "info")
    return redirect(url_for("auth.settings_security"))


def _factor_removed_mail(what: str) -> None:
    off = not twofactor.has_second_factor(current_user)
    subject = ("Two-factor authentication was turned off on your Circle account" if off
               else f"A {what} was removed from your Circle account")
    sessions.security_mail(current_user, "two_factor_off", subject, what=what, off=off)


@bp.post("/settings/security/sessions/<int:session_id>/end")
@login_required
def security_end_session(session_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    info = sessions.current()
    if not sessions.end_session(current_user, session_id):
        abort(404)
    db.session.commit()
    if info is not None and info.id == session_id:
        logout_user()
        session.clear()
        flash("You're logged out on this device.", "info")
        return redirect(url_for("auth.login"))
    flash("That session is ended: that device is logged out.", "success")
    return redirect(url_for("auth.settings_security"))


@bp.post("/settings/security/sessions/end-others")
@login_required
def security_end_others():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    info = sessions.current()
    n = sessions.end_all(current_user, except_id=info.id if info else None)
    db.session.commit()
    flash(f"Logged out {n} other session{'s' if n != 1 else ''}." if n else "There were no other sessions.",
          "success")
    return redirect(url_for("auth.settings_security"))


@bp.route("/auth/sessions/end/<token>", methods=["GET", "POST"])
def end_session_from_mail(token: str):
    """The "this wasn't me" link in a new-login mail: GET asks, POST ends that session."""
    row = sessions.read_end_link(token)
    if row is None:
        return render_template("auth/end_session.html", row=None, form=ConfirmForm(), token=token, noindex=True), 404
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        sessions.end_session(row.user, row.id)
        db.session.commit()
        return render_template("auth/end_session.html", row=row, ended=True, form=form, token=token, noindex=True)
    return render_template("auth/end_session.html", row=row, ended=row.ended_at is not None, form=form,
                           token=token, noindex=True)


# ---------------------------------------------------------------- welcomers (notification settings)

@bp.post("/settings/notifications/welcomer")
@login_required
def welcomer():
    form = WelcomerForm()
    if not form.validate_on_submit():
        abort(400)
    row = db.session.get(Welcomer, current_user.id)
    if form.welcomer.data and row is None:
        db.session.add(Welcomer(user_id=current_user.id))
        flash("Thank you. We'll tell you when a newcomer's first thread is waiting for a reply.", "success")
    elif not form.welcomer.data and row is not None:
        db.session.delete(row)
        flash("We won't tell you about newcomers' unanswered threads any more.", "info")
    db.session.commit()
    return redirect(url_for("following.settings") if "following.settings" in current_app.view_functions else
                    url_for("auth.settings_security"))


@bp.app_template_global()
def is_welcomer(user) -> bool:
    return db.session.scalar(select(Welcomer.user_id).where(Welcomer.user_id == user.id)) is not None
