from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from feed import views
from rest_framework.routers import DefaultRouter

router = DefaultRouter()
router.register("posts", views.PostViewSet)

urlpatterns = [
    path("", views.index, name="index"),
    path("signup/", views.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("api/", include(router.urls)),
    path("admin/", admin.site.urls),
]
