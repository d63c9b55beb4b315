// Calls the AOT-compiled @mlp through its C interface.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} Memref2D;

void _mlir_ciface_mlp(Memref2D *result, Memref2D *input);

int main(void) {
  float x[4] = {1, 2, 3, 4};
  Memref2D in = {x, x, 0, {1, 4}, {4, 1}}, out;
  _mlir_ciface_mlp(&out, &in);
  const float *y = out.aligned + out.offset;
  printf("y = %g %g\n", y[0], y[out.strides[1]]);
  // The result buffer is the caller's (malloc'ed by the model).
  free(out.allocated);
  return 0;
}
