"""Second factors: authenticator-app codes (TOTP, RFC 6238, pyotp), ten single-use
recovery codes, and passkeys / security keys (WebAuthn, the `webauthn` library).

Rules (services, no Flask views here; the caller commits):

- A TOTP code is accepted for the current 30-second step or one step either side (clock
  drift), compared in constant time for all three steps. A step, once used, can't be
  used again: the accepted step is stored with a conditional UPDATE (`last_step < step`),
  so two requests racing with the same code can't both win.
- Recovery codes are 80 random bits shown once and stored as SHA-256 (they are random,
  so a slow hash adds nothing); every unused code is compared, in constant time.
- WebAuthn: the challenge lives in the signed session for one ceremony; the expected
  origin and RP ID come from configuration (BOARD_WEBAUTHN_ORIGIN, else BOARD_BASE_URL),
  never from the request. Any malformed or foreign response is a TwoFactorError.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, exists, func, or_, select, update
from webauthn import (
    generate_authentication_options, generate_registration_options, options_to_json,
    verify_authentication_response, verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor, ResidentKeyRequirement,
    UserVerificationRequirement,
)

from board.extensions import db
from board.models import RecoveryCode, TotpSecret, User, WebAuthnCredential, utcnow
from board.models.base import as_utc

STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
PENDING_SECRET_MINUTES = 30
MAX_PASSKEYS = 10
MAX_CREDENTIAL_JSON = 20_000


class TwoFactorError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Status:
    totp: bool
    passkeys: int
    recovery_left: int

    @property
    def enabled(self) -> bool:
        return self.totp or self.passkeys > 0


# ---------------------------------------------------------------- status

def has_second_factor(user: User) -> bool:
    """One query: a confirmed authenticator app or at least one passkey."""
    totp = exists().where(TotpSecret.user_id == user.id, TotpSecret.confirmed_at.is_not(None))
    keys = exists().where(WebAuthnCredential.user_id == user.id)
    return bool(db.session.scalar(select(or_(totp, keys))))


def status(user: User) -> Status:
    totp = select(func.count()).where(TotpSecret.user_id == user.id, TotpSecret.confirmed_at.is_not(None))
    keys = select(func.count()).where(WebAuthnCredential.user_id == user.id)
    codes = select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    row = db.session.execute(select(totp.scalar_subquery(), keys.scalar_subquery(), codes.scalar_subquery())).one()
    return Status(totp=bool(row[0]), passkeys=int(row[1]), recovery_left=int(row[2]))


def passkeys_of(user: User) -> list[WebAuthnCredential]:
    return list(db.session.scalars(
        select(WebAuthnCredential).where(WebAuthnCredential.user_id == user.id).order_by(WebAuthnCredential.id)))


# ---------------------------------------------------------------- authenticator app (TOTP)

def pending_totp(user: User) -> TotpSecret:
    """The key being set up: kept for half an hour so reloading the page keeps the same QR code."""
    row = db.session.get(TotpSecret, user.id)
    if row is not None and row.confirmed_at is not None:
        raise TwoFactorError("Your authenticator app is already set up. Turn it off first to use a new one.")
    now = utcnow()
    if row is None:
        row = TotpSecret(user_id=user.id, secret=pyotp.random_base32(32), created_at=now)
        db.session.add(row)
    elif (now - as_utc(row.created_at)).total_seconds() > PENDING_SECRET_MINUTES * 60:
        row.secret, row.created_at, row.last_step = pyotp.random_base32(32), now, None
    db.session.flush()
    return row


def provisioning_uri(user: User, secret: str) -> str:
    issuer = current_app.config.get("BOARD_SITE_NAME", "Circle")
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=user.username, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URI (drawn here; no outside service)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#1b1b1b", light="#ffffff")


def spaced(secret: str) -> str:
    """The key in groups of four, easier to type in by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _clean_code(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-")[:64]


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step `code` belongs to (now ± DRIFT_STEPS), checking every step in constant time."""
    code = _clean_code(code)
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int((now if now is not None else time.time()) // STEP_SECONDS)
    found = None
    candidate = code.encode() if code.isdigit() and len(code) == 6 else b"-" * 6
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        expected = totp.generate_otp(step).encode()
        if hmac.compare_digest(expected, candidate) and found is None:
            found = step
    return found


def _accept_step(user_id: int, step: int) -> bool:
    """Record `step` as used, only if no later or equal step was used (atomic)."""
    result = db.session.execute(
        update(TotpSecret)
        .where(TotpSecret.user_id == user_id, or_(TotpSecret.last_step.is_(None), TotpSecret.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def confirm_totp(user: User, code: str) -> list[str]:
    """Finish setting up the app with its first code; returns new recovery codes (shown once)."""
    row = db.session.get(TotpSecret, user.id)
    if row is None or row.confirmed_at is not None:
        raise TwoFactorError("Please start again: open the set-up page to get a new key.")
    step = _matching_step(row.secret, code)
    if step is None or not _accept_step(user.id, step):
        raise TwoFactorError("That code doesn't match. Check the time on your phone and type the newest code.")
    db.session.refresh(row)
    row.confirmed_at = utcnow()
    db.session.flush()
    return new_recovery_codes(user)


def verify_totp(user: User, code: str) -> bool:
    """A code from the member's app, not used before. False for a wrong or replayed code."""
    row = db.session.scalar(select(TotpSecret).where(TotpSecret.user_id == user.id,
                                                     TotpSecret.confirmed_at.is_not(None)))
    if row is None:
        _matching_step(pyotp.random_base32(32), code)  # same work either way
        return False
    step = _matching_step(row.secret, code)
    return step is not None and _accept_step(user.id, step)


def disable_totp(user: User) -> bool:
    result = db.session.execute(delete(TotpSecret).where(TotpSecret.user_id == user.id))
    return result.rowcount > 0


# ---------------------------------------------------------------- recovery codes

def _hash_code(code: str) -> str:
    return hashlib.sha256(_clean_code(code).lower().encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Ten new codes (the old ones stop working). Returned once; only their hashes are kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits, 16 characters
        code = "-".join(raw[i:i + 4] for i in range(0, 16, 4))
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(code)))
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one recovery code. Every unused code is compared (constant time); a code works once."""
    wanted = _hash_code(code).encode()
    rows = db.session.execute(
        select(RecoveryCode.id, RecoveryCode.code_hash)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    match = None
    for row_id, code_hash in rows:
        if hmac.compare_digest(code_hash.encode(), wanted) and match is None:
            match = row_id
    if match is None or len(_clean_code(code)) != 16:
        return False
    result = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == match, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# ---------------------------------------------------------------- passkeys (WebAuthn)

def expected_origin() -> str:
    """The site's origin as browsers see it. 127.0.0.1 can't be a WebAuthn RP ID, so in
    development (the default BOARD_BASE_URL) passkeys work at http://localhost:PORT."""
    configured = current_app.config.get("BOARD_WEBAUTHN_ORIGIN") or current_app.config.get("BOARD_BASE_URL", "")
    parts = urlsplit(configured)
    host = parts.hostname or "localhost"
    if host == "127.0.0.1":
        host = "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'https'}://{host}{port}"


def rp_id() -> str:
    return urlsplit(expected_origin()).hostname or "localhost"


def _user_handle(user: User) -> bytes:
    """A stable, opaque WebAuthn user handle (never the username or the id in clear)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"webauthn-user:{user.id}".encode(), hashlib.sha256).digest()[:32]


def registration_options(user: User) -> tuple[str, bytes]:
    """(options JSON for navigator.credentials.create, challenge to keep in the session)."""
    existing = [PublicKeyCredentialDescriptor(id=c.credential_id) for c in passkeys_of(user)]
    if len(existing) >= MAX_PASSKEYS:
        raise TwoFactorError(f"You already have {MAX_PASSKEYS} passkeys. Remove one to add another.")
    options = generate_registration_options(
        rp_id=rp_id(), rp_name=current_app.config.get("BOARD_SITE_NAME", "Circle"),
        user_name=user.username, user_id=_user_handle(user), user_display_name=user.public_name,
        exclude_credentials=existing,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options), options.challenge


def _credential_json(raw) -> dict:
    if isinstance(raw, (bytes, str)):
        if len(raw) > MAX_CREDENTIAL_JSON:
            raise TwoFactorError("That passkey response is too large.")
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise TwoFactorError("That passkey response couldn't be read.") from exc
    if not isinstance(raw, dict):
        raise TwoFactorError("That passkey response couldn't be read.")
    return raw


def register_passkey(user: User, credential, challenge: bytes | None, name: str = "") -> WebAuthnCredential:
    if not challenge:
        raise TwoFactorError("That passkey request has expired. Please try again.")
    data = _credential_json(credential)
    try:
        verified = verify_registration_response(
            credential=data, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=expected_origin(),
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        current_app.logger.info("passkey registration refused: %s", exc)
        raise TwoFactorError("Your passkey couldn't be added. Please try again.") from exc
    if db.session.scalar(select(WebAuthnCredential.id).where(
            WebAuthnCredential.credential_id == verified.credential_id)) is not None:
        raise TwoFactorError("That passkey is already registered.")
    transports = data.get("response", {}).get("transports") if isinstance(data.get("response"), dict) else None
    transports = ",".join(t for t in (transports or []) if isinstance(t, str))[:120]
    row = WebAuthnCredential(
        user_id=user.id, credential_id=verified.credential_id, public_key=verified.credential_public_key,
        sign_count=verified.sign_count, transports=transports,
        name=(" ".join((name or "").split())[:60] or "Passkey"),
    )
    db.session.add(row)
    db.session.flush()
    return row


def authentication_options(user: User) -> tuple[str, bytes]:
    allowed = [PublicKeyCredentialDescriptor(id=c.credential_id) for c in passkeys_of(user)]
    if not allowed:
        raise TwoFactorError("You have no passkeys yet.")
    options = generate_authentication_options(
        rp_id=rp_id(), allow_credentials=allowed, user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


def _b64url_decode(value) -> bytes:
    if not isinstance(value, str) or len(value) > 2048:
        raise TwoFactorError("That passkey response couldn't be read.")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError) as exc:
        raise TwoFactorError("That passkey response couldn't be read.") from exc


def verify_passkey(user: User, credential, challenge: bytes | None) -> WebAuthnCredential:
    """Check a passkey assertion for `user`; updates its counter. TwoFactorError otherwise."""
    if not challenge:
        raise TwoFactorError("That passkey request has expired. Please try again.")
    data = _credential_json(credential)
    raw_id = _b64url_decode(data.get("rawId") or data.get("id"))
    row = db.session.scalar(select(WebAuthnCredential).where(
        WebAuthnCredential.credential_id == raw_id, WebAuthnCredential.user_id == user.id))
    if row is None:
        raise TwoFactorError("That passkey isn't registered to your account.")
    try:
        verified = verify_authentication_response(
            credential=data, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=expected_origin(), credential_public_key=row.public_key,
            credential_current_sign_count=row.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        current_app.logger.info("passkey assertion refused: %s", exc)
        raise TwoFactorError("That passkey couldn't be checked. Please try again.") from exc
    row.sign_count = verified.new_sign_count
    row.last_used_at = utcnow()
    db.session.flush()
    return row


def remove_passkey(user: User, credential_id: int) -> bool:
    result = db.session.execute(delete(WebAuthnCredential).where(
        WebAuthnCredential.id == credential_id, WebAuthnCredential.user_id == user.id))
    return result.rowcount > 0


# ---------------------------------------------------------------- turning it all off

def disable_all(user: User) -> None:
    """Remove every second factor (the member's own choice, or an admin's reset)."""
    db.session.execute(delete(TotpSecret).where(TotpSecret.user_id == user.id))
    db.session.execute(delete(WebAuthnCredential).where(WebAuthnCredential.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def after_factor_removed(user: User) -> None:
    """When the last factor goes, the recovery codes go with it."""
    if not has_second_factor(user):
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        db.session.flush()
