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
