"""Random-weight GGUF of one of `bench --random`'s shapes, for measuring llama.cpp beside SteerServer.

llama.cpp's `llama` architecture (no q/k/v bias or q/k norm; only the shape matters for speed), weights N(0, 0.02),
norms 1.0, a placeholder vocabulary. Written tensor by tensor, so an 8B model never sits in memory. Quantise the f16
file with `llama-quantize OUT.gguf OUT-Q8_0.gguf Q8_0` (and Q4_K_M). Needs numpy (Debian: python3-numpy) and
llama.cpp's gguf-py:
    GGUF_PY=$LLAMA_CPP/gguf-py /usr/bin/python3 tools/llama-cpp-anchor/make_gguf_random.py SHAPE OUT.gguf [f32|f16]
"""
import os, sys
sys.path.insert(0, os.environ["GGUF_PY"])
import numpy as np
import gguf

# dim, ffn, layers, heads, kv heads, vocab, head_dim, untied: as src/Models/Checkpoints/RandomModelShape.cs
SHAPES = {
    "smollm2-135m": (576, 1536, 30, 9, 3, 49152, 64, False),
    "qwen2.5-0.5b": (896, 4864, 24, 14, 2, 151936, 64, False),
    "qwen2.5-1.5b": (1536, 8960, 28, 12, 2, 151936, 128, False),
    "qwen3-0.6b": (1024, 3072, 28, 16, 8, 151936, 128, False),
    "llama-3.2-1b": (2048, 8192, 16, 32, 8, 128256, 64, False),
    "llama-3.1-8b": (4096, 14336, 32, 32, 8, 128256, 128, True),
}
shape, out = sys.argv[1], sys.argv[2]
f32 = len(sys.argv) > 3 and sys.argv[3] == "f32"
dim, ffn, layers, heads, kv, vocab, hd, untied = SHAPES[shape]
wdt = np.dtype(np.float32 if f32 else np.float16)
w = gguf.GGUFWriter(out, "llama")
w.add_name(f"random {shape}")
w.add_context_length(4096); w.add_embedding_length(dim); w.add_block_count(layers)
w.add_feed_forward_length(ffn); w.add_head_count(heads); w.add_head_count_kv(kv)
w.add_rope_dimension_count(hd); w.add_key_length(hd); w.add_value_length(hd)
w.add_layer_norm_rms_eps(1e-6); w.add_rope_freq_base(1000000.0)
w.add_file_type(gguf.LlamaFileType.ALL_F32 if f32 else gguf.LlamaFileType.MOSTLY_F16)
w.add_tokenizer_model("llama")
w.add_token_list([b"<unk>", b"<s>", b"</s>"] + [f"t{i}".encode() for i in range(3, vocab)])
w.add_token_scores([0.0] * vocab); w.add_token_types([2, 3, 3] + [1] * (vocab - 3))
w.add_bos_token_id(1); w.add_eos_token_id(2)
plan = [("token_embd.weight", (vocab, dim))]
for i in range(layers):
    p = f"blk.{i}."
    plan += [(p + "attn_norm.weight", (dim,)), (p + "attn_q.weight", (heads * hd, dim)), (p + "attn_k.weight", (kv * hd, dim)),
             (p + "attn_v.weight", (kv * hd, dim)), (p + "attn_output.weight", (dim, heads * hd)), (p + "ffn_norm.weight", (dim,)),
             (p + "ffn_gate.weight", (ffn, dim)), (p + "ffn_up.weight", (ffn, dim)), (p + "ffn_down.weight", (dim, ffn))]
plan.append(("output_norm.weight", (dim,)))
if untied: plan.append(("output.weight", (vocab, dim)))
dtype = lambda s: wdt if len(s) == 2 else np.dtype(np.float32)  # norms stay f32, as llama.cpp keeps them
for name, s in plan: w.add_tensor_info(name, s, dtype(s), int(np.prod(s)) * dtype(s).itemsize)
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_ti_data_to_file()
rng = np.random.default_rng(0)
for name, s in plan:
    w.write_tensor_data((rng.standard_normal(s, dtype=np.float32) * 0.02).astype(wdt) if len(s) == 2 else np.ones(s, np.float32))
w.close()
print(out)
