"""The studio API, mounted under /api/studio/."""

from django.urls import path

from chartbusters.studio import api

urlpatterns = [
    path("samples/", api.SampleListApi.as_view(), name="api-studio-samples"),
    path("samples/<slug:slug>/midi", api.SampleMidiApi.as_view(), name="api-studio-sample-midi"),
    path("samples/<slug:slug>/audio", api.SampleAudioApi.as_view(), name="api-studio-sample-audio"),
    path("techniques/", api.TechniqueListApi.as_view(), name="api-studio-techniques"),
    path("compositions/", api.CompositionListApi.as_view(), name="api-studio-compositions"),
    path(
        "compositions/<str:composition_id>/",
        api.CompositionDetailApi.as_view(),
        name="api-studio-composition",
    ),
    path(
        "compositions/<str:composition_id>/midi",
        api.CompositionMidiApi.as_view(),
        name="api-studio-composition-midi",
    ),
    path(
        "compositions/<str:composition_id>/audio",
        api.CompositionAudioApi.as_view(),
        name="api-studio-composition-audio",
    ),
    path(
        "compositions/<str:composition_id>/instruments/",
        api.CompositionInstrumentsApi.as_view(),
        name="api-studio-composition-instruments",
    ),
    path(
        "compositions/<str:composition_id>/submit/",
        api.CompositionSubmitApi.as_view(),
        name="api-studio-composition-submit",
    ),
    path("jobs/", api.JobCreateApi.as_view(), name="api-studio-jobs"),
    path("jobs/<str:job_id>/", api.JobDetailApi.as_view(), name="api-studio-job"),
    path("jobs/<str:job_id>/retry/", api.JobRetryApi.as_view(), name="api-studio-job-retry"),
]
