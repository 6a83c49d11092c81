from django.urls import path

from chartbusters.judging import views

app_name = "judging"

urlpatterns = [
    path("", views.judging_index, name="index"),
    path("<slug:slug>/", views.judge_finalists, name="finalists"),
]
