#!/usr/bin/python3
"""Writes an ImageFolder of synthetic photo-like JPEGs for the data loader benchmark:
OUT/train/class_XX/img_YYYY.jpg, ImageNet-like sizes (about 500x375, varied), quality 90.

    /usr/bin/python3 bench/data_make_images.py OUT [--images 500] [--classes 10] [--seed 0]
"""
import argparse
import os
import random

from PIL import Image, ImageDraw, ImageFilter


def photo(rng, width, height):
    # Gradients, shapes, blur and noise: about 80 KiB per image at quality 90, in the range of
    # ImageNet's JPEGs (pure noise would be larger, flat colour far smaller and faster to decode).
    base = Image.linear_gradient("L").resize((width, height))
    r = base.rotate(rng.uniform(0, 360), expand=False)
    g = base.transpose(Image.FLIP_LEFT_RIGHT)
    b = Image.radial_gradient("L").resize((width, height))
    img = Image.merge("RGB", (r, g, b))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(20, 200), y0 + rng.randrange(20, 200)
        color = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=color)
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    noise = Image.merge("RGB", [Image.effect_noise((width, height), 64) for _ in range(3)])
    return Image.blend(img, noise, 0.3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for i in range(args.images):
        landscape = rng.random() < 0.75
        long_side, short_side = rng.randrange(450, 501), rng.randrange(333, 376)
        width, height = (long_side, short_side) if landscape else (short_side, long_side)
        folder = os.path.join(args.out, "train", f"class_{i % args.classes:02d}")
        os.makedirs(folder, exist_ok=True)
        photo(rng, width, height).save(os.path.join(folder, f"img_{i:04d}.jpg"), quality=90)


if __name__ == "__main__":
    main()
