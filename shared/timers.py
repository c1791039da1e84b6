"""`timer_from_config`: nameko's @timer with its interval read from the service's config.

nameko 2.14 fixes a timer's interval when the class is defined; tests and deployments need to
set it, so this timer reads `setting` from the config when the container sets it up.
"""
from __future__ import annotations

from nameko.timer import Timer


class ConfigTimer(Timer):
    def __init__(self, setting: str, default: float, eager: bool = False, **kwargs):
        self.setting = setting
        self.default = default
        super().__init__(default, eager, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.setting) or self.default)


timer_from_config = ConfigTimer.decorator
