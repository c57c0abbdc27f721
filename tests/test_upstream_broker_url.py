"""The `[district] broker` URL: read in one place (broker_url.py) by the station's link, the
district's commands and the config's check; the MQTT version rides on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from broadcaster.config import parse_config
from broadcaster.model import OperatorError
from broadcaster.upstream.broker_url import BrokerURL, parse_broker_url
from broadcaster.upstream.link import BrokerSettings


@pytest.mark.parametrize(("url", "expected"), [
    ("mqtt://broker.example", BrokerURL("broker.example", 1883, False, None, "5", None, None)),
    ("mqtt://broker.example:1884?protocol=3.1.1",
     BrokerURL("broker.example", 1884, False, None, "3.1.1", None, None)),
    ("mqtts://broker.example?protocol=5",
     BrokerURL("broker.example", 8883, True, None, "5", None, None)),
    ("ssl://10.0.0.5:8884?ca_file=ca.pem&protocol=3.1.1",
     BrokerURL("10.0.0.5", 8884, True, "ca.pem", "3.1.1", None, None)),
    ("mqtt://broker.example?ca_file=ca.pem",  # a CA means TLS, on the port written
     BrokerURL("broker.example", 1883, True, "ca.pem", "5", None, None)),
    ("tcp://tinh:bi-mat@127.0.0.1:1883",
     BrokerURL("127.0.0.1", 1883, False, None, "5", "tinh", "bi-mat")),
])
def test_a_broker_url_says_where_tls_and_the_mqtt_version(url: str, expected: BrokerURL) -> None:
    assert parse_broker_url(url) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("mqtt://broker.example?protocol=3.1",
     "the broker URL asks for MQTT version '3.1'; write protocol=5 or protocol=3.1.1 "
     "(RabbitMQ 3.10 speaks 3.1.1 only)"),
    ("mqtt://broker.example?protocol=",
     "the broker URL asks for MQTT version ''; write protocol=5 or protocol=3.1.1 "
     "(RabbitMQ 3.10 speaks 3.1.1 only)"),
    ("mqtt://broker.example?protocl=3.1.1",
     "the broker URL has 'protocl', which is not a setting of it; it may carry "
     "protocol=5|3.1.1 and ca_file=PATH"),
    ("mqtt://broker.example?3.1.1",
     "'mqtt://broker.example?3.1.1' is not a broker URL; write it like "
     "mqtt://broker.example:1883, mqtts://broker.example:8883?ca_file=ca.pem or "
     "mqtt://broker.example:1883?protocol=3.1.1"),
    ("http://broker.example", "'http://broker.example' is not a broker URL; write it like "
     "mqtt://broker.example:1883, mqtts://broker.example:8883?ca_file=ca.pem or "
     "mqtt://broker.example:1883?protocol=3.1.1"),
    ("broker.example:1883", "'broker.example:1883' is not a broker URL; write it like "
     "mqtt://broker.example:1883, mqtts://broker.example:8883?ca_file=ca.pem or "
     "mqtt://broker.example:1883?protocol=3.1.1"),
    ("mqtt://broker.example:99999", "'mqtt://broker.example:99999' is not a broker URL; write "
     "it like mqtt://broker.example:1883, mqtts://broker.example:8883?ca_file=ca.pem or "
     "mqtt://broker.example:1883?protocol=3.1.1"),
])
def test_a_bad_broker_url_is_refused_in_one_line(url: str, expected: str) -> None:
    with pytest.raises(OperatorError) as refused:
        parse_broker_url(url)
    assert str(refused.value) == expected


def test_the_config_refuses_an_unknown_mqtt_version_with_its_line() -> None:
    text = ('[station]\nid = "tan-phong"\n\n[district]\n'
            'broker = "mqtt://broker.example?protocol=4"\n')
    with pytest.raises(OperatorError) as refused:
        parse_config(text, Path("f.toml"))
    assert str(refused.value) == (
        "f.toml:5: district.broker: the broker URL asks for MQTT version '4'; write "
        "protocol=5 or protocol=3.1.1 (RabbitMQ 3.10 speaks 3.1.1 only)")


def test_the_config_takes_either_version_and_the_link_speaks_it() -> None:
    for written, spoken in (("", MQTTProtocolVersion.MQTTv5),
                            ("?protocol=5", MQTTProtocolVersion.MQTTv5),
                            ("?protocol=3.1.1", MQTTProtocolVersion.MQTTv311)):
        config = parse_config(f'[district]\nbroker = "mqtt://127.0.0.1:1883{written}"\n',
                              Path("f.toml"))
        assert config.district.broker is not None
        settings = BrokerSettings.from_url(config.district.broker)
        assert settings.protocol is spoken
        assert settings.client("x", persistent=True).protocol == spoken.value


def test_the_link_names_the_setting_when_the_url_is_bad() -> None:
    with pytest.raises(OperatorError, match=r"^\[district\] broker: the broker URL asks for "
                                            r"MQTT version 'x'"):
        BrokerSettings.from_url("mqtt://127.0.0.1?protocol=x")


def test_a_relative_ca_file_is_taken_from_the_config_folder(tmp_path: Path) -> None:
    settings = BrokerSettings.from_url("mqtts://broker.example?ca_file=keys/ca.pem",
                                       base=tmp_path)
    assert (settings.tls, settings.port, settings.ca_file) == (True, 8883,
                                                               str(tmp_path / "keys/ca.pem"))


@pytest.mark.parametrize("station_id", ["xa.ben", "xa/ben", "xa+", "#", "xã bến", ""])
def test_a_station_id_that_cannot_name_its_topics_is_refused_with_a_broker(
        station_id: str) -> None:
    text = f'[station]\nid = "{station_id}"\n\n[district]\nbroker = "mqtt://127.0.0.1"\n'
    with pytest.raises(OperatorError) as refused:
        parse_config(text, Path("f.toml"))
    assert str(refused.value) == (
        f"f.toml:2: station.id: station id {station_id!r} cannot name the station's MQTT "
        "topics; use letters, digits, - and _ (a '.' splits a topic on RabbitMQ, '/', '+' "
        "and '#' on every broker)")
    # without a district the id names nothing but the station's own files
    assert parse_config(f'[station]\nid = "{station_id}"\n', Path("f.toml")).station.id \
        == station_id


def test_station_ids_of_letters_digits_dashes_and_underscores_are_taken() -> None:
    for station_id in ("tan-phong", "xa_ben_2", "TânPhong"):
        text = f'[station]\nid = "{station_id}"\n\n[district]\nbroker = "mqtt://127.0.0.1"\n'
        assert parse_config(text, Path("f.toml")).station.id == station_id
