from django.contrib.auth import views as auth_views
from django.urls import path
from zoo import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="zoo/login.html")),
    path("api/token/", views.issue_token),
    path("api/echo/", views.echo_query),
    path("api/settings/", views.settings_echo),
    path("api/csrf/", views.csrf),
    path("api/upload/", views.upload),
    path("api/remember/", views.remember),
    path("api/trip/<uuid:trip>/", views.trip),
    path("reset/<str:token>/", views.reset),
    path("boom/", views.boom),
]
