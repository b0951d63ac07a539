"""The zh-TW pages use Taiwan's words: usages that read as Mainland Chinese to a Taiwanese reader are listed here
with the word this site uses instead (docs/_data/glossary.yml holds the terms)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The Python that holds zh-TW text: the calculators' messages and the hooks' page labels
PYTHON_WITH_ZH = [path for path in [*(ROOT / "calculators").rglob("*.py"), *(ROOT / "hooks").glob("*.py")]
                  if re.search(r"[\u4e00-\u9fff]", path.read_text(encoding="utf-8"))]
SOURCES = sorted([*(ROOT / "docs" / "zh-TW").rglob("*.md"), *(ROOT / "docs" / "zh-TW").rglob("*.ipynb"),
                  *PYTHON_WITH_ZH, ROOT / "docs" / "_data" / "glossary.yml"])
MAINLAND = {
    "端到端": "端對端", "循環層": "遞迴層", "循環狀態": "遞迴狀態", "數據": "資料", "信源": "訊號源",
    "逆矩陣": "反矩陣",
    "算法": "演算法 / 計算方式", "實現": "實作", "自帶": "內建", "程式庫": "儲存庫 (repository)", "内": "內",
    "内存": "記憶體", "默認": "預設", "運行": "執行", "信息": "資訊",
}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_mainland_usage(path):
    text = path.read_text(encoding="utf-8").replace("演算法", "")
    if path.name == "glossary.yml":
        text = "\n".join(line for line in text.splitlines() if "zh" in line.split(":")[0])  # the Chinese fields
    found = {word: instead for word, instead in MAINLAND.items() if word in text}
    assert not found, found


def rejected_translations() -> dict[str, str]:
    """Each glossary term's rejected translations (its zh_not), mapped to the one the site uses."""
    import yaml

    sections = yaml.safe_load((ROOT / "docs" / "_data" / "glossary.yml").read_text(encoding="utf-8"))
    terms = [term for section in sections for term in section["terms"]]
    return {variant: term["zh"] for term in terms for variant in term.get("zh_not", [])}


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name != "glossary.yml"],
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_one_term_one_translation(path):
    """A term the glossary records is written the glossary's way on every zh-TW page."""
    text, rejected = path.read_text(encoding="utf-8"), rejected_translations()
    assert "彩票假說" in rejected, "the glossary records rejected translations (zh_not)"
    found = {variant: chosen for variant, chosen in rejected.items() if variant in text}
    assert not found, found
