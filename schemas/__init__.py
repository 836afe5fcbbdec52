"""bouncepipe's contract: pydantic models, vocabularies, Arrow schemas, JSON Schemas."""
from .models import (  # noqa: F401
    SCHEMA_VERSION,
    MailEvent,
    NotParsed,
    RawMessage,
    RawSource,
    SuppressionEvent,
)
from .vocab import REASONS, Category, SourceKind  # noqa: F401
