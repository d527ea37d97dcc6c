#!/usr/bin/python3
"""Training-step throughput of torchvision's network with torch.optim.SGD: the reference for
bench/train_step_eval.cpp (driver: bench/train_step.sh). Same step: forward, cross-entropy,
backward, SGD (lr 0.05, momentum 0.9, Nesterov, weight decay 4e-5) on a fixed random batch; the
median of the timed steps after warm-up. Run with Debian's /usr/bin/python3 (python3-torch,
python3-torchvision: the same LibTorch underneath as nasctl).

    train_step_reference.py [--model mobilenet_v2] [--input-size 32] [--batch 64] [--classes 10]
                            [--threads 2] [--steps 20] [--warmup 3] [--channels-last 0|1]
"""
import argparse
import json
import time

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="mobilenet_v2")
    p.add_argument("--input-size", type=int, default=32)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--channels-last", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    net = getattr(torchvision.models, a.model)(num_classes=a.classes)
    net.train()
    # Weight decay on every tensor, as torch.optim applies it; nasctl skips BN and biases (fewer
    # operations, so if anything this favours the reference).
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=4e-5)
    torch.manual_seed(0)
    images = torch.randn(a.batch, 3, a.input_size, a.input_size)
    labels = torch.randint(a.classes, (a.batch,))
    if a.channels_last:
        net = net.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    times = []
    for step in range(a.warmup + a.steps):
        start = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(net(images), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()
        if step >= a.warmup:
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({
        "implementation": "torchvision + torch.optim" + (" (channels-last)" if a.channels_last else " (NCHW)"),
        "model": a.model, "input_size": a.input_size, "batch": a.batch, "threads": a.threads,
        "params": sum(p.numel() for p in net.parameters()), "step_ms": median,
        "images_per_s": 1000.0 * a.batch / median, "torch": torch.__version__,
        "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    main()
