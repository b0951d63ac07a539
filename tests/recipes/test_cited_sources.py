"""Facts the pages state about the libraries, checked against the installed libraries themselves."""

from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_fp8_scale_strategies_are_as_the_theory_chapter_says():
    from compressed_tensors.quantization.quant_scheme import PRESET_SCHEMES

    names = ("FP8", "FP8_DYNAMIC", "W8A8", "FP8_BLOCK")
    strategies = {name: PRESET_SCHEMES[name]["weights"].strategy for name in names}
    assert strategies == {"FP8": "tensor", "FP8_DYNAMIC": "channel", "W8A8": "channel", "FP8_BLOCK": "block"}
    text = (DOCS / "en" / "theory" / "quantization.md").read_text(encoding="utf-8")
    assert "one per tensor for the static `FP8` scheme" in text


def test_the_end_of_compressed_2to4_checkpoints_is_credited_to_the_pull_request_that_did_it():
    # llm-compressor #2452 "[Compressors] Remove sparse compression"; #2504 was another change, and nothing in the
    # two projects' pull requests says that one removal caused the other
    for page in DOCS.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert "#2504" not in text, page
        assert "after vLLM removed its 2:4" not in text and "因為 vLLM 已經移除了它的 2:4" not in text, page


def test_no_page_cites_what_could_not_be_read_at_the_source():
    # QuIP# §2.5 (960 GPU-hours for LLM-QAT's data; fine-tuned PTQ matching QAT) and QTIP Tables 5 and 7 (AQLM at
    # 3.83, QTIP at 3.70 on Llama 2 70B, 4.97 on Llama 3 70B) could not be read in the papers when they were
    # checked, so the pages no longer state them; Lee et al. 2026 (SpenseGPT) was checked against its abstract
    cited = ("§2.5", "Table 5", "Table 7", "表 5", "表 7")
    for page in DOCS.rglob("*-frontier.md"):
        text = page.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "2024a" in line or "2024b" in line:
                assert not any(ref in line for ref in cited), (page, line)
        assert "960" not in text and "3.83" not in text, page
    level5 = (DOCS / "en" / "learning-path" / "level-5-frontier.md").read_text(encoding="utf-8")
    assert "up to 1.2× in decoding on B200 GPUs with FP8" in level5 and "arxiv.org/abs/2606.10445" in level5


def test_the_paged_optimizers_the_bitsandbytes_recipe_names_exist_in_transformers():
    from transformers.training_args import OptimizerNames

    text = (DOCS / "en" / "recipes" / "bitsandbytes.md").read_text(encoding="utf-8")
    for name in ("paged_adamw_8bit", "paged_adamw_32bit"):
        assert f'"{name}"' in text and OptimizerNames(name)


def test_the_prose_under_the_wanda_table_follows_from_the_table():
    """The pruning chapter quotes the Wanda README's LLaMA-2 rows; the differences it states are computed here."""
    for language in ("en", "zh-TW"):
        text = (DOCS / language / "theory" / "pruning.md").read_text(encoding="utf-8")
        rows = {line.split("|")[1].strip(): [float(x) for x in line.split("|")[2:-1]]
                for line in text.splitlines() if line.startswith("| Llama-2-")}
        assert list(rows) == ["Llama-2-7B", "Llama-2-13B", "Llama-2-70B"], language
        dense, magnitude, sparsegpt, wanda, magnitude_24 = (rows["Llama-2-7B"][i] for i in range(5))
        assert 2.8 < magnitude / dense < 3, "nearly triples"
        assert (round(sparsegpt - dense, 1), round(wanda - dense, 1)) == (1.4, 1.3)
        assert f"{magnitude_24:.2f}" in text.split("|---")[-1]
        big = rows["Llama-2-70B"]
        assert (round(big[1] - big[0], 2), round(big[2] - big[0], 2), round(big[3] - big[0], 2)) == (1.86, 0.86, 0.86)
        assert "1.86" in text and "0.86" in text
