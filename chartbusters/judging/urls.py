from django.urls import path

from chartbusters.judging import views

app_name = "judging"

urlpatterns = [
    path("<slug:slug>/", views.judge_finalists, name="finalists"),
]
