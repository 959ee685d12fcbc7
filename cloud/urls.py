from django.contrib.auth.decorators import login_required
from django.urls import path

from . import api, views

app_name = "cloud"

urlpatterns = [
    path("", views.organisations, name="organisations"),
    path("anmelden/", views.sign_in, name="login"),
    path("anmelden/code/", views.sign_in_code, name="login_code"),
    path("abmelden/", views.sign_out, name="logout"),
    path("passwort-vergessen/", views.PasswordReset.as_view(), name="password_reset"),
    path(
        "passwort-vergessen/gesendet/",
        views.PasswordResetDone.as_view(),
        name="password_reset_done",
    ),
    path(
        "passwort-vergessen/<uidb64>/<token>/",
        views.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path("konto/", views.profile, name="profile"),
    path(
        "konto/passwort/",
        login_required(views.PasswordChange.as_view(), login_url="cloud:login"),
        name="password_change",
    ),
    path("konto/zwei-faktor/", views.second_factor_setup, name="second_factor"),
    path(
        "konto/zwei-faktor/sicherungscodes/",
        views.backup_codes_renew,
        name="backup_codes_renew",
    ),
    path("einladung/", views.invitation_accept, name="invitation_accept"),
    path("einladung/<str:token>/", views.invitation_open, name="invitation_open"),
    path("api/v1/", api.openapi, name="api_root"),
    path("api/v1/openapi.json", api.openapi, name="api_openapi"),
    *api.urlpatterns("api/v1/"),
    path("api/<path:rest>", api.not_found),
    path("api/", api.not_found),
    path("<slug:org>/", views.receipts, name="receipts"),
    path("<slug:org>/belege/neu/", views.receipt_new, name="receipt_new"),
    path("<slug:org>/belege/<int:pk>/", views.receipt_detail, name="receipt"),
    path("<slug:org>/belege/<int:pk>/datei/", views.receipt_file, name="receipt_file"),
    path("<slug:org>/belege/<int:pk>/pruefen/", views.receipt_review, name="receipt_review"),
    path("<slug:org>/belege/<int:pk>/erstattet/", views.receipt_refunded, name="receipt_refunded"),
    path("<slug:org>/dashboard/", views.dashboard, name="dashboard"),
    path("<slug:org>/projekte/", views.projects, name="projects"),
    path("<slug:org>/mitglieder/", views.members, name="members"),
    path("<slug:org>/mitglieder/<int:pk>/rolle/", views.member_role, name="member_role"),
    path("<slug:org>/mitglieder/<int:pk>/entfernen/", views.member_remove, name="member_remove"),
    path(
        "<slug:org>/einladungen/<int:pk>/zurueckziehen/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "<slug:org>/einladungen/<int:pk>/erneut/", views.invitation_resend, name="invitation_resend"
    ),
    path("<slug:org>/api-schluessel/", views.tokens, name="tokens"),
    path("<slug:org>/api-schluessel/<int:pk>/widerrufen/", views.token_revoke, name="token_revoke"),
    path("<slug:org>/export/", views.export, name="export"),
    path("<slug:org>/kuendigung/", views.cancellation, name="cancellation"),
]
