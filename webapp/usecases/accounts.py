"""Accounts: sign up, log in and out, passwords and their reset, accepting an invitation, a new organization.
These act for a person before (or beside) any organization; the web keeps the login session itself."""
from __future__ import annotations

from webapp.domain.errors import ActionError
from webapp.i18n import UI_LANGUAGES
from webapp.models import Invitation, Membership, Organization, User
from webapp.models.types import utcnow
from webapp.services import accounts, orgs
from webapp.usecases import usecase


@usecase
def sign_up(name: str, email: str, password: str, org_name: str, country: str) -> tuple[User, Organization]:
    return accounts.sign_up(name=name, email=email, password=password, org_name=org_name, country=country)


@usecase
def log_in(email: str, password: str) -> User:
    user = accounts.authenticate(email, password)
    if user is None:
        raise ActionError("wrong_credentials", "E-mail or password is wrong.", "password")
    user.last_login_at = utcnow()
    return user


@usecase
def log_out(user: User) -> None:
    user.end_all_sessions()  # this and every other session of the user ends


@usecase
def request_password_reset(email: str) -> None:
    accounts.request_password_reset(email)


@usecase
def reset_password(token: str, password: str) -> User:
    return accounts.reset_password(token, password)


@usecase
def change_password(user: User, current: str, new: str) -> None:
    accounts.change_password(user, current, new)


@usecase
def set_language(user: User, language: str) -> User:
    """The language the app speaks to ``user``: one of ``UI_LANGUAGES``, or "" for automatic (the browser's,
    else the organization's)."""
    language = (language or "").strip()
    if language and language not in UI_LANGUAGES:
        raise ActionError("invalid_language", "Choose one of the languages.", "language")
    user.language = language
    return user


@usecase
def accept_invitation(invitation: Invitation, user: User | None, new_password: str = "", name: str = ""
                      ) -> tuple[User, Membership]:
    """Join with the invitation: as the logged-in ``user``, or as a new account for its address."""
    if user is None:
        if accounts.find_user(invitation.email) is not None:
            raise ActionError("login_required", "An account with this e-mail exists: log in to accept.")
        user = accounts.create_user(invitation.email, new_password, name)
    return user, accounts.accept_invitation(invitation, user)


@usecase
def create_organization(user: User, name: str, country: str) -> Organization:
    return orgs.create_organization(name, country, user)
