// The layout table of the Dense SIMD kernel, described once: the AssemblyScript kernel
// (./index.ts, compiled to dist/kernel.wasm) reads it and the host (../kernelTrainer.ts) writes
// it, both importing these constants. A table is an array of i32 slots in the shared wasm
// memory; the host writes one per thread (its half of the batch) and passes its byte offset to
// forwardPass / trainPass.
//
// This file must stay valid for both compilers: plain integer constants only (AssemblyScript
// inlines them as compile-time constants, so the kernel's code is what it was with literals).

// Header (i32 slots).
/** Number of Dense layers. */
export const T_NUM_LAYERS = 0;
/** Input values per sample. */
export const T_INPUT_DIM = 1;
/** Output classes. */
export const T_CLASSES = 2;
/** Byte offset of the first input row (uint8 pixels). */
export const T_INPUT = 3;
/** Byte offset of the first label (one byte each). */
export const T_LABELS = 4;
/** Rows in this table. */
export const T_COUNT = 5;
/** Rows of the whole batch (the mean's denominator when two tables split a batch). */
export const T_DENOM = 6;
/** Gradient block minus parameter block, in bytes (a table's gradients go to its own block). */
export const T_GRAD_DELTA = 7;
/** Out: correctly classified rows of the last pass. */
export const T_CORRECT = 8;
/** Out: summed loss of the last pass, an f64 over slots 10–11 (8-byte aligned). */
export const T_LOSS_F64 = 10;

/** First per-layer slot; the header may grow up to here. */
export const T_LAYERS = 16;
/** Slots per layer. */
export const T_STRIDE = 14;

// Per-layer slots, relative to T_LAYERS + layer · T_STRIDE (byte offsets unless said otherwise).
/** Input values of the layer (count). */
export const L_IN_DIM = 0;
/** Units (count). */
export const L_UNITS = 1;
/** Units padded to a multiple of 4: the row stride of weights and activations (count). */
export const L_OUT_P = 2;
/** Kernel [inDim, outP]. */
export const L_WEIGHTS = 3;
export const L_BIAS = 4;
/** The non-zero inputs per row: indices, values, counts. */
export const L_NZ_IDX = 5;
export const L_NZ_VAL = 6;
export const L_NZ_CNT = 7;
/** Pre-activations / outputs [count, outP]. */
export const L_ACT = 8;
/** Gradient of the loss with respect to the pre-activations [count, outP]. */
export const L_DZ = 9;
/** The non-zeros regrouped by input index, for the weight gradient. */
export const L_COL_START = 10;
export const L_COL_POS = 11;
export const L_COL_B = 12;
export const L_COL_V = 13;
