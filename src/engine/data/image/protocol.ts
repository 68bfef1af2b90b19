/** Messages between the image-folder loader and its decoding workers. */

/** loader → worker: decode `files` into rows start… of the shared [count, h, w, c] uint8 array. */
export interface WorkerRequest {
  id: number;
  shared: SharedArrayBuffer;
  shape: [number, number, number];
  /** Resize to shape (imageSize given); else every image must already have it. */
  resize: boolean;
  start: number;
  files: string[];
}

/** worker → loader: the task is done, or stopped at the first file it could not use. */
export type WorkerReply =
  | { id: number; done: number; error?: undefined }
  | {
      id: number;
      done?: undefined;
      /** message: 'mixed-size:H×W', 'decode:<reason>', or a safe-read message (bad input). */
      error: { file: string; message: string; bad: boolean };
    };
