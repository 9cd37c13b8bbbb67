from sqlalchemy import func, select

from webapp.cli import DEMO_EMAIL, DEMO_PASSWORD
from webapp.extensions import db
from webapp.models import Membership, Organization, User


def test_seed_demo_creates_once_and_prints_a_working_login(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and DEMO_EMAIL in first.output and DEMO_PASSWORD in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "Created" not in second.output
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 1
    org = db.session.scalar(select(Organization))
    assert org.missing_details() == []
    r = client.post("/auth/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert r.status_code == 303
    assert "Sonnenschein" in client.get("/").data.decode()


def test_create_user_with_new_org_and_into_existing(app, f):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["create-user", "Boss@Example.com", "--password", "boss-password-1", "--org", "Boss Ltd",
                            "--country", "GB"])
    assert r.exit_code == 0, r.output
    boss = db.session.scalar(select(User).where(User.email == "boss@example.com"))
    org = db.session.scalar(select(Organization).where(Organization.name == "Boss Ltd"))
    assert boss.check_password("boss-password-1") and org.currency == "GBP"
    r = runner.invoke(args=["create-user", "clerk@example.com", "--password", "clerk-password-1", "--org-id",
                            str(org.id), "--role", "bookkeeper"])
    assert r.exit_code == 0, r.output
    roles = {m.user.email: m.role for m in db.session.scalars(select(Membership).where(Membership.org_id == org.id))}
    assert roles == {"boss@example.com": "owner", "clerk@example.com": "bookkeeper"}


def test_create_user_bad_arguments_change_nothing(app):
    runner = app.test_cli_runner()
    cases = [
        (["create-user", "not-an-email", "--password", "long-enough-1", "--org", "X"], "EMAIL"),
        (["create-user", "a@example.com", "--password", "short", "--org", "X"], "at least 10"),
        (["create-user", "a@example.com", "--password", "long-enough-1"], "--org NAME"),
        (["create-user", "a@example.com", "--password", "long-enough-1", "--org-id", "999"], "no organization 999"),
        (["create-user", "a@example.com", "--password", "long-enough-1", "--org", "X", "--country", "QQ"], "country"),
        (["create-user", "a@example.com", "--password", "long-enough-1", "--org-id", "1", "--role", "king"], "king"),
    ]
    for args, message in cases:
        r = runner.invoke(args=args)
        assert r.exit_code != 0, args
        assert message in r.output, (args, r.output)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
