"""Staff users with roles and community membership; the household sign-in principal."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.db import TenantMixin, utcnow
from app.extensions import db

ROLES = ("admin", "district", "worker", "committee")


# A hash of a random password, made like every real one: checking against it costs the same.
_TIMING_HASH = generate_password_hash(secrets.token_hex(16))


class User(UserMixin, db.Model):
    """A staff account: admin, district, worker or committee, signing in with a password."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    # District staff see every community of their district.
    district: Mapped[str] = mapped_column(String(80), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    is_staff = True
    is_household = False

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Compare a password with the stored hash."""
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def check_no_password(password: str) -> bool:
        """Spend the time a real check takes, for a username that does not exist or is
        disabled, so the answer's timing does not tell which usernames are real. Always False."""
        check_password_hash(_TIMING_HASH, password)
        return False

    def get_id(self) -> str:
        """Flask-Login identity, prefixed so staff and households never collide."""
        return f"u:{self.id}"

    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot sign in."""
        return self.active

    @property
    def actor_label(self) -> str:
        """How the audit trail names this user."""
        return f"user:{self.username}"

    def audit_state(self) -> dict:
        """Fields recorded in the audit trail (never the password hash)."""
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "district": self.district,
            "active": self.active,
            "communities": sorted(m.community_id for m in self.memberships),
        }


class Membership(TenantMixin, db.Model):
    """A staff user's membership in one community."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    user: Mapped[User] = relationship(back_populates="memberships")
    __table_args__ = (UniqueConstraint("user_id", "community_id"),)


class SignIn(db.Model):
    """One signed-in browser, kept on the server so signing out (or idling) ends it for good.

    The session cookie holds a random token; only its SHA-256 is stored. A copy of the cookie
    taken before sign-out names an ended row, and no longer signs anyone in.
    """

    __tablename__ = "sign_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # signout, idle, expired
    ended_why: Mapped[str] = mapped_column(String(20), default="")


class HouseholdPrincipal(UserMixin):
    """The signed-in household: not a user with a password, but its printed code."""

    is_staff = False
    is_household = True
    role = "household"

    def __init__(self, household):
        self.household = household

    def get_id(self) -> str:
        """Identity with the code generation: rotating the code ends this session."""
        return f"h:{self.household.id}:{self.household.code_generation}"

    @property
    def actor_label(self) -> str:
        """How the audit trail names this household."""
        return f"household:{self.household.id}"
