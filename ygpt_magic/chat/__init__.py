"""The chat layer: the notebook's chats as plain Python, and the one rule for what a request sends.

``options`` holds a chat's and a request's options, ``values`` the rest of the data (usage,
answers, replies, turns, chats), ``session`` the notebook's chats and who watches them, ``accounts`` the
tokens of every request, ``planning`` the rule that turns a prompt, a chat and the settings into
a :class:`Plan`, ``catalog`` the models, ``chatfile`` saving and loading. It imports neither
IPython nor the SDK (tests/test_layers.py holds that), so both views (the magics and the panel)
and the tests build on it alone.
"""

from ..words import counted
from .filetext import FileText
from .options import BUILTIN, FORMATS, UNSET, Options, RequestOptions
from .pictures import Picture, PictureInfo
from .planning import Plan, plan, plan_request
from .session import ChatEvent, ChatSession, ChatState
from .values import Answer, Ask, Chat, Extras, Message, Reply, ToolCallItem, ToolResultItem, Turn, Usage

__all__ = [
    "Answer", "Ask", "Extras", "Message", "ToolCallItem", "ToolResultItem",
    "BUILTIN", "FORMATS", "UNSET", "Chat", "ChatEvent", "ChatSession", "ChatState", "FileText", "Options", "Picture",
    "PictureInfo", "Plan", "Reply", "RequestOptions", "Turn", "Usage", "counted", "plan", "plan_request",
]
