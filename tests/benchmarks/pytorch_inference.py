#!/usr/bin/python3
"""PyTorch eager reference for `dermtool bench`: torchvision's inception_v3 on the same Debian
LibTorch, same thread count. Prints one JSON object.

    /usr/bin/python3 tests/benchmarks/pytorch_inference.py --threads 2 --repeats 5
"""
import argparse
import json
import statistics
import time

import torch
import torchvision


def timed(repeats, fn):
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--classes", type=int, default=9)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=True,
                                            num_classes=args.classes).to(device).eval()
    x = torch.rand(1, 3, 299, 299, device=device)

    def forward():
        with torch.no_grad():
            model(x)
        if device.type == "cuda":
            torch.cuda.synchronize()

    for p in model.parameters():
        p.requires_grad_(False)

    def saliency():  # the paper's map: loss gradient at the input, L1 over RGB
        pixels = x.clone().requires_grad_(True)
        logits = model((pixels - 0.5) / 0.5)
        loss = torch.nn.functional.cross_entropy(logits, logits.argmax(1))
        loss.backward()
        pixels.grad.abs().sum(1)
        if device.type == "cuda":
            torch.cuda.synchronize()

    result = {"torch": torch.__version__, "threads": torch.get_num_threads(),
              "forward_batch1_ms": timed(args.repeats, forward),
              "saliency_gradient_ms": timed(args.repeats, saliency)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
