#!/usr/bin/python3
"""The reference side of bench/data_loader.sh: torchvision's ImageFolder (PIL decoding) through a
torch DataLoader with the same transforms, batch size and number of workers as nasctl's loader.
Prints one line per timed epoch: "torchvision MODE workers=W epoch=E images=N seconds=S".

    /usr/bin/python3 bench/data_loader_reference.py DATA --workers 2 --mode train [--epochs 3]
"""
import argparse
import time

import torch
import torchvision
from torchvision import transforms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--mode", choices=["train", "eval"], default="train")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--input-size", type=int, default=224)
    args = parser.parse_args()
    torch.set_num_threads(1)
    normalize = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    size = args.input_size
    if args.mode == "train":
        tf = transforms.Compose([transforms.RandomResizedCrop(size), transforms.RandomHorizontalFlip(),
                                 transforms.ToTensor(), normalize])
    else:
        tf = transforms.Compose([transforms.Resize(int(size / 0.875)), transforms.CenterCrop(size),
                                 transforms.ToTensor(), normalize])
    dataset = torchvision.datasets.ImageFolder(args.data + "/train", tf)
    # persistent_workers: worker processes start once (like nasctl's threads), not every epoch.
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True,
                                         num_workers=args.workers, persistent_workers=args.workers > 0)
    for epoch in range(args.epochs + 1):  # epoch 0 warms up (worker start, file cache)
        start = time.perf_counter()
        images = sum(x.shape[0] for x, _ in loader)
        seconds = time.perf_counter() - start
        if epoch > 0:
            print(f"torchvision {args.mode} workers={args.workers} epoch={epoch} images={images} seconds={seconds:.4f}",
                  flush=True)


if __name__ == "__main__":
    main()
