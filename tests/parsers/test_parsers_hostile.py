"""Hostile and odd files: each gives a ParseError that names the problem, quickly; odd but valid
files (GB18030, BOM, misnamed) parse correctly."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from parsers import ParseError, detect_format, parse_file

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
BOUND_SECONDS = 10  # a hostile file must fail, not hang; generous for a loaded 2-core machine


@contextmanager
def bounded() -> Iterator[None]:
    start = time.monotonic()
    yield
    assert time.monotonic() - start < BOUND_SECONDS


def fails(path: Path, *fragments: str, **kwargs: int) -> str:
    with bounded(), pytest.raises(ParseError) as info:
        parse_file(path, **kwargs)
    message = str(info.value)
    assert path.name in message
    for fragment in fragments:
        assert fragment in message
    return message


# -- hand-written PDFs -------------------------------------------------------------------------

PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def write_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A minimal well-formed PDF: numbered objects, a correct xref table, a trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def page_pdf(content: bytes, resources: bytes = b"<< >>", extra: list[bytes] | None = None) -> list:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
        + resources
        + b" /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        *(extra or []),
    ]


def encrypted_pdf(user_password: bytes) -> bytes:
    """Standard security handler, revision 2 (RC4 40-bit), as in the PDF 1.4 spec, algorithm 3.2-3.4."""
    file_id = hashlib.md5(b"policylib-test").digest()
    permissions = -44
    owner = rc4(hashlib.md5(b"owner" + PAD[:27]).digest()[:5], (user_password + PAD)[:32])
    key = hashlib.md5(
        (user_password + PAD)[:32] + owner + struct.pack("<i", permissions) + file_id
    ).digest()[:5]
    user = rc4(key, PAD)
    content = b"BT /F1 24 Tf 72 720 Td (Secret text) Tj ET"
    object_key = hashlib.md5(key + struct.pack("<i", 4)[:3] + b"\x00\x00").digest()[:10]
    objects = page_pdf(
        rc4(object_key, content),
        b"<< /Font << /F1 5 0 R >> >>",
        [
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
            % (owner.hex().encode(), user.hex().encode(), permissions),
        ],
    )
    return write_pdf(objects, b"/Encrypt 6 0 R /ID [<%s> <%s>]" % ((file_id.hex().encode(),) * 2))


def image_only_pdf() -> bytes:
    image = b"\x00\xff\xff\x00"
    return write_pdf(
        page_pdf(
            b"q 400 0 0 400 100 200 cm /Im1 Do Q",
            b"<< /XObject << /Im1 5 0 R >> >>",
            [
                b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Length 4 >>\nstream\n" + image + b"\nendstream"
            ],
        )
    )


def text_pdf() -> bytes:
    return write_pdf(
        page_pdf(
            b"BT /F1 14 Tf 72 720 Td (Notice on open government work 2023) Tj ET",
            b"<< /Font << /F1 5 0 R >> >>",
            [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"],
        )
    )


# -- failures --------------------------------------------------------------------------------------


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    fails(path, "空文件", "0字节")


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes("政务公开".encode() * 1000)
    fails(path, "超过", "上限", max_bytes=1000)


def test_missing_file(tmp_path: Path) -> None:
    fails(tmp_path / "gone.pdf", "不存在")


def test_corrupt_zip_renamed_docx(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.docx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(4000))
    assert detect_format(path) == "docx"
    fails(path, "损坏")


def test_truncated_docx(tmp_path: Path) -> None:
    data = (SAMPLES / "formats" / "003_7e78c8e7992595bb.docx").read_bytes()
    path = tmp_path / "truncated.docx"
    path.write_bytes(data[: len(data) // 2])
    fails(path, "损坏")


def test_zip_bomb_docx_is_refused_before_inflating(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b" " * (8 * 1024 * 1024))
    path = tmp_path / "bomb.docx"
    path.write_bytes(buf.getvalue())
    assert path.stat().st_size < 1024 * 1024
    fails(path, "压缩炸弹")


def test_zip_that_is_not_a_word_document(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    path = tmp_path / "sheet.docx"
    path.write_bytes(buf.getvalue())
    assert detect_format(path) == "xlsx"
    fails(path, "不受支持", "Excel")


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = tmp_path / "encrypted.pdf"
    path.write_bytes(encrypted_pdf(b"secret"))
    fails(path, "已加密", "密码")


def test_truncated_pdf(tmp_path: Path) -> None:
    data = (SAMPLES / "formats" / "001_a5b66b52be1972cf.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    fails(path, "不完整", "截断")


def test_broken_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n")
    fails(path, "PDF")


def test_image_only_pdf_is_a_scan_that_needs_ocr(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(image_only_pdf())
    fails(path, "扫描件，需要OCR", "只有图片")


def test_binary_junk_under_a_text_extension(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(os.urandom(20000))
    fails(path, "不是文本文件")


def test_legacy_word_that_is_not_word(tmp_path: Path) -> None:
    path = tmp_path / "fake.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(5000))
    fails(path, "无法作为Word文档读取")


def test_doc_without_antiword_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    fails(SAMPLES / "formats" / "003_7e78c8e7992595bb.doc", "apt-get install antiword")


def test_image_file_needs_ocr(tmp_path: Path) -> None:
    path = tmp_path / "photo.pdf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    fails(path, "OCR")


# -- odd but valid ---------------------------------------------------------------------------------


def test_hand_written_text_pdf_parses(tmp_path: Path) -> None:
    path = tmp_path / "notice.pdf"
    path.write_bytes(text_pdf())
    assert parse_file(path).text == "Notice on open government work 2023"


def test_gb18030_text(tmp_path: Path) -> None:
    path = tmp_path / "gb.txt"
    path.write_bytes("关于印发政务公开工作要点的通知\n各乡镇：\n现印发给你们。".encode("gb18030"))
    doc = parse_file(path)
    assert doc.encoding == "gb18030"
    assert doc.title == "关于印发政务公开工作要点的通知"


def test_utf8_bom_is_not_part_of_the_title(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeff宣府办〔2023〕41号\n关于印发要点的通知\n各部门：".encode())
    doc = parse_file(path)
    assert doc.encoding == "utf-8-sig"
    assert (doc.doc_number, doc.title) == ("宣府办〔2023〕41号", "关于印发要点的通知")


def test_html_keeps_the_article_and_drops_scripts_and_page_furniture(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        """<!DOCTYPE html><html><head><meta charset="utf-8">
        <title>关于印发政务公开工作要点的通知_宣汉县人民政府</title>
        <script>var tracker = "发布日期：1999-01-01";</script><style>p{color:red}</style></head>
        <body><nav><a href="/">首页</a><a href="/a">机构</a><a href="/b">政务公开</a></nav>
        <div class="crumb">当前位置：首页 &gt; 政务公开</div>
        <div class="article"><h1>关于印发政务公开工作要点的通知</h1>
        <div class="info">发布日期：2023-05-25 来源：县政府办 浏览次数：128</div>
        <p>宣府办〔2023〕41号</p><p>各乡镇人民政府：</p>
        <p>现将要点印发给你们，<b>请认真</b>贯彻落实。</p>
        <table><tr><td>序号</td><td>任务</td></tr><tr><td>1</td><td>公开</td></tr></table>
        <p>宣汉县人民政府办公室<br>2023年5月22日</p>
        <div class="share">分享到：<a>微信</a><a>微博</a><a>QQ</a></div>
        <p>【打印】 【关闭】</p></div>
        <footer>版权所有：宣汉县人民政府 ICP备12345号</footer>
        <script>document.write("广告")</script></body></html>""",
        encoding="utf-8",
    )
    doc = parse_file(path)
    assert doc.text.split("\n") == [
        "关于印发政务公开工作要点的通知",
        "发布日期：2023-05-25",
        "宣府办〔2023〕41号",
        "各乡镇人民政府：",
        "现将要点印发给你们，请认真贯彻落实。",
        "序号 | 任务",
        "1 | 公开",
        "宣汉县人民政府办公室",
        "2023年5月22日",
    ]
    assert doc.published_date.isoformat() == "2023-05-25"
    assert doc.signed_date.isoformat() == "2023-05-22"
    assert doc.issuer == "宣汉县人民政府办公室"


def test_gbk_html_declared_as_gb2312(tmp_path: Path) -> None:
    path = tmp_path / "gbk.htm"
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    html += "</head><body><p>关于做好镕基项目公开的通知</p></body></html>"
    path.write_bytes(html.encode("gb18030"))
    assert parse_file(path).title == "关于做好镕基项目公开的通知"


def test_the_content_decides_the_parser_not_the_extension(tmp_path: Path) -> None:
    pdf_as_txt = tmp_path / "notice.txt"
    pdf_as_txt.write_bytes(text_pdf())
    doc = parse_file(pdf_as_txt)
    assert doc.format == "pdf"
    assert any("扩展名为.txt" in w for w in doc.warnings)
    html_as_doc = tmp_path / "download.doc"
    html_as_doc.write_text("<html><body><p>关于印发要点的通知</p></body></html>", encoding="utf-8")
    assert parse_file(html_as_doc).format == "html"


def test_original_file_is_not_modified(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    data = "統(tǒng)籌,,推进\n".encode()
    path.write_bytes(data)
    mtime = path.stat().st_mtime_ns
    assert parse_file(path).text == "統籌，推进"
    assert path.read_bytes() == data and path.stat().st_mtime_ns == mtime


def test_utf8_with_one_damaged_byte_stays_utf8(tmp_path: Path) -> None:
    path = tmp_path / "damaged.txt"
    text = (
        "关于印发政务公开工作要点的通知\n各乡镇：\n" + "现将要点印发给你们，请认真贯彻落实。" * 20
    )
    data = text.encode()
    path.write_bytes(data[:100] + b"\xff" + data[100:])
    doc = parse_file(path)
    assert doc.encoding == "utf-8"
    assert doc.title == "关于印发政务公开工作要点的通知"
    assert any("UTF-8" in w for w in doc.warnings)
