"""Readings found wrong in real notices (issue 9), each through `broadcaster normalize`.

The expected readings are an announcer's; case is compared loosely because ordinary
words keep the case the operator typed ("Bộ", "Y tế").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from broadcaster.cli import app

READINGS = [
    # Abbreviations that depend on the words around them.
    ("Bộ CHQS tỉnh", "bộ chỉ huy quân sự tỉnh"),
    ("Ban CHQS xã", "ban chỉ huy quân sự xã"),
    ("BCH Quân sự xã", "ban chỉ huy quân sự xã"),
    ("BCH Quân sự tỉnh", "bộ chỉ huy quân sự tỉnh"),
    ("BCH Đoàn xã", "ban chấp hành đoàn xã"),
    ("P. Chủ tịch UBND xã", "phó chủ tịch ủy ban nhân dân xã"),
    ("P. Bí thư Đảng ủy", "phó bí thư đảng ủy"),
    ("P.GĐ Trung tâm", "phó giám đốc trung tâm"),
    ("Q. Chủ tịch", "quyền chủ tịch"),
    ("P. Tân Phong", "phường tân phong"),
    ("TT. Y tế xã", "trung tâm y tế xã"),
    ("Đ/c Nguyễn Văn An", "đồng chí nguyễn văn an"),
    ("V/v tiêm phòng", "về việc tiêm phòng"),
    ("K/g các hộ dân", "kính gửi các hộ dân"),
    ("UBKT Đảng ủy", "ủy ban kiểm tra đảng ủy"),
    ("Trạm BVTV", "trạm bảo vệ thực vật"),
    ("NVH thôn 3", "nhà văn hóa thôn ba"),
    ("Xăng RON 95", "xăng rôn chín mươi lăm"),
    ("Đường ĐT 605", "đường tỉnh sáu trăm linh năm"),
    ("KT. CHỦ TỊCH", "ký thay chủ tịch"),
    # Slashes and dashes, by context.
    ("Quý III/2025", "quý ba năm hai nghìn không trăm hai mươi lăm"),
    ("quý 3/2025", "quý ba năm hai nghìn không trăm hai mươi lăm"),
    ("Dịch cúm A/H5N1", "dịch cúm a, hát năm en một"),
    ("Giá tăng 1/3", "giá tăng một phần ba"),
    ("Gần 1/2 số hộ", "gần một phần hai số hộ"),
    ("Nhà số 1/5 đường Lê Lợi", "nhà số một trên năm đường lê lợi"),
    ("Họp ngày 3-12", "họp ngày mùng ba tháng mười hai"),
    ("Hạn chót 2026-12-20", "hạn chót ngày hai mươi tháng mười hai năm hai nghìn không trăm "
     "hai mươi sáu"),
    ("Vùng I", "vùng một"),
    ("Vùng IV", "vùng bốn"),
    ("Làm việc từ 7-9 giờ", "làm việc từ bảy đến chín giờ"),
    ("Xã đạt 19/19 tiêu chí", "xã đạt mười chín trên mười chín tiêu chí"),
    # Codes.
    ("Xe 15A-123.45 vi phạm", "xe mười lăm a, một hai ba, bốn lăm vi phạm"),
    ("Xe 92A-123.45 vi phạm", "xe chín mươi hai a, một hai ba, bốn lăm vi phạm"),
    ("Tàu QNa-90123-TS về bến", "tàu quảng nam, chín không một hai ba, thủy sản về bến"),
    ("Gọi 113", "gọi một một ba"),
    ("Gọi 113, 114 hoặc 115", "gọi một một ba, một một bốn hoặc một một năm"),
    ("Báo cháy 114 ngay", "báo cháy một một bốn ngay"),
    ("Thôn có 113 hộ", "thôn có một trăm mười ba hộ"),
    ("Điện thoại (0235) 3 822 113", "điện thoại không hai ba năm, ba tám hai hai, một một ba"),
    ("Km 1234+500", "ki lô mét một nghìn hai trăm ba mươi tư cộng năm trăm"),
    # List markers, unit prices, document numbers, an acronym after its own words.
    ("+ Ngày 6/11 tổ chức tiêm", "ngày mùng sáu tháng mười một tổ chức tiêm"),
    ("☝️ Ngày 7/11 tổ chức tiêm", "ngày mùng bảy tháng mười một tổ chức tiêm"),
    ("Giá 5.900đ/con", "giá năm nghìn chín trăm đồng một con"),
    ("Phí 75.000đ/liều", "phí bảy mươi lăm nghìn đồng một liều"),
    ("Thu 20.000đ/lần/con", "thu hai mươi nghìn đồng một lần một con"),
    ("Thu 50.000 đ/con", "thu năm mươi nghìn đồng một con"),
    ("Năng suất 6,5 tấn/ha", "năng suất sáu phẩy năm tấn trên héc ta"),
    ("Công văn số 1285/UBND-NN", "công văn số một nghìn hai trăm tám mươi lăm ủy ban nhân dân "
     "nông nghiệp"),
    ("Văn bản 972/UBND-KT", "văn bản số chín trăm bảy mươi hai ủy ban nhân dân kinh tế"),
    ("Số: 86/TB-UBND", "số: tám mươi sáu thông báo ủy ban nhân dân"),
    ("Dịch tả lợn châu Phi (DTLCP) đang lây lan",
     "dịch tả lợn châu phi đang lây lan"),
    ("Đồng bào H'Mông ở Ea H’leo, Đắk R'lấp", "đồng bào hơ mông ở ea hơ leo, đắk rơ lấp"),
    ("Người K'Ho", "người cơ ho"),
    ("Bà con nói 'tin bão' rồi", "bà con nói tin bão rồi"),
    ("BS.CKI Trần Văn Cường", "bác sĩ chuyên khoa một trần văn cường"),
    # Glued words and control characters.
    ("Thông\x00báo", "thông báo"),
    ("Kết quả côngtác tuyên truyền", "kết quả công tác tuyên truyền"),
    ("Đài Truyềnthanh xã", "đài truyền thanh xã"),
    ("của xãtrong dịp Tết", "của xã trong dịp tết"),
    ("Đềnghị bà con thựchiện", "đề nghị bà con thực hiện"),  # ties broken by real words
]


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("station") / "broadcaster.toml"
    path.write_text("", encoding="utf-8")
    return path


def normalize(*args: str, config: Path) -> str:
    done = CliRunner().invoke(app, ["normalize", *args, "--config", str(config)])
    assert done.exit_code == 0, done.output
    return done.stdout


@pytest.mark.parametrize(("written", "read"), READINGS)
def test_an_announcer_reading(written: str, read: str, config_file: Path) -> None:
    assert normalize(written, config=config_file).strip().lower() == read


def test_explain_lists_each_change_and_the_rule_that_made_it(config_file: Path) -> None:
    out = normalize("--explain", "Ban CHQS xã, Đ/c An, XYZQ.\nTrang 2/5", config=config_file)
    reading, _, changes = out.partition("\n\n")
    assert reading == "Ban chỉ huy quân sự xã, đồng chí An, ích i dài dét qui."
    assert "CHQS → chỉ huy quân sự: dictionary: CHQS" in changes
    assert "Đ/c → đồng chí: dictionary: Đ/c" in changes
    assert "XYZQ → ích i dài dét qui: not in the dictionary" in changes


def test_explain_names_the_context_rule_and_the_page_number(config_file: Path) -> None:
    out = normalize("--explain", "P. Chủ tịch xã\n\nTrang 2/5\n\nđã ký", config=config_file)
    assert "P. → phó: dictionary: P., when after = 'chủ tịch" in out
    assert "Trang 2/5 → (not read): page number" in out


def test_explain_says_when_nothing_changed(config_file: Path) -> None:
    out = normalize("--explain", "Bà con chú ý", config=config_file)
    assert out == "Bà con chú ý\n\nNo changes: every word is read as written.\n"


def test_a_station_rule_and_name_need_no_code(tmp_path: Path) -> None:
    """A station's own abbreviations.toml adds a local name and a context rule."""
    config = tmp_path / "broadcaster.toml"
    config.write_text("", encoding="utf-8")
    (tmp_path / "abbreviations.toml").write_text(
        '[abbreviations]\n"ĐăkMil" = "đắc min"\n'
        '[abbreviations."HTX"]\nread = "hợp tác xã"\n'
        "when = [{ after = 'Tân', read = \"hợp tác xã nông nghiệp\" }]\n"
        "[boats]\n\"PQ\" = \"phú quốc\"\n", encoding="utf-8")
    out = normalize("--explain", "HTX Tân Lập ở ĐăkMil, tàu PQ-12345-TS", config=config)
    assert out.startswith("hợp tác xã nông nghiệp Tân Lập ở đắc min, tàu phú quốc, một hai "
                          "ba bốn năm, thủy sản")
    assert "HTX → hợp tác xã nông nghiệp: dictionary: HTX, when after = 'Tân'" in out
