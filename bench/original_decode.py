#!/usr/bin/python3
"""Decode speed of the ORIGINAL X-Codec-2.0 decoder code on this CPU, for comparison with
build/bench/codec_bench (BM_Decode): codes of 10 s -> FSQ dequantisation -> fc_post_a ->
CodecDecoderVocos (backbone + ISTFT head), float32, eager PyTorch, random weights (speed does
not depend on them), median of --reps runs after one warm-up.

Needs Debian's python3-torch (1.13.1, the same LibTorch build the C++ code links) and a
checkout of https://github.com/zhenye234/X-Codec-2.0 (its code is imported, not copied). The
original pins torch 2.4 and three packages Debian lacks; they are replaced here by small
stand-ins that compute the same thing:
  - torch.nn.functional.scaled_dot_product_attention (torch >= 2.0): its math definition,
    softmax(q k^T / sqrt(d)) v. torch 2.x on a CPU runs a fused kernel instead, so on 2.x the
    original's attention would be faster than measured here (attention products are about 7 %
    of the decoder's arithmetic at 10 s);
  - torchtune's RotaryPositionalEmbeddings (interleaved pairs, base 10000);
  - einops.rearrange for the two patterns the decoder's attention uses;
  - vector_quantize_pytorch.ResidualFSQ: only get_output_from_indices (FSQ levels 4^8 and its
    project_out Linear(8, 2048)), as the original's inference calls it.
torchaudio is imported by the transformer file but not used there: an empty module stands in.

  /usr/bin/python3 bench/original_decode.py ORIGINAL_CHECKOUT [--threads 1] [--seconds 10]
"""
import argparse
import math
import os
import statistics
import sys
import time
import types

import torch
import torch.nn.functional as F


def install_stand_ins():
    if not hasattr(F, "scaled_dot_product_attention"):
        def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False):
            assert attn_mask is None and dropout_p == 0 and not is_causal
            scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.size(-1))
            return torch.matmul(torch.softmax(scores, -1), v)
        F.scaled_dot_product_attention = sdpa

    einops = types.ModuleType("einops")

    def rearrange(x, pattern, **sizes):
        if pattern == "b t (r h d) -> r b h t d":
            b, t, _ = x.shape
            r, h = sizes["r"], sizes["h"]
            return x.view(b, t, r, h, -1).permute(2, 0, 3, 1, 4)
        if pattern == "b h t d -> b t (h d)":
            b, h, t, d = x.shape
            return x.transpose(1, 2).reshape(b, t, h * d)
        raise NotImplementedError(pattern)
    einops.rearrange = rearrange
    sys.modules["einops"] = einops

    class RotaryPositionalEmbeddings(torch.nn.Module):
        # x [b, s, n_heads, head_dim]: pair (2i, 2i+1) of position p rotated by p * base^(-2i/d)
        def __init__(self, dim, max_seq_len=4096, base=10000):
            super().__init__()
            theta = 1.0 / (base ** (torch.arange(0, dim, 2)[: dim // 2].float() / dim))
            idx = torch.outer(torch.arange(max_seq_len).float(), theta)
            self.register_buffer("cache", torch.stack([idx.cos(), idx.sin()], -1), False)

        def forward(self, x):
            s = x.size(1)
            xs = x.float().reshape(*x.shape[:-1], -1, 2)
            c = self.cache[:s].view(-1, s, 1, xs.size(3), 2)
            out = torch.stack([xs[..., 0] * c[..., 0] - xs[..., 1] * c[..., 1],
                               xs[..., 1] * c[..., 0] + xs[..., 0] * c[..., 1]], -1)
            return out.flatten(3).type_as(x)
    torchtune = types.ModuleType("torchtune")
    torchtune.modules = types.ModuleType("torchtune.modules")
    torchtune.modules.RotaryPositionalEmbeddings = RotaryPositionalEmbeddings
    sys.modules["torchtune"] = torchtune
    sys.modules["torchtune.modules"] = torchtune.modules

    class ResidualFSQ(torch.nn.Module):
        def __init__(self, dim, levels, num_quantizers=1):
            super().__init__()
            self.levels = levels
            self.project_out = torch.nn.Linear(len(levels), dim)

        def get_output_from_indices(self, indices):  # [B, T, 1] -> [B, T, dim]
            digits, rest = [], indices[..., 0]
            for level in self.levels:
                digits.append(rest % level)
                rest = torch.div(rest, level, rounding_mode="floor")
            half = torch.tensor([lv // 2 for lv in self.levels], dtype=torch.float32)
            codes = (torch.stack(digits, -1).float() - half) / half
            return self.project_out(codes)
    vqp = types.ModuleType("vector_quantize_pytorch")
    vqp.ResidualFSQ = ResidualFSQ
    sys.modules["vector_quantize_pytorch"] = vqp
    sys.modules.setdefault("torchaudio", types.ModuleType("torchaudio"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("original", help="checkout of zhenye234/X-Codec-2.0")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    install_stand_ins()
    # The vq package without its __init__ (which would import the encoder and transformers).
    vq = types.ModuleType("vq")
    vq.__path__ = [os.path.join(args.original, "vq")]
    sys.modules["vq"] = vq
    from vq.codec_decoder_vocos import CodecDecoderVocos

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    decoder = CodecDecoderVocos().eval()
    fc_post_a = torch.nn.Linear(2048, 1024).eval()
    frames = int(args.seconds * 50)
    codes = torch.randint(0, 65536, (1, frames, 1))

    def decode():
        emb = decoder.quantizer.get_output_from_indices(codes)       # [1, T, 2048]
        x = fc_post_a(emb)                                           # [1, T, 1024]
        audio, _ = decoder(x, vq=False)
        return audio

    times = []
    with torch.inference_mode():
        audio = decode()
        for _ in range(args.reps):
            t0 = time.perf_counter()
            decode()
            times.append(time.perf_counter() - t0)
    t = statistics.median(times)
    print(f"original X-Codec-2.0 decoder, torch {torch.__version__}, {args.threads} thread(s): "
          f"{args.seconds:g} s of audio ({tuple(audio.shape)}) in {t:.3f} s, RTF {t / args.seconds:.4f}")


if __name__ == "__main__":
    main()
