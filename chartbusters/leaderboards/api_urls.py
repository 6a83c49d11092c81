"""The competition API: challenges, submissions and leaderboards (mounted under /api/)."""

from django.urls import path

from chartbusters.challenges import api as challenges
from chartbusters.leaderboards import api as leaderboards
from chartbusters.submissions import api as submissions

urlpatterns = [
    path("challenges/", challenges.ChallengeListApi.as_view(), name="api-challenges"),
    path("challenges/<slug:slug>/", challenges.ChallengeDetailApi.as_view(), name="api-challenge"),
    path(
        "challenges/<slug:slug>/submissions/",
        submissions.SubmissionCreateApi.as_view(),
        name="api-submission-create",
    ),
    path(
        "challenges/<slug:slug>/leaderboard/",
        leaderboards.LeaderboardApi.as_view(),
        name="api-leaderboard",
    ),
    path(
        "challenges/<slug:slug>/leaderboard.csv",
        leaderboards.LeaderboardExportApi.as_view(),
        name="api-leaderboard-csv",
    ),
    path(
        "challenges/<slug:slug>/rescore/",
        leaderboards.RescoreStartApi.as_view(),
        name="api-rescore-start",
    ),
    path("rescores/<int:run_id>/", leaderboards.RescoreDetailApi.as_view(), name="api-rescore"),
    path(
        "challenges/<slug:slug>/publish/",
        leaderboards.PublishResultsApi.as_view(),
        name="api-publish-results",
    ),
    path("challenges/<slug:slug>/results/", leaderboards.ResultsApi.as_view(), name="api-results"),
    path(
        "challenges/<slug:slug>/peoples-choice/",
        leaderboards.PeoplesChoiceApi.as_view(),
        name="api-peoples-choice",
    ),
    path(
        "challenges/<slug:slug>/entries/<str:submission_id>/midi/",
        leaderboards.ListenApi.as_view(),
        name="api-listen",
    ),
    path(
        "challenges/<slug:slug>/entries/<str:submission_id>/like/",
        leaderboards.LikeApi.as_view(),
        name="api-like",
    ),
    path("submissions/", submissions.MySubmissionsApi.as_view(), name="api-my-submissions"),
    path(
        "submissions/<str:submission_id>/",
        submissions.SubmissionDetailApi.as_view(),
        name="api-submission",
    ),
    path(
        "submissions/<str:submission_id>/midi/",
        submissions.SubmissionMidiApi.as_view(),
        name="api-submission-midi",
    ),
    path(
        "submissions/<str:submission_id>/disqualify/",
        submissions.SubmissionDisqualifyApi.as_view(),
        name="api-submission-disqualify",
    ),
    path(
        "submissions/<str:submission_id>/restore/",
        submissions.SubmissionRestoreApi.as_view(),
        name="api-submission-restore",
    ),
]
