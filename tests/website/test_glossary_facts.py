"""Glossary definitions that state a fact the code can check, checked against the code."""

from pathlib import Path

import yaml

from calculators.model.spec import cached_tokens

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "_data" / "glossary.yml"
TERMS = {term["id"]: term for section in yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))
         for term in section["terms"]}


def test_sliding_window_layers_keep_window_minus_one_tokens():
    assert cached_tokens(seq_len=10_000, window=4096, block_size=None) == 4095
    assert "W − 1" in TERMS["sliding-window-attention"]["def_en"]
    assert "W − 1" in TERMS["sliding-window-attention"]["def_zh"]


def test_the_uniform_error_model_says_where_it_fails():
    term = next(t for t in TERMS.values() if "s²/12" in t["def_en"])
    assert "fails at low bit widths" in term["def_en"] and "不成立" in term["def_zh"]


def test_pruned_zeros_are_not_said_to_be_dropped_from_storage():
    assert "dropping" not in TERMS["pruning"]["def_en"] and "stay in today's checkpoints" in TERMS["pruning"]["def_en"]


def test_temperature_divides_the_logits_in_both_languages():
    assert "divisor" in TERMS["temperature"]["def_en"] and "logits 所除以的數" in TERMS["temperature"]["def_zh"]
