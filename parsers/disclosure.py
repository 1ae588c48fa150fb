"""The government information-disclosure table (政府信息公开 header) of a web page, read as cells.

Almost every government article page states the document's metadata in a small table or list
above the text: 索引号 / 主题分类 / 发文机关 (发布机构) / 成文日期 / 标题 (名称) / 发文字号 (文号) /
发布日期. Layouts differ (`<td>label：</td><td>value</td>`, `<h2>label：</h2><p>value</p>`,
`<li>[label] <span>value</span></li>`, `label：value` in one cell) and labels are often spaced
(`文　　号：`, `发 文 字 号 ：`). Here the page is a sequence of cells (block-level text in
document order); a label starts a cell, its value is the rest of that cell or the next cell.

A label counts as the table's only inside a cluster of at least three different disclosure labels,
so that `名称：` in an attachment's table of companies is never taken for the title. `来源` and
`发布日期` lines are read anywhere: they are weak evidence and never 成文日期.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .extracted import PageValue

# label -> field; fields named "_" are recognised (they make a cluster) but not extracted.
_FIELDS = {
    "title": "标题 名称 文件名称 信息名称 公文名称 文件标题",
    "doc_number": "发文字号 文号 发文号 文件字号",
    "issuer": "发文机关 发文机构 发文单位 制发机关 成文单位 发文部门",
    # who put the page up: usually the issuer, but a reprinting office on someone else's document
    "publisher": "发布机构 发布机关 发布单位 发布部门 信息提供单位",
    "co_issuers": "联合发文单位 联合发文机关 联合发文机构 联合发文部门",
    "signed_date": "成文日期 成文时间 印发日期 发文日期",
    "published_date": "发布日期 发布时间 公开日期 公布日期 发文时间",
    "effective_date": "实施日期 施行日期 生效日期",
    "source": "来源 信息来源 文章来源 稿件来源 来源单位",
    "_": "索引号 主题分类 体裁分类 组配分类 服务对象 主题词 关键词 有效性 时效性 效力状态 废止日期 "
    "失效日期 公开方式 公开范围 公开形式 文件来源 所属机构 信息类别 统一编号 登记号 文种 体裁",
}
LABELS = {label: name for name, words in _FIELDS.items() for label in words.split()}
WEAK = {"published_date", "source"}  # read outside a table too
_SPACED = "|".join(
    r"[\s\u3000]*".join(map(re.escape, label)) for label in sorted(LABELS, key=len, reverse=True)
)
# A label at the start of a cell: `[发文机构]`, `【文号】`, `发 文 字 号 ：`, `标　　题:`.
_START = re.compile(
    rf"^[\[【［(（]?[\s\u3000]*({_SPACED})[\s\u3000]*[\]】］)）]?[\s\u3000]*([:：]?)"
)
# Further labels inside one cell (`发布时间：2020-01-01 来源：XX`) need a colon.
_INNER = re.compile(rf"(?:^|(?<=[\s\u3000]))({_SPACED})[\s\u3000]*[:：]")
_PLACEHOLDER = re.compile(r"^[-—－_/\s\u3000]*$|^(?:无|暂无|空)$")
_TRIM = " \u3000\t:：|"
CLUSTER_MIN = 3  # different labels that make a disclosure table
CLUSTER_GAP = 4  # cells allowed between two labels of one table


@dataclass
class Cell:
    text: str
    block: object  # the element holding the text (a bs4 Tag); used to drop the table from the body


def _clean(value: str) -> str:
    value = re.sub(r"[\s\u3000]+", " ", value).strip(_TRIM)
    value = re.sub(r"^[-—－]{2,}\s*", "", value)  # a `----` placeholder left before the value
    return "" if _PLACEHOLDER.match(value) else value


def _label(text: str) -> tuple[str, str, bool] | None:
    """(canonical label, rest of the cell, had a colon or brackets) for a cell that starts with one."""
    m = _START.match(text)
    if not m:
        return None
    label = re.sub(r"[\s\u3000]", "", m.group(1))
    rest = text[m.end() :]
    marked = bool(m.group(2)) or text.lstrip()[:1] in "[【［(（"
    # `名称` must be a label, not the start of a sentence: a colon, brackets, or nothing after it
    if not marked and rest.strip():
        return None
    return label, rest, marked


def _hits(cells: list[Cell]) -> list[tuple[int, str, str]]:
    """(index of the last cell used, label, value) for every label in the cells, values taken from
    the next cell when the label's own cell has none (then the label cell is the index before)."""
    out = []
    for i, cell in enumerate(cells):
        found = _label(cell.text)
        if found is None:
            for m in _INNER.finditer(cell.text):
                label = re.sub(r"[\s\u3000]", "", m.group(1))
                if LABELS[label] in WEAK:
                    nxt = _INNER.search(cell.text, m.end())
                    out.append(
                        (i, label, _clean(cell.text[m.end() : nxt.start() if nxt else None]))
                    )
            continue
        label, rest, _ = found
        inner = _INNER.search(rest)
        value = _clean(rest[: inner.start()] if inner else rest)
        used = i
        if not value and i + 1 < len(cells) and _label(cells[i + 1].text) is None:
            value, used = _clean(cells[i + 1].text), i + 1
        out.append((used, label, value))
        if inner:  # more labels in the same cell
            for m in _INNER.finditer(rest):
                nxt = _INNER.search(rest, m.end())
                lab = re.sub(r"[\s\u3000]", "", m.group(1))
                out.append((i, lab, _clean(rest[m.end() : nxt.start() if nxt else None])))
    return out


def _clusters(hits: list[tuple[int, str, str]]) -> list[list[tuple[int, str, str]]]:
    groups: list[list[tuple[int, str, str]]] = []
    for hit in hits:
        if groups and hit[0] - groups[-1][-1][0] <= CLUSTER_GAP:
            groups[-1].append(hit)
        else:
            groups.append([hit])
    return [g for g in groups if len({h[1] for h in g}) >= CLUSTER_MIN]


def read_disclosure(cells: list[Cell]) -> tuple[dict[str, PageValue], list[Cell]]:
    """The page's stated metadata, and the cells of its disclosure table (to keep out of the body)."""
    hits = _hits(cells)
    fields: dict[str, PageValue] = {}
    table_cells: list[Cell] = []
    for group in _clusters(hits)[:1]:
        used = {i for i, _, _ in group}
        # a value read from the next cell: its label cell belongs to the table too
        used |= {i - 1 for i in used if i > 0 and _label(cells[i].text) is None}
        table_cells = [cells[i] for i in sorted(used)]
        for _, label, value in group:
            name = LABELS[label]
            if value and name != "_" and name not in fields:
                fields[name] = PageValue(value, f"网页信息公开表“{label}”")
    for _, label, value in hits:
        name = LABELS[label]
        if value and name in WEAK and name not in fields:
            fields[name] = PageValue(value, f"网页“{label}”", strong=False)
    return fields, table_cells
