/**
 * Float vs int8 activation error, accumulated over samples the way TFLite's quantization
 * debugger reports it per layer: RMSE and max |error| over every value, and the cosine
 * similarity of the two activation vectors (averaged over samples).
 */
import type { ErrorStats } from '../../protocol/sensitivity';

export class ErrorAccumulator {
  private sumSq = 0;
  private n = 0;
  private maxAbs = 0;
  private cosSum = 0;
  private samples = 0;

  add(ref: ArrayLike<number>, got: ArrayLike<number>): void {
    let dot = 0;
    let nr = 0;
    let ng = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = got[i] - ref[i];
      this.sumSq += d * d;
      const a = Math.abs(d);
      if (a > this.maxAbs) {
        this.maxAbs = a;
      }
      dot += ref[i] * got[i];
      nr += ref[i] * ref[i];
      ng += got[i] * got[i];
    }
    this.n += ref.length;
    // Two all-zero vectors point the same way; one zero vector against a non-zero one does not.
    this.cosSum += nr === 0 && ng === 0 ? 1 : nr === 0 || ng === 0 ? 0 : dot / Math.sqrt(nr * ng);
    this.samples++;
  }

  stats(scale: number): ErrorStats {
    const rmse = this.n ? Math.sqrt(this.sumSq / this.n) : 0;
    return { rmse, maxAbs: this.maxAbs, cosine: this.samples ? this.cosSum / this.samples : 1, rmseSteps: scale > 0 ? rmse / scale : 0 };
  }
}
