import pytest
from sqlalchemy import select

from tests.conftest import log_in
from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models import AuditEvent, Invitation, Membership, OutboxMessage, User


def _invite_path(message: OutboxMessage) -> str:
    line = next(li for li in message.body_text.splitlines() if "/auth/invitations/" in li)
    assert line.startswith("https://tallybook.test/auth/invitations/")
    return line.strip().replace("https://tallybook.test", "")


def test_owner_invites_and_new_person_accepts(app, login_as):
    owner = login_as("owner")
    r = owner.client.post("/settings/members/invite", data={"email": "New.Person@example.com", "role": "bookkeeper"})
    assert r.status_code == 303
    message = db.session.scalar(select(OutboxMessage))
    assert message.to_addrs == "new.person@example.com" and message.org_id == owner.org.id
    assert owner.org.name in message.subject
    path = _invite_path(message)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.invited"))
    assert event.actor_id == owner.user.id and "new.person@example.com" in event.summary

    guest = app.test_client()
    page = guest.get(path)
    assert page.status_code == 200 and b"Create account and join" in page.data
    r = guest.post(path, data={"name": "New Person", "password": "short"})
    assert r.status_code == 422 and db.session.scalar(select(User).where(User.email == "new.person@example.com")) is None
    r = guest.post(path, data={"name": "New Person", "password": "a-good-password"})
    assert r.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "new.person@example.com"))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert (membership.org_id, membership.role) == (owner.org.id, "bookkeeper")
    assert guest.get("/").status_code == 200
    # the link works once
    assert app.test_client().get(path).status_code == 400
    members_page = owner.client.get("/settings/members").data.decode()
    assert "New Person joined as Bookkeeper" in members_page  # the history names members, not addresses


def test_existing_user_accepts_after_logging_in_and_keeps_both_orgs(app, login_as, f):
    owner = login_as("owner")
    other_owner = login_as("owner")  # someone with an organization of their own
    email = other_owner.user.email
    owner.client.post("/settings/members/invite", data={"email": email, "role": "staff"})
    path = _invite_path(db.session.scalar(select(OutboxMessage)))
    anon = app.test_client()
    assert b"Log in to accept" in anon.get(path).data
    assert anon.post(path).headers["Location"].startswith("/auth/login")
    r = other_owner.client.post(path)
    assert r.status_code == 303
    orgs = {m.org_id: m.role for m in db.session.scalars(select(Membership).where(Membership.user_id == other_owner.user.id))}
    assert orgs == {other_owner.org.id: "owner", owner.org.id: "staff"}


def test_invitation_for_someone_else_is_refused(login_as):
    owner = login_as("owner")
    stranger = login_as("owner")
    owner.client.post("/settings/members/invite", data={"email": "intended@example.com", "role": "staff"})
    path = _invite_path(db.session.scalar(select(OutboxMessage)))
    r = stranger.client.post(path)
    assert r.status_code == 422 and b"This invitation is for intended@example.com" in r.data
    assert db.session.scalar(select(Membership).where(Membership.org_id == owner.org.id,
                                                      Membership.user_id == stranger.user.id)) is None


def test_expired_and_revoked_invitations_do_not_work(app, login_as, f):
    owner = login_as("owner")
    _, token = f.invitation(owner.org, expired=True)
    assert app.test_client().get(f"/auth/invitations/{token}").status_code == 400
    inv, token = f.invitation(owner.org, email="later@example.com")
    assert owner.client.post(f"/settings/invitations/{inv.id}/revoke").status_code == 303
    assert app.test_client().get(f"/auth/invitations/{token}").status_code == 400
    assert owner.client.post(f"/settings/invitations/{inv.id}/revoke").status_code == 422


def test_inviting_an_existing_member_or_bad_input_is_422(login_as):
    owner = login_as("owner")
    r = owner.client.post("/settings/members/invite", data={"email": owner.user.email, "role": "staff"})
    assert r.status_code == 422 and b"already a member" in r.data
    r = owner.client.post("/settings/members/invite", data={"email": "x@example.com", "role": "emperor"})
    assert r.status_code == 422 and b"Not a valid choice" in r.data
    r = owner.client.post("/settings/members/invite", data={"email": "nope", "role": "staff"})
    assert r.status_code == 422 and b"Enter a valid e-mail address." in r.data
    assert db.session.scalar(select(Invitation)) is None
    assert db.session.scalar(select(OutboxMessage)) is None


def test_role_changes_and_last_owner_protection(login_as, f):
    owner = login_as("owner")
    staff = f.member(owner.org, "staff")
    r = owner.client.post(f"/settings/members/{staff.id}/role", data={f"m{staff.id}-role": "bookkeeper"})
    assert r.status_code == 303
    assert db.session.get(Membership, staff.id).role == "bookkeeper"
    own = db.session.scalar(select(Membership).where(Membership.user_id == owner.user.id))
    r = owner.client.post(f"/settings/members/{own.id}/role", data={f"m{own.id}-role": "staff"})
    assert r.status_code == 422 and b"The last owner cannot be demoted" in r.data
    r = owner.client.post(f"/settings/members/{own.id}/remove")
    assert r.status_code == 422 and b"The last owner cannot be removed" in r.data
    assert db.session.get(Membership, own.id).role == "owner"
    # with a second owner the first may step down
    owner.client.post(f"/settings/members/{staff.id}/role", data={f"m{staff.id}-role": "owner"})
    r = owner.client.post(f"/settings/members/{own.id}/role", data={f"m{own.id}-role": "staff"})
    assert r.status_code == 303 and db.session.get(Membership, own.id).role == "staff"
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("member.role_changed") == 3


def test_htmx_role_change_error_returns_the_members_partial(login_as):
    owner = login_as("owner")
    own = db.session.scalar(select(Membership).where(Membership.user_id == owner.user.id))
    r = owner.client.post(f"/settings/members/{own.id}/role", data={f"m{own.id}-role": "staff"},
                          headers={"HX-Request": "true"})
    assert r.status_code == 422
    html = r.data.decode()
    assert html.lstrip().startswith('<section id="members">') and "<html" not in html
    assert r.headers["Vary"] == "HX-Request" or "HX-Request" in r.headers["Vary"]


def test_remove_member(login_as, f):
    owner = login_as("owner")
    staff_id = f.member(owner.org, "staff").id
    assert owner.client.post(f"/settings/members/{staff_id}/remove").status_code == 303
    assert db.session.get(Membership, staff_id) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.removed")) is not None


def test_staff_and_bookkeeper_cannot_manage_settings(login_as):
    for role in ("staff", "bookkeeper"):
        actor = login_as(role)
        assert actor.client.get("/").status_code == 200
        for url in ("/settings/", "/settings/members", "/settings/numbering", "/settings/mail"):
            assert actor.client.get(url).status_code == 403, (role, url)
        # the audit log: the bookkeeper reads everything, staff does not
        assert actor.client.get("/settings/audit").status_code == (200 if role == "bookkeeper" else 403), role
        assert actor.client.post("/settings/members/invite", data={"email": "a@b.example", "role": "owner"}).status_code == 403
        assert db.session.scalar(select(Invitation)) is None


def test_org_switching(app, login_as, f):
    first = login_as("owner")
    second_org = f.organization(name="Second Shop")
    f.member(second_org, "bookkeeper", u=first.user)
    foreign_org = f.organization(name="Foreign Ltd")
    page = first.client.get("/").data.decode()
    assert first.org.name in page and "Second Shop" in page and "Foreign Ltd" not in page
    r = first.client.post(f"/auth/orgs/{second_org.id}/switch")
    assert r.status_code == 303
    page = first.client.get("/").data.decode()
    assert "<h1>Second Shop</h1>" in page
    assert first.client.get("/settings/").status_code == 403  # a bookkeeper there
    assert first.client.post(f"/auth/orgs/{foreign_org.id}/switch").status_code == 404
    assert "<h1>Second Shop</h1>" in first.client.get("/").data.decode()


def test_new_organization_makes_the_user_its_owner(login_as):
    actor = login_as("staff")
    r = actor.client.post("/auth/orgs/new", data={"org_name": "Side Project", "country": "FR"})
    assert r.status_code == 303 and r.headers["Location"] == "/settings/"
    assert b"Side Project" in actor.client.get("/settings/").data
    r = actor.client.post("/auth/orgs/new", data={"org_name": "", "country": "FR"})
    assert r.status_code == 422


def test_removed_member_loses_access(app, login_as, f):
    owner = login_as("owner")
    staff = f.member(owner.org, "staff")
    staff_client = app.test_client()
    log_in(staff_client, staff.user, owner.org)
    assert staff_client.get("/").status_code == 200
    owner.client.post(f"/settings/members/{staff.id}/remove")
    r = staff_client.get("/")
    assert r.status_code == 200 and b"not in any organization" in r.data


def test_login_picks_an_organization(client, f):
    u = f.user("multi@example.com")
    f.organization(owner=u, name="Alpha")
    client.post("/auth/login", data={"email": "multi@example.com", "password": PASSWORD})
    assert b"<h1>Alpha</h1>" in client.get("/").data


@pytest.mark.slow
def test_last_owner_check_happens_in_the_database_not_in_a_stale_view(app, login_as, f):
    """Two owners demoting each other at the same moment: the second change is refused."""
    from webapp.services import accounts

    owner = login_as("owner")
    second = f.member(owner.org, "owner")
    first_id = db.session.scalar(select(Membership.id).where(Membership.user_id == owner.user.id))
    # both requests loaded the memberships while there were still two owners
    with app.app_context():
        m1 = db.session.get(Membership, first_id)
        org1, actor1 = m1.organization, m1.user
        with app.app_context():
            m2 = db.session.get(Membership, second.id)
            org2, actor2 = m2.organization, m2.user
            assert m2.role == "owner"
            accounts.change_role(org2, actor2, m2, "staff")
            db.session.commit()
        try:
            accounts.change_role(org1, actor1, m1, "staff")
        except accounts.ActionError as exc:
            assert "last owner" in exc.message
            db.session.rollback()
        else:
            raise AssertionError("the last owner was demoted")
    roles = db.session.scalars(select(Membership.role).where(Membership.org_id == owner.org.id)).all()
    assert roles.count("owner") == 1


def test_the_invite_form_starts_at_the_least_privilege(login_as):
    import re

    owner = login_as("owner")
    html = owner.client.get("/settings/members").data.decode()
    form = html[html.index('id="invite-form"'):]
    options = re.findall(r"<option([^>]*)>", re.search(r'<select[^>]*name="role"[^>]*>(.*?)</select>', form,
                                                        re.S).group(1))
    assert 'value="staff"' in options[0] and "selected" in options[0]  # what a browser submits untouched
    assert not any("selected" in o for o in options[1:])
    # a form without the role invites as staff too, never as owner
    assert owner.client.post("/settings/members/invite", data={"email": "quiet@example.com"}).status_code == 303
    assert db.session.scalar(select(Invitation).where(Invitation.email == "quiet@example.com")).role == "staff"


def test_an_invitation_is_written_in_the_inviters_language_or_the_invitees(app, login_as, f):
    owner = login_as("owner")
    de = {"Accept-Language": "de"}
    r = owner.client.post("/settings/members/invite", data={"email": "neu@example.com", "role": "bookkeeper"},
                          headers=de)
    assert r.status_code == 303
    page = owner.client.get("/settings/members", headers=de).data.decode()
    assert "Einladung an neu@example.com gesendet." in page and "<h3>Offene Einladungen</h3>" in page
    assert "neu@example.com als Buchhaltung, bis" in page
    message = db.session.scalar(select(OutboxMessage))
    # no account yet: the language the inviter reads the app in
    assert message.subject == f"{owner.user.name} hat Sie zu {owner.org.name} bei Tallybook eingeladen"
    assert f"{owner.user.name} hat Sie eingeladen, {owner.org.name} bei Tallybook als Buchhaltung beizutreten." \
        in message.body_text
    assert "Die Einladung gilt 7 Tage." in message.body_text
    assert '<html lang="de">' in message.body_html and "Einladung annehmen" in message.body_html
    # the invitee opens the link with a French browser: the page is French
    page = app.test_client().get(_invite_path(message), headers={"Accept-Language": "fr"}).data.decode()
    assert f"Rejoindre {owner.org.name}" in page and "Créer un compte et rejoindre" in page
    assert "en tant que <strong>Comptable</strong>" in page
    # someone with an account reads it in their own language, whatever the inviter reads
    invitee = f.user("francais@example.com")
    invitee.language = "fr"
    db.session.commit()
    owner.client.post("/settings/members/invite", data={"email": "francais@example.com", "role": "staff"}, headers=de)
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addrs == "francais@example.com"))
    assert message.subject == f"{owner.user.name} vous a invité(e) à rejoindre {owner.org.name} sur Tallybook"
    assert "en tant que Collaborateur." in message.body_text and "L’invitation est valable 7 jours." in message.body_text


def test_the_members_page_and_its_messages_in_french(login_as, f):
    owner = login_as("owner")
    member = f.member(owner.org, "staff")
    fr = {"Accept-Language": "fr"}
    page = owner.client.get("/settings/members", headers=fr).data.decode()
    assert f"Membres de {owner.org.name}" in page and "Envoyer l’invitation" in page
    assert f'data-confirm="Retirer {member.user.email} de {owner.org.name} ?"' in page
    assert '<option selected value="staff">Collaborateur</option>' in page
    r = owner.client.post(f"/settings/members/{member.id}/role", data={f"m{member.id}-role": "bookkeeper"}, headers=fr)
    assert r.status_code == 303
    page = owner.client.get("/settings/members", headers=fr).data.decode()
    assert f"{member.user.email} est désormais Comptable." in page
    r = owner.client.post(f"/settings/members/{owner.user.memberships[0].id}/role",
                          data={f"m{owner.user.memberships[0].id}-role": "staff"}, headers=fr)
    assert r.status_code == 422 and "Le dernier propriétaire ne peut pas être rétrogradé." in r.data.decode()
    r = owner.client.post("/settings/members/invite", data={"email": "kaputt", "role": "staff"}, headers=fr)
    assert r.status_code == 422 and "Saisissez une adresse e-mail valide." in r.data.decode()
