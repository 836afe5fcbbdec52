"""Where `bouncepipe imap` gets its credentials: an XOAUTH2 token fetched afresh before every
login (command, then file, then the fixed setting), a password from the URL or settings, and
a typed refusal (ImapAuthError) when none can be had. The servers are in
tests/integration/intake/test_imap_dovecot_*.py."""
from __future__ import annotations

import sys

import pytest

from connectors.sources.imap import ImapAuthError, ImapRefused, MailboxUrl
from connectors.sources.imap_login import oauth2_token, password
from pipeline.settings import ImapSettings


class _Credentials:
    def __init__(self, url: str, imap: ImapSettings):
        self.box, self.imap = MailboxUrl.parse(url), imap

    def _oauth2_token(self) -> str | None:
        return oauth2_token(self.imap)

    def _password(self) -> str:
        return password(self.box, self.imap)


def _poller(tmp_path, url="imap://dmarc@127.0.0.1:1143/INBOX", **imap) -> _Credentials:
    return _Credentials(url, ImapSettings(state_dir=tmp_path / "state", **imap))


def test_token_file_is_reread_before_every_login(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("ya29.first\n")
    poller = _poller(tmp_path, oauth2_token_file=token_file, oauth2_token="ya29.fixed")
    assert poller._oauth2_token() == "ya29.first"
    token_file.write_text("ya29.rotated")
    assert poller._oauth2_token() == "ya29.rotated"


def test_token_command_wins_and_its_output_is_stripped(tmp_path):
    command = f"{sys.executable} -c \"print('ya29.from-command')\""
    poller = _poller(tmp_path, oauth2_token_command=command, oauth2_token_file=tmp_path / "no")
    assert poller._oauth2_token() == "ya29.from-command"


@pytest.mark.parametrize("imap, reason", [
    ({"oauth2_token_command": f"{sys.executable} -c 'raise SystemExit(1)'"}, "command failed"),
    ({"oauth2_token_command": f"{sys.executable} -c 'pass'"}, "printed no token"),
    ({"oauth2_token_command": "/nonexistent/token-helper"}, "command failed"),
    ({"oauth2_token_file": "/nonexistent/token"}, "unreadable"),
])
def test_no_token_to_be_had_is_a_typed_refusal(tmp_path, imap, reason):
    with pytest.raises(ImapAuthError, match=reason):
        _poller(tmp_path, **imap)._oauth2_token()


def test_empty_token_file_is_a_typed_refusal(tmp_path):
    (tmp_path / "token").write_text("\n")
    with pytest.raises(ImapAuthError, match="is empty"):
        _poller(tmp_path, oauth2_token_file=tmp_path / "token")._oauth2_token()


def test_password_from_url_then_settings_else_refusal(tmp_path):
    url_password = _poller(tmp_path, "imap://dmarc:p%40ss@h/INBOX", password="other")
    assert url_password._password() == "p@ss"
    assert _poller(tmp_path, password="other")._password() == "other"
    with pytest.raises(ImapAuthError, match="no IMAP password"):
        _poller(tmp_path)._password()
    assert _poller(tmp_path)._oauth2_token() is None
    assert issubclass(ImapAuthError, ImapRefused)


def test_mailbox_url_ports_and_folders():
    assert MailboxUrl.parse("imaps://u@h/INBOX,Other%20Folder") == MailboxUrl(
        "h", 993, "u", ("INBOX", "Other Folder"), True)
    assert MailboxUrl.parse("imap://u@h:1143").port == 1143
    with pytest.raises(ValueError):
        MailboxUrl.parse("pop3://u@h/INBOX")
