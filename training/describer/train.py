"""Trains describer-mini on a prepared dataset (training/prepare-dataset.ts) and writes a checkpoint (.npz: the
weights, the config and the training record) and the training history (JSON).

    PYTHONPATH=training python3 -m describer.train --dataset tmp/describer/dataset --tokenizer TOK.json \
        --out tmp/describer/checkpoint.npz --history training/runs/describer-mini-1.0.0.history.json \
        [--device cpu|cuda] [--epochs N] [--time-budget-s S] [--seed N] [--eval-every-s S]

Each training image is seen with several texts per step (one description-type text and `--qa-per-image`
questions), so the image encoder runs once for several sequences. Stops after --epochs or when the time
budget is spent (the learning-rate schedule is then cut short: cosine decay runs over the planned steps, and
with a budget the plan is re-estimated from the measured step time after the first 20 steps).
"""
import argparse
import json
import math
import platform
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from vsearch_clip.data import load_dataset

from . import texts
from .evaluate import evaluate
from .model import FAST_CPU_LINEAR, IMAGE_MEAN, IMAGE_STD, DescriberConfig, DescriberMini
from .sequences import IGNORE, training_batch
from .tokenizer import encode_words, load_tokenizer

QA_WEIGHTS = {"colour": 0.14, "category": 0.14, "pattern": 0.14, "yes_no": 0.3, "unanswerable": 0.14, "unknown_words": 0.14}


def augment(pixels, generator):
    """Light augmentation of a normalised batch [B,3,S,S]: horizontal flip, ±4 px shift, ±8 % brightness.
    No hue change: colour is a label."""
    b = pixels.shape[0]
    flip = torch.rand(b, generator=generator) < 0.5
    pixels = torch.where(flip[:, None, None, None], pixels.flip(3), pixels)
    dx, dy = (int(v) for v in torch.randint(-4, 5, (2,), generator=generator))
    pixels = torch.roll(pixels, shifts=(dy, dx), dims=(2, 3))
    scale = 1 + (torch.rand(b, 1, 1, 1, generator=generator) - 0.5) * 0.16
    mean = torch.tensor(IMAGE_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGE_STD).view(1, 3, 1, 1)
    return ((pixels * std + mean) * scale - mean) / std


def qa_weights(yes_no_share=None):
    """QA_WEIGHTS, with yes/no questions made `yes_no_share` of all questions (the others keep their proportions)."""
    if yes_no_share is None:
        return QA_WEIGHTS
    others = {kind: weight for kind, weight in QA_WEIGHTS.items() if kind != "yes_no"}
    scale = (1 - yes_no_share) / sum(others.values())
    return {**{kind: weight * scale for kind, weight in others.items()}, "yes_no": yes_no_share}


def texts_for(rows, vocab, rng, qa_per_image, paired_yes_no=False, weights_by_kind=QA_WEIGHTS):
    """→ questions, answers, owners (image index per text), yes_no (whether each text is a yes/no question).

    paired_yes_no: each yes/no question comes with its twin about the same attribute of the same image with the
    opposite answer, so the answer can only be learned by comparing the asked value with the photo (a single
    question per image lets the template's priors carry part of the answer)."""
    questions, answers, owners, yes_no = [], [], [], []

    def add(index, question, answer, is_yes_no=False):
        questions.append(question)
        answers.append(answer)
        owners.append(index)
        yes_no.append(is_yes_no)

    kinds, weights = zip(*weights_by_kind.items())
    for index, row in enumerate(rows):
        add(index, *texts.describe_sample(row, vocab, rng))
        for kind in rng.choices(kinds, weights, k=qa_per_image):
            if kind != "yes_no":
                add(index, *texts.question_answer(kind, row, vocab, rng))
                continue
            if not paired_yes_no:
                add(index, *texts.question_answer(kind, row, vocab, rng), True)
                continue
            state = rng.getstate()  # the same attribute for both twins
            add(index, *texts.question_answer(kind, row, vocab, rng, truth=True), True)
            rng.setstate(state)
            add(index, *texts.question_answer(kind, row, vocab, rng, truth=False), True)
    return questions, answers, owners, yes_no


def decision_weights(labels, yes_no, yes_no_weight):
    """Per-token loss weights [N,T]: 1 on every answer token, yes_no_weight on a yes/no question's first answer
    token (the decision: one token among a batch's ~25 per image, so it would otherwise get little gradient)."""
    weights = (labels != IGNORE).float()
    if yes_no_weight != 1:
        for row, is_yes_no in enumerate(yes_no):
            if is_yes_no:
                first = int(torch.nonzero(labels[row] != IGNORE)[0])
                weights[row, first] = yes_no_weight
    return weights


def save_checkpoint(path, model, meta):
    arrays = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    arrays["__config__"] = np.array(json.dumps(model.cfg.to_json()))
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)


def load_checkpoint(path):
    arrays = np.load(path)
    cfg_json = json.loads(str(arrays["__config__"]))
    cfg_json["channels"] = tuple(cfg_json["channels"])
    cfg_json["attribute_classes"] = tuple(cfg_json.get("attribute_classes", (12, 12, 4)))
    model = DescriberMini(DescriberConfig(**cfg_json))
    model.load_state_dict({k: torch.from_numpy(arrays[k]) for k in arrays.files if not k.startswith("__")})
    return model.eval(), json.loads(str(arrays["__meta__"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--history", required=True)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--time-budget-s", type=float, default=0, help="stop training after this many seconds (0: no limit)")
    parser.add_argument("--batch-images", type=int, default=32)
    parser.add_argument("--qa-per-image", type=int, default=3)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--mlp-ratio", type=int, default=2)
    parser.add_argument("--init-checkpoint", help="start from this checkpoint's weights (same architecture) instead of random ones")
    parser.add_argument("--paired-yes-no", action="store_true",
                        help="ask each yes/no question twice per image, once true and once false")
    parser.add_argument("--yes-no-share", type=float, help="share of QA questions that are yes/no (default: QA_WEIGHTS's)")
    parser.add_argument("--yes-no-loss-weight", type=float, default=1.0,
                        help="loss weight of a yes/no question's answer token (1: like every other token)")
    parser.add_argument("--attribute-loss", type=float, default=1.0, help="weight of the training-only attribute heads' loss")
    parser.add_argument("--eval-every-s", type=float, default=0, help="also evaluate during training every S seconds (0: at the end only)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    FAST_CPU_LINEAR["enabled"] = args.device == "cpu"
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    device = torch.device(args.device)
    started = time.time()

    data = load_dataset(args.dataset)
    tokenizer = load_tokenizer(args.tokenizer)
    vocab = texts.Vocabulary(data.meta["vocabulary"])
    train_index = data.split_indices("train")
    mean = np.asarray(IMAGE_MEAN, dtype=np.float32)
    std = np.asarray(IMAGE_STD, dtype=np.float32)
    pixels = torch.from_numpy(np.ascontiguousarray(((data.pixels[train_index].astype(np.float32) / 255.0 - mean) / std).transpose(0, 3, 1, 2)))
    rows = [data.images[i] for i in train_index]
    print(f"dataset: {data.summary()}; tokenizer {tokenizer.get_vocab_size()} tokens; loaded in {time.time() - started:.1f} s", flush=True)

    cfg = DescriberConfig(vocab_size=tokenizer.get_vocab_size(), image_size=data.size, width=args.width, layers=args.layers,
                          mlp_ratio=args.mlp_ratio, attribute_classes=(len(data.categories), len(data.colours), len(data.patterns)))
    attributes = torch.from_numpy(data.attrs[train_index])
    model = DescriberMini(cfg)
    if args.init_checkpoint:
        # Continue from an earlier run (e.g. a second, yes/no-heavy stage): same architecture, new schedule.
        initial, _ = load_checkpoint(args.init_checkpoint)
        if initial.cfg.to_json() != cfg.to_json():
            raise SystemExit(f"--init-checkpoint {args.init_checkpoint} has config {initial.cfg.to_json()}, this run {cfg.to_json()}")
        model.load_state_dict(initial.state_dict())
    model = model.to(device)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"model: {parameters / 1e6:.2f} M parameters, config {cfg.to_json()}", flush=True)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "position" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "position" not in n)]
    optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.98))
    steps_per_epoch = math.ceil(len(rows) / args.batch_images)
    planned_steps = steps_per_epoch * args.epochs
    warmup = min(100, planned_steps // 10 + 1)

    def lr_at(step):
        if step < warmup:
            return args.lr * (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, planned_steps - warmup))
        return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))

    history = {"about": "describer-mini training history, written by training/describer/train.py", "args": vars(args),
               "config": cfg.to_json(), "parameters": parameters, "torch": torch.__version__, "device": str(device),
               "host": platform.node(), "trainImages": len(rows), "stepsPerEpoch": steps_per_epoch, "log": [], "evaluations": []}
    train_started = time.time()
    last_eval = train_started
    step = 0
    epoch = 0
    stop = False
    running = None
    eval_seconds = 0.0
    while epoch < args.epochs and not stop:
        order = torch.randperm(len(rows), generator=generator).tolist()
        for start in range(0, len(order), args.batch_images):
            model.train()
            chosen = order[start:start + args.batch_images]
            questions, answers, owners, yes_no = texts_for([rows[i] for i in chosen], vocab, rng, args.qa_per_image,
                                                           args.paired_yes_no, qa_weights(args.yes_no_share))
            question_ids, answer_ids = encode_words(tokenizer, questions), encode_words(tokenizer, answers)
            images = augment(pixels[chosen], generator).to(device)
            for group in optimiser.param_groups:
                group["lr"] = lr_at(step)
            image_tokens = model.encoder(images)
            # Two length buckets (short answers, descriptions), each padded to its own longest sequence.
            lengths = [len(q) + len(a) for q, a in zip(question_ids, answer_ids)]
            by_length = sorted(range(len(lengths)), key=lengths.__getitem__)
            total_loss, total_weight = 0.0, 0.0
            for bucket in (by_length[:len(by_length) // 2], by_length[len(by_length) // 2:]):
                ids, mask, labels = training_batch([question_ids[i] for i in bucket], [answer_ids[i] for i in bucket])
                bucket_images = image_tokens[torch.tensor([owners[i] for i in bucket], device=device)]
                logits = model.sequence_logits(bucket_images, ids.to(device), mask.to(device))
                weights = decision_weights(labels, [yes_no[i] for i in bucket], args.yes_no_loss_weight).to(device).reshape(-1)
                labels = labels.to(device).reshape(-1)
                token_loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels, ignore_index=IGNORE, reduction="none")
                total_loss = total_loss + (token_loss * weights).sum()
                total_weight += float(weights.sum())
            loss = total_loss / total_weight
            truth = attributes[chosen].to(device)
            attribute_loss = sum(F.cross_entropy(logits, truth[:, k]) for k, logits in enumerate(model.attribute_logits(image_tokens)))
            loss = loss + args.attribute_loss * attribute_loss / 3
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            step += 1
            running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
            elapsed = time.time() - train_started
            if args.time_budget_s and step % 20 == 0:
                # Re-plan from the measured pace (this machine's load changes): the schedule ends with the budget.
                per_step = (elapsed - eval_seconds) / step
                planned_steps = min(steps_per_epoch * args.epochs, step + int((args.time_budget_s * 0.97 - elapsed) / per_step))
                if step % 100 == 20:
                    print(f"{per_step:.3f} s/step: planning {planned_steps} steps ({planned_steps / steps_per_epoch:.1f} epochs)", flush=True)
            if step % 50 == 0:
                history["log"].append({"step": step, "epoch": epoch, "seconds": round(elapsed, 1), "loss": round(running, 4), "lr": lr_at(step)})
                print(f"step {step} epoch {epoch} loss {running:.4f} lr {lr_at(step):.2e} {elapsed:.0f} s", flush=True)
            if step >= planned_steps or (args.time_budget_s and elapsed > args.time_budget_s):
                stop = True
                break
            if args.eval_every_s and time.time() - last_eval > args.eval_every_s:
                began = time.time()
                record_evaluation(history, model, tokenizer, data, device, step, epoch, train_started)
                last_eval = time.time()
                eval_seconds += last_eval - began
        epoch += 1
    seconds = time.time() - train_started
    result = record_evaluation(history, model, tokenizer, data, device, step, epoch, train_started)
    history["trainingSeconds"] = round(seconds, 1)
    history["steps"] = step
    history["epochs"] = round(step / steps_per_epoch, 2)
    history["final"] = result
    meta = {"steps": step, "epochs": history["epochs"], "seconds": round(seconds, 1), "device": str(device),
            "torch": torch.__version__, "train_images": len(rows), "train_products": len({r["productId"] for r in rows}),
            "validation": summary(result)}
    save_checkpoint(args.out, model.cpu(), meta)
    with open(args.history, "w") as handle:
        json.dump(history, handle, indent=1)
        handle.write("\n")
    print(json.dumps(meta["validation"], indent=1))
    print(f"trained {step} steps ({history['epochs']} epochs) in {seconds:.0f} s; total {time.time() - started:.0f} s → {args.out}")


def summary(result):
    def pick(report):
        d = report["describe"]
        return {"categoryAccuracy": round(d["categoryAccuracy"], 4), "colourAccuracy": round(d["colourAccuracy"], 4),
                "patternAccuracy": round(d["patternAccuracy"], 4), "hallucinationRate": round(d["hallucinationRate"], 4),
                "bleu4": round(d["bleu4"], 4), "cider": round(d["cider"], 3),
                "qa": {k: round(v["accuracy"], 4) for k, v in report["qa"].items()}, "cantTellRate": round(report["cantTellRate"], 4)}

    return {"seen": pick(result["seen"]), "heldOut": pick(result["heldOut"])}


def record_evaluation(history, model, tokenizer, data, device, step, epoch, train_started):
    began = time.time()
    result = evaluate(model, tokenizer, data, device)
    result["step"] = step
    result["epoch"] = epoch
    result["trainSeconds"] = round(began - train_started, 1)
    result["evalSeconds"] = round(time.time() - began, 1)
    history["evaluations"].append(result)
    print(f"eval at step {step}: {json.dumps(summary(result))} ({result['evalSeconds']} s)", flush=True)
    return result


if __name__ == "__main__":
    main()
