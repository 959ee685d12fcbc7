from django.contrib.auth.decorators import login_required
from django.urls import path

from . import api
from .views import account, administration, cancellation, passwords, receipts, signin

app_name = "cloud"

urlpatterns = [
    path("", account.organisations, name="organisations"),
    path("anmelden/", signin.sign_in, name="login"),
    path("anmelden/code/", signin.sign_in_code, name="login_code"),
    path("abmelden/", signin.sign_out, name="logout"),
    path("passwort-vergessen/", passwords.PasswordReset.as_view(), name="password_reset"),
    path(
        "passwort-vergessen/gesendet/",
        passwords.PasswordResetDone.as_view(),
        name="password_reset_done",
    ),
    path(
        "passwort-vergessen/<uidb64>/<token>/",
        passwords.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path("konto/", account.profile, name="profile"),
    path(
        "konto/passwort/",
        login_required(passwords.PasswordChange.as_view(), login_url="cloud:login"),
        name="password_change",
    ),
    path("konto/zwei-faktor/", signin.second_factor_setup, name="second_factor"),
    path(
        "konto/zwei-faktor/sicherungscodes/",
        signin.backup_codes_renew,
        name="backup_codes_renew",
    ),
    path("einladung/", account.invitation_accept, name="invitation_accept"),
    path("einladung/<str:token>/", account.invitation_open, name="invitation_open"),
    path("api/v1/", api.openapi, name="api_root"),
    path("api/v1/openapi.json", api.openapi, name="api_openapi"),
    *api.urlpatterns("api/v1/"),
    path("api/<path:rest>", api.not_found),
    path("api/", api.not_found),
    path("<slug:org>/", receipts.receipts, name="receipts"),
    path("<slug:org>/belege/neu/", receipts.receipt_new, name="receipt_new"),
    path("<slug:org>/belege/<int:pk>/", receipts.receipt_detail, name="receipt"),
    path("<slug:org>/belege/<int:pk>/datei/", receipts.receipt_file, name="receipt_file"),
    path("<slug:org>/belege/<int:pk>/pruefen/", receipts.receipt_review, name="receipt_review"),
    path(
        "<slug:org>/belege/<int:pk>/erstattet/", receipts.receipt_refunded, name="receipt_refunded"
    ),
    path("<slug:org>/dashboard/", receipts.dashboard, name="dashboard"),
    path("<slug:org>/projekte/", administration.projects, name="projects"),
    path("<slug:org>/mitglieder/", administration.members, name="members"),
    path("<slug:org>/mitglieder/<int:pk>/rolle/", administration.member_role, name="member_role"),
    path(
        "<slug:org>/mitglieder/<int:pk>/entfernen/",
        administration.member_remove,
        name="member_remove",
    ),
    path(
        "<slug:org>/einladungen/<int:pk>/zurueckziehen/",
        administration.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "<slug:org>/einladungen/<int:pk>/erneut/",
        administration.invitation_resend,
        name="invitation_resend",
    ),
    path("<slug:org>/api-schluessel/", administration.tokens, name="tokens"),
    path(
        "<slug:org>/api-schluessel/<int:pk>/widerrufen/",
        administration.token_revoke,
        name="token_revoke",
    ),
    path("<slug:org>/export/", cancellation.export, name="export"),
    path("<slug:org>/kuendigung/", cancellation.cancellation, name="cancellation"),
]
