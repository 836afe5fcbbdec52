"""`bouncepipe verp encode|decode` — make and read return paths (pipeline/verp.py).

  bouncepipe verp encode alice@example.com --domain bounces.example.net --tenant acme --ref c42
  bouncepipe verp decode 'b+ae2xm...@bounces.example.net'    (a signed token)
  bouncepipe verp decode 'b+alice=example.com@bounces.example.net'   (classic VERP)

Keys: BOUNCEPIPE_VERP__KEYS='{"k1": "a long random secret"}' (BOUNCEPIPE_VERP__CURRENT_KEY
picks the signing key when there are several; every key verifies). --plain makes an unsigned
address. decode prints JSON and exits 1 when the address is not VERP or its token is
forged, expired or (with verp.require_signed) missing.
"""
from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verp", help="encode/decode VERP return paths (signed tokens)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = p.add_subparsers(dest="verb", required=True)
    enc = verbs.add_parser("encode", help="the return path for a recipient")
    enc.add_argument("recipient")
    enc.add_argument("--domain", required=True, help="the bounce domain")
    enc.add_argument("--tenant", default="", help="tenant ([A-Za-z0-9_-], up to 64)")
    enc.add_argument("--ref", default="", help="campaign or message id ([A-Za-z0-9_-])")
    enc.add_argument("--plain", action="store_true", help="unsigned prefix+local=domain form")
    dec = verbs.add_parser("decode", help="what a return path says (verified)")
    dec.add_argument("address", nargs="+")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.settings import default_settings
    from pipeline.verp import Codec, NotVerp, VerpError, status_of

    codec = Codec.from_settings(default_settings().verp)
    if args.verb == "encode":
        try:
            print(codec.encode(args.recipient, args.domain, tenant=args.tenant, ref=args.ref,
                               signed=not args.plain))
        except VerpError as exc:
            print(f"bouncepipe verp: {exc}", file=sys.stderr)
            return 2
        return 0
    status = 0
    for address in args.address:
        try:
            said = codec.decode(address)
            out = {"address": address, "status": said.status, "recipient": said.recipient,
                   "tenant": said.tenant, "ref": said.ref, "key_id": said.key_id,
                   "signed_at": said.signed_at.isoformat() if said.signed_at else None}
        except VerpError as exc:
            status = 1
            out = {"address": address,
                   "status": "missing" if isinstance(exc, NotVerp) else status_of(exc),
                   "error": type(exc).__name__, "reason": exc.reason}
        print(json.dumps(out))
    return status
