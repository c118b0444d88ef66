"""The line's configuration: the environment read in one place, the key beside its database."""

from __future__ import annotations

from pathlib import Path

from deconfliction.config import DEFAULT_DB_URL, Environment, LineConfig, key_path_for


def test_the_environment_is_read_from_the_mapping_given() -> None:
    env = Environment.read(
        {
            "DECONFLICTION_DB": "sqlite:///line.db",
            "DECONFLICTION_KEY": "/keys/line.key",
            "DECONFLICTION_URL": "https://line.example",
            "DECONFLICTION_TOKEN": "dl_secret",
            "DECONFLICTION_MEMBER_KEY": "/keys/me.key",
            "XDG_DATA_HOME": "/data",
            "DECONFLICTION_NATS": "nats://nats.internal:4222",
        }
    )
    assert env.nats == "nats://nats.internal:4222"
    assert env.db == "sqlite:///line.db" and env.key == "/keys/line.key"
    assert env.url == "https://line.example" and env.member_key == "/keys/me.key"
    assert env.data_home == "/data" and env.config is None and env.state is None


def test_a_token_in_the_environment_is_never_shown() -> None:
    env = Environment.read({"DECONFLICTION_TOKEN": "dl_secret"})
    assert env.token == "dl_secret"
    assert "dl_secret" not in repr(env)


def test_empty_variables_count_as_unset() -> None:
    assert Environment.read({"DECONFLICTION_DB": "", "DECONFLICTION_TOKEN": ""}) == Environment()


def test_the_database_is_the_flag_then_the_environment_then_the_default() -> None:
    env = Environment.read({"DECONFLICTION_DB": "sqlite:///env.db"})
    assert env.db_url("sqlite:///flag.db") == "sqlite:///flag.db"
    assert env.db_url(None) == "sqlite:///env.db"
    assert Environment.read({}).db_url(None) == DEFAULT_DB_URL == "sqlite:///deconfliction.db"


def test_the_signing_key_sits_beside_an_sqlite_file_unless_named() -> None:
    assert key_path_for("sqlite:////var/line.db") == Path("/var/line.key")  # absolute
    assert key_path_for("sqlite:///line.db") == Path("line.key")  # relative
    assert key_path_for("sqlite:///var/line.db", "/keys/k") == Path("/keys/k")
    assert key_path_for("postgresql+psycopg://u@h/db") == Path("deconfliction.key")
    assert key_path_for("sqlite:///:memory:") is None  # its record dies with it


def test_a_line_config_names_its_key_or_takes_the_one_beside_its_database() -> None:
    assert LineConfig(db_url="sqlite:///a/b.db").signing_key_path == Path("a/b.key")
    named = LineConfig(db_url="sqlite:///a/b.db", key_path=Path("/k/line.key"))
    assert named.signing_key_path == Path("/k/line.key")
