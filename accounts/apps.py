from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Konten"

    def ready(self):
        from django.contrib import admin

        from .forms import AdminSignInForm

        # The admin's password step counts against the same limits as the CX sign-in.
        admin.site.login_form = AdminSignInForm
