"""Users and their password-reset tokens."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

PASSWORD_MIN_LENGTH = 10


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200), default="")
    # the language the app speaks to the user: "en", "de", "fr", or "" (the browser's, else the organization's)
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the session id: bumping it ends every session and remember-me cookie of the user.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", cascade="all, delete-orphan")  # noqa: F821

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    def set_password(self, password: str) -> None:
        if len(password) < PASSWORD_MIN_LENGTH:
            raise ValueError(f"password shorter than {PASSWORD_MIN_LENGTH} characters")
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_all_sessions(self) -> None:
        self.session_version = (self.session_version or 1) + 1

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class PasswordResetToken(db.Model):
    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()
