"""Every exception a ygpt_magic user can see, with its message.

A notebook user needs to know what happened and what to do next, not where in our code it was
noticed, so IPython must print the message alone, without a traceback. One mechanism does that:
the magic boundary (``magics.YGptMagics.ygpt``, the one entry of every cell and subcommand) turns a
YGptError into a plain ``UsageError`` carrying it as ``.error``. Not subclassing: IPython hides the
traceback only for ``UsageError`` itself (``etype is UsageError`` in ``showtraceback``,
ipython/ipython#14024), and a subclass here would tie every layer, the chat layer included, to
IPython. The panel shows these messages in its status line; Python callers get ordinary
exceptions. Each message is one paragraph and never contains a credential.

The types live in modules by what went wrong (``base``, with InternalError: a bug of ours;
``usage``: before anything is sent, ``reach``: reaching the server and its answer arriving,
``service``: what the service said when it refused, ``too_long``: what it refused as too long,
``work``: tools, data, pictures,
``sources``: answers from the user's files, ``stops``: Ctrl-C); import
them from here. ``origin`` holds the two ways advice is worded: for a cell (``str(error)``), and
for the panel (``error.words(PANEL)``).
"""

from .base import InternalError, YGptError
from .caches import (
    CacheLocked,
    CacheMaskUnfinished,
    CacheMiss,
    CacheNotCleared,
    CacheNotHere,
    CacheNotMasked,
    CacheUnusable,
)
from .merges import CacheNotMerged
from .network import HostNotFound, ProxyFailed, ProxyInTheWay, ProxyUnusable
from .origin import CELL, DEMO, FIX, HEADLESS, PANEL, Origin, capital, choices
from .reach import (
    ChatReplyUnreadable,
    HttpNotGrpc,
    MessageTooLarge,
    OperationGone,
    OperationUnreachable,
    ReconnectPending,
    ServerBusy,
    ServerGaveUp,
    ServerStayedBusy,
    ServerStoppedAnswering,
    ServerTimeout,
    ServerUnavailable,
    StreamBroken,
    StreamStalled,
    TlsFailed,
)
from .rows import (
    ColumnNotFound,
    EmptyPrompt,
    ExpressionRaised,
    MissingValue,
    NoSuchField,
    RowExpressionFailed,
    RowFailed,
    RowSize,
    RowTooLong,
)
from .service import (
    AuthFailed,
    ChatApiRedirects,
    CredentialsMissing,
    FolderIsCredential,
    FolderMismatch,
    ModelNotFound,
    OAuthNotExchanged,
    PermissionDenied,
    PictureModelNotFound,
    QuotaExceeded,
    RefusedForEvery,
    RequestRejected,
    RequestTooLarge,
    ServerFailed,
    ServiceRefused,
)
from .sources import CredentialInSource, IndexingOverCap, IndexUnusable, NoSources, SourcesOverCap, SourcesTooLong
from .stops import (
    AuthStopped,
    BatchNotStarted,
    BatchStatusStopped,
    Interrupted,
    StoppedBeforeAsking,
    StoppedInFlight,
    stopping,
)
from .too_long import ContextTooLong, TextTooLong, TextTooLongToClassify, TextTooLongToEmbed
from .usage import (
    ChatBusy,
    ChatChanged,
    ChatExists,
    ChatFileError,
    CostOverCap,
    CredentialInFailedCell,
    CredentialInName,
    CredentialInPrompt,
    CredentialInReply,
    CredentialInText,
    CredentialInToolCall,
    CredentialInToolResult,
    CredentialMalformed,
    Found,
    InterpolationError,
    NoInputHere,
    NotebookError,
    NothingToFix,
    OptionError,
    PriceError,
    StoppedBeforeSending,
    UnknownChat,
)
from .work import (
    BatchFailed,
    BatchNotCollected,
    BatchUnknown,
    CancelledInFlight,
    DataExtraMissing,
    DatasetRejected,
    ImageError,
    ImagesNotTaken,
    NoChatEndpoint,
    NotSent,
    ReplyNotValid,
    SchemaError,
    SidecarMissing,
    ToolError,
    ToolRoundsExceeded,
)
from .writes import FileNotWritten, FolderNotCopied

__all__ = [
    "CELL", "DEMO", "FIX", "HEADLESS", "PANEL", "Origin", "capital", "choices",
    "AuthFailed", "AuthStopped", "BatchFailed", "BatchNotCollected", "BatchUnknown", "CacheLocked", "CacheMiss",
    "CancelledInFlight",
    "CacheMaskUnfinished", "CacheNotCleared", "CacheNotHere", "CacheNotMasked", "CacheNotMerged",
    "CacheUnusable", "ChatApiRedirects", "ChatBusy", "ChatChanged", "ChatExists", "ChatFileError",
    "ChatReplyUnreadable", "ContextTooLong", "CostOverCap", "CredentialInFailedCell", "CredentialInName",
    "CredentialInPrompt", "CredentialInReply", "CredentialInText", "CredentialInToolCall",
    "CredentialInToolResult", "CredentialMalformed",
    "CredentialInSource", "CredentialsMissing", "DataExtraMissing", "DatasetRejected", "Found", "HostNotFound",
    "EmptyPrompt",
    "HttpNotGrpc",
    "ImageError",
    "FileNotWritten", "FolderIsCredential", "FolderNotCopied", "FolderMismatch", "ImagesNotTaken",
    "IndexUnusable", "InternalError", "InterpolationError", "MessageTooLarge", "MissingValue", "ModelNotFound",
    "ExpressionRaised", "RowExpressionFailed", "RowFailed", "ColumnNotFound", "NoSuchField",
    "NoChatEndpoint", "NoInputHere", "NoSources", "NotSent",
    "NotebookError", "NothingToFix", "OAuthNotExchanged", "OperationGone", "OperationUnreachable", "OptionError",
    "PermissionDenied",
    "PictureModelNotFound", "PriceError",
    "ProxyFailed", "ProxyInTheWay", "ProxyUnusable",
    "QuotaExceeded", "ReconnectPending", "RefusedForEvery", "ReplyNotValid", "RowSize", "RowTooLong",
    "RequestRejected",
    "RequestTooLarge", "SchemaError", "ServerBusy", "ServerFailed", "ServerGaveUp", "ServerStoppedAnswering",
    "ServerStayedBusy", "ServerTimeout",
    "ServerUnavailable", "ServiceRefused", "SidecarMissing", "StoppedBeforeSending", "StoppedBeforeAsking",
    "StoppedInFlight", "BatchNotStarted", "BatchStatusStopped", "Interrupted", "stopping",
    "TlsFailed", "SourcesOverCap", "IndexingOverCap", "SourcesTooLong", "StreamBroken", "StreamStalled", "ToolError",
    "TextTooLong", "TextTooLongToClassify", "TextTooLongToEmbed", "ToolRoundsExceeded", "UnknownChat",
    "YGptError",
]
