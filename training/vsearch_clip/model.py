"""The two towers of clip-mini and the CLIP loss.

Sized for CPU inference with onnxruntime-node: the vision tower is a 7-layer
ConvNet at 64 px (~41 M multiply-adds), the text tower a 1-layer transformer
over 16 word tokens. Attention is written out (no nn.MultiheadAttention) so
the graph exports to ONNX at opset 14 with both torch 1.13 and torch 2.x.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# CLIP's normalisation, so the bundled model and a real CLIP share preprocessing.
IMAGE_MEAN = (0.48145466, 0.4578275, 0.40821073)
IMAGE_STD = (0.26862954, 0.26130258, 0.27577711)


class ModelConfig:
    def __init__(self, image_size=64, embedding_dim=128, context_length=16, vocab_size=512,
                 text_width=128, text_layers=1, text_heads=4):
        self.image_size = image_size
        self.embedding_dim = embedding_dim
        self.context_length = context_length
        self.vocab_size = vocab_size
        self.text_width = text_width
        self.text_layers = text_layers
        self.text_heads = text_heads

    def to_dict(self):
        return dict(self.__dict__)


def _conv_bn(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class VisionTower(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.features = nn.Sequential(
            _conv_bn(3, 24, 2),     # 32x32
            _conv_bn(24, 32, 1),
            _conv_bn(32, 64, 2),    # 16x16
            _conv_bn(64, 64, 1),
            _conv_bn(64, 128, 2),   # 8x8
            _conv_bn(128, 128, 1),
            _conv_bn(128, 256, 2),  # 4x4
        )
        self.proj = nn.Sequential(nn.Linear(512, 256), nn.ReLU(inplace=True), nn.Linear(256, cfg.embedding_dim))

    def forward(self, pixel_values):
        x = self.features(pixel_values)
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return F.normalize(self.proj(pooled), dim=-1)


class SelfAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x, bias):
        n, length, width = x.shape
        head_dim = width // self.heads
        qkv = self.qkv(x).reshape(n, length, 3, self.heads, head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(head_dim)) + bias
        weights = torch.softmax(scores, dim=-1)
        y = torch.matmul(weights, v).permute(0, 2, 1, 3).reshape(n, length, width)
        return self.out(y)


class TextBlock(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, bias):
        x = x + self.attn(self.ln1(x), bias)
        return x + self.mlp(self.ln2(x))


class TextTower(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.text_width)
        self.position_embedding = nn.Parameter(torch.randn(cfg.context_length, cfg.text_width) * 0.01)
        self.blocks = nn.ModuleList([TextBlock(cfg.text_width, cfg.text_heads) for _ in range(cfg.text_layers)])
        self.ln_final = nn.LayerNorm(cfg.text_width)
        self.proj = nn.Linear(cfg.text_width, cfg.embedding_dim)

    def forward(self, input_ids, attention_mask):
        mask = attention_mask.to(torch.float32)
        x = self.token_embedding(input_ids) + self.position_embedding
        # Padding keys get a large negative bias (not -inf: an all-padding text must not give NaN).
        bias = ((1.0 - mask) * -1e4)[:, None, None, :]
        for block in self.blocks:
            x = block(x, bias)
        x = self.ln_final(x)
        pooled = (x * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        return F.normalize(self.proj(pooled), dim=-1)


class ClipMini(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.vision = VisionTower(cfg)
        self.text = TextTower(cfg)
        # Learned temperature, initialised as in the CLIP paper (1/0.07).
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        # Scale and bias of the auxiliary sigmoid loss (SigLIP's initialisation): it pins absolute
        # cosines (matches above -bias/scale, everything else below), so a score threshold means something.
        self.sigmoid_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        self.sigmoid_bias = nn.Parameter(torch.tensor(-10.0))

    def scale(self):
        return self.logit_scale.exp().clamp(max=100.0)


def clip_loss(image_embeds, text_embeds, scale, positives):
    """Symmetric InfoNCE. `positives` [N,N] bool marks image/text pairs that describe each other
    (the diagonal, plus other rows with the same product or attributes, so they are not pushed apart)."""
    logits = scale * image_embeds @ text_embeds.t()
    target = positives.to(logits.dtype)
    i2t = -(F.log_softmax(logits, dim=1) * (target / target.sum(dim=1, keepdim=True))).sum(dim=1).mean()
    # Texts that describe no image in the batch (nonsense negatives) only take part as negatives.
    described = positives.any(dim=0)
    target_t = target.t()[described]
    t2i = -(F.log_softmax(logits.t()[described], dim=1) * (target_t / target_t.sum(dim=1, keepdim=True))).sum(dim=1).mean()
    return (i2t + t2i) / 2


def sigmoid_loss(image_embeds, text_embeds, scale, bias, positives):
    """SigLIP's pairwise loss: every image/text pair is a binary match / no-match decision."""
    logits = scale * image_embeds @ text_embeds.t() + bias
    signs = positives.to(logits.dtype) * 2 - 1
    return -F.logsigmoid(signs * logits).sum() / image_embeds.shape[0]
