"""Imports every handler module so it registers itself. One line per input family/dialect."""
# ruff: noqa: F401
from .dsn import handler as _dsn_handler
from .dmarc import handlers as _dmarc_handlers
from .arf import handler as _arf_handler
from .autoreply import handler as _autoreply_handler
from .webhooks import handler as _webhook_handler
