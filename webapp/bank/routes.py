"""The bank page: a statement uploaded, the queue of its transactions with their proposed matches, a match
confirmed (or another invoice named by its number), every exact match confirmed at once, an entry set aside."""
from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _, ngettext

from webapp.bank import bp
from webapp.bank.forms import CsvLayoutForm
from webapp.htmx import is_htmx, redirect_to, render
from webapp.models.bank import FORMAT_LABELS
from webapp.queries import bank as bank_queries
from webapp.services import bank_files
from webapp.tenancy import current_actor, current_org, require_permission
from webapp.usecases import bank as bank_usecases
from webapp.web.actions import refused
from webapp.web.files import upload_limit_mb


def _page(status: int = 200, error: str | None = None):
    query = bank_queries.TransactionQuery.from_args(request.args)
    org_id = current_org().id
    response = render("bank/index.html", "bank/_queue.html", status=status, query=query, error=error,
                      page=bank_queries.transactions(org_id, query), counts=bank_queries.counts(org_id),
                      statements=bank_queries.statements(org_id), statuses=bank_queries.STATUSES,
                      layouts=bank_usecases.csv_layouts(current_actor()), formats=FORMAT_LABELS,
                      max_mb=upload_limit_mb(bank_files.MAX_BYTES))
    if is_htmx() and request.method == "GET":
        response.headers["HX-Push-Url"] = url_for("bank.index", **{k: v for k, v in (
            ("status", query.status if query.status != "open" else None), ("q", query.q or None),
            ("page", query.page if query.page > 1 else None)) if v})
    return response


@bp.get("/")
@require_permission("reconcile_bank")
def index():
    return _page()


@bp.post("/statements")
@require_permission("reconcile_bank")
def upload():
    part = request.files.get("file")
    name, data = (part.filename or "", part.read(bank_files.MAX_BYTES + 1)) if part is not None else ("", b"")
    with refused(redirect=url_for("bank.index")):
        done = bank_usecases.import_statement(current_actor(), name, data, request.form.get("format") or None)
        if isinstance(done, bank_usecases.NeedsLayout):  # a bank's CSV seen for the first time: map its columns
            return redirect_to(url_for("bank.csv_layout", job_id=done.job.id))
        _imported(done)
    return redirect_to(url_for("bank.index"))


def _imported(done) -> None:
    exact = sum(1 for t in done.new if t.confidence == "exact")
    flash(" ".join(part for part in (
        ngettext("%(num)d new transaction was imported.", "%(num)d new transactions were imported.",
                 len(done.new)),
        ngettext("%(num)d was imported before and is left as it is.",
                 "%(num)d were imported before and are left as they are.", done.known) if done.known else "",
        ngettext("%(num)d exact match is proposed.", "%(num)d exact matches are proposed.", exact)
        if exact else "") if part), "success")


@bp.route("/csv/<int:job_id>", methods=["GET", "POST"])
@require_permission("reconcile_bank")
def csv_layout(job_id: int):
    """A bank's CSV seen for the first time: which column holds what; saved, then the file is imported."""
    pending = bank_usecases.csv_mapping(current_actor(), job_id)
    form = CsvLayoutForm(pending.table.header, currency=current_org().currency, rows=pending.table.rows)
    if request.method == "POST" and form.validate():
        with refused(form, default_field="name"):
            done = bank_usecases.map_csv(current_actor(), job_id, form.name.data or "", form.values())
            _imported(done)
            return redirect_to(url_for("bank.index"))
    return render("bank/csv.html", status=422 if request.method == "POST" else 200, form=form, pending=pending)


@bp.post("/transactions/<int:transaction_id>/confirm")
@require_permission("reconcile_bank")
def confirm(transaction_id: int):
    back = url_for("bank.index", **{k: v for k, v in request.args.items() if k in ("status", "q", "page")})
    with refused(redirect=back):
        done = bank_usecases.confirm(current_actor(), transaction_id, number=request.form.get("number", ""))
        flash(_("The payment on %(number)s was recorded.", number=done.document.number), "success")
    return redirect_to(back)


@bp.post("/transactions/<int:transaction_id>/set-aside")
@require_permission("reconcile_bank")
def set_aside(transaction_id: int):
    back = url_for("bank.index", **{k: v for k, v in request.args.items() if k in ("status", "q", "page")})
    ignored = request.form.get("ignored", "1") != "0"
    with refused(redirect=back):
        bank_usecases.set_aside(current_actor(), transaction_id, ignored)
        flash(_("The transaction was set aside.") if ignored else _("The transaction is open again."), "success")
    return redirect_to(back)


@bp.post("/confirm-exact")
@require_permission("reconcile_bank")
def confirm_exact():
    done = bank_usecases.confirm_exact(current_actor())
    flash(ngettext("%(num)d payment was recorded.", "%(num)d payments were recorded.", len(done.confirmed)),
          "success")
    if done.refused:
        flash(ngettext("%(num)d match was refused: see the open transactions.",
                       "%(num)d matches were refused: see the open transactions.", len(done.refused)), "error")
    return redirect_to(url_for("bank.index"))


@bp.post("/csv-layouts/<int:layout_id>/delete")
@require_permission("reconcile_bank")
def delete_csv_layout(layout_id: int):
    row = bank_usecases.delete_csv_layout(current_actor(), layout_id)
    flash(_("The CSV layout of %(name)s was deleted: its next export asks for its columns again.", name=row.name),
          "success")
    return redirect_to(url_for("bank.index"))
