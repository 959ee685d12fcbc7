from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Konten"

    def ready(self):
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in

        from .forms import AdminSignInForm
        from .middleware import start_session

        user_logged_in.connect(start_session, dispatch_uid="accounts.start_session")
        # The admin's password step counts against the same limits as the CX sign-in.
        admin.site.login_form = AdminSignInForm
