"""Pages of the cloud under /cx/: sign-in, receipts, review, dashboard, members, tokens."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts import services as second_factor
from accounts.forms import SecondFactorForm
from privacy.ratelimit import TOO_MANY_MESSAGE, client_over_limit

from . import export as cloud_export
from . import forms, selectors, services
from .access import (
    SignedInRequest,
    TenantRequest,
    login_url,
    object_action,
    second_factor_passed,
    tenant_view,
)
from .models import (
    ADMIN_ROLES,
    REVIEW_ROLES,
    Account,
    ApiToken,
    Invitation,
    Membership,
    Project,
    Receipt,
    Role,
    Status,
)
from .tokens import password_reset_token

PENDING_SESSION_KEY = "cloud_pending_user"
INVITATION_SESSION_KEY = "cloud_invitation"
PAGE_SIZE = 50


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _form_errors_to_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# Sign-in and account


def sign_in(request: HttpRequest) -> HttpResponse:
    form = forms.SignInForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        next_url = _safe_next(request, reverse("cloud:organisations"))
        if second_factor.has_confirmed_device(user=user):
            request.session.cycle_key()
            request.session[PENDING_SESSION_KEY] = user.pk
            return redirect(reverse("cloud:login_code") + "?" + urlencode({"next": next_url}))
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url)
    return render(request, "cloud/sign_in.html", {"form": form})


def _code_form(request: HttpRequest, user) -> SecondFactorForm:
    return SecondFactorForm(
        request.POST or None,
        devices=second_factor.confirmed_devices(user=user),
        request=request,
        limit_scope="cx-code",
    )


def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The second step after the password: a code from the app or a backup code."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if pending is None:
        return redirect(login_url())
    account = Account.objects.select_related("user").filter(user_id=pending).first()
    if account is None:
        return redirect(login_url())
    form = _code_form(request, account.user)
    if request.method == "POST" and form.is_valid():
        del request.session[PENDING_SESSION_KEY]
        login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
        otp_login(request, form.device)
        return redirect(_safe_next(request, reverse("cloud:organisations")))
    return render(
        request, "cloud/sign_in_code.html", {"form": form, "next": _safe_next(request, "")}
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(login_url())


def _cloud_account(request: SignedInRequest) -> Account:
    account = Account.objects.filter(user=request.user).first()
    if account is None:
        raise Http404
    return account


@login_required(login_url="cloud:login")
def organisations(request: SignedInRequest) -> HttpResponse:
    memberships = Membership.all_tenants.filter(user=request.user).select_related("organisation")
    return render(request, "cloud/organisations.html", {"memberships": memberships})


def _backup_codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    return render(
        request,
        "cloud/backup_codes.html",
        {"codes": codes, "next": _safe_next(request, reverse("cloud:organisations"))},
    )


@login_required(login_url="cloud:login")
def second_factor_setup(request: SignedInRequest) -> HttpResponse:
    """Set up the second factor (QR code, then its first code and 10 backup codes shown once),
    or pass it for this session if it is set up already."""
    _cloud_account(request)
    next_url = _safe_next(request, reverse("cloud:organisations"))
    if second_factor_passed(request):
        return redirect(next_url)
    if second_factor.has_confirmed_device(user=request.user):
        form = _code_form(request, request.user)
        if request.method == "POST" and form.is_valid():
            otp_login(request, form.device)
            return redirect(next_url)
        return render(
            request, "cloud/second_factor.html", {"form": form, "next": _safe_next(request, "")}
        )
    device = second_factor.totp_device_pending(user=request.user)
    form = SecondFactorForm(
        request.POST or None, devices=[device], request=request, limit_scope="cx-code"
    )
    if request.method == "POST" and form.is_valid():
        codes = second_factor.totp_device_confirm(device=device)
        otp_login(request, device)
        return _backup_codes_page(request, codes)
    return render(
        request,
        "cloud/second_factor.html",
        {
            "form": form,
            "next": _safe_next(request, ""),
            "enrol": True,
            "qr_svg": device.qr_svg(title=_("QR-Code für die Authenticator-App")),
            "config_url": device.config_url,
            "secret": device.secret_b32,
        },
    )


@require_POST
@login_required(login_url="cloud:login")
def backup_codes_renew(request: SignedInRequest) -> HttpResponse:
    """New backup codes (the old ones stop working), only in a session that passed the factor."""
    if not second_factor_passed(request):
        return redirect(
            reverse("cloud:second_factor") + "?" + urlencode({"next": reverse("cloud:profile")})
        )
    codes = second_factor.backup_codes_create(user=request.user)
    return _backup_codes_page(request, codes)


@login_required(login_url="cloud:login")
def profile(request: SignedInRequest) -> HttpResponse:
    account = _cloud_account(request)
    form = forms.PasswordConfirmForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_delete(user=request.user)
        except ValidationError as exc:
            _form_errors_to_messages(request, exc)
        else:
            logout(request)
            messages.success(request, _("Ihr Konto wurde gelöscht."))
            return redirect(login_url())
    return render(
        request,
        "cloud/profile.html",
        {
            "account": account,
            "form": form,
            "has_second_factor": second_factor.has_confirmed_device(user=request.user),
            "backup_codes_left": second_factor.backup_codes_left(user=request.user),
        },
    )


def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """Move the link's token into the session, so it leaves the address bar and the history."""
    request.session[INVITATION_SESSION_KEY] = token
    return redirect("cloud:invitation_accept")


def invitation_accept(request: HttpRequest) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(request.session.get(INVITATION_SESSION_KEY, ""))
    except ValidationError as exc:
        return render(request, "cloud/invitation_invalid.html", {"error": exc.messages[0]})
    account_exists = get_user_model().objects.filter(username=invitation.email).exists()
    signed_in_as_invitee = request.user.is_authenticated and request.user.email == invitation.email
    if account_exists and not signed_in_as_invitee:
        messages.info(
            request, _("Sie haben schon ein Konto. Bitte melden Sie sich an, um beizutreten.")
        )
        return redirect_to_login(request.path, login_url())
    form = None if account_exists else forms.InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and (form is None or form.is_valid()):
        user = services.invitation_accept(
            invitation=invitation,
            name=form.cleaned_data["name"] if form else "",
            password=form.cleaned_data["password"] if form else "",
            user=request.user if account_exists else None,
        )
        del request.session[INVITATION_SESSION_KEY]
        if not account_exists:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Willkommen bei %(name)s.") % {"name": invitation.organisation})
        return redirect("cloud:receipts", org=invitation.organisation.slug)
    return render(request, "cloud/invitation_accept.html", {"invitation": invitation, "form": form})


# Receipts


def _open_file(receipt: Receipt):
    try:
        return receipt.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc


@tenant_view()
def receipts(request: TenantRequest) -> HttpResponse:
    queryset = Receipt.objects.select_related("project")
    status = request.GET.get("status")
    if status in Status.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(
        request, "cloud/receipts.html", {"page": page, "statuses": Status.choices, "status": status}
    )


@tenant_view()
def receipt_new(request: TenantRequest) -> HttpResponse:
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.CLOUD_MAX_UPLOAD_BYTES + 65536:
        # Refused before Django reads the body; the form's own check covers the exact limit.
        return render(
            request,
            "cloud/receipt_new.html",
            {"form": forms.ReceiptForm(), "too_large": settings.CLOUD_MAX_UPLOAD_BYTES // 2**20},
            status=413,
        )
    membership = request.membership
    kept = services.pending_upload_find(
        token=request.POST.get("kept_file", ""), membership=membership
    )
    form = forms.ReceiptForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "submitter_name": _cloud_account(request).name,
            "submitter_email": request.user.email,
        },
        kept=kept,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            receipt = services.receipt_submit(
                membership=membership,
                data=form.cleaned_data,
                upload=upload,
                kind=form.kind,
                refund_account=services.refund_account_from(form.cleaned_data),
            )
        finally:
            if form.used_kept:
                upload.close()
        # The receipt holds its own copy now; a kept upload (used or replaced) goes.
        services.pending_upload_discard(pending=kept)
        messages.success(request, _("Ihr Beleg wurde eingereicht."))
        return redirect("cloud:receipt", org=request.organisation.slug, pk=receipt.pk)
    if request.method == "POST" and form.kind and not form.used_kept:
        # The file passed its checks but another field did not: keep it for the next attempt.
        services.pending_upload_discard(pending=kept)
        kept = services.pending_upload_keep(
            upload=form.cleaned_data["file"], kind=form.kind, membership=membership
        )
    return render(request, "cloud/receipt_new.html", {"form": form, "kept": kept})


@tenant_view()
def receipt_detail(request: TenantRequest, pk: int) -> HttpResponse:
    receipt = get_object_or_404(Receipt.objects.select_related("project"), pk=pk)
    return render(
        request,
        "cloud/receipt_detail.html",
        {
            "receipt": receipt,
            "review_form": forms.ReviewForm(),
            "can_review": request.membership.can_review,
            "four_eyes": services.four_eyes_refusal(receipt=receipt, user=request.user),
        },
    )


@tenant_view()
def receipt_file(request: TenantRequest, pk: int) -> FileResponse:
    receipt = get_object_or_404(Receipt.objects, pk=pk)
    response = FileResponse(
        _open_file(receipt),
        as_attachment=True,
        filename=receipt.file_name,
        content_type=receipt.content_type,
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@tenant_view(REVIEW_ROLES)
@object_action(Receipt)
def receipt_review(request: TenantRequest, receipt: Receipt) -> HttpResponse:
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.receipt_review(
                receipt=receipt,
                reviewer=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("Die Prüfung wurde gespeichert."))
        except ValidationError as exc:
            _form_errors_to_messages(request, exc)
    else:
        return render(
            request,
            "cloud/receipt_detail.html",
            {"receipt": receipt, "review_form": form, "can_review": True},
            status=400,
        )
    return redirect("cloud:receipt", org=request.organisation.slug, pk=receipt.pk)


@tenant_view(REVIEW_ROLES)
@object_action(Receipt)
def receipt_refunded(request: TenantRequest, receipt: Receipt) -> HttpResponse:
    try:
        services.receipt_mark_refunded(receipt=receipt, by=request.user)
        messages.success(request, _("Der Beleg ist als erstattet markiert."))
    except ValidationError as exc:
        _form_errors_to_messages(request, exc)
    return redirect("cloud:receipt", org=request.organisation.slug, pk=receipt.pk)


@tenant_view(REVIEW_ROLES)
def dashboard(request: TenantRequest) -> HttpResponse:
    return render(request, "cloud/dashboard.html", {"totals": selectors.dashboard_totals()})


# Administration of the organisation


@tenant_view(ADMIN_ROLES)
def projects(request: TenantRequest) -> HttpResponse:
    form = forms.ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        Project.objects.create(organisation=request.organisation, name=form.cleaned_data["name"])
        messages.success(request, _("Das Projekt wurde angelegt."))
        return redirect("cloud:projects", org=request.organisation.slug)
    return render(request, "cloud/projects.html", {"form": form, "projects": Project.objects.all()})


@tenant_view({Role.MAIN_ADMIN})
def members(request: TenantRequest) -> HttpResponse:
    form = forms.InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invitation_create(
            organisation=request.organisation,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
        messages.success(request, _("Die Einladung wurde verschickt."))
        return redirect("cloud:members", org=request.organisation.slug)
    return render(
        request,
        "cloud/members.html",
        {
            "form": form,
            "memberships": Membership.objects.select_related("user", "user__cloud_account"),
            "invitations": Invitation.objects.filter(accepted_at__isnull=True),
            "role_choices": Role.choices,
        },
    )


@tenant_view({Role.MAIN_ADMIN})
@object_action(Membership)
def member_role(request: TenantRequest, membership: Membership) -> HttpResponse:
    form = forms.RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], by=request.user
            )
            messages.success(request, _("Die Rolle wurde geändert."))
        except ValidationError as exc:
            _form_errors_to_messages(request, exc)
    return redirect("cloud:members", org=request.organisation.slug)


@tenant_view({Role.MAIN_ADMIN})
@object_action(Invitation)
def invitation_revoke(request: TenantRequest, invitation: Invitation) -> HttpResponse:
    try:
        services.invitation_revoke(invitation=invitation, by=request.user)
        messages.success(
            request,
            _("Die Einladung an %(email)s wurde zurückgezogen.") % {"email": invitation.email},
        )
    except ValidationError as exc:
        _form_errors_to_messages(request, exc)
    return redirect("cloud:members", org=request.organisation.slug)


@tenant_view({Role.MAIN_ADMIN})
@object_action(Invitation)
def invitation_resend(request: TenantRequest, invitation: Invitation) -> HttpResponse:
    try:
        services.invitation_resend(invitation=invitation)
        messages.success(
            request,
            _("Die Einladung an %(email)s wurde erneut verschickt.") % {"email": invitation.email},
        )
    except ValidationError as exc:
        _form_errors_to_messages(request, exc)
    return redirect("cloud:members", org=request.organisation.slug)


@tenant_view({Role.MAIN_ADMIN})
@object_action(Membership)
def member_remove(request: TenantRequest, membership: Membership) -> HttpResponse:
    try:
        services.membership_remove(membership=membership)
        messages.success(request, _("Das Mitglied wurde entfernt."))
    except ValidationError as exc:
        _form_errors_to_messages(request, exc)
    return redirect("cloud:members", org=request.organisation.slug)


@tenant_view(ADMIN_ROLES)
def tokens(request: TenantRequest) -> HttpResponse:
    form = forms.ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.api_token_create(
            organisation=request.organisation, name=form.cleaned_data["name"]
        )
        form = forms.ApiTokenForm()
    return render(
        request,
        "cloud/tokens.html",
        {"form": form, "tokens": ApiToken.objects.all(), "new_key": new_key},
    )


@tenant_view(ADMIN_ROLES)
@object_action(ApiToken)
def token_revoke(request: TenantRequest, token: ApiToken) -> HttpResponse:
    services.api_token_revoke(token=token)
    messages.success(request, _("Der API-Schlüssel wurde widerrufen."))
    return redirect("cloud:tokens", org=request.organisation.slug)


@tenant_view(ADMIN_ROLES)
def export(request: TenantRequest) -> StreamingHttpResponse:
    """All the organisation's receipts as CSV plus their files, one streamed ZIP (GET, so it
    works while the organisation is read-only after cancellation)."""
    organisation = request.organisation
    response = StreamingHttpResponse(
        cloud_export.organisation_export(organisation=organisation),
        content_type="application/zip",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{cloud_export.export_filename(organisation)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@tenant_view({Role.MAIN_ADMIN}, allow_read_only=True)
def cancellation(request: TenantRequest) -> HttpResponse:
    organisation = request.organisation
    form = forms.ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if organisation.is_read_only:
            services.organisation_withdraw_cancellation(organisation=organisation)
            messages.success(request, _("Die Kündigung wurde zurückgenommen."))
        else:
            services.organisation_cancel(organisation=organisation)
            messages.success(request, _("Der Dienst ist gekündigt."))
        return redirect("cloud:cancellation", org=organisation.slug)
    return render(request, "cloud/cancellation.html", {"form": form, "organisation": organisation})


# Password reset ("Passwort vergessen") and change


def reset_link_lifetime() -> str:
    """CLOUD_PASSWORD_RESET_TIMEOUT in words, for every text that mentions it."""
    minutes = max(1, settings.CLOUD_PASSWORD_RESET_TIMEOUT // 60)
    if minutes % 60:
        return ngettext("eine Minute", "%(count)d Minuten", minutes) % {"count": minutes}
    hours = minutes // 60
    return ngettext("eine Stunde", "%(count)d Stunden", hours) % {"count": hours}


class LinkLifetimeMixin:
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "valid_for": reset_link_lifetime()}


class PasswordReset(LinkLifetimeMixin, auth_views.PasswordResetView):
    """The same answer for any address; a link (an hour, once) only to an existing CX user."""

    form_class = forms.CloudPasswordResetForm
    template_name = "cloud/password_reset.html"
    email_template_name = "cloud/mail/password_reset.txt"
    subject_template_name = "cloud/mail/password_reset_subject.txt"
    token_generator = password_reset_token
    success_url = reverse_lazy("cloud:password_reset_done")

    def form_valid(self, form):
        if client_over_limit(
            self.request,
            scope="cx-password-reset",
            limit=settings.CLOUD_PASSWORD_RESET_RATE_LIMIT,
            window=settings.CLOUD_PASSWORD_RESET_RATE_LIMIT_WINDOW,
            cache_alias=settings.CONTACT_RATE_LIMIT_CACHE,
        ):
            form.add_error(None, TOO_MANY_MESSAGE)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        # Links start from SITE_URL, never from the request's Host header.
        self.extra_email_context = {
            "site_url": settings.SITE_URL,
            "valid_for": reset_link_lifetime(),
        }
        return super().form_valid(form)


class PasswordResetDone(LinkLifetimeMixin, auth_views.PasswordResetDoneView):
    template_name = "cloud/password_reset_done.html"


class PasswordResetConfirm(SuccessMessageMixin, auth_views.PasswordResetConfirmView):
    """The new password ends every session of the user: Django checks each session against
    the password hash, so the old ones are signed out on their next request."""

    template_name = "cloud/password_reset_confirm.html"
    token_generator = password_reset_token
    success_url = reverse_lazy("cloud:login")
    success_message = gettext_lazy(
        "Ihr neues Passwort ist gespeichert. Bitte melden Sie sich damit an."
    )


class PasswordChange(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Keeps this session (update_session_auth_hash) and ends every other one of the user."""

    template_name = "cloud/password_change.html"
    success_url = reverse_lazy("cloud:profile")
    success_message = gettext_lazy(
        "Ihr Passwort ist geändert. Auf allen anderen Geräten sind Sie jetzt abgemeldet."
    )
