#!/usr/bin/python3
"""Writes Fashion-MNIST (Debian's dataset-fashion-mnist: gzip IDX under /usr/share/datasets/fashion-mnist)
as the data sets Model Optimizer reads from users, for figures and manual checks of issue 11:

  /usr/bin/python3 scripts/make-fashion-mnist.py OUT png   -> OUT/png/{train,test}/<k_class>/<index>.png (grayscale)
  /usr/bin/python3 scripts/make-fashion-mnist.py OUT csv   -> OUT/{train,test}.csv (header, string labels)
  /usr/bin/python3 scripts/make-fashion-mnist.py OUT npz   -> OUT/fashion.npz (x_train, y_train, x_test, y_test)

Needs NumPy only (PNG written with zlib and struct). Class folders are numbered so they sort in label order.
"""
import gzip
import os
import struct
import sys
import zlib

import numpy as np

SRC = '/usr/share/datasets/fashion-mnist'
CLASSES = ['t-shirt_top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle_boot']


def read_idx(name):
    data = gzip.open(os.path.join(SRC, name)).read()
    ndim = data[3]
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def png_bytes(a):
    h, w = a.shape
    raw = b''.join(b'\x00' + a[r].tobytes() for r in range(h))

    def chunk(tag, body):
        return struct.pack('>I', len(body)) + tag + body + struct.pack('>I', zlib.crc32(tag + body) & 0xFFFFFFFF)

    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw, 6)) + chunk(b'IEND', b'')


def main():
    out, what = sys.argv[1], sys.argv[2]
    splits = {
        'train': (read_idx('train-images-idx3-ubyte.gz'), read_idx('train-labels-idx1-ubyte.gz')),
        'test': (read_idx('t10k-images-idx3-ubyte.gz'), read_idx('t10k-labels-idx1-ubyte.gz')),
    }
    folders = ['%d_%s' % (k, c) for k, c in enumerate(CLASSES)]
    if what == 'png':
        for split, (x, y) in splits.items():
            for f in folders:
                os.makedirs(os.path.join(out, 'png', split, f), exist_ok=True)
            for i in range(len(y)):
                with open(os.path.join(out, 'png', split, folders[y[i]], '%05d.png' % i), 'wb') as fh:
                    fh.write(png_bytes(x[i]))
    elif what == 'csv':
        for split, (x, y) in splits.items():
            with open(os.path.join(out, split + '.csv'), 'w') as fh:
                fh.write('label,' + ','.join('pixel%d' % j for j in range(784)) + '\n')
                for i in range(len(y)):
                    fh.write(CLASSES[y[i]] + ',' + ','.join(map(str, x[i].reshape(-1).tolist())) + '\n')
    elif what == 'npz':
        os.makedirs(out, exist_ok=True)
        np.savez(os.path.join(out, 'fashion.npz'), x_train=splits['train'][0], y_train=splits['train'][1], x_test=splits['test'][0], y_test=splits['test'][1])
    else:
        raise SystemExit('usage: make-fashion-mnist.py OUT png|csv|npz')


if __name__ == '__main__':
    main()
