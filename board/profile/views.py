"""/settings/diagnosis and /for-you. Thin: the form checks shape, services decide."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from board.domain import RuleViolation
from board.extensions import db
from board.models.profile import DIAGNOSIS_FIELDS
from board.profile import bp, services
from board.profile.choices import AUDIENCE_LABELS
from board.profile.forms import DiagnosisForm


@bp.app_template_global("diagnosis_facts")
def diagnosis_facts(user):
    """The diagnosis answers of `user` the current viewer may see (templates/auth/profile.html)."""
    return services.visible_diagnosis_fields(user, current_user)


@bp.app_template_global("audience_label")
def audience_label(slug: str) -> str:
    return AUDIENCE_LABELS.get(slug, "")


def _fill(form: DiagnosisForm, profile) -> None:
    if profile is None:
        return
    form.subtype.data = profile.subtype
    form.spread.data = list(profile.spread or [])
    form.treatment.data = profile.treatment
    form.origin.data = profile.origin
    form.year.data = str(profile.year) if profile.year else ""
    for name in DIAGNOSIS_FIELDS:
        getattr(form, f"{name}_audience").data = profile.audience(name)


@bp.route("/settings/diagnosis", methods=["GET", "POST"])
@login_required
def diagnosis():
    form = DiagnosisForm()
    if request.method == "GET":
        _fill(form, services.profile_of(current_user))
    elif form.validate_on_submit():
        data = services.DiagnosisInput(
            subtype=form.subtype.data or "", spread=list(form.spread.data or []),
            treatment=form.treatment.data or "", origin=form.origin.data or "",
            year=int(form.year.data) if form.year.data else None,
            audiences={name: getattr(form, f"{name}_audience").data or "me" for name in DIAGNOSIS_FIELDS},
        )
        try:
            services.save_diagnosis(current_user, data)
        except RuleViolation as exc:
            db.session.rollback()
            getattr(form, exc.field or "subtype").errors.append(exc.message)
        else:
            db.session.commit()
            flash("Your diagnosis profile is saved. Only the answers you chose to share appear on your profile.",
                  "success")
            return redirect(url_for("profile.diagnosis"))
    code = 400 if request.method == "POST" else 200
    return render_template("profile/diagnosis.html", form=form, noindex=True), code


@bp.get("/for-you")
def for_you():
    page = services.for_you(current_user) if current_user.is_authenticated else None
    return render_template("profile/for_you.html", page=page, noindex=True)
