from django.urls import path

from chartbusters.judging import api

urlpatterns = [
    path("challenges/<slug:slug>/finalists/", api.FinalistListApi.as_view(), name="api-finalists"),
    path(
        "challenges/<slug:slug>/finalists/<str:submission_id>/midi/",
        api.FinalistMidiApi.as_view(),
        name="api-finalist-midi",
    ),
    path(
        "challenges/<slug:slug>/finalists/<str:submission_id>/score/",
        api.FinalistScoreApi.as_view(),
        name="api-finalist-score",
    ),
]
