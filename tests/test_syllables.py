"""Words a PDF glued together ("côngtác", "Truyềnthanh") are cut back into syllables; real
syllables, foreign words, capitals and codes are left exactly as they came.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcaster.speech.syllables import (
    SYLLABLES,
    is_vietnamese_syllable,
    split_glued,
    tone_in_place,
)
from broadcaster.speech.tone_marks import TONE_MARKS, is_syllable

GLUED = [
    ("côngtác", ["công", "tác"]),
    ("Truyềnthanh", ["Truyền", "thanh"]),
    ("xãtrong", ["xã", "trong"]),  # never xãt|rong: a stop takes only sắc or nặng
    ("nhândân", ["nhân", "dân"]),
    ("phòngchống", ["phòng", "chống"]),
    ("thôngbáo", ["thông", "báo"]),
    ("Thôngbáo", ["Thông", "báo"]),
    ("tổchức", ["tổ", "chức"]),  # never tổc|hức
    ("ngườidân", ["người", "dân"]),
    ("ủyban", ["ủy", "ban"]),  # fewest syllables: not ủ|y|ban
    ("Uỷban", ["Uỷ", "ban"]),
    ("antoàn", ["an", "toàn"]),
    ("giaothông", ["giao", "thông"]),  # not gia|o|thông
    ("bệnhviện", ["bệnh", "viện"]),
    ("kếhoạch", ["kế", "hoạch"]),
    ("tuyêntruyền", ["tuyên", "truyền"]),
    ("phườngxã", ["phường", "xã"]),
    ("nghĩavụ", ["nghĩa", "vụ"]),
    ("quânsự", ["quân", "sự"]),
    ("khuyếnkhích", ["khuyến", "khích"]),  # not khu|yến|khích
    ("nướcsạch", ["nước", "sạch"]),
    ("thuỷlợi", ["thuỷ", "lợi"]),
    ("thủylợi", ["thủy", "lợi"]),
    ("hoạtđộng", ["hoạt", "động"]),
    ("vănhóa", ["văn", "hóa"]),  # never vănh|óa: ă takes no nh
    ("ngânhàng", ["ngân", "hàng"]),
    ("quốcgia", ["quốc", "gia"]),
    ("giữgìn", ["giữ", "gìn"]),
    ("nghiêngngả", ["nghiêng", "ngả"]),
    ("khuỷutay", ["khuỷu", "tay"]),
    ("quyềnlợi", ["quyền", "lợi"]),
    ("giếngnước", ["giếng", "nước"]),
    ("lợiích", ["lợi", "ích"]),  # looks like one syllable but has two tone marks
    ("tổấm", ["tổ", "ấm"]),
    ("xãTân", ["xã", "Tân"]),
    ("HàNội", ["Hà", "Nội"]),
    ("NguyễnVănHùng", ["Nguyễn", "Văn", "Hùng"]),
    ("Uỷbannhândân", ["Uỷ", "ban", "nhân", "dân"]),
    ("phòngchốngdịchbệnh", ["phòng", "chống", "dịch", "bệnh"]),
]

SYLLABLES_SEEN = [
    "nghiêng", "khuỷu", "quốc", "giữa", "gì", "gìn", "thuyền", "người", "hoạch", "ươn", "ước",
    "uể", "oải", "quýt", "quỳnh", "quyển", "huỳnh", "khuya", "huơ", "thuở", "ngoằn", "ngoèo",
    "quăng", "xoong", "boong", "oái", "oăm", "khuấy", "nguệch", "ngoạc", "rượu", "hươu",
    "giếng", "giết", "yểng", "yếm", "ỉa", "ừ", "ửng", "kênh", "ếch", "inh", "hòa", "hoà",
    "thủy", "thuỷ", "qúy", "Ủy", "Truyền",
]

LEFT_ALONE = [
    *SYLLABLES_SEEN,
    # Foreign words and codes: no Vietnamese letter, no tone mark.
    "online", "Facebook", "internet", "email", "Zalo", "thanhoa", "anhem", "giaothong",
    # Capitals are names and abbreviations, for the caller.
    "HÀNỘI", "UBND", "THÔNGBÁO",
    # Digits, signs, other letters.
    "côngtác2", "xã-trong", "Thông\x00báo", "côngtác.", "zôngtác", "thôngbáo\u0301",
    # Two or more best cuts.
    "thànhủy",  # thành|ủy, thàn|hủy, thà|nhủy
    "thựchiện",  # thực|hiện, thự|chiện
    "cánhân",  # cá|nhân, cán|hân
    "đềnghị",  # đề|nghị, đền|ghị
    "Côngan",  # Công|an, Côn|gan, Cô|ngan
    "sốnội", "cảmơn", "cómặt",  # số|nội, sốn|ội; cảm|ơn, cả|mơn; có|mặt, cóm|ặt
    # One syllable's shape with at most one tone: a loan the rules do not know stays whole.
    "buýt", "tuýp", "caoốc", "hòaan",
    # No cut at all.
    "ĐắkLắk", "côngtácx", "xãtr", "tổc",
]

# Syllables of real notices: none is cut, and two neighbours glued are cut back or left alone.
NOTICES = """
Thực hiện Kế hoạch của Ủy ban nhân dân huyện về công tác phòng, chống dịch bệnh trên địa
bàn, Ủy ban nhân dân xã Tân Phong thông báo đến toàn thể nhân dân một số nội dung như sau.
Để chủ động phòng chống bão, Ban Chỉ huy phòng chống thiên tai và tìm kiếm cứu nạn xã đề
nghị các hộ gia đình ở vùng trũng thấp khẩn trương gia cố nhà cửa, chằng chống mái tôn, di
chuyển người và tài sản đến nơi an toàn.
Trạm Y tế xã tổ chức tiêm chủng mở rộng cho trẻ em dưới năm tuổi vào sáng thứ hai hằng
tuần. Đề nghị các bậc phụ huynh mang theo sổ tiêm chủng và giấy khai sinh.
Công an xã khuyến cáo người dân nâng cao cảnh giác trước các thủ đoạn lừa đảo qua mạng,
không cung cấp mã xác thực, số tài khoản ngân hàng cho người lạ, kịp thời trình báo cơ
quan chức năng khi phát hiện dấu hiệu nghi vấn.
Hợp tác xã dịch vụ nông nghiệp thông báo lịch lấy nước đợt một cho vụ Đông Xuân. Các hộ
khẩn trương tu sửa bờ vùng, bờ thửa, nạo vét kênh mương nội đồng để giữ nước, chống hạn,
bảo đảm đủ nước gieo cấy đúng khung thời vụ.
Đài Truyền thanh xã xin thông báo: nhằm tuyên truyền sâu rộng về an toàn giao thông, đề
nghị người tham gia giao thông đội mũ bảo hiểm, không uống rượu bia khi lái xe.
Theo dự báo của Trung tâm Khí tượng Thủy văn quốc gia, do không khí lạnh tăng cường, từ
đêm nay nhiệt độ giảm mạnh, trời rét đậm, rét hại, vùng núi cao có khả năng xuất hiện băng
giá, sương muối. Đề nghị bà con nông dân chủ động che chắn chuồng trại, giữ ấm cho gia súc,
gia cầm, không thả trâu bò rông ngoài đồng.
Nhân dịp Tết Nguyên đán, Ban Chấp hành Hội Người cao tuổi xã tổ chức thăm hỏi, tặng quà các
cụ già neo đơn, các gia đình có hoàn cảnh khó khăn. Đồng thời phát động phong trào ủng hộ
quỹ vì người nghèo, quỹ khuyến học.
Yêu cầu các chủ phương tiện thủy chấp hành nghiêm quy định về áo phao, không chở quá tải,
không hoạt động khi thời tiết xấu. Cán bộ trực ban ghi chép sổ sách đầy đủ, báo cáo ngay
khi có sự cố bất thường xảy ra. Quỹ tín dụng nhân dân giải ngân vốn vay ưu đãi, góp phần
xóa đói giảm nghèo bền vững. Nguyễn Văn Hùng, Trưởng thôn, quyết định khen thưởng.
"""
NOTICE_WORDS = re.findall(r"[^\W\d_]+", NOTICES)


def _neighbours(text: str) -> list[tuple[str, str]]:
    """Every two words side by side in a sentence of `text`, without repeats."""
    pairs: set[tuple[str, str]] = set()
    for sentence in re.split(r"[.,:;]", text):
        words = sentence.split()
        pairs.update(itertools.pairwise(words))
    return sorted(pairs)


NEIGHBOURS = _neighbours(NOTICES)


@pytest.mark.parametrize(("word", "parts"), GLUED)
def test_glued_words_are_cut_back_into_syllables(word: str, parts: list[str]) -> None:
    assert split_glued(word) == parts


@pytest.mark.parametrize("word", LEFT_ALONE)
def test_syllables_foreign_words_capitals_and_codes_are_left_alone(word: str) -> None:
    assert split_glued(word) is None


@pytest.mark.parametrize("word", SYLLABLES_SEEN)
def test_real_syllables_follow_the_spelling_rules(word: str) -> None:
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize("piece", [
    "xãt", "tổc", "tac",  # p t c ch take only sắc or nặng
    "ka", "ci", "ngê", "ghu", "nghă", "gê", "kuy", "coa", "giy",  # k/gh/ngh against c/g/ng
    "ănh", "ônh", "uch", "oanhh",  # ch and nh only after a, ê, i (and oa, uê, uy)
    "ươ", "iê", "uô", "ă", "â", "iên", "yêt",  # nuclei that need an ending, iê/yê
    "bóà", "TRuyền", "truYền", "q", "qu", "f",  # two tones, capitals inside, no rhyme
])
def test_pieces_against_the_spelling_rules_are_no_syllables(piece: str) -> None:
    assert not is_vietnamese_syllable(unicodedata.normalize("NFC", piece))


def test_every_notice_syllable_is_kept_whole() -> None:
    for word in NOTICE_WORDS:
        assert is_vietnamese_syllable(word), word
        assert split_glued(word) is None, word


@pytest.mark.parametrize(("one", "other"), NEIGHBOURS)
def test_two_notice_words_glued_are_cut_back_or_left_alone(one: str, other: str) -> None:
    assert split_glued(one + other) in ([one, other], None)


def test_most_notice_words_glued_are_cut_back() -> None:
    cut = [split_glued(one + other) == [one, other] for one, other in NEIGHBOURS
           if not (one + other).isascii()]
    assert sum(cut) >= 0.85 * len(cut)


def _toned(bare: str, tone: str, at: int, capital: bool) -> str:
    vowels = [i for i, ch in enumerate(bare) if ch in "aăâeêioôơuưy"]
    at = vowels[at % len(vowels)]
    word = unicodedata.normalize("NFC", bare[:at + 1] + tone + bare[at + 1:])
    return word[:1].upper() + word[1:] if capital else word


TONES = ["", *sorted(TONE_MARKS)]
STOP_TONES = ["\u0301", "\u0323"]  # sắc, nặng
BARE_SYLLABLES = sorted(SYLLABLES)


@st.composite
def syllables(draw: st.DrawFn) -> str:
    """One valid syllable: onset × rhyme (SYLLABLES) × tone, in lower case or capitalised."""
    bare = draw(st.sampled_from(BARE_SYLLABLES))
    tones = STOP_TONES if bare.endswith(("p", "t", "c", "ch")) else TONES
    return _toned(bare, draw(st.sampled_from(tones)), draw(st.integers(0, 2)),
                  draw(st.booleans()))


def test_every_syllable_with_every_tone_has_the_shape_of_one_and_is_kept_whole() -> None:
    for bare in SYLLABLES:
        for tone in TONES:
            word = _toned(bare, tone, -1, capital=False)
            if is_vietnamese_syllable(word):
                assert is_syllable(word), word
                assert split_glued(word) is None, word


@settings(max_examples=500, deadline=None)
@given(syllables())
def test_a_valid_syllable_is_never_cut(word: str) -> None:
    assert is_vietnamese_syllable(word)
    assert split_glued(word) is None
    assert is_syllable(word)


@settings(max_examples=300, deadline=None)
@given(st.lists(syllables(), min_size=1, max_size=12))
def test_syllables_with_their_spaces_come_out_unchanged(words: list[str]) -> None:
    text = " ".join(words)
    assert " ".join(" ".join(split_glued(token) or [token]) for token in text.split(" ")) == text


@settings(max_examples=500, deadline=None)
@given(st.lists(syllables(), min_size=2, max_size=4))
def test_a_cut_gives_back_the_word_in_fewest_valid_syllables(words: list[str]) -> None:
    word = "".join(words)
    parts = split_glued(word)
    if parts is not None:
        assert "".join(parts) == word
        assert all(is_vietnamese_syllable(part) for part in parts)
        assert 2 <= len(parts) <= len(words)


@settings(max_examples=1000, deadline=None)
@given(st.text())
def test_any_text_never_raises(text: str) -> None:
    parts = split_glued(text)
    assert parts is None or "".join(parts) == text


def test_changing_an_answer_does_not_change_the_next_one() -> None:
    parts = split_glued("côngtác")
    assert parts is not None
    parts.append("x")
    assert split_glued("côngtác") == ["công", "tác"]


@pytest.mark.parametrize(("glued", "parts"), [
    ("đềnghị", ["đề", "nghị"]), ("thựchiện", ["thực", "hiện"]), ("cánhân", ["cá", "nhân"]),
    ("Côngan", ["Công", "an"]), ("sốnội", ["số", "nội"]),
])
def test_a_tie_is_broken_by_the_syllables_real_words_use(glued: str, parts: list[str]) -> None:
    known = frozenset(["đề", "nghị", "thực", "hiện", "cá", "nhân", "công", "an", "số", "nội"])
    assert split_glued(glued) is None  # spelling alone cannot choose
    assert split_glued(glued, known) == parts


def test_a_tie_stays_unsplit_when_both_cuts_are_known_words() -> None:
    assert split_glued("thựchiện", frozenset({"thực", "hiện", "thự", "chiện"})) is None


@pytest.mark.parametrize("word", [
    "hòa", "hoà", "thủy", "thuỷ", "khỏe", "khoẻ",  # oa, oe, uy: either vowel
    "người", "thuyền", "quốc", "hoàn", "huỳnh", "ngoài", "khuỷu", "mùa", "tài", "giữa",
    "già", "quý", "qúy", "gìa",  # the slip after qu and gi the normalizer mends
    "Ủy", "THÔNG", "ban", "Kính",  # any case; no tone mark is in place
])
def test_the_tone_mark_sits_where_vietnamese_writes_it(word: str) -> None:
    assert tone_in_place(word)


@pytest.mark.parametrize("word", [
    "maù", "caù",  # VNI má, cá read as Windows-1258: the sắc on the u
    "ngòai", "hòan", "thúân", "ngừơi", "hóăn",  # not the vowel that carries it
    "bóà", "xyz", "thoâng", "ka",  # two marks, no syllable
])
def test_a_tone_mark_on_another_vowel_is_out_of_place(word: str) -> None:
    assert not tone_in_place(word)


def test_a_syllable_ending_in_a_consonant_takes_its_tone_on_its_last_vowel() -> None:
    for bare in SYLLABLES:
        assert tone_in_place(bare), bare
        if bare[-1] not in "aăâeêioôơuưy":
            for tone in TONES:
                assert tone_in_place(_toned(bare, tone, -1, capital=True)), (bare, tone)
