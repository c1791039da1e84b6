"""Code the Kuaiban services share: configuration, clock, storage with outbox, events, errors, HTTP."""
