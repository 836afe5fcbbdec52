"""Suppression decisions: the policy as pure functions (`decide`, `unsuppress`, the blast-radius
`guard`) plus `SuppressionEngine`, the stateful driver used by batch `ingest` and, one engine per
events partition, by the streaming worker."""
from .engine import POLICY_FIELDS, SuppressionEngine  # noqa: F401
from .policy import SuppressionPolicy, load_policy  # noqa: F401
from .rules import decide, unsuppress  # noqa: F401
from .state import AddressState, SuppressionAlert, UnsuppressRequest  # noqa: F401
