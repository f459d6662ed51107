"""The embedded CJK font of every PDF: a TrueType font found once, or a clear error.

ReportLab embeds TrueType outlines only (not the CFF outlines of Noto CJK / Source Han), so the
default is Debian's ``fonts-wqy-microhei`` (a TrueType collection); ``COPLAN_PDF_FONT`` (app
config or environment) names any other TrueType font, with ``#N`` to pick a face of a ``.ttc``.
"""

import os
import threading

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from app.core.errors import DomainError

FONT_NAME = "CoPlanCJK"
DEFAULT_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
# Characters every document prints: a font without them would print boxes.
PROBE_TEXT = "小区改造表决票同意反对弃权登录码楼栋单元房号面积业主签名"
INSTALL_HINT = _l(
    "找不到可嵌入 PDF 的中文 TrueType 字体，无法打印（否则中文会显示成方框）。"
    "请在服务器上安装文泉驿微米黑：sudo apt-get install fonts-wqy-microhei；"
    "或在配置项 COPLAN_PDF_FONT 中指定一个中文 TrueType 字体文件（.ttf 或 .ttc，"
    "不支持 Noto CJK 等 OTF/CFF 字体）。"
)

_lock = threading.Lock()
_registered: dict[str, str] = {}  # configured spec -> registered font name


class FontUnavailable(DomainError):
    """No usable TrueType CJK font: printing refuses with instructions to install one."""


def configured_font() -> str:
    """The font the configuration names ("" when none): app config, then environment."""
    value = current_app.config.get("COPLAN_PDF_FONT") if has_app_context() else None
    return (value or os.environ.get("COPLAN_PDF_FONT") or "").strip()


def _split_spec(spec: str) -> tuple[str, int]:
    """ "path#2" -> (path, 2); a plain path is face 0."""
    path, sep, index = spec.rpartition("#")
    if sep and index.isdigit():
        return path, int(index)
    return spec, 0


def _load(spec: str) -> TTFont:
    """Load and check one font file; raises FontUnavailable with the reason."""
    path, index = _split_spec(spec)
    if not os.path.isfile(path):
        raise FontUnavailable(INSTALL_HINT, _l("字体文件不存在：%(path)s", path=path))
    try:
        font = TTFont(FONT_NAME + str(len(_registered)), path, subfontIndex=index)
    except (TTFError, OSError, IndexError) as exc:
        raise FontUnavailable(
            INSTALL_HINT, _l("无法使用字体 %(path)s：%(error)s", path=path, error=str(exc))
        ) from None
    missing = [ch for ch in PROBE_TEXT if ord(ch) not in font.face.charToGlyph]
    if missing:
        raise FontUnavailable(
            INSTALL_HINT, _l("字体 %(path)s 不含中文字形（如“%(ch)s”）。", path=path, ch=missing[0])
        )
    return font


def pdf_font() -> str:
    """The registered font name to draw with; raises FontUnavailable when none is usable."""
    configured = configured_font()
    candidates = (configured,) if configured else DEFAULT_FONTS
    key = configured or "<default>"
    with _lock:
        if key in _registered:
            return _registered[key]
        last_error = None
        for spec in candidates:
            try:
                font = _load(spec)
            except FontUnavailable as exc:
                last_error = exc
                continue
            pdfmetrics.registerFont(font)
            _registered[key] = font.fontName
            return font.fontName
    # A configured font's own reason helps; without one, how to install the default is enough.
    raise (last_error if configured else None) or FontUnavailable(INSTALL_HINT)
