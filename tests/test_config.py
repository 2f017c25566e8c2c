from __future__ import annotations

from dataclasses import fields

import pytest

from kg.config import Settings, describe_settings, load_settings
from kg.errors import ConfigError


def test_config_env_and_overrides_precedence():
    s = load_settings({"KG_STORE": "/env/store", "KG_QUERY_TIMEOUT": "2.5"}, store="/flag/store")
    assert s.store == "/flag/store" and s.query_timeout == 2.5


def test_config_bad_value_is_a_clear_error():
    with pytest.raises(ConfigError, match="KG_MAX_ROWS"):
        load_settings({"KG_MAX_ROWS": "lots"})


def test_config_every_setting_documented():
    assert all(f.metadata.get("help") for f in fields(Settings))
    assert {row[0] for row in describe_settings()} == {"KG_" + f.name.upper() for f in fields(Settings)}


def test_config_remote_store_url_kept_intact():
    assert load_settings({"KG_STORE": "http://127.0.0.1:7878"}).store == "http://127.0.0.1:7878"
