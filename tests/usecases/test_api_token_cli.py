"""`flask api-token create|list|revoke` and the demo's token from `flask seed-demo`."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.security.test_tenancy import table_contents
from webapp.cli import DEMO_EMAIL
from webapp.extensions import db
from webapp.models import ApiToken, AuditEvent
from webapp.services import api_tokens


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_create_by_email_prints_only_a_token_that_works(runner, f):
    boss = f.user("boss@example.com")
    org = f.organization(owner=boss, name="Boss Ltd")
    last_day = date.today() + timedelta(days=10)
    r = runner.invoke(args=["api-token", "create", "--email", "Boss@Example.com", "--role", "Bookkeeper",
                            "--name", "Export", "--expires", last_day.isoformat()])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip()
    assert "\n" not in token and token.startswith("tb_")
    row = api_tokens.find(token)
    assert row is not None
    assert (row.org_id, row.name, row.role, row.created_by_id) == (org.id, "Export", "bookkeeper", boss.id)
    assert row.expires_at.date() == last_day
    assert "Export" in r.stderr and "Boss Ltd" in r.stderr and token not in r.stderr
    assert token not in repr(table_contents())
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "api_token.created")) == boss.id


def test_create_by_email_takes_the_first_organization_the_user_owns(runner, f):
    user = f.user("multi@example.com")
    member_of = f.organization(name="Not mine")
    f.member(member_of, "staff", user)
    first = f.organization(owner=user, name="First")
    f.organization(owner=user, name="Second")
    r = runner.invoke(args=["api-token", "create", "--email", user.email, "--role", "owner", "--name", "CI"])
    assert r.exit_code == 0, r.output
    assert api_tokens.find(r.stdout.strip()).org_id == first.id


def test_create_by_org_id_acts_as_its_first_owner(runner, f):
    org = f.organization(name="Shop GmbH")
    first_owner = next(m.user for m in org.memberships if m.role == "owner")
    f.member(org, "owner")
    r = runner.invoke(args=["api-token", "create", "--org-id", str(org.id), "--role", "staff", "--name", "Shop"])
    assert r.exit_code == 0, r.output
    row = api_tokens.find(r.stdout.strip())
    assert (row.org_id, row.role, row.created_by_id, row.expires_at) == (org.id, "staff", first_owner.id, None)


def test_bad_arguments_write_nothing(runner, f):
    org = f.organization(name="Shop GmbH")
    owner = next(m.user for m in org.memberships if m.role == "owner")
    clerk = f.user("clerk@example.com")
    f.member(org, "staff", clerk)
    ok = ["--role", "owner", "--name", "Shop"]
    cases = [
        (["--org-id", "99999", *ok], "no organization 99999"),
        (["--email", "nobody@example.com", *ok], "no user nobody@example.com"),
        (["--email", clerk.email, *ok], "not an owner of any organization"),
        (["--email", owner.email, "--role", "king", "--name", "Shop"], "king"),
        (["--email", owner.email, "--role", "owner"], "--name"),
        (["--email", owner.email, *ok, "--expires", "31.12.2030"], "31.12.2030"),
        (["--email", owner.email, *ok, "--expires", date.today().isoformat()], "Choose a day after today."),
        (["--email", owner.email, "--role", "owner", "--name", "   "], "Name the token"),
        (["--email", owner.email, "--org-id", str(org.id), *ok], "either --org-id ID or --email"),
        (ok, "either --org-id ID or --email"),
    ]
    before = table_contents()
    for args, message in cases:
        r = runner.invoke(args=["api-token", "create", *args])
        assert r.exit_code != 0, (args, r.output)
        assert message in r.output, (args, r.output)
        assert "tb_" not in r.stdout, args
    assert table_contents() == before
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_list_and_revoke(runner, f):
    org = f.organization(name="Shop GmbH")
    old, old_token = f.api_token(org, role="staff", name="Old")
    new, _ = f.api_token(org, role="bookkeeper", name="New")
    f.api_token(f.organization(name="Other"), name="Not listed")
    r = runner.invoke(args=["api-token", "list", "--org-id", str(org.id)])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [f"{new.id}\tNew\t{new.prefix}...\tbookkeeper\tactive",
                                     f"{old.id}\tOld\t{old.prefix}...\tstaff\tactive"]

    r = runner.invoke(args=["api-token", "revoke", "--id", str(old.id)])
    assert r.exit_code == 0 and f"Revoked the API token Old (id {old.id})" in r.output, r.output
    db.session.expire_all()
    assert db.session.get(ApiToken, old.id).revoked_at is not None
    assert db.session.get(ApiToken, new.id).revoked_at is None
    assert api_tokens.find(old_token) is None
    assert db.session.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "api_token.revoked")) == old.id
    r = runner.invoke(args=["api-token", "list", "--org-id", str(org.id)])
    assert r.stdout.splitlines()[1] == f"{old.id}\tOld\t{old.prefix}...\tstaff\trevoked"
    # again: nothing to do, and said so
    r = runner.invoke(args=["api-token", "revoke", "--id", str(old.id)])
    assert r.exit_code == 0 and "revoked already" in r.output

    before = table_contents()
    for args, message in ((["revoke", "--id", "99999"], "no API token 99999"),
                          (["list", "--org-id", "99999"], "no organization 99999")):
        r = runner.invoke(args=["api-token", *args])
        assert r.exit_code != 0 and message in r.output, r.output
    assert table_contents() == before


@pytest.mark.slow
def test_seed_demo_prints_a_token_on_the_first_run_and_how_to_make_one_later(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    line = next(li for li in first.output.splitlines() if li.startswith("  API token:"))
    token = line.split()[2]
    row = api_tokens.find(token)
    assert (row.name, row.role, row.created_by.email) == ("Demo", "owner", DEMO_EMAIL)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert ("  API token:   run `flask api-token create --email demo@tallybook.example --role owner --name Demo` "
            "for one") in second.output
    assert "tb_" not in second.output
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
