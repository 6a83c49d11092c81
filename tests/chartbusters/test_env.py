from pathlib import Path

import pytest

from chartbusters.env import (
    ConfigError,
    Rate,
    env_bool,
    env_int,
    env_list,
    env_rate,
    env_secret,
    env_str,
    parse_database_url,
)


def test_a_boolean_is_only_true_or_false() -> None:
    assert env_bool("DEBUG", True, {"DEBUG": "False"}) is False
    assert env_bool("DEBUG", False, {"DEBUG": "True"}) is True


@pytest.mark.parametrize("garbage", ["false", "0", "yes", "TRUE", " True", "flase"])
def test_it_rejects_a_boolean_that_is_not_exactly_true_or_false(garbage: str) -> None:
    with pytest.raises(ConfigError, match="DEBUG must be True or False"):
        env_bool("DEBUG", True, {"DEBUG": garbage})


def test_missing_and_empty_values_take_the_default() -> None:
    assert env_bool("DEBUG", True, {}) is True
    assert env_bool("DEBUG", True, {"DEBUG": ""}) is True
    assert env_str("NAME", "fallback", {}) == "fallback"
    assert env_int("PORT", 25, {}) == 25


def test_it_rejects_a_number_that_is_not_whole() -> None:
    with pytest.raises(ConfigError, match="EMAIL_PORT must be a whole number, not '25x'"):
        env_int("EMAIL_PORT", 25, {"EMAIL_PORT": "25x"})


def test_it_rejects_a_number_below_its_minimum() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        env_int("LIMIT", 5, {"LIMIT": "0"}, minimum=1)


def test_lists_are_comma_separated_and_trimmed() -> None:
    assert env_list("HOSTS", [], {"HOSTS": " a.example , b.example,,"}) == [
        "a.example",
        "b.example",
    ]


def test_a_secret_comes_from_its_file_when_not_set_directly(tmp_path: Path) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text("s3cret\n")
    assert env_secret("SECRET_KEY", {"SECRET_KEY_FILE": str(secret_file)}) == "s3cret"
    assert env_secret("SECRET_KEY", {"SECRET_KEY": "direct", "SECRET_KEY_FILE": "x"}) == "direct"
    assert env_secret("SECRET_KEY", {}) is None


def test_an_unreadable_secret_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY_FILE names"):
        env_secret("SECRET_KEY", {"SECRET_KEY_FILE": str(tmp_path / "missing")})


def test_it_parses_postgres_urls() -> None:
    url = parse_database_url("postgres://bob:p%40ss@db.local:5433/charts?sslmode=require")
    assert url.as_django() == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "charts",
        "USER": "bob",
        "PASSWORD": "p@ss",
        "HOST": "db.local",
        "PORT": "5433",
        "OPTIONS": {"sslmode": "require"},
    }


def test_it_parses_relative_and_absolute_sqlite_urls() -> None:
    assert parse_database_url("sqlite:///db.sqlite3").name == "db.sqlite3"
    assert parse_database_url("sqlite:////var/db.sqlite3").name == "/var/db.sqlite3"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x@y/z", "must start with sqlite:// or postgres://"),
        ("postgres://host:5432/", "names no database"),
        ("postgres://host:99999999/db", "bad port"),
        ("sqlite://", "no database file"),
    ],
)
def test_it_rejects_bad_database_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_database_url(url)


def test_a_rate_is_a_count_per_window() -> None:
    assert env_rate("R", "5/h", {}) == Rate(count=5, seconds=3600)
    assert env_rate("R", "5/h", {"R": "10/15m"}) == Rate(count=10, seconds=900)
    assert env_rate("R", "5/h", {"R": "3/2d"}) == Rate(count=3, seconds=2 * 86400)


@pytest.mark.parametrize("garbage", ["10", "10/", "0/m", "10/0m", "ten/m", "10/15 m", "10/w"])
def test_it_rejects_a_malformed_rate(garbage: str) -> None:
    with pytest.raises(ConfigError, match="R must look like 10/15m"):
        env_rate("R", "5/h", {"R": garbage})
