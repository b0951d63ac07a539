"""RTN, GPTQ and AWQ from snippets/scratch: the formulas on small matrices, then the effect on the trained tiny LM."""


import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from snippets.scratch.awq import awq_llama_compressor, awq_search_scale, fold_scale
from snippets.scratch.gptq import Hessian, gptq, gptq_compressor, hessian
from snippets.scratch.layer_data import correlated_inputs, output_error
from snippets.scratch.rtn import quant_params, rtn, rtn_compressor

# ---------------------------------------------------------------------------------------------------------------- RTN

@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 8), groups=st.integers(1, 4), bits=st.sampled_from([2, 3, 4, 8]), sym=st.booleans(),
       granularity=st.sampled_from(["tensor", "channel", "group"]), seed=st.integers(0, 2**16))
def test_rtn_error_is_at_most_half_a_step_and_codes_fit_in_b_bits(rows, groups, bits, sym, granularity, seed):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(rows, 8 * groups, generator=g) * torch.rand(1, generator=g) * 10
    W_hat, q, scale, zero = rtn(W, bits, sym, granularity, group_size=8)
    s = scale.repeat_interleave(8, dim=1) if granularity == "group" else scale.expand(rows, W.shape[1])
    assert torch.all((W - W_hat).abs() <= s / 2 + 1e-6 * W.abs())  # float32 rounding of x / s, relative to x
    assert torch.all((q >= 0) & (q <= 2**bits - 1)) and torch.equal(q, q.round())


def test_asymmetric_grid_represents_zero_exactly_even_when_all_weights_are_positive():
    W = torch.rand(16, 64) + 0.5  # all positive: the range is widened to [0, max]
    W[:, ::5] = 0.0
    W_hat, q, scale, zero = rtn(W, bits=3, sym=False, granularity="group", group_size=32)
    assert torch.all(W_hat[:, ::5] == 0)
    assert torch.all(zero == 0)


def test_asymmetric_zero_point_is_the_code_of_zero():
    W = torch.randn(32, 64)
    scale, zero = quant_params(W, bits=4, sym=False)
    assert torch.all((zero >= 0) & (zero <= 15))
    W_hat = rtn(W, 4, sym=False, granularity="channel")[0]
    x = torch.zeros(32, 1)
    assert torch.all(scale * (torch.clamp(torch.round(x / scale) + zero, 0, 15) - zero) == 0)
    assert torch.all((W_hat - W).abs() <= scale / 2 + 1e-6)


def test_symmetric_grid_uses_all_codes_with_zero_point_at_the_middle():
    W = torch.randn(64, 128)
    W_hat, q, scale, zero = rtn(W, bits=4, sym=True, granularity="channel")
    assert torch.all(zero == 8)
    assert q.min() == 0 and q.max() == 15  # -8 .. 7 after subtracting z
    assert torch.allclose(scale.squeeze(1), W.abs().amax(dim=1) / 7.5)


def test_finer_granularity_gives_lower_error():
    W = torch.randn(128, 256) * torch.exp(torch.randn(1, 256))  # columns of different sizes
    errors = [(W - rtn(W, 4, False, gran, 32)[0]).norm().item() for gran in ["tensor", "channel", "group"]]
    assert errors[0] > errors[1] > errors[2]


# --------------------------------------------------------------------------------------------------------------- GPTQ

def test_hessian_accumulated_in_batches_equals_two_x_xt_over_n():
    X = torch.randn(3, 50, 16)
    acc = Hessian(16)
    for batch in X:
        acc.add_batch(batch)
    Xf = X.reshape(-1, 16)
    assert torch.allclose(acc.H, 2 * Xf.T @ Xf / Xf.shape[0], atol=1e-5)


@pytest.mark.parametrize("groupsize", [-1, 32])
@pytest.mark.parametrize("sym", [False, True])
def test_gptq_with_identity_hessian_is_round_to_nearest(groupsize, sym):
    """H = I: no correlations between inputs, so there is nothing to compensate with; GPTQ reduces to RTN."""
    W = torch.randn(64, 128)
    Q = gptq(W, torch.eye(128), bits=3, sym=sym, groupsize=groupsize)
    W_rtn = rtn(W, 3, sym, "channel" if groupsize == -1 else "group", groupsize)[0]
    assert torch.allclose(Q, W_rtn, atol=1e-6)


@pytest.mark.parametrize("bits", [4, 3])
def test_gptq_has_lower_output_error_than_rtn_on_correlated_inputs(bits):
    """At least 2x lower ||W X - Q X||^2 than RTN, per channel (measured: about 3.5x at 4 and 3 bits)."""
    X = correlated_inputs()
    W = torch.randn(96, 128)
    err_rtn = output_error(W, rtn(W, bits, granularity="channel")[0], X)
    err_gptq = output_error(W, gptq(W, hessian([X]), bits), X)
    assert err_gptq < err_rtn / 2


def test_gptq_lazy_batches_do_not_change_the_result():
    X = correlated_inputs(columns=96)
    W = torch.randn(32, 96)
    H = hessian([X])
    assert torch.allclose(gptq(W, H, 4, blocksize=96), gptq(W, H, 4, blocksize=32), atol=1e-5)
    assert torch.allclose(gptq(W, H, 4, groupsize=16, blocksize=96), gptq(W, H, 4, groupsize=16, blocksize=32),
                          atol=1e-5)


def test_gptq_groups_put_every_group_of_every_row_on_its_own_b_bit_grid():
    X = correlated_inputs()
    W = torch.randn(16, 128)
    Q = gptq(W, hessian([X]), bits=3, groupsize=32)
    for group in Q.reshape(16, 4, 32).reshape(-1, 32):
        assert len(torch.unique(group)) <= 8
    assert output_error(W, Q, X) < output_error(W, gptq(W, hessian([X]), bits=3), X)  # groups help


def test_gptq_act_order_is_independent_of_the_input_column_order():
    """With act-order the column order is set by diag(H): permuting W's columns and H the same way permutes Q."""
    X = correlated_inputs() * torch.exp(torch.randn(128))
    W = torch.randn(32, 128)
    H = hessian([X])
    p = torch.randperm(128)
    Q = gptq(W, H, 3, actorder=True)
    Q_permuted = gptq(W[:, p], H[p][:, p], 3, actorder=True)
    assert torch.allclose(Q[:, p], Q_permuted, atol=1e-5)
    order = torch.argsort(torch.diag(H), descending=True)  # already sorted: act-order changes nothing
    assert torch.allclose(gptq(W[:, order], H[order][:, order], 3, actorder=True),
                          gptq(W[:, order], H[order][:, order], 3), atol=1e-6)


def test_gptq_act_order_helps_when_input_scales_differ():
    X = correlated_inputs() * torch.exp(1.5 * torch.randn(128, generator=torch.Generator().manual_seed(1)))
    W = torch.randn(64, 128)
    H = hessian([X])
    assert output_error(W, gptq(W, H, 3, actorder=True), X) < output_error(W, gptq(W, H, 3), X)


def test_gptq_zeroes_the_weights_of_dead_inputs():
    X = correlated_inputs()
    X[:, 5] = 0
    Q = gptq(torch.randn(16, 128), hessian([X]), 4)
    assert torch.all(Q[:, 5] == 0) and torch.isfinite(Q).all()


# ---------------------------------------------------------------------------------------------------------------- AWQ

def test_awq_alpha_zero_is_rtn_so_the_search_never_loses_on_its_calibration_data():
    X = correlated_inputs() * torch.exp(torch.randn(128))
    W = torch.randn(64, 128)
    s, alpha, losses = awq_search_scale(W, X, bits=3, group_size=32)
    rtn_loss = ((X @ rtn(W, 3, False, "group", 32)[0].T - X @ W.T).square().mean()).item()
    assert losses[0] == pytest.approx(rtn_loss, rel=1e-5)
    assert min(losses) <= rtn_loss


def test_awq_scale_protects_outlier_channels():
    X = torch.randn(2048, 128)
    X[:, :4] *= 30  # four salient input channels
    W = torch.randn(64, 128)
    s, alpha, losses = awq_search_scale(W, X, bits=3, group_size=32)
    assert alpha > 0 and s[:4].min() > s[4:].max()
    assert min(losses) < losses[0] / 1.2


def test_awq_folded_scale_leaves_the_full_precision_function_unchanged():
    prev, fc = nn.Linear(32, 48), nn.Linear(48, 16)
    x = torch.randn(10, 32)
    y = fc(prev(x))
    fold_scale(prev, [fc], torch.rand(48) + 0.5)
    assert torch.allclose(fc(prev(x)), y, atol=1e-5)


def test_awq_folding_leaves_a_llama_decoder_layer_unchanged():
    """Every (previous op -> group) pair of LLAMA_PREVIOUS_OP: scaling the group's weight columns by s and the
    previous op's output by 1 / s leaves the layer's output unchanged (RMSNorm weights, v_proj rows, up_proj rows)."""
    from snippets.scratch import tiny_lm
    from snippets.scratch.awq import LLAMA_PREVIOUS_OP

    model = tiny_lm.new_model(tiny_lm.TinyConfig(num_hidden_layers=1, hidden_size=64, intermediate_size=96))
    calibration = torch.randint(0, 256, (2, 16))
    inps, kwargs = tiny_lm.layer0_inputs(model, calibration, batch_size=2)
    layer = model.model.layers[0]
    with torch.no_grad():
        for param in layer.parameters():  # trained-looking norms and weights, not the initial ones
            param.add_(0.05 * torch.randn_like(param))
        y = layer(inps[0], **kwargs[0])
        for names in tiny_lm.SEQUENTIAL_GROUPS:
            width = layer.get_submodule(names[0]).in_features
            fold_scale(layer.get_submodule(LLAMA_PREVIOUS_OP[names[0]]),
                       [layer.get_submodule(name) for name in names], torch.rand(width) * 4 + 0.25)
        assert torch.allclose(layer(inps[0], **kwargs[0]), y, atol=1e-5)


# --------------------------------------------------------------------------------------- effects on the trained model

def test_gptq_beats_rtn_on_heldout_perplexity_at_4_bits(tiny, compressed_ppl):
    """4-bit, groups of 32, asymmetric: GPTQ's perplexity increase over fp32 is at most 70% of RTN's (measured on
    three training runs: 0.36x, 0.49x, 0.16x)."""
    ppl_rtn = compressed_ppl("rtn-w4g32", rtn_compressor(4, 32))
    ppl_gptq = compressed_ppl("gptq-w4g32", gptq_compressor(4, 32))
    assert ppl_gptq - tiny.ppl < 0.7 * (ppl_rtn - tiny.ppl)


def test_gptq_beats_rtn_on_heldout_perplexity_at_3_bits(tiny, compressed_ppl):
    """3-bit, groups of 32, asymmetric: GPTQ's perplexity increase over fp32 is at most half of RTN's (measured on
    three training runs: 0.31x, 0.15x, 0.26x)."""
    ppl_rtn = compressed_ppl("rtn-w3g32", rtn_compressor(3, 32))
    ppl_gptq = compressed_ppl("gptq-w3g32", gptq_compressor(3, 32))
    assert ppl_gptq - tiny.ppl < 0.5 * (ppl_rtn - tiny.ppl)


def test_awq_beats_rtn_on_heldout_perplexity_at_3_bits(tiny, compressed_ppl):
    """3-bit, group size 128 (AWQ's default; one group per row for the 128-wide inputs), asymmetric: AWQ's
    perplexity increase is at most 95% of RTN's (measured on three training runs: 0.88x, 0.78x, 0.82x). A thin margin:
    AWQ protects salient input channels, and this tiny LM's largest input channels are only about 2x the median."""
    ppl_rtn = compressed_ppl("rtn-w3g128", rtn_compressor(3, 128))
    ppl_awq = compressed_ppl("awq-w3g128", awq_llama_compressor(3, 128))
    assert ppl_awq - tiny.ppl < 0.95 * (ppl_rtn - tiny.ppl)


# ----------------------------------------------------------------------------------------------------- GPU only (CUDA)

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.gpu
@needs_cuda
def test_gptq_on_a_4096_by_4096_layer_on_cuda_beats_rtn():
    """A layer of a 7B model's width on the GPU (its time is measured by benchmarks/compression_results.py)."""
    X = correlated_inputs(tokens=4096, columns=4096, rank=256).cuda()
    W = (torch.randn(4096, 4096) / 64).cuda()
    H = hessian([X])
    Q = gptq(W, H, bits=4, groupsize=128)
    assert output_error(W, Q, X) < output_error(W, rtn(W, 4, False, "group", 128)[0], X) / 1.5


@pytest.mark.gpu
@needs_cuda
def test_sequential_gptq_on_layers_of_a_1b_llama_architecture_on_cuda():
    """Four decoder layers with TinyLlama-1.1B's shapes (hidden 2048, MLP 5632, 32 heads, 4 KV heads), random
    weights, 16 random sequences of 512 tokens: every linear compressed, no layer worse than RTN by more than 5%."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from snippets.scratch import tiny_lm

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=4,
                         num_attention_heads=32, num_key_value_heads=4, max_position_embeddings=512)
    model = LlamaForCausalLM(config).cuda().eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    calibration = torch.randint(0, 32000, (16, 512), device="cuda")
    err_gptq = tiny_lm.compress_sequentially(model, calibration, gptq_compressor(4, 128), batch_size=4)
    model.load_state_dict(state)
    err_rtn = tiny_lm.compress_sequentially(model, calibration, rtn_compressor(4, 128), batch_size=4)
    assert len(err_gptq) == 4 * 7
    for name in err_gptq:
        assert err_gptq[name] <= 1.05 * err_rtn[name], name
