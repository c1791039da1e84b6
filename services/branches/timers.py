"""A nameko timer whose interval comes from the configuration, so tests can make it short."""
from __future__ import annotations

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """`@configured_timer("KEY", default=60)`: fires every `config[KEY]` seconds.

    nameko's `@timer(interval=...)` fixes the interval when the class is defined; this one
    reads it when the container sets up. Like every nameko timer it fires on each replica,
    so the work it starts must be safe to run twice (see the summaries' unique ids).
    """

    def __init__(self, config_key: str, default: float, **kwargs):
        self.config_key = config_key
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self):
        value = self.container.config.get(self.config_key)
        self.interval = float(value) if value not in (None, "") else float(self.default)
        if self.interval <= 0:
            raise ValueError(f"{self.config_key} must be a positive number of seconds")
        super().setup()


configured_timer = ConfiguredTimer.decorator
