"""Admin for Marketing and Datenschutz: mailings with preview, test and send; contacts; blocks."""

import smtplib

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.audit import AuditedModelAdmin, audit_log
from privacy.digests import address_digest
from privacy.models import AuditAction

from . import services
from .compose import UNSUBSCRIBE_PLACEHOLDER, Basis, Rendered, unsubscribe_url
from .forms import CustomerImportForm, ExtraIssueForm, MailingForm, WrittenUnsubscriptionForm
from .imports import customers_import
from .models import (
    Channel,
    ConsentText,
    Customer,
    DeliveryStatus,
    Mailing,
    MailingKind,
    MailingStatus,
    Relationship,
    Subscriber,
    Suppression,
    SuppressionReason,
    SuppressionScope,
    quarter_of,
)
from .rendering import cleaning_removed
from .suppression import is_suppressed, suppress, suppressed_hashes

# The staff group that handles data-subject requests (privacy/roles.py grants it its permissions).
DATENSCHUTZ_GROUP = "Datenschutz"


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """Published wordings are never edited: a change is a new version."""

    list_display = ["version", "language", "published_at", "short_hash"]
    list_filter = ["language"]

    def get_readonly_fields(self, request, obj=None):
        return ["version", "language", "text", "sha256", "published_at"] if obj else ["sha256"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("SHA-256"))
    def short_hash(self, obj):
        return obj.sha256[:12]


def _counts():
    return {
        name: Count("deliveries", filter=Q(deliveries__status__in=statuses))
        for name, statuses in (
            ("n_queued", [DeliveryStatus.QUEUED, DeliveryStatus.CLAIMED]),
            ("n_sent", [DeliveryStatus.SENT]),
            ("n_failed", [DeliveryStatus.FAILED]),
            ("n_skipped", [DeliveryStatus.SKIPPED]),
        )
    }


@admin.register(Mailing)
class MailingAdmin(AuditedModelAdmin):
    form = MailingForm
    list_display = [
        "subject",
        "kind",
        "english",
        "status",
        "queued_at",
        "queued",
        "sent",
        "failed",
        "skipped",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["subject", "subject_en"]
    fields = ["kind", "relationship", "subject", "body", "subject_en", "body_en"]
    AFTER_SENDING = ["status", "queued_at", "finished_at", "extra_issue_reason"]
    change_form_template = "admin/newsletter/mailing/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**_counts())

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.status != MailingStatus.DRAFT:
            return self.get_fields(request, obj)
        return []

    def get_fields(self, request, obj=None):
        if obj and obj.status != MailingStatus.DRAFT:
            extra = self.AFTER_SENDING if obj.extra_issue_reason else self.AFTER_SENDING[:-1]
            return [*self.fields, *extra]
        return self.fields

    @admin.display(description=_("englische Fassung"), boolean=True)
    def english(self, obj):
        return bool(obj.subject_en)

    @admin.display(description=_("wartend"), ordering="n_queued")
    def queued(self, obj):
        return obj.n_queued

    @admin.display(description=_("versendet"), ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description=_("fehlgeschlagen"), ordering="n_failed")
    def failed(self, obj):
        return obj.n_failed

    @admin.display(description=_("gesperrt"), ordering="n_skipped")
    def skipped(self, obj):
        return obj.n_skipped

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", view(self.preview_view), name="newsletter_mailing_preview"),
            path("<int:pk>/test/", view(self.test_view), name="newsletter_mailing_test"),
            path("<int:pk>/send/", view(self.send_view), name="newsletter_mailing_send"),
            *super().get_urls(),
        ]

    def _mailing(self, request, pk):
        mailing = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, mailing):
            raise PermissionDenied
        return mailing

    def preview_view(self, request, pk):
        mailing = self._mailing(request, pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Vorschau: %(subject)s") % {"subject": mailing.subject},
            "mailing": mailing,
            "opts": self.model._meta,
            "versions": mailing_preview(mailing, staff_email=request.user.email),
        }
        return TemplateResponse(request, "admin/newsletter/mailing/preview.html", context)

    def test_view(self, request, pk):
        mailing = self._mailing(request, pk)
        if request.method != "POST" or not self.has_change_permission(request, mailing):
            raise PermissionDenied
        if not request.user.email:
            messages.error(request, _("Ihr Benutzerkonto hat keine E-Mail-Adresse."))
        else:
            try:
                blocked = services.mailing_send_test(mailing=mailing, to=request.user.email)
            except (smtplib.SMTPException, OSError):
                messages.error(
                    request,
                    _(
                        "Der Mailserver hat die Testmail nicht angenommen; bitte später erneut versuchen."
                    ),
                )
            else:
                if blocked:
                    messages.warning(
                        request,
                        _(
                            "Die Testmail wurde nicht gesendet: %(email)s ist für diese Mailart gesperrt."
                        )
                        % {"email": request.user.email},
                    )
                else:
                    messages.success(
                        request,
                        _("Testmail an %(email)s gesendet.") % {"email": request.user.email},
                    )
        return redirect("admin:newsletter_mailing_change", mailing.pk)

    def send_view(self, request, pk):
        mailing = self._mailing(request, pk)
        if not request.user.has_perm("newsletter.send_mailing"):
            raise PermissionDenied
        earlier = services.mailing_earlier_issues(mailing)
        form = ExtraIssueForm(request.POST or None) if earlier else None
        if request.method == "POST" and (form is None or form.is_valid()):
            reason = form.cleaned_data["reason"] if form else ""
            try:
                started = services.mailing_send(mailing=mailing, extra_issue_reason=reason)
            except services.SecondIssueInQuarter as refusal:
                # Another issue started between showing the page and sending: ask again.
                earlier, form = refusal.earlier, ExtraIssueForm()
            else:
                if started:
                    audit_log(
                        actor=request.user,
                        action=AuditAction.SEND,
                        obj=mailing,
                        note=f"weitere Ausgabe im Quartal: {reason}" if reason else "",
                    )
                    messages.success(request, _("Der Versand hat begonnen."))
                else:
                    messages.warning(request, _("Dieses Mailing wurde schon versendet."))
                return redirect("admin:newsletter_mailing_change", mailing.pk)
        year, quarter, _start, _end = quarter_of(timezone.now())
        context = {
            **self.admin_site.each_context(request),
            "title": _("Versand bestätigen"),
            "mailing": mailing,
            "opts": self.model._meta,
            "audience": services.mailing_audience_size(mailing),
            "earlier": earlier,
            "form": form,
            "quarter": _("%(quarter)s. Quartal %(year)s") % {"quarter": quarter, "year": year},
            "removed": cleaning_removed_all(mailing),
        }
        return TemplateResponse(request, "admin/newsletter/mailing/send.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        mailing = self.get_queryset(request).filter(pk=object_id).first()
        if mailing:
            extra_context["progress"] = {
                "queued": mailing.n_queued,
                "sent": mailing.n_sent,
                "failed": mailing.n_failed,
                "skipped": mailing.n_skipped,
            }
            extra_context["can_send"] = request.user.has_perm("newsletter.send_mailing")
        return super().change_view(request, object_id, form_url, extra_context)


LANGUAGE_NAMES = {"de": _("Deutsch"), "en": _("Englisch")}
BASIS_AUDIENCES = {
    Basis.NEWSLETTER: _("Abonnenten"),
    Basis.CUSTOMER: _("Kunden"),
    Basis.CONSENT: _("Interessenten"),
}


def _bases(mailing: Mailing) -> list[str]:
    if mailing.kind == MailingKind.NEWSLETTER:
        return [Basis.NEWSLETTER]
    if mailing.relationship == Relationship.CUSTOMER:
        return [Basis.CUSTOMER]
    if mailing.relationship == Relationship.PROSPECT:
        return [Basis.CONSENT]
    return [Basis.CUSTOMER, Basis.CONSENT]


def cleaning_removed_all(mailing: Mailing) -> list[str]:
    """What cleaning removes from any version of the mailing, each named once."""
    removed: list[str] = []
    for language in mailing.languages:
        for item in cleaning_removed(mailing.version(language)[1]):
            if item not in removed:
                removed.append(item)
    return removed


def mailing_preview(mailing: Mailing, *, staff_email: str) -> list[dict]:
    """Each version a recipient can get, rendered as sent, with a working unsubscribe link.

    The link is the one the staff member's own address would get, so clicking it in the
    preview shows the real page without touching anyone else's subscription.
    """
    rendered = Rendered(mailing)
    digest = address_digest(staff_email or "vorschau@optigem.invalid")
    languages = ["de", "en"] if mailing.kind == MailingKind.NEWSLETTER else ["de"]
    versions = []
    for language in languages:
        link = unsubscribe_url(address_hash=digest, scope=mailing.scope, language=language)
        for basis in _bases(mailing):
            text, html = (
                part.replace(UNSUBSCRIBE_PLACEHOLDER, link)
                for part in rendered.bodies(language, basis)
            )
            own = language in mailing.languages
            versions.append(
                {
                    "code": language,
                    "language": LANGUAGE_NAMES[language],
                    "audience": BASIS_AUDIENCES[basis],
                    "fallback": not own,
                    "subject": rendered.subject(language),
                    "html": html.split("<body>", 1)[-1].rsplit("</body>", 1)[0],
                    "text": text,
                    "link": link,
                    "removed": cleaning_removed(mailing.version(language)[1]),
                }
            )
    return versions


class WrittenUnsubscriptionMixin:
    """The page on which staff record an unsubscription that came in writing."""

    def written_view(self, request):
        if not request.user.has_perm("newsletter.change_subscriber"):
            raise PermissionDenied
        form = WrittenUnsubscriptionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            ended = services.unsubscription_record_written(
                email=data["email"],
                newsletter=data["newsletter"],
                customer_mails=data["customer_mails"],
                channel=data["channel"],
                on=data["on"],
                reference=data["reference"],
            )
            for subscriber in Subscriber.objects.filter(
                address_hash=address_digest(data["email"]), unsubscribe_reference=data["reference"]
            ):
                audit_log(actor=request.user, action=AuditAction.CHANGE, obj=subscriber)
            if data["newsletter"]:
                if ended:
                    messages.success(request, _("Die Newsletter-Abmeldung ist eingetragen."))
                else:
                    messages.warning(
                        request, _("Für diese Adresse gab es kein aktives Newsletter-Abonnement.")
                    )
            if data["customer_mails"]:
                messages.success(request, _("Die E-Mail-Sperre für Kundenmails ist gesetzt."))
            return redirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Schriftliche Abmeldung oder Sperre erfassen"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/newsletter/written.html", context)


@admin.register(Subscriber)
class SubscriberAdmin(WrittenUnsubscriptionMixin, AuditedModelAdmin):
    list_display = [
        "email",
        "status",
        "language",
        "requested_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    list_filter = ["status", "language", "consent_version"]
    search_fields = ["email", "name"]
    date_hierarchy = "requested_at"
    change_list_template = "admin/newsletter/subscriber/change_list.html"
    readonly_fields = [
        "email",
        "status",
        "language",
        "consent_text",
        "consent_version",
        "consent_hash",
        "form",
        "requested_at",
        "confirmed_at",
        "confirmation_message_id",
        "unsubscribed_at",
        "unsubscribe_channel",
        "unsubscribe_reference",
    ]
    fields = ["name", *readonly_fields]

    def has_add_permission(self, request):
        return False  # only the double opt-in creates subscriptions

    def get_urls(self):
        return [
            path(
                "written/",
                self.admin_site.admin_view(self.written_view),
                name="newsletter_written_unsubscription",
            ),
            *super().get_urls(),
        ]


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "name",
            "email",
            "organisation",
            "relationship",
            "source",
            "consent_on",
            "consent_evidence",
        ]

    def clean_email(self):
        email = self.cleaned_data["email"]
        if is_suppressed(email, "customer"):
            raise forms.ValidationError(
                _("Für diese Adresse besteht eine E-Mail-Sperre; sie wird nicht angelegt.")
            )
        return email


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    form = CustomerForm
    list_display = ["name", "email", "organisation", "relationship", "source", "blocked"]
    list_filter = ["relationship"]
    search_fields = ["name", "email", "organisation"]
    change_list_template = "admin/newsletter/customer/change_list.html"
    actions = ["block_selected"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                is_blocked=Exists(
                    suppressed_hashes("customer").filter(address_hash=OuterRef("address_hash"))
                )
            )
        )

    readonly_fields = ["blocked"]

    @admin.display(description=_("E-Mail-Sperre"), boolean=True, ordering="is_blocked")
    def blocked(self, obj):
        if obj is None or obj.pk is None:
            return None
        if hasattr(obj, "is_blocked"):
            return obj.is_blocked
        return is_suppressed(obj.email, "customer")

    @admin.action(
        description=_("E-Mail-Sperre setzen (auf Wunsch der Person)"), permissions=["change"]
    )
    def block_selected(self, request, queryset):
        for customer in queryset:
            suppress(
                customer.email,
                scope="customer",
                reason=SuppressionReason.OPT_OUT,
                channel=Channel.STAFF,
            )
            audit_log(
                actor=request.user, action=AuditAction.CHANGE, obj=customer, note="E-Mail-Sperre"
            )
        messages.success(request, _("E-Mail-Sperre gesetzt."))

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="newsletter_customer_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CustomerImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            report = customers_import(
                upload.read(),
                default_source=form.cleaned_data["source"],
                default_relationship=form.cleaned_data["relationship"],
            )
            if report.error:
                form.add_error("file", report.error)
            else:
                audit_log(
                    actor=request.user,
                    action=AuditAction.CREATE,
                    model=Customer,
                    object_id="import",
                    note=f"CSV-Import: {report.created} neu, {report.updated} aktualisiert, "
                    f"{len(report.rejected)} abgelehnt",
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Kunden und Interessenten importieren"),
            "form": form,
            "report": report if report and not report.error else None,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/newsletter/customer/import.html", context)


class SuppressionForm(forms.ModelForm):
    """Staff type the address; only its keyed hash is stored."""

    email = forms.EmailField(
        label=_("E-Mail-Adresse"), help_text=_("Wird nicht gespeichert, nur ihr Schlüssel-Hash.")
    )

    class Meta:
        model = Suppression
        fields = ["email", "scope", "reason", "channel", "on", "reference"]


@admin.register(Suppression)
class SuppressionAdmin(AuditedModelAdmin):
    """Adding a block is open to Marketing; lifting one is Datenschutz's and audited."""

    form = SuppressionForm
    list_display = ["short_hash", "scope", "reason", "channel", "on", "reference"]
    list_filter = ["scope", "reason", "channel"]
    search_fields = ["reference"]
    search_help_text = _("E-Mail-Adresse (wird gehasht und verglichen) oder Aktenzeichen")
    # Why an address is blocked (an erasure request, its file reference) is Datenschutz's to
    # know; Marketing sees only that it is blocked, for what and since when.
    WHY = ("reason", "channel", "reference")

    @staticmethod
    def sees_why(request) -> bool:
        user = request.user
        return user.is_superuser or user.groups.filter(name=DATENSCHUTZ_GROUP).exists()

    def get_list_display(self, request):
        if self.sees_why(request):
            return self.list_display
        return [name for name in self.list_display if name not in self.WHY]

    def get_list_filter(self, request):
        if self.sees_why(request):
            return self.list_filter
        return [name for name in self.list_filter if name not in self.WHY]

    def get_search_fields(self, request):
        return self.search_fields if self.sees_why(request) else []

    def get_search_results(self, request, queryset, search_term):
        if "@" in search_term:
            return queryset.filter(address_hash=address_digest(search_term)), False
        if not self.sees_why(request):
            return queryset.none() if search_term else queryset, False
        return super().get_search_results(request, queryset, search_term)

    def has_change_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if obj is not None:
            fields = ["address_hash", "scope", "reason", "channel", "on", "reference", "created_at"]
            if not self.sees_why(request):
                fields = [name for name in fields if name not in self.WHY]
            return fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def get_changeform_initial_data(self, request):
        return {"scope": SuppressionScope.ALL, "channel": Channel.LETTER}

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        entry = suppress(
            data["email"],
            scope=data["scope"],
            reason=data["reason"],
            channel=data["channel"],
            on=data["on"],
            reference=data["reference"],
        )
        obj.pk = entry.pk
        audit_log(actor=request.user, action=AuditAction.CREATE, obj=entry)

    @admin.display(description=_("Schlüssel-Hash"))
    def short_hash(self, obj):
        return f"{obj.address_hash[:16]}…"
