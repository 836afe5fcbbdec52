"""MTA log records (KumoMTA JSON log records) -> MailEvents. Dispatched by pipeline.webhooks."""
