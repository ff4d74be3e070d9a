#!/usr/bin/env python3
"""PyTorch eager reference for dermtool's training throughput: torchvision's inception_v3 with
the aux head, RMSprop (lr 0.001, alpha 0.9, momentum 0.9, eps 0.1), cross-entropy plus 0.4 x
aux loss, fp32, same batch and input size, on random tensors (no data pipeline, which favours
PyTorch). Prints one JSON object.

    python3 tests/benchmarks/pytorch_training.py --threads 2 --batch 32 --size 299 --steps 5
"""
import argparse
import json
import time

import torch
import torchvision


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=299)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--classes", type=int, default=7)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=True,
                                            num_classes=args.classes).to(device).train()
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, momentum=0.9, eps=0.1)
    x = torch.rand(args.batch, 3, args.size, args.size, device=device)
    if args.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, args.classes, (args.batch,), device=device)

    def step():
        optimizer.zero_grad()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16):
            out = model(x)
            logits, aux = (out.logits, out.aux_logits) if hasattr(out, "logits") else (out, None)
            loss = torch.nn.functional.cross_entropy(logits.float(), y)
            if aux is not None:
                loss = loss + 0.4 * torch.nn.functional.cross_entropy(aux.float(), y)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": args.batch,
                      "size": args.size, "images_per_second": args.batch * args.steps / seconds}))


if __name__ == "__main__":
    main()
