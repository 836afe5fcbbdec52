"""RFC 3834 auto-replies (vacation / out-of-office): one event, category other, reason
vacation; never a suppression."""
