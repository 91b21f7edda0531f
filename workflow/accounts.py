"""Logins of the web app and the JSON API: argon2 password hashes, bearer tokens kept as their
sha256, the admin flag and inspecting organisations' jurisdictions.

Passwords never leave this module: callers hand one in and get a user or an error back.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.display import quote
from storage.errors import InvalidInput, NotFound
from workflow.clock import utcnow
from workflow.engine import get_user
from workflow.models import Account, ApiToken, Jurisdiction, Organisation, User

#: Shortest and longest password accepted (argon2 takes any length; 1 KiB bounds the work).
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
#: How long an API token lives.
TOKEN_LIFETIME = timedelta(days=30)

_hasher = PasswordHasher()
#: Verified against when the user does not exist, so both refusals take the same time.
_DUMMY_HASH = _hasher.hash("yitaotu-no-such-user")
BAD_LOGIN = "用户名或密码错误 wrong user name or password"


class LoginFailed(InvalidInput):
    """Wrong user name or password (one message for both: names are not disclosed)."""


def check_password(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"密码长度须为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符 a password has "
                           f"{MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if password != password.strip() or any(ord(c) < 32 for c in password):
        raise InvalidInput("密码不得含控制字符或首尾空白 no control characters or surrounding "
                           "spaces in a password")
    return password


def set_password(s: Session, user: str, password: str, *, admin: bool | None = None
                 ) -> Account:
    """Set (or replace) ``user``'s password; ``admin`` sets the admin flag when given."""
    check_password(password)
    u = get_user(s, user)
    acc = s.get(Account, u.id)
    digest = _hasher.hash(password)
    if acc is None:
        acc = Account(user_id=u.id, password_hash=digest, admin=bool(admin), updated=utcnow())
        s.add(acc)
    else:
        acc.password_hash, acc.updated = digest, utcnow()
        if admin is not None:
            acc.admin = admin
    s.flush()
    return acc


def authenticate(s: Session, user: str, password: str) -> User:
    """The user whose password this is, else :class:`LoginFailed` (same for unknown names)."""
    name = (user or "").strip()
    u = s.scalar(select(User).where(User.name == name)) if name else None
    acc = s.get(Account, u.id) if u is not None else None
    try:
        _hasher.verify(acc.password_hash if acc else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        raise LoginFailed(BAD_LOGIN) from None
    if u is None or acc is None:
        raise LoginFailed(BAD_LOGIN)
    if _hasher.check_needs_rehash(acc.password_hash):
        acc.password_hash = _hasher.hash(password)
    return u


def session_stamp(s: Session, user: User) -> str:
    """Changes whenever the password does: a web session carries it, so setting a new
    password ends every session made with the old one."""
    acc = s.get(Account, user.id)
    return hashlib.sha256((acc.password_hash if acc else "").encode()).hexdigest()[:16]


def is_admin(s: Session, user: User) -> bool:
    acc = s.get(Account, user.id)
    return bool(acc and acc.admin)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(s: Session, user: str, *, now: datetime | None = None) -> str:
    """A new bearer token for ``user`` (shown once; only its sha256 is kept)."""
    u = get_user(s, user)
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    s.execute(delete(ApiToken).where(ApiToken.user_id == u.id, ApiToken.expires < now))
    s.add(ApiToken(digest=_digest(token), user_id=u.id, created=now,
                   expires=now + TOKEN_LIFETIME))
    s.flush()
    return token


def user_for_token(s: Session, token: str, *, now: datetime | None = None) -> User | None:
    """The user a live token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    row = s.scalar(select(ApiToken).where(ApiToken.digest == _digest(token)))
    if row is None or row.expires <= (now or utcnow()):
        return None
    return s.get(User, row.user_id)


def normalise_division(text: str) -> str:
    """``110000`` -> ``11``, ``110100`` -> ``1101``: the prefix a division code stands for."""
    d = (text or "").strip()
    if not (d.isascii() and d.isdigit() and len(d) in (2, 4, 6)):
        raise InvalidInput(f"行政区划代码须为 2、4 或 6 位数字 a division code has 2, 4 or 6 "
                           f"digits: {quote(text)}")
    while len(d) > 2 and d.endswith("00"):
        d = d[:-2]
    return d


def add_jurisdiction(s: Session, org: str, division: str) -> Jurisdiction:
    """Let inspecting organisation ``org`` see the projects of ``division`` (read-only)."""
    o = s.scalar(select(Organisation).where(Organisation.name == (org or "").strip()))
    if o is None:
        raise NotFound(f"单位不存在 no such organisation: {quote(org)}")
    d = normalise_division(division)
    row = s.scalar(select(Jurisdiction).where(Jurisdiction.org_id == o.id,
                                              Jurisdiction.division == d))
    if row is None:
        row = Jurisdiction(org_id=o.id, division=d)
        s.add(row)
        s.flush()
    return row


def jurisdictions(s: Session, user: User) -> list[str]:
    return list(s.scalars(select(Jurisdiction.division)
                          .where(Jurisdiction.org_id == user.org_id)
                          .order_by(Jurisdiction.division)))
