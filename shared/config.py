"""Configuration: nameko YAML with `${ENV:default}` values, as `nameko run --config` reads it."""
from __future__ import annotations

import os
from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.yaml"

setup_yaml_parser()


def load_config(path: str | os.PathLike = DEFAULT_CONFIG) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)
