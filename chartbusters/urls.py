from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from chartbusters.accounts.views import throttle_login
from chartbusters.core import views as core_views
from chartbusters.studio import api as studio_api

urlpatterns = [
    path("", include("chartbusters.core.urls")),
    path("accounts/", include("chartbusters.accounts.urls")),
    path("challenges/", include("chartbusters.challenges.urls")),
    path("submissions/", include("chartbusters.submissions.urls")),
    path("judging/", include("chartbusters.judging.urls")),
    path("studio/", include("chartbusters.studio.urls")),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("healthz", core_views.healthz, name="healthz"),
    # The admin's own log-in page, throttled like the site's (same path, matched first).
    path("admin/login/", throttle_login(admin.site.login), name="admin-login"),
    path("healthz/workers", core_views.healthz_workers, name="healthz-workers"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its init script from a URL, not inline (Content-Security-Policy).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("chartbusters.accounts.api_urls")),
    path("api/", include("chartbusters.leaderboards.api_urls")),
    path("api/", include("chartbusters.judging.api_urls")),
    path("api/studio/", include("chartbusters.studio.api_urls")),
    path("api/labels/", studio_api.LabelsApi.as_view(), name="api-labels"),
]
