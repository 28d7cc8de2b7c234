from django.urls import re_path

from chat.api import ChatView, ConversationDetailView, ConversationListView

TWIN = r"twins/(?P<twin_id>[0-9a-fA-F-]{36})"

urlpatterns = [
    re_path(rf"^{TWIN}/chat/?$", ChatView.as_view(), name="twin-chat"),
    re_path(rf"^{TWIN}/conversations/?$", ConversationListView.as_view(), name="twin-conversations"),
    re_path(rf"^{TWIN}/conversations/(?P<conversation_id>[0-9a-fA-F-]{{36}})/?$", ConversationDetailView.as_view(),
            name="twin-conversation"),
]
