"""Accounts and memberships: sign-up, passwords, resets, invitations, roles."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update

from webapp.domain.roles import OWNER, ROLE_LABELS, ROLES
from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.i18n import customer_language, user_language
from webapp.models import Invitation, Membership, Organization, PasswordResetToken, User
from webapp.models.types import utcnow
from webapp.services import audit, mail, orgs
from webapp.services.tokens import hash_token, new_token

RESET_TOKEN_LIFETIME = timedelta(hours=1)
INVITATION_LIFETIME = timedelta(days=7)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(email: str, password: str, name: str = "") -> User:
    email = normalize_email(email)
    if find_user(email) is not None:
        raise ActionError("email_taken", "An account with this e-mail already exists. Log in instead.", "email")
    user = User(email=email, name=name.strip())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(*, name: str, email: str, password: str, org_name: str, country: str) -> tuple[User, Organization]:
    user = create_user(email, password, name)
    org = orgs.create_organization(org_name, country, user)
    return user, org


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None:
        # Same work as a real check, so timing does not reveal which e-mails exist.
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    return user if user.check_password(password) else None


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise ActionError("wrong_password", "That is not your current password.", "current_password")
    user.set_password(new)
    user.end_all_sessions()


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; do the same visible work either way."""
    user = find_user(email)
    if user is None:
        return
    token, token_hash = new_token()
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=token_hash,
                                      expires_at=utcnow() + RESET_TOKEN_LIFETIME))
    with customer_language(user_language(user)):  # in the user's language, whoever's browser asked
        mail.queue(kind="password_reset", to=user.email, template="password_reset",
                   context={"user": user, "link": mail.external_url("auth.reset_password", token=token),
                            "hours": int(RESET_TOKEN_LIFETIME.total_seconds() // 3600)})


def valid_reset_token(token: str) -> PasswordResetToken | None:
    row = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def reset_password(token: str, new_password: str) -> User:
    row = valid_reset_token(token)
    if row is None:
        raise ActionError("reset_link_invalid", "This reset link has expired or was already used. Ask for a new one.")
    now = utcnow()
    # Spend the token with a conditional UPDATE: of two simultaneous uses, only one gets the row.
    spent = db.session.execute(
        update(PasswordResetToken).where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if not spent:
        raise ActionError("reset_link_invalid", "This reset link has expired or was already used. Ask for a new one.")
    user = db.session.get(User, row.user_id)
    user.set_password(new_password)
    user.end_all_sessions()
    # Every other open token of the user is spent too.
    db.session.execute(update(PasswordResetToken).where(
        PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)).values(used_at=now))
    db.session.flush()
    return user


# --- memberships -----------------------------------------------------------------------------------

def _lock_members(org: Organization) -> None:
    """Serialize membership changes of one organization (a row lock on PostgreSQL)."""
    db.session.execute(select(Organization.id).where(Organization.id == org.id).with_for_update())


def _keeps_an_owner(org: Organization, membership: Membership):
    """SQL condition: some owner other than ``membership`` remains. Checked inside the UPDATE/DELETE itself."""
    others = select(func.count()).select_from(Membership).where(
        Membership.org_id == org.id, Membership.role == OWNER, Membership.id != membership.id).scalar_subquery()
    return others > 0


def invite(org: Organization, actor: User, email: str, role: str) -> Invitation:
    email = normalize_email(email)
    if role not in ROLES:
        raise ActionError("invalid_role", "Choose one of the roles.", "role")
    existing_member = db.session.scalar(
        select(Membership).join(User).where(Membership.org_id == org.id, User.email == email))
    if existing_member is not None:
        raise ActionError("already_member", "{email} is already a member of {organization}.", "email", email=email,
                          organization=org.name)
    now = utcnow()
    for old in db.session.scalars(select(Invitation).where(
            Invitation.org_id == org.id, Invitation.email == email,
            Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))):
        old.revoked_at = now  # a new invitation replaces an open one
    token, token_hash = new_token()
    invitation = Invitation(org_id=org.id, email=email, role=role, token_hash=token_hash,
                            invited_by_id=actor.id, expires_at=now + INVITATION_LIFETIME)
    db.session.add(invitation)
    db.session.flush()
    # in the invitee's language if they have an account, else in the one the inviter reads the app in
    with customer_language(user_language(find_user(email), org)):
        mail.queue(kind="invitation", to=email, org=org, template="invitation",
                   context={"org": org, "inviter": actor, "role": ROLE_LABELS[role],
                            "link": mail.external_url("auth.accept_invitation", token=token),
                            "days": INVITATION_LIFETIME.days})
    audit.record(org, actor, "member.invited", invitation,
                 summary=f"{actor.email} invited {email} as {ROLE_LABELS[role]}", email=email, role=role)
    return invitation


def revoke_invitation(org: Organization, actor: User, invitation: Invitation) -> None:
    if not invitation.is_pending:
        raise ActionError("invitation_closed", "This invitation is no longer open.")
    invitation.revoked_at = utcnow()
    audit.record(org, actor, "member.invitation_revoked", invitation,
                 summary=f"{actor.email} revoked the invitation of {invitation.email}", email=invitation.email)


def pending_invitation(token: str) -> Invitation | None:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    return invitation if invitation is not None and invitation.is_pending else None


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    if not invitation.is_pending:
        raise ActionError("invitation_closed", "This invitation has expired, was revoked or was already used.")
    if normalize_email(user.email) != invitation.email:
        raise ActionError("invitation_other_email", "This invitation is for {email}. Log in with that address to accept it.",
                          email=invitation.email)
    membership = db.session.scalar(select(Membership).where(
        Membership.org_id == invitation.org_id, Membership.user_id == user.id))
    if membership is None:
        membership = Membership(org_id=invitation.org_id, user_id=user.id, role=invitation.role)
        db.session.add(membership)
    invitation.accepted_at = utcnow()
    db.session.flush()
    audit.record(invitation.organization, user, "member.joined", membership,
                 summary=f"{user.email} joined as {ROLE_LABELS[membership.role]}", email=user.email,
                 role=membership.role)
    return membership


def change_role(org: Organization, actor: User, membership: Membership, role: str) -> None:
    if role not in ROLES:
        raise ActionError("invalid_role", "Choose one of the roles.", "role")
    if membership.role == role:
        return
    _lock_members(org)
    old = membership.role
    stmt = update(Membership).where(Membership.id == membership.id).values(role=role)
    if old == OWNER:
        stmt = stmt.where(_keeps_an_owner(org, membership))
    if not db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount:
        raise ActionError("last_owner", "The last owner cannot be demoted. Make someone else an owner first.", "role")
    db.session.refresh(membership)
    audit.record(org, actor, "member.role_changed", membership,
                 summary=f"{actor.email} changed {membership.user.email} from {ROLE_LABELS[old]} to {ROLE_LABELS[role]}",
                 email=membership.user.email, old=old, new=role)


def remove_member(org: Organization, actor: User, membership: Membership) -> None:
    _lock_members(org)
    email, role, membership_id = membership.user.email, membership.role, membership.id
    stmt = delete(Membership).where(Membership.id == membership_id)
    if role == OWNER:
        stmt = stmt.where(_keeps_an_owner(org, membership))
    if not db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount:
        raise ActionError("last_owner", "The last owner cannot be removed. Make someone else an owner first.")
    db.session.expunge(membership)
    audit.record(org, actor, "member.removed", membership,
                 summary=f"{actor.email} removed {email}", email=email, role=role)


_DUMMY_HASH = (
    "scrypt:32768:8:1$0123456789abcdef$"
    "8c7d1f0b2f5c2a1a9f0b7e6d5c4b3a29180716253443526170819203a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
)
