#!/usr/bin/env python3
"""PyTorch reference for `dermtool bench`: torchvision's inception_v3, same thread count, in one
process. Prints one JSON object. On CPU: batch-1 forward and the paper's saliency map. On CUDA
also: batch-1 from a CUDA graph, batch-256 throughput in fp32 and bf16 channels-last, and with
torch.compile where it works (--compile).

    python3 tests/benchmarks/pytorch_inference.py --threads 2 --repeats 5
    python3 tests/benchmarks/pytorch_inference.py --device cuda --compile
"""
import argparse
import json
import statistics
import time

import torch
import torchvision


def timed(repeats, fn, sync):
    fn()  # warm-up
    sync()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        samples.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--classes", type=int, default=9)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=256, help="throughput batch (CUDA)")
    parser.add_argument("--compile", action="store_true", help="also torch.compile (CUDA)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=True,
                                            num_classes=args.classes).to(device).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.rand(1, 3, 299, 299, device=device)

    def forward():
        with torch.no_grad():
            model(x)

    def saliency():  # the paper's map: loss gradient at the input, L1 over RGB
        pixels = x.clone().requires_grad_(True)
        logits = model((pixels - 0.5) / 0.5)
        loss = torch.nn.functional.cross_entropy(logits, logits.argmax(1))
        loss.backward()
        pixels.grad.abs().sum(1)

    result = {"torch": torch.__version__, "threads": torch.get_num_threads(),
              "forward_batch1_ms": timed(args.repeats, forward, sync),
              "saliency_gradient_ms": timed(args.repeats, saliency, sync)}
    if not cuda:
        print(json.dumps(result))
        return

    # Batch 1 replayed from a CUDA graph (warm-up on a side stream, as the docs ask).
    static = x.clone()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream), torch.no_grad():
        for _ in range(3):
            model(static)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph), torch.no_grad():
        graph_out = model(static)
    result["forward_batch1_graph_ms"] = timed(args.repeats * 4, graph.replay, sync)

    batch = torch.rand(args.batch, 3, 299, 299, device=device)
    last = batch.contiguous(memory_format=torch.channels_last)
    model_last = model.to(memory_format=torch.channels_last)

    def throughput(fn):
        return args.batch * 1000.0 / timed(args.repeats, fn, sync)

    def run(m, inp, bf16):
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            m(inp)

    result["batch"] = args.batch
    result["fp32_images_per_second"] = throughput(lambda: run(model_last, last, False))
    result["bf16_channels_last_images_per_second"] = throughput(lambda: run(model_last, last, True))
    if args.compile:
        try:
            compiled = torch.compile(model_last, mode="max-autotune-no-cudagraphs")
            result["compile_bf16_channels_last_images_per_second"] = throughput(
                lambda: run(compiled, last, True))
        except Exception as error:  # torch.compile needs a working Triton toolchain
            result["compile_error"] = str(error).splitlines()[0]
    del graph_out
    print(json.dumps(result))


if __name__ == "__main__":
    main()
