"""Our from-scratch GPTQ against llm-compressor's (vLLM project), on layers and on the whole trained tiny LM.

llm-compressor computes each group's scale and zero point once, from the original weights (min-max observer), before
the GPTQ loop; the paper's reference code computes them when the loop enters the group, from the weights as GPTQ has
updated them. Our gptq(..., static_groups=True) does the former, and then the two implementations agree exactly.
"""

import pytest
import tiny_lm
from gptq import gptq, hessian

llmcompressor = pytest.importorskip("llmcompressor", reason="llm-compressor is not installed")

from compressed_tensors.quantization import QuantizationArgs  # noqa: E402
from llmcompressor.modifiers.gptq.gptq_quantize import quantize_weight  # noqa: E402
from llmcompressor.observers import Observer  # noqa: E402


def llm_compressor_gptq(W, H, bits, sym, group_size, actorder):
    args = QuantizationArgs(num_bits=bits, symmetric=sym, strategy="group", group_size=group_size,
                            actorder="weight" if actorder else None)
    observer = Observer.load_from_registry("memoryless_minmax", base_name="weight", args=args)
    observer(W)
    qparams = observer.get_qparams()
    Q, _, rtn_fallback = quantize_weight(W[None].clone(), H[None].clone(), qparams["scale"][None],
                                         qparams["zero_point"][None], None, args, blocksize=128, percdamp=0.01)
    assert not rtn_fallback.any()
    return Q[0]


@pytest.fixture(scope="module")
def down_proj(tiny):
    """Weight and calibration inputs of layer 1's down_proj (128 x 384: three GPTQ blocks, twelve groups of 32)."""
    model = tiny.copy()
    inps, kwargs = tiny_lm.layer0_inputs(model, tiny.calibration, 8)
    inps = [model.model.layers[0](inp, **kw) for inp, kw in zip(inps, kwargs, strict=True)]
    layer = model.model.layers[1]
    X = tiny_lm.record_inputs(layer, ["mlp.down_proj"], inps, kwargs)["mlp.down_proj"]
    return layer.mlp.down_proj.weight.detach().clone(), X


@pytest.mark.parametrize("actorder", [False, True], ids=["in-order", "act-order"])
@pytest.mark.parametrize("sym", [True, False], ids=["sym", "asym"])
def test_static_groups_match_llm_compressor_exactly(down_proj, sym, actorder):
    """Same W, same H, 4-bit, group 32: every dequantized weight equal to float32 round-off (|diff| <= 1e-6)."""
    W, X = down_proj
    H = hessian(X)
    Q_ours = gptq(W, H, bits=4, sym=sym, groupsize=32, actorder=actorder, static_groups=True)
    Q_theirs = llm_compressor_gptq(W, H, 4, sym, 32, actorder)
    assert (Q_ours - Q_theirs).abs().max().item() <= 1e-6


@pytest.mark.parametrize("bits", [4, 3])
def test_reference_groups_are_as_good_as_llm_compressor(down_proj, bits):
    """The paper's groups (grid computed on entering the group): output error at most 10% above llm-compressor's
    static groups (measured: 10-15% below on this layer)."""
    W, X = down_proj
    H = hessian(X)
    err_ours = tiny_lm.relative_output_error(W, X, gptq(W, H, bits=bits, groupsize=32), X)
    err_theirs = tiny_lm.relative_output_error(W, X, llm_compressor_gptq(W, H, bits, False, 32, False), X)
    assert err_ours <= 1.1 * err_theirs
