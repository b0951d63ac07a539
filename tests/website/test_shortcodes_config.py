"""The `config` shortcode, and a guard against model architecture facts typed by hand into the pages.

`{{ config MODEL KEY.PATH }}` renders one field of the config.json the calculators bundle for MODEL
(calculators/data/presets.json), so a page that names a model's head count, window or MLA dimension shows the value
the calculators compute with. The guard below fails when a page types such a fact again instead of using it.
"""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from calculators.model.presets import PRESETS
from tests.mkdocs_hooks import load_hook

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
shortcodes = load_hook("shortcodes")

PAGES = sorted(p for language in ("en", "zh-TW") for p in (DOCS / language).rglob("*.md"))
CONFIG_SHORTCODE = re.compile(r"\{\{\s*config\s+(\S+)\s+(\S+)\s*\}\}")


def page_for(language: str):
    prefix = "zh-TW/" if language == "zh-TW" else ""
    return SimpleNamespace(file=SimpleNamespace(src_uri=f"{prefix}test/page.md", dest_uri="test/page/index.html"))


def render(markdown: str, language: str = "en") -> str:
    return shortcodes.on_page_markdown(markdown, page_for(language), config={}, files=None)


@pytest.mark.parametrize(
    ("model", "path", "expected"),
    [
        ("meta-llama/Llama-3.1-8B", "num_key_value_heads", PRESETS["meta-llama/Llama-3.1-8B"]["num_key_value_heads"]),
        ("meta-llama/Llama-3.1-8B", "max_position_embeddings",
         PRESETS["meta-llama/Llama-3.1-8B"]["max_position_embeddings"]),
        ("meta-llama/Llama-3.1-70B", "num_hidden_layers", PRESETS["meta-llama/Llama-3.1-70B"]["num_hidden_layers"]),
        ("deepseek-ai/DeepSeek-V3", "kv_lora_rank", PRESETS["deepseek-ai/DeepSeek-V3"]["kv_lora_rank"]),
        ("deepseek-ai/DeepSeek-V3", "qk_rope_head_dim", PRESETS["deepseek-ai/DeepSeek-V3"]["qk_rope_head_dim"]),
        ("google/gemma-3-27b-pt", "text_config.sliding_window",
         PRESETS["google/gemma-3-27b-pt"]["text_config"]["sliding_window"]),
        ("deepseek-ai/DeepSeek-V3", "quantization_config.weight_block_size.0",
         PRESETS["deepseek-ai/DeepSeek-V3"]["quantization_config"]["weight_block_size"][0]),
    ],
)
def test_renders_the_bundled_config_value_with_thousands_separators(model, path, expected):
    assert isinstance(expected, int)
    for language in ("en", "zh-TW"):
        assert render(f"x {{{{ config {model} {path} }}}} y", language) == f"x {expected:,} y"


def test_known_values_render_as_on_the_pages():
    assert render("{{ config meta-llama/Llama-3.1-8B max_position_embeddings }}") == "131,072"
    assert render("{{ config google/gemma-3-27b-pt text_config.sliding_window }}") == "1,024"
    assert render("{{ config deepseek-ai/DeepSeek-V3 kv_lora_rank }}") == "512"


def test_head_dim_is_the_configs_own_or_derived_as_transformers_derives_it():
    llama = PRESETS["meta-llama/Llama-3.1-8B"]
    assert "head_dim" not in llama
    assert render("{{ config meta-llama/Llama-3.1-8B head_dim }}") == str(
        llama["hidden_size"] // llama["num_attention_heads"]
    )
    qwen = PRESETS["Qwen/Qwen3-0.6B"]  # sets head_dim larger than hidden_size / heads: the config's value wins
    assert qwen["head_dim"] != qwen["hidden_size"] // qwen["num_attention_heads"]
    assert render("{{ config Qwen/Qwen3-0.6B head_dim }}") == str(qwen["head_dim"])
    assert "head_dim" not in PRESETS["meta-llama/Llama-3.1-8B"]  # the preset itself is left unchanged


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("{{ config meta-llama/Llama-9-8B num_hidden_layers }}", "unknown preset"),
        ("{{ config meta-llama/Llama-3.1-8B num_kv_heads }}", "no 'num_kv_heads'"),
        ("{{ config google/gemma-3-27b-pt sliding_window }}", "no 'sliding_window'"),  # it is under text_config
        ("{{ config meta-llama/Llama-3.1-8B rope_scaling }}", "not one value"),
        ("{{ config mistralai/Mistral-7B-v0.3 sliding_window }}", "not one value"),  # null in the config
        ("{{ config openai-community/gpt2 head_dim }}", "no 'head_dim'"),  # GPT-2 names its fields n_embd, n_head
        ("{{ config meta-llama/Llama-3.1-8B }}", "config"),  # missing KEY
    ],
)
def test_unknown_model_or_key_stops_the_build(markdown, message):
    with pytest.raises(PluginError, match=re.escape(message)):
        render(markdown)


def test_every_config_shortcode_on_the_pages_renders():
    found = [(page, m.group(1), m.group(2)) for page in PAGES for m in CONFIG_SHORTCODE.finditer(page.read_text())]
    assert found, "no page uses {{ config ... }}"
    for page, model, path in found:
        assert re.fullmatch(r"[\d,]+", shortcodes.render_config("en", model, path)), (page, model, path)


# Architecture facts of named models that pages used to type by hand; they are written with {{ config ... }} now.
# Matched on the page text with fenced code blocks and shortcodes removed, so the shortcodes themselves, code
# listings and what `{{ run ... }}` prints are not checked.
ANY_PAGE = [
    r"\b\d[\d,]*\s+(?:query|attention|key/value|KV)\s+heads?\b",  # "8 KV heads"
    r"\d[\d,]*\s*個\s*(?:查詢|注意力|鍵／值|KV\s*)頭",  # "8 個 KV 頭"
    # a config field in backticks followed by a typed number: "`attn_layer_period` 8", "`kv_lora_rank` of 512"
    r"`(?:num_\w+|n_\w+|head_dim|hidden_size|\w*intermediate_size|vocab_size|sliding_window\w*|kv_lora_rank"
    r"|q_lora_rank|qk_\w+|v_head_dim|max_position_embeddings|attn_layer_\w+|expert_layer_\w+|full_attention_interval"
    r"|\w*experts\w*)`\s*(?:of|is|=|:|為|是)?\s*\d",
    r"\$d_c\s*=\s*\d+\$|\$d_h\^R\s*=\s*\d+\$",  # MLA dimensions: "$d_c = 512$"
    r"\d[\d,]*\s+tokens,?\s+its\s+full\s+context|full\s+context\s+of\s+\d",  # a model's max_position_embeddings
    r"完整上下文\s*\d|\d[\d,]*\s*個詞元的完整上下文",
]
ON_PAGE = {
    "theory/kv-cache.md": {
        "en": [r"Qwen3-8B, with \d+ layers", r"window of 1,024 tokens", r"\b80\s+layers"],
        "zh-TW": [r"Qwen3-8B 有 \d+ 個", r"視窗為 1,024 個詞元", r"\b80\s*層"],
    },
    "calculators/gpu-planner.md": {
        "en": [r"\d[\d,]* × \d+ values"],
        "zh-TW": [r"\d[\d,]* × \d+ 個值"],
    },
}
FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1", re.M | re.S)
SHORTCODE = re.compile(r"\{\{.*?\}\}", re.S)


def prose(page: Path) -> str:
    return SHORTCODE.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_no_page_types_a_model_architecture_fact_by_hand(page):
    language, relative = page.relative_to(DOCS).parts[0], "/".join(page.relative_to(DOCS).parts[1:])
    patterns = ANY_PAGE + ON_PAGE.get(relative, {}).get(language, [])
    text = prose(page)
    typed = [m.group(0) for pattern in patterns for m in re.finditer(pattern, text)]
    assert not typed, f"{page.relative_to(DOCS)}: write these with {{{{ config MODEL KEY }}}}: {typed}"


def test_the_guard_catches_what_the_pages_used_to_say():
    old = {
        "Llama-3.1-8B has 32 query heads and 8 KV heads in its `config.json`",
        "Llama 3.1 70B 有 64 個注意力頭、8 個鍵／值頭",
        "Llama-3.1-70B 的 80 層各有 8 個 KV 頭",
        "DeepSeek-V3 has $d_c = 512$ and $d_h^R = 64$",
        "(`attn_layer_period` 8 in its config)",
        "（`full_attention_interval` 為 4）",
        "131,072 tokens, its full context, take",
        "一個序列在 131,072 個詞元的完整上下文下占",
    }
    for sentence in old:
        assert any(re.search(pattern, sentence) for pattern in ANY_PAGE), sentence
