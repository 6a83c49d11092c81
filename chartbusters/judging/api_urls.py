from django.urls import path

from chartbusters.judging import api

# A finalist is named by its judging handle, never by the entry's id.
urlpatterns = [
    path("challenges/<slug:slug>/finalists/", api.FinalistListApi.as_view(), name="api-finalists"),
    path(
        "challenges/<slug:slug>/finalists/<str:handle>/midi/",
        api.FinalistMidiApi.as_view(),
        name="api-finalist-midi",
    ),
    path(
        "challenges/<slug:slug>/finalists/<str:handle>/audio/",
        api.FinalistAudioApi.as_view(),
        name="api-finalist-audio",
    ),
    path(
        "challenges/<slug:slug>/finalists/<str:handle>/score/",
        api.FinalistScoreApi.as_view(),
        name="api-finalist-score",
    ),
]
