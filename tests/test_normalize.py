"""A commune bulletin read aloud: the reading form the TTS engine receives for real notices.

Each row is what an operator types or pastes, and exactly what the voice must say.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcaster.speech.normalize import (
    AbbreviationFileError,
    Abbreviations,
    load_abbreviations,
    normalize,
)

VACCINATION = [
    ("UBND xã Tân Phong thông báo lịch tiêm phòng vắc-xin cho trẻ em từ 2-5 tuổi.",
     "ủy ban nhân dân xã Tân Phong thông báo lịch tiêm phòng vắc xin cho trẻ em từ hai đến năm "
     "tuổi."),
    ("Thời gian tiêm: từ 7h30 đến 11h00 ngày 15/8/2026 tại TYT xã.",
     "Thời gian tiêm: từ bảy giờ ba mươi phút đến mười một giờ ngày mười lăm tháng tám năm hai "
     "nghìn không trăm hai mươi sáu tại trạm y tế xã."),
    ("Trạm Y tế xã tổ chức tiêm chủng mở rộng vào sáng Thứ 2, ngày 05/10/2026.",
     "Trạm Y tế xã tổ chức tiêm chủng mở rộng vào sáng Thứ hai, ngày mùng năm tháng mười năm "
     "hai nghìn không trăm hai mươi sáu."),
    ("Đợt tiêm vắc-xin COVID-19 mũi 3 bắt đầu từ 8h ngày 20/10.",
     "Đợt tiêm vắc xin cô vít mười chín mũi ba bắt đầu từ tám giờ ngày hai mươi tháng mười."),
    ("Đề nghị phụ huynh đưa trẻ dưới 5 tuổi đến TTYT huyện để uống vitamin A.",
     "Đề nghị phụ huynh đưa trẻ dưới năm tuổi đến trung tâm y tế huyện để uống vitamin A."),
    ("Tỷ lệ tiêm chủng đạt 98,5%, vượt chỉ tiêu 3,5%.",
     "Tỷ lệ tiêm chủng đạt chín mươi tám phẩy năm phần trăm, vượt chỉ tiêu ba phẩy năm phần "
     "trăm."),
    ("TTYT huyện khuyến cáo phòng chống SXH, TCM và COVID-19.",
     "trung tâm y tế huyện khuyến cáo phòng chống sốt xuất huyết, tay chân miệng và cô vít mười "
     "chín."),
    ("Mọi chi tiết xin liên hệ BS. Nguyễn Văn Nam, ĐT: 0912345678.",
     "Mọi chi tiết xin liên hệ bác sĩ Nguyễn Văn Nam, điện thoại: không chín một hai, ba bốn "
     "năm, sáu bảy tám."),
    ("Ngày 1/6 là Ngày Quốc tế Thiếu nhi.", "Ngày mùng một tháng sáu là Ngày Quốc tế Thiếu nhi."),
    ("Chiến dịch tiêm phòng dại cho chó, mèo diễn ra từ ngày 10-15/3/2026.",
     "Chiến dịch tiêm phòng dại cho chó, mèo diễn ra từ ngày mùng mười đến ngày mười lăm tháng "
     "ba năm hai nghìn không trăm hai mươi sáu."),
]

STORM_WARNINGS = [
    ("Bão số 3 đang di chuyển theo hướng Tây Tây Bắc với tốc độ 15-20 km/h.",
     "Bão số ba đang di chuyển theo hướng Tây Tây Bắc với tốc độ mười lăm đến hai mươi ki lô "
     "mét trên giờ."),
    ("Vị trí tâm bão ở vào khoảng 19,5 độ Vĩ Bắc; 108,2 độ Kinh Đông, cách đảo Bạch Long Vĩ 120 "
     "km.",
     "Vị trí tâm bão ở vào khoảng mười chín phẩy năm độ Vĩ Bắc; một trăm linh tám phẩy hai độ "
     "Kinh Đông, cách đảo Bạch Long Vĩ một trăm hai mươi ki lô mét."),
    ("Sức gió mạnh nhất vùng gần tâm bão mạnh cấp 10-11 (89-117 km/h), giật cấp 13.",
     "Sức gió mạnh nhất vùng gần tâm bão mạnh cấp mười đến mười một, tám mươi chín đến một trăm "
     "mười bảy ki lô mét trên giờ, giật cấp mười ba."),
    ("Trong 24 giờ tới, bão có khả năng mạnh thêm.",
     "Trong hai mươi tư giờ tới, bão có khả năng mạnh thêm."),
    ("Lượng mưa phổ biến 100-200 mm, có nơi trên 300 mm.",
     "Lượng mưa phổ biến một trăm đến hai trăm mi li mét, có nơi trên ba trăm mi li mét."),
    ("Nhiệt độ thấp nhất -2°C ở vùng núi cao.", "Nhiệt độ thấp nhất âm hai độ xê ở vùng núi cao."),
    ("Nhiệt độ trung bình 18-20 độ C.", "Nhiệt độ trung bình mười tám đến hai mươi độ xê."),
    ("Mực nước sông Hồng tại Hà Nội lúc 7h sáng nay là 9,5 m.",
     "Mực nước sông Hồng tại Hà Nội lúc bảy giờ sáng nay là chín phẩy năm mét."),
    ("BCH PCTT&TKCN xã yêu cầu các tàu thuyền vào nơi tránh trú an toàn trước 17h00 ngày 10/9.",
     "bộ chỉ huy phòng chống thiên tai và tìm kiếm cứu nạn xã yêu cầu các tàu thuyền vào nơi "
     "tránh trú an toàn trước mười bảy giờ ngày mùng mười tháng chín."),
    ("BCH Quân sự xã huy động 50 dân quân hỗ trợ nhân dân chằng chống nhà cửa.",
     "ban chỉ huy Quân sự xã huy động năm mươi dân quân hỗ trợ nhân dân chằng chống nhà cửa."),
    ("Đề nghị bà con thôn 1, 2, 3 di dời đến nơi an toàn trước 18h.",
     "Đề nghị bà con thôn một, hai, ba di dời đến nơi an toàn trước mười tám giờ."),
    ("Hotline của BCH PCTT huyện: 0203.3822.115.",
     "Hotline của bộ chỉ huy phòng chống thiên tai huyện: không hai không ba, ba tám hai hai, "
     "một một năm."),
    ("Cảnh báo lũ quét, sạt lở đất ở vùng núi, độ dốc > 25 độ.",
     "Cảnh báo lũ quét, sạt lở đất ở vùng núi, độ dốc lớn hơn hai mươi lăm độ."),
]

POWER_CUTS = [
    ("Điện lực Tân Yên thông báo tạm ngừng cung cấp điện từ 7h30 đến 17h00 ngày 05/12/2026.",
     "Điện lực Tân Yên thông báo tạm ngừng cung cấp điện từ bảy giờ ba mươi phút đến mười bảy "
     "giờ ngày mùng năm tháng mười hai năm hai nghìn không trăm hai mươi sáu."),
    ("Khu vực mất điện: thôn Đông, thôn Tây và KDC số 2.",
     "Khu vực mất điện: thôn Đông, thôn Tây và khu dân cư số hai."),
    ("Lý do: sửa chữa, bảo dưỡng đường dây 35 kV.",
     "Lý do: sửa chữa, bảo dưỡng đường dây ba mươi lăm ki lô vôn."),
    ("Lịch cắt điện: T2, T4, T6 hằng tuần từ 8:00 đến 11:30.",
     "Lịch cắt điện: thứ hai, thứ tư, thứ sáu hằng tuần từ tám giờ đến mười một giờ ba mươi "
     "phút."),
    ("Mọi thắc mắc xin gọi Tổng đài 1900 6769.",
     "Mọi thắc mắc xin gọi Tổng đài một chín không không, sáu bảy sáu chín."),
    ("Điện lực khuyến cáo khách hàng tiết kiệm điện vào giờ cao điểm 17:30-20:00.",
     "Điện lực khuyến cáo khách hàng tiết kiệm điện vào giờ cao điểm mười bảy giờ ba mươi phút "
     "đến hai mươi giờ."),
]

FEES_AND_MONEY = [
    ("Mức thu phí vệ sinh là 20.000 đồng/hộ/tháng.",
     "Mức thu phí vệ sinh là hai mươi nghìn đồng trên hộ trên tháng."),
    ("Giá dịch vụ thu gom rác thải: 15.000đ/người/tháng.",
     "Giá dịch vụ thu gom rác thải: mười lăm nghìn đồng một người một tháng."),
    ("Hộ kinh doanh có doanh thu trên 100 triệu đồng/năm phải nộp thuế GTGT.",
     "Hộ kinh doanh có doanh thu trên một trăm triệu đồng trên năm phải nộp thuế giá trị gia "
     "tăng."),
    ("Tổng kinh phí xây dựng NTM năm 2026 là 1,5 tỷ đồng.",
     "Tổng kinh phí xây dựng nông thôn mới năm hai nghìn không trăm hai mươi sáu là một phẩy "
     "năm tỷ đồng."),
    ("Mỗi hộ nghèo được hỗ trợ 500.000 VNĐ.", "Mỗi hộ nghèo được hỗ trợ năm trăm nghìn đồng."),
    ("Học phí năm học 2026-2027 là 1.250.000 đồng/học kỳ.",
     "Học phí năm học hai nghìn không trăm hai mươi sáu đến hai nghìn không trăm hai mươi bảy "
     "là một triệu hai trăm năm mươi nghìn đồng trên học kỳ."),
    ("Mức hỗ trợ 2 triệu đồng/ha lúa bị thiệt hại.",
     "Mức hỗ trợ hai triệu đồng trên héc ta lúa bị thiệt hại."),
    ("Lãi suất cho vay 0,65%/tháng tại NHCSXH.",
     "Lãi suất cho vay không phẩy sáu mươi lăm phần trăm trên tháng tại ngân hàng chính sách xã "
     "hội."),
    ("Giá lúa hiện nay khoảng 7.500 VND/kg.",
     "Giá lúa hiện nay khoảng bảy nghìn năm trăm đồng một ki lô gam."),
    ("Hạn nộp thuế sử dụng đất phi nông nghiệp trước ngày 31/10/2026.",
     "Hạn nộp thuế sử dụng đất phi nông nghiệp trước ngày ba mươi mốt tháng mười năm hai nghìn "
     "không trăm hai mươi sáu."),
    ("Mỗi hộ được phát 5 l dầu và 2 lít nước mắm.",
     "Mỗi hộ được phát năm lít dầu và hai lít nước mắm."),
    ("UBND xã  tặng 30 suất quà, mỗi suất trị giá 500.000 VND.",
     "ủy ban nhân dân xã tặng ba mươi suất quà, mỗi suất trị giá năm trăm nghìn đồng."),
]

MEETINGS = [
    ("HĐND xã khóa XXI tổ chức kỳ họp thứ 8 vào ngày 20/12/2026.",
     "hội đồng nhân dân xã khóa hai mươi mốt tổ chức kỳ họp thứ tám vào ngày hai mươi tháng "
     "mười hai năm hai nghìn không trăm hai mươi sáu."),
    ("UBMTTQ Việt Nam xã tổ chức Ngày hội Đại đoàn kết toàn dân tộc.",
     "ủy ban mặt trận tổ quốc Việt Nam xã tổ chức Ngày hội Đại đoàn kết toàn dân tộc."),
    ("Đại hội Đảng bộ xã lần thứ XV, nhiệm kỳ 2025-2030 thành công tốt đẹp.",
     "Đại hội Đảng bộ xã lần thứ mười lăm, nhiệm kỳ hai nghìn không trăm hai mươi lăm đến hai "
     "nghìn không trăm ba mươi thành công tốt đẹp."),
    ("Đại hội XIII của Đảng đã đề ra nhiều chủ trương lớn.",
     "Đại hội mười ba của Đảng đã đề ra nhiều chủ trương lớn."),
    ("Quốc hội khóa XV khai mạc kỳ họp thứ 10.",
     "Quốc hội khóa mười lăm khai mạc kỳ họp thứ mười."),
    ("Thế kỷ XXI là thế kỷ của công nghệ.", "Thế kỷ hai mươi mốt là thế kỷ của công nghệ."),
    ("Kết quả quý III năm 2026 tăng so với cùng kỳ.",
     "Kết quả quý ba năm hai nghìn không trăm hai mươi sáu tăng so với cùng kỳ."),
    ("Chương II quy định về quyền và nghĩa vụ của công dân.",
     "Chương hai quy định về quyền và nghĩa vụ của công dân."),
    ("CT UBND xã chủ trì hội nghị tiếp xúc cử tri với ĐBQH tỉnh.",
     "chủ tịch ủy ban nhân dân xã chủ trì hội nghị tiếp xúc cử tri với đại biểu quốc hội tỉnh."),
    ("Hội nghị BCH Đảng bộ xã lần thứ 12.", "Hội nghị ban chấp hành Đảng bộ xã lần thứ mười hai."),
    ("PGS.TS. Trần Văn B báo cáo tại hội nghị.",
     "phó giáo sư tiến sĩ Trần Văn bê báo cáo tại hội nghị."),
    ("Lớp bồi dưỡng cho CBCC cấp xã khai giảng lúc 8h00 ngày 3/11.",
     "Lớp bồi dưỡng cho cán bộ công chức cấp xã khai giảng lúc tám giờ ngày mùng ba tháng mười "
     "một."),
    ("Hội nghị sơ kết 6 tháng đầu năm của MTTQ và các đoàn thể.",
     "Hội nghị sơ kết sáu tháng đầu năm của mặt trận tổ quốc và các đoàn thể."),
    ("Ban Thường vụ HLHPN huyện tặng 20 suất quà cho hội viên.",
     "Ban Thường vụ hội liên hiệp phụ nữ huyện tặng hai mươi suất quà cho hội viên."),
    ("Hội CCB xã có 150 hội viên.", "Hội cựu chiến binh xã có một trăm năm mươi hội viên."),
    ("Hội nghị lần thứ IV Ban Chấp hành Đảng bộ xã.",
     "Hội nghị lần thứ tư Ban Chấp hành Đảng bộ xã."),
]

DOCUMENT_CITATIONS = [
    ("Thực hiện Quyết định số 1234/QĐ-UBND ngày 3/11/2026 của UBND tỉnh.",
     "Thực hiện Quyết định số một nghìn hai trăm ba mươi tư quyết định ủy ban nhân dân "
     "ngày mùng ba tháng mười một năm hai nghìn không trăm hai mươi sáu của ủy ban nhân dân "
     "tỉnh."),
    ("Căn cứ Thông tư 39/2020/TT-BTTTT của Bộ Thông tin và Truyền thông.",
     "Căn cứ Thông tư số ba mươi chín năm hai nghìn không trăm hai mươi thông tư bộ thông "
     "tin và truyền thông của Bộ Thông tin và Truyền thông."),
    ("Theo Nghị định 12/2024/NĐ-CP của Chính phủ.",
     "Theo Nghị định số mười hai năm hai nghìn không trăm hai mươi tư nghị định chính phủ "
     "của Chính phủ."),
    ("Kế hoạch số 188/KH-UBND về phòng chống dịch bệnh.",
     "Kế hoạch số một trăm tám mươi tám kế hoạch ủy ban nhân dân về phòng chống dịch bệnh."),
    ("Công văn số 25/CV-UBND ngày 05/01/2026.",
     "Công văn số hai mươi lăm công văn ủy ban nhân dân ngày mùng năm tháng một năm hai "
     "nghìn không trăm hai mươi sáu."),
    ("Thông báo số 05/TB-UBND về lịch tiếp công dân.",
     "Thông báo số năm thông báo ủy ban nhân dân về lịch tiếp công dân."),
    ("Nghị quyết số 15/NQ-HĐND về kế hoạch đầu tư công.",
     "Nghị quyết số mười lăm nghị quyết hội đồng nhân dân về kế hoạch đầu tư công."),
    ("Chỉ thị số 05/CT-TTg của Thủ tướng Chính phủ.",
     "Chỉ thị số năm chỉ thị thủ tướng của Thủ tướng Chính phủ."),
    ("Công điện 01/CĐ-TTg về ứng phó bão.",
     "Công điện số một công điện thủ tướng về ứng phó bão."),
    ("Quyết định 2468/QĐ-BNNPTNT công nhận xã đạt chuẩn NTM.",
     "Quyết định số hai nghìn bốn trăm sáu mươi tám quyết định bộ nông nghiệp và phát "
     "triển nông thôn công nhận xã đạt chuẩn nông thôn mới."),
    ("Thông tư số 01/2026/TT-BYT quy định về tiêm chủng.",
     "Thông tư số một năm hai nghìn không trăm hai mươi sáu thông tư bộ y tế quy định về "
     "tiêm chủng."),
    ("Theo Luật Đất đai năm 2024 và Nghị định 43/2014/NĐ-CP.",
     "Theo Luật Đất đai năm hai nghìn không trăm hai mươi tư và Nghị định số bốn mươi ba "
     "năm hai nghìn không trăm mười bốn nghị định chính phủ."),
    ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015.",
     "Căn cứ Luật Tổ chức chính quyền địa phương ngày mười chín tháng sáu năm hai nghìn không "
     "trăm mười lăm."),
    ("Văn bản 123/UBND-VP gửi các thôn.",
     "Văn bản số một trăm hai mươi ba ủy ban nhân dân văn phòng gửi các thôn."),
]

PHONE_NUMBERS = [
    ("Liên hệ SĐT 0243.123.4567 trong giờ hành chính.",
     "Liên hệ số điện thoại không hai bốn ba, một hai ba, bốn năm sáu bảy trong giờ hành chính."),
    ("Đường dây nóng 1800 1091 miễn phí.",
     "Đường dây nóng một tám không không, một không chín một miễn phí."),
    ("Mọi thông tin xin liên hệ số điện thoại 0912 345 678.",
     "Mọi thông tin xin liên hệ số điện thoại không chín một hai, ba bốn năm, sáu bảy tám."),
    ("Đường dây nóng: 0912.345.678 hoặc 024-3825-1234.",
     "Đường dây nóng: không chín một hai, ba bốn năm, sáu bảy tám hoặc không hai bốn, ba tám "
     "hai năm, một hai ba bốn."),
    ("Số điện thoại của Trạm Y tế: +84 912 345 678.",
     "Số điện thoại của Trạm Y tế: cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám."),
    ("Khi có cháy, gọi ngay 114.", "Khi có cháy, gọi ngay một một bốn."),
    ("Hotline hỗ trợ: 1900 1234.", "Hotline hỗ trợ: một chín không không, một hai ba bốn."),
    ("Gọi 113 khi cần trợ giúp về an ninh trật tự.",
     "Gọi một một ba khi cần trợ giúp về an ninh trật tự."),
    ("Số Zalo: 0987654321.", "Số Zalo: không chín tám bảy, sáu năm bốn, ba hai một."),
]

FIGURES = [
    ("Xã đạt 19/19 tiêu chí NTM.", "Xã đạt mười chín trên mười chín tiêu chí nông thôn mới."),
    ("Toàn huyện có 1/2 số xã đạt chuẩn.", "Toàn huyện có một phần hai số xã đạt chuẩn."),
    ("Mục 1.2.3 của kế hoạch.", "Mục một chấm hai chấm ba của kế hoạch."),
    ("Tỷ lệ hộ nghèo giảm còn 2,5%.", "Tỷ lệ hộ nghèo giảm còn hai phẩy năm phần trăm."),
    ("50% số hộ đã đăng ký tham gia BHYT.",
     "năm mươi phần trăm số hộ đã đăng ký tham gia bảo hiểm y tế."),
    ("Toàn xã có 1.250 hộ với 4.820 nhân khẩu.",
     "Toàn xã có một nghìn hai trăm năm mươi hộ với bốn nghìn tám trăm hai mươi nhân khẩu."),
    ("Diện tích lúa vụ Đông Xuân đạt 350 ha, năng suất 6,5 tấn/ha.",
     "Diện tích lúa vụ Đông Xuân đạt ba trăm năm mươi héc ta, năng suất sáu phẩy năm tấn trên "
     "héc ta."),
    ("Tổng sản lượng lương thực đạt 21.000 tấn.",
     "Tổng sản lượng lương thực đạt hai mươi mốt nghìn tấn."),
    ("Đàn gia cầm có khoảng 35.500 con.", "Đàn gia cầm có khoảng ba mươi lăm nghìn năm trăm con."),
    ("Xã có 2 trường THCS và 1 trường THPT.",
     "Xã có hai trường trung học cơ sở và một trường trung học phổ thông."),
    ("Khoảng 1/3 số hộ đã hoàn thành.", "Khoảng một phần ba số hộ đã hoàn thành."),
    ("Dân số toàn tỉnh là 1.000.000 người.", "Dân số toàn tỉnh là một triệu người."),
    ("Đường QL1A đoạn qua xã dài 5,5 km.",
     "Đường quốc lộ một a đoạn qua xã dài năm phẩy năm ki lô mét."),
    ("Tuyến ĐT.741 đang được nâng cấp.",
     "Tuyến đường tỉnh bảy trăm bốn mươi mốt đang được nâng cấp."),
    ("Lớp 9A1 đạt thành tích cao.", "Lớp chín a một đạt thành tích cao."),
    ("Nhà văn hóa thôn rộng 200 m2.", "Nhà văn hóa thôn rộng hai trăm mét vuông."),
    ("Bể chứa 50 m³ nước sạch.", "Bể chứa năm mươi mét khối nước sạch."),
    ("Thu hoạch 2.000 kg cá.", "Thu hoạch hai nghìn ki lô gam cá."),
    ("Mỗi người được cấp 10 kg gạo.", "Mỗi người được cấp mười ki lô gam gạo."),
    ("Đoạn đường dài 500 m.", "Đoạn đường dài năm trăm mét."),
    ("Cột điện cao 12 m.", "Cột điện cao mười hai mét."),
]

TIMES_DATES_RANGES = [
    ("Sáng 20/11, UBND xã tổ chức Lễ kỷ niệm Ngày Nhà giáo Việt Nam.",
     "Sáng ngày hai mươi tháng mười một, ủy ban nhân dân xã tổ chức Lễ kỷ niệm Ngày Nhà giáo "
     "Việt Nam."),
    ("Hạn cuối là ngày 30/4.", "Hạn cuối là ngày ba mươi tháng tư."),
    ("Bão số 5 đổ bộ lúc 3h ngày 25/9.",
     "Bão số năm đổ bộ lúc ba giờ ngày hai mươi lăm tháng chín."),
    ("Từ ngày 5 tháng 4 năm 2026 áp dụng mức thu mới.",
     "Từ ngày mùng năm tháng tư năm hai nghìn không trăm hai mươi sáu áp dụng mức thu mới."),
    ("Từ 7h-9h sáng mai, đường qua cầu sẽ bị cấm.",
     "Từ bảy giờ đến chín giờ sáng mai, đường qua cầu sẽ bị cấm."),
    ("Chương trình phát lúc 17:30 hằng ngày.",
     "Chương trình phát lúc mười bảy giờ ba mươi phút hằng ngày."),
    ("Chợ họp từ 06:00 đến 10:30.", "Chợ họp từ sáu giờ đến mười giờ ba mươi phút."),
    ("Hạn chót nộp hồ sơ là 17g30 ngày 15/08/2026.",
     "Hạn chót nộp hồ sơ là mười bảy giờ ba mươi phút ngày mười lăm tháng tám năm hai nghìn "
     "không trăm hai mươi sáu."),
    ("Buổi lễ bắt đầu lúc 7h00.", "Buổi lễ bắt đầu lúc bảy giờ."),
    ("Ngày 2/9/1945, Chủ tịch Hồ Chí Minh đọc Tuyên ngôn độc lập.",
     "Ngày mùng hai tháng chín năm một nghìn chín trăm bốn mươi lăm, Chủ tịch Hồ Chí Minh đọc "
     "Tuyên ngôn độc lập."),
    ("Kỷ niệm 80 năm Cách mạng tháng Tám và Quốc khánh 2/9.",
     "Kỷ niệm tám mươi năm Cách mạng tháng Tám và Quốc khánh ngày mùng hai tháng chín."),
    ("Tháng 4/2026 sẽ tổ chức bầu cử.",
     "Tháng tư năm hai nghìn không trăm hai mươi sáu sẽ tổ chức bầu cử."),
    ("Hội thi diễn ra trong 2-3 ngày.", "Hội thi diễn ra trong hai đến ba ngày."),
    ("Giải bóng đá diễn ra từ ngày 15-20/11.",
     "Giải bóng đá diễn ra từ ngày mười lăm đến ngày hai mươi tháng mười một."),
    ("Từ 15/11-20/11/2026 tạm dừng tiếp dân.",
     "Từ ngày mười lăm tháng mười một đến ngày hai mươi tháng mười một năm hai nghìn không trăm "
     "hai mươi sáu tạm dừng tiếp dân."),
    ("Thứ 7 và CN làm việc bình thường.", "Thứ bảy và chủ nhật làm việc bình thường."),
    ("Thứ 2-6 hằng tuần tiếp công dân.", "Thứ hai đến thứ sáu hằng tuần tiếp công dân."),
    ("Lần thứ 1 hội thao được tổ chức vào năm 2010.",
     "Lần thứ nhất hội thao được tổ chức vào năm hai nghìn không trăm mười."),
    ("Đây là lần thứ 4 xã đạt danh hiệu này.", "Đây là lần thứ tư xã đạt danh hiệu này."),
    ("Các ngày 32/13 không tồn tại.", "Các ngày ba mươi hai trên mười ba không tồn tại."),
    ("Giai đoạn 2021-2025 xã đạt nhiều thành tựu.",
     "Giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi lăm xã đạt "
     "nhiều thành tựu."),
    ("Trực 24/7 trong mùa mưa bão.", "Trực hai mươi tư trên bảy trong mùa mưa bão."),
    ("Đài phát lại bản tin lúc 06:29 và 17:00.",
     "Đài phát lại bản tin lúc sáu giờ hai mươi chín phút và mười bảy giờ."),
    ("Loa phát thanh hoạt động 7-9 giờ mỗi sáng.",
     "Loa phát thanh hoạt động bảy đến chín giờ mỗi sáng."),
]

ACRONYMS_AND_SIGNS = [
    ("Xem chi tiết tại www.tanphong.gov.vn.",
     "Xem chi tiết tại đắp lờ vê đắp lờ vê đắp lờ vê chấm tanphong chấm gov chấm vn."),
    ("Các F0 cần cách ly tại nhà.", "Các ép không cần cách ly tại nhà."),
    ("Xe của CSGT tuần tra trên QL1A.", "Xe của cảnh sát giao thông tuần tra trên quốc lộ một a."),
    ("Dịch cúm gia cầm H5N1 đã xuất hiện tại tỉnh bạn.",
     "Dịch cúm gia cầm hát năm en một đã xuất hiện tại tỉnh bạn."),
    ("Tổ chức UNICEF và WHO hỗ trợ vắc-xin.",
     "Tổ chức u ni xép và tổ chức y tế thế giới hỗ trợ vắc xin."),
    ("Bản tin VOV lúc 6h sáng và 18h tối.",
     "Bản tin vê ô vê lúc sáu giờ sáng và mười tám giờ tối."),
    ("Hệ thống XYZQ đã được lắp đặt.", "Hệ thống ích i dài dét qui đã được lắp đặt."),
    ("Công ty CP Môi trường Đô thị thu gom rác.", "Công ty cổ phần Môi trường Đô thị thu gom rác."),
    ("Sở NN&PTNT tỉnh hướng dẫn chăm sóc lúa.",
     "Sở nông nghiệp và phát triển nông thôn tỉnh hướng dẫn chăm sóc lúa."),
    ("Phòng GD&ĐT huyện tổ chức thi học sinh giỏi.",
     "Phòng giáo dục và đào tạo huyện tổ chức thi học sinh giỏi."),
    ("Phát triển KT-XH gắn với đảm bảo QP-AN.",
     "Phát triển kinh tế xã hội gắn với đảm bảo quốc phòng an ninh."),
    ("TT Y tế huyện thông báo lịch khám sức khỏe.",
     "trung tâm Y tế huyện thông báo lịch khám sức khỏe."),
    ("UBND TT Cao Thượng phối hợp kiểm tra ATTP.",
     "ủy ban nhân dân thị trấn Cao Thượng phối hợp kiểm tra an toàn thực phẩm."),
    ("Công an TP. Bắc Giang xử lý vi phạm.", "Công an thành phố Bắc Giang xử lý vi phạm."),
    ("Đoàn công tác của TP.HCM đến thăm xã.",
     "Đoàn công tác của thành phố hồ chí minh đến thăm xã."),
    ("Ông Nguyễn Văn H. đã bị khởi tố.", "Ông Nguyễn Văn hát đã bị khởi tố."),
    ("Giá trị sản xuất tăng ~10%.", "Giá trị sản xuất tăng khoảng mười phần trăm."),
    ("Thi đua: Dân vận khéo & Dân vận giỏi.", "Thi đua: Dân vận khéo và Dân vận giỏi."),
    ("Kết quả: 3 + 2 = 5.", "Kết quả: ba cộng hai bằng năm."),
    ("Hộp thư góp ý: ubnd@tanphong.gov.vn.",
     "Hộp thư góp ý: ubnd a còng tanphong chấm gov chấm vn."),
    ("★ Nội dung chính: ▪ Tiêm phòng • Vệ sinh ✓", "Nội dung chính: Tiêm phòng Vệ sinh"),
    ("Ủy ban nhân dân xã 🙏 kính báo!", "Ủy ban nhân dân xã kính báo!"),
    ("Đối tượng: trẻ em < 5 tuổi.", "Đối tượng: trẻ em nhỏ hơn năm tuổi."),
    ("Biến chủng mới của SARS-CoV-2 lây lan nhanh.",
     "Biến chủng mới của sát cô vi hai lây lan nhanh."),
    ("Phòng NN-PTNT và phòng TN&MT huyện phối hợp kiểm tra.",
     "Phòng nông nghiệp và phát triển nông thôn và phòng tài nguyên và môi trường huyện phối "
     "hợp kiểm tra."),
    ("Nhà văn hóa thôn #3 mở cửa từ 14h.", "Nhà văn hóa thôn số ba mở cửa từ mười bốn giờ."),
    ("Trụ sở Công an P.5, Q.1 đã chuyển đến địa chỉ mới.",
     "Trụ sở Công an phường năm, quận một đã chuyển đến địa chỉ mới."),
    ("HIV/AIDS và bệnh lao cần được phát hiện sớm.",
     "hát i vê ết và bệnh lao cần được phát hiện sớm."),
]

PASTED_TEXT = [
    ("Ủy ban nhân dân xã thông báo đến toàn thể\nNhân dân được biết.",
     "Ủy ban nhân dân xã thông báo đến toàn thể Nhân dân được biết."),
    ("Lịch tiêm phòng dại cho đàn chó, mèo sẽ được thực hiện vào ngày 10/3/2026, đề nghị các hộ "
     "gia đình thực hiện nghiêm thông-\nbáo này.",
     "Lịch tiêm phòng dại cho đàn chó, mèo sẽ được thực hiện vào ngày mùng mười tháng ba năm "
     "hai nghìn không trăm hai mươi sáu, đề nghị các hộ gia đình thực hiện nghiêm thông báo này."),
    ("THÔNG BÁO\nVề việc tạm ngừng cung cấp điện", "thông báo.\nVề việc tạm ngừng cung cấp điện"),
    ("LỊCH CẮT ĐIỆN THÁNG 12\n\nThời gian: 7h30-17h00.",
     "lịch cắt điện tháng mười hai.\nThời gian: bảy giờ ba mươi phút đến mười bảy giờ."),
    ("Nội dung:\n- Tiêm phòng cho gia cầm.\n- Vệ sinh chuồng trại.",
     "Nội dung:\nTiêm phòng cho gia cầm.\nVệ sinh chuồng trại."),
    ("Ảnh minh họa\nBà con tích cực tham gia.\n(Ảnh: Thu Hà)", "Bà con tích cực tham gia."),
    ("Trang 2/5\nTiếp tục triển khai kế hoạch.\n- 3 -", "Tiếp tục triển khai kế hoạch."),
    ("Image not found or type unknown\nHội nghị đã thành công.", "Hội nghị đã thành công."),
    ("Bà con   cần\xa0chú ý\u200b theo dõi “tin bão”.", "Bà con cần chú ý theo dõi tin bão."),
    ("Thông báo của Ủy ban\r\nnhân dân xã.", "Thông báo của Ủy ban nhân dân xã."),
    ("Uỷ ban nhân dân xã Hoà Bình, huyện Thuỷ Nguyên.",
     "Ủy ban nhân dân xã Hòa Bình, huyện Thủy Nguyên."),
    ("Tổ chức khám sức khoẻ miễn phí cho người cao tuổi.",
     "Tổ chức khám sức khỏe miễn phí cho người cao tuổi."),
    ("Bản tin\n\n\nngày hôm nay.", "Bản tin ngày hôm nay."),  # a PDF's blank line
    (unicodedata.normalize("NFD", "Thông báo của Uỷ ban xã Hoà An về lịch tiêm."),
     "Thông báo của Ủy ban xã Hòa An về lịch tiêm."),
]

LUNAR_DATES = [
    ("Lễ hội đình làng khai mạc ngày 15/1 âm lịch.",
     "Lễ hội đình làng khai mạc ngày rằm tháng Giêng."),
    ("15/1 âm lịch", "ngày rằm tháng Giêng"),
    ("Chúc mừng năm mới, mùng 1 Tết Bính Ngọ.", "Chúc mừng năm mới, mùng một Tết Bính Ngọ."),
    ("Chợ nghỉ từ 1/1 âm lịch.", "Chợ nghỉ từ mùng một tháng Giêng."),
    ("Giỗ Tổ Hùng Vương ngày 10/3 (âm lịch) là ngày nghỉ lễ.",
     "Giỗ Tổ Hùng Vương ngày mùng mười tháng ba âm lịch là ngày nghỉ lễ."),
    ("Lễ dâng hương 10/3 âm lịch tại đền.",
     "Lễ dâng hương mùng mười tháng ba âm lịch tại đền."),
    ("Cúng ông Công ông Táo ngày 23 tháng 12 âm lịch.",
     "Cúng ông Công ông Táo ngày hai mươi ba tháng Chạp."),
    ("Tết Trung thu 15/8/2026 ÂL.",
     "Tết Trung thu ngày rằm tháng tám năm hai nghìn không trăm hai mươi sáu."),
    ("Lễ Vu lan ngày 15/7 âm lịch, tức ngày 27/8.",
     "Lễ Vu lan ngày rằm tháng bảy, tức ngày hai mươi bảy tháng tám."),
    ("Họp thôn mùng 4/4 âm lịch.", "Họp thôn mùng bốn tháng tư âm lịch."),
]

BULLETIN = [*VACCINATION, *STORM_WARNINGS, *POWER_CUTS, *FEES_AND_MONEY, *MEETINGS,
            *DOCUMENT_CITATIONS, *PHONE_NUMBERS, *FIGURES, *TIMES_DATES_RANGES,
            *ACRONYMS_AND_SIGNS, *PASTED_TEXT, *LUNAR_DATES]


@pytest.mark.parametrize(("typed", "spoken"), BULLETIN)
def test_bulletin_sentence_is_read_as_an_announcer_reads_it(typed: str, spoken: str) -> None:
    assert normalize(typed) == spoken


def test_the_bulletin_table_is_broad() -> None:
    assert len(BULLETIN) >= 120
    assert len({typed for typed, _ in BULLETIN}) == len(BULLETIN)


# --- One spelling whatever the keyboard: NFC/NFD, old and new tone placement --------------

SPELLINGS = [
    ("Uỷ ban nhân dân xã Hoà Bình, huyện Thuỷ Nguyên",
     "Ủy ban nhân dân xã Hòa Bình, huyện Thủy Nguyên"),
    ("khám sức khoẻ, hoạ sĩ, quý khách", "khám sức khỏe, họa sĩ, qúy khách"),
    ("Bão số 3 đổ bộ vào Thanh Hoá lúc 17h30", "Bão số 3 đổ bộ vào Thanh Hóa lúc 17h30"),
]


@pytest.mark.parametrize(("one", "other"), SPELLINGS)
def test_nfd_input_and_either_tone_placement_read_the_same(one: str, other: str) -> None:
    readings = {normalize(text) for text in (one, other, unicodedata.normalize("NFD", one),
                                             unicodedata.normalize("NFD", other))}
    assert len(readings) == 1
    reading = readings.pop()
    assert unicodedata.is_normalized("NFC", reading)
    assert "oà" not in reading and "uỷ" not in reading.lower() and "qú" not in reading


def test_a_decomposed_abbreviation_is_still_found() -> None:
    assert normalize(unicodedata.normalize("NFD", "HĐND xã họp")) == "hội đồng nhân dân xã họp"


# --- Whatever is typed or pasted: never an exception, never a digit ----------------------

PIECES = [*"0123456789", *"/.,:-+%h ()&@~<>=#*•\n", "\n\n", "°C", "km", "m2", "đ", "VNĐ",
          "ngày", "tháng", "năm", "thứ", "số", "lúc", "từ", "đến", "gọi", "tỷ lệ", "Đại hội",
          "hòa", "uỷ", "khoẻ", "Thông báo", "xã", "UBND", "TT", "BCH", "CP", "XIII", "XYZQ",
          "ABCD", "QL", "TP.", "Q.", "H.", "COVID-", "ĐT", "\u0301", "\u200b", "\u00a0"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_bulletin_like_text_never_raises_and_leaves_no_digit(text: str) -> None:
    spoken = normalize(text)
    assert isinstance(spoken, str)
    assert not re.search("[0-9]", spoken)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_never_raises_and_leaves_no_digit(text: str) -> None:
    assert not re.search("[0-9]", normalize(text))


def test_a_thousand_word_notice_is_read_whole() -> None:
    sentence = ("Từ 7h30 đến 17h00 ngày 05/12/2026, UBND xã Tân Phong phối hợp Điện lực "
                "cắt điện tại thôn 3 để sửa đường dây 35 kV; liên hệ 0912 345 678. ")
    text = sentence * (1000 // len(sentence.split()) + 1)
    spoken = normalize(text)
    assert not re.search("[0-9]", spoken)
    assert spoken.count("ủy ban nhân dân xã Tân Phong") == text.count("UBND xã Tân Phong")


def test_symbol_only_text_reads_as_nothing() -> None:
    assert normalize("*** • ▪ ---") == ""
    assert normalize("") == ""


# --- The station's own dictionary ---------------------------------------------------------

def test_the_shipped_dictionary_is_broad_and_loaded_once() -> None:
    shipped = load_abbreviations()
    assert isinstance(shipped, Abbreviations)
    assert len(shipped) >= 150
    assert load_abbreviations() is shipped
    assert load_abbreviations(Path("/nonexistent/abbreviations.toml")) is shipped


def test_a_station_file_adds_and_replaces_entries(tmp_path: Path) -> None:
    station_file = tmp_path / "abbreviations.toml"
    station_file.write_text(
        '[abbreviations]\n'
        '"HTXNN" = "hợp tác xã nông nghiệp"\n'
        '"CA" = "công an xã"\n'
        '\n'
        '[abbreviations."ĐX"]\n'
        'read = "đông xuân"\n'
        'when = [{ after = "đường", read = "đường xã" }]\n'
        '\n'
        '[units]\n'
        '"sào" = "sào bắc bộ"\n', encoding="utf-8")
    station = load_abbreviations(station_file)
    assert normalize("HTXNN Tân Phong và CA xã", station) == (
        "hợp tác xã nông nghiệp Tân Phong và công an xã xã")
    assert normalize("Vụ ĐX năm nay, ĐX đường làng", station) == (
        "Vụ đông xuân năm nay, đường xã đường làng")
    assert normalize("gieo cấy 3 sào", station) == "gieo cấy ba sào bắc bộ"
    assert normalize("CA xã", station) != normalize("CA xã")  # the shipped one is untouched
    assert normalize("UBND xã", station) == "ủy ban nhân dân xã"  # the rest still shipped


MALFORMED = {
    "not toml": ("[[[ not toml\n", 1, "not valid TOML"),
    "unquoted key with Đ": ('[abbreviations]\n"UBND" = "ủy ban"\nHĐND = "hội đồng"\n', 3,
                            'put the key in quotes: "HĐND"'),
    "reading is a number": ('[abbreviations]\n"A" = "a"\n\n"UBND" = 5\n', 4,
                            "must be text in double quotes"),
    "digits in a reading": ('[abbreviations]\n"C19" = "covid 19"\n', 2,
                            "write numbers in words"),
    "empty reading": ('[abbreviations]\n"X1" = "  "\n', 2, "is empty"),
    "unknown section": ('[abbreviation]\n"UBND" = "ủy ban"\n', 1, "unknown section"),
    "key with a space": ('[abbreviations]\n"U B" = "u bê"\n', 2, "has spaces"),
    "bad regex": ('[abbreviations."TT"]\nread = "thị trấn"\nwhen = [\n'
                  '  { after = "y tế(", read = "trung tâm" },\n]\n', 4,
                  "not a valid regular expression"),
    "unknown condition": ('[abbreviations."TT"]\nread = "thị trấn"\nwhen = [\n'
                          '  { afer = "y tế", read = "trung tâm" },\n]\n', 4,
                          "unknown condition 'afer'"),
    "rule without reading": ('[abbreviations."TT"]\nread = "thị trấn"\nwhen = [\n'
                             '  { after = "y tế" },\n]\n', 4, "needs read ="),
    "context entry without default": ('[abbreviations."TT"]\nwhen = []\n', 1,
                                      "has no default reading"),
    "flag in quotes": ('[abbreviations."TT"]\nread = "thị trấn"\n'
                       'when = [{ in_code = "yes", read = "thông tư" }]\n', 3,
                       "must be true or false"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_station_file_is_refused_in_one_line(tmp_path: Path, case: str) -> None:
    text, line, reason = MALFORMED[case]
    station_file = tmp_path / "abbreviations.toml"
    station_file.write_text(text, encoding="utf-8")
    with pytest.raises(AbbreviationFileError) as refused:
        load_abbreviations(station_file)
    message = str(refused.value)
    assert isinstance(refused.value, ValueError)
    assert "\n" not in message
    assert message.startswith(f"{station_file}:{line}: "), message
    assert reason in message


def test_a_station_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    station_file = tmp_path / "abbreviations.toml"
    windows_1258 = unicodedata.normalize("NFD", '[abbreviations]\n"UBND" = "ủy ban"\n')
    station_file.write_bytes(windows_1258.encode("cp1258"))
    with pytest.raises(AbbreviationFileError, match=r"abbreviations\.toml:2: not UTF-8"):
        load_abbreviations(station_file)


def test_a_station_file_saved_by_notepad_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    station_file = tmp_path / "abbreviations.toml"
    station_file.write_bytes(b"\xef\xbb\xbf" + '[abbreviations]\n"HTXNN" = "hợp tác xã nông '
                             'nghiệp"\n'.encode())
    station = load_abbreviations(station_file)
    assert normalize("HTXNN Tân Phong", station) == "hợp tác xã nông nghiệp Tân Phong"
    station_file.write_bytes(b"\xef\xbb\xbf[abbreviations]\n\"UBND\" = \"\xf9y ban\"\n")
    with pytest.raises(AbbreviationFileError, match=r"abbreviations\.toml:2: not UTF-8"):
        load_abbreviations(station_file)  # the mark is not counted against the line
