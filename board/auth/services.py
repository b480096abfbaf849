"""Accounts: registration, authentication and profiles."""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select

from board.auth.passwords import dummy_verify, hash_password, needs_rehash, password_problem, verify_password
from board.countries import is_country
from board.extensions import db
from board.markup import clean_line, clean_text, render_markdown
from board.models import User, utcnow
from board.models.user import IDENTITIES

USERNAME_RE = re.compile(r"^[a-z0-9_-]{3,30}$")
BIO_MAX = 1000


class AccountError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class EmailInUse(AccountError):
    """register_user: the address already has an account (the web never says so)."""


def normalize_username(username: str | None) -> str:
    return clean_line(username).lower()


def check_username(username: str) -> str:
    username = normalize_username(username)
    if not USERNAME_RE.match(username):
        raise AccountError(
            "Usernames are 3 to 30 characters: letters a–z, digits, dashes (-) and underscores (_).", "username"
        )
    return username


def normalize_email(email: str | None) -> str:
    email = clean_line(email)
    if not email or len(email) > 254:
        raise AccountError("Please enter a valid email address, like name@example.com.", "email")
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError("Please enter a valid email address, like name@example.com.", "email") from exc
    return result.normalized.lower()


def find_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalize_username(username)))


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def username_taken(username: str) -> bool:
    return find_by_username(username) is not None


def register_user(username: str, email: str, password: str, *, verified: bool = False) -> User:
    """Create an account. Raises AccountError (with the field) when something needs fixing."""
    username = check_username(username)
    email = normalize_email(email)
    problem = password_problem(password or "", username, email)
    if problem:
        raise AccountError(problem, "password")
    if username_taken(username):
        raise AccountError("That username is taken. Please choose another.", "username")
    if find_by_email(email) is not None:
        # Never shown on the web (sign_up answers as for a new account); the CLI says it.
        raise EmailInUse("An account with that email address already exists.", None)
    user = User(
        username=username, email=email, password_hash=hash_password(password),
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(identifier: str, password: str) -> User | None:
    """The account for this username or email and password, or None. Same work either way."""
    identifier = clean_line(identifier).lower()[:254]
    user = None
    if identifier:
        user = db.session.scalar(
            select(User).where(or_(User.username == identifier, User.email == identifier))
        )
    if user is None or not user.password_hash or user.deleted_at is not None:
        dummy_verify(password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def login_refusal(user: User) -> str | None:
    """Why a correct password still cannot log in (told only after the password matched)."""
    if user.memorial_at is not None:
        return "This account is kept in memory of a member and can no longer be used to log in."
    if user.is_suspended():
        until = user.suspended_until
        when = "until further notice" if until.year >= 9000 else f"until {until.strftime('%d %B %Y at %H:%M UTC')}"
        reason = f" Reason: {user.suspension_reason}" if user.suspension_reason else ""
        return f"Your account is suspended {when}.{reason}"
    return None


def update_profile(user: User, *, display_name: str, city: str, region: str, identity: str, bio: str,
                   country: str | None = None, time_zone: str | None = None) -> User:
    identity = identity or ""
    if identity not in IDENTITIES:
        raise AccountError("Please choose one of the options.", "identity")
    if time_zone is not None:
        from board.templating import zone_named

        if time_zone and zone_named(time_zone) is None:
            raise AccountError("Please choose a time zone from the list.", "time_zone")
        user.time_zone = time_zone
    if country is not None:
        if country and not is_country(country):
            raise AccountError("Please choose a country from the list.", "country")
        user.country = country
    bio = clean_text(bio).strip()
    if len(bio) > BIO_MAX:
        raise AccountError(f"Please keep your bio to {BIO_MAX} characters or fewer.", "bio")
    user.display_name = clean_line(display_name)[:60]
    user.city = clean_line(city)[:80]
    user.region = clean_line(region)[:80]
    user.identity = identity
    user.bio_source = bio
    user.bio_html = render_markdown(bio)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.username, user.email or "")
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = hash_password(password)
    user.rotate_session_token()


# ---------------------------------------------------------------- sign-up, verification, recovery
#
# Every answer a stranger can see is the same whether or not an address has an account:
# the differences only show up in the mail that the address's owner receives.

def _can_receive_account_mail(user: User | None) -> bool:
    return bool(user is not None and user.email and user.deleted_at is None and user.memorial_at is None)


def sign_up(username: str, email: str, password: str, *, accepted_guidelines: bool = False) -> User | None:
    """Web registration. A new account gets a verification link; an address that already
    has an account gets a "someone tried to sign up" mail instead, and the caller answers
    both the same way. Returns the new member, or None for a used address.

    `accepted_guidelines`: she ticked the box; the time is kept on the account."""
    try:
        user = register_user(username, email, password)
    except EmailInUse:
        hash_password(password or "")  # spend the time a new account would have taken
        owner = find_by_email(normalize_email(email))
        if _can_receive_account_mail(owner):
            from board.mail import absolute_url, queue_mail, render_mail

            queue_mail(owner.email, "Someone tried to join Circle with your email address", render_mail(
                "signup_attempt", user=owner, login_url=absolute_url("auth.login"),
                reset_url=absolute_url("auth.reset_request"),
            ), "signup_attempt")
        return None
    if accepted_guidelines:
        user.guidelines_accepted_at = utcnow()
    send_verification(user)
    return user


def send_verification(user: User, email: str | None = None) -> None:
    """Queue a verification link (to `email` for an address change, else the account's)."""
    from board.auth.tokens import VERIFY_MAX_AGE, make_verify_token
    from board.mail import absolute_url, queue_mail, render_mail

    address = email or user.email
    change = bool(email and email != user.email)
    link = absolute_url("auth.verify", token=make_verify_token(user, address))
    subject = "Please confirm your new email address for Circle" if change else "Please confirm your email address for Circle"
    queue_mail(address, subject, render_mail(
        "verify", user=user, link=link, change=change, hours=VERIFY_MAX_AGE // 3600,
    ), "verify")


def resend_verification(user: User) -> bool:
    """A new link for a logged-in member who hasn't confirmed yet. False if already confirmed."""
    if user.email_verified_at is not None or not _can_receive_account_mail(user):
        return False
    send_verification(user)
    return True


def resend_verification_to(email: str) -> None:
    """The same for someone who isn't logged in: silent whether or not the address is known."""
    try:
        address = normalize_email(email)
    except AccountError:
        return
    user = find_by_email(address)
    if user is not None and user.email_verified_at is None and _can_receive_account_mail(user):
        send_verification(user)


def check_verify_link(token: str) -> tuple[User, str]:
    """(member, address) for a usable verification link; raises tokens.LinkProblem."""
    from board.auth.tokens import read_verify_token

    return read_verify_token(token)


def confirm_email(token: str) -> User:
    """Use a verification link: confirms the address, or switches to a newly confirmed one."""
    from board.auth.tokens import LinkProblem, read_verify_token

    user, address = read_verify_token(token)
    if address == user.email:
        user.email_verified_at = utcnow()
        db.session.flush()
        return user
    other = find_by_email(address)
    if other is not None and other.id != user.id:
        raise LinkProblem("taken")
    old = user.email
    user.email = address
    user.email_verified_at = utcnow()
    db.session.flush()
    if old:
        from board.mail import absolute_url, queue_mail, render_mail

        queue_mail(old, "Your Circle email address was changed", render_mail(
            "email_changed", user=user, new_email=address, reset_url=absolute_url("auth.reset_request"),
        ), "email_changed")
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset link if the address has an account. Silent either way."""
    from board.auth.tokens import RESET_MAX_AGE, make_reset_token
    from board.mail import absolute_url, queue_mail, render_mail

    try:
        address = normalize_email(email)
    except AccountError:
        return
    user = find_by_email(address)
    if not _can_receive_account_mail(user):
        return
    link = absolute_url("auth.reset_password", token=make_reset_token(user))
    queue_mail(user.email, "Reset your Circle password", render_mail(
        "reset", user=user, link=link, minutes=RESET_MAX_AGE // 60,
    ), "password_reset")


def check_reset_link(token: str) -> User:
    from board.auth.tokens import read_reset_token

    return read_reset_token(token)


def _password_changed_mail(user: User) -> None:
    from board.mail import absolute_url, queue_mail, render_mail

    if _can_receive_account_mail(user):
        queue_mail(user.email, "Your Circle password was changed", render_mail(
            "password_changed", user=user, reset_url=absolute_url("auth.reset_request"),
        ), "password_changed")


def reset_password(token: str, password: str) -> User:
    """Use a reset link: set the new password (ends every other session). Opening the
    link proves the inbox is theirs, so an unconfirmed address becomes confirmed."""
    from board.auth.tokens import read_reset_token

    user = read_reset_token(token)
    set_password(user, password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    _password_changed_mail(user)
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash or "", current_password or ""):
        raise AccountError("That isn't your current password. Please try again.", "current_password")
    if current_password == new_password:
        raise AccountError("Your new password is the same as your current one. Please choose a different one.",
                           "new_password")
    try:
        set_password(user, new_password or "")
    except AccountError as exc:
        raise AccountError(exc.message, "new_password") from exc
    _password_changed_mail(user)
    db.session.flush()


def request_email_change(user: User, current_password: str, new_email: str) -> str:
    """Send a confirmation link to the new address; the old one stays until it is used.
    Returns the normalized new address. Answers the same if the address is someone else's
    (and sends nothing then), so this can't be used to find out who is a member."""
    if not verify_password(user.password_hash or "", current_password or ""):
        raise AccountError("That isn't your current password. Please try again.", "current_password")
    try:
        address = normalize_email(new_email)
    except AccountError as exc:
        raise AccountError(exc.message, "email") from exc
    if address == user.email:
        raise AccountError("That is already your email address.", "email")
    if find_by_email(address) is None:
        send_verification(user, address)
        if user.email and user.email_verified_at is not None:
            from board.mail import absolute_url, queue_mail, render_mail

            queue_mail(user.email, "A change of email address was asked for on Circle", render_mail(
                "email_change_requested", user=user, new_email=mask_email(address),
                reset_url=absolute_url("auth.reset_request"),
            ), "email_change_requested")
    db.session.flush()
    return address


def mask_email(address: str) -> str:
    """m***@example.org: enough to recognise, not enough to read out."""
    local, _, domain = (address or "").partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def log_out_everywhere(user: User) -> None:
    """End every session and remember-me cookie of this member, on every device."""
    user.rotate_session_token()
    db.session.flush()
