"""Replies the classifier gets wrong today, per MTA: (mta, reply row id) -> the precise miss.

The real-MTA tests (live and offline on the saved fixtures) mark these cases
xfail(strict=True): the day the engine classifies one right, its test fails until the entry is
removed here. The engine lives in pipeline/ and is fixed there, never by editing this table to
match a wrong answer. "want" is the reply's documented meaning (category/reason names).
"""
from __future__ import annotations

CLASSIFIER_MISSES: dict[tuple[str, str], str] = {
    ('exim', 'comcast-dnsbl'):
        'want soft_bounce/blocked, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'comcast-dnsbl'):
        'want soft_bounce/blocked, got soft_bounce/onhold by rule fallback.onhold',
    ('postfix', 'comcast-dnsbl'):
        'want soft_bounce/blocked, got soft_bounce/onhold by rule fallback.onhold',
    ('exim', 'gmail-policy'):
        'want soft_bounce/policyviolation, got soft_bounce/securityerror by rule status.5.7.1',
    ('opensmtpd', 'gmail-policy'):
        'want soft_bounce/policyviolation, got soft_bounce/securityerror by rule status.5.7.1',
    ('postfix', 'gmail-policy'):
        'want soft_bounce/policyviolation, got soft_bounce/securityerror by rule status.5.7.1',
    ('exim', 'gmail-rate'):
        'want soft_bounce/ratelimited|speeding, got soft_bounce/blocked by rule status.4.2.1',
    ('postfix', 'gmail-rate'):
        'want soft_bounce/ratelimited|speeding, got soft_bounce/blocked by rule status.4.2.1',
    ('exim', 'gmail-tempfail'):
        'want soft_bounce/systemerror|undefined, got soft_bounce/onhold by rule fallback.onhold',
    ('postfix', 'gmail-tempfail'):
        'want soft_bounce/systemerror|undefined, got soft_bounce/onhold by rule fallback.onhold',
    ('exim', 'gmx-blocklisted'):
        'want soft_bounce/blocked, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'gmx-blocklisted'):
        'want soft_bounce/blocked, got soft_bounce/onhold by rule fallback.onhold',
    ('postfix', 'gmx-blocklisted'):
        'want soft_bounce/blocked, got soft_bounce/onhold by rule fallback.onhold',
    ('exim', 'gmx-spf'):
        'want auth_failure/authfailure, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'gmx-spf'):
        'want auth_failure/authfailure, got soft_bounce/onhold by rule fallback.onhold',
    ('postfix', 'gmx-spf'):
        'want auth_failure/authfailure, got soft_bounce/onhold by rule fallback.onhold',
    ('exim', 'mailru-nouser'):
        'want hard_bounce/userunknown, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'mailru-nouser'):
        'want hard_bounce/userunknown, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'mimecast-invalid'):
        'want hard_bounce/userunknown, got soft_bounce/filtered by rule phrase.filtered',
    ('exim', 'mimecast-spoof'):
        'want soft_bounce/policyviolation|securityerror|filtered, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'mimecast-spoof'):
        'want soft_bounce/policyviolation|securityerror|filtered, got soft_bounce/onhold by rule fallback.onhold',
    ('postfix', 'mimecast-spoof'):
        'want soft_bounce/policyviolation|securityerror|filtered, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'msft-notfound'):
        'want hard_bounce/userunknown, got soft_bounce/filtered by rule phrase.filtered',
    ('exim', 'rate-limit'):
        'want soft_bounce/ratelimited|speeding, got soft_bounce/blocked by rule status.4.7.1',
    ('postfix', 'rate-limit'):
        'want soft_bounce/ratelimited|speeding, got soft_bounce/blocked by rule status.4.7.1',
    ('exim', 'webde-storage'):
        'want soft_bounce/mailboxfull, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'webde-storage'):
        'want soft_bounce/mailboxfull, got soft_bounce/onhold by rule fallback.onhold',
    ('postfix', 'webde-storage'):
        'want soft_bounce/mailboxfull, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'webde-unavailable'):
        'want hard_bounce/userunknown, got soft_bounce/filtered by rule phrase.filtered',
    ('exim', 'yahoo-nouser'):
        'want hard_bounce/userunknown, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'yahoo-nouser'):
        'want hard_bounce/userunknown, got soft_bounce/onhold by rule fallback.onhold',
    ('opensmtpd', 'yandex-nouser'):
        'want hard_bounce/userunknown, got soft_bounce/filtered by rule phrase.filtered',
    ('exim', 'yandex-spam'):
        'want soft_bounce/spamdetected, got soft_bounce/securityerror by rule status.5.7.1',
    ('opensmtpd', 'yandex-spam'):
        'want soft_bounce/spamdetected, got soft_bounce/securityerror by rule status.5.7.1',
    ('postfix', 'yandex-spam'):
        'want soft_bounce/spamdetected, got soft_bounce/securityerror by rule status.5.7.1',
    ('exim', 'zoho-tempfail'):
        'want soft_bounce/systemerror|systemfull, got soft_bounce/expired by rule dialect.exim.expired',

}
