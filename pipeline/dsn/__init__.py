"""Delivery status notifications: RFC 3464 and the many non-standard MTA dialects."""
