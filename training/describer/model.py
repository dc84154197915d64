"""describer-mini: a small conv image encoder that keeps a 4×4 grid of spatial features, a projector to the
decoder width (LLaVA's projector, here feeding cross-attention), and a small causal transformer decoder whose
blocks read the image tokens through cross-attention (Flamingo/BLIP style).

The decoder's forward is exactly the exported decoding step: new tokens [B,T] with their position ids, an
attention mask over past+current tokens (1 = attend, 0 = padding; rows may be left-padded), the image
tokens, and a per-layer self-attention KV cache [B,H,P,Dh] (P may be 0) → logits [B,T,V] and the caches
grown to P+T. Training calls it with P = 0 and the whole sequence. Attention is written out (no
nn.MultiheadAttention) so the TorchScript ONNX exporter (opset 14) gives one plain graph with dynamic B/T/P.
"""
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

IMAGE_MEAN = (0.48145466, 0.4578275, 0.40821073)
IMAGE_STD = (0.26862954, 0.26130258, 0.27577711)
MASKED = -1e9  # finite, so a query whose keys are all padding gets a uniform (ignored) row, never NaN
FAST_CPU_LINEAR = {"enabled": False}


def linear(x, weight, bias=None):
    """F.linear, except while training on a CPU: Debian's torch 1.13 has a generic (unoptimised) BLAS, about
    4 GFLOPS, while its oneDNN convolution runs a 1×1 convolution over a batch of ≥ 16 at 40-50 GFLOPS. Same
    weights, same result; export and inference use F.linear (a plain MatMul in ONNX)."""
    rows = x.numel() // x.shape[-1]
    if not FAST_CPU_LINEAR["enabled"] or x.device.type != "cpu" or torch.jit.is_tracing() or rows < 64:
        return F.linear(x, weight, bias)
    flat = x.reshape(rows, x.shape[-1])
    pad = (-rows) % 16
    if pad:
        flat = torch.cat([flat, flat.new_zeros(pad, flat.shape[1])])
    grid = flat.reshape(16, -1, flat.shape[1]).transpose(1, 2).unsqueeze(3)  # [16, in, rows/16, 1]
    out = F.conv2d(grid, weight.unsqueeze(2).unsqueeze(3), bias).squeeze(3).transpose(1, 2).reshape(-1, weight.shape[0])
    return out[:rows].reshape(*x.shape[:-1], weight.shape[0])


class Linear(nn.Linear):
    def forward(self, x):
        return linear(x, self.weight, self.bias)


@dataclass
class DescriberConfig:
    vocab_size: int
    image_size: int = 64
    channels: tuple = (24, 48, 96, 128)
    width: int = 128
    layers: int = 2
    heads: int = 4
    mlp_ratio: int = 4
    max_positions: int = 64
    attribute_classes: tuple = (12, 12, 4)

    @property
    def head_dim(self):
        return self.width // self.heads

    @property
    def image_tokens(self):
        return (self.image_size // 16) ** 2

    def to_json(self):
        data = asdict(self)
        data["channels"] = list(self.channels)
        data["attribute_classes"] = list(self.attribute_classes)
        return data


def conv_bn(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ImageEncoder(nn.Module):
    """pixel_values [B,3,S,S] (normalised) → image_tokens [B,(S/16)²,width]: four stride-2 stages keep a
    spatial grid (no pooling), a learned position per cell, then the projector (LayerNorm + 2-layer MLP)."""

    def __init__(self, cfg):
        super().__init__()
        c1, c2, c3, c4 = cfg.channels
        self.features = nn.Sequential(
            conv_bn(3, c1, 2),
            conv_bn(c1, c2, 2), conv_bn(c2, c2, 1),
            conv_bn(c2, c3, 2), conv_bn(c3, c3, 1),
            conv_bn(c3, c4, 2), conv_bn(c4, c4, 1),
        )
        self.position = nn.Parameter(torch.zeros(1, cfg.image_tokens, c4))
        self.projector = nn.Sequential(nn.LayerNorm(c4), Linear(c4, cfg.width), nn.GELU(), Linear(cfg.width, cfg.width))

    def forward(self, pixel_values):
        grid = self.features(pixel_values)  # [B,C,S/16,S/16]
        tokens = grid.flatten(2).transpose(1, 2) + self.position
        return self.projector(tokens)


def _heads(x, heads):
    b, t, w = x.shape
    return x.reshape(b, t, heads, w // heads).transpose(1, 2)  # [B,H,T,Dh]


def _merge(x):
    b, h, t, d = x.shape
    return x.transpose(1, 2).reshape(b, t, h * d)


def attend(q, k, v, bias):
    scores = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    if bias is not None:
        scores = scores + bias
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class DecoderBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        w = cfg.width
        self.heads = cfg.heads
        self.norm_self = nn.LayerNorm(w)
        self.qkv = Linear(w, 3 * w)
        self.out_self = Linear(w, w)
        self.norm_cross = nn.LayerNorm(w)
        self.q_cross = Linear(w, w)
        self.kv_cross = Linear(w, 2 * w)
        self.out_cross = Linear(w, w)
        self.norm_mlp = nn.LayerNorm(w)
        self.mlp = nn.Sequential(Linear(w, cfg.mlp_ratio * w), nn.GELU(), Linear(cfg.mlp_ratio * w, w))

    def forward(self, x, self_bias, image_tokens, past_key, past_value):
        q, k, v = self.qkv(self.norm_self(x)).chunk(3, dim=-1)
        key = torch.cat([past_key, _heads(k, self.heads)], dim=2)
        value = torch.cat([past_value, _heads(v, self.heads)], dim=2)
        x = x + self.out_self(_merge(attend(_heads(q, self.heads), key, value, self_bias)))
        qc = _heads(self.q_cross(self.norm_cross(x)), self.heads)
        kc, vc = self.kv_cross(image_tokens).chunk(2, dim=-1)
        x = x + self.out_cross(_merge(attend(qc, _heads(kc, self.heads), _heads(vc, self.heads), None)))
        x = x + self.mlp(self.norm_mlp(x))
        return x, key, value


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.width)
        self.position = nn.Embedding(cfg.max_positions, cfg.width)
        self.image_norm = nn.LayerNorm(cfg.width)
        self.blocks = nn.ModuleList(DecoderBlock(cfg) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.width)
        # Output projection tied to the token embedding; small initial embeddings keep the first logits near 0.
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.position.weight, std=0.02)

    def forward(self, input_ids, position_ids, attention_mask, image_tokens, *past):
        """→ (logits, present_key_0, present_value_0, ...); `past` = past_key_0, past_value_0, ..."""
        t = input_ids.shape[1]
        total = attention_mask.shape[1]
        p = total - t
        # Key j is visible to new token i when it is real (mask) and not in the future (j <= p + i).
        query_index = torch.arange(t, device=input_ids.device).unsqueeze(1) + p
        key_index = torch.arange(total, device=input_ids.device).unsqueeze(0)
        causal = key_index <= query_index  # [T,P+T]
        visible = causal.unsqueeze(0) & (attention_mask.unsqueeze(1) > 0)  # [B,T,P+T]
        bias = torch.where(visible, torch.zeros((), device=input_ids.device), torch.full((), MASKED, device=input_ids.device))
        bias = bias.unsqueeze(1)  # [B,1,T,P+T]
        x = self.embed(input_ids) + self.position(position_ids)
        image = self.image_norm(image_tokens)
        presents = []
        for layer, block in enumerate(self.blocks):
            x, key, value = block(x, bias, image, past[2 * layer], past[2 * layer + 1])
            presents += [key, value]
        logits = linear(self.norm(x), self.embed.weight)
        return (logits, *presents)

    def empty_cache(self, batch, device):
        shape = (batch, self.cfg.heads, 0, self.cfg.head_dim)
        return [torch.zeros(shape, device=device) for _ in range(2 * self.cfg.layers)]


class DescriberMini(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.encoder = ImageEncoder(cfg)
        self.decoder = Decoder(cfg)
        # Training-only heads (not exported): category, colour and pattern from the mean image token. They give
        # the encoder a direct signal per image, so it learns the attributes in far fewer steps than through
        # the decoder's words alone (this machine's CPU budget allows a few hundred steps).
        self.attribute_heads = nn.ModuleList(nn.Linear(cfg.width, n) for n in cfg.attribute_classes)

    def attribute_logits(self, image_tokens):
        pooled = image_tokens.mean(1)
        return [head(pooled) for head in self.attribute_heads]

    def sequence_logits(self, image_tokens, input_ids, attention_mask):
        """Teacher forcing over right-padded sequences [B,T] (positions 0..T-1) → logits [B,T,V]."""
        b, t = input_ids.shape
        positions = torch.arange(t, device=input_ids.device).unsqueeze(0).expand(b, t)
        return self.decoder(input_ids, positions, attention_mask, image_tokens, *self.decoder.empty_cache(b, input_ids.device))[0]
