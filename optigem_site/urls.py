from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

from privacy import views as privacy_views

admin.site.site_header = _("OPTIGEM Verwaltung")
admin.site.site_title = _("OPTIGEM Verwaltung")
admin.site.index_title = _("Anfragen, Newsletter und Datenschutz")

urlpatterns: list[URLPattern | URLResolver] = [
    # The second factor before the admin proper (accounts.middleware.SecondFactorMiddleware).
    path("admin/zweiter-faktor/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("health.urls")),  # /healthz, /readyz: no language prefix
]

# German without prefix, English under /en/.
urlpatterns += i18n_patterns(
    path("", privacy_views.home, name="home"),
    path("", include("privacy.urls")),
    path("", include("contact.urls")),
    path("", include("consent.urls")),
    path("", include("newsletter.urls")),
    path("", include("dsar.urls")),
    path("cx/", include("cloud.urls")),
    prefix_default_language=False,
)

handler403 = privacy_views.permission_denied
