"""Feedback-loop reports: RFC 5965 ARF and the non-standard variants (Yahoo CFL, Microsoft
JMRP, Amazon SES, Apple Mail's unsubscribe mail)."""
