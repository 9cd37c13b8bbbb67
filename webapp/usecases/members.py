"""Members of an organization: invite by e-mail, change a role, remove a member, revoke an invitation.
The last owner can be neither demoted nor removed."""
from __future__ import annotations

from webapp.models import Invitation, Membership
from webapp.services import accounts
from webapp.usecases import Actor, load, usecase


@usecase
def invite(actor: Actor, email: str, role: str) -> Invitation:
    actor.require("manage_members")
    return accounts.invite(actor.org, actor.user, email, role)


@usecase
def change_role(actor: Actor, membership_id: int, role: str) -> Membership:
    actor.require("manage_members")
    membership = load(actor, Membership, membership_id, "member")
    accounts.change_role(actor.org, actor.user, membership, role)
    return membership


@usecase
def remove_member(actor: Actor, membership_id: int) -> Membership:
    actor.require("manage_members")
    membership = load(actor, Membership, membership_id, "member")
    accounts.remove_member(actor.org, actor.user, membership)
    return membership


@usecase
def revoke_invitation(actor: Actor, invitation_id: int) -> Invitation:
    actor.require("manage_members")
    invitation = load(actor, Invitation, invitation_id, "invitation")
    accounts.revoke_invitation(actor.org, actor.user, invitation)
    return invitation
