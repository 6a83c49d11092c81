from django.urls import path

from chartbusters.challenges import views
from chartbusters.leaderboards import views as leaderboard_views

app_name = "challenges"

urlpatterns = [
    path("", views.challenge_list, name="list"),
    path("<slug:slug>/", views.challenge_detail, name="detail"),
    path("<slug:slug>/leaderboard/", leaderboard_views.leaderboard_page, name="leaderboard"),
    path(
        "<slug:slug>/entries/<uuid:submission_id>/like/",
        leaderboard_views.like_toggle,
        name="like",
    ),
]
