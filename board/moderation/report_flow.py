"""A member's report of one piece of content: the one form flow every kind's report page uses.

The kind's view finds the content (404 when the member may not see it) and passes a
`file_report(reason, note)` that files it (usually `intake.report_content(..., target=...)`);
this shows the form, keeps the member's note with any error, commits, thanks her, and adds
where to get help at once when she says someone may be at risk.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request

from board.domain import RuleViolation
from board.extensions import db
from board.moderation.forms import ReportForm
from board.permissions import PermissionDenied

AT_RISK_HELP = ("If someone is in immediate danger, please also contact local emergency services "
                "(in the US, call or text 988).")


def report_page(file_report: Callable[[str, str], object], *, template: str, back: str, thanks: str, **context):
    form = ReportForm()
    code = 200
    if request.method == "POST":
        code = 400
        if form.validate_on_submit():
            try:
                file_report(form.reason.data, form.note.data or "")
            except RuleViolation as exc:
                db.session.rollback()
                if exc.field not in ("reason", "note"):
                    flash(exc.message, "info")  # already reported, or nothing left to report
                    return redirect(back)
                getattr(form, exc.field).errors.append(exc.message)
            except PermissionDenied as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
                code = 403
            else:
                db.session.commit()
                flash(thanks, "success")
                if form.reason.data == "at_risk":
                    flash(AT_RISK_HELP, "crisis")
                return redirect(back)
    return render_template(template, form=form, back=back, noindex=True, **context), code
