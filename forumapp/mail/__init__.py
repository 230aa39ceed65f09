"""The outbox: every email is stored with the change that caused it, then delivered with retries."""
