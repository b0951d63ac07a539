"""How many numbers the KV cache of (grouped-query) attention holds per token, from a model's config.json.
Standard library only."""


# --8<-- [start:gqa]
def gqa_values_per_token(num_hidden_layers: int, num_key_value_heads: int, head_dim: int) -> int:
    """Numbers cached per token by (grouped-query) attention: one key and one value vector per KV head per layer.
    The count uses KV heads, not query heads: that is the whole point of GQA."""
    return 2 * num_hidden_layers * num_key_value_heads * head_dim
# --8<-- [end:gqa]
