from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.twin_list, name="twins"),
    path("twins/<uuid:twin_id>/chat", views.chat_page, name="page"),
    path("twins/<uuid:twin_id>/prompts/<str:fingerprint>", views.prompt_page, name="prompt"),
]
