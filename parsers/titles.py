"""Title candidates from web pages: site suffixes stripped, navigation words refused.

A page's `<title>` (and the first line of a crawler's text, or a browser's print header) is the
document's title followed by the site around it: `…的通知_国务院部门文件_中国政府网`,
`…的通知-本委其他文件-XX市XX委员会`, `…_政策文件_首都之窗_北京市人民政府门户网站`. The suffix is
made of short parts that name a column or a site; the rules below know those words, not any site.
"""

from __future__ import annotations

import re

from .normalize import CJK

# Separators between a title and its site parts; `——` and `--` are kept (they occur inside titles).
_SEPARATOR = re.compile(r"\s*(?:_{1,2}|\||｜|(?<![\d-])-(?![\d-])|–|(?<!—)—(?!—)|\s{2,}-\s{2,})\s*")
# Words that make a short trailing part a column or a site name, not part of the title.
_SITE_WORDS = re.compile(
    r"网|網|站|门户|門戶|之窗|频道|頻道|栏目|欄目|专题|專題|专栏|專欄|公报|公報|文件|公开|公開|动态|動態|新闻|"
    r"新聞|要闻|要聞|首页|首頁|政策|解读|解讀|发布|發布|信息|资讯|資訊|通知公告|法规|法規|规章|規章|"
    r"www\.|\.gov|\.cn|\.com|https?://"
)
# An office's name as the last part (`-XX市XX委员会`): the site owner, not the title.
_OFFICE_END = re.compile(
    rf"^[{CJK}（）()]{{2,30}}?(?:人民政府|政府|办公室|办公厅|委员会|局|厅|委|部|院|署|中心|协会)$"
)
SITE_PART_MAX = 30

# What navigation, buttons and page widgets say; never a document title.
_NAV_TEXT = (
    "首页 主页 搜索 高级搜索 站内搜索 全文检索 检索 登录 注册 退出 EN English ENGLISH 无障碍 无障碍浏览 "
    "长者模式 关怀版 繁体 简体 繁體 繁体版 简体版 下载 下载文字版 下载附件 附件下载 打印 打印本页 关闭 关闭窗口 "
    "分享 分享到 收藏 加入收藏 返回 返回顶部 返回首页 返回主站 网站地图 联系我们 当前位置 您当前的位置 微信 "
    "微博 客户端 移动客户端 手机版 电脑版 政务公开 信息公开 政府信息公开 政策文件 政策解读 通知公告 "
    "相关文章 相关链接 相关解读 上一篇 下一篇 字号 大 中 小 更多 详情 正文 附件 扫一扫 纠错 我要纠错 "
    "政府信息公开目录 规章库 政策法规 新闻中心 互动交流 办事服务 政务服务 机构职能 首页>"
)
NAV_WORDS = frozenset(_NAV_TEXT.split())
_NAV_SPLIT = re.compile(r"[\s/|｜、·>＞»]+")
_URLISH = re.compile(r"^\(?(?:https?://)?[\w.-]+\.(?:cn|com|org|net|gov)\)?$", re.IGNORECASE)


def is_navigation(text: str) -> bool:
    """True when `text` is made only of navigation words (`搜索`, `无障碍 搜索 繁体/简体`, `EN`)."""
    parts = [p for p in _NAV_SPLIT.split(text.strip()) if p]
    return bool(parts) and all(p in NAV_WORDS or _URLISH.match(p) for p in parts)


def _outside_quotes(text: str) -> list[tuple[int, int]]:
    """Separator spans that are not inside 《》 or （）."""
    spans, depth = [], 0
    for m in _SEPARATOR.finditer(text):
        depth = sum(
            text.count(o, 0, m.start()) - text.count(c, 0, m.start())
            for o, c in ("《》", "（）", "()")
        )
        if depth == 0 and m.start() > 0:
            spans.append((m.start(), m.end()))
    return spans


def _is_site_part(part: str, site_names: tuple[str, ...]) -> bool:
    part = part.strip(" ()（）")
    if not part:
        return True
    if len(part) > SITE_PART_MAX:
        return False
    if any(name and (part in name or name in part) for name in site_names):
        return True
    return bool(_SITE_WORDS.search(part) or _OFFICE_END.match(part) or is_navigation(part))


def strip_site_suffix(title: str, site_names: tuple[str, ...] = ()) -> str:
    """`…的通知_国务院部门文件_中国政府网` -> `…的通知`. Trailing parts go while they look like a
    column or site; the document part (the longest, first one) always stays."""
    return split_site_suffix(title, site_names)[0]


def split_site_suffix(title: str, site_names: tuple[str, ...] = ()) -> tuple[str, str]:
    """(the title, the site parts after it): the parts name the column the page was filed in."""
    title = re.sub(r"\s+", " ", title).strip()
    spans = _outside_quotes(title)
    end = len(title)
    for start, stop in reversed(spans):
        if _is_site_part(title[stop:end], site_names) and len(title[:start].strip()) >= 4:
            end = start
        else:
            break
    return title[:end].strip(), title[end:].strip()
