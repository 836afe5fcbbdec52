"""The MTA drivers by name."""
from tests.integration.mta.exim import Exim
from tests.integration.mta.opensmtpd import OpenSMTPD
from tests.integration.mta.postfix import Postfix

DRIVERS = {"postfix": Postfix, "exim": Exim, "opensmtpd": OpenSMTPD}
