"""ESP webhook normalizers (one module per provider), signature verification (`verify`), and the
provider registry (`registry`). KumoMTA log records live in `pipeline.mta_log`."""
