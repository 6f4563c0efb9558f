from django.contrib import admin
from django.urls import path
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView
from trips import views

urlpatterns = [
    path("api/sign_up/", views.SignUpView.as_view(), name="sign_up"),
    path("api/token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("api/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    path("api/trips/<uuid:trip_id>/", views.TripDetailView.as_view(), name="trip_detail"),
    path("admin/", admin.site.urls),
]
