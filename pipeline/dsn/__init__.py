"""Delivery status notifications: RFC 3464 and the many non-standard MTA dialects.

Map (one direction: bytes -> MailView -> BounceReport -> MailEvent):
  model.py        RecipientReport / OriginalMessage / BounceReport: what a parser extracts.
  fields.py       DSN-specific field values (`rfc822; a@b`, `smtp; 550 ...`). The generic mail
                  helpers (addresses, codes, dates, header blocks, transfer decoding, the
                  returned message) live in pipeline/mime.
  rfc3464.py      the standard multipart/report parser, also the fallback after all dialects.
  dialects/       lhost_<mta>.py, one module per bounce format, tried in the order of
                  dialects/order.py. (Receiving-provider overrides: pipeline/classify/rhosts.)
  fallback.py     the generic text reader for evident bounces nothing else reads (rules
                  `fallback.*`), and the forwarded-bounce unwrap.
  engine.py       read_bounce(mail): dialects in order, then RFC 3464, then the fallback;
                  read_bounces(mails): the same, each dialect over many emails; events_for.
  events.py       RecipientReport + Verdict -> MailEvent (ids, normalisation, tags).
  handler.py      the "email" family handler (order 50; ARF is 30, auto-replies 40).
The Python API (classify_message/-s) is pipeline/api.py. Classification lives in
pipeline/classify (reasons as data, Sisimai's vocabulary and rules).
"""
