"""Members of an organisation and their own accounts: roles, removal, deleting the account."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from privacy.audit import audit_log
from privacy.digests import normalise_email
from privacy.models import AuditAction

from ..models import Account, Invitation, Membership, Role


def _other_main_admin_exists(membership: Membership) -> bool:
    return (
        Membership.all_tenants.filter(
            organisation_id=membership.organisation_id, role=Role.MAIN_ADMIN
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def membership_change_role(*, membership: Membership, role: str, by=None) -> Membership:
    """Give a member another role; the change is audited (who, when, from which to which)."""
    if (
        membership.role == Role.MAIN_ADMIN
        and role != Role.MAIN_ADMIN
        and not _other_main_admin_exists(membership)
    ):
        raise ValidationError(_("Die Organisation braucht mindestens einen Haupt-Administrator."))
    previous = membership.role
    if previous == role:
        return membership
    membership.role = role
    membership.full_clean()
    with transaction.atomic():
        membership.save(update_fields=["role"])
        audit_log(
            actor=by,
            action=AuditAction.CHANGE,
            obj=membership,
            fields=["role"],
            note=f"{previous} -> {role}",
        )
    return membership


def membership_remove(*, membership: Membership) -> None:
    if membership.role == Role.MAIN_ADMIN and not _other_main_admin_exists(membership):
        raise ValidationError(_("Die Organisation braucht mindestens einen Haupt-Administrator."))
    membership.delete()


def account_delete(*, user) -> None:
    """Delete a user's cloud account, unless an organisation would lose its last main admin."""
    sole = [
        m.organisation.name
        for m in Membership.all_tenants.filter(user=user, role=Role.MAIN_ADMIN).select_related(
            "organisation"
        )
        if not _other_main_admin_exists(m)
    ]
    if sole:
        raise ValidationError(
            _(
                "Sie sind der einzige Haupt-Administrator von %(names)s. Bitte ernennen Sie "
                "zuerst einen anderen Haupt-Administrator."
            )
            % {"names": ", ".join(sole)}
        )
    with transaction.atomic():
        Invitation.all_tenants.filter(
            Q(email=normalise_email(user.email)) & Q(accepted_at__isnull=False)
        ).delete()
        if user.is_staff:
            Membership.all_tenants.filter(user=user).delete()
            Account.objects.filter(user=user).delete()
        else:
            user.delete()
