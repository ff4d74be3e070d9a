#!/usr/bin/env python3
"""dermtool's training images/s from its `--progress json` lines on stdin, after the first
(warm-up) step, as one JSON object. Step events carry a 1-based step and the images/s since the
first step began.

    dermtool train ... --progress json | python3 tests/benchmarks/train_rate.py BATCH
"""
import json
import sys


def main():
    batch = int(sys.argv[1])
    steps = [json.loads(line) for line in sys.stdin if '"event":"step"' in line]
    first, last = steps[0], steps[-1]
    seconds = lambda s: s["step"] * batch / s["images_per_second"]
    rate = (last["step"] - first["step"]) * batch / (seconds(last) - seconds(first))
    print(json.dumps({"images_per_second": rate}))


if __name__ == "__main__":
    main()
