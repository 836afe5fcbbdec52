"""DMARC aggregate, DMARC failure and SMTP TLS report rows (filled in by the DMARC work)."""
