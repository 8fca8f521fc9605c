from django.contrib.auth import views as auth_views
from django.urls import path

from frontend.views import audit, clusters, fleet, register, runs

app_name = "frontend"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="frontend/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", fleet.fleet, name="fleet"),
    path("fleet/check-connectivity/", fleet.check_all, name="fleet-check"),
    path("clusters/new/", register.cluster_new, name="cluster-new"),
    path("clusters/import/read/", register.kubeconfig_read, name="kubeconfig-read"),
    path("clusters/import/", register.kubeconfig_import, name="kubeconfig-import"),
    path("clusters/<slug:name>/", clusters.cluster_detail, name="cluster"),
    path("clusters/<slug:name>/edit/", clusters.cluster_edit, name="cluster-edit"),
    path("clusters/<slug:name>/delete/", clusters.cluster_delete, name="cluster-delete"),
    path("clusters/<slug:name>/runs/new/", clusters.start_run, name="run-start"),
    path("runs/", runs.run_list, name="runs"),
    path("runs/<int:pk>/", runs.run_detail, name="run"),
    path("runs/<int:pk>/events/", runs.run_events, name="run-events"),
    path("runs/<int:pk>/cancel/", runs.run_cancel, name="run-cancel"),
    path("runs/<int:pk>/retry/", runs.run_retry, name="run-retry"),
    path("audit/", audit.audit_list, name="audit"),
    path("audit/verify/", audit.audit_verify, name="audit-verify"),
]
