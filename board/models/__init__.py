"""All models, importable from one place."""
from board.models.base import Base, utcnow
from board.models.cache import SharedGeneration
from board.models.forum import (
    DELETED, HIDDEN, PENDING, PUBLISHED, REJECTED, REMOVED, Post, PostRevision, Thread, Topic,
)
from board.models.following import Follow, Mention, Mute, NotificationSettings, PostPublication
from board.models.message import Block, Conversation, ConversationMember, Message, MessagePreferences
from board.models.moderation import (
    CannedReason, ModerationAction, ModerationItem, Report, WatchedWord,
)
from board.models.notification import MailMessage, Notification
from board.models.page import SitePage, SitePageRevision
from board.models.profile import DiagnosisProfile
from board.models.media import Image, MediaBlob
from board.models.gestures import REACTION_KINDS, Bookmark, Draft, Reaction
from board.models.security import (
    HealthSettings, NewcomerNudge, RecoveryCode, TotpSecret, UserSession, WebAuthnCredential, Welcomer,
)
from board.models.story import Story, StoryTheme
from board.models.user import Sanction, User

__all__ = [
    "Base", "utcnow", "User", "Sanction", "Topic", "Thread", "Post", "PostRevision",
    "ModerationItem", "Report", "ModerationAction", "WatchedWord", "CannedReason",
    "Notification", "MailMessage", "Story", "StoryTheme", "Reaction", "Bookmark", "Draft", "REACTION_KINDS",
    "DiagnosisProfile", "SitePage", "SitePageRevision", "Follow", "Mute", "NotificationSettings", "PostPublication", "Mention",
    "TotpSecret", "RecoveryCode", "WebAuthnCredential", "UserSession", "Welcomer", "NewcomerNudge",
    "HealthSettings", "Image", "MediaBlob", "SharedGeneration",
    "Conversation", "ConversationMember", "Message", "Block", "MessagePreferences",
    "PENDING", "PUBLISHED", "HIDDEN", "REJECTED", "REMOVED", "DELETED",
]
