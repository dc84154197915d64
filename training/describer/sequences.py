"""Sequence format `[BOS] <question tokens> [SEP] <answer tokens> [EOS]`, training batches (teacher forcing)
and batched greedy decoding with the KV cache (the same call pattern as the exported decoder step)."""
import torch

from .tokenizer import BOS_ID, EOS_ID, PAD_ID, SEP_ID

MAX_QUESTION_TOKENS = 20
MAX_NEW_TOKENS = 40
MAX_SEQUENCE_LENGTH = 64
IGNORE = -100


def prompt_ids(question_ids):
    return [BOS_ID] + list(question_ids[:MAX_QUESTION_TOKENS]) + [SEP_ID]


def training_batch(question_ids, answer_ids):
    """→ input_ids [N,T], attention_mask [N,T], labels [N,T] (next-token targets on answer tokens and EOS)."""
    rows = []
    for q, a in zip(question_ids, answer_ids):
        prompt = prompt_ids(q)
        answer = list(a[:MAX_NEW_TOKENS - 1]) + [EOS_ID]
        rows.append((prompt + answer, len(prompt)))
    t = max(len(seq) for seq, _ in rows) - 1
    ids = torch.full((len(rows), t), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(rows), t), dtype=torch.long)
    labels = torch.full((len(rows), t), IGNORE, dtype=torch.long)
    for i, (seq, prompt_len) in enumerate(rows):
        inputs, targets = seq[:-1], seq[1:]
        ids[i, :len(inputs)] = torch.tensor(inputs)
        mask[i, :len(inputs)] = 1
        labels[i, prompt_len - 1:len(inputs)] = torch.tensor(targets[prompt_len - 1:])
    return ids, mask, labels


def left_padded_prompts(prompts):
    """prompts: [[ids]] → input_ids, attention_mask, position_ids [B,T] left-padded (positions count real tokens)."""
    t = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), t), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(prompts), t), dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, t - len(p):] = torch.tensor(p)
        mask[i, t - len(p):] = 1
    positions = (mask.cumsum(1) - 1).clamp(min=0)
    return ids, mask, positions


@torch.no_grad()
def greedy_decode(decoder, image_tokens, prompts, max_new_tokens=MAX_NEW_TOKENS):
    """Batched greedy decoding; returns the generated ids per row (without EOS)."""
    device = image_tokens.device
    ids, mask, positions = (x.to(device) for x in left_padded_prompts(prompts))
    past = decoder.empty_cache(len(prompts), device)
    out = [[] for _ in prompts]
    done = torch.zeros(len(prompts), dtype=torch.bool, device=device)
    next_position = positions[:, -1:] + 1
    for _ in range(max_new_tokens):
        logits, *past = decoder(ids, positions, mask, image_tokens, *past)
        token = logits[:, -1].argmax(-1)
        for i in torch.nonzero(~done).flatten().tolist():
            if token[i].item() == EOS_ID:
                continue
            out[i].append(token[i].item())
        done |= token == EOS_ID
        if bool(done.all()):
            break
        ids = token.unsqueeze(1)
        positions = next_position
        next_position = next_position + 1
        mask = torch.cat([mask, torch.ones_like(ids)], dim=1)
    return out
