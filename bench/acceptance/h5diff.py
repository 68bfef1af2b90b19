"""Structural comparison of two HDF5 files with h5py: every group (member order), attribute
(name, dtype, shape, value) and dataset (dtype, shape, values, storage layout). Timestamps in
object headers are the only thing it ignores. Exit 1 and print the first differences if any."""
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
diffs = []
def attrs(x, y, where):
    if list(x.attrs.keys()) != list(y.attrs.keys()):
        diffs.append(f'{where}: attribute names {list(x.attrs.keys())} vs {list(y.attrs.keys())}')
        return
    for k in x.attrs.keys():
        u, v = x.attrs[k], y.attrs[k]
        ua, va = np.asarray(u), np.asarray(v)
        if ua.dtype != va.dtype or ua.shape != va.shape or not np.array_equal(ua, va):
            diffs.append(f'{where}@{k}: {ua.dtype}{ua.shape} {str(u)[:200]} vs {va.dtype}{va.shape} {str(v)[:200]}')
def walk(x, y, where):
    attrs(x, y, where)
    if isinstance(x, h5py.Dataset):
        if not isinstance(y, h5py.Dataset):
            diffs.append(f'{where}: dataset vs group'); return
        if x.dtype != y.dtype or x.shape != y.shape or x.chunks != y.chunks or x.compression != y.compression or not np.array_equal(x[()], y[()]):
            diffs.append(f'{where}: dataset differs ({x.dtype}{x.shape} vs {y.dtype}{y.shape})')
        return
    if list(x.keys()) != list(y.keys()):
        diffs.append(f'{where}: members {list(x.keys())} vs {list(y.keys())}'); return
    for k in x.keys():
        walk(x[k], y[k], f'{where}/{k}')
walk(a, b, '')
for d in diffs[:20]:
    print(d)
print('IDENTICAL (h5py: groups, attributes, datasets)' if not diffs else f'{len(diffs)} difference(s)')
sys.exit(1 if diffs else 0)
