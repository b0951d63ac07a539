"""The tiny LM's cache: a model just trained comes back exactly as a cached one does."""

from snippets.scratch import tiny_lm

SMALL = tiny_lm.TinyConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           seq_len=16, batch_size=2, steps=2, warmup_steps=1)


def test_a_freshly_trained_model_is_returned_as_the_cache_returns_it(tmp_path):
    """llm-compressor's oneshot reads the model's config from config._name_or_path: a model handed back straight
    from training had none, and the GPTQ lab failed on a machine where 02-Quantize trained the tiny LM."""
    trained, meta = tiny_lm.load_or_train(SMALL, cache_dir=tmp_path)
    cached, meta_again = tiny_lm.load_or_train(SMALL, cache_dir=tmp_path)
    for model in (trained, cached):
        assert model.config._name_or_path == meta["path"] and not model.training
    assert meta == meta_again
    for (name, a), (_, b) in zip(trained.state_dict().items(), cached.state_dict().items(), strict=True):
        assert a.equal(b), name
