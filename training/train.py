"""Trains clip-mini on a dataset written by training/prepare-dataset.ts.

    python3 training/train.py --dataset tmp/training/dataset --tokenizer tmp/training/tokenizer.json \
        --out tmp/training/checkpoint.pt [--device cuda|cpu] [--epochs 60]

Loss: the CLIP paper's symmetric InfoNCE over image/caption pairs with a learned temperature,
where every caption in the batch that describes an image counts as its positive (products share
category, colour and pattern, so the batch is full of hard negatives and of true matches that must
not be pushed apart), plus a smaller InfoNCE term between two renders of the same product
(image→image search). Each product appears with two renders per step.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vsearch_clip.data import CaptionPool, load_dataset  # noqa: E402
from vsearch_clip.model import IMAGE_MEAN, IMAGE_STD, ClipMini, ModelConfig, clip_loss, sigmoid_loss  # noqa: E402
from vsearch_clip.tokenizer import load_tokenizer  # noqa: E402


def log(message):
    print(f"[train {time.strftime('%H:%M:%S')}] {message}", flush=True)


class GpuImages:
    """All images as one uint8 tensor on the training device; augmentation and normalisation happen there."""

    def __init__(self, pixels, device):
        self.pixels = torch.from_numpy(pixels).to(device)  # [N,S,S,3] uint8
        self.mean = torch.tensor(IMAGE_MEAN, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGE_STD, device=device).view(1, 3, 1, 1)

    def normalise(self, index):
        x = self.pixels[index].permute(0, 3, 1, 2).float() / 255.0
        return (x - self.mean) / self.std

    def augmented(self, index, max_shift=4):
        x = self.pixels[index].permute(0, 3, 1, 2).float() / 255.0
        n, _, s, _ = x.shape
        # Light augmentation only: colour is a label, so no hue jitter. Flip, shift by a few pixels
        # (edge padding), small brightness/contrast change.
        flip = torch.rand(n, device=x.device) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        padded = F.pad(x, (max_shift,) * 4, mode="replicate")
        dx = torch.randint(0, 2 * max_shift + 1, (n,), device=x.device)
        dy = torch.randint(0, 2 * max_shift + 1, (n,), device=x.device)
        rows = (dy[:, None] + torch.arange(s, device=x.device)[None, :])  # [n,s]
        cols = (dx[:, None] + torch.arange(s, device=x.device)[None, :])
        x = padded[torch.arange(n, device=x.device)[:, None, None, None], torch.arange(3, device=x.device)[None, :, None, None],
                   rows[:, None, :, None], cols[:, None, None, :]]
        brightness = torch.empty(n, 1, 1, 1, device=x.device).uniform_(0.92, 1.08)
        contrast = torch.empty(n, 1, 1, 1, device=x.device).uniform_(0.9, 1.1)
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = ((x - mean) * contrast + mean) * brightness
        return (x.clamp(0, 1) - self.mean) / self.std


def positives_for(image_attrs, caption_attrs, caption_mask):
    """[Ni,Nc] bool: image i matches every attribute caption j mentions."""
    equal = image_attrs[:, None, :] == caption_attrs[None, :, :]
    return (equal | ~caption_mask[None, :, :]).all(dim=2)


@torch.no_grad()
def evaluate(model, data, images, device, split="val"):
    """Proxy metrics on the validation split (never trained on): attribute-triple accuracy of
    full prompts for seen and held-out combinations, zero-shot category and colour accuracy."""
    model.eval()
    index = torch.from_numpy(data.split_indices(split)).to(device)
    if len(index) == 0:
        model.train()
        return {}
    embeds = torch.cat([model.vision(images.normalise(chunk)) for chunk in index.split(1024)])
    attrs = data.attrs_tensor(device)[index]
    result = {}
    prompt_sets = data.prompt_sets()
    for name, (texts, labels) in prompt_sets.items():
        ids, mask = data.encode(texts)
        text = model.text(torch.tensor(ids, device=device), torch.tensor(mask, device=device))
        predicted = torch.tensor(labels, device=device)[(embeds @ text.t()).argmax(dim=1)]  # [n, k]
        if name == "triple":
            # Absolute scores, for the text-search threshold: the cosine of each image with its own
            # prompt, against the best cosine any image gets for texts of unknown words.
            label_index = {tuple(label): i for i, label in enumerate(labels)}
            own = torch.tensor([label_index[tuple(a)] for a in attrs.tolist()], device=device)
            own_cos = (embeds * text[own]).sum(dim=1)
            junk_ids, junk_mask = data.encode(["zxqv flurble", "laptop charger", "the weather in paris", "qwerty"])
            junk = model.text(torch.tensor(junk_ids, device=device), torch.tensor(junk_mask, device=device))
            result["ownPromptCosP5"] = round(own_cos.quantile(0.05).item(), 3)
            result["nonsenseTop1Max"] = round((embeds @ junk.t()).max().item(), 3)
            hit = (predicted == attrs).all(dim=1)
            held = torch.from_numpy(data.held_out_mask()).to(device)[index]
            result["tripleSeen"] = round(hit[~held].float().mean().item(), 4)
            result["tripleHeldOut"] = round(hit[held].float().mean().item(), 4) if held.any() else None
        else:
            column = {"category": 0, "colour": 1}[name]
            result[name] = round((predicted[:, 0] == attrs[:, column]).float().mean().item(), 4)
    model.train()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--epochs", type=float, default=60)
    parser.add_argument("--time-budget-s", type=float, default=0, help="stop early after this many seconds (0 = no limit)")
    parser.add_argument("--batch-products", type=int, default=512, help="products per step (two renders each)")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--image-image-weight", type=float, default=0.3)
    parser.add_argument("--hard-fraction", type=float, default=0.5,
                        help="share of each batch drawn to share two of the three attributes with another product in it")
    parser.add_argument("--sigmoid-weight", type=float, default=1.0, help="weight of the auxiliary sigmoid (SigLIP) loss")
    parser.add_argument("--nonsense-texts", type=int, default=64,
                        help="texts per batch made of unknown words and stop words only: negatives for every image")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit-products", type=int, default=0, help="train on the first N products only (smoke tests)")
    parser.add_argument("--eval-every", type=int, default=10, help="epochs between validation reports")
    args = parser.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    use_bf16 = device.type == "cuda"
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    started = time.time()
    tokenizer = load_tokenizer(args.tokenizer)
    data = load_dataset(args.dataset)
    cfg = ModelConfig(image_size=data.size, vocab_size=tokenizer.get_vocab_size())
    pool = CaptionPool(data, tokenizer, cfg.context_length, seed=args.seed)
    data.tokenizer, data.context_length = tokenizer, cfg.context_length
    log(f"dataset: {data.summary()}; caption pool {pool.size} captions; vocab {cfg.vocab_size}; "
        f"loaded in {time.time() - started:.1f}s")

    images = GpuImages(data.pixels, device)
    renders = data.train_renders(args.limit_products)  # list of arrays of image indices per product
    products = [r for r in renders if len(r) >= 1]
    attrs_all = data.attrs_tensor(device)
    pool_ids, pool_mask, pool_attrs, pool_attr_mask, pool_owner = pool.tensors(device)
    image_captions = pool.captions_by_image()

    model = ClipMini(cfg).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98))
    steps_per_epoch = max(1, len(products) // max(1, args.batch_products - int(args.batch_products * args.hard_fraction)))
    total_steps = max(1, int(args.epochs * steps_per_epoch))
    warmup = min(500, total_steps // 10)

    def progress(step):
        # With a time budget the schedule follows whichever runs out first, steps or seconds,
        # so a budgeted run still ends with a fully annealed learning rate.
        by_steps = step / total_steps
        if args.time_budget_s:
            return max(by_steps, (time.time() - train_started) / args.time_budget_s)
        return by_steps

    def lr_at(step):
        if step < warmup:
            return args.lr * (step + 1) / warmup
        done = min(1.0, (progress(step) - warmup / total_steps) / max(1e-9, 1 - warmup / total_steps))
        return args.lr * 0.5 * (1 + math.cos(math.pi * max(0.0, done)))

    log(f"{len(products)} products, {steps_per_epoch} steps/epoch, {total_steps} steps, device {device}, bf16 {use_bf16}")
    rng = np.random.default_rng(args.seed)
    # Hard negatives: products that share two of category, colour and pattern with another one in the batch.
    product_attrs = np.stack([data.attrs[r[0]] for r in products])
    pair_groups = []
    for keep in ((0, 1), (0, 2), (1, 2)):
        groups = {}
        for p, a in enumerate(product_attrs):
            groups.setdefault((a[keep[0]], a[keep[1]]), []).append(p)
        pair_groups.append((keep, {k: np.array(v) for k, v in groups.items()}))
    hard_count = int(args.batch_products * args.hard_fraction)

    def batch_products(base):
        anchors = base[rng.integers(len(base), size=hard_count)]
        extra = []
        for anchor in anchors:
            keep, groups = pair_groups[rng.integers(3)]
            group = groups[(product_attrs[anchor][keep[0]], product_attrs[anchor][keep[1]])]
            extra.append(group[rng.integers(len(group))])
        return np.concatenate([base, np.asarray(extra, dtype=np.int64)])

    # Nonsense queries ("laptop charger", "the weather in paris") tokenise to [UNK]s and stop words.
    unk_id = tokenizer.token_to_id("[UNK]")
    stop_ids = [i for i in (tokenizer.token_to_id(w) for w in ("a", "the", "of", "with", "in", "by", "and", "for", "is", "to"))
                if i is not None]
    filler = torch.tensor([unk_id] * len(stop_ids) * 2 + stop_ids, device=device)

    def nonsense_batch(count):
        length = cfg.context_length
        lengths = torch.randint(1, 9, (count,), device=device)
        mask = (torch.arange(length, device=device)[None, :] < lengths[:, None]).long()
        ids = filler[torch.randint(len(filler), (count, length), device=device)]
        ids[:, 0] = unk_id  # at least one unknown word
        return ids * mask, mask

    step, epoch = 0, 0
    history = []
    stopped_early = False
    train_started = time.time()
    while progress(step) < 1:
        order = rng.permutation(len(products))
        epoch_started, losses = time.time(), []
        base_size = args.batch_products - hard_count
        for start in range(0, steps_per_epoch * base_size, base_size):
            if progress(step) >= 1:
                break
            chosen = [products[i] for i in batch_products(order[start:start + base_size])]
            # Two renders of each product (the same one twice when a product has a single render).
            view_a, view_b = [], []
            for r in chosen:
                pick = rng.choice(len(r), size=2, replace=len(r) < 2)
                view_a.append(r[pick[0]])
                view_b.append(r[pick[1]])
            index = torch.tensor(view_a + view_b, device=device)
            caption_index = torch.tensor([image_captions[i][rng.integers(len(image_captions[i]))] for i in view_a + view_b],
                                         device=device)
            for group in optimiser.param_groups:
                group["lr"] = lr_at(step)
            pixels = images.augmented(index)
            if device.type == "cuda":
                pixels = pixels.contiguous(memory_format=torch.channels_last)
            text_ids, text_mask = pool_ids[caption_index], pool_mask[caption_index]
            positives = positives_for(attrs_all[index], pool_attrs[caption_index], pool_attr_mask[caption_index])
            if args.nonsense_texts:
                junk_ids, junk_mask = nonsense_batch(args.nonsense_texts)
                text_ids, text_mask = torch.cat([text_ids, junk_ids]), torch.cat([text_mask, junk_mask])
                positives = torch.cat([positives, torch.zeros(len(index), args.nonsense_texts, dtype=torch.bool, device=device)], dim=1)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16):
                image_embeds = model.vision(pixels).float()
                text_embeds = model.text(text_ids, text_mask).float()
            loss = clip_loss(image_embeds, text_embeds, model.scale(), positives)
            if args.sigmoid_weight > 0:
                loss = loss + args.sigmoid_weight * sigmoid_loss(image_embeds, text_embeds, model.sigmoid_scale.exp(),
                                                                 model.sigmoid_bias, positives)
            if args.image_image_weight > 0:
                n = len(chosen)
                # Two slots may hold the same product (hard sampling): both count as positives.
                ids = torch.tensor([int(r[0]) for r in chosen], device=device)
                same = ids[:, None] == ids[None, :]
                loss = loss + args.image_image_weight * clip_loss(image_embeds[:n], image_embeds[n:], model.scale(), same)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
            losses.append(loss.item())
            step += 1
        epoch += 1
        record = {"epoch": epoch, "step": step, "loss": round(float(np.mean(losses)), 4),
                  "scale": round(model.scale().item(), 2), "sigmoid": [round(model.sigmoid_scale.exp().item(), 2),
                                                                      round(model.sigmoid_bias.item(), 2)],
                  "epoch_s": round(time.time() - epoch_started, 2)}
        if epoch % args.eval_every == 0:
            record.update(evaluate(model, data, images, device))
        history.append(record)
        log(json.dumps(record))
    if step < total_steps:
        stopped_early = True
        log(f"time budget of {args.time_budget_s}s used after {epoch} epochs ({step}/{total_steps} steps); learning rate annealed")

    final = evaluate(model, data, images, device)
    model = model.to(memory_format=torch.contiguous_format).cpu().float().eval()
    meta = {"epochs": epoch, "steps": step, "planned_steps": total_steps, "stopped_early": stopped_early,
            "batch_products": args.batch_products, "lr": args.lr, "seed": args.seed, "device": str(device),
            "sigmoid_weight": args.sigmoid_weight, "nonsense_texts": args.nonsense_texts,
            "train_products": len(products), "train_images": int(sum(len(r) for r in products)),
            "seconds": round(time.time() - started, 1), "validation": final, "torch": torch.__version__}
    torch.save({"config": cfg.to_dict(), "model": model.state_dict(), "meta": meta}, args.out)
    # The same weights as plain arrays, loadable by any torch version (the GPU box runs a newer one).
    np.savez(os.path.splitext(args.out)[0] + ".npz", __config__=json.dumps(cfg.to_dict()), __meta__=json.dumps(meta),
             **{name: tensor.numpy() for name, tensor in model.state_dict().items()})
    with open(os.path.splitext(args.out)[0] + ".history.json", "w") as handle:
        json.dump({"meta": meta, "history": history}, handle, indent=1)
    log(f"saved {args.out}: {json.dumps(meta)}")


if __name__ == "__main__":
    main()
