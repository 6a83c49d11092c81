from django.urls import path

from chartbusters.studio import views

app_name = "studio"

urlpatterns = [
    path("", views.studio, name="studio"),
    path("compositions/", views.compositions, name="compositions"),
    path("compositions/<uuid:composition_id>/", views.composition_detail, name="composition"),
    path("compositions/<uuid:composition_id>/rename/", views.composition_rename, name="rename"),
    path("compositions/<uuid:composition_id>/delete/", views.composition_delete, name="delete"),
    path("compositions/<uuid:composition_id>/submit/", views.composition_submit, name="submit"),
]
