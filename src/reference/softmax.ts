export function softmax(rows: number, cols: number, x: Float32Array, y: Float32Array): void {
  const e = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[row + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      e[j] = Math.exp(x[row + j] - max);
      sum += e[j];
    }
    for (let j = 0; j < cols; j++) y[row + j] = e[j] / sum;
  }
}
