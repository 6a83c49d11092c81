from django.urls import path

from chartbusters.submissions import audio_views, views

app_name = "submissions"

urlpatterns = [
    path("", views.my_submissions, name="mine"),
    path("<uuid:submission_id>/", views.submission_detail, name="detail"),
    path("<uuid:submission_id>/midi/", views.submission_midi, name="midi"),
    path("<uuid:submission_id>/audio.ogg", audio_views.entry_audio, name="audio"),
    path("enter/<slug:slug>/", views.submission_create_view, name="create"),
]
