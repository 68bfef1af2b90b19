/**
 * Worker thread of the image-folder loader: reads, decodes, converts and (optionally) resizes
 * the files of one task and writes the pixels straight into the shared output array, so a
 * worker holds one decoded image at a time and nothing is copied back.
 */
import { parentPort } from 'node:worker_threads';
import { LIMITS, readFileLimited } from '../../util/safeRead';
import { decodeImage, ImageDecodeError, resizeBilinear, toChannels } from './decode';
import type { WorkerReply, WorkerRequest } from './protocol';

/** One image file: large photos are fine, a 2 GiB "image" is not. */
const MAX_IMAGE_BYTES = Math.min(LIMITS.data, 256 * 1024 * 1024);

async function runTask(req: WorkerRequest): Promise<WorkerReply> {
  const [h, w, c] = req.shape;
  const out = new Uint8Array(req.shared);
  const per = h * w * c;
  for (let k = 0; k < req.files.length; k++) {
    const file = req.files[k];
    let bytes: Uint8Array;
    try {
      bytes = await readFileLimited(file, { what: 'image', maxBytes: MAX_IMAGE_BYTES });
    } catch (err) {
      return { id: req.id, error: { file, message: (err as Error).message, bad: true } };
    }
    try {
      const img = decodeImage(bytes);
      const px = toChannels(img, c as 1 | 3);
      const dst = out.subarray((req.start + k) * per, (req.start + k + 1) * per);
      if (req.resize) {
        resizeBilinear(px, img.height, img.width, c, h, w, dst);
      } else if (img.height !== h || img.width !== w) {
        return { id: req.id, error: { file, message: `mixed-size:${img.height}×${img.width}`, bad: true } };
      } else {
        dst.set(px);
      }
    } catch (err) {
      const message = err instanceof ImageDecodeError ? err.message : `could not be decoded (${(err as Error).message})`;
      return { id: req.id, error: { file, message: `decode:${message}`, bad: true } };
    }
  }
  return { id: req.id, done: req.files.length };
}

parentPort?.on('message', (req: WorkerRequest) => {
  void runTask(req).then((reply) => parentPort?.postMessage(reply));
});
